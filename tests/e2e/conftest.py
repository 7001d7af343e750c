"""Fixtures of the end-to-end tests: a real field imported and crossmatched on the real engines."""

from __future__ import annotations

import shutil

import pytest

from muwclass.config.run import load_run_config
from muwclass.crossmatch.run_crossmatch import run_crossmatch
from muwclass.ingest.run_import import run_import
from tests.conftest import write_run_conf

FIELD = "fields/NGC3532/NGC3532"
CATALOGS = {
    "csc": {"definition": "csc_master", "source": {"local": f"{FIELD}_ave.csv"}},
    "gaia": {"definition": "gaia_dr3", "source": {"local": f"{FIELD}_gaia.csv"}},
    "tmass": {"definition": "tmass", "source": {"local": f"{FIELD}_2mass.csv"}},
    "allwise": {"definition": "allwise", "source": {"local": f"{FIELD}_allwise.csv"}},
}
RUN = {
    "crossmatch": {"xray": "csc", "targets": ["gaia", "tmass", "allwise"]},
    "models": {"default": {"params": {"n_estimators": 20}, "nh_bin_edges": [1e22]}},
    "confidence": {"draws": 5},
    "spark": {"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": "2"}},
}


@pytest.fixture(scope="session")
def crossmatched_once(tmp_path_factory, data_dir, dask_client):
    """NGC 3532 imported and crossmatched once per session (each test gets its own copy)."""
    root = tmp_path_factory.mktemp("crossmatched")
    cfg = load_run_config(write_run_conf(root, data_dir, CATALOGS, **RUN))
    run_import(cfg, dask_client, progress=False)
    run_crossmatch(cfg, dask_client, progress=False)
    return root


@pytest.fixture
def crossmatched(crossmatched_once, tmp_path, data_dir):
    """A run configuration in tmp_path whose work directory already holds NGC 3532 imported and
    crossmatched: a copy of the session's, so that a test may write releases into it freely."""
    shutil.copytree(crossmatched_once / "work", tmp_path / "work", symlinks=True)
    conf = write_run_conf(tmp_path, data_dir, CATALOGS, **RUN)
    return conf, load_run_config(conf)
