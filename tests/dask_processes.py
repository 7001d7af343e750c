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


class DaskProcesses:
    """A scheduler and its workers, each its own process group; a worker can be killed and
    replaced as a cluster's job scheduler would (:meth:`kill_worker`, :meth:`add_worker`)."""

    def __init__(self, tmp: Path, port: int, memory: str) -> None:
        self.tmp, self.memory = tmp, memory
        self.address = f"tcp://127.0.0.1:{port}"
        self.logs = open(tmp / "dask-daemons.log", "ab")  # noqa: SIM115 - closed in stop()
        self.scheduler = self._start(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"]
        )
        self.workers: list[subprocess.Popen] = []

    def _start(self, cmd: list[str]) -> subprocess.Popen:
        return subprocess.Popen(
            cmd,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            stdout=self.logs,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.tmp,
        )

    def add_worker(self) -> None:
        name = f"w{len(self.workers)}"
        self.workers.append(
            self._start(
                [str(DASK), "worker", self.address, "--nthreads", "1", "--memory-limit", self.memory,
                 "--no-dashboard", "--name", name, "--local-directory", str(self.tmp / name)]
            )
        )  # fmt: skip

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(n, timeout=120)

    def kill_worker(self) -> int:
        """SIGKILL the oldest live worker (no goodbye to the scheduler); returns its pid."""
        victim = next(p for p in self.workers if p.poll() is None)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        return victim.pid

    def stop(self) -> None:
        for p in [*reversed(self.workers), self.scheduler]:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in [*self.workers, self.scheduler]:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        self.logs.close()


@contextmanager
def dask_processes(tmp: Path, workers: int = 2, memory: str = "2GiB", port: int | None = None):
    """Yield a running :class:`DaskProcesses` with ``workers`` single-threaded workers."""
    cluster = DaskProcesses(tmp, port or free_port(), memory)
    try:
        for _ in range(workers):
            cluster.add_worker()
        cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.stop()
