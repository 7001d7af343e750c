"""Fixtures of the end-to-end tests: a real field imported and crossmatched on the real engines."""

from __future__ import annotations

import pytest

from muwclass.config.run import load_run_config
from muwclass.crossmatch.run_crossmatch import run_crossmatch
from muwclass.ingest.run_import import run_import

FIELD = "fields/NGC3532/NGC3532"


@pytest.fixture
def crossmatched(write_conf, dask_client):
    conf = write_conf(
        {
            "csc": {"definition": "csc_master", "source": {"local": f"{FIELD}_ave.csv"}},
            "gaia": {"definition": "gaia_dr3", "source": {"local": f"{FIELD}_gaia.csv"}},
            "tmass": {"definition": "tmass", "source": {"local": f"{FIELD}_2mass.csv"}},
            "allwise": {"definition": "allwise", "source": {"local": f"{FIELD}_allwise.csv"}},
        },
        crossmatch={"xray": "csc", "targets": ["gaia", "tmass", "allwise"]},
        models={"default": {"params": {"n_estimators": 20}, "nh_bin_edges": [1e22]}},
        confidence={"draws": 5},
        spark={"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": "2"}},
    )
    cfg = load_run_config(conf)
    run_import(cfg, dask_client, progress=False)
    run_crossmatch(cfg, dask_client, progress=False)
    return conf, cfg
