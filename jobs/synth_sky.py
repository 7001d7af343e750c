"""``muwclass synth``: write the deterministic synthetic CSC-like sky (same seed, same bytes).

Output goes to ``<work_dir>/<synth.out>`` (build/synthetic/synth with conf/synthetic-sky.yaml), which
conf/synthetic-sky.yaml imports with ``muwclass import --conf conf/synthetic-sky.yaml``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from muwclass.config import load_run_config
from muwclass.progress import console


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"scale must be > 0, got {text}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", type=_positive, default=None, help="fraction of the full 317,000-source sky (default: from config, 1.0)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: from config, 42)")
    p.add_argument("--out", default=None, help="output directory (default: <work_dir>/synth)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    from muwclass.synth import generate_sky

    conf = args.conf or str(Path(__file__).resolve().parents[1] / "conf" / "synthetic-sky.yaml")
    cfg = load_run_config(conf, data_dir=args.data_dir, work_dir=args.work_dir)
    scale = args.scale if args.scale is not None else cfg.synth.scale
    seed = args.seed if args.seed is not None else cfg.synth.seed
    out = Path(args.out) if args.out else cfg.synth_dir
    summary = generate_sky(out, scale=scale, seed=seed, data_dir=cfg.data_dir, progress=not args.no_progress)
    console.print(f"synthetic sky (scale {scale}, seed {seed}) written to {out}")
    console.print({k: v for k, v in summary.items() if k != "files"})
    return 0
