"""Readers for the table formats catalogs arrive in: CSV, FITS, VOTable and Parquet.

Every reader yields chunks of native rows together with the rows it could not parse, so
that a malformed line becomes a quarantine entry (file + line + reason) instead of either
crashing the run or vanishing. CSV values are read as text and converted later, by the
catalog mapping, because the CSC files pad numbers with spaces and mix empty fields.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from muwclass.errors import InputError
from muwclass.io.storage import as_path, parquet_schema, readable


@dataclass
class RawChunk:
    """A block of native rows; ``row`` holds 1-based data-row numbers in the file."""

    frame: pd.DataFrame
    row: np.ndarray
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw text)
    skipped: int = 0  # rows that carry no record (e.g. a cone search with no candidate)


#: longest header line read (bytes): a "header" longer than this is not a table's header
HEADER_LIMIT = 1 << 20

FORMAT_BY_SUFFIX = {
    ".csv": "csv",
    ".txt": "csv",
    ".fits": "fits",
    ".fit": "fits",
    ".fits.gz": "fits",
    ".vot": "votable",
    ".xml": "votable",
    ".votable": "votable",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def guess_format(path: Path) -> str:
    """Format from the file name, so a user can point at a file without saying what it is."""
    name = path.name.lower()
    for suffix, fmt in sorted(FORMAT_BY_SUFFIX.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return fmt
    raise InputError(
        f"{path}: cannot tell the format from the name; use one of {sorted(set(FORMAT_BY_SUFFIX))}"
    )


def _csv_header(path: Path, encoding: str = "utf-8") -> list[str]:
    """The header line's column names; undecodable bytes or an overlong line are one-line errors."""
    with path.open("rb") as fh:
        # readline(limit) by hand: fsspec's files take no limit
        head = fh.read(HEADER_LIMIT + 1)
    end = head.find(b"\n")
    first = head if end < 0 else head[: end + 1]
    if len(first) > HEADER_LIMIT:
        raise InputError(
            f"{path}: line 1 (the header) is longer than {HEADER_LIMIT:,} bytes: not a CSV table"
        )
    text = _decode(first, path, 1, encoding)
    if not text.strip():
        raise InputError(f"{path}: empty file (no header line)")
    try:
        return next(csv.reader([text.rstrip("\r\n")]))
    except csv.Error as exc:
        raise InputError(f"{path}: line 1 (the header): {exc}") from None


def _decode(raw: bytes, path: Path, line: int, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: line {line}: byte 0x{raw[exc.start]:02x} at position {exc.start} is not valid {encoding}; "
            "give the file's encoding (e.g. `--encoding latin-1`, or `encoding: latin-1` in the catalog definition)"
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r} for {path}") from None


def read_csv_chunks(path: Path, chunk_rows: int = 1_000_000, encoding: str = "utf-8") -> Iterator[RawChunk]:
    """CSV as text columns; rows with the wrong number of fields are reported, not lost."""
    header = _csv_header(path, encoding)
    bad: list[tuple[int, str, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        # pyarrow numbers physical lines from 1 with the header as line 1.
        line = (row.number - 1) if row.number is not None else -1
        bad.append(
            (
                line,
                f"unparseable row: expected {row.expected_columns} fields, got {row.actual_columns}",
                row.text,
            )
        )
        return "skip"

    opts = pacsv.ReadOptions(use_threads=False, block_size=1 << 24, encoding=encoding)
    conv = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    parse = pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=False)
    seen = 0  # good + bad rows so far, to number rows in file order
    pending: list[pa.RecordBatch] = []
    pending_rows = 0

    def flush() -> RawChunk:
        nonlocal seen, pending, pending_rows
        table = (
            pa.Table.from_batches(pending)
            if pending
            else pa.table({c: pa.array([], pa.string()) for c in header})
        )
        frame = table.to_pandas()
        frame.columns = header if len(frame.columns) == len(header) else frame.columns
        bad_lines = sorted(b[0] for b in bad)
        # Row numbers of good rows: the data rows in order, skipping the bad line numbers.
        n_good = len(frame)
        rows = _good_row_numbers(seen, n_good, bad_lines)
        chunk = RawChunk(frame=frame, row=rows, bad=list(bad))
        seen = int(rows[-1]) if n_good else seen + len(bad)
        seen = max([seen] + bad_lines) if bad_lines else seen
        bad.clear()
        pending, pending_rows = [], 0
        return chunk

    with readable(path) as source:
        try:
            reader = pacsv.open_csv(source, read_options=opts, parse_options=parse, convert_options=conv)
        except pa.ArrowInvalid as exc:
            raise _parse_error(path, exc) from None
        try:
            for batch in reader:
                pending.append(batch)
                pending_rows += batch.num_rows
                if pending_rows >= chunk_rows:
                    yield flush()
        except pa.ArrowInvalid as exc:
            raise _parse_error(path, exc) from None
    if pending or bad or seen == 0:
        yield flush()


def _parse_error(path: Path, exc: Exception) -> InputError:
    """pyarrow's message (it names the row and column) on one line, with a hint for encodings."""
    hint = " (give the file's encoding, e.g. `--encoding latin-1`)" if "UTF8" in str(exc) else ""
    return InputError(f"{path}: CSV parse error: {' '.join(str(exc).split())}{hint}")


def _good_row_numbers(start: int, n_good: int, bad_lines: list[int]) -> np.ndarray:
    """1-based data-row numbers of ``n_good`` rows after ``start``, skipping bad lines."""
    out = np.empty(n_good, dtype=np.int64)
    bad_set = set(bad_lines)
    r, i = start, 0
    if not bad_set:
        return np.arange(start + 1, start + n_good + 1, dtype=np.int64)
    while i < n_good:
        r += 1
        if r in bad_set:
            continue
        out[i] = r
        i += 1
    return out


def _table_chunks(frame: pd.DataFrame, chunk_rows: int) -> Iterator[RawChunk]:
    if frame.empty:
        yield RawChunk(frame=frame, row=np.empty(0, dtype=np.int64))
        return
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start : start + chunk_rows].reset_index(drop=True)
        yield RawChunk(frame=part, row=np.arange(start + 1, start + len(part) + 1, dtype=np.int64))


def _astropy_frame(path: Path, fmt: str) -> pd.DataFrame:
    from astropy.table import Table

    try:
        with readable(path) as source:
            table = Table.read(source, format=fmt)
    except Exception as exc:  # astropy raises many types for a bad file
        raise InputError(f"{path}: not a readable {fmt} table: {exc}") from exc
    scalar = [c for c in table.colnames if len(table[c].shape) <= 1]
    table = table[scalar]
    # Byte strings (FITS) become str; masked values become NaN/None.
    frame = table.to_pandas()
    for c in frame.columns:
        if frame[c].dtype == object and len(frame) and isinstance(frame[c].iloc[0], bytes):
            frame[c] = frame[c].str.decode("utf-8").str.strip()
    return frame


def read_parquet_chunks(path: Path, chunk_rows: int, columns: list[str] | None = None) -> Iterator[RawChunk]:
    with readable(path) as source:
        yield from _parquet_chunks(path, source, chunk_rows, columns)


def _parquet_chunks(path: Path, source, chunk_rows: int, columns: list[str] | None) -> Iterator[RawChunk]:
    try:
        pf = pq.ParquetFile(source)
    except Exception as exc:
        raise InputError(f"{path}: not a readable Parquet file: {exc}") from exc
    present = set(pf.schema_arrow.names)
    cols = [c for c in columns if c in present] if columns else None
    start = 0
    any_rows = False
    for batch in pf.iter_batches(batch_size=chunk_rows, columns=cols):
        frame = batch.to_pandas()
        any_rows = True
        yield RawChunk(frame=frame, row=np.arange(start + 1, start + len(frame) + 1, dtype=np.int64))
        start += len(frame)
    if not any_rows:
        yield RawChunk(frame=pf.schema_arrow.empty_table().to_pandas(), row=np.empty(0, dtype=np.int64))


def native_columns(path: Path, fmt: str, encoding: str = "utf-8") -> list[str]:
    """Column names of a file without reading its rows (for early, clear errors)."""
    if fmt in ("csv", "candidates"):
        return _csv_header(path, encoding)
    if fmt == "parquet":
        return parquet_schema(path).names
    return list(_astropy_frame(path, fmt).columns)


def read_chunks(
    path: Path,
    fmt: str | None = None,
    chunk_rows: int = 1_000_000,
    columns: list[str] | None = None,
    encoding: str = "utf-8",
) -> Iterator[RawChunk]:
    """Yield native rows of any supported file in chunks of at most ``chunk_rows``."""
    path = as_path(path)
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    fmt = fmt or guess_format(path)
    if fmt in ("csv", "candidates"):
        yield from read_csv_chunks(path, chunk_rows, encoding)
    elif fmt == "parquet":
        yield from read_parquet_chunks(path, chunk_rows, columns)
    elif fmt in ("fits", "votable"):
        yield from _table_chunks(_astropy_frame(path, fmt), chunk_rows)
    else:
        raise InputError(f"{path}: unsupported format '{fmt}'")


def read_whole(path: Path, fmt: str | None = None, encoding: str = "utf-8") -> RawChunk:
    """The whole file as one chunk: its rows, their 1-based row numbers and the unparseable lines."""
    chunks = list(read_chunks(path, fmt, encoding=encoding))
    return RawChunk(
        frame=pd.concat([c.frame for c in chunks], ignore_index=True),
        row=np.concatenate([c.row for c in chunks]),
        bad=[b for c in chunks for b in c.bad],
    )


def read_table(path: Path, fmt: str | None = None) -> pd.DataFrame:
    """The whole file as one DataFrame (small tables: fields, training sets); an unparseable
    line is an error."""
    whole = read_whole(path, fmt)
    if whole.bad:
        row, reason, _ = whole.bad[0]
        raise InputError(f"{path}: row {row}: {reason} ({len(whole.bad)} bad row(s) in all)")
    return whole.frame
