"""Map native rows onto the internal schema and split off the rows that cannot be used.

Pure functions on DataFrames: given native rows and a catalog definition, return rows in
the internal schema (units converted, positional errors as 1-sigma ellipses in arcsec,
X-ray bands converted to CSC bands) and a quarantine frame saying which row failed and why.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
from astropy import units as u
from astropy.coordinates import Angle
from astropy.time import Time

from muwclass.config.catalog_definition import CatalogDefinition, ColumnSpec
from muwclass.config.schema import ALL_COLUMNS, SIGMA_PER_68, SIGMA_PER_90, SIGMA_PER_95
from muwclass.errors import InputError
from muwclass.ingest.bands import convert_band_fluxes
from muwclass.ingest.row_rules import missing_text, numeric_cells, row_reasons, unparseable
from muwclass.io.readers import RawChunk

INTERNAL_UNITS = {
    "ra": u.deg,
    "dec": u.deg,
    "err_maj": u.arcsec,
    "err_min": u.arcsec,
    "err_pa": u.deg,
    "pmra": u.mas / u.yr,
    "pmdec": u.mas / u.yr,
    "e_pmra": u.mas / u.yr,
    "e_pmdec": u.mas / u.yr,
    "parallax": u.mas,
    "e_parallax": u.mas,
    "rgeo": u.pc,
    **{f"{p}flux_{b}": u.erg / u.s / u.cm**2 for p in ("", "e_") for b in "smhb"},
}

LEVEL_TO_SIGMA = {"1sigma": 1.0, "68%": SIGMA_PER_68, "90%": SIGMA_PER_90, "95%": SIGMA_PER_95}

QUARANTINE_COLUMNS = ["catalog", "file", "row", "source_id", "reason", "raw"]

_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n", ""}


_ARROW_TYPES = {"float64": pa.float64(), "string": pa.string(), "bool": pa.bool_(), "int64": pa.int64()}


def arrow_schema(columns: list[str]) -> pa.Schema:
    """The fixed Arrow schema of internal columns, so every staged part agrees with the others
    (an all-empty text column must stay a string column, not become a null column)."""
    return pa.schema([(c, _ARROW_TYPES[ALL_COLUMNS[c]]) for c in columns])


def empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "string") for c in QUARANTINE_COLUMNS})


def _sexagesimal(s: pd.Series, internal: str) -> tuple[np.ndarray, np.ndarray]:
    """' 11 05 07.45' (hours for RA) or '-58 51 05.47' (degrees) -> degrees."""
    if s.dtype.kind in "fiu":  # already decimal degrees
        return numeric_cells(s)
    text = s.astype("string").str.strip()
    blank = missing_text(s).to_numpy()
    out = np.full(len(s), np.nan)
    bad = np.zeros(len(s), bool)
    unit = u.hourangle if internal == "ra" else u.deg
    idx = np.flatnonzero(~blank)
    if len(idx):
        vals = text.to_numpy()[idx].astype(str)
        try:
            out[idx] = Angle(vals, unit=unit).deg
        except (ValueError, u.UnitsError):
            for i in idx:  # rare path: find the offending entries one by one
                try:
                    out[i] = Angle(str(text.iloc[i]), unit=unit).deg
                except (ValueError, u.UnitsError):
                    bad[i] = True
    return out, bad


def _time_years(s: pd.Series, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    blank = missing_text(s).to_numpy()
    out = np.full(len(s), np.nan)
    bad = np.zeros(len(s), bool)
    idx = np.flatnonzero(~blank)
    if not len(idx):
        return out, bad
    if fmt == "time":  # numbers are MJD, text is ISO
        vals, _ = numeric_cells(s)
        fmt = "mjd" if not np.isnan(vals[idx]).any() else "isot"
    if fmt == "mjd":
        vals, bad = numeric_cells(s)
        ok = ~np.isnan(vals)
        out[ok] = Time(vals[ok], format="mjd").jyear
        return out, bad
    text = s.astype("string").str.strip().to_numpy()[idx].astype(str)
    try:
        out[idx] = Time(text, format="isot", scale="utc").jyear
    except ValueError:
        for j, i in enumerate(idx):
            try:
                out[i] = Time(text[j], format="isot", scale="utc").jyear
            except ValueError:
                bad[i] = True
    return out, bad


def _bool(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if s.dtype.kind == "b":
        return s.to_numpy(), np.zeros(len(s), bool)
    text = s.astype("string").str.strip().str.lower().fillna("")
    vals = text.isin(_TRUE).to_numpy()
    bad = ~(text.isin(_TRUE) | text.isin(_FALSE)).to_numpy()
    return vals, bad


def _convert(frame: pd.DataFrame, internal: str, spec: ColumnSpec) -> tuple[object, np.ndarray]:
    n = len(frame)
    if spec.interval is not None:
        if spec.optional and not all(c in frame.columns for c in spec.interval):
            return np.full(n, np.nan), np.zeros(n, bool)
        (low, low_bad), (high, high_bad) = (numeric_cells(frame[c]) for c in spec.interval)
        return (high - low) / 2.0, low_bad | high_bad
    if spec.from_ is None:
        return np.full(n, spec.value, dtype=object if isinstance(spec.value, str) else float), np.zeros(
            n, bool
        )
    source = resolve_source_column(spec, frame.columns)
    if source is None:  # only optional columns get here
        fill = np.nan if spec.default is None else spec.default
        return np.full(n, fill, dtype=float), np.zeros(n, bool)
    s = frame[source]
    want = ALL_COLUMNS[internal]
    if want == "string" or spec.format == "string":
        text = s.astype("string").str.strip().mask(missing_text(s))
        if spec.extract:
            got = text.str.extract(spec.extract, expand=False)
            bad = (got.isna() & text.notna()).to_numpy()
            return got.to_numpy(dtype=object), bad
        return text.to_numpy(dtype=object), np.zeros(n, bool)
    if spec.above is not None:
        vals, bad = numeric_cells(s)
        with np.errstate(invalid="ignore"):
            return vals > spec.above, bad
    if want == "bool" or spec.format == "bool":
        return _bool(s)
    if spec.format == "sexagesimal":
        return _sexagesimal(s, internal)
    if spec.format in ("mjd", "isot", "time"):
        return _time_years(s, spec.format)
    vals, bad = numeric_cells(s)
    if spec.unit and internal in INTERNAL_UNITS:
        vals = (vals * u.Unit(spec.unit)).to_value(INTERNAL_UNITS[internal])
    vals = _photometry(frame, spec, vals)
    if spec.default is not None:
        vals = np.where(np.isnan(vals), spec.default, vals)
    if want == "int64":
        return pd.array(np.where(np.isnan(vals), pd.NA, vals).tolist(), dtype="Int64"), bad
    return vals, bad


def _photometry(frame: pd.DataFrame, spec: ColumnSpec, vals: np.ndarray) -> np.ndarray:
    """Fluxes to magnitudes and flux errors to magnitude errors; a non-positive flux has no
    magnitude (NaN: a faint measurement, not a bad row)."""
    if spec.flux_column is not None:
        flux = numeric_cells(frame[spec.flux_column])[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = np.where(flux > 0, 2.5 / np.log(10) * vals / flux, np.nan)
    elif spec.mag_zero_point is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = np.where(vals > 0, spec.mag_zero_point - 2.5 * np.log10(vals), np.nan)
    return vals + spec.offset if spec.offset else vals


def map_column(frame: pd.DataFrame, d: CatalogDefinition, internal: str) -> np.ndarray:
    """One internal column from native rows (e.g. ids for the candidate table)."""
    return np.asarray(_convert(frame, internal, d.spec(internal))[0])


def kim2007_radius95(counts: np.ndarray, offaxis_arcmin: np.ndarray) -> np.ndarray:
    """95% positional uncertainty (arcsec) of a Chandra ACIS source from its net counts and
    off-axis angle, Kim et al. 2007 (ApJS 169, 401) eq. 5; counts are clipped to the
    relation's range (1 to 10^3.3). On the IC 2395 observations (ACIS Extract NET_COUNTS,
    THETA_broad) it gives 0.95x MUWCLASS's own PU (median; 5-95%: 0.48-1.7x)."""
    log_c = np.log10(np.clip(np.asarray(counts, dtype=float), 1.0, 10**3.3))
    theta = np.asarray(offaxis_arcmin, dtype=float)
    faint = 0.1145 * theta - 0.4958 * log_c + 0.1932
    bright = 0.0968 * theta - 0.2064 * log_c - 0.4260
    return 10.0 ** np.where(log_c <= 2.1393, faint, bright)


def _position_errors(frame: pd.DataFrame, d: CatalogDefinition) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(1-sigma ellipse in arcsec from the native error model, a reason per row or None).

    The native columns are checked as they are read, while each value is still in its own
    column (the axes are sorted into major/minor and the angle wrapped afterwards): unparseable
    text, then infinite values, then negative axes."""
    pe = d.position_error
    n = len(frame)
    bad = np.zeros(n, bool)
    bad_cols: list[str] = []
    checks = np.full(n, None, dtype=object)

    def col(name: str | None) -> np.ndarray:
        nonlocal bad
        if name is None:
            return np.full(n, np.nan)
        vals, b = numeric_cells(frame[name])
        if b.any():
            bad_cols.append(name)
        bad |= b
        infinite = np.isinf(vals) & pd.isna(checks)
        checks[infinite] = f"infinite value in column '{name}'"
        if name != pe.pa:
            what = "value" if name in (pe.counts, pe.offaxis) else "error"
            with np.errstate(invalid="ignore"):
                negative = (vals < 0) & pd.isna(checks)
            checks[negative] = [f"negative {what} in column '{name}': {v:g}" for v in vals[negative]]
        return vals

    factor = (1.0 * u.Unit(pe.unit)).to_value(u.arcsec) * LEVEL_TO_SIGMA[pe.level] * pe.scale
    if pe.model == "none":
        a = b = np.full(n, np.nan)
        pa = np.zeros(n)
    elif pe.model == "circle":
        a = col(pe.major) * factor
        b = a.copy()
        pa = np.zeros(n)
    elif pe.model == "counts_offaxis":
        a = kim2007_radius95(col(pe.counts), col(pe.offaxis)) * LEVEL_TO_SIGMA["95%"] * pe.scale
        b = a.copy()
        pa = np.zeros(n)
    elif pe.model == "radec":
        sra, sdec = col(pe.major) * factor, col(pe.minor) * factor
        a, b = np.fmax(sra, sdec), np.fmin(sra, sdec)
        pa = np.where(sra >= sdec, 90.0, 0.0)
    else:
        a, b, pa = col(pe.major) * factor, col(pe.minor) * factor, col(pe.pa)
        swap = b > a
        a, b = np.where(swap, b, a), np.where(swap, a, b)
        pa = np.where(swap, pa + 90.0, pa)
        pa = np.where(np.isnan(pa), 0.0, pa)
    missing = np.isnan(a) | np.isnan(b)
    a = np.where(missing, pe.default, a)
    b = np.where(missing, pe.default, b)
    if pe.systematic:
        a, b = np.hypot(a, pe.systematic), np.hypot(b, pe.systematic)
    with np.errstate(invalid="ignore"):  # an infinite angle: that row is quarantined (checks)
        pa = np.mod(pa, 180.0)
    reason = np.where(bad, f"unparseable positional error in column(s) {bad_cols}", checks)
    return {"err_maj": a, "err_min": b, "err_pa": pa, "_err_defaulted": missing}, reason


def resolve_source_column(spec: ColumnSpec, present) -> str | None:
    """The native column feeding ``spec`` in a file: the first present alternative."""
    options = [spec.from_] if isinstance(spec.from_, str) else list(spec.from_ or [])
    return next((c for c in options if c in present), None)


def native_names(d: CatalogDefinition, present) -> dict[str, str]:
    """Internal column -> the native column it came from in this file (for messages)."""
    names = {k: resolve_source_column(d.spec(k), present) for k in d.columns if d.spec(k).from_ is not None}
    pe = d.position_error
    axes = "/".join(c for c in dict.fromkeys((pe.major, pe.minor)) if c)  # sorted into major/minor
    names.update({"err_maj": axes, "err_min": axes})
    return {k: v for k, v in names.items() if v}


def check_columns(present: list[str], d: CatalogDefinition, where: str) -> None:
    """Fail early, naming the file and the definition, when native columns are missing."""
    missing = sorted(set(d.native_columns()) - set(present))
    for internal in d.columns:
        spec = d.spec(internal)
        if (
            isinstance(spec.from_, list)
            and not spec.optional
            and resolve_source_column(spec, present) is None
        ):
            missing.append(" or ".join(spec.from_))
    if missing:
        raise InputError(
            f"{where}: missing column(s) {missing} required by {d.definition_file or d.name}; "
            f"the file has {len(present)} columns"
        )


def _raw_json(frame: pd.DataFrame, rows: np.ndarray) -> list[str]:
    sub = frame.iloc[rows]
    return [
        json.dumps({k: (None if pd.isna(v) else str(v)) for k, v in r.items()})
        for r in sub.to_dict("records")
    ]


def map_chunk(chunk: RawChunk, d: CatalogDefinition, file_label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Native rows -> (internal rows, quarantined rows with reasons)."""
    frame = chunk.frame
    check_columns(list(frame.columns), d, file_label)
    n = len(frame)
    out: dict[str, object] = {}
    reason = np.full(n, None, dtype=object)

    def flag(mask: np.ndarray, text: str | np.ndarray) -> None:
        take = mask & pd.isna(reason)
        reason[take] = text[take] if isinstance(text, np.ndarray) else text

    for internal in d.columns:
        spec = d.spec(internal)
        vals, bad = _convert(frame, internal, spec)
        if bad.any() and spec.interval is not None:
            flag(bad, f"unparseable number in column(s) {list(spec.interval)}")
        elif bad.any():
            src = resolve_source_column(spec, frame.columns)
            raw = frame[src].astype("string").to_numpy(dtype=object)
            texts = np.array([unparseable(v, src) for v in raw], dtype=object)
            flag(bad, texts)
        out[internal] = vals
    errs, position_reason = _position_errors(frame, d)
    flag(~pd.isna(position_reason), position_reason)
    defaulted = errs.pop("_err_defaulted")
    out.update(errs)
    if d.bands is not None:
        fluxes, bad = convert_band_fluxes(frame, d.bands)
        if bad.any():
            flag(bad, "unparseable X-ray band flux")
        out.update(fluxes)
    if "epoch" not in out:
        out["epoch"] = np.full(n, d.epoch, dtype=float)
    elif d.epoch is not None:
        out["epoch"] = np.where(np.isnan(out["epoch"]), d.epoch, out["epoch"])
    mapped = pd.DataFrame(out)
    flag_rows = row_reasons(mapped, native_names(d, frame.columns))
    flag(~pd.isna(flag_rows), flag_rows)
    for name in mapped.columns:
        dtype = ALL_COLUMNS.get(name)
        if dtype == "string":
            mapped[name] = mapped[name].astype("string")
        elif dtype == "bool":
            mapped[name] = mapped[name].astype(bool)
    bad_idx = np.flatnonzero(~pd.isna(reason))
    good = mapped.drop(index=bad_idx).reset_index(drop=True)
    # Rows whose positional error was missing and replaced by the definition's default:
    # counted so the import can warn (the crossmatch then works with an assumed error).
    good.attrs["err_defaulted"] = int(np.delete(defaulted, bad_idx).sum())
    quarantine = pd.DataFrame(
        {
            "catalog": d.name,
            "file": file_label,
            "row": chunk.row[bad_idx].astype("int64"),
            "source_id": mapped["source_id"].iloc[bad_idx].astype("string").to_numpy(),
            "reason": reason[bad_idx].astype(str),
            "raw": _raw_json(frame, bad_idx),
        }
    )
    if chunk.bad:
        parse_bad = pd.DataFrame(
            {
                "catalog": d.name,
                "file": file_label,
                "row": [b[0] for b in chunk.bad],
                "source_id": pd.NA,
                "reason": [b[1] for b in chunk.bad],
                "raw": [b[2] for b in chunk.bad],
            }
        )
        quarantine = pd.concat([quarantine, parse_bad], ignore_index=True)
    quarantine = quarantine.astype({c: ("int64" if c == "row" else "string") for c in QUARANTINE_COLUMNS})
    return good, quarantine.sort_values("row", kind="stable").reset_index(drop=True)
