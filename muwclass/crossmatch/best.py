"""From all candidates to one row per X-ray source, and cross-catalog consistency.

Pure pandas/numpy: the job hands in the long candidate tables (one per MW catalog) and gets
back the best counterpart of each X-ray source in each catalog, with ``p_any``, ``p_i``,
the number of candidates, and a flag where the chosen counterparts of different catalogs are
not at the same place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from muwclass.crossmatch import likelihood as lk

#: MW columns that get a catalog prefix in the per-source table (photometry keeps its name).
PREFIXED = ("source_id", "ra", "dec", "err_maj", "err_min", "err_pa", "epoch", "pmra", "pmdec",
            "e_pmra", "e_pmdec", "flags")


STAT_COLUMNS = {"_sep_arcsec": "sep", "_p_any": "p_any", "_p_i": "p_i", "_n_cand": "n_cand"}


def reduce_to_best(part: pd.DataFrame, prefix: str, mw_columns: list[str], left_columns: list[str]) -> pd.DataFrame:
    """One row per X-ray source from a left-joined candidate partition.

    ``part`` holds the X-ray columns unsuffixed, the MW columns suffixed ``_<prefix>`` and the
    algorithm's ``_``-columns; sources without a candidate have nulls there. The chosen
    candidate is the highest posterior (ties broken by MW id, so the choice is deterministic).
    """
    sid_mw = f"source_id_{prefix}"
    order = part.assign(_rank=part["_post"].fillna(-1.0)).sort_values(
        ["source_id", "_rank", sid_mw], ascending=[True, False, True], kind="stable", na_position="last"
    )
    best = order.drop_duplicates("source_id")
    out = best[left_columns].copy()
    for c in mw_columns:
        if f"{c}_{prefix}" in best.columns:
            out[f"{prefix}_{c}" if c in PREFIXED else c] = best[f"{c}_{prefix}"]
    for src, name in STAT_COLUMNS.items():
        out[f"{prefix}_{name}"] = best[src]
    out[f"{prefix}_n_cand"] = out[f"{prefix}_n_cand"].fillna(0)
    return out


def flag_conflicts(table: pd.DataFrame, prefixes: list[str], nsigma: float, systematic: float) -> pd.Series:
    """True where two chosen counterparts (both present) are > nsigma apart."""
    conflict = np.zeros(len(table), bool)
    for i, a in enumerate(prefixes):
        for b in prefixes[i + 1 :]:
            cols = [f"{p}_{c}" for p in (a, b) for c in ("ra", "dec", "err_maj")]
            if not all(c in table.columns for c in cols):
                continue
            ra1, de1, e1, ra2, de2, e2 = (table[c].to_numpy(dtype=float, na_value=np.nan) for c in cols)
            dx, dy = lk.tangent_offsets(ra1, de1, ra2, de2)
            sigma = np.sqrt(e1**2 + e2**2 + 2 * systematic**2)
            with np.errstate(invalid="ignore"):
                conflict |= np.hypot(dx, dy) > nsigma * sigma
    return pd.Series(conflict, index=table.index, name="mw_conflict")
