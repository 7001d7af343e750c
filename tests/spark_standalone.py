"""A real Spark standalone cluster (master + one worker on 127.0.0.1) for tests.

The pyspark wheel ships ``bin/spark-class`` but no ``sbin/start-*.sh``; the daemons are
started directly, like ``start-master.sh`` would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psutil
import pyspark

SPARK_HOME = Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_dir(tmp: Path) -> Path:
    """``SPARK_WORKER_DIR`` of the cluster of ``tmp``: where its executors run."""
    return tmp / "worker"


def spark_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SPARK_HOME": str(SPARK_HOME),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_WORKER_DIR": str(worker_dir(tmp)),
        "SPARK_LOG_DIR": str(tmp / "logs"),
    }


@contextmanager
def standalone_cluster(tmp: Path, cores: int = 2, memory: str = "3g", port: int | None = None):
    """Yield the master URL of a running master + worker; both are stopped afterwards."""
    env = spark_env(tmp)
    port, ui, worker_ui = port or free_port(), free_port(), free_port()
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    logs = tmp / "daemons.log"
    with open(logs, "ab") as log:
        master = subprocess.Popen(
            [
                spark_class,
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(ui),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"spark://127.0.0.1:{port}"
        worker = subprocess.Popen(
            [
                spark_class,
                "org.apache.spark.deploy.worker.Worker",
                url,
                "--host",
                "127.0.0.1",
                "--cores",
                str(cores),
                "--memory",
                memory,
                "--webui-port",
                str(worker_ui),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_for_worker(ui, logs)
            yield url
        finally:
            for proc in (worker, master):
                os.killpg(proc.pid, 15)
            for proc in (worker, master):
                proc.wait(timeout=30)


def _wait_for_worker(ui_port: int, logs: Path, timeout: float = 90.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as r:
                state = json.load(r)
            if any(w.get("state") == "ALIVE" for w in state.get("workers", [])):
                return
        except (OSError, ValueError):  # not up yet, or still answering with a page, not JSON
            pass
        time.sleep(0.5)
    raise RuntimeError(f"Spark standalone worker did not register within {timeout:.0f} s; see {logs}")


def executor_pids(tmp: Path) -> list[int]:
    """PIDs of the executor JVMs (CoarseGrainedExecutorBackend) of the standalone cluster started
    with ``spark_env(tmp)``: those whose working directory is under its ``SPARK_WORKER_DIR``, so
    that a test kills its own executor and never another test's (the suite runs in parallel)."""
    under = str(worker_dir(tmp)) + os.sep
    pids = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        cmdline, cwd = proc.info["cmdline"] or [], proc.info["cwd"] or ""
        if any("CoarseGrainedExecutorBackend" in arg for arg in cmdline) and cwd.startswith(under):
            pids.append(proc.pid)
    return pids
