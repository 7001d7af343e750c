"""Shared fixtures: the real data directory, a real Dask LocalCluster, run configs in tmp."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ.get("MUWCLASS_DATA", REPO.parent / "shared" / "muwclass-data")).resolve()
    if not (path / "td" / "TD_Yang2022.csv").is_file():
        pytest.fail(f"shared data not found at {path}: set MUWCLASS_DATA")
    return path


@pytest.fixture(scope="session")
def dask_client():
    """A real two-worker LocalCluster (processes), shared by the tests of a session."""
    from muwclass.config.run import DaskConfig
    from muwclass.runtime.sessions import dask_client as make_client

    with make_client(DaskConfig(n_workers=2, threads_per_worker=1, memory_limit="4GiB")) as client:
        yield client


def write_run_conf(root: Path, data_dir: Path, catalogs: dict, **extra) -> Path:
    """Write ``root/run.yaml``: the given catalogs, a work directory ``root/work``, a small Dask."""
    conf = {
        "data_dir": str(data_dir),
        "work_dir": str(root / "work"),
        "dask": {"n_workers": 2, "threads_per_worker": 1, "memory_limit": "4GiB"},
        "catalogs": catalogs,
        **extra,
    }
    path = root / "run.yaml"
    path.write_text(yaml.safe_dump(conf))
    return path


@pytest.fixture
def write_conf(tmp_path, data_dir):
    """Write a run configuration into tmp_path; returns its path."""

    def _write(catalogs: dict, **extra) -> Path:
        return write_run_conf(tmp_path, data_dir, catalogs, **extra)

    return _write


@pytest.fixture(scope="session")
def spark():
    """A real Spark ``local[2]`` session shared by the tests of a session."""
    from muwclass.config.run import SparkConfig
    from muwclass.runtime.sessions import spark_session

    with spark_session(
        SparkConfig(master="local[2]", conf={"spark.sql.shuffle.partitions": "4"}), app_name="muwclass-tests"
    ) as session:
        yield session


#: fixtures that start an engine, and the marker a test using them gets
ENGINE_FIXTURES = {"dask_client": "dask", "spark": "spark", "crossmatched": "dask"}


def pytest_collection_modifyitems(config, items):
    """Mark tests by what they start: ``dask``/``spark`` from the engine fixtures they use, and
    every end-to-end test (``tests/e2e``) ``slow``; module-level ``pytestmark`` adds the rest."""
    for item in items:
        for fixture, marker in ENGINE_FIXTURES.items():
            if fixture in item.fixturenames:
                item.add_marker(marker)
        if "e2e" in item.path.parts:
            item.add_marker("slow")
