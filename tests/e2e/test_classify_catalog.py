"""`muwclass classify-catalog` on Spark local[2]: a real field through import, crossmatch, release."""

from __future__ import annotations

import json
import subprocess
import sys

import lsdb
import pandas as pd
from astropy.table import Table

from tests.conftest import REPO
from tests.e2e.conftest import FIELD


def _run(conf, *args):
    cmd = [
        sys.executable,
        "-m",
        "muwclass.cli",
        "classify-catalog",
        "--conf",
        str(conf),
        "--no-progress",
        *args,
    ]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)


def test_release_of_a_real_field(crossmatched):
    conf, cfg = crossmatched
    n_sources = len(pd.read_csv(cfg.data_dir / f"{FIELD}_ave.csv"))
    done = _run(conf, "--release-version", "v1")
    assert done.returncode == 0, done.stderr[-3000:]
    release = cfg.layout.releases / "v1"
    manifest = json.loads((release / "manifest.json").read_text())
    rows = manifest["rows"]
    assert rows["in"] == n_sources == rows["classified"] + rows["quarantined"]
    assert set(manifest["models"]) == {"0", "1"} and manifest["inputs"]
    hats = lsdb.read_hats(release / "hats").compute()
    fits = Table.read(release / "classified.fits")
    csv = pd.read_csv(release / "classified.csv")
    assert len(hats) == len(fits) == len(csv) == rows["classified"] > 0
    for col in ("P_AGN", "e_P_AGN", "Class", "Class_prob", "CT", "outlier_score", "nh_bin"):
        assert col in csv
    assert csv["Class"].isin(["AGN", "CV", "HM-STAR", "HMXB", "LM-STAR", "LMXB", "NS", "YSO"]).all()
    for png in ("class_counts.png", "sky_map_galactic.png", "ct_distribution.png"):
        assert (release / png).read_bytes()[:4] == b"\x89PNG"
    assert "Training set" in (release / "model_card.md").read_text()
    quarantine = pd.read_csv(release / "quarantine.csv")  # a header even when empty
    assert len(quarantine) == rows["quarantined"] and {"source_id", "reason"} <= set(quarantine.columns)
    assert (cfg.layout.releases / "latest").resolve() == release.resolve()

    # the same version again is refused and leaves the release as it was
    again = _run(conf, "--release-version", "v1")
    assert again.returncode == 2 and "exists" in again.stderr
    assert json.loads((release / "manifest.json").read_text()) == manifest

    # a second release moves `latest`; the numbers are the same (same seed, same inputs)
    done = _run(conf, "--release-version", "v2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (cfg.layout.releases / "latest").resolve().name == "v2"
    first = csv.sort_values("source_id").reset_index(drop=True)
    second = (
        pd.read_csv(cfg.layout.releases / "v2" / "classified.csv")
        .sort_values("source_id")
        .reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(first, second)

    # the job ships only the columns classification reads: same result as with all of them
    from muwclass.classification.family import load_family
    from muwclass.classification.inputs import required_columns
    from muwclass.classification.spark_job import classify_batch, dataset_dir, output_columns

    family = load_family(cfg)
    rows = pd.read_parquet(dataset_dir(cfg.layout.xmatch("csc")))
    names = [n for n, _ in output_columns(family.classes)]
    needed = required_columns(list(rows.columns), family.feature_sets, keep=names)
    assert len(needed) < len(rows.columns) - 20
    full = classify_batch(rows, family, 5, 42, names)
    pd.testing.assert_frame_equal(full, classify_batch(rows[needed], family, 5, 42, names))


def test_a_crashed_run_leaves_the_previous_release_untouched(crossmatched):
    import os
    import signal
    import time

    conf, cfg = crossmatched
    assert _run(conf, "--release-version", "good").returncode == 0
    root = cfg.layout.releases
    before = (root / "good" / "classified.csv").read_bytes()
    cmd = [
        sys.executable,
        "-m",
        "muwclass.cli",
        "classify-catalog",
        "--conf",
        str(conf),
        "--no-progress",
        "--release-version",
        "crashed",
    ]
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if (cfg.layout.classified).exists():  # Spark is classifying: kill driver, JVM and workers
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait()
    assert not (root / "crashed").exists()
    assert os.readlink(root / "latest") == "good"
    assert (root / "good" / "classified.csv").read_bytes() == before
    # the next run cleans up after the crash and publishes
    assert _run(conf, "--release-version", "after").returncode == 0
    assert sorted(p.name for p in root.iterdir()) == ["after", "good", "latest"]
