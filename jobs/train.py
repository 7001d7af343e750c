"""``muwclass train``: fit the model family (one pipeline per nH bin) and save it with provenance.

Models land in ``<work_dir>/models/<model id>/`` (``model.joblib`` + ``provenance.json``:
training-set hashes, model configuration, nH of the absorption correction, feature list,
package versions). A model with the same provenance is reused unless ``--force``.
"""

from __future__ import annotations

import argparse
import json

from muwclass.config import load_run_config
from muwclass.progress import console
from muwclass.training import fit_family


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default", help="model name from `models` (default: default)")
    p.add_argument("--force", action="store_true", help="refit even if a model with the same provenance exists")


def main(args: argparse.Namespace) -> int:
    cfg = load_run_config(args.conf, data_dir=args.data_dir, work_dir=args.work_dir)
    family = fit_family(cfg, args.model, force=args.force)
    index = cfg.models_dir / f"{args.model}.json"
    index.write_text(json.dumps({str(k): v.name for k, v in family.items()}, indent=2) + "\n")
    console.print(f"model family '{args.model}': {len(family)} nH bin(s), index {index}")
    return 0
