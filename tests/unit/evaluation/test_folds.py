"""Scores and Spark-distributed folds, on the real training set with a plain sklearn pipeline.

The pipeline here is deliberately simple (imputer + forest on raw columns): these tests are
about the fold machinery and the scores, not about the default model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from muwclass.errors import FoldError
from muwclass.evaluation.folds import LOO, fit_predict_fold, plan_folds, run_folds
from muwclass.evaluation.metrics import (
    classification_metrics,
    comparison_table,
    confusion,
    importance_summary,
    top_class_reliability,
)

COLUMNS = [
    "Fs",
    "Fm",
    "Fh",
    "Fb",
    "P_intra",
    "P_inter",
    "Gmag",
    "BPmag",
    "RPmag",
    "Jmag",
    "Hmag",
    "Kmag",
    "W1mag",
    "W2mag",
    "W3mag",
]


@pytest.fixture(scope="module")
def training(data_dir):
    td = pd.read_csv(data_dir / "td" / "TD_Yang2022.csv")
    X = td[COLUMNS].copy()
    X[["Fs", "Fm", "Fh", "Fb"]] = np.log10(X[["Fs", "Fm", "Fh", "Fb"]].clip(lower=1e-18))
    return X, td["True_Class"].to_numpy(dtype=object)


def forest() -> Pipeline:
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value=-99)),
            ("model", RandomForestClassifier(50, random_state=0, n_jobs=1)),
        ]
    )


def test_metrics_by_hand():
    classes = ["A", "B", "C"]
    y = np.array(["A", "A", "B", "C"], dtype=object)
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    m = classification_metrics(y, proba, classes)
    assert m["accuracy"] == pytest.approx(0.75)
    assert m["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert m["per_class"]["A"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert m["log_loss"] == pytest.approx(-np.mean(np.log([0.8, 0.2, 0.8, 0.4])))
    assert m["brier"] == pytest.approx(np.mean([0.06, 1.14, 0.06, 0.54]))
    cm = confusion(y, proba, classes)
    assert cm.loc["A", "B"] == 1 and cm.to_numpy().sum() == 4
    assert confusion(y, proba, classes, normalize=True).loc["A"].tolist() == [0.5, 0.5, 0.0]
    rel = top_class_reliability(y, proba, classes, n_bins=5)
    assert sum(rel["count"]) == 4
    table = comparison_table({"m1": m, "m2": m})
    assert list(table.index) == ["m1", "m2"] and "recall_C" in table.columns


def test_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="not among the model's classes"):
        classification_metrics(np.array(["A", "Z"], dtype=object), np.full((2, 2), 0.5), ["A", "B"])
    with pytest.raises(ValueError, match="NaN"):
        classification_metrics(
            np.array(["A", "B"], dtype=object), np.array([[0.5, 0.5], [np.nan, np.nan]]), ["A", "B"]
        )


def test_fold_plans(training):
    _, y = training
    folds = plan_folds(y, 10, seed=1)
    assert len(folds) == 10
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(y)))
    # stratified: every class appears in every fold
    assert all(len(set(y[f])) == len(set(y)) for f in folds)
    assert len(plan_folds(y, LOO, seed=1)) == len(y)
    tiny = np.array(["A"] * 10 + ["B"] * 3, dtype=object)
    with pytest.raises(FoldError, match="too small: {'B': 3}"):
        plan_folds(tiny, 5, seed=0)
    with pytest.raises(FoldError, match="at least 2 sources per class"):
        plan_folds(np.array(["A", "A", "B"], dtype=object), LOO, seed=0)
    with pytest.raises(FoldError, match="folds must be"):
        plan_folds(tiny, 1, seed=0)


def test_spark_folds_equal_serial_folds(spark, training):
    """The Spark run gives exactly the out-of-fold probabilities of a serial loop, in order."""
    X, y = training
    classes = sorted(set(y))
    folds = plan_folds(y, 5, seed=3)
    cv = run_folds(
        spark, X, y, folds, forest(), classes, kind="5-fold", permutation_repeats=2, seed=3, progress=False
    )
    serial = [fit_predict_fold(X, y, i, f, forest(), classes) for i, f in enumerate(folds)]
    for r in serial:
        np.testing.assert_array_equal(cv.proba[r.test_index], r.proba)
    assert (cv.fold_of >= 0).all()
    m = classification_metrics(y, cv.proba, classes)
    # a 50-tree forest on raw columns: far better than chance (1/8), short of the paper
    assert 0.80 < m["accuracy"] < 0.95
    assert 0.45 < m["balanced_accuracy"] < 0.8
    assert cv.impurity.shape == (5, len(COLUMNS)) and cv.permutation.shape == (5, len(COLUMNS))
    summary = importance_summary(cv.impurity)
    assert summary["mean"].sum() == pytest.approx(1.0)


def test_spark_loo_on_a_subset(spark, training):
    """Exact leave-one-out: one fold per source, each predicted by a model that never saw it."""
    X, y = training
    keep = np.concatenate([np.flatnonzero(y == c)[:6] for c in sorted(set(y))])
    Xs, ys = X.iloc[keep].reset_index(drop=True), y[keep]
    classes = sorted(set(ys))
    folds = plan_folds(ys, LOO, seed=0)
    cv = run_folds(spark, Xs, ys, folds, forest(), classes, kind="loo", progress=False)
    assert cv.proba.shape == (48, 8) and np.allclose(cv.proba.sum(axis=1), 1)
    assert sorted(cv.fold_of.tolist()) == list(range(48))
