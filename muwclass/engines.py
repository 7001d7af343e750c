"""Engine sessions built from the run configuration (Dask now; Spark joins later).

Jobs call these instead of building clients themselves, so that the embedded default
(a LocalCluster sized to the machine) and a cluster (a scheduler address) are one switch
in ``conf/*.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import logging
from pathlib import Path

from muwclass.config import DaskConfig


@contextmanager
def dask_client(cfg: DaskConfig, local_directory: Path | None = None) -> Iterator["distributed.Client"]:  # noqa: F821
    """A Dask client: connect to ``cfg.scheduler`` or start a LocalCluster for this run."""
    import dask
    from distributed import Client, LocalCluster

    dask.config.set({"distributed.worker.daemon": False})
    if cfg.scheduler:
        with Client(cfg.scheduler, timeout="30s") as client:
            yield client
        return
    with LocalCluster(
        n_workers=cfg.n_workers,
        threads_per_worker=cfg.threads_per_worker,
        memory_limit=cfg.memory_limit,
        processes=True,
        dashboard_address=":0",  # a free port: several clusters (tests, CI) may run at once
        local_directory=str(local_directory) if local_directory else None,
        silence_logs=logging.ERROR,
    ) as cluster, Client(cluster) as client:
        if cfg.dashboard:
            print(f"Dask dashboard: {client.dashboard_link}")
        yield client
