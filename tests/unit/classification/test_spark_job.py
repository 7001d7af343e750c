"""The classification job's plan: every row of a HATS dataset in exactly one task, in HEALPix
order, read back slice by slice as the Spark workers read it (engine-free)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from hats.pixel_math import HealpixPixel
from hypothesis import given, settings
from hypothesis import strategies as st

from muwclass.classification.spark_job import plan_slices, read_slice, task_count
from muwclass.io.hats_pixels import HEALPIX, write_pixel_catalog


def _catalog(tmp_path, sizes: list[int], row_group: int):
    pixels = [HealpixPixel(1, p) for p in (40, 3, 17)][: len(sizes)]
    frames = []
    for pixel, n in zip(pixels, sizes, strict=True):
        first = pixel.pixel << (2 * 28)
        frames.append(pd.DataFrame({HEALPIX: first + np.arange(n, dtype=np.int64) * 1000}))
    rows = pd.concat(frames, ignore_index=True)
    rows["id"] = np.arange(len(rows))
    rows["ra"], rows["dec"] = 0.0, 0.0  # unused: the spatial index is given
    write_pixel_catalog(tmp_path / "cat", "cat", pixels, rows)
    for f in (tmp_path / "cat" / "dataset").rglob("*.parquet"):  # several row groups per file
        pq.write_table(pq.read_table(f), f, row_group_size=row_group)
    return tmp_path / "cat" / "dataset", rows


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 60), min_size=1, max_size=3),
    tasks=st.integers(1, 7),
    row_group=st.integers(1, 25),
)
def test_every_row_in_one_task_in_healpix_order(tmp_path_factory, sizes, tasks, row_group):
    dataset, rows = _catalog(tmp_path_factory.mktemp("plan"), sizes, row_group)
    plan = plan_slices(dataset, lambda n: tasks)
    assert len(plan) <= tasks
    read = [read_slice(s, ["id", HEALPIX], {}) for task in plan for s in task]
    got = pd.concat(read, ignore_index=True) if read else pd.DataFrame({HEALPIX: [], "id": []})
    assert got[HEALPIX].is_monotonic_increasing
    assert sorted(got["id"]) == sorted(rows["id"]) and len(got) == len(rows)


def test_task_count_gives_every_core_work():
    assert task_count(100, 2) == 2 and task_count(100_000, 2) % 2 == 0
