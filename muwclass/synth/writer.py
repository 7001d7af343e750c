"""Parquet output that rolls over to a new part file every ``rows_per_file`` rows.

Catalogs are streamed batch by batch, so memory holds about one row group per catalog, never
a catalog. Small batches are buffered into full row groups (readers pay per row group); parts
of ~1 million rows are what the HATS importer reads in parallel.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROWS_PER_FILE = 1_000_000
ROW_GROUP_ROWS = 250_000
# Dictionary encoding only where values repeat; on unique floats it costs 3x the write time.
DICTIONARY_COLUMNS = ("Qflg", "obsid", "Class")


def _dictionary(schema: pa.Schema) -> list[str]:
    return [c for c in schema.names if c in DICTIONARY_COLUMNS]


class RollingWriter:
    """Parquet parts ``part-00000.parquet``, ... of at most ``rows_per_file`` rows, one schema."""

    def __init__(
        self, folder: Path, rows_per_file: int = ROWS_PER_FILE, row_group_rows: int = ROW_GROUP_ROWS
    ):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows_per_file = rows_per_file
        self.row_group_rows = min(row_group_rows, rows_per_file)
        self.total = 0
        self.files: list[Path] = []
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_file = 0
        self._schema: pa.Schema | None = None

    def write(self, table: pa.Table) -> None:
        self._schema = self._schema or table.schema
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self.total += table.num_rows
        if self._pending_rows >= self.row_group_rows:
            self._flush(final=False)

    def close(self) -> None:
        """Flush and close; a catalog that got no rows still gets one (empty) part with its schema."""
        self._flush(final=True)
        if not self.files and self._schema is not None:
            path = self.folder / "part-00000.parquet"
            pq.write_table(
                self._schema.empty_table(),
                path,
                compression="snappy",
                use_dictionary=_dictionary(self._schema),
            )
            self.files.append(path)
        self._close_file()

    def _flush(self, final: bool) -> None:
        if not self._pending:
            return
        data = pa.concat_tables(self._pending).combine_chunks()
        start = 0
        while data.num_rows - start >= self.row_group_rows or (final and start < data.num_rows):
            if self._writer is None:
                path = self.folder / f"part-{len(self.files):05d}.parquet"
                self._writer = pq.ParquetWriter(
                    path, data.schema, compression="snappy", use_dictionary=_dictionary(data.schema)
                )
                self.files.append(path)
            take = min(self.row_group_rows, self.rows_per_file - self._rows_in_file, data.num_rows - start)
            self._writer.write_table(data.slice(start, take), row_group_size=take)
            start += take
            self._rows_in_file += take
            if self._rows_in_file >= self.rows_per_file:
                self._close_file()
        rest = data.slice(start)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows

    def _close_file(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._rows_in_file = 0
