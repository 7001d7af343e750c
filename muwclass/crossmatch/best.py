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


def best_per_source(cands: pd.DataFrame, prefix: str, mw_columns: list[str]) -> pd.DataFrame:
    """Highest-posterior candidate of each X-ray source (index: X-ray ``source_id``)."""
    if cands.empty:
        return pd.DataFrame(index=pd.Index([], name="source_id", dtype="string"))
    order = cands.sort_values(["source_id", "_post", f"source_id_{prefix}"], ascending=[True, False, True], kind="stable")
    best = order.drop_duplicates("source_id").set_index("source_id")
    out = pd.DataFrame(index=best.index)
    for c in mw_columns:
        src = f"{c}_{prefix}" if f"{c}_{prefix}" in best.columns else c
        if src in best.columns:
            out[f"{prefix}_{c}" if c in PREFIXED else c] = best[src]
    out[f"{prefix}_sep"] = best["_sep_arcsec"]
    out[f"{prefix}_p_any"] = best["_p_any"]
    out[f"{prefix}_p_i"] = best["_p_i"]
    out[f"{prefix}_n_cand"] = best["_n_cand"]
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
