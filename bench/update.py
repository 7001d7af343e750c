"""Incremental-update benchmark on the synthetic sky: one and ten new observations against the
full chain, in one run.

    python -m bench.update --scale 1.0

1. The synthetic sky with 11 new observations (``synth --new-observations 11``; reused when the
   same scale/seed exists), then the whole chain (import, crossmatch, train or reuse, Spark
   classification, release ``base``), timed per stage as ``bench.classify`` does.
2. ``muwclass update`` of ``base`` with the first new observation, then (again from ``base``)
   with the next ten; each timed as the command runs in this process, as the chain's stages
   are (its Spark session and Dask scheduler included; the JVM, Python imports and compiled
   kernels are warm, as they are for the chain's later stages) with the pixels and rows it
   recomputed. Then the one-observation update again as a user runs it, ``muwclass update``
   in a fresh process (imports, JVM start and all). Peak RSS of the whole run.
Targets (issue "Incremental reruns"): one observation <= 5% of the full chain, ten <= 15%,
peak memory < 8 GiB. Writes bench/results/update-scale<scale>.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.table import Table

from bench.classify import _chain
from bench.memory import PeakRSS
from bench.run import _synth
from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.runtime.progress import console

RESULTS = REPO_ROOT / "bench" / "results"
TARGETS = {"one_over_full_max": 0.05, "ten_over_full_max": 0.15, "peak_rss_gib_max": 8.0}


def _update(cfg, observations: list[str], version: str) -> dict:
    from muwclass.update.run_update import run_update

    t0 = time.perf_counter()
    path = run_update(cfg, observations, from_release="base", release_version=version, force=True)
    seconds = time.perf_counter() - t0
    m = json.loads((path / "manifest.json").read_text())
    up = m["update"]
    return {
        "seconds": round(seconds, 1),
        "observations": len(observations),
        "pixels_recomputed": len(up["pixels_recomputed"]),
        "pixels_total": up["pixels_total"],
        "rows_recomputed": up["rows_recomputed"],
        "rows_shared": up["rows_shared"],
        "master_sources_recomputed": up["master_sources_recomputed"],
        "master_sources_new": up["master_sources_new"],
        "timings": m["timings"],
        "diff": m["diff"]["changes"],
    }


def _update_command(args, observations: list[str], version: str) -> float:
    """Seconds of ``muwclass update`` in a fresh process, from ``base``."""
    import subprocess
    import sys

    command = [
        str(Path(sys.executable).parent / "muwclass"), "update", "--conf", str(REPO_ROOT / "conf" / "synthetic-sky.yaml"),
        "--work-dir", args.work_dir, "--observations", *observations, "--from-release", "base",
        "--release-version", version, "--force", "--no-progress",
    ]  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"muwclass update failed:\n{done.stderr[-3000:]}")
    return round(seconds, 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--work-dir", default=str(REPO_ROOT / "build" / "bench-update"))
    args = p.parse_args(argv)
    cfg = load_run_config(REPO_ROOT / "conf" / "synthetic-sky.yaml", work_dir=args.work_dir)
    stages: dict[str, float] = {}
    with PeakRSS() as mem:
        synth = _synth(cfg, args.scale, args.seed, new_observations=11)
        from muwclass.release.run_classify_catalog import run_classify_catalog

        chain, _ = _chain(cfg, cfg.confidence.draws, stages)
        # _chain's own release has a generated name; the updates start from a named one
        t_release = time.perf_counter()
        run_classify_catalog(cfg, release_version="base", force=True)
        base_seconds = time.perf_counter() - t_release
        observations = [str(cfg.layout.synth / o) for o in synth["new_observations"]]
        one = _update(cfg, observations[:1], "one")
        ten = _update(cfg, observations[1:11], "ten")
        one_command = _update_command(args, observations[:1], "one-command")
    full = chain
    result = {
        "benchmark": "update",
        "scale": args.scale,
        "synth_reused": synth.get("reused"),
        "chain_seconds": round(full, 1),
        "chain_stages_seconds": {k: round(v, 1) for k, v in stages.items()},
        "base_release_seconds": round(base_seconds, 1),
        "one": one,
        "ten": ten,
        "one_over_full": round(one["seconds"] / full, 3),
        "ten_over_full": round(ten["seconds"] / full, 3),
        "one_command_seconds": one_command,
        "one_command_over_full": round(one_command / full, 3),
        "peak_rss_gib": mem.peak_gib,
        "targets": TARGETS,
    }
    result["targets_met"] = {
        "one": result["one_over_full"] <= TARGETS["one_over_full_max"],
        "ten": result["ten_over_full"] <= TARGETS["ten_over_full_max"],
        "peak_rss": mem.peak_gib < TARGETS["peak_rss_gib_max"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"update-scale{args.scale:g}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    table = Table(title=f"incremental update benchmark, synthetic sky scale {args.scale:g}")
    for col in ("run", "seconds", "of full chain", "pixels recomputed", "rows recomputed", "target"):
        table.add_column(col, justify="right" if col != "run" else "left")
    table.add_row(
        "full chain (import, crossmatch, train, classify, release)", f"{full:.1f}", "1", "all", "all", ""
    )
    for name, r, ratio, target in (
        ("update: 1 new observation", one, result["one_over_full"], TARGETS["one_over_full_max"]),
        ("update: 10 new observations", ten, result["ten_over_full"], TARGETS["ten_over_full_max"]),
    ):
        table.add_row(
            name,
            f"{r['seconds']:.1f}",
            f"{ratio:.3f}",
            f"{r['pixels_recomputed']} of {r['pixels_total']}",
            f"{r['rows_recomputed']:,} of {r['rows_recomputed'] + r['rows_shared']:,}",
            f"<= {target}",
        )
    table.add_row(
        "update: 1 new observation, `muwclass update` in a fresh process",
        f"{one_command:.1f}",
        f"{result['one_command_over_full']:.3f}",
        f"{one['pixels_recomputed']} of {one['pixels_total']}",
        f"{one['rows_recomputed']:,}",
        "",
    )
    console.print(table, width=130)
    console.print(f"peak RSS {mem.peak_gib} GiB; targets met {result['targets_met']}; written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
