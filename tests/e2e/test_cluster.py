"""The whole chain on a real cluster of separate processes, with faults, against an object store.

What a user runs on a cluster, on 127.0.0.1: ``dask scheduler`` and two ``dask worker``
processes (TCP), a Spark standalone master and worker, and an S3-compatible server (moto, its
own process, behind a relay the test can cut). The chain runs as ``muwclass`` commands with
``conf/cluster-local.yaml``, which differs from ``conf/cluster.yaml`` only in addresses and
bucket names. Along the way a Dask worker is killed mid-import and mid-crossmatch (and replaced,
as SLURM or Kubernetes would), the Spark executor mid-classification; the release must equal
the one of the same chain on one machine (LocalCluster, local disk). Then the store goes away in
the middle of the next release (an update): one line naming the endpoint, nothing published,
and the rerun after it is back completes; diff, evaluate and field run on the cluster too. The
secret credential is searched for in every output and log.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import lsdb
import pandas as pd
import pytest
import yaml

from muwclass.config.run import load_run_config
from muwclass.io.atomic import current, latest_version
from muwclass.io.products import published
from tests.cluster_local import CONF, cluster_local, local_config
from tests.conftest import REPO
from tests.object_store import SECRET
from tests.spark_standalone import executor_pids

pytestmark = [pytest.mark.dask, pytest.mark.spark, pytest.mark.slow]

ADDRESSES = re.compile(r"(s3://[a-z0-9-]+|https?://[^\s\"]+|spark://\S+|tcp://\S+)")


def test_cluster_local_differs_from_cluster_only_in_addresses_and_buckets():
    def skeleton(path: Path) -> list[str]:
        lines = [ln.split("#")[0].rstrip() for ln in path.read_text().splitlines()]
        return [ADDRESSES.sub("<address>", ln) for ln in lines if ln.strip()]

    assert skeleton(CONF) == skeleton(REPO / "conf" / "cluster.yaml")


def _muwclass(stage: list[str], env: dict, conf: Path = CONF) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "muwclass.cli", stage[0], "--conf", str(conf), *stage[1:]]
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _finish(proc: subprocess.Popen, what: str, logs: list[str]) -> str:
    out, _ = proc.communicate(timeout=900)
    logs.append(out)
    assert proc.returncode == 0, f"{what}: {out[-3000:]}"
    return out


def _when(condition, proc: subprocess.Popen, timeout: float = 300) -> bool:
    """Poll ``condition`` while ``proc`` runs; True once it holds (False if proc ended first)."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _release_rows(cfg) -> pd.DataFrame:
    root = cfg.layout.releases
    frame = lsdb.read_hats(current(root / latest_version(root)) / "hats").compute()
    return frame.sort_values("source_id").reset_index(drop=True)


STAGES = [
    ["import", "--no-progress"],
    ["crossmatch"],
    ["train"],
    ["classify-catalog", "--release-version", "v1", "--no-progress"],
]


def test_whole_chain_on_the_cluster_with_faults_equals_the_local_run(tmp_path, data_dir):
    logs: list[str] = []
    with cluster_local(tmp_path, data_dir) as cluster:
        env, raw, scratch = cluster.env, cluster.raw, cluster.scratch
        # the reference: the same run on one machine (LocalCluster, Spark local, disk)
        local = local_config(tmp_path, data_dir)
        for stage in STAGES:
            _finish(_muwclass(stage, env, local), f"local {stage[0]}", logs)
        expected = _release_rows(load_run_config(local))
        cfg = load_run_config(CONF)
        fs, work = cfg.work_dir.fs, cfg.work_dir.path
        # import: a Dask worker killed once hats-import is under way, then replaced
        proc = _muwclass(STAGES[0], env)
        assert _when(lambda: any((scratch / "import_tmp").glob("*")), proc), "import ended before the kill"
        cluster.dask.kill_worker()
        cluster.dask.add_worker()
        _finish(proc, "import", logs)

        # crossmatch: a Dask worker killed while the joins are being written
        proc = _muwclass(STAGES[1], env)
        assert _when(lambda: fs.exists(f"{work}/hats/.xmatch_work"), proc), "crossmatch ended before the kill"
        cluster.dask.kill_worker()
        cluster.dask.add_worker()
        _finish(proc, "crossmatch", logs)
        _finish(_muwclass(STAGES[2], env), "train", logs)

        # classify-catalog: the Spark executor killed while tasks run
        proc = _muwclass(STAGES[3], env)
        assert _when(lambda: bool(executor_pids(tmp_path)) and fs.exists(f"{work}/classified"), proc), (
            "classification ended before the kill"
        )
        os.kill(executor_pids(tmp_path)[0], signal.SIGKILL)
        _finish(proc, "classify-catalog", logs)
        got = _release_rows(cfg)
        pd.testing.assert_frame_equal(got, expected, check_like=True)

        # the store goes away in the middle of the next release (an update with the new
        # observations): one line naming the endpoint, nothing published, and the rerun after it
        # is back completes. (Cut during the update rather than during a second full release: the
        # same publication path, one classification of the whole catalog less.)
        observations = [f"{raw['data_dir']}/fields/IC2395_CXO/{o}_results.csv" for o in (21137, 24613)]
        update = ["update", "--observations", *observations, "--release-version", "v2", "--no-progress"]
        proc = _muwclass(update, env)
        assert _when(lambda: fs.exists(f"{work}/update_work"), proc), "update ended before the outage"
        cluster.outage.cut()
        out, _ = proc.communicate(timeout=900)
        logs.append(out)
        assert proc.returncode != 0
        last = out.strip().splitlines()[-1]
        assert ": error: " in last and cluster.outage.endpoint in last and "Traceback" not in out, out[-3000:]
        cluster.outage.restore()
        assert latest_version(cfg.layout.releases) == "v1"
        assert not published(cfg.layout.releases / "v2")
        _finish(_muwclass(update, env), "update after the outage", logs)
        assert latest_version(cfg.layout.releases) == "v2"
        changes = pd.read_csv((current(cfg.layout.releases / "v2") / "diff.csv").open("rb"))
        assert (changes["change"] == "new").sum() == 46  # as on one machine (README)

        # the other stages on the cluster and the store: diff, evaluate, field
        _finish(_muwclass(["diff", "v1", "v2"], env), "diff", logs)
        assert published(cfg.layout.diffs / "v1..v2")
        evaluate = ["evaluate", "--folds", "3", "--permutation-repeats", "0", "--no-progress"]
        _finish(_muwclass(evaluate, env), "evaluate", logs)
        assert (current(cfg.layout.evaluation("3")) / "metrics.json").exists()
        field = tmp_path / "field.yaml"
        keys = ("data_dir", "work_dir", "scratch_dir", "storage_options", "spark", "dask")
        field.write_text(
            yaml.safe_dump(
                {"extends": str(REPO / "conf" / "fields" / "IC2395.yaml"), **{k: raw[k] for k in keys}}
            )
        )
        _finish(_muwclass(["field"], env, field), "field", logs)
        assert (current(cfg.layout.field("IC2395")) / "index.html").exists()

        # the secret is nowhere: command output, daemon logs, scratch, every stored text
        for name in fs.find(work):
            if name.endswith((".json", ".md", ".csv", ".html", ".properties", ".txt", ".yaml")):
                assert SECRET not in fs.cat_file(name).decode("utf-8", "replace"), name
    assert SECRET not in "\n".join(logs)
    for log in [
        *tmp_path.rglob("*.log"),
        *tmp_path.rglob("stderr"),
        *tmp_path.rglob("stdout"),
        *scratch.rglob("*"),
    ]:
        if log.is_file():
            assert SECRET.encode() not in log.read_bytes(), log
