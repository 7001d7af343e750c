"""The crossmatch gives the same answer however the sky is partitioned, and survives the
loss of a Dask worker in the middle of the run."""

from __future__ import annotations

import os
import signal
import threading
import time

import lsdb
import pandas as pd
import pytest

from muwclass.config.run import DaskConfig, load_run_config
from muwclass.crossmatch.run_crossmatch import run_crossmatch as crossmatch
from muwclass.ingest.run_import import run_import as import_catalogs
from muwclass.runtime.sessions import dask_client as make_client
from muwclass.synth import generate_sky


def _conf(write_conf, tmp_path, synth, threshold, name):
    path = write_conf(
        {
            "csc": {
                "definition": "csc_master",
                "source": {"local": f"{synth}/csc_master/*.parquet", "format": "parquet"},
            },
            "gaia": {
                "definition": "gaia_dr3",
                "source": {"local": f"{synth}/gaia/*.parquet", "format": "parquet"},
            },
        },
        crossmatch={"xray": "csc", "targets": ["gaia"], "completeness": 0.75},
        **{"import": {"highest_healpix_order": 10, "pixel_threshold": threshold, "margin_arcsec": 30.0}},
    )
    moved = tmp_path / f"{name}.yaml"
    text = path.read_text().replace(str(tmp_path / "work"), str(tmp_path / f"work_{name}"))
    moved.write_text(text)
    return load_run_config(moved)


def _result(cfg) -> pd.DataFrame:
    return lsdb.read_hats(cfg.layout.xmatch("csc")).compute().sort_values("source_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def synth(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("xsky") / "synth"
    generate_sky(out, scale=0.002, seed=21, data_dir=data_dir, progress=False)
    return out


def test_same_result_for_any_partitioning(write_conf, tmp_path, synth, dask_client):
    coarse = _conf(write_conf, tmp_path, synth, 1_000_000, "coarse")
    fine = _conf(write_conf, tmp_path, synth, 2_000, "fine")
    results = []
    for cfg in (coarse, fine):
        import_catalogs(cfg, dask_client, progress=False)
        crossmatch(cfg, dask_client, progress=False)
        results.append(_result(cfg))
    n_parts = [lsdb.read_hats(c.layout.catalog("gaia")).npartitions for c in (coarse, fine)]
    assert n_parts[1] >= 2 * n_parts[0]  # really different partitionings
    pd.testing.assert_frame_equal(results[0], results[1])
    # the pole and RA = 0/360 fields are crossmatched too
    r = results[0]
    edge = r[(r["dec"].abs() > 89.8) | (r["ra"] < 0.2) | (r["ra"] > 359.8)]
    assert len(edge) > 5 and (edge["gaia_n_cand"] > 0).mean() > 0.5


def test_killing_a_worker_mid_crossmatch_gives_the_same_result(write_conf, tmp_path, synth):
    cfg = _conf(write_conf, tmp_path, synth, 2_000, "kill")
    with make_client(DaskConfig(n_workers=2, threads_per_worker=1, memory_limit="4GiB")) as client:
        import_catalogs(cfg, client, progress=False)
        crossmatch(cfg, client, progress=False)
        reference = _result(cfg)
        errors: list[BaseException] = []

        def work():
            try:
                crossmatch(cfg, client, progress=False)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        thread = threading.Thread(target=work)
        thread.start()
        killed = False
        deadline = time.time() + 60
        while time.time() < deadline and thread.is_alive():
            busy = {w: t for w, t in client.processing().items() if t}
            if busy:
                worker = next(iter(busy))
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.01)
        thread.join(timeout=300)
        assert killed, "the crossmatch finished before a worker could be killed"
        assert not errors, errors
        pd.testing.assert_frame_equal(_result(cfg), reference)
