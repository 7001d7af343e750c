"""Import benchmark on the synthetic sky: ours vs a plain hats-import, in the same run.

    python -m bench.run --scale 1.0 --seed 42

Generates the sky (reused when the same scale/seed already exists), then
1. baseline: a plain hats-import of the Gaia-like Parquet files (no mapping, no checks),
2. ours: ``muwclass import`` of every synthetic catalog (staging, quarantine, duplicate
   checks, hats-import with margin caches),
measuring wall time, rows/s and the peak RSS of the process tree (driver + Dask workers).
Writes bench/results/import-<scale>.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import time
from pathlib import Path

from rich.table import Table

from bench.memory import PeakRSS
from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.runtime.progress import console
from muwclass.runtime.sessions import dask_client

RESULTS = REPO_ROOT / "bench" / "results"


def _synth(cfg, scale: float, seed: int, new_observations: int = 0, xmm: bool = False) -> dict:
    from muwclass.synth import generate_sky

    manifest = cfg.layout.synth / "manifest.json"
    if manifest.exists():
        m = json.loads(manifest.read_text())
        enough = len(m.get("new_observations", [])) >= new_observations
        enough = enough and (not xmm or "xmm" in m.get("rows", {}))
        if m.get("scale") == scale and m.get("seed") == seed and enough:
            return {"reused": True, "seconds": 0.0, **m}
    shutil.rmtree(cfg.layout.synth, ignore_errors=True)
    t0 = time.perf_counter()
    with PeakRSS() as mem:
        summary = generate_sky(
            cfg.layout.synth,
            scale=scale,
            seed=seed,
            data_dir=cfg.data_dir,
            progress=True,
            new_observations=new_observations,
            xmm=xmm,
        )
    return {
        "reused": False,
        "seconds": round(time.perf_counter() - t0, 1),
        "peak_rss_gib": mem.peak_gib,
        **summary,
    }


def _plain_hats_import(files: list[Path], out: Path, client) -> dict:
    import pyarrow.parquet as pq
    from hats_import.catalog.arguments import ImportArguments
    from hats_import.pipeline import pipeline_with_client

    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    shutil.rmtree(out, ignore_errors=True)
    args = ImportArguments(
        output_artifact_name="gaia_plain",
        output_path=out,
        input_file_list=[str(f) for f in files],
        file_reader="parquet",
        ra_column="RA_ICRS",
        dec_column="DE_ICRS",
        pixel_threshold=2_000_000,
        highest_healpix_order=8,
        progress_bar=True,
        simple_progress_bar=True,
        resume=False,
    )
    t0 = time.perf_counter()
    with PeakRSS() as mem:
        pipeline_with_client(args, client)
    sec = time.perf_counter() - t0
    shutil.rmtree(out, ignore_errors=True)
    return {
        "rows": rows,
        "seconds": round(sec, 1),
        "rows_per_s": round(rows / sec),
        "peak_rss_gib": mem.peak_gib,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--work-dir", default=str(REPO_ROOT / "build" / "bench"))
    args = p.parse_args(argv)
    from muwclass.ingest.run_import import run_import as run

    cfg = load_run_config(REPO_ROOT / "conf" / "synthetic-sky.yaml", work_dir=args.work_dir)
    synth = _synth(cfg, args.scale, args.seed)
    shutil.rmtree(cfg.layout.hats, ignore_errors=True)
    for sub in ("staging", "quarantine", "reports", "candidates"):
        shutil.rmtree(cfg.layout.root / sub, ignore_errors=True)  # the import products of the last run
    with dask_client(cfg.dask, local_directory=cfg.layout.dask) as client:
        baseline = _plain_hats_import(
            sorted((cfg.layout.synth / "gaia").glob("*.parquet")), cfg.layout.bench("plain"), client
        )
        t0 = time.perf_counter()
        with PeakRSS() as mem:
            reports = run(cfg, client, progress=True, force=True)
        total_sec = time.perf_counter() - t0
    rows = sum(r["rows_in"] for r in reports)
    gaia = next(r for r in reports if r["catalog"] == "gaia")
    result = {
        "benchmark": "import",
        "scale": args.scale,
        "seed": args.seed,
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "synth": {k: v for k, v in synth.items() if k not in ("files",)},
        "baseline_plain_hats_import_gaia": baseline,
        "ours": {
            "total_seconds": round(total_sec, 1),
            "rows": rows,
            "rows_per_s": round(rows / total_sec),
            "peak_rss_gib": mem.peak_gib,
            "per_catalog": {
                r["catalog"]: {
                    k: r[k]
                    for k in (
                        "rows_in",
                        "imported",
                        "quarantined",
                        "merged_duplicates",
                        "partitions",
                        "seconds",
                    )
                }
                for r in reports
            },
        },
        "ratio_gaia_ours_vs_plain": round(gaia["seconds"] / baseline["seconds"], 2),
        "targets": {"all_catalogs_seconds_max": 180, "peak_rss_gib_max": 8},
    }
    result["meets_targets"] = total_sec <= 180 and mem.peak_gib < 8
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"import-scale{args.scale:g}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    table = Table(title=f"import benchmark, synthetic sky scale {args.scale:g} (seed {args.seed})")
    for col in ("what", "rows", "seconds", "rows/s", "peak RSS GiB"):
        table.add_column(col, justify="right" if col != "what" else "left")
    table.add_row(
        "baseline: plain hats-import, gaia",
        f"{baseline['rows']:,}",
        str(baseline["seconds"]),
        f"{baseline['rows_per_s']:,}",
        str(baseline["peak_rss_gib"]),
    )
    for r in reports:
        table.add_row(
            f"ours: {r['catalog']}",
            f"{r['rows_in']:,}",
            str(r["seconds"]),
            f"{round(r['rows_in'] / max(r['seconds'], 1e-9)):,}",
            "",
        )
    table.add_row(
        "ours: all catalogs",
        f"{rows:,}",
        f"{total_sec:.1f}",
        f"{round(rows / total_sec):,}",
        str(mem.peak_gib),
    )
    console.print(table)
    console.print(
        f"gaia: ours / plain hats-import = {result['ratio_gaia_ours_vs_plain']}x; targets met: {result['meets_targets']}; written {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
