"""The classification job's plan: every row of a HATS dataset in exactly one task, in HEALPix
order, read back slice by slice as the Spark workers read it (engine-free)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hats.pixel_math import HealpixPixel
from hypothesis import given, settings
from hypothesis import strategies as st

from muwclass.classification.estimator import build_pipeline
from muwclass.classification.family import FittedModel, ModelFamily, nh_bins
from muwclass.classification.outliers import OutlierModel
from muwclass.classification.spark_job import classify_on_spark, plan_slices, read_slice, task_count
from muwclass.classification.training_set import load_training_set
from muwclass.config.run import ModelConfig
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


def test_a_failed_task_is_one_exception_without_a_warning_carrying_its_traceback(tmp_path, spark, data_dir):
    # toPandas() of the task counts re-sent a failed task as a Python warning with the worker's
    # whole traceback, printed above the CLI's one-line error (a store outage in CI)
    dataset, _ = _catalog(tmp_path, [30], 10)  # no fluxes: every task fails on its rows
    td = load_training_set(data_dir / "td" / "TD_Yang2022.csv").head(300)
    y = td["label"].to_numpy(dtype=object)
    pipe = build_pipeline(ModelConfig(params={"n_estimators": 2})).fit(td, y)
    family = ModelFamily({0: FittedModel(pipe, OutlierModel().fit(td, y))}, {0: {}}, {}, nh_bins([]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(Exception, match="flux_s"):
            classify_on_spark(spark, dataset, family, 2, 1, tmp_path / "out", progress=False)
    assert [str(w.message)[:200] for w in caught if "Traceback" in str(w.message)] == []
