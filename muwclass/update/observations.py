"""New observations in: one per-source table per Chandra observation, read through a catalog
definition (``catalogs/cxo_ae_obs.yaml`` for ACIS Extract results, ``csc_per_obs`` for CSC
per-observation tables) with the import's row rules, so every row is either a detection or a
quarantine row with its reason (``rows in = detections + quarantined``).

The ObsID comes from the table (``obsid`` column) or, for ACIS Extract tables, which carry
none, from the file name (``21137_results.csv``). Two files of one update with the same ObsID
are an error, not a merge: one observation is one unit of change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from muwclass.config.catalog_definition import CatalogDefinition, load_catalog_definition
from muwclass.errors import InputError
from muwclass.ingest.staging import mapped_chunks
from muwclass.io.hashing import file_sha256
from muwclass.io.storage import as_path

#: digits of an ObsID at the start of a file name (``21137_results.csv``)
OBSID_IN_NAME = re.compile(r"^(\d+)(?:\D|$)")
FORMATS = {".csv": "csv", ".fits": "fits", ".fit": "fits", ".parquet": "parquet", ".xml": "votable"}


@dataclass
class Observation:
    """One new observation: its detections in the internal schema and what was set aside."""

    obsid: int
    path: Path
    sha256: str
    detections: pd.DataFrame  # internal schema + obsid; source_id is the table's own source number
    quarantine: pd.DataFrame
    rows_in: int

    def summary(self) -> dict:
        return {
            "obsid": self.obsid,
            "file": str(self.path),
            "sha256": self.sha256,
            "rows_in": self.rows_in,
            "detections": len(self.detections),
            "quarantined": len(self.quarantine),
        }


def obsid_from_name(path: Path) -> int | None:
    m = OBSID_IN_NAME.match(path.name)
    return int(m.group(1)) if m else None


def read_observation(path: Path, definition: CatalogDefinition) -> Observation:
    """One observation table -> :class:`Observation` (a clear error for a file that cannot be one)."""
    path = as_path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such observation file")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown table format (expected one of {sorted(FORMATS)})")
    goods, bads, rows_in = [], [], 0
    for chunk, good, bad in mapped_chunks(path, fmt, definition, 1_000_000):
        rows_in += len(chunk.frame) + len(chunk.bad)
        goods.append(good)
        bads.append(bad)
    detections = pd.concat(goods, ignore_index=True) if goods else pd.DataFrame()
    quarantine = pd.concat(bads, ignore_index=True) if bads else pd.DataFrame()
    if rows_in == 0:
        raise InputError(f"{path}: no rows")
    obsid = _obsid(path, detections)
    detections = detections.assign(obsid=np.int64(obsid))
    duplicated = detections["source_id"].duplicated(keep="first")
    if duplicated.any():
        first = detections.loc[duplicated, "source_id"].iloc[0]
        raise InputError(
            f"{path}: source {first!r} appears {int((detections['source_id'] == first).sum())} times "
            "(one row per source and observation expected)"
        )
    return Observation(obsid, path.resolve(), file_sha256(path), detections, quarantine, rows_in)


def _obsid(path: Path, detections: pd.DataFrame) -> int:
    if "obsid" in detections and detections["obsid"].notna().any():
        ids = pd.unique(detections["obsid"].dropna())
        if len(ids) != 1:
            raise InputError(
                f"{path}: {len(ids)} ObsIDs {sorted(map(int, ids))[:5]} in one file; give one file per observation"
            )
        return int(ids[0])
    obsid = obsid_from_name(path)
    if obsid is None:
        raise InputError(
            f"{path}: no 'obsid' column and no ObsID at the start of the file name (name it <obsid>_results.csv)"
        )
    return obsid


def read_observations(paths: list[Path], definition: str = "cxo_ae_obs") -> list[Observation]:
    """Every file of one update, checked together: one file per ObsID."""
    if not paths:
        raise InputError("no observation files given")
    d = load_catalog_definition(definition)
    if d.kind != "xray_detection":
        raise InputError(
            f"catalog definition {definition!r} is a {d.kind} catalog, not per-observation detections"
        )
    observations = [read_observation(as_path(p), d) for p in paths]
    seen: dict[int, Path] = {}
    for o in observations:
        if o.obsid in seen:
            raise InputError(f"ObsID {o.obsid} given twice: {seen[o.obsid]} and {o.path}")
        seen[o.obsid] = o.path
    return observations
