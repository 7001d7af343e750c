"""The whole chain with inputs, work directory and releases on an object store.

A real S3-compatible server (moto, its own process on 127.0.0.1) holds the bundled data; the
commands run as a user runs them (``muwclass import / crossmatch / train / classify-catalog``,
each a fresh process), with the secret given through ``${NAME}`` in ``storage_options``. The
release is compared with the same chain run on local disk, and every output and log is
searched for the secret."""

from __future__ import annotations

import os
import subprocess
import sys

import lsdb
import pandas as pd
import pytest
import yaml

from muwclass.config.run import load_run_config
from muwclass.io.atomic import current, latest_version
from tests.conftest import REPO
from tests.object_store import SECRET, s3_server, upload_tree

pytestmark = [pytest.mark.dask, pytest.mark.spark, pytest.mark.slow]

STAGES = (
    ["import"],
    ["crossmatch"],
    ["train"],
    ["classify-catalog", "--release-version", "v1", "--no-progress"],
)


def _chain(conf, env) -> str:
    logs = []
    for stage in STAGES:
        cmd = [sys.executable, "-m", "muwclass.cli", stage[0], "--conf", str(conf), *stage[1:]]
        if stage[0] == "import":
            cmd.append("--no-progress")
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
        logs.append(done.stdout + done.stderr)
        assert done.returncode == 0, f"{stage}: {done.stderr[-3000:]}"
    return "\n".join(logs)


def _release(cfg) -> pd.DataFrame:
    root = cfg.layout.releases
    version = latest_version(root) or "v1"
    frame = lsdb.read_hats(current(root / version) / "hats").compute()
    return frame.sort_values("source_id").reset_index(drop=True)


def test_chain_on_s3_equals_the_local_chain(tmp_path, data_dir):
    base = {"extends": str(REPO / "conf" / "default.yaml"), "dask": {"n_workers": 2, "threads_per_worker": 1}}
    local_conf = tmp_path / "local.yaml"
    local_conf.write_text(
        yaml.safe_dump({**base, "data_dir": str(data_dir), "work_dir": str(tmp_path / "local")})
    )
    env = {**os.environ, "MUW_S3_SECRET": SECRET}
    _chain(local_conf, env)
    expected = _release(load_run_config(local_conf))

    with s3_server(tmp_path) as server:
        upload_tree(server, data_dir, "s3://muwclass/inputs")
        s3_conf = tmp_path / "s3.yaml"
        s3_conf.write_text(
            yaml.safe_dump(
                {
                    **base,
                    "data_dir": "s3://muwclass/inputs",
                    "work_dir": "s3://muwclass/work",
                    "scratch_dir": str(tmp_path / "scratch"),
                    "storage_options": server.storage_options("${MUW_S3_SECRET}"),
                }
            )
        )
        logs = _chain(s3_conf, env)
        os.environ["MUW_S3_SECRET"] = SECRET
        try:
            cfg = load_run_config(s3_conf)
            got = _release(cfg)
            fs = cfg.work_dir.fs
            for name in fs.find(cfg.work_dir.path):
                if name.endswith((".json", ".md", ".csv", ".html", ".properties", ".txt")):
                    assert SECRET not in fs.cat_file(name).decode("utf-8", "replace"), name
        finally:
            del os.environ["MUW_S3_SECRET"]
    assert SECRET not in logs
    assert len(got) == len(expected) > 0
    pd.testing.assert_frame_equal(got, expected, check_like=True)
