"""Classify one field in memory: crossmatch on small lsdb catalogs, the field's own model.

The field-specific absorption correction of MUWCLASS: all sources of a field are seen
through (about) the same Galactic column, so the training set is absorbed to that one nH
(the configured value, else the median CSC ``nh_gal`` of the field) and one model is fitted
(or reused) for it, instead of picking among the catalog job's nH bins.
"""

from __future__ import annotations

import warnings

import lsdb
import numpy as np
import pandas as pd

from muwclass.classification.absorption import NH_GAL_UNIT
from muwclass.classification.family import ModelFamily, field_family
from muwclass.classification.inputs import to_model_input
from muwclass.classification.predict import classify_rows
from muwclass.config.run import RunConfig
from muwclass.crossmatch.chain import crossmatch_chain
from muwclass.errors import ConfigError
from muwclass.field.data import FieldCatalogs
from muwclass.runtime.progress import console

FIELD_PARTITION_ROWS = 1_000_000


def field_nh(cfg: RunConfig, xray: pd.DataFrame) -> tuple[float, str]:
    """(nH in cm^-2, where it came from)."""
    if cfg.field.nh is not None:
        return cfg.field.nh, "field.nh"
    nh_gal = pd.to_numeric(xray["nh_gal"], errors="coerce") if "nh_gal" in xray else pd.Series(dtype=float)
    if nh_gal.notna().any():
        return float(nh_gal.median()) * NH_GAL_UNIT, f"median nh_gal of {int(nh_gal.notna().sum())} sources"
    raise ConfigError(
        f"{cfg.source_file}: the X-ray catalog of field {cfg.field.name} has no nh_gal: "
        "give the Galactic column density toward the field as field.nh (cm^-2)"
    )


def crossmatch_field(cfg: RunConfig, cats: FieldCatalogs) -> pd.DataFrame:
    """The catalog job's crossmatch (same algorithm, same best-counterpart table) on
    catalogs built in memory; an empty MW catalog simply contributes no counterparts."""
    x = cfg.crossmatch
    margin = max(x.max_radius_arcsec, x.density_radius_arcsec)
    # A field fits in one partition: large partitions, coarse order (margins are then cheap).
    opts = {
        "ra_column": "ra",
        "dec_column": "dec",
        "partition_rows": FIELD_PARTITION_ROWS,
        "highest_order": 5,
    }
    xray = lsdb.from_dataframe(cats.xray, catalog_name=x.main_xray, margin_threshold=None, **opts)
    mws = {}
    for key, rows in cats.mw.items():
        if rows.empty:
            console.print(
                f"[yellow]field: catalog '{key}' has no rows in this field: no {key} counterparts[/]"
            )
            continue
        mws[key] = lsdb.from_dataframe(rows, catalog_name=key, margin_threshold=None, **opts)
        if mws[key].get_healpix_pixels() != xray.get_healpix_pixels():
            # The field straddles partitions: margins so edge sources see all their neighbours
            # (building them JIT-compiles lsdb's margin search, ~10 s, hence only when needed).
            mws[key] = lsdb.from_dataframe(rows, catalog_name=key, margin_threshold=margin, **opts)
    if not mws:
        return cats.xray.copy()
    with warnings.catch_warnings():  # margins were skipped on purpose where all is one partition
        warnings.filterwarnings("ignore", message="Right catalog does not have a margin cache")
        table = crossmatch_chain(x, xray, mws).best.compute(progress_bar=False)
    if len(table) != len(cats.xray):  # pragma: no cover - accounting guard
        raise AssertionError(f"crossmatch returned {len(table)} rows for {len(cats.xray)} X-ray sources")
    return pd.DataFrame(table).reset_index(drop=True)


def classify_field(
    cfg: RunConfig, matched: pd.DataFrame, nh: float, draws: int
) -> tuple[pd.DataFrame, pd.DataFrame, ModelFamily]:
    """(classified rows, quarantined rows with reasons, the field's model family)."""
    family = field_family(cfg, cfg.field.model, nh)
    rows = to_model_input(matched)
    # one model for the field, trained at the field's nH: every source is seen through it
    classified, quarantine = classify_rows(rows, family, np.full(len(rows), nh), draws, cfg.confidence.seed)
    return classified, quarantine, family
