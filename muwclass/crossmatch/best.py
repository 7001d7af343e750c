"""From all candidates to one row per X-ray source, and cross-catalog consistency.

Pure pandas/numpy: the job hands in the long candidate tables (one per MW catalog) and gets
back the best counterpart of each X-ray source in each catalog, with ``p_any``, ``p_i``,
the number of candidates, and a flag where the chosen counterparts of different catalogs are
not at the same place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from muwclass.config.schema import SURVEYS
from muwclass.crossmatch import likelihood as lk

#: MW columns that get a catalog prefix in the per-source table (photometry keeps its name).
PREFIXED = (
    "source_id",
    "ra",
    "dec",
    "err_maj",
    "err_min",
    "err_pa",
    "epoch",
    "pmra",
    "pmdec",
    "e_pmra",
    "e_pmdec",
    "flags",
)


_TEXT, _BOOL = pd.ArrowDtype(pa.large_string()), pd.ArrowDtype(pa.bool_())  # lsdb's own dtypes

STAT_COLUMNS = {"_sep_arcsec": "sep", "_p_any": "p_any", "_p_i": "p_i", "_n_cand": "n_cand"}

#: MW columns the classification reads, kept for the runner-up candidate too (``<c>_alt``;
#: astrometry ``<prefix>_alt_<c>``), so the Monte-Carlo confidence can draw the counterpart
#: among the two most probable candidates (and none) by their posteriors.
ALT_VALUES = (
    *(c for bands in SURVEYS.values() for b in bands for c in (b, f"e_{b}")),
    "parallax",
    "e_parallax",
    "rgeo",
    "pmra",
    "pmdec",
)


def alt_name(column: str, prefix: str, left_columns) -> str:
    """Where the runner-up's ``column`` goes in the per-source table."""
    if column in PREFIXED:
        return f"{prefix}_alt_{column}"
    return f"{prefix}_{column}_alt" if column in left_columns else f"{column}_alt"


def reduce_to_best(
    part: pd.DataFrame, prefix: str, mw_columns: list[str], left_columns: list[str]
) -> pd.DataFrame:
    """One row per X-ray source from a left-joined candidate partition.

    ``part`` holds the X-ray columns unsuffixed, the MW columns suffixed ``_<prefix>`` and the
    algorithm's ``_``-columns; sources without a candidate have nulls there. The chosen
    candidate is the highest posterior (ties broken by MW id, so the choice is deterministic).
    Photometry an earlier catalog already supplied (AllWISE's W1 when CatWISE comes next)
    is kept; this catalog's goes to ``<prefix>_<band>`` for :func:`merge_fallback`.
    """
    sid_mw = f"source_id_{prefix}"
    order = part.assign(_rank=part["_post"].fillna(-1.0)).sort_values(
        ["source_id", "_rank", sid_mw], ascending=[True, False, True], kind="stable", na_position="last"
    )
    best = order.drop_duplicates("source_id")
    out = best[left_columns].copy()
    for c in mw_columns:
        if f"{c}_{prefix}" in best.columns:
            out[f"{prefix}_{c}" if c in PREFIXED or c in left_columns else c] = best[f"{c}_{prefix}"]
    for src, name in STAT_COLUMNS.items():
        out[f"{prefix}_{name}"] = best[src]
    out[f"{prefix}_n_cand"] = out[f"{prefix}_n_cand"].fillna(0)
    # the runner-up: second highest posterior of the same source, if any
    second = (
        order[order.duplicated("source_id") & order[sid_mw].notna()]
        .drop_duplicates("source_id")
        .set_index("source_id")
    )
    alt = second.reindex(best["source_id"].to_numpy())
    alt.index = out.index
    out[f"{prefix}_alt_source_id"] = alt[sid_mw]
    out[f"{prefix}_alt_post"] = alt["_post"]
    for c in ALT_VALUES:
        if c in mw_columns and f"{c}_{prefix}" in alt.columns:
            out[alt_name(c, prefix, left_columns)] = alt[f"{c}_{prefix}"]
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


def accepted(table: pd.DataFrame, prefix: str, xray_scale: float, mw_scale: float) -> np.ndarray:
    """MUWCLASS's positional acceptance (Yang et al. 2022): the chosen counterpart lies within
    the X-ray 95% radius combined with ``mw_scale`` x the MW 1-sigma error."""
    sep, xe, me = (
        table[c].to_numpy(dtype=float, na_value=np.nan)
        for c in (f"{prefix}_sep", "err_maj", f"{prefix}_err_maj")
    )
    with np.errstate(invalid="ignore"):
        return sep <= np.hypot(xray_scale * xe, mw_scale * np.nan_to_num(me))


def merge_fallback(
    table: pd.DataFrame,
    group: str,
    prefix: str,
    first: bool,
    bands: list[str],
    xray_scale: float,
    mw_scale: float,
) -> pd.DataFrame:
    """One survey's photometry from a list of catalogs in order of preference (WISE: AllWISE,
    then CatWISE, then unWISE): a catalog supplies ``bands`` where no earlier one has an
    accepted counterpart and its own is accepted; bands it lacks are then left empty, so a
    source's photometry never mixes two objects. ``<group>_from`` names the supplier
    (the first catalog where none is accepted), ``<group>_accepted`` says if it was."""
    out = table.copy()
    ok = accepted(out, prefix, xray_scale, mw_scale)
    if first:
        has = out[f"{prefix}_source_id"].notna().to_numpy()
        out[f"{group}_from"] = pd.Series(np.where(has, prefix, None), index=out.index, dtype=_TEXT)
        out[f"{group}_accepted"] = pd.Series(ok, index=out.index, dtype=_BOOL)
        return out
    take = ~out[f"{group}_accepted"].to_numpy(dtype=bool, na_value=False) & ok
    if take.any():
        for band in bands:
            if band not in out.columns:
                continue
            own = f"{prefix}_{band}"
            values = (
                out[own].to_numpy(dtype=float, na_value=np.nan)
                if own in out.columns
                else np.full(len(out), np.nan)
            )
            merged = np.where(take, values, out[band].to_numpy(dtype=float, na_value=np.nan))
            out[band] = pd.Series(merged, index=out.index, dtype=out[band].dtype)
        from_ = out[f"{group}_from"].to_numpy(dtype=object, na_value=None)
        from_[take] = prefix
        out[f"{group}_from"] = pd.Series(from_, index=out.index, dtype=_TEXT)
        out[f"{group}_accepted"] = pd.Series(
            out[f"{group}_accepted"].to_numpy(dtype=bool, na_value=False) | take, index=out.index, dtype=_BOOL
        )
    return out
