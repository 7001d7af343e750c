"""Classify every crossmatched source on Spark and write a versioned release.

A Spark application (in process with the configured master, or under ``spark-submit
--master spark://...``): reads ``hats/xmatch_<xray>`` of every X-ray catalog (Arrow; CSC, and
3XMM beside it through its band conversion), applies the broadcast model family
(one model per nH bin, trained or reused by provenance) with Monte-Carlo confidence via
``mapInPandas`` (:mod:`muwclass.classification.spark_job`), and writes ``release/<version>/``
atomically (:mod:`muwclass.release.writer`): one row per source of each X-ray catalog with its
``catalog``, the main catalog in ``hats/``, each other in ``hats_<name>/``, and the link tables
of the sources that are the same object in two catalogs (:mod:`muwclass.release.xray_links`).
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
from muwclass.io.storage import read_parquet
from muwclass.release.manifest import code_version, counts_by_class, row_counts
from muwclass.release.model_card import find_evaluation, model_card
from muwclass.release.writer import OtherCatalog, ReleasePartitions, write_release
from muwclass.runtime.progress import console
from muwclass.runtime.sessions import spark_session

#: which X-ray catalog a release row comes from (the configured name: csc, xmm)
CATALOG_COLUMN = "catalog"


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
    catalogs = cfg.crossmatch.xray  # the main one (CSC) first
    datasets = {}
    for xray in catalogs:
        datasets[xray] = dataset_dir(current(layout.xmatch(xray)))
        if datasets[xray] is None:
            raise ConfigError(
                f"{layout.xmatch(xray)}: no crossmatched catalog; run `muwclass crossmatch` first"
            )
    main = cfg.crossmatch.main_xray
    draws = resolve_draws(cfg.confidence.draws, draws)
    version = check_release_target(layout.releases, release_version, force)
    timings = {}

    t0 = time.perf_counter()
    family = load_family(cfg, model)
    timings["train_or_reuse_seconds"] = round(time.perf_counter() - t0, 2)

    stage = layout.classified
    t0 = time.perf_counter()
    counts = {}
    with spark_session(cfg.spark, app_name="muwclass-classify-catalog") as spark:
        for xray in catalogs:
            counts[xray] = classify_on_spark(
                spark, datasets[xray], family, draws, cfg.confidence.seed, stage / xray, progress=progress
            )
        master = spark.sparkContext.master
    timings["spark_classify_seconds"] = round(time.perf_counter() - t0, 2)  # session start to stop
    timings["spark_classify_job_seconds"] = round(sum(c["job_seconds"] for c in counts.values()), 2)
    if len(catalogs) > 1:
        timings["spark_classify_job_seconds_by_catalog"] = {k: c["job_seconds"] for k, c in counts.items()}

    names = [n for n, _ in output_columns(family.classes)]
    outputs = {
        xray: tuple(of_catalog(t, xray) for t in read_outputs(stage / xray, names)) for xray in catalogs
    }
    classified = outputs[main][0]
    quarantine = pd.concat([q for _, q in outputs.values()], ignore_index=True)
    by_catalog = {
        xray: {"in": counts[xray]["rows_in"], "classified": len(c), "quarantined": len(q)}
        for xray, (c, q) in outputs.items()
    }
    evaluation, metrics, note = find_evaluation(cfg, model)
    manifest = {
        "version": version,
        "code": code_version(REPO_ROOT),
        "spark_master": master,
        "config": json.loads(cfg.model_dump_json(by_alias=True)),
        "inputs": hash_inputs([*datasets.values(), cfg.data_dir / cfg.training_set]),
        "models": {str(i): prov for i, prov in family.provenance.items()},
        "xray_catalogs": catalogs,
        "rows": row_counts(by_catalog),
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
    crossmatch = read_json(layout.crossmatch_report(main)) or {}
    manifest["crossmatch"] = crossmatch  # its priors serve incremental updates
    manifest["observations"] = [{**o, "release": version} for o in crossmatch.get("observations", [])]
    # the release's HATS tables keep the X-ray catalogs' pixels; sources/ links the main one's files
    folded = crossmatch.get("observations_folded")
    xray = current(layout.observed(main) if folded else layout.catalog(main))
    sources = catalog_files(dataset_dir(xray).parent)
    others = {}
    for other in catalogs[1:]:
        links = read_parquet(layout.xray_links(main, other)).to_pandas()
        pixels = list(catalog_files(datasets[other].parent))
        others[other] = OtherCatalog(pixels, outputs[other][0], main, links)
    partitions = ReleasePartitions(list(sources), pd.DataFrame(), shared_sources=sources, others=others)
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
    for xray, (c, q) in outputs.items():
        console.print(
            f"release {path} ({xray}): {counts[xray]['rows_in']} sources in, {len(c)} classified "
            f"({int(c['confident'].sum()) if len(c) else 0} confident), {len(q)} quarantined"
        )
    console.print(f"release {path} written in {time.perf_counter() - t_start:.0f} s")
    return path


def of_catalog(rows: pd.DataFrame, xray: str) -> pd.DataFrame:
    """Rows of X-ray catalog ``xray`` with their ``catalog`` column (after ``source_id``)."""
    rows = rows.copy()
    rows.insert(
        min(1, len(rows.columns)),
        CATALOG_COLUMN,
        pd.Series([xray] * len(rows), index=rows.index, dtype=object),
    )
    return rows


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
