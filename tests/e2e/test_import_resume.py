"""An import killed midway (SIGKILL of the whole process tree) resumes to the same result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import lsdb
import pandas as pd

from tests.conftest import REPO

CATALOGS = {
    "csc": {
        "definition": "csc_master",
        "source": {"local": ["buildtd/CSCv2_TD_ave.csv", "fields/NGC3532/NGC3532_ave.csv"]},
    },
    "gaia": {
        "definition": "gaia_dr3",
        "source": {"local": ["buildtd/CSCv2_TD_gaia.csv", "fields/NGC3532/NGC3532_gaia.csv"]},
    },
}


def _cmd(conf):
    return [sys.executable, "-m", "muwclass.cli", "import", "--conf", str(conf), "--no-progress"]


def _frame(path):
    return lsdb.read_hats(path).compute().sort_values("source_id").reset_index(drop=True)


def test_killed_import_resumes_to_identical_result(tmp_path, write_conf):
    undisturbed = write_conf(CATALOGS)
    subprocess.run(_cmd(undisturbed), check=True, cwd=REPO, capture_output=True)
    ref_dir = tmp_path / "work" / "hats"
    ref = {k: _frame(ref_dir / k) for k in CATALOGS}
    os.rename(tmp_path / "work", tmp_path / "reference")

    proc = subprocess.Popen(
        _cmd(undisturbed),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    hats = tmp_path / "work" / "hats"
    deadline = time.time() + 120
    killed_in = None
    while time.time() < deadline and proc.poll() is None:
        # Wait until hats-import of the second catalog is under way, then kill everything.
        if any(hats.glob(".gaia.partial-*")):
            os.killpg(proc.pid, signal.SIGKILL)
            killed_in = "gaia hats-import"
            break
        time.sleep(0.02)
    proc.wait()
    assert killed_in, "the import finished before it could be killed"
    assert not (tmp_path / "work" / "hats" / "gaia").exists()  # nothing half-published
    assert (tmp_path / "work" / "hats" / "csc" / "collection.properties").exists()

    done = subprocess.run(_cmd(undisturbed), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "csc: inputs unchanged" in done.stdout + done.stderr  # finished catalogs are not redone
    for k in CATALOGS:
        pd.testing.assert_frame_equal(_frame(tmp_path / "work" / "hats" / k), ref[k])
    assert not any(hats.glob(".*.partial-*"))  # no hats-import leftovers
    assert not any((tmp_path / "work" / "import_tmp").glob("*"))
