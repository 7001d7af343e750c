"""Classify every crossmatched source on Spark and write a versioned release.

A Spark application (in process with the configured master, or under ``spark-submit
--master spark://...``): reads ``hats/xmatch_<xray>`` of the main X-ray catalog (Arrow), applies the broadcast model family
(one model per nH bin, trained or reused by provenance) with Monte-Carlo confidence via
``mapInPandas`` (:mod:`muwclass.classification.spark_job`), and writes ``release/<version>/``
atomically (:mod:`muwclass.release.writer`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from muwclass.classification.family import load_family
from muwclass.classification.predict import resolve_draws
from muwclass.classification.spark_job import classify_on_spark, dataset_dir, output_columns, read_outputs
from muwclass.config.run import REPO_ROOT, RunConfig
from muwclass.errors import ConfigError, OutputError, ReleaseError
from muwclass.io.atomic import current, read_json, remove_tree
from muwclass.io.hashing import hash_inputs
from muwclass.io.hats_pixels import catalog_files
from muwclass.io.products import check_name, check_output_directory, published
from muwclass.release.manifest import code_version, counts_by_class
from muwclass.release.model_card import find_evaluation, model_card
from muwclass.release.writer import ReleasePartitions, write_release
from muwclass.runtime.progress import console
from muwclass.runtime.sessions import spark_session


def run_classify_catalog(
    cfg: RunConfig,
    model: str = "default",
    draws: int | None = None,
    release_version: str | None = None,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Classify ``hats/xmatch_<xray>`` with model family ``model`` and publish the release; returns its path."""
    t_start = time.perf_counter()
    layout = cfg.layout
    dataset = dataset_dir(current(layout.xmatch(cfg.crossmatch.main_xray)))
    if dataset is None:
        raise ConfigError(
            f"{layout.xmatch(cfg.crossmatch.main_xray)}: no crossmatched catalog; run `muwclass crossmatch` first"
        )
    draws = resolve_draws(cfg.confidence.draws, draws)
    version = check_release_target(layout.releases, release_version, force)
    timings = {}

    t0 = time.perf_counter()
    family = load_family(cfg, model)
    timings["train_or_reuse_seconds"] = round(time.perf_counter() - t0, 2)

    stage = layout.classified
    t0 = time.perf_counter()
    with spark_session(cfg.spark, app_name="muwclass-classify-catalog") as spark:
        counts = classify_on_spark(
            spark, dataset, family, draws, cfg.confidence.seed, stage, progress=progress
        )
        master = spark.sparkContext.master
    timings["spark_classify_seconds"] = round(time.perf_counter() - t0, 2)  # session start to stop
    timings["spark_classify_job_seconds"] = counts["job_seconds"]  # the mapInPandas + write job

    classified, quarantine = read_outputs(stage, [n for n, _ in output_columns(family.classes)])
    evaluation, metrics, note = find_evaluation(cfg, model)
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
        "evaluation": {
            "folds": metrics.get("folds"),
            "metrics": "evaluation/metrics.json",
            "from": str(evaluation),
        }
        if metrics
        else {"note": note},
    }
    crossmatch = read_json(layout.crossmatch_report(cfg.crossmatch.main_xray)) or {}
    manifest["crossmatch"] = crossmatch  # its priors serve incremental updates
    manifest["observations"] = [{**o, "release": version} for o in crossmatch.get("observations", [])]
    # the release's HATS tables keep the X-ray catalog's pixels; sources/ links its files
    folded = crossmatch.get("observations_folded")
    xray = current(
        layout.observed(cfg.crossmatch.main_xray) if folded else layout.catalog(cfg.crossmatch.main_xray)
    )
    sources = catalog_files(dataset_dir(xray).parent)
    partitions = ReleasePartitions(list(sources), pd.DataFrame(), shared_sources=sources)
    card = model_card(cfg.training_set, family.classes, family.provenance, metrics, note)
    path = write_release(
        layout.releases,
        version,
        classified,
        quarantine,
        manifest,
        card,
        force=force,
        evaluation=evaluation,
        partitions=partitions,
    )
    remove_tree(stage)
    console.print(
        f"release {path}: {counts['rows_in']} sources in, {len(classified)} classified "
        f"({int(classified['confident'].sum()) if len(classified) else 0} confident), {len(quarantine)} quarantined, "
        f"{time.perf_counter() - t_start:.0f} s"
    )
    return path


def check_release_target(releases: Path, version: str | None, force: bool) -> str:
    """The release version (default: the UTC time), checked before any work: a plain name (not
    a path, not ``latest``), a writable release directory, and no existing version unless
    ``--force`` replaces an earlier release."""
    version = check_name(version or time.strftime("%Y.%m.%dT%H%M%S", time.gmtime()), "--release-version")
    if version == "latest":
        raise OutputError("--release-version 'latest' is the name of the pointer to the newest release")
    final = releases / version
    if published(final) and not force:
        raise ReleaseError(f"release {final} exists (choose another --release-version or pass --force)")
    check_output_directory(final, "release", "--release-version")
    return version
