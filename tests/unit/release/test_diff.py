"""``muwclass diff``: two real releases written by the release writer, every change kind and
reason, and one-line errors for releases that do not exist."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from muwclass.config.run import load_run_config
from muwclass.errors import ReleaseError
from muwclass.release.diff import read_release, release_diff, run_diff
from muwclass.release.writer import write_release
from tests.conftest import REPO

CLASSES = ["AGN", "YSO", "CV"]


def _release_table(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(len(CLASSES)), n)
    table = pd.DataFrame(
        {
            "source_id": [f"2CXO J{i:06d}" for i in range(n)],
            "ra": rng.uniform(10, 20, n),
            "dec": rng.uniform(-5, 5, n),
            "flux_b": rng.uniform(1e-15, 1e-13, n),
            "G": rng.uniform(12, 20, n),
            "gaia_source_id": [str(1000 + i) for i in range(n)],
            **{f"P_{c}": p[:, j] for j, c in enumerate(CLASSES)},
            "Class": np.asarray(CLASSES)[p.argmax(axis=1)],
            "Class_prob": p.max(axis=1),
            "CT": np.where(np.arange(n) % 2, 5.0, 1.0),
            "outlier_score": 1.0,
        }
    )
    table["confident"] = table["CT"] >= 2
    return table


@pytest.fixture
def two_releases(write_conf):
    cfg = load_run_config(write_conf({"csc": {"definition": "csc_master"}}))
    first = _release_table()
    second = first.copy()
    second.loc[0, "Class"] = "CV" if first.loc[0, "Class"] != "CV" else "AGN"  # class, no input changed
    second.loc[1, ["flux_b", "CT"]] = [first.loc[1, "flux_b"] * 3, 1.0]  # brighter, no longer confident
    second.loc[2, "ra"] += 0.5 / 3600  # moved 0.5": not a change kind on its own, so not listed ...
    second.loc[3, ["ra", "gaia_source_id", "G"]] = [first.loc[3, "ra"] + 0.5 / 3600, "999", 15.0]
    second.loc[4, "ra"] += 0.01 / 3600  # 0.01": not moved
    second = pd.concat(
        [second.drop(index=[5]), _release_table(41).tail(1)], ignore_index=True
    )  # one gone, one new
    for version, table in (("v1", first), ("v2", second)):
        write_release(
            cfg.layout.releases,
            version,
            table,
            pd.DataFrame(),
            {"version": version, "rows": {"in": len(table)}},
            "",
        )
    return cfg, first, second


def test_every_change_kind_with_its_reason(two_releases):
    cfg, first, second = two_releases
    out = run_diff(cfg, "v1", "latest")
    assert out == cfg.layout.diffs / "v1..v2"
    diff = pd.read_parquet(out / "diff.parquet").set_index("source_id")
    ids = first["source_id"]
    assert diff.loc[ids[0], "change"] == "class" and diff.loc[ids[0], "reason"] == "model (no input changed)"
    assert diff.loc[ids[1], "change"] == "confidence" and diff.loc[ids[1], "reason"] == "new flux"
    assert ids[2] not in diff.index and ids[4] not in diff.index  # a moved source keeps class and CT
    assert diff.loc[ids[3], "change"] == "counterpart"
    assert diff.loc[ids[3], "reason"] == "new position;new counterpart;new photometry"
    assert (
        diff.loc[ids[5], "change"] == "removed" and diff.loc[ids[5], "reason"] == "not in the second release"
    )
    assert diff.loc["2CXO J000040", "change"] == "new" and pd.isna(diff.loc["2CXO J000040", "CT_a"])
    assert len(diff) == 5
    summary = json.loads((out / "summary.json").read_text())
    assert summary["changes"] == {"new": 1, "removed": 1, "class": 1, "confidence": 1, "counterpart": 1}
    assert summary["rows"] == [40, 40] and len(pd.read_csv(out / "diff.csv")) == 5
    again = run_diff(cfg, "v1", "v2")  # our own product: replaced
    assert again == out
    assert (
        release_diff(read_release(out.parent.parent / "release" / "v1"), first.head(0).assign()).shape[0]
        == 40
    )


def test_missing_releases_and_repeated_ids_are_one_line_errors(two_releases, tmp_path):
    cfg, first, _ = two_releases
    with pytest.raises(ReleaseError, match=r"no release 'v9' in .* \(releases: v1, v2\)"):
        run_diff(cfg, "v1", "v9")
    with pytest.raises(ReleaseError, match="repeats source_id '2CXO J000000'"):
        release_diff(pd.concat([first, first.head(1)]), first)
    done = subprocess.run(
        [sys.executable, "-m", "muwclass.cli", "diff", "v1", "nope", "--conf", str(cfg.source_file)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "no release 'nope'" in done.stderr and "Traceback" not in done.stderr


def test_new_variability_is_a_reason():
    first = _release_table(4).assign(var_intra_prob=0.1, var_inter_prob=0.2)
    second = first.copy()
    second.loc[0, ["var_inter_prob", "Class"]] = [0.99, "CV" if first.loc[0, "Class"] != "CV" else "AGN"]
    diff = release_diff(first, second)
    assert diff["reason"].tolist() == ["new variability"] and diff["change"].tolist() == ["class"]
