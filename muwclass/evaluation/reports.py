"""The files ``muwclass evaluate`` writes for the first model: confusion matrices, feature
importances (PNG + CSV), out-of-fold probabilities (with the Monte-Carlo class and CT) and
reliability diagrams of the top class and of every class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from muwclass.evaluation.folds import CrossValidation
from muwclass.evaluation.metrics import (
    class_reliability,
    confusion,
    importance_summary,
    top_class_reliability,
)
from muwclass.io.figures import confusion_matrices, feature_importances, reliability_diagram, reliability_grid


def write_reports(
    out: Path, td: pd.DataFrame, y: np.ndarray, classes: list[str], cv: CrossValidation, m: dict, kind: str
) -> None:
    """confusion.png, importances.png/.csv, oof_probabilities.csv and reliability.png of one model."""
    title = f"{kind}: accuracy {m['accuracy']:.3f}, balanced accuracy {m['balanced_accuracy']:.3f}"
    confusion_matrices(
        confusion(y, cv.proba, classes),
        confusion(y, cv.proba, classes, normalize=True),
        out / "confusion.png",
        title,
    )
    importances = {
        k: v for k, v in (("impurity", cv.impurity), ("permutation", cv.permutation)) if v is not None
    }
    if importances:
        feature_importances(importances, out / "importances.png", f"feature importances, {kind}")
        pd.concat({k: importance_summary(v) for k, v in importances.items()}, names=["kind"]).to_csv(
            out / "importances.csv", float_format="%.5g"
        )
    oof = pd.DataFrame({"source_id": td["source_id"].to_numpy(), "label": y, "fold": cv.fold_of})
    oof["predicted"] = np.asarray(classes, dtype=object)[cv.proba.argmax(axis=1)]
    for j, c in enumerate(classes):
        oof[f"P_{c}"] = cv.proba[:, j]
    if cv.ct is not None:  # classified as a catalog is: Monte-Carlo class and confidence
        oof["mc_predicted"] = np.asarray(classes, dtype=object)[cv.mc_proba.argmax(axis=1)]
        oof["CT"] = cv.ct
    oof.to_csv(out / "oof_probabilities.csv", index=False, float_format="%.4f")
    rel = top_class_reliability(y, cv.proba, classes)
    reliability_diagram(
        {f"top class (ECE {m['calibration_error']:.3f})": rel},
        out / "reliability.png",
        f"calibration, {kind}",
        "top-class probability (bin mean)",
        "fraction classified right",
    )
    reliability_grid(
        class_reliability(y, cv.proba, classes),
        out / "reliability_per_class.png",
        f"calibration per class (one vs rest), {kind}",
        "P_class (bin mean)",
        "fraction of that class",
    )
