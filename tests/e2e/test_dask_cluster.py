"""Import and crossmatch on a Dask cluster of separate processes, as started by SLURM or Kubernetes.

The run configuration names only the scheduler's address; the scheduler and the workers are
other processes (other hosts on a cluster) that read the same shared files. The result must be
the one the in-process LocalCluster gives.
"""

from __future__ import annotations

import os

import lsdb
import pandas as pd
import yaml

from muwclass.config.run import load_run_config
from muwclass.crossmatch.run_crossmatch import run_crossmatch
from muwclass.ingest.run_import import run_import
from tests.dask_processes import dask_processes


def test_import_and_crossmatch_on_a_separate_scheduler_and_workers(crossmatched, tmp_path):
    conf, local = crossmatched  # the same field, imported and crossmatched on a LocalCluster
    with dask_processes(tmp_path, workers=2) as cluster:
        address = cluster.address
        raw = yaml.safe_load(conf.read_text())
        raw["dask"] = {"scheduler": address}
        raw["work_dir"] = str(tmp_path / "remote-work")
        remote_conf = tmp_path / "remote.yaml"
        remote_conf.write_text(yaml.safe_dump(raw))
        cfg = load_run_config(remote_conf)
        from distributed import Client

        with Client(address) as client:
            assert os.getpid() not in set(client.run(os.getpid).values()) | {
                client.run_on_scheduler(os.getpid)
            }
        reports = run_import(cfg, progress=False)  # no client given: connects to dask.scheduler
        run_crossmatch(cfg, progress=False)
    assert {r["catalog"] for r in reports} >= {"csc", "gaia", "tmass", "allwise"}
    ours = lsdb.read_hats(cfg.layout.xmatch("csc")).compute().sort_values("source_id").reset_index(drop=True)
    theirs = (
        lsdb.read_hats(local.layout.xmatch("csc")).compute().sort_values("source_id").reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(ours, theirs)
