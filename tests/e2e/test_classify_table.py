"""`muwclass classify` on a user's table: results, quarantine, FITS output, reproducibility."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table

from tests.conftest import REPO

MODEL = {"default": {"params": {"n_estimators": 30}, "nh_bin_edges": [1e22]}}


@pytest.fixture
def user_table(tmp_path, data_dir):
    full = pd.read_csv(data_dir / "td" / "TD_Yang2022.csv")
    table = pd.concat([g.sample(8, random_state=1) for _, g in full.groupby("True_Class")], ignore_index=True)
    labels = table.pop("True_Class")
    table.loc[2, "CSCv2_RA"] = np.nan
    table.loc[5, ["Fs", "Fm", "Fh", "Fb"]] = 0.0
    table.loc[9, "Fh"] = -3e-14
    path = tmp_path / "mine.csv"
    table.to_csv(path, index=False)
    return path, table, labels


def _classify(conf, *args):
    cmd = [sys.executable, "-m", "muwclass.cli", "classify", "--conf", str(conf), *map(str, args)]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)


def test_classify_a_users_table(write_conf, user_table, tmp_path):
    path, table, labels = user_table
    conf = write_conf({"csc": {"definition": "csc_master"}}, models=MODEL, confidence={"draws": 20})
    out = tmp_path / "out" / "classified.fits"
    done = _classify(conf, "--input", path, "--output", out)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "could not be classified" in done.stdout + done.stderr
    result = Table.read(out).to_pandas()
    quarantine = pd.read_csv(out.with_name("classified_quarantine.csv"))
    assert len(result) + len(quarantine) == len(table)  # nothing silently lost
    assert dict(zip(quarantine["row"], quarantine["reason"], strict=True)) == {  # 1-based data rows
        3: "missing or non-finite coordinate in column 'CSCv2_RA'",
        6: "no positive X-ray flux in any band",
        10: "out of range in column 'Fh': -3e-14 not in [0, 1e-06]",
    }
    assert set(quarantine["file"]) == {str(path)}
    assert list(result.columns[:3]) == ["CSCv2_name", "CSCv2_RA", "CSCv2_DEC"]
    classes = ["AGN", "CV", "HM-STAR", "HMXB", "LM-STAR", "LMXB", "NS", "YSO"]
    for c in classes:
        assert f"P_{c}" in result and f"e_P_{c}" in result
    p = result[[f"P_{c}" for c in classes]].to_numpy()
    assert np.allclose(p.sum(axis=1), 1.0)
    assert (result["Class_prob"] == p.max(axis=1)).all()
    assert (result["outlier_score"] > 0).all() and (result["nh_bin"] == 0).all()
    names = (
        result["CSCv2_name"].str.decode("utf-8")
        if result["CSCv2_name"].dtype == object and isinstance(result["CSCv2_name"].iloc[0], bytes)
        else result["CSCv2_name"]
    )
    truth = pd.Series(labels.to_numpy(), index=table["CSCv2_name"]).loc[names.to_numpy()]
    assert (
        result["Class"].astype(str).str.strip().to_numpy() == truth.to_numpy()
    ).mean() > 0.7  # training sources


def test_same_seed_same_numbers_in_any_row_order(write_conf, user_table, tmp_path):
    path, table, _ = user_table
    conf = write_conf({"csc": {"definition": "csc_master"}}, models=MODEL, confidence={"draws": 10})
    shuffled = tmp_path / "shuffled.csv"
    table.iloc[::-1].to_csv(shuffled, index=False)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert _classify(conf, "--input", path, "--output", a, "--nh", 2e22).returncode == 0
    assert _classify(conf, "--input", shuffled, "--output", b, "--nh", 2e22).returncode == 0
    ra = pd.read_csv(a).set_index("CSCv2_name").sort_index()
    rb = pd.read_csv(b).set_index("CSCv2_name").sort_index()
    pd.testing.assert_frame_equal(ra, rb)
    assert (ra["nh_bin"] == 1).all()


def test_bad_inputs_are_clear(write_conf, tmp_path, user_table):
    path, _, _ = user_table
    conf = write_conf({"csc": {"definition": "csc_master"}}, models=MODEL)
    done = _classify(conf, "--input", tmp_path / "absent.csv", "--output", tmp_path / "o.csv")
    assert done.returncode == 2 and "absent.csv" in done.stderr
    odd = tmp_path / "odd.csv"
    odd.write_text("id,x\n1,2\n")
    done = _classify(conf, "--input", odd, "--output", tmp_path / "o.csv")
    assert done.returncode == 2 and "not a known training-set format" in done.stderr
    done = _classify(conf, "--input", path, "--output", tmp_path / "o.txt")
    assert done.returncode == 2 and "use one of" in done.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("CSCv2_name,Fb\n")
    done = _classify(conf, "--input", empty, "--output", tmp_path / "o.csv")
    assert done.returncode == 2 and "no rows" in done.stderr
