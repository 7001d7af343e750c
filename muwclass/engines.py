"""Engine sessions built from the run configuration (Dask for catalogs, Spark for classification).

Jobs call these instead of building clients themselves, so that the embedded default
(a LocalCluster sized to the machine) and a cluster (a scheduler address) are one switch
in ``conf/*.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import logging
import sys
from pathlib import Path

from muwclass.config import DaskConfig, SparkConfig


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


@contextmanager
def spark_session(cfg: SparkConfig, app_name: str | None = None) -> Iterator["pyspark.sql.SparkSession"]:  # noqa: F821
    """A SparkSession for one job; under ``spark-submit`` the submitted master wins.

    The session is stopped at the end so the JVM and its Python workers do not outlive the job.
    """
    import os

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run the same venv
    if cfg.master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no "resolves to a loopback address" warning
    builder = SparkSession.builder.appName(app_name or cfg.app_name)
    if not _submitted():
        builder = builder.master(cfg.master)
    for key, value in {**SPARK_DEFAULTS, **cfg.conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()


#: Quiet, deterministic defaults; ``spark.conf`` in the run configuration overrides them.
SPARK_DEFAULTS = {
    "spark.ui.showConsoleProgress": "false",  # our rich bar replaces Spark's console bar
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.python.worker.reuse": "true",
}


def _submitted() -> bool:
    """True inside ``spark-submit``: its JVM starts first and hands Python the gateway port,
    and its ``--master`` must win over the configuration file's master."""
    import os

    return "PYSPARK_GATEWAY_PORT" in os.environ


@contextmanager
def spark_job_progress(spark: "pyspark.sql.SparkSession", description: str, total: int, enabled: bool = True) -> Iterator[None]:  # noqa: F821
    """A rich progress bar fed by Spark's status tracker (finished tasks of this job group).

    Runs a polling thread so the driver code stays a plain ``collect()``.
    """
    import threading
    import uuid

    from muwclass.progress import progress_bar

    sc = spark.sparkContext
    group = f"muwclass-{uuid.uuid4().hex[:8]}"
    sc.setJobGroup(group, description)
    stop = threading.Event()

    def poll(bar, task) -> None:
        tracker = sc.statusTracker()
        while not stop.wait(0.5):
            done = 0
            for job_id in tracker.getJobIdsForGroup(group) or []:
                job = tracker.getJobInfo(job_id)
                for stage_id in job.stageIds if job else []:
                    stage = tracker.getStageInfo(stage_id)
                    if stage:
                        done += stage.numCompletedTasks
            bar.update(task, completed=min(done, total))

    with progress_bar(enabled) as bar:
        task = bar.add_task(description, total=total)
        thread = threading.Thread(target=poll, args=(bar, task), daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            bar.update(task, completed=total)
            sc.setJobGroup("", "")
