"""A versioned, self-describing release of the classified catalog, written atomically.

``build/release/<version>/`` holds the classified catalog as HATS (``lsdb.read_hats``), FITS
and CSV, the quarantine table, the most unusual confident sources, ``manifest.json`` (inputs
with hashes, models with provenance, configuration, code version, row counts, timings), a
model card and plots. Everything is written into a hidden partial directory that is renamed
into place at the end; the ``latest`` symlink moves only after that, so a crashed run leaves
the previous release untouched and no half-written version.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd

from muwclass.errors import ReleaseError
from muwclass.io.atomic import point_latest, publish
from muwclass.io.writers import write_table
from muwclass.release.model_card import EVALUATION_FILES

UNUSUAL_TOP = 25


def unusual_sources(classified: pd.DataFrame, top: int = UNUSUAL_TOP) -> pd.DataFrame:
    """Confident classifications that are farthest from every training class."""
    confident = classified[classified["confident"].fillna(False).astype(bool)]
    return confident.sort_values("outlier_score", ascending=False).head(top)


def write_release(
    release_root: Path,
    version: str,
    classified: pd.DataFrame,
    quarantine: pd.DataFrame,
    manifest: dict,
    model_card: str,
    force: bool = False,
    evaluation: Path | None = None,
) -> Path:
    """Write ``release_root/version`` atomically and point ``latest`` at it; return its path.
    ``evaluation``: the directory of the evaluation the model card describes (its metrics and
    plots are copied into ``evaluation/``)."""
    n_in = manifest["rows"]["in"]
    if len(classified) + len(quarantine) != n_in:
        raise ReleaseError(
            f"rows in {n_in} != classified {len(classified)} + quarantined {len(quarantine)}: not releasing"
        )
    final = release_root / version
    if final.exists() and not force:
        raise ReleaseError(f"release {final} exists (choose another --release-version or pass --force)")
    release_root.mkdir(parents=True, exist_ok=True)
    for stale in release_root.glob(".*.partial-*"):  # left by a crashed run
        shutil.rmtree(stale, ignore_errors=True)
    partial = release_root / f".{version}.partial-{os.getpid()}"
    partial.mkdir(parents=True)
    t0 = time.perf_counter()
    _write_tables(partial, classified, quarantine)
    _write_plots(partial, classified)
    (partial / "model_card.md").write_text(model_card)
    if evaluation is not None:
        (partial / "evaluation").mkdir()
        for name in EVALUATION_FILES:
            if (evaluation / name).is_file():
                shutil.copy2(evaluation / name, partial / "evaluation" / name)
    manifest = {
        **manifest,
        "files": sorted(p.name for p in partial.iterdir()),
        "release_write_seconds": round(time.perf_counter() - t0, 2),
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    publish(partial, final, "release")
    point_latest(release_root, version)
    return final


def _write_tables(out: Path, classified: pd.DataFrame, quarantine: pd.DataFrame) -> None:
    import lsdb

    catalog = lsdb.from_dataframe(
        classified.drop(columns=["_healpix_29"], errors="ignore").reset_index(drop=True),
        ra_column="ra",
        dec_column="dec",
        catalog_name="muwclass",
    )
    catalog.write_catalog(out / "hats")
    write_table(classified, out / "classified.csv")
    write_table(classified, out / "classified.fits")
    write_table(quarantine, out / "quarantine.csv")
    write_table(unusual_sources(classified), out / "unusual.csv")


def _write_plots(out: Path, classified: pd.DataFrame) -> None:
    from muwclass.io.figures import class_counts, ct_distribution, galactic_sky_map

    class_counts(classified, out / "class_counts.png")
    galactic_sky_map(classified, out / "sky_map_galactic.png")
    ct_distribution(classified, out / "ct_distribution.png")
