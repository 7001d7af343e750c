"""Result tables out: CSV, FITS (TOPCAT/astropy) or Parquet, chosen by the file name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from astropy.table import Table

WRITERS = {".csv": "csv", ".fits": "fits", ".parquet": "parquet"}


def write_table(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` in the format of ``path``'s suffix (one of :data:`WRITERS`)."""
    path = Path(path)
    kind = WRITERS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path}: use one of {sorted(WRITERS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        df.to_csv(path, index=False, float_format="%.10g")  # 1e-7 deg in ra/dec
    elif kind == "parquet":
        df.to_parquet(path, index=False)
    else:
        Table.from_pandas(_fits_ready(df)).write(path, overwrite=True)
    return path


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
