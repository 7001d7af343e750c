"""Does a model generalise beyond its own training set? Train on one labelled set, test on the
sources of another that the first does not contain, and the reverse.

Cross-validation only ever tests on sources drawn like the training ones (same selection,
same references, same crossmatch). A second labelled set, built later with other choices
(here the Nov 2023 CSC training set beside the published TD_Yang2022), tests what a user
meets: sources the model never saw, selected by somebody else. A source counts as "in" the
training set when it has the same CSC name or lies within ``radius_arcsec`` of a training
source; only the others are tested. A class absent from the training side cannot be
predicted and is reported, not scored.

"Classes that move" compare each class's recall on the other set with its recall in the
training set's own 10-fold cross-validation (same model, same class scheme).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.coordinates import SkyCoord
from sklearn.base import clone

from muwclass.evaluation.folds import _in_class_order, assemble, fit_predict_fold, plan_folds
from muwclass.evaluation.metrics import classification_metrics

#: same source when the CSC names agree or the positions are this close (CSC 95% errors of
#: on-axis sources are ~1")
SAME_SOURCE_ARCSEC = 1.0
#: a class "moves" when its recall on the other set differs from its cross-validated one by this
MOVE = 0.10


def unseen(train: pd.DataFrame, test: pd.DataFrame, radius_arcsec: float = SAME_SOURCE_ARCSEC) -> np.ndarray:
    """Mask of ``test`` rows that are not a ``train`` source (by name, or by position)."""
    names = set(train["source_id"].astype(str).str.strip())
    same = test["source_id"].astype(str).str.strip().isin(names).to_numpy().copy()
    positions = [pd.to_numeric(df[c], errors="coerce") for df in (train, test) for c in ("ra", "dec")]
    ok_train, ok_test = (
        positions[0].notna() & positions[1].notna(),
        positions[2].notna() & positions[3].notna(),
    )
    if ok_train.any() and ok_test.any():
        a = SkyCoord(positions[2][ok_test].to_numpy() * u.deg, positions[3][ok_test].to_numpy() * u.deg)
        b = SkyCoord(positions[0][ok_train].to_numpy() * u.deg, positions[1][ok_train].to_numpy() * u.deg)
        _, sep, _ = a.match_to_catalog_sky(b)
        near = np.zeros(len(test), dtype=bool)
        near[np.flatnonzero(ok_test.to_numpy())] = sep.arcsec <= radius_arcsec
        same |= near
    return ~same


def cross_validated_recall(template, df: pd.DataFrame, folds: int, seed: int) -> dict[str, float]:
    """Per-class recall of ``template`` in ``folds``-fold cross-validation on ``df`` (in process)."""
    y = df["label"].to_numpy(dtype=object)
    classes = sorted(set(y))
    plan = plan_folds(y, folds, seed)
    results = [fit_predict_fold(df, y, i, test, template, classes) for i, test in enumerate(plan)]
    m = classification_metrics(y, assemble(results, len(y), classes, f"{folds}-fold").proba, classes)
    return {c: v["recall"] for c, v in m["per_class"].items()}


def one_direction(
    template,
    train: pd.DataFrame,
    test: pd.DataFrame,
    folds: int,
    seed: int,
    cv: dict[str, float] | None = None,
) -> dict:
    """Fit on ``train``, score the sources of ``test`` it does not contain; ``cv``: the
    training set's cross-validated recall per class when already known (else computed)."""
    keep = unseen(train, test)
    y_train = train["label"].to_numpy(dtype=object)
    classes = sorted(set(y_train))
    rows = test.loc[keep]
    known = rows["label"].isin(classes).to_numpy()
    rows = rows.loc[known]
    y = rows["label"].to_numpy(dtype=object)
    pipe = clone(template).fit(train, y_train)
    proba = _in_class_order(pipe.predict_proba(rows), list(pipe.classes_), classes)
    m = classification_metrics(y, proba, classes)
    cv = cv or cross_validated_recall(template, train, folds, seed)
    recall = {c: v["recall"] for c, v in m["per_class"].items() if v["support"]}
    moves = {
        c: {"cross_validated": round(cv[c], 3), "other_set": round(r, 3)}
        for c, r in recall.items()
        if abs(r - cv[c]) >= MOVE
    }
    return {
        "test_rows": int(len(test)),
        "in_training_set": int((~keep).sum()),
        "unknown_class": int((~known).sum()),
        "tested": int(len(rows)),
        "accuracy": m["accuracy"],
        "balanced_accuracy": m["balanced_accuracy"],
        "calibration_error": m["calibration_error"],
        "recall": recall,
        "cross_validated_recall": cv,
        "support": {c: v["support"] for c, v in m["per_class"].items()},
        "classes_that_move": moves,
    }


def generalisation(
    template,
    first: pd.DataFrame,
    second: pd.DataFrame,
    names: tuple[str, str],
    folds: int = 10,
    seed: int = 42,
    first_cv: dict[str, float] | None = None,
) -> dict:
    """Both directions: train on ``first``, test on ``second``'s unseen sources, and the reverse
    (``first_cv``: ``first``'s cross-validated recall per class, when the caller has it)."""
    return {
        f"{names[0]} -> {names[1]}": one_direction(template, first, second, folds, seed, first_cv),
        f"{names[1]} -> {names[0]}": one_direction(template, second, first, folds, seed),
    }
