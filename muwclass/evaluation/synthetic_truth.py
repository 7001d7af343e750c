"""How right a release is on the synthetic sky, whose true classes are known.

The training-set evaluation (:mod:`muwclass.evaluation.run_evaluate`) scores the model on
sources it was trained around; the synthetic sky (:mod:`muwclass.synth`) scores the whole
chain: its sources are drawn from the training set, then observed through each X-ray
catalog's own errors, bands and missing columns (3XMM: no inter-observation variability, N_H
from a map, EPIC bands converted to CSC's) and crossmatched with all the chance coincidences
of their fields. One X-ray catalog against another on the same sky is what it costs to
classify through that catalog.

Pure functions on a release's rows (``source_id``, ``Class``, ``CT``, ``P_<class>``) and the
truth table (:func:`muwclass.synth.sky.read_truth`), scored with the same metrics as the
training-set evaluation (:mod:`muwclass.evaluation.metrics`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from muwclass.classification.confidence import CONFIDENT_CT
from muwclass.evaluation.metrics import classification_metrics, confidence_metrics


def release_against_truth(rows: pd.DataFrame, truth: pd.DataFrame, classes: list[str]) -> dict:
    """Accuracy, balanced accuracy, per-class recall and what the confidence is worth
    (``confident_accuracy`` at CT >= :data:`CONFIDENT_CT`) of the classified ``rows`` against
    ``truth`` (indexed by source name, with ``Class``); sources of the truth that the release
    does not have (quarantined) are counted, not scored. With ``flag_quality`` in the rows, the
    accuracy of the flagged sources apart (3XMM SC_SUM_FLAG >= 3)."""
    known = rows.loc[rows["source_id"].astype(str).isin(truth.index)]
    if not len(known):
        raise ValueError("no release row has a source in the truth: not the same sky")
    y_true = truth.loc[known["source_id"].astype(str), "Class"].astype(str).to_numpy(dtype=object)
    proba = known[[f"P_{c}" for c in classes]].to_numpy(dtype=float)
    scores = classification_metrics(y_true, proba, classes)
    confidence = confidence_metrics(y_true, proba, known["CT"].to_numpy(dtype=float), classes, CONFIDENT_CT)
    out = {
        "sources": int(len(truth)),
        "scored": int(len(known)),
        "accuracy": scores["accuracy"],
        "balanced_accuracy": scores["balanced_accuracy"],
        "recall": {c: v["recall"] for c, v in scores["per_class"].items()},
        "support": {c: v["support"] for c, v in scores["per_class"].items()},
        "confident_fraction": confidence["confident_fraction"],
        "confident_accuracy": confidence["confident_accuracy"],
    }
    if "flag_quality" in known:
        flagged = known["flag_quality"].fillna(False).astype(bool).to_numpy()
        right = known["Class"].astype(str).to_numpy(dtype=object) == y_true
        out["flagged"] = int(flagged.sum())
        out["flagged_accuracy"] = float(right[flagged].mean()) if flagged.any() else float(np.nan)
    return out
