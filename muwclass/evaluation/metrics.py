"""Scores of a classifier from out-of-fold probabilities: pure functions on arrays.

Everything here takes the true labels and the out-of-fold probability matrix (rows = sources,
columns = ``classes``), so the same code scores k-fold, leave-one-out and a held-out set,
whatever engine produced the probabilities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm


def predicted_labels(proba: np.ndarray, classes: list[str]) -> np.ndarray:
    return np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]


def classification_metrics(y_true: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict:
    """Accuracy, balanced accuracy, per-class precision/recall/F1/support, macro F1, log-loss, Brier.

    Brier is the multi-class score: mean over sources of sum over classes of (p - onehot)^2.
    """
    y_true = np.asarray(y_true, dtype=object)
    _check(y_true, proba, classes)
    y_pred = predicted_labels(proba, classes)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=classes, zero_division=0
    )
    onehot = (y_true[:, None] == np.asarray(classes, dtype=object)[None, :]).astype(float)
    clipped = np.clip(proba, 1e-15, 1.0)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    return {
        "n_sources": int(len(y_true)),
        "classes": list(classes),
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, y_pred)),
        "calibration_error": calibration_error(top_class_reliability(y_true, proba, classes)),
        "macro_f1": float(np.mean(f1)),
        "log_loss": float(-np.mean(np.sum(onehot * np.log(clipped), axis=1))),
        "brier": float(np.mean(np.sum((proba - onehot) ** 2, axis=1))),
        "per_class": {
            c: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
        },
    }


def confusion(
    y_true: np.ndarray, proba: np.ndarray, classes: list[str], normalize: bool = False
) -> pd.DataFrame:
    """Confusion matrix (rows = true class, columns = predicted), optionally row-normalised."""
    y_pred = predicted_labels(proba, classes)
    m = skm.confusion_matrix(
        np.asarray(y_true, dtype=object), y_pred, labels=classes, normalize="true" if normalize else None
    )
    return pd.DataFrame(m, index=pd.Index(classes, name="true"), columns=pd.Index(classes, name="predicted"))


def top_class_reliability(
    y_true: np.ndarray, proba: np.ndarray, classes: list[str], n_bins: int = 10
) -> dict:
    """Calibration of the top-class probability: in each bin, the fraction that is right."""
    right = predicted_labels(proba, classes) == np.asarray(y_true, dtype=object)
    return _binned(proba.max(axis=1), right, n_bins)


def _binned(p: np.ndarray, hit: np.ndarray, n_bins: int) -> dict[str, list]:
    """Per equal-width bin of ``p`` that holds sources: its edges, mean ``p``, fraction of
    ``hit`` and count (empty bins are left out)."""
    hit = np.asarray(hit, dtype=float)
    edges = np.linspace(0, 1, n_bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, n_bins - 1)
    out: dict[str, list] = {"bin_lo": [], "bin_hi": [], "mean_p": [], "true_fraction": [], "count": []}
    for i in range(n_bins):
        sel = which == i
        if not sel.any():
            continue
        out["bin_lo"].append(float(edges[i]))
        out["bin_hi"].append(float(edges[i + 1]))
        out["mean_p"].append(float(p[sel].mean()))
        out["true_fraction"].append(float(hit[sel].mean()))
        out["count"].append(int(sel.sum()))
    return out


def calibration_error(reliability: dict) -> float:
    """Expected calibration error: the source-weighted mean |mean probability - right fraction|
    over the bins of a reliability curve (:func:`top_class_reliability`, 10 equal-width bins)."""
    count = np.asarray(reliability["count"], dtype=float)
    if not count.sum():
        return float("nan")
    gap = np.abs(np.asarray(reliability["mean_p"]) - np.asarray(reliability["true_fraction"]))
    return float(np.sum(count * gap) / count.sum())


def class_reliability(
    y_true: np.ndarray, proba: np.ndarray, classes: list[str], n_bins: int = 10
) -> dict[str, dict]:
    """Per class, one-vs-rest: in bins of P_<class>, the fraction of sources that are that class."""
    y_true = np.asarray(y_true, dtype=object)
    return {
        c: {**_binned(proba[:, j], y_true == c, n_bins), "members": int((y_true == c).sum())}
        for j, c in enumerate(classes)
    }


def confidence_metrics(
    y_true: np.ndarray, mc_proba: np.ndarray, ct: np.ndarray, classes: list[str], threshold: float
) -> dict:
    """What the Monte-Carlo confidence is worth: the fraction of sources with CT >= ``threshold``
    and the accuracy of the Monte-Carlo class among them, overall and per true class, and per
    predicted class the precision of the confident ones (what a user filtering a catalog on
    ``Class`` and CT gets)."""
    y_true = np.asarray(y_true, dtype=object)
    predicted = predicted_labels(mc_proba, classes)
    right = predicted == y_true
    confident = np.asarray(ct, dtype=float) >= threshold

    def mean(values: np.ndarray, where: np.ndarray) -> float:
        return float(values[where].mean()) if where.any() else float("nan")

    return {
        "threshold": threshold,
        "accuracy": float(right.mean()),
        "confident_fraction": float(confident.mean()),
        "confident_accuracy": mean(right, confident),
        "per_class": {
            c: {
                "confident_fraction": mean(confident, y_true == c),
                "confident_accuracy": mean(right, (y_true == c) & confident),
            }
            for c in classes
        },
        "per_predicted_class": {
            c: {
                "confident": int((confident & (predicted == c)).sum()),
                "precision": mean(right, confident & (predicted == c)),
            }
            for c in classes
        },
    }


def comparison_table(results: dict[str, dict]) -> pd.DataFrame:
    """One row per model: the headline scores and every class's recall, side by side."""
    rows = []
    for name, m in results.items():
        row = {
            "model": name,
            **{
                k: m[k]
                for k in (
                    "accuracy",
                    "balanced_accuracy",
                    "calibration_error",
                    "macro_f1",
                    "log_loss",
                    "brier",
                )
            },
        }
        if "confidence" in m:
            row["confident_fraction"] = m["confidence"]["confident_fraction"]
            row["confident_accuracy"] = m["confidence"]["confident_accuracy"]
        row.update({f"recall_{c}": v["recall"] for c, v in m["per_class"].items()})
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def importance_summary(per_fold: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and quartiles of each feature's importance across folds.

    ``per_fold``: rows = folds, columns = features.
    """
    summary = pd.DataFrame(
        {
            "mean": per_fold.mean(),
            "std": per_fold.std(ddof=1) if len(per_fold) > 1 else 0.0,
            "q25": per_fold.quantile(0.25),
            "q75": per_fold.quantile(0.75),
        }
    )
    return summary.sort_values("mean", ascending=False).rename_axis("feature")


def _check(y_true: np.ndarray, proba: np.ndarray, classes: list[str]) -> None:
    if proba.ndim != 2 or proba.shape != (len(y_true), len(classes)):
        raise ValueError(f"probabilities have shape {proba.shape}, expected ({len(y_true)}, {len(classes)})")
    unknown = sorted(set(y_true) - set(classes))
    if unknown:
        raise ValueError(f"labels {unknown} are not among the model's classes {list(classes)}")
    if np.isnan(proba).any():
        raise ValueError(
            f"{int(np.isnan(proba).any(axis=1).sum())} rows of probabilities contain NaN (a fold did not predict them)"
        )
