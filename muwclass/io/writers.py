"""Result tables out: CSV, FITS (TOPCAT/astropy) or Parquet, chosen by the file name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from astropy.table import Table

from muwclass.io.atomic import atomic_path

WRITERS = {".csv": "csv", ".fits": "fits", ".parquet": "parquet"}


def write_table(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` in the format of ``path``'s suffix (one of :data:`WRITERS`), atomically:
    under a temporary name renamed onto ``path`` when complete, so a reader never sees half."""
    path = Path(path)
    kind = WRITERS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path}: use one of {sorted(WRITERS)}")
    with atomic_path(path) as tmp:
        if kind == "csv":
            spreadsheet_safe(df).to_csv(tmp, index=False, float_format="%.10g")  # 1e-7 deg in ra/dec
        elif kind == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            Table.from_pandas(_fits_ready(df)).write(tmp, format="fits", overwrite=True)
    return path


#: a text cell starting with one of these is a formula to a spreadsheet (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell a spreadsheet would run as a formula (it starts with
    :data:`FORMULA_START` and is not a number) prefixed by a single quote, the OWASP mitigation
    for CSV injection: ``=HYPERLINK(...)`` is shown as text, ``-0.5`` stays a number."""
    out = None
    for c in df.columns:
        col = df[c]
        if not (pd.api.types.is_string_dtype(col.dtype) or col.dtype == object):
            continue
        text = col.astype("string")
        risky = text.str.startswith(FORMULA_START).fillna(False) & pd.to_numeric(text, errors="coerce").isna()
        if risky.any():
            out = df.copy() if out is None else out
            out[c] = col.astype(object).where(~risky.to_numpy(), "'" + text)
    return df if out is None else out


def _fits_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Columns FITS can hold: text as str ('' for missing), nullable booleans as bool,
    nullable/Arrow numbers as float with NaN for missing."""
    out = df.reset_index(drop=True).copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_bool_dtype(col.dtype) and col.dtype != bool:
            out[c] = col.fillna(False).astype(bool)
        elif pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
            out[c] = col.astype(object).where(col.notna(), "").astype(str)
        elif pd.api.types.is_numeric_dtype(col.dtype) and not isinstance(col.dtype, np.dtype):
            out[c] = col.to_numpy(dtype=float, na_value=np.nan)
    return out
