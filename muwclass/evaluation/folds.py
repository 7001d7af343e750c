"""Cross-validation folds as Spark tasks: each task refits the whole pipeline on its training folds.

The training set is small (thousands of rows) but leave-one-out means thousands of fits, so the
unit of parallel work is a *chunk of folds*: the data and an unfitted pipeline are broadcast once,
each task fits and predicts its folds with single-threaded estimators, and the driver assembles
the out-of-fold probabilities. Oversampling lives inside the pipeline, so it only ever sees the
training part of a fold. The same code runs on ``local[*]`` or a cluster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from muwclass.classification.confidence import confidence_table, monte_carlo_proba
from muwclass.classification.estimator import estimator_feature_names, estimator_features
from muwclass.errors import FoldError

LOO = "loo"


@dataclass
class FoldResult:
    fold: int
    test_index: np.ndarray
    proba: np.ndarray  # (len(test_index), n_classes) in the global class order
    impurity: dict[str, float] | None = None
    permutation: dict[str, float] | None = None
    seconds: float = 0.0
    mc_proba: np.ndarray | None = None  # Monte-Carlo mean probabilities of the test sources
    ct: np.ndarray | None = None  # their classification confidence CT


@dataclass
class CrossValidation:
    """Out-of-fold probabilities of every source and the per-fold importances."""

    kind: str
    classes: list[str]
    proba: np.ndarray
    fold_of: np.ndarray
    impurity: pd.DataFrame | None
    permutation: pd.DataFrame | None
    fit_seconds: list[float] = field(default_factory=list)
    mc_proba: np.ndarray | None = None  # with draws: Monte-Carlo mean probabilities
    ct: np.ndarray | None = None  # ... and the confidence CT of every source


def plan_folds(y: np.ndarray, folds: int | str, seed: int) -> list[np.ndarray]:
    """Test indices of each fold: stratified k-fold, or exact leave-one-out (``"loo"``)."""
    y = np.asarray(y, dtype=object)
    counts = pd.Series(y).value_counts()
    if folds == LOO:
        if (counts < 2).any():
            raise FoldError(
                f"leave-one-out needs at least 2 sources per class; too few: {counts[counts < 2].to_dict()}"
            )
        return [np.array([i]) for i in range(len(y))]
    if not isinstance(folds, int) or folds < 2:
        raise FoldError(f"folds must be an integer >= 2 or '{LOO}', got {folds!r}")
    small = counts[counts < folds]
    if len(small):
        raise FoldError(
            f"{folds}-fold stratified CV needs at least {folds} sources per class; too small: {small.to_dict()} "
            "(merge or drop those classes in the class scheme, or use fewer folds)"
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [test for _, test in splitter.split(np.zeros(len(y)), y)]


def fit_predict_fold(
    X: pd.DataFrame,
    y: np.ndarray,
    fold: int,
    test_index: np.ndarray,
    template,
    classes: list[str],
    permutation_repeats: int = 0,
    seed: int = 0,
    draws: int = 0,
    draw_seed: int = 0,
) -> FoldResult:
    """Fit a fresh clone of ``template`` on everything but ``test_index``; predict ``test_index``
    (and, with ``draws``, classify it as a catalog is: Monte-Carlo mean and confidence CT)."""
    t0 = time.perf_counter()
    train = np.ones(len(y), dtype=bool)
    train[test_index] = False
    pipe = clone(template)
    pipe.fit(X.iloc[train], y[train])
    proba = _in_class_order(pipe.predict_proba(X.iloc[test_index]), list(pipe.classes_), classes)
    names = estimator_feature_names(pipe)
    impurity = None
    estimator = pipe[-1]
    if hasattr(estimator, "feature_importances_") and names is not None:
        impurity = dict(zip(names, map(float, estimator.feature_importances_), strict=True))
    permutation = None
    if permutation_repeats and names is not None and len(test_index) > 1:
        from sklearn.inspection import permutation_importance

        features = estimator_features(pipe, X.iloc[test_index])
        result = permutation_importance(
            estimator,
            features,
            y[test_index],
            n_repeats=permutation_repeats,
            random_state=seed + fold,
            scoring="balanced_accuracy",
            n_jobs=1,
        )
        permutation = dict(zip(names, map(float, result.importances_mean), strict=True))
    mc_proba = ct = None
    if draws:
        test = X.iloc[test_index].reset_index(drop=True)
        mean, std = monte_carlo_proba(pipe, test, draws, draw_seed)
        fitted = [str(c) for c in pipe.classes_]
        mc_proba = _in_class_order(mean, fitted, classes)
        ct = confidence_table(mean, std, fitted)["CT"].to_numpy(dtype=float)
    return FoldResult(
        fold, np.asarray(test_index), proba, impurity, permutation, time.perf_counter() - t0, mc_proba, ct
    )


def run_folds(
    spark,
    X: pd.DataFrame,
    y: np.ndarray,
    folds: list[np.ndarray],
    template,
    classes: list[str],
    kind: str,
    permutation_repeats: int = 0,
    seed: int = 0,
    progress: bool = True,
    folds_per_task: int | None = None,
    draws: int = 0,
    draw_seed: int = 0,
) -> CrossValidation:
    """Run every fold as part of a Spark task; return the assembled out-of-fold result."""
    from muwclass.runtime.sessions import spark_job_progress

    sc = spark.sparkContext
    if folds_per_task is None:
        # enough tasks to balance the cores, few enough that task overhead stays small
        folds_per_task = max(1, len(folds) // (8 * sc.defaultParallelism))
    chunks = [
        list(range(i, min(i + folds_per_task, len(folds)))) for i in range(0, len(folds), folds_per_task)
    ]
    data = sc.broadcast(
        (
            X,
            np.asarray(y, dtype=object),
            folds,
            template,
            classes,
            permutation_repeats,
            seed,
            draws,
            draw_seed,
        )
    )

    def run_chunk(fold_ids: list[int]) -> list[FoldResult]:
        X_, y_, folds_, template_, classes_, repeats_, seed_, draws_, draw_seed_ = data.value
        return [
            fit_predict_fold(X_, y_, i, folds_[i], template_, classes_, repeats_, seed_, draws_, draw_seed_)
            for i in fold_ids
        ]

    try:
        with spark_job_progress(
            spark, f"{kind} cross-validation ({len(folds)} folds)", total=len(chunks), enabled=progress
        ):
            results = sc.parallelize(chunks, len(chunks)).flatMap(run_chunk).collect()
    finally:
        data.unpersist()
    return assemble(results, len(y), classes, kind)


def assemble(results: list[FoldResult], n: int, classes: list[str], kind: str) -> CrossValidation:
    """Out-of-fold probability matrix and per-fold importance tables from the fold results."""
    proba = np.full((n, len(classes)), np.nan)
    fold_of = np.full(n, -1)
    with_draws = all(r.ct is not None for r in results)
    mc_proba, ct = (np.full((n, len(classes)), np.nan), np.full(n, np.nan)) if with_draws else (None, None)
    for r in sorted(results, key=lambda r: r.fold):
        proba[r.test_index] = r.proba
        fold_of[r.test_index] = r.fold
        if with_draws:
            mc_proba[r.test_index], ct[r.test_index] = r.mc_proba, r.ct
    missing = int((fold_of < 0).sum())
    if missing:
        raise RuntimeError(f"{missing} sources were not predicted by any fold")

    def table(attr: str) -> pd.DataFrame | None:
        rows = {r.fold: getattr(r, attr) for r in results if getattr(r, attr) is not None}
        return pd.DataFrame.from_dict(rows, orient="index").sort_index() if rows else None

    return CrossValidation(
        kind,
        list(classes),
        proba,
        fold_of,
        table("impurity"),
        table("permutation"),
        [r.seconds for r in results],
        mc_proba,
        ct,
    )


def _in_class_order(proba: np.ndarray, fitted: list[str], classes: list[str]) -> np.ndarray:
    """Columns of ``proba`` (in the fitted model's class order) rearranged to ``classes``."""
    out = np.zeros((proba.shape[0], len(classes)))
    where = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(fitted):
        out[:, where[c]] = proba[:, j]
    return out
