"""`muwclass update` on the real IC 2395 field with its two newer Chandra observations (ACIS
Extract tables of ObsIDs 21137 and 24613): a valid new release sharing the untouched
partitions, its diff, idempotence, refusals that change nothing, a kill that leaves the
parent intact, and equivalence with a full run that folds the same observations in."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import lsdb
import numpy as np
import pandas as pd
import pytest
import yaml
from hats.io.validation import is_valid_catalog

from muwclass.config.run import load_run_config
from muwclass.crossmatch.run_crossmatch import run_crossmatch
from muwclass.ingest.run_import import run_import
from muwclass.io.hats_pixels import catalog_files
from tests.browser import chromium, render, selftest  # noqa: F401 - chromium is a fixture
from tests.conftest import REPO

FIELD = "fields/IC2395/IC2395"
OBS = [f"fields/IC2395_CXO/{obsid}_results.csv" for obsid in (21137, 24613)]


def small_run(path, data_dir, work, catalogs: dict, **extra):
    """A run configuration for a small release: 20-tree models, 5 draws, Spark local[2]."""
    conf = {
        "data_dir": str(data_dir),
        "work_dir": str(work),
        "dask": {"n_workers": 2, "threads_per_worker": 1, "memory_limit": "4GiB"},
        "catalogs": catalogs,
        "crossmatch": {"xray": "csc", "targets": ["gaia", "tmass", "allwise"]},
        "models": {"default": {"params": {"n_estimators": 20}, "nh_bin_edges": [1e22]}},
        "confidence": {"draws": 5},
        "spark": {"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": "2"}},
        **extra,
    }
    path.write_text(yaml.safe_dump(conf))
    return path


def _conf(path, data_dir, work, **extra):
    catalogs = {
        key: {"definition": definition, "source": {"local": f"{FIELD}_{suffix}.csv"}}
        for key, definition, suffix in (
            ("csc", "csc_master", "ave"),
            ("gaia", "gaia_dr3", "gaia"),
            ("tmass", "tmass", "2mass"),
            ("allwise", "allwise", "allwise"),
        )
    }
    return small_run(path, data_dir, work, catalogs, **extra)


def _muwclass(*args, **popen):
    cmd = [sys.executable, "-m", "muwclass.cli", *map(str, args)]
    if popen:
        return subprocess.Popen(
            cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
        )
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)


def _said(done) -> str:
    """What a command printed, its line wrapping undone (the console wraps at 80 columns)."""
    return " ".join((done.stdout + done.stderr).split())


def _table(release) -> pd.DataFrame:
    t = pd.DataFrame(lsdb.read_hats(release / "hats").compute()).reset_index()
    return t.sort_values("source_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def released(tmp_path_factory, data_dir, dask_client):
    """IC 2395 imported, crossmatched and released as v1."""
    root = tmp_path_factory.mktemp("update")
    conf = _conf(root / "run.yaml", data_dir, root / "work")
    cfg = load_run_config(conf)
    run_import(cfg, dask_client, progress=False)
    run_crossmatch(cfg, dask_client, progress=False)
    done = _muwclass("classify-catalog", "--conf", conf, "--release-version", "v1", "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    return root, conf, cfg


@pytest.fixture(scope="module")
def updated(released, data_dir):
    root, conf, cfg = released
    done = _muwclass(
        "update",
        "--conf",
        conf,
        "--observations",
        *[data_dir / o for o in OBS],
        "--release-version",
        "v2",
        "--no-progress",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return cfg.layout.releases / "v2", _said(done)


def test_update_publishes_a_release_that_shares_the_untouched_partitions(released, updated, chromium):  # noqa: F811
    root, conf, cfg = released
    v1, (v2, out) = cfg.layout.releases / "v1", updated
    assert (cfg.layout.releases / "latest").resolve() == v2.resolve()
    m = json.loads((v2 / "manifest.json").read_text())
    assert m["parent"] == "v1" and [o["obsid"] for o in m["observations"]] == [21137, 24613]
    up = m["update"]
    assert {a["obsid"] for a in up["astrometry"]} == {21137, 24613}
    assert all(a["matches"] >= 5 and abs(a["shift_east_arcsec"]) < 0.2 for a in up["astrometry"])
    classes = up["match_classes"]
    assert sum(classes["21137"].values()) == sum(classes["24613"].values()) == 142
    assert classes["21137"]["simple"] > 50 and classes["21137"]["new"] > 10
    # rows: v1's sources + the new ones, all accounted for
    t1, t2 = _table(v1), _table(v2)
    assert (
        m["rows"]["in"]
        == m["rows"]["classified"] + m["rows"]["quarantined"]
        == len(t2) + m["rows"]["quarantined"]
    )
    assert len(t2) == len(t1) + up["master_sources_new"]
    assert set(t1["source_id"]) <= set(t2["source_id"])
    for table in ("hats", "sources"):
        assert is_valid_catalog(v2 / table, strict=True)
        assert "muwclass_release_version=v2" in (v2 / table / "hats.properties").read_text()
    # untouched partitions are the parent's files (hard links), touched ones are new
    f1, f2 = catalog_files(v1 / "hats"), catalog_files(v2 / "hats")
    assert list(f1) == list(f2)
    touched = set(up["pixels_recomputed"])
    for p in f1:
        same = os.stat(f1[p]).st_ino == os.stat(f2[p]).st_ino
        assert same == (f"{p.order}/{p.pixel}" not in touched)
    # the diff: every new source, with its reason; rows of v2 = FITS = CSV
    diff = pd.read_csv(v2 / "diff.csv")
    assert (
        (diff["change"].str.contains("new")).sum() == up["master_sources_new"] == m["diff"]["changes"]["new"]
    )
    assert len(pd.read_csv(v2 / "classified.csv")) == len(t2)
    assert "new source" in set(diff.loc[diff["change"] == "new", "reason"])
    assert "pixels recomputed" in out and "v1" in out
    # its page: the diff as a table that sorts and filters, in a real browser, without errors
    dom, console = render(chromium, v2 / "index.html")
    assert console == []
    lowest, highest, kept = selftest(dom)
    assert {lowest, highest} <= set(diff["source_id"]) and lowest != highest
    assert kept == (diff["change"].str.split(";").str[0] == "new").sum()


def test_same_observations_again_change_nothing(released, updated, data_dir):
    root, conf, cfg = released
    before = sorted(p.name for p in cfg.layout.releases.iterdir())
    again = _muwclass(
        "update", "--conf", conf, "--observations", *[data_dir / o for o in OBS], "--no-progress"
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert "already in release v2" in _said(again) and "nothing to do" in _said(again)
    assert sorted(p.name for p in cfg.layout.releases.iterdir()) == before


@pytest.mark.parametrize("case", ["same obsid, other file", "missing column", "duplicate obsid"])
def test_refusals_leave_the_releases_as_they_were(released, updated, data_dir, tmp_path, case):
    root, conf, cfg = released
    raw = pd.read_csv(data_dir / OBS[0])
    if case == "same obsid, other file":
        raw.loc[0, "NET_COUNTS"] += 1
        files, message = [tmp_path / "21137_results.csv"], "already holds it from another file"
    elif case == "missing column":
        raw = raw.drop(columns=["THETA_broad"])
        files, message = [tmp_path / "30001_results.csv"], "THETA_broad"
    else:
        files, message = [tmp_path / "30002_results.csv", tmp_path / "30002_again.csv"], "given twice"
    for f in files:
        raw.to_csv(f, index=False)
    before = sorted(p.name for p in cfg.layout.releases.iterdir())
    done = _muwclass("update", "--conf", conf, "--observations", *files, "--no-progress")
    assert done.returncode == 2, done.stderr[-2000:]
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in cfg.layout.releases.iterdir()) == before


def test_kill_leaves_the_parent_and_a_rerun_completes(released, updated, data_dir):
    root, conf, cfg = released
    releases = cfg.layout.releases
    latest = (releases / "latest").resolve()
    args = ["update", "--conf", conf, "--from-release", "v1", "--observations", *[data_dir / o for o in OBS]]
    proc = _muwclass(*args, "--release-version", "v2k", "--no-progress", start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (cfg.layout.update_work / "xmatch").exists():
        time.sleep(0.2)
    assert proc.poll() is None, "the update ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # mid-run: crossmatch written, classification running
    proc.wait()
    assert (releases / "latest").resolve() == latest and not (releases / "v2k").exists()
    done = _muwclass(*args, "--release-version", "v2k", "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    pd.testing.assert_frame_equal(_table(releases / "v2k"), _table(updated[0]))


def test_update_equals_a_full_run_with_the_observations(released, updated, data_dir, dask_client):
    """The release of v1 + update equals a full run that folds the observations in (with v1's
    magnitude priors: a full run would otherwise refit them on 46 more sources)."""
    root, conf, cfg = released
    full = _conf(
        root / "full.yaml",
        data_dir,
        root / "work",
        observations={"files": OBS, "priors_from_release": "v1"},
    )
    run_crossmatch(load_run_config(full), dask_client, progress=False)
    done = _muwclass("classify-catalog", "--conf", full, "--release-version", "full", "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    a, b = _table(updated[0]), _table(cfg.layout.releases / "full")
    assert a["source_id"].tolist() == b["source_id"].tolist()
    exact = [c for c in a.columns if c != "outlier_score"]
    pd.testing.assert_frame_equal(a[exact], b[exact])
    # the outlier score's nearest-neighbour distances are summed in a batch-dependent order
    np.testing.assert_allclose(a["outlier_score"], b["outlier_score"], rtol=1e-12)
    # the update's CSV copies the untouched pixels' rows from v1's file; the full run formats
    # every row: the same table
    csv_a, csv_b = (pd.read_csv(r / "classified.csv") for r in (updated[0], cfg.layout.releases / "full"))
    pd.testing.assert_frame_equal(csv_a, csv_b, check_exact=False, rtol=1e-9)
    # a later update with the same observations knows they are in
    again = _muwclass(
        "update", "--conf", full, "--observations", *[data_dir / o for o in OBS], "--no-progress"
    )
    assert again.returncode == 0 and "nothing to do" in _said(again)
