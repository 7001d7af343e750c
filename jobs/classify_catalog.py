"""``muwclass classify-catalog``: classify every crossmatched source on Spark and write a release.

A Spark application (runs in-process with the configured master, or under ``spark-submit
--master spark://...``): reads ``hats/xmatch`` (Arrow), applies the broadcast model family
(one model per nH bin, trained or reused by provenance) with Monte-Carlo confidence via
``mapInPandas``, and writes ``release/<version>/`` atomically (see :mod:`muwclass.release`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

from muwclass.config import REPO_ROOT, ConfigError, load_run_config
from muwclass.engines import spark_session
from muwclass.progress import console
from muwclass.classify import resolve_draws
from muwclass.release import code_version, counts_by_class, hash_inputs, model_card, write_release
from muwclass.spark_classify import classify_catalog, dataset_dir
from muwclass.training import load_family


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default", help="model name from `models`")
    p.add_argument("--draws", type=int, default=None, help="Monte-Carlo draws per source (default: confidence.draws)")
    p.add_argument("--release-version", default=None, help="release name (default: UTC time, e.g. 2026.11.25T0612)")
    p.add_argument("--force", action="store_true", help="replace an existing release of the same version")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    cfg = load_run_config(args.conf, data_dir=args.data_dir, work_dir=args.work_dir)
    xmatch = cfg.hats_dir / "xmatch"
    dataset = dataset_dir(xmatch)
    if dataset is None:
        raise ConfigError(f"{xmatch}: no crossmatched catalog; run `muwclass crossmatch` first")
    draws = resolve_draws(cfg.confidence.draws, args.draws)
    version = args.release_version or time.strftime("%Y.%m.%dT%H%M%S", time.gmtime())
    timings = {}

    t0 = time.perf_counter()
    family = load_family(cfg, args.model)
    timings["train_or_reuse_seconds"] = round(time.perf_counter() - t0, 2)

    stage = cfg.work_dir / "classified"
    shutil.rmtree(stage, ignore_errors=True)
    t0 = time.perf_counter()
    with spark_session(cfg.spark, app_name="muwclass-classify-catalog") as spark:
        counts = classify_catalog(spark, dataset, family, draws, cfg.confidence.seed, stage, progress=not args.no_progress)
        master = spark.sparkContext.master
    timings["spark_classify_seconds"] = round(time.perf_counter() - t0, 2)  # session start to stop
    timings["spark_classify_job_seconds"] = counts["job_seconds"]  # the mapInPandas + write job

    classified = _read(stage / "status=classified")
    quarantine = _read(stage / "status=quarantined")
    metrics_path = cfg.work_dir / "evaluation" / str(cfg.evaluation.folds) / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else None
    manifest = {
        "version": version,
        "code": code_version(REPO_ROOT),
        "spark_master": master,
        "config": json.loads(cfg.model_dump_json(by_alias=True)),
        "inputs": hash_inputs([dataset, cfg.data_dir / cfg.training_set]),
        "models": {str(i): prov for i, prov in family.provenance.items()},
        "rows": {"in": counts["rows_in"], "classified": len(classified), "quarantined": len(quarantine)},
        "classes": counts_by_class(classified) if len(classified) else {},
        "draws": draws,
        "timings": timings,
    }
    card = model_card(cfg.training_set, family.classes, family.provenance, metrics)
    path = write_release(cfg.work_dir / "release", version, classified, quarantine, manifest, card, force=args.force)
    shutil.rmtree(stage, ignore_errors=True)
    console.print(
        f"release {path}: {counts['rows_in']} sources in, {len(classified)} classified "
        f"({int(classified['confident'].sum()) if len(classified) else 0} confident), {len(quarantine)} quarantined, "
        f"{time.perf_counter() - t_start:.0f} s"
    )
    return 0


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    return pd.read_parquet(path)


if __name__ == "__main__":  # spark-submit jobs/classify_catalog.py --conf ...
    from muwclass.cli import main as cli_main

    sys.exit(cli_main(["classify-catalog", *sys.argv[1:]]))
