"""The duplicate finder of the import's reduce step: by fingerprint, the same rows as comparing
every key (a property test), first occurrence in file order."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from muwclass.ingest.dedup import find_duplicates

SCHEMA = pa.schema([("source_id", pa.string()), ("obsid", pa.int64())])


def _parts(tmp_path, files: list[list[tuple[str, int]]]) -> list[tuple[int, object, object, str]]:
    parts = []
    for i, rows in enumerate(files):
        part, row = tmp_path / f"part-{i}.parquet", tmp_path / f"rows-{i}.parquet"
        columns = {"source_id": [r[0] for r in rows], "obsid": [r[1] for r in rows]}
        pq.write_table(pa.table(columns, schema=SCHEMA), part)  # staged parts share one schema
        pq.write_table(pa.table({"row": [10 * k for k in range(len(rows))]}), row)
        parts.append((i + 3, part, row, f"file{i}.csv"))  # part indices need not be positions
    return parts


def _every_key_compared(files, key) -> set[tuple]:
    frame = pd.DataFrame(
        [(name, obsid, i + 3, pos) for i, rows in enumerate(files) for pos, (name, obsid) in enumerate(rows)],
        columns=["source_id", "obsid", "part", "pos"],
    )
    first = frame.drop_duplicates(key)
    dups = frame[frame.duplicated(key)].merge(first, on=key, suffixes=("", "_first"))
    return set(zip(dups["part"], dups["pos"], dups["part_first"], dups["pos_first"], strict=True))


rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", None]), st.integers(0, 2)), max_size=12)


@settings(max_examples=60, deadline=None)
@given(files=st.lists(rows, min_size=1, max_size=4), two_columns=st.booleans())
def test_fingerprints_find_the_repeats_that_comparing_every_key_finds(tmp_path_factory, files, two_columns):
    key = ["source_id", "obsid"] if two_columns else ["source_id"]
    found = find_duplicates(_parts(tmp_path_factory.mktemp("dedup"), files), key)
    got = set(zip(found["part"], found["pos"], found["first_part"], found["first_pos"], strict=True))
    assert got == _every_key_compared(files, key)
    if len(found):
        assert (found["row"] == 10 * found["pos"]).all() and found["file"].str.startswith("file").all()
