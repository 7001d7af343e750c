"""Evaluation benchmark: our default model vs the published MUWCLASS numbers, in one run.

    python -m bench.evaluation [--skip-loo]

1. 10-fold CV (same folds) of ``default`` and the comparison models of ``conf/default.yaml``
   (``muwclass2022``: physical oversampling + SMOTE + 300-tree RF, the paper's recipe;
   ``hgb``: class-balanced HistGradientBoosting), through ``muwclass evaluate`` on Spark.
2. Exact leave-one-out of ``default`` (2941 fits) on Spark.
The published recipe's LOO time is estimated from its measured per-fit time (running it takes
hours). Writes bench/results/evaluation.json and prints a table with targets and ratios.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from rich.table import Table

from bench.memory import PeakRSS
from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.evaluation.run_evaluate import run_evaluate as evaluate
from muwclass.runtime.progress import console

RESULTS = REPO_ROOT / "bench" / "results"
#: Yang et al. 2022, LOO on TD_Yang2022.csv
PUBLISHED = {
    "accuracy": 0.886,
    "balanced_accuracy": 0.702,
    "recall": {
        "AGN": 0.925,
        "YSO": 0.935,
        "LM-STAR": 0.860,
        "HM-STAR": 0.720,
        "NS": 0.678,
        "HMXB": 0.692,
        "CV": 0.545,
        "LMXB": 0.262,
    },
}
TARGETS = {"loo_balanced_accuracy": 0.75, "loo_accuracy": 0.89, "loo_minutes": 30.0, "kfold_minutes": 3.0}
COMPARED = ["default", "muwclass2022", "hgb"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--conf", default=None)
    p.add_argument("--skip-loo", action="store_true", help="10-fold only (minutes instead of half an hour)")
    args = p.parse_args(argv)
    cfg = load_run_config(args.conf)
    out_root = cfg.layout.bench("evaluation")
    result: dict = {
        "machine": {"cpus": _cpus(), "python": platform.python_version()},
        "published": PUBLISHED,
        "targets": TARGETS,
    }

    with PeakRSS() as mem:
        t0 = time.perf_counter()
        kfold = evaluate(cfg, 10, COMPARED, out_root / "10-fold", permutation_repeats=0)
    result["kfold"] = {name: _summary(m) for name, m in kfold["models"].items()}
    result["kfold"]["wall_seconds_all_models"] = round(time.perf_counter() - t0, 1)
    result["kfold_peak_rss_gib"] = mem.peak_gib
    recipe = kfold["models"]["muwclass2022"]
    # per fit on 9/10 of the data, 2 fits in parallel: a LOO is n fits on all but one source
    n = sum(v["support"] for v in recipe["per_class"].values())
    result["muwclass2022_loo_minutes_estimate"] = round(recipe["wall_seconds"] / 10 * n / 60, 1)

    if not args.skip_loo:
        with PeakRSS() as mem:
            loo = evaluate(cfg, "loo", ["default"], out_root / "loo", permutation_repeats=0)
        result["loo"] = {**_summary(loo), "peak_rss_gib": mem.peak_gib}
        result["loo"]["vs_published"] = {
            "accuracy": round(loo["accuracy"] - PUBLISHED["accuracy"], 3),
            "balanced_accuracy": round(loo["balanced_accuracy"] - PUBLISHED["balanced_accuracy"], 3),
        }
        result["targets_met"] = {
            "loo_balanced_accuracy": loo["balanced_accuracy"] >= TARGETS["loo_balanced_accuracy"],
            "loo_accuracy": loo["accuracy"] >= TARGETS["loo_accuracy"],
            "loo_minutes": loo["wall_seconds"] / 60 <= TARGETS["loo_minutes"],
            "kfold_minutes": kfold["models"]["default"]["wall_seconds"] / 60 <= TARGETS["kfold_minutes"],
        }
        result["loo_speedup_vs_muwclass2022_estimate"] = round(
            result["muwclass2022_loo_minutes_estimate"] * 60 / loo["wall_seconds"], 1
        )

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "evaluation.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    _print(result)
    console.print(f"written {path}")
    return 0


def _summary(m: dict) -> dict:
    return {
        "accuracy": round(m["accuracy"], 4),
        "balanced_accuracy": round(m["balanced_accuracy"], 4),
        "macro_f1": round(m["macro_f1"], 4),
        "log_loss": round(m["log_loss"], 4),
        "wall_seconds": m["wall_seconds"],
        "recall": {c: round(v["recall"], 3) for c, v in m["per_class"].items()},
    }


def _print(result: dict) -> None:
    classes = list(PUBLISHED["recall"])
    table = Table(title="evaluation on TD_Yang2022.csv (2941 sources)")
    for col in ["run", "accuracy", "bal. acc.", "minutes", *classes]:
        table.add_column(col, justify="right")
    rows = [
        (
            "published LOO (Yang+22)",
            PUBLISHED["accuracy"],
            PUBLISHED["balanced_accuracy"],
            None,
            PUBLISHED["recall"],
        )
    ]
    if "loo" in result:
        r = result["loo"]
        rows.append(
            ("default, LOO", r["accuracy"], r["balanced_accuracy"], r["wall_seconds"] / 60, r["recall"])
        )
    for name, r in result["kfold"].items():
        if isinstance(r, dict):
            rows.append(
                (
                    f"{name}, 10-fold",
                    r["accuracy"],
                    r["balanced_accuracy"],
                    r["wall_seconds"] / 60,
                    r["recall"],
                )
            )
    for name, acc, bal, minutes, recall in rows:
        table.add_row(
            name,
            f"{acc:.3f}",
            f"{bal:.3f}",
            "" if minutes is None else f"{minutes:.1f}",
            *(f"{recall.get(c, float('nan')):.2f}" for c in classes),
        )
    console.print(table, width=170)
    console.print(
        f"published recipe (muwclass2022) LOO estimated at {result['muwclass2022_loo_minutes_estimate']} min from its per-fit time"
    )
    if "targets_met" in result:
        console.print(f"targets {TARGETS}: met {result['targets_met']}")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    raise SystemExit(main())
