"""Engine sessions built from the run configuration (Dask for catalogs, Spark for classification).

Jobs call these instead of building clients themselves, so that the embedded default
(a LocalCluster sized to the machine) and a cluster (a scheduler address) are one switch
in ``conf/*.yaml``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from muwclass.config.run import DaskConfig, SparkConfig

if TYPE_CHECKING:
    from distributed import Client
    from pyspark.sql import SparkSession


#: glibc malloc settings for the processes that run the science (Spark's Python workers, Dask
#: workers): numpy temporaries of a 20k-row task are 0.1-10 MB, which glibc's defaults mmap and
#: unmap (or trim off the heap) on every free, paying page faults each time. Measured on one
#: 20k-row classification task: 4.2 s default, 3.6 s with these, 7.2-8.4 s with Dask's
#: ``MALLOC_TRIM_THRESHOLD_=65536``. The scale-1.0 crossmatch on Dask: 134, 142 s vs 139, 152 s
#: with Dask's setting (alternating runs; about the machine's drift), peak RSS +0.3 GiB.
NUMERIC_MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(256 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(512 * 2**20)}


@contextmanager
def environ_kept() -> Iterator[Callable[[], None]]:
    """Undo changes to ``os.environ`` made inside the block, also at its start-up.

    Dask's nanny writes its worker settings (``MALLOC_TRIM_THRESHOLD_=65536``,
    ``OMP_NUM_THREADS=1``) into the *parent's* environment when it spawns a worker; a Spark JVM
    or subprocess started later in the same process inherited them and ran 1.4-1.7x slower.
    """
    saved = dict(os.environ)

    def restore() -> None:
        os.environ.clear()
        os.environ.update(saved)

    try:
        yield restore
    finally:
        restore()


@contextmanager
def dask_client(
    cfg: DaskConfig, local_directory: Path | None = None, in_process: bool = False
) -> Iterator[Client | None]:
    """A Dask client: connect to ``cfg.scheduler`` or start a LocalCluster for this run.

    ``in_process``: for a few partitions without a configured scheduler, no cluster at all but
    Dask's threaded scheduler in this process (yields None). Measured: a LocalCluster of two
    worker processes takes 9.3 s to start, while a one-observation update's whole crossmatch
    (one pixel, 4,300 X-ray sources) is ~3 s of work."""
    import dask
    from distributed import Client, LocalCluster

    dask.config.set({"distributed.worker.daemon": False})
    if cfg.scheduler:
        with Client(cfg.scheduler, timeout="30s") as client:
            yield client
        return
    if in_process:
        with dask.config.set(scheduler="threads", num_workers=cfg.n_workers * cfg.threads_per_worker):
            yield None
        return
    spawn_env = {
        **dask.config.get("distributed.nanny.pre-spawn-environ", {}),
        **NUMERIC_MALLOC_ENV,
        **cfg.worker_env,
    }
    distributed_logs = logging.getLogger("distributed")
    level = distributed_logs.level
    try:
        with (
            environ_kept() as restore,
            dask.config.set({"distributed.nanny.pre-spawn-environ": spawn_env}),
            LocalCluster(
                n_workers=cfg.n_workers,
                threads_per_worker=cfg.threads_per_worker,
                memory_limit=cfg.memory_limit,
                processes=True,
                dashboard_address=":0",  # a free port: several clusters (tests, CI) may run at once
                local_directory=str(local_directory) if local_directory else None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            restore()  # the workers have their settings; this process keeps its own
            if cfg.dashboard:
                print(f"Dask dashboard: {client.dashboard_link}")
            try:
                yield client
            finally:
                _quiet_shutdown(client)
    finally:
        distributed_logs.setLevel(level)  # after the cluster has closed


def _silence_distributed() -> None:
    logging.getLogger("distributed").setLevel(logging.CRITICAL)


def _quiet_shutdown(client) -> None:
    """Silence Dask's loggers, in the workers and here, before the cluster closes.

    A worker still busy (or spilling) when the scheduler goes away logs "Failed to communicate
    with scheduler during heartbeat" with a traceback (seen between the parts of
    ``bench.crossmatch`` at scale 1.0); after the run's results are in, that is noise which
    makes a finished run look failed. :func:`dask_client` restores this process's level once
    the cluster has closed."""
    with contextlib.suppress(Exception):  # a dead worker needs no silencing
        client.run(_silence_distributed)
    _silence_distributed()


@contextmanager
def spark_session(cfg: SparkConfig, app_name: str | None = None) -> Iterator[SparkSession]:
    """A SparkSession for one job; under ``spark-submit`` the submitted master wins.

    The session is stopped at the end so the JVM and its Python workers do not outlive the job.
    """
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


def spark_session_started_early(
    stack: contextlib.ExitStack,
    cfg: SparkConfig,
    app_name: str | None = None,
    then: Callable[[SparkSession], None] | None = None,
) -> Future[SparkSession]:
    """:func:`spark_session` started on a background thread while the caller does other work,
    followed by ``then(session)`` there (a warm-up); the future gives the session, and ``stack``
    stops it (after the start has finished, even if the caller failed meanwhile). The JVM's
    start (4.6 s measured) and its first job (2.8 s more) then overlap a job's Dask part
    instead of following it."""
    manager = spark_session(cfg, app_name)
    pool = ThreadPoolExecutor(1, thread_name_prefix="spark-start")

    def start() -> SparkSession:
        session = manager.__enter__()
        try:
            if then is not None:
                then(session)
        except BaseException:
            manager.__exit__(None, None, None)
            raise
        return session

    future = pool.submit(start)

    def stop() -> None:
        pool.shutdown(wait=True)
        if future.exception() is None:
            manager.__exit__(None, None, None)

    stack.callback(stop)
    return future


#: Quiet, deterministic defaults; ``spark.conf`` in the run configuration overrides them.
SPARK_DEFAULTS = {
    "spark.ui.showConsoleProgress": "false",  # our rich bar replaces Spark's console bar
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.python.worker.reuse": "true",
    **{f"spark.executorEnv.{k}": v for k, v in NUMERIC_MALLOC_ENV.items()},  # Python workers too
}


def _submitted() -> bool:
    """True inside ``spark-submit``: its JVM starts first and hands Python the gateway port,
    and its ``--master`` must win over the configuration file's master."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


@contextmanager
def spark_job_progress(
    spark: SparkSession, description: str, total: int, enabled: bool = True
) -> Iterator[None]:
    """A rich progress bar fed by Spark's status tracker (finished tasks of this job group).

    Runs a polling thread so the driver code stays a plain ``collect()``.
    """
    import threading
    import uuid

    from muwclass.runtime.progress import progress_bar

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
