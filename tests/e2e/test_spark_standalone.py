"""classify-catalog under spark-submit on a real standalone cluster, with an executor killed."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pandas as pd

from tests.conftest import REPO
from tests.spark_standalone import SPARK_HOME, executor_pids, spark_env, standalone_cluster


def _submit(url, conf, version, env):
    cmd = [
        str(SPARK_HOME / "bin" / "spark-submit"),
        "--master",
        url,
        "--conf",
        "spark.executor.memory=2g",
        str(REPO / "jobs" / "classify_catalog.py"),
        "--conf",
        str(conf),
        "--release-version",
        version,
        "--no-progress",
    ]
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _release(cfg, version):
    return (
        pd.read_csv(cfg.layout.releases / version / "classified.csv")
        .sort_values("source_id")
        .reset_index(drop=True)
    )


def test_submit_to_standalone_and_survive_a_killed_executor(crossmatched, tmp_path):
    conf, cfg = crossmatched
    env = spark_env(tmp_path)
    with standalone_cluster(tmp_path) as url:
        proc = _submit(url, conf, "undisturbed", env)
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-3000:]
        assert "release" in out and url in (cfg.layout.releases / "undisturbed" / "manifest.json").read_text()

        proc = _submit(url, conf, "disturbed", env)
        killed = None
        deadline = time.time() + 300
        stage = cfg.layout.classified
        while time.time() < deadline and proc.poll() is None:
            pids = executor_pids(tmp_path)
            if pids and stage.exists():  # the job is writing: tasks are running on the executor
                os.kill(pids[0], signal.SIGKILL)
                killed = pids[0]
                break
            time.sleep(0.05)
        out, _ = proc.communicate(timeout=600)
        assert killed, "the job finished before an executor could be killed"
        assert proc.returncode == 0, out[-3000:]
    pd.testing.assert_frame_equal(_release(cfg, "undisturbed"), _release(cfg, "disturbed"))
