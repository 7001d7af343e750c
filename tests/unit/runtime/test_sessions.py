"""Engine sessions: what the workers' environment is, and that it stays theirs."""

from __future__ import annotations

import os

from muwclass.config.run import DaskConfig
from muwclass.runtime.sessions import NUMERIC_MALLOC_ENV, dask_client, environ_kept


def _worker_env() -> dict[str, str | None]:
    import os

    return {
        k: os.environ.get(k)
        for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "OMP_NUM_THREADS", "MUWCLASS_TEST_VAR")
    }


def test_local_cluster_workers_get_their_env_and_the_driver_keeps_its_own():
    before = dict(os.environ)
    cfg = DaskConfig(
        n_workers=1, threads_per_worker=1, memory_limit="1GiB", worker_env={"MUWCLASS_TEST_VAR": "yes"}
    )
    with dask_client(cfg) as client:
        inside = dict(os.environ)
        workers = client.run(_worker_env)
    assert inside == before, "the nanny's worker settings leaked into this process"
    assert dict(os.environ) == before
    (env,) = workers.values()
    assert (
        env["MALLOC_TRIM_THRESHOLD_"] == NUMERIC_MALLOC_ENV["MALLOC_TRIM_THRESHOLD_"]
    )  # ours over Dask's 65536
    assert env["MALLOC_MMAP_THRESHOLD_"] == NUMERIC_MALLOC_ENV["MALLOC_MMAP_THRESHOLD_"]
    assert env["OMP_NUM_THREADS"] == "1"  # Dask's own defaults stay
    assert env["MUWCLASS_TEST_VAR"] == "yes"  # dask.worker_env from the run configuration


def test_environ_kept_undoes_changes_and_removals():
    os.environ["MUWCLASS_KEEP"] = "1"
    try:
        with environ_kept():
            os.environ["MUWCLASS_NEW"] = "x"
            del os.environ["MUWCLASS_KEEP"]
        assert "MUWCLASS_NEW" not in os.environ and os.environ["MUWCLASS_KEEP"] == "1"
    finally:
        os.environ.pop("MUWCLASS_KEEP", None)


def test_spark_python_workers_get_the_malloc_settings(spark):
    def env(batches):
        import os

        import pandas as pd

        for pdf in batches:
            yield pd.DataFrame({k: [os.environ.get(k)] * len(pdf) for k in NUMERIC_MALLOC_ENV})

    ddl = ", ".join(f"{k} string" for k in NUMERIC_MALLOC_ENV)
    rows = spark.range(4).mapInPandas(env, ddl).distinct().collect()
    assert [r.asDict() for r in rows] == [NUMERIC_MALLOC_ENV]


def _distributed_level() -> int:
    import logging

    return logging.getLogger("distributed").level


def test_shutdown_is_quiet_and_the_driver_log_level_comes_back():
    """Issue 19, case 15: workers still busy at shutdown logged heartbeat tracebacks."""
    import logging

    from muwclass.runtime.sessions import _quiet_shutdown

    level = logging.getLogger("distributed").level
    with dask_client(DaskConfig(n_workers=1, threads_per_worker=1, memory_limit="1GiB")) as client:
        assert set(client.run(_distributed_level).values()) != {logging.CRITICAL}
        _quiet_shutdown(client)  # what leaving the block does first
        assert set(client.run(_distributed_level).values()) == {logging.CRITICAL}
    assert logging.getLogger("distributed").level == level
