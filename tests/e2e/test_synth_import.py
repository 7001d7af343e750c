"""End to end through the CLI: `muwclass synth` then `muwclass import` of every catalog of
conf/synthetic-sky.yaml; lsdb opens the result and nothing is lost."""

from __future__ import annotations

import json
import subprocess
import sys

import lsdb

from tests.conftest import REPO


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "muwclass.cli", *args], cwd=REPO, capture_output=True, text=True
    )


def test_synth_then_import(tmp_path, data_dir):
    work = tmp_path / "work"
    done = _cli(
        "synth",
        "--scale",
        "0.003",
        "--seed",
        "3",
        "--work-dir",
        str(work),
        "--data-dir",
        str(data_dir),
        "--no-progress",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((work / "synth" / "manifest.json").read_text())
    done = _cli(
        "import",
        "--conf",
        str(REPO / "conf/synthetic-sky.yaml"),
        "--work-dir",
        str(work),
        "--data-dir",
        str(data_dir),
        "--no-progress",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for key, rows in (
        ("csc", "csc_master"),
        ("csc_per_obs", "csc_per_obs"),
        ("gaia", "gaia"),
        ("tmass", "tmass"),
        ("allwise", "allwise"),
    ):
        catalog = lsdb.read_hats(work / "hats" / key)
        report = json.loads((work / "reports" / f"import_{key}.json").read_text())
        assert (
            report["rows_in"]
            == manifest["rows"][rows]
            == report["imported"] + report["quarantined"] + report["merged_duplicates"]
        )
        assert len(catalog.compute()) == report["imported"]
    # The poles and RA = 0/360 fields survive ingestion.
    csc = lsdb.read_hats(work / "hats" / "csc").compute()
    assert csc["dec"].max() > 89.8 and csc["dec"].min() < -89.8
    assert csc["ra"].min() < 0.2 and csc["ra"].max() > 359.8
    # Gaia margins exist for the crossmatch
    assert lsdb.read_hats(work / "hats" / "gaia").margin is not None


def test_synth_rejects_bad_scale(tmp_path, data_dir):
    done = _cli("synth", "--scale", "0", "--work-dir", str(tmp_path), "--data-dir", str(data_dir))
    assert done.returncode == 2 and "scale must be > 0" in done.stderr
