"""The test cluster of ``conf/cluster-local.yaml`` on 127.0.0.1, started from that file.

``dask scheduler`` and two ``dask worker`` processes, a Spark standalone master and worker, and
moto's S3 server behind an :class:`~tests.object_store.Outage` relay at the configured endpoint,
with the configured buckets created and the bundled data uploaded to ``data_dir``. Used by
tests/e2e/test_cluster.py and bench/cluster.py; ``local_config`` writes the same run for one
machine (LocalCluster, Spark ``local[*]``, local disk), the reference both compare with.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.conftest import REPO
from tests.dask_processes import DaskProcesses, dask_processes
from tests.object_store import KEY_ID, SECRET, Outage, S3Server, upload_tree
from tests.spark_standalone import spark_env, standalone_cluster

CONF = REPO / "conf" / "cluster-local.yaml"


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


@dataclass
class LocalCluster:
    raw: dict  # conf/cluster-local.yaml as written
    env: dict  # for commands: Spark's environment and the credentials' variables
    store: S3Server
    outage: Outage
    dask: DaskProcesses

    @property
    def scratch(self) -> Path:
        return Path(self.raw["scratch_dir"])


def local_config(tmp: Path, data_dir: Path) -> Path:
    """``conf/default.yaml`` with ``data_dir`` and a work directory under ``tmp``."""
    path = tmp / "local.yaml"
    run = {
        "extends": str(REPO / "conf" / "default.yaml"),
        "data_dir": str(data_dir),
        "work_dir": str(tmp / "local"),
    }
    path.write_text(yaml.safe_dump(run))
    return path


@contextmanager
def cluster_local(tmp: Path, data_dir: Path) -> Iterator[LocalCluster]:
    """Everything ``conf/cluster-local.yaml`` names, running; the credentials' variables set in
    this process too (for ``load_run_config``); all stopped and unset afterwards."""
    raw = yaml.safe_load(CONF.read_text())
    shutil.rmtree(raw["scratch_dir"], ignore_errors=True)  # the scratch this configuration names
    credentials = {"MUWCLASS_S3_KEY": KEY_ID, "MUWCLASS_S3_SECRET": SECRET}
    store = S3Server(tmp / "moto.log")
    store.start()
    outage = Outage(store.port, port=_port(raw["storage_options"]["endpoint_url"]))
    outage.restore()
    os.environ.update(credentials)
    try:
        for url in (raw["data_dir"], raw["work_dir"]):
            store.create_bucket(url.removeprefix("s3://").split("/")[0])
        upload_tree(store, data_dir, raw["data_dir"])
        with (
            dask_processes(tmp, workers=2, port=_port(raw["dask"]["scheduler"])) as dask,
            standalone_cluster(tmp, port=_port(raw["spark"]["master"])),
        ):
            yield LocalCluster(raw, {**spark_env(tmp), **credentials}, store, outage, dask)
    finally:
        for name in credentials:
            os.environ.pop(name, None)
        outage.cut()
        store.stop()
