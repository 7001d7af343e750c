"""Validate a run configuration and every catalog definition it names, and print it (``muwclass config``)."""

from __future__ import annotations

import yaml

from muwclass.config.catalog_definition import load_catalog_definition
from muwclass.config.run import RunConfig


def run_show(cfg: RunConfig) -> str:
    """Load every catalog definition of ``cfg`` (a bad one is a ConfigError) and print the
    resolved configuration as YAML; returns that text."""
    for sel in cfg.catalogs.values():
        load_catalog_definition(sel.definition, cfg.catalogs_dir)
    text = yaml.safe_dump(cfg.model_dump(mode="json", by_alias=True), sort_keys=False)
    print(text)
    return text
