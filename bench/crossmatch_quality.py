"""Crossmatch quality against the synthetic sky's truth: completeness / false-match rate vs the
p_any threshold and a reliability diagram, per X-ray catalog and MW catalog.

    python -m bench.crossmatch_quality --work-dir build/bench [--conf conf/synthetic-sky-xmm.yaml]

Runs `muwclass crossmatch` on the imported synthetic sky (``python -m bench.run`` makes it)
and writes bench/results/crossmatch-quality.json plus two PNGs per X-ray catalog
(``crossmatch-reliability-<xray>.png``, ``crossmatch-thresholds-<xray>.png``).
"""

from __future__ import annotations

import argparse
import json

import lsdb

from bench.run import RESULTS
from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.crossmatch.run_crossmatch import run_crossmatch as crossmatch
from muwclass.crossmatch.validation import against_truth
from muwclass.io.figures import reliability_diagram, threshold_curves
from muwclass.runtime.progress import console
from muwclass.runtime.sessions import dask_client
from muwclass.synth.sky import read_truth


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work-dir", default=str(REPO_ROOT / "build" / "bench"))
    p.add_argument(
        "--conf",
        default=str(REPO_ROOT / "conf" / "synthetic-sky.yaml"),
        help="the synthetic sky's run configuration (conf/synthetic-sky-xmm.yaml: CSC and 3XMM)",
    )
    p.add_argument("--reuse", action="store_true", help="analyse the existing hats/xmatch_<xray> catalogs")
    args = p.parse_args(argv)
    cfg = load_run_config(args.conf, work_dir=args.work_dir)
    x = cfg.crossmatch
    if args.reuse:
        reports = {k: json.loads(cfg.layout.crossmatch_report(k).read_text()) for k in x.xray}
    else:
        with dask_client(cfg.dask, local_directory=cfg.layout.dask) as client:
            reports = crossmatch(cfg, client)
    RESULTS.mkdir(parents=True, exist_ok=True)
    results, figures = {}, []
    for xray in x.xray:
        best = lsdb.read_hats(cfg.layout.xmatch(xray)).compute().set_index("source_id")
        truth = read_truth(cfg.layout.synth, xray)
        quality = against_truth(best, truth, x.targets)
        figures.append(
            reliability_diagram(
                {t: q["reliability"] for t, q in quality.items()},
                RESULTS / f"crossmatch-reliability-{xray}.png",
                f"synthetic sky, {xray.upper()}: posterior calibration",
            )
        )
        figures.append(
            threshold_curves(
                {t: q["curve"] for t, q in quality.items()},
                RESULTS / f"crossmatch-thresholds-{xray}.png",
                f"synthetic sky, {xray.upper()}: completeness / false matches",
            )
        )
        results[xray] = {"crossmatch": reports[xray], "quality": quality}
        for t, q in quality.items():
            op = q["at_false_rate_2pct"]
            console.print(
                f"{xray} x {t}: at <= 2% false matches, completeness {op['completeness']:.3f} "
                f"(p_any >= {op['threshold']}); at p_any >= 0.5: {q['at_p_any_0.5']}"
            )
    out = RESULTS / "crossmatch-quality.json"
    out.write_text(json.dumps({**results, "figures": [str(f) for f in figures]}, indent=2))
    console.print(f"written {out} and {len(figures)} figures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
