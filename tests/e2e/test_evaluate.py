"""`muwclass evaluate` end to end on Spark local[2]: report files, model comparison, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import REPO

TINY = {"params": {"n_estimators": 15}, "oversampling": {"physical": False, "smote": False}}


@pytest.fixture
def small_td(tmp_path, data_dir):
    full = pd.read_csv(data_dir / "td" / "TD_Yang2022.csv")
    small = pd.concat([g.head(40) for _, g in full.groupby("True_Class")], ignore_index=True)
    path = tmp_path / "td_small.csv"
    small.to_csv(path, index=False)
    return path, small


def _evaluate(conf, *extra):
    cmd = [sys.executable, "-m", "muwclass.cli", "evaluate", "--conf", str(conf), "--no-progress", *extra]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)


def test_kfold_report_with_two_models(write_conf, small_td, tmp_path, data_dir):
    path, small = small_td
    models = {
        "default": {**TINY, "prior_power": 0.5},
        "smote": {"params": {"n_estimators": 15}, "oversampling": {"smote_k_neighbors": 3}},
    }
    other = pd.read_csv(data_dir / "td" / "CSC_TD_11042023_MW.csv")
    other = pd.concat([g.head(15) for _, g in other.groupby("Class")], ignore_index=True)
    other.to_csv(tmp_path / "other.csv", index=False)
    conf = write_conf(
        {"csc": {"definition": "csc_master"}},
        training_set=str(path),
        models=models,
        spark={"master": "local[2]"},
        evaluation={"external_set": str(tmp_path / "other.csv"), "draws": 10},
    )
    out = tmp_path / "report"
    done = _evaluate(
        conf, "--folds", "4", "--models", "default,smote", "--permutation-repeats", "2", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    for key in (
        "accuracy",
        "balanced_accuracy",
        "calibration_error",
        "per_class",
        "macro_f1",
        "log_loss",
        "brier",
    ):
        assert key in metrics
    # held-out sources classified as a catalog is: Monte-Carlo class and confidence
    assert 0 < metrics["confidence"]["confident_fraction"] <= 1 and metrics["confidence"]["threshold"] == 2.0
    assert set(metrics["outlier_auc"]) == set(small["True_Class"]) | {"mean"}
    directions = metrics["generalisation"]
    assert list(directions) == ["td_small -> other", "other -> td_small"]
    assert directions["td_small -> other"]["tested"] + directions["td_small -> other"][
        "in_training_set"
    ] == len(other)
    said = " ".join(done.stderr.split())  # rich wraps long lines
    assert "td_small -> other:" in said and "classes that move" in said
    assert set(metrics["per_class"]) == set(small["True_Class"])
    assert metrics["accuracy"] > 0.4  # 8 classes: far above chance even on 300 sources
    assert set(metrics["models"]) == {"default", "smote"}
    comparison = pd.read_csv(out / "comparison.csv", index_col=0)
    assert set(comparison.index) == {"default", "smote"}
    oof = pd.read_csv(out / "oof_probabilities.csv")
    assert len(oof) == len(small) and sorted(oof["fold"].unique()) == [0, 1, 2, 3]
    p = oof.filter(like="P_")
    assert p.shape[1] == 8 and ((p.sum(axis=1) - 1).abs() < 1e-3).all()
    importances = pd.read_csv(out / "importances.csv")
    assert set(importances["kind"]) == {"impurity", "permutation"}
    assert {"mc_predicted", "CT"} <= set(oof.columns)
    for png in ("confusion.png", "importances.png", "reliability.png", "reliability_per_class.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_classes_too_small_for_the_folds_are_a_clear_error(write_conf, small_td, tmp_path):
    path, small = small_td
    tiny = small.groupby("True_Class").head(3)
    tiny.to_csv(path, index=False)
    conf = write_conf({"csc": {"definition": "csc_master"}}, training_set=str(path), models={"default": TINY})
    done = _evaluate(conf, "--folds", "5", "--out", str(tmp_path / "r"))
    assert done.returncode == 2
    assert "5-fold stratified CV needs at least 5 sources per class" in done.stderr


def test_missing_labels_and_bad_folds_are_clear_errors(write_conf, small_td, tmp_path):
    path, small = small_td
    small.loc[[3, 7], "True_Class"] = None
    small.to_csv(path, index=False)
    conf = write_conf({"csc": {"definition": "csc_master"}}, training_set=str(path), models={"default": TINY})
    done = _evaluate(conf, "--folds", "3")
    assert done.returncode == 2 and "2 rows have no class label (file lines [5, 9]" in done.stderr
    done = _evaluate(conf, "--folds", "ten")
    assert done.returncode == 2 and "--folds must be an integer or 'loo'" in done.stderr
    done = _evaluate(conf, "--models", "nope")
    assert done.returncode == 2 and "nope" in done.stderr
    conf = write_conf(
        {"csc": {"definition": "csc_master"}},
        training_set=str(path),
        models={"default": TINY},
        evaluation={"external_set": "td/none.csv"},
    )
    done = _evaluate(conf, "--folds", "3")
    assert done.returncode == 2 and "evaluation.external_set: no file" in done.stderr
    assert "Traceback" not in done.stderr
