"""Crossmatch quality against the synthetic sky's truth: completeness / false-match rate vs the
p_any threshold and a reliability diagram, per MW catalog.

    python -m bench.crossmatch_quality --work-dir build/bench

Runs `muwclass crossmatch` on the imported synthetic sky (``python -m bench.run`` makes it)
and writes bench/results/crossmatch-quality.json plus two PNGs.
"""

from __future__ import annotations

import argparse
import json

import lsdb
import numpy as np
import pandas as pd

from bench.run import RESULTS
from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.crossmatch.run_crossmatch import run_crossmatch as crossmatch
from muwclass.crossmatch.validation import best_operating_point, reliability, threshold_curve
from muwclass.io.figures import reliability_diagram, threshold_curves
from muwclass.runtime.progress import console
from muwclass.runtime.sessions import dask_client

TRUTH_COLUMN = {"gaia": "gaia_Source", "tmass": "tmass_2MASS", "allwise": "allwise_AllWISE"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work-dir", default=str(REPO_ROOT / "build" / "bench"))
    p.add_argument("--reuse", action="store_true", help="analyse an existing build/bench/hats/xmatch")
    args = p.parse_args(argv)
    cfg = load_run_config(REPO_ROOT / "conf" / "synthetic-sky.yaml", work_dir=args.work_dir)
    if args.reuse:
        report = json.loads((cfg.layout.crossmatch_report).read_text())
    else:
        with dask_client(cfg.dask, local_directory=cfg.layout.dask) as client:
            report = crossmatch(cfg, client)
    x = lsdb.read_hats(cfg.layout.xmatch).compute().set_index("source_id")
    truth = pd.read_parquet(cfg.layout.synth / "truth.parquet").set_index("name").loc[x.index]
    thresholds = np.round(np.linspace(0.05, 0.99, 48), 3)
    curves, rel, summary = {}, {}, {}
    for target in cfg.crossmatch.targets:
        true_id = truth[TRUTH_COLUMN[target]].astype("string").to_numpy(dtype=object, na_value=None)
        chosen = x[f"{target}_source_id"].astype("string").to_numpy(dtype=object, na_value=None)
        has = np.array([t is not None for t in true_id])
        correct = np.array([c is not None and c == t for c, t in zip(chosen, true_id, strict=True)])
        curves[target] = threshold_curve(
            x[f"{target}_p_any"].to_numpy(float, na_value=np.nan), correct, has, thresholds
        )
        post = (x[f"{target}_p_any"] * x[f"{target}_p_i"]).to_numpy(float, na_value=np.nan)
        rel[target] = reliability(post, correct)
        summary[target] = {
            "sources_with_true_counterpart": int(has.sum()),
            "at_false_rate_2pct": best_operating_point(curves[target], 0.02),
            "at_p_any_0.5": best_operating_point(
                {
                    k: [v[i] for i in [int(np.argmin(np.abs(thresholds - 0.5)))]]
                    for k, v in curves[target].items()
                },
                1.0,
            ),
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    png1 = reliability_diagram(
        rel, RESULTS / "crossmatch-reliability.png", "synthetic sky: posterior calibration"
    )
    png2 = threshold_curves(
        curves, RESULTS / "crossmatch-thresholds.png", "synthetic sky: completeness / false matches"
    )
    out = RESULTS / "crossmatch-quality.json"
    out.write_text(
        json.dumps(
            {
                "crossmatch": report,
                "summary": summary,
                "curves": curves,
                "reliability": rel,
                "figures": [str(png1), str(png2)],
            },
            indent=2,
        )
    )
    for t, s in summary.items():
        op = s["at_false_rate_2pct"]
        console.print(
            f"{t}: at <= 2% false matches, completeness {op['completeness']:.3f} (p_any >= {op['threshold']}); at p_any >= 0.5: {s['at_p_any_0.5']}"
        )
    console.print(f"written {out}, {png1.name}, {png2.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
