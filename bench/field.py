"""Field-mode benchmark: `muwclass field` on every shipped field, as a user runs it.

    python -m bench.field

Each field runs as its own `muwclass field` process (imports, catalog reading, in-memory
lsdb crossmatch incl. its numba compilation, model reuse, 100 Monte-Carlo draws, products),
after one warm-up run that fits the field models if they do not exist yet ("once a model
exists"). Reports wall time per field (target < 60 s on 2 cores), the stage times from the
field's summary.json and the peak RSS of the process. Writes bench/results/field.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from rich.table import Table

from bench.memory import PeakRSS
from muwclass.config.run import CONF_DIR, REPO_ROOT, load_run_config
from muwclass.runtime.progress import console

RESULTS = REPO_ROOT / "bench" / "results"
FIELDS = ("NGC3532", "IC2395", "IC2395_CXO", "3FGLJ1306.4-6043")
TARGET_SECONDS = 60.0


def _run(conf) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "muwclass.cli", "field", "--conf", str(conf)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"muwclass field --conf {conf} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fields", nargs="*", default=list(FIELDS))
    args = p.parse_args(argv)
    rows = {}
    for name in args.fields:
        conf = CONF_DIR / "fields" / f"{name}.yaml"
        _run(conf)  # warm-up: fits the field's model once
        with PeakRSS() as mem:
            seconds = _run(conf)
        cfg = load_run_config(conf)
        summary = json.loads((cfg.layout.field(name) / "summary.json").read_text())
        rows[name] = {
            "wall_seconds": round(seconds, 1),
            "stages_seconds": summary["seconds"],
            "sources": summary["classified"],
            "confident": summary["confident"],
            "draws": summary["draws"],
            "peak_rss_gib": mem.peak_gib,
            "under_target": seconds < TARGET_SECONDS,
        }
    result = {"target_seconds": TARGET_SECONDS, "fields": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "field.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    table = Table(title=f"muwclass field, one process per field (target < {TARGET_SECONDS:.0f} s)")
    for col in ("field", "sources", "wall s", "read", "crossmatch", "classify", "write", "peak GiB"):
        table.add_column(col, justify="right")
    for name, r in rows.items():
        s = r["stages_seconds"]
        table.add_row(
            name,
            str(r["sources"]),
            f"{r['wall_seconds']:.1f}",
            *(f"{s[k]:.1f}" for k in ("read", "crossmatch", "classify", "write")),
            f"{r['peak_rss_gib']:.2f}",
        )
    console.print(table)
    console.print(f"written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
