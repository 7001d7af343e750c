"""What a release's ``manifest.json`` records besides its rows: code version and class counts.

The manifest names everything needed to reproduce or audit a release: the code version (git
description), inputs with sha256 (:func:`muwclass.io.hashing.hash_inputs`), models with
provenance, configuration, row counts per class and timings.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from muwclass import __version__


def code_version(repo: Path) -> str:
    try:
        sha = subprocess.run(
            ["git", "-C", str(repo), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        sha = "unknown"
    return f"muwclass {__version__} ({sha})"


def row_counts(by_catalog: dict[str, dict[str, int]]) -> dict:
    """The manifest's ``rows``: in, classified and quarantined over all X-ray catalogs, and
    ``by_catalog``, each catalog's own (the release checks in = classified + quarantined)."""
    totals = {k: sum(r[k] for r in by_catalog.values()) for k in ("in", "classified", "quarantined")}
    return {**totals, "by_catalog": by_catalog}


def counts_by_class(classified: pd.DataFrame) -> dict[str, dict[str, int]]:
    out = {}
    for cls, g in classified.groupby("Class"):
        out[str(cls)] = {
            "all": int(len(g)),
            "confident": int(np.sum(g["confident"].fillna(False).astype(bool))),
        }
    return out
