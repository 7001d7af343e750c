"""The chain on a cluster of separate processes with an object store, against one machine.

    python -m bench.cluster [--repeats 2]

The bundled data through ``muwclass import / crossmatch / train / classify-catalog``, each a
fresh command as a user runs it, two ways, alternated (this machine's speed drifts by tens of
percent within minutes), best of ``--repeats`` each:

- ``local``: ``conf/default.yaml``: a Dask LocalCluster of two worker processes started by each
  command, Spark ``local[*]``, files on local disk;
- ``cluster``: ``conf/cluster-local.yaml``: a ``dask scheduler`` and two ``dask worker``
  processes, a Spark standalone master and worker (two cores), inputs, work directory and
  release on an S3-compatible server (moto) on 127.0.0.1: the cluster of tests/e2e/test_cluster.py.

Both get the machine's two cores. Writes bench/results/cluster.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.table import Table

from muwclass.config.run import REPO_ROOT
from muwclass.runtime.progress import console

RESULTS = REPO_ROOT / "bench" / "results"
STAGES = [
    ["import", "--no-progress"],
    ["crossmatch"],
    ["train", "--force"],
    ["classify-catalog", "--release-version", "bench", "--force", "--no-progress"],
]


def _chain(conf: Path, env: dict) -> dict[str, float]:
    seconds = {}
    for stage in STAGES:
        cmd = [sys.executable, "-m", "muwclass.cli", stage[0], "--conf", str(conf), *stage[1:]]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{stage[0]} failed on {conf}:\n{done.stderr[-3000:]}")
        seconds[stage[0]] = round(time.perf_counter() - t0, 1)
    seconds["chain"] = round(sum(seconds.values()), 1)
    return seconds


def main(argv: list[str] | None = None) -> None:
    from tests.cluster_local import CONF, cluster_local, local_config
    from tests.conftest import REPO

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args(argv)
    data_dir = Path(os.environ.get("MUWCLASS_DATA", REPO.parent / "shared" / "muwclass-data")).resolve()
    runs: dict[str, list[dict]] = {"local": [], "cluster": []}
    with (
        tempfile.TemporaryDirectory(prefix="muwclass-bench-cluster-") as tmp,
        cluster_local(Path(tmp), data_dir) as cluster,
    ):
        local = local_config(Path(tmp), data_dir)
        fs, work = cluster.store.fs(), cluster.raw["work_dir"].removeprefix("s3://")
        for i in range(args.repeats):
            for name, conf in (("local", local), ("cluster", CONF)):
                # every repeat imports again: the import skips unchanged inputs otherwise
                if name == "local":
                    shutil.rmtree(Path(tmp) / "local", ignore_errors=True)
                else:
                    if fs.exists(work):
                        fs.rm(work, recursive=True)
                    shutil.rmtree(cluster.scratch, ignore_errors=True)
                runs[name].append(_chain(conf, cluster.env))
                console.print(f"{name} run {i + 1}: {runs[name][-1]}")
    best = {name: min(r, key=lambda s: s["chain"]) for name, r in runs.items()}
    result = {"repeats": args.repeats, "runs": runs, "best": best,
              "cluster_over_local": round(best["cluster"]["chain"] / best["local"]["chain"], 2)}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cluster.json").write_text(json.dumps(result, indent=2) + "\n")
    table = Table(title="the chain on the bundled data, seconds (best of each)")
    table.add_column("stage")
    for name in best:
        table.add_column(name, justify="right")
    for stage in [*[s[0] for s in STAGES], "chain"]:
        table.add_row(stage, *(f"{best[n][stage]:.1f}" for n in best))
    console.print(table)
    console.print(f"cluster / local: {result['cluster_over_local']}")


if __name__ == "__main__":
    main()
