"""Classification benchmark on the synthetic sky: the whole chain, and Spark vs a plain loop.

    python -m bench.classify --scale 1.0 [--draws 100] [--compare-only]

1. The whole ``classify-catalog`` chain from the synthetic catalogs (reused when the same
   scale/seed exists): import of all catalogs, crossmatch, train (or reuse), Spark
   classification with Monte-Carlo confidence, release. Wall time per stage, peak RSS.
2. Baseline in the same run: the same rows through the same function
   (:func:`muwclass.classification.spark_job.classify_batch`) in plain Python processes, one per core,
   no Spark, the same columns, the model family loaded once per process and the same malloc
   settings as Spark's Python workers. The machine's speed drifts by tens of percent over
   minutes, so the two alternate (plain, Spark again, plain) and ratio = best Spark classify
   job / best baseline.
Writes bench/results/classify-scale<scale>.json (``--compare-only``: part 2 alone on the last
chain's outputs, classify-compare-scale<scale>.json) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from rich.table import Table

from bench.memory import PeakRSS
from bench.run import _synth
from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.runtime.progress import console
from muwclass.runtime.sessions import NUMERIC_MALLOC_ENV, dask_client, environ_kept

RESULTS = REPO_ROOT / "bench" / "results"
TARGETS = {"spark_over_plain_max": 1.3, "chain_minutes_max": 10.0}


_SHARED: tuple = ()


def _plain_init(shared: tuple) -> None:
    global _SHARED
    _SHARED = shared  # the family once per process, as Spark's broadcast


def _plain_chunk(frame: pd.DataFrame) -> int:
    from muwclass.classification.spark_job import classify_batch

    return len(classify_batch(frame, *_SHARED))


def _plain_run(work: list[pd.DataFrame], shared: tuple, cores: int) -> tuple[int, float]:
    """Rows classified and seconds: fresh processes (spawned, so glibc reads the malloc
    settings Spark gives its Python workers), one per core."""
    with environ_kept():
        os.environ.update(NUMERIC_MALLOC_ENV)
        t0 = time.perf_counter()
        with ProcessPoolExecutor(
            cores,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_plain_init,
            initargs=(shared,),
        ) as pool:
            done = sum(pool.map(_plain_chunk, work))
        return done, round(time.perf_counter() - t0, 1)


def _spark_job(cfg, draws: int) -> float:
    """One ``classify-catalog`` run (a release of its own); its Spark job's seconds."""
    from muwclass.release.run_classify_catalog import run_classify_catalog

    version = f"bench-{time.strftime('%Y%m%dT%H%M%S')}"
    run_classify_catalog(cfg, draws=draws, release_version=version, force=True)
    manifest = json.loads((cfg.layout.releases / version / "manifest.json").read_text())
    return float(manifest["timings"]["spark_classify_job_seconds"])


def _chain(cfg, draws: int, stages: dict[str, float]) -> tuple[float, list[float]]:
    """The whole chain in this process; its seconds and the Spark job's."""
    from muwclass.classification.family import load_family
    from muwclass.crossmatch.run_crossmatch import run_crossmatch as crossmatch
    from muwclass.ingest.run_import import run_import as import_catalogs

    t_chain = time.perf_counter()
    with dask_client(cfg.dask, local_directory=cfg.layout.dask) as client:
        t0 = time.perf_counter()
        import_catalogs(cfg, client, progress=True, force=True)
        stages["import"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        crossmatch(cfg, client, progress=True)
        stages["crossmatch"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    load_family(cfg)
    stages["train"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    spark_jobs = [_spark_job(cfg, draws)]
    stages["classify_and_release"] = time.perf_counter() - t0
    return time.perf_counter() - t_chain, spark_jobs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--draws", type=int, default=None)
    p.add_argument("--work-dir", default=str(REPO_ROOT / "build" / "bench"))
    p.add_argument(
        "--compare-only",
        action="store_true",
        help="reuse the last chain's crossmatch and models: Spark vs plain only",
    )
    args = p.parse_args(argv)
    from muwclass.classification.family import load_family
    from muwclass.classification.inputs import required_columns
    from muwclass.classification.spark_job import HEALPIX, dataset_dir, output_columns, task_count

    cfg = load_run_config(REPO_ROOT / "conf" / "synthetic-sky.yaml", work_dir=args.work_dir)
    draws = args.draws or cfg.confidence.draws
    stages: dict[str, float] = {}
    with PeakRSS() as mem:
        if args.compare_only:  # same sequence without the chain: Spark, plain, Spark, plain
            synth, chain, spark_jobs = {"reused": True}, None, [_spark_job(cfg, draws)]
        else:
            synth = _synth(cfg, args.scale, args.seed)
            chain, spark_jobs = _chain(cfg, draws, stages)
    release = cfg.layout.releases / "latest"
    manifest = json.loads((release / "manifest.json").read_text())
    spark_session_seconds = manifest["timings"]["spark_classify_seconds"]

    # baseline: the same rows and function, one plain process per core, alternating with Spark
    family = load_family(cfg)
    columns = [n for n, _ in output_columns(family.classes)]
    rows = pd.read_parquet(dataset_dir(cfg.layout.xmatch(cfg.crossmatch.main_xray))).sort_values(
        HEALPIX, ignore_index=True
    )  # as Spark's ranges
    rows = rows[required_columns(list(rows.columns), family.feature_sets, keep=columns)]  # as Spark's select
    cores = len(os.sched_getaffinity(0))
    chunks = np.array_split(np.arange(len(rows)), task_count(len(rows), cores))  # as many as the Spark tasks
    work = [rows.iloc[c] for c in chunks]
    shared = (family, draws, cfg.confidence.seed, columns)
    plain_runs = []
    for again in (True, False):
        done, seconds = _plain_run(work, shared, cores)
        plain_runs.append(seconds)
        if again:
            spark_jobs.append(_spark_job(cfg, draws))
    spark_seconds, plain_seconds = min(spark_jobs), min(plain_runs)

    result = {
        "benchmark": "classify",
        "scale": args.scale,
        "draws": draws,
        "sources": manifest["rows"],
        "synth_reused": synth.get("reused"),
        "stages_seconds": {k: round(v, 1) for k, v in stages.items()},
        "chain_seconds": round(chain, 1) if chain else None,
        "peak_rss_gib": mem.peak_gib,  # of the chain
        "spark_classify_job_seconds": spark_seconds,
        "spark_classify_job_runs": spark_jobs,
        "plain_processes_runs": plain_runs,
        "spark_session_seconds": spark_session_seconds,
        "plain_processes_seconds": round(plain_seconds, 1),
        "plain_rows": int(done),
        "spark_over_plain": round(spark_seconds / plain_seconds, 2),
        "targets": TARGETS,
    }
    result["targets_met"] = {
        "spark_over_plain": result["spark_over_plain"] <= TARGETS["spark_over_plain_max"],
        "chain_minutes": chain / 60 <= TARGETS["chain_minutes_max"] if chain else None,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"classify-{'compare-' if args.compare_only else ''}scale{args.scale:g}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    table = Table(title=f"classification benchmark, synthetic sky scale {args.scale:g}, {draws} draws")
    table.add_column("what")
    table.add_column("seconds", justify="right")
    for k, v in result["stages_seconds"].items():
        table.add_row(f"chain: {k}", f"{v:.1f}")
    if chain:
        table.add_row("chain: total", f"{chain:.1f}")
    table.add_row(
        f"Spark classify job (mapInPandas + write, local, all cores), best of {spark_jobs}",
        f"{spark_seconds:.1f}",
    )
    table.add_row("Spark session start to stop (startup, count, job, counts)", f"{spark_session_seconds:.1f}")
    table.add_row(
        f"plain processes ({cores}), same rows and function, best of {plain_runs}", f"{plain_seconds:.1f}"
    )
    console.print(table, width=120)
    console.print(
        f"Spark / plain = {result['spark_over_plain']}; peak RSS {mem.peak_gib} GiB; targets met {result['targets_met']}; written {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
