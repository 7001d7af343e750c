"""Crossmatched catalog rows (``hats/xmatch_<xray>``) -> the internal schema the models classify.

The crossmatch keeps photometry under its plain names (G, J, W1, ...) and prefixes
astrometry and match statistics by catalog. The models need the total proper motion, the
probability that each listed counterpart is the true one (p_any x p_i) and nH in cm^-2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from muwclass.classification.absorption import NH_GAL_UNIT
from muwclass.classification.confidence import ALT_PROBABILITY, MATCH_PROBABILITY, alt_columns
from muwclass.classification.features import FeatureSet, error_pairs, input_columns

#: survey of the features -> crossmatch prefixes that can supply it, in order of preference
SURVEY_PREFIXES = {"gaia": ("gaia",), "2mass": ("tmass",), "wise": ("allwise", "catwise", "unwise")}


#: crossmatch columns every classification reads besides the features' own inputs
BASE_COLUMNS = (
    "source_id",
    "ra",
    "dec",
    "nh_gal",
    "gaia_pmra",
    "gaia_pmdec",
    "gaia_alt_pmra",
    "gaia_alt_pmdec",
)


def required_columns(available: list[str], feature_sets: list[FeatureSet], keep: list[str] = ()) -> list[str]:
    """The crossmatch columns classification needs (plus ``keep``), in ``available`` order:
    what has to travel to the workers; the catalog's other columns (MW ids, astrometry,
    flags) can stay behind."""
    need = set(BASE_COLUMNS) | set(keep) | {c for pair in error_pairs() for c in pair} | set(alt_columns())
    for fs in feature_sets:
        need |= set(input_columns(fs))
    for survey, prefixes in SURVEY_PREFIXES.items():
        need |= {f"{p}_{stat}" for p in prefixes for stat in ("p_any", "p_i", "alt_post")} | {
            f"{survey}_from"
        }
    return [c for c in available if c in need]


def to_model_input(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``pm``, ``p_match_<survey>`` and ``nh`` (cm^-2) to crossmatch rows (a copy)."""
    out = frame.copy()
    for pm, prefix in (("pm", "gaia"), ("pm_alt", "gaia_alt")):
        if f"{prefix}_pmra" in out and f"{prefix}_pmdec" in out:
            out[pm] = np.hypot(
                pd.to_numeric(out[f"{prefix}_pmra"], errors="coerce"),
                pd.to_numeric(out[f"{prefix}_pmdec"], errors="coerce"),
            )
    for survey, prefixes in SURVEY_PREFIXES.items():
        present = [p for p in prefixes if f"{p}_p_any" in out and f"{p}_p_i" in out]
        if not present:
            continue
        # the catalog that supplied the survey's photometry (crossmatch photometry_fallback)
        source = (
            out[f"{survey}_from"].fillna(present[0]).to_numpy(dtype=object)
            if f"{survey}_from" in out
            else np.full(len(out), present[0], dtype=object)
        )
        p, p_alt = np.full(len(out), np.nan), np.zeros(len(out))
        for prefix in present:
            rows = source == prefix
            p_any, p_i = (
                pd.to_numeric(out[f"{prefix}_{s}"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                for s in ("p_any", "p_i")
            )
            p[rows] = (p_any * p_i)[rows]
            if f"{prefix}_alt_post" in out:
                p_alt[rows] = pd.to_numeric(out[f"{prefix}_alt_post"], errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan
                )[rows]
        out[MATCH_PROBABILITY[survey]] = np.clip(np.nan_to_num(p, nan=1.0), 0.0, 1.0)
        out[ALT_PROBABILITY[survey]] = np.clip(np.nan_to_num(p_alt, nan=0.0), 0.0, 1.0)
    nh = (
        pd.to_numeric(out["nh_gal"], errors="coerce") * NH_GAL_UNIT
        if "nh_gal" in out
        else pd.Series(0.0, index=out.index)
    )
    out["nh"] = nh.to_numpy(dtype=float)
    return out
