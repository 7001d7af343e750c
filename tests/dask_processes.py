"""A real Dask cluster of separate processes (``dask scheduler`` + ``dask worker``) for tests.

What a user gets from dask-jobqueue or dask-kubernetes, on 127.0.0.1: the code under test only
sees the scheduler's address (``dask.scheduler`` in the run configuration), as on a cluster.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tests.spark_standalone import free_port

DASK = Path(sys.executable).parent / "dask"


@contextmanager
def dask_processes(tmp: Path, workers: int = 2, memory: str = "2GiB"):
    """Yield the address of a running scheduler with ``workers`` single-threaded workers."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    logs = open(tmp / "dask-daemons.log", "ab")  # noqa: SIM115 - closed in finally
    common = {"stdout": logs, "stderr": subprocess.STDOUT, "start_new_session": True, "cwd": tmp}
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", port, "--dashboard-address", ":0"],
            **common,
        )
    ]
    try:
        for i in range(workers):
            procs.append(
                subprocess.Popen(
                    [str(DASK), "worker", address, "--nthreads", "1", "--memory-limit", memory,
                     "--no-dashboard", "--name", f"w{i}", "--local-directory", str(tmp / f"w{i}")],
                    env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
                    **common,
                )
            )  # fmt: skip
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        logs.close()
