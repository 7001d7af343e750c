"""Map functions a Dask task runs on one input file: native rows -> staged internal rows.

Each file becomes ``part-NNNNN.parquet`` (good rows), ``quarantine-NNNNN.parquet`` (bad
rows with reasons), ``rows-NNNNN.parquet`` (source row numbers, for duplicate reports) and a
``done-NNNNN.json`` marker with the counts. Everything is written to temp names and renamed,
and the marker comes last, so a killed run redoes at most the files without a marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from muwclass.config.catalog_definition import CatalogDefinition
from muwclass.ingest.arguments import NhMapFile
from muwclass.ingest.candidates import read_candidate_records
from muwclass.ingest.mapping import arrow_schema, empty_quarantine, map_chunk
from muwclass.io.atomic import atomic_path, read_json, write_json
from muwclass.io.healpix_map import load_healpix_map
from muwclass.io.readers import RawChunk, read_chunks


def _names(staging: Path, index: int) -> dict[str, Path]:
    return {
        k: staging / f"{k}-{index:05d}.{ext}"
        for k, ext in (("part", "parquet"), ("quarantine", "parquet"), ("rows", "parquet"), ("done", "json"))
    }


def _write_parquet_atomic(frames: list[pd.DataFrame], path: Path, schema: pa.Schema | None = None) -> None:
    table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False, schema=schema)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="snappy")


def mapped_chunks(
    path: Path, fmt: str, definition: CatalogDefinition, chunk_rows: int, nh_map: NhMapFile | None = None
) -> Iterator[tuple[RawChunk, pd.DataFrame, pd.DataFrame]]:
    """(native chunk, internal rows, quarantined rows) for each chunk of one input file;
    ``nh_map`` gives ``nh_gal`` to the rows that have none."""
    if fmt == "candidates":
        chunks = read_candidate_records(
            path, definition.source.candidates, chunk_rows, definition.source.encoding
        )
    else:
        chunks = read_chunks(
            path, fmt, chunk_rows, columns=definition.readable_columns(), encoding=definition.source.encoding
        )
    for chunk in chunks:
        good, bad = map_chunk(chunk, definition, str(path))
        if nh_map is not None:
            good = nh_gal_from_map(good, nh_map)
        yield chunk, good, bad


def nh_gal_from_map(rows: pd.DataFrame, nh_map: NhMapFile) -> pd.DataFrame:
    """``rows`` with ``nh_gal`` (1e20 cm^-2) from the map where the catalog gave none."""
    if not len(rows):
        return rows
    values = load_healpix_map(str(nh_map.path), nh_map.column).at(rows["ra"], rows["dec"])
    given = rows["nh_gal"].to_numpy(dtype=float) if "nh_gal" in rows else np.full(len(rows), np.nan)
    return rows.assign(nh_gal=np.where(np.isnan(given), np.round(values * nh_map.to_nh_gal, 3), given))


def stage_file(
    index: int,
    path: Path,
    fmt: str,
    definition: CatalogDefinition,
    staging: Path,
    chunk_rows: int,
    nh_map: NhMapFile | None = None,
) -> dict:
    """Stage one input file; returns its counts. Skips a file whose marker exists (resume)."""
    names = _names(staging, index)
    done = read_json(names["done"])
    if done is not None:
        return done
    staging.mkdir(parents=True, exist_ok=True)
    goods, bads, rows = [], [], []
    n_in = skipped = defaulted = 0
    for chunk, good, bad in mapped_chunks(path, fmt, definition, chunk_rows, nh_map):
        keep = ~pd.Series(chunk.row).isin(bad["row"]).to_numpy()
        goods.append(good)
        bads.append(bad)
        rows.append(pd.DataFrame({"row": chunk.row[keep]}))
        n_in += len(chunk.frame) + len(chunk.bad)
        defaulted += good.attrs.get("err_defaulted", 0)
        skipped += chunk.skipped
    good_all = pd.concat(goods, ignore_index=True) if goods else pd.DataFrame()
    if len(good_all):
        _write_parquet_atomic(goods, names["part"], arrow_schema(list(good_all.columns)))
        _write_parquet_atomic(rows, names["rows"])
    _write_parquet_atomic(bads or [empty_quarantine()], names["quarantine"])
    counts = {
        "index": index,
        "file": str(path),
        "rows_in": n_in,
        "staged": len(good_all),
        "quarantined": int(sum(len(b) for b in bads)),
        "no_record": skipped,
        "err_defaulted": defaulted,
    }
    write_json(names["done"], counts)
    return counts


def staged_files(staging: Path, index: int) -> dict[str, Path]:
    return _names(staging, index)
