"""The shared cone-search files, turned into catalog records and a candidate table.

The shared files hold one row per X-ray source: the list of separations of every candidate
inside the search radius (``_rs_<cat>``) and the full record of the nearest one, with every
column suffixed ``_<cat>``. Import needs the records (a catalog of real objects, each once);
the crossmatch validation needs the long table (one row per X-ray source and candidate).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from muwclass.config.catalog_definition import CandidateLayout
from muwclass.errors import InputError
from muwclass.io.readers import RawChunk, read_csv_chunks, read_table


def _strip_suffix(frame: pd.DataFrame, suffix: str) -> pd.DataFrame:
    return frame.rename(columns={c: c[: -len(suffix)] for c in frame.columns if c.endswith(suffix)})


def parse_separations(values: pd.Series, where: str) -> list[list[float]]:
    """'[0.27, 4.1]' -> [0.27, 4.1]; empty -> []. A malformed list is a clear error."""
    out: list[list[float]] = []
    for i, v in enumerate(values.astype("string").fillna("").str.strip()):
        if v in ("", "[]"):
            out.append([])
            continue
        try:
            seps = ast.literal_eval(v)
            out.append([float(x) for x in (seps if isinstance(seps, (list, tuple)) else [seps])])
        except (ValueError, SyntaxError, TypeError) as exc:
            raise InputError(f"{where}: row {i + 1}: malformed separation list {v!r}") from exc
    return out


def read_candidate_records(
    path: Path, layout: CandidateLayout, chunk_rows: int, encoding: str = "utf-8"
) -> Iterator[RawChunk]:
    """Nearest-candidate records with native (unsuffixed) column names."""
    for chunk in read_csv_chunks(path, chunk_rows, encoding):
        frame = chunk.frame
        if layout.separations not in frame.columns:
            raise InputError(f"{path}: missing column '{layout.separations}' of the candidate layout")
        seps = parse_separations(frame[layout.separations], str(path))
        has = np.array([len(s) > 0 for s in seps], dtype=bool)
        records = _strip_suffix(frame.loc[has].reset_index(drop=True), layout.suffix)
        yield RawChunk(frame=records, row=chunk.row[has], bad=chunk.bad, skipped=int((~has).sum()))


def companion_xray_file(path: Path, layout: CandidateLayout) -> Path:
    """buildtd/CSCv2_TD_gaia.csv -> buildtd/CSCv2_TD_ave.csv (same prefix)."""
    stem = path.name
    tail = f"{layout.suffix}.csv"
    if not stem.endswith(tail):
        raise InputError(f"{path}: name does not end with '{tail}', cannot find its X-ray file")
    return path.with_name(stem[: -len(tail)] + layout.xray_file_suffix)


def candidate_table(
    path: Path,
    layout: CandidateLayout,
    ids_of: Callable[[pd.DataFrame], np.ndarray],
    xray_id_column: str = "name",
) -> pd.DataFrame:
    """One row per (X-ray source, candidate): separation, rank, and the nearest one's id.

    Only the nearest candidate has a full record in the shared files; the others are known
    by their separation alone, which is what a positional likelihood needs. ``ids_of``
    maps native (unsuffixed) rows to catalog ids, as the catalog definition says.
    """
    frame = read_table(path, "csv")
    seps = parse_separations(frame[layout.separations], str(path))
    q = pd.to_numeric(frame[layout.xray_row], errors="coerce")
    if q.isna().any():
        raise InputError(
            f"{path}: row {int(np.flatnonzero(q.isna())[0]) + 1}: column '{layout.xray_row}' is not a row number"
        )
    xray_file = companion_xray_file(path, layout)
    xray_ids = None
    if xray_file.is_file():
        xray = read_table(xray_file, "csv")
        if xray_id_column in xray.columns:
            xray_ids = xray[xray_id_column].astype("string").str.strip().to_numpy()
    has = np.array([len(s) > 0 for s in seps], dtype=bool)
    nearest_id = np.full(len(frame), None, dtype=object)
    if has.any():
        nearest_id[has] = ids_of(_strip_suffix(frame.loc[has].reset_index(drop=True), layout.suffix))
    rows = []
    for i, (qi, s) in enumerate(zip(q.astype(int), seps, strict=True)):
        order = np.argsort(s, kind="stable")
        for rank, j in enumerate(order):
            rows.append((qi, rank, s[j], nearest_id[i] if rank == 0 else None))
    table = pd.DataFrame(rows, columns=["xray_row", "rank", "separation_arcsec", "mw_source_id"])
    table["mw_source_id"] = table["mw_source_id"].astype("string").str.strip()
    if xray_ids is not None:
        if len(table) and table["xray_row"].max() > len(xray_ids):
            raise InputError(f"{path}: '{layout.xray_row}' points past the end of {xray_file}")
        table.insert(1, "xray_id", pd.array(xray_ids[table["xray_row"].to_numpy() - 1], dtype="string"))
    table.insert(0, "file", str(path))
    return table
