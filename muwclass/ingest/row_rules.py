"""One rule set for the rows of every command: ``import``, ``classify`` and ``field``.

A row is usable when its cells are what its columns promise. The rules, applied in this order,
give the first broken rule as the row's quarantine reason, naming the column as the input
file spells it (the caller passes the internal -> native name map):

1. a cell with text where a number belongs (``Fb='abc'``, ``Gmag='bright'``) is an error, not
   a missing value: "unparseable value 'abc' in column 'Fb'" (blank, ``nan``, ``null`` and
   ``--`` are missing values, which the models handle);
2. the id is present;
3. the position is finite and in range (0 <= ra < 360, -90 <= dec <= 90);
4. every number is finite (``inf`` is quarantined; NaN means "not measured") and inside the
   physical range of :data:`RANGES`: errors are never negative, magnitudes lie in
   [-10, 40], fluxes in [0, 1e-6] erg/s/cm2, probabilities in [0, 1]. The bounds are far
   outside what any real source has (Sirius is -1.4 in J; the brightest CSC source is below
   1e-8 erg/s/cm2), so they catch only corrupt values, which would otherwise overflow the
   float32 arithmetic of scikit-learn's trees (``Gmag = 1e300``) and kill a whole run.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from muwclass.config.schema import MW_BANDS, XRAY_BANDS

#: text that means "no value" in a numeric column
MISSING_TEXT = ("", "nan", "null", "none", "--")

_MAG = (-10.0, 40.0)
_MAG_ERROR = (0.0, 10.0)
_FLUX = (0.0, 1e-6)  # erg/s/cm2
#: internal column -> (lowest, highest) allowed finite value (both included, except ra < 360)
RANGES: dict[str, tuple[float, float]] = {
    "ra": (0.0, 360.0),
    "dec": (-90.0, 90.0),
    "err_maj": (0.0, 3600.0),  # arcsec
    "err_min": (0.0, 3600.0),
    "pos_err": (0.0, 3600.0),
    "epoch": (1850.0, 2200.0),
    "significance": (0.0, 1e7),
    # probabilities: rounding in the producers' arithmetic leaves values a few ulp above 1
    # (ACIS Extract's KP reaches 1.0000000000000004): accepted as they are
    "var_intra_prob": (0.0, 1.0 + 1e-9),
    "var_inter_prob": (0.0, 1.0 + 1e-9),
    "theta": (0.0, 60.0),  # arcmin off axis
    "net_counts": (0.0, 1e9),
    "nh_gal": (0.0, 1e6),  # 1e20 cm-2
    **{f"flux_{b}": _FLUX for b in XRAY_BANDS},
    **{f"e_flux_{b}": _FLUX for b in XRAY_BANDS},
    **{b: _MAG for b in MW_BANDS},
    **{f"e_{b}": _MAG_ERROR for b in MW_BANDS},
    "pmra": (-1e5, 1e5),  # mas/yr; Barnard's star moves 1e4
    "pmdec": (-1e5, 1e5),
    "e_pmra": (0.0, 1e5),
    "e_pmdec": (0.0, 1e5),
    "pm": (0.0, 1e5),
    "parallax": (-1e4, 1e4),  # mas; Proxima Cen has 768
    "e_parallax": (0.0, 1e4),
    "parallax_over_error": (-1e6, 1e6),
    "ruwe": (0.0, 1e4),
    "rgeo": (0.0, 1e9),  # pc
}


def missing_text(s: pd.Series) -> pd.Series:
    """Cells that hold no value: NA, or text that means none (:data:`MISSING_TEXT`)."""
    if s.dtype.kind in "fiub":
        return s.isna()
    text = s.astype("string").str.strip()
    return text.isna() | text.str.lower().isin(MISSING_TEXT)


def numeric_cells(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(float values, mask of cells that hold something other than a number or a missing value)."""
    if s.dtype.kind in "fiu":
        return s.to_numpy(dtype="float64", na_value=np.nan), np.zeros(len(s), bool)
    if s.dtype.kind == "b":
        return s.to_numpy(dtype="float64"), np.zeros(len(s), bool)
    blank = missing_text(s).to_numpy()
    vals = pd.to_numeric(s.astype("string").str.strip(), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    return vals, np.isnan(vals) & ~blank


def unparseable(value: object, column: str) -> str:
    """The reason for rule 1: a cell that holds text where a number belongs."""
    return f"unparseable value {str(value).strip()!r} in column '{column}'"


def unparseable_reasons(raw: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Rule 1 on native columns: the reason for each row with text in a numeric cell, else None."""
    reason = np.full(len(raw), None, dtype=object)
    for col in columns:
        if col not in raw:
            continue
        _, bad = numeric_cells(raw[col])
        take = bad & pd.isna(reason)
        if take.any():
            cells = raw[col].astype("string").to_numpy(dtype=object)
            reason[take] = [unparseable(v, col) for v in cells[take]]
    return reason


def row_reasons(rows: pd.DataFrame, native: Mapping[str, str] | None = None) -> np.ndarray:
    """Rules 2-4 on rows in the internal schema: a reason per row, or None for a usable row.

    ``native`` names the input's column for an internal one (messages name what the user sees).
    """
    native = native or {}
    reason = np.full(len(rows), None, dtype=object)

    def flag(mask: np.ndarray, text: str | np.ndarray) -> None:
        take = np.asarray(mask, dtype=bool) & pd.isna(reason)
        reason[take] = text[take] if isinstance(text, np.ndarray) else text

    def name(col: str) -> str:
        return native.get(col, col)

    if "source_id" in rows:
        sid = pd.Series(rows["source_id"]).astype("string").str.strip()
        flag((sid.isna() | (sid == "")).to_numpy(dtype=bool, na_value=True), "missing source_id")
    for col in ("ra", "dec"):
        if col in rows:
            values = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            flag(~np.isfinite(values), f"missing or non-finite coordinate in column '{name(col)}'")
    for col in rows.columns:  # rule 4 for columns without a range: finite or missing
        if col not in RANGES and rows[col].dtype.kind == "f":
            flag(
                np.isinf(rows[col].to_numpy(dtype=float, na_value=np.nan)),
                f"infinite value in column '{name(col)}'",
            )
    for col, (lo, hi) in RANGES.items():
        if col not in rows or rows[col].dtype.kind not in "fiu":
            continue
        values = rows[col].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            outside = (values < lo) | (values >= hi if col == "ra" else values > hi) | np.isinf(values)
        if outside.any():
            bound = f"[{lo:g}, {hi:g})" if col == "ra" else f"[{lo:g}, {hi:g}]"
            error = col.startswith(("e_", "err_"))
            texts = np.full(len(rows), None, dtype=object)
            texts[outside] = [
                f"negative error in column '{name(col)}': {v:g}"
                if error and v < 0
                else f"out of range in column '{name(col)}': {v:g} not in {bound}"
                for v in values[outside]
            ]
            flag(outside, texts)
    return reason
