"""Both X-ray catalogs at scale: CSC + 3XMM through the whole chain at several scales, in one run.

    python -m bench.xmm --scales 0.25 0.5 1.0

For each scale, the synthetic sky with its 3XMM-like catalog (``conf/synthetic-sky-xmm.yaml``;
reused when the same scale/seed exists; written by ``synth`` first and timed apart), then the
chain as ``bench.classify`` runs it, in this process: import of every catalog, crossmatch of
both X-ray catalogs with Gaia/2MASS/WISE and the CSC-3XMM link table, train (or reuse), Spark
classification of both catalogs with 100 draws and the release. Each stage's wall time and
the peak RSS of the process tree (driver, Dask workers, the Spark JVM and its Python workers)
during that stage. Then each catalog's release rows against the sky's truth
(:mod:`muwclass.evaluation.synthetic_truth`), side by side.

Targets (issue "Both X-ray catalogs at full scale"): the chain at scale 1.0 in <= 30 minutes
with peak RSS < 8 GiB, and no stage's time per source growing with scale: t(1.0) / t(0.5) <=
2.1 for every stage. Writes bench/results/xmm.json and bench/results/xmm-scaling.png and prints
the tables.
"""

from __future__ import annotations

import argparse
import json
import time

import lsdb
from rich.table import Table

from bench.memory import PeakRSS
from bench.run import RESULTS, _synth
from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.io.figures import scaling_plot
from muwclass.runtime.progress import console
from muwclass.runtime.sessions import dask_client

CONF = REPO_ROOT / "conf" / "synthetic-sky-xmm.yaml"
TARGETS = {"chain_minutes_max": 30.0, "peak_rss_gib_max": 8.0, "stage_growth_max": 2.1}
STAGES = ("import", "crossmatch", "train", "classify_and_release")


def _stage(name: str, run, stages: dict) -> None:
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        run()
        stages[name] = {"seconds": round(time.perf_counter() - t0, 1), "peak_rss_gib": mem.peak_gib}
    console.print(f"[bold]{name}[/]: {stages[name]}")


def _chain(cfg, draws: int | None) -> tuple[dict, str]:
    """The chain in this process, stage by stage; the stages' figures and the release's path."""
    from muwclass.classification.family import load_family
    from muwclass.crossmatch.run_crossmatch import run_crossmatch
    from muwclass.ingest.run_import import run_import
    from muwclass.release.run_classify_catalog import run_classify_catalog

    stages: dict[str, dict] = {}
    release = []
    with dask_client(cfg.dask, local_directory=cfg.layout.dask) as client:
        _stage("import", lambda: run_import(cfg, client, force=True), stages)
        _stage("crossmatch", lambda: run_crossmatch(cfg, client), stages)
    _stage("train", lambda: load_family(cfg), stages)
    _stage(
        "classify_and_release",
        lambda: release.append(run_classify_catalog(cfg, draws=draws, release_version="bench", force=True)),
        stages,
    )
    return stages, str(release[0])


def _accuracy(cfg, release: str) -> dict:
    from muwclass.evaluation.synthetic_truth import release_against_truth
    from muwclass.synth.sky import read_truth

    out = {}
    for i, xray in enumerate(cfg.crossmatch.xray):
        rows = lsdb.read_hats(f"{release}/{'hats' if i == 0 else f'hats_{xray}'}").compute()
        classes = [c.removeprefix("P_") for c in rows.columns if c.startswith("P_")]
        out[xray] = release_against_truth(rows, read_truth(cfg.layout.synth, xray), classes)
    return out


def _one_scale(work_dir: str, scale: float, seed: int, draws: int | None) -> dict:
    cfg = load_run_config(CONF, work_dir=f"{work_dir}/scale{scale:g}")
    synth = _synth(cfg, scale, seed, xmm=True)
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        stages, release = _chain(cfg, draws)
        chain = time.perf_counter() - t0
    manifest = json.loads((cfg.layout.releases / "bench" / "manifest.json").read_text())
    return {
        "scale": scale,
        "synth_seconds": synth["seconds"],
        "synth_reused": synth["reused"],
        "rows": {k: v for k, v in synth["rows"].items() if k != "csc_per_obs"},
        "xray_sources": manifest["rows"]["in"],
        "release_rows": manifest["rows"],
        "links": manifest.get("links", {}),
        "stages": stages,
        "chain_seconds": round(chain, 1),
        "peak_rss_gib": mem.peak_gib,
        "draws": manifest["draws"],
        "spark_classify_job_seconds": manifest["timings"].get("spark_classify_job_seconds_by_catalog"),
        "accuracy": _accuracy(cfg, release),
    }


def _growth(runs: list[dict]) -> dict[str, float] | None:
    """t(largest) / t(half of it) per stage and for the chain, where both scales ran."""
    by_scale = {r["scale"]: r for r in runs}
    top = max(by_scale)
    half = by_scale.get(top / 2)
    if half is None:
        return None
    big = by_scale[top]
    growth = {
        s: round(big["stages"][s]["seconds"] / max(half["stages"][s]["seconds"], 0.1), 2) for s in STAGES
    }
    growth["chain"] = round(big["chain_seconds"] / half["chain_seconds"], 2)
    return growth


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scales", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--draws", type=int, default=None, help="Monte-Carlo draws (default: the configuration's)")
    p.add_argument("--work-dir", default=str(REPO_ROOT / "build" / "bench-xmm"))
    args = p.parse_args(argv)
    runs = [_one_scale(args.work_dir, s, args.seed, args.draws) for s in sorted(args.scales)]
    top = runs[-1]
    growth = _growth(runs)
    result = {
        "benchmark": "xmm",
        "seed": args.seed,
        "runs": runs,
        "growth_top_over_half": growth,
        "targets": TARGETS,
        "targets_met": {
            "chain_minutes": top["chain_seconds"] / 60 <= TARGETS["chain_minutes_max"],
            "peak_rss": top["peak_rss_gib"] < TARGETS["peak_rss_gib_max"],
            "stage_growth": None if growth is None else max(growth.values()) <= TARGETS["stage_growth_max"],
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    figure = scaling_plot(
        runs,
        STAGES,
        RESULTS / "xmm-scaling.png",
        "CSC + 3XMM synthetic sky, whole chain (2 cores)",
        TARGETS,
    )
    result["figure"] = str(figure)
    out = RESULTS / "xmm.json"
    out.write_text(json.dumps(result, indent=2) + "\n")

    table = Table(title="CSC + 3XMM chain: wall time (s) and peak RSS (GiB) per stage")
    table.add_column("stage")
    for r in runs:
        table.add_column(f"scale {r['scale']:g}\n{r['xray_sources']:,} X-ray", justify="right")
    if growth:
        table.add_column(f"t({top['scale']:g}) / t({top['scale'] / 2:g})", justify="right")
    for s in STAGES:
        cells = [f"{r['stages'][s]['seconds']:.1f} s, {r['stages'][s]['peak_rss_gib']:.2f} GiB" for r in runs]
        table.add_row(s, *cells, *([f"{growth[s]:.2f}"] if growth else []))
    table.add_row(
        "chain", *[f"{r['chain_seconds']:.1f} s, {r['peak_rss_gib']:.2f} GiB" for r in runs],
        *([f"{growth['chain']:.2f}"] if growth else []),
    )  # fmt: skip
    synth_cells = ["reused" if r["synth_reused"] else f"{r['synth_seconds']:.1f} s" for r in runs]
    table.add_row("synth (apart)", *synth_cells, *([""] if growth else []))
    table.add_row("Gaia-like rows", *[f"{r['rows']['gaia']:,}" for r in runs], *([""] if growth else []))
    console.print(table, width=140)

    quality = Table(title=f"classification against the synthetic truth, scale {top['scale']:g}")
    for col in (
        "catalog",
        "sources",
        "accuracy",
        "bal. acc.",
        "CT >= 2",
        "acc. at CT >= 2",
        "flagged (acc.)",
    ):
        quality.add_column(col, justify="left" if col == "catalog" else "right")
    for xray, a in top["accuracy"].items():
        quality.add_row(
            xray,
            f"{a['scored']:,}",
            f"{a['accuracy']:.3f}",
            f"{a['balanced_accuracy']:.3f}",
            f"{a['confident_fraction']:.1%}",
            f"{a['confident_accuracy']:.3f}",
            f"{a['flagged']:,} ({a['flagged_accuracy']:.3f})" if a.get("flagged") else "",
        )
    console.print(quality, width=140)
    recall = Table(title="recall per class")
    recall.add_column("catalog")
    classes = list(next(iter(top["accuracy"].values()))["recall"])
    for c in classes:
        recall.add_column(c, justify="right")
    for xray, a in top["accuracy"].items():
        recall.add_row(xray, *[f"{a['recall'][c]:.2f}" for c in classes])
    console.print(recall, width=140)
    console.print(f"targets met {result['targets_met']}; written {out} and {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
