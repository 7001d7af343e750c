"""Validate a run configuration (and every catalog definition it names) and print it."""

from __future__ import annotations

import argparse

import yaml

from muwclass.catalog_def import load_catalog_definition
from muwclass.config import load_run_config


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-data-check", action="store_true", help="do not require the data directory to exist")


def main(args: argparse.Namespace) -> int:
    cfg = load_run_config(args.conf, data_dir=args.data_dir, work_dir=args.work_dir, check_data=not args.no_data_check)
    for sel in cfg.catalogs.values():
        load_catalog_definition(sel.definition, cfg.catalogs_dir)
    print(yaml.safe_dump(cfg.model_dump(mode="json", by_alias=True), sort_keys=False))
    return 0
