"""Calibration and confidence scores: pure functions on arrays, checked on cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from muwclass.evaluation.metrics import (
    calibration_error,
    class_reliability,
    classification_metrics,
    confidence_metrics,
    top_class_reliability,
)

CLASSES = ["AGN", "CV"]


def test_calibration_error_of_calibrated_and_overconfident_probabilities():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.5, 1.0, 20_000)  # top-class probability of a two-class problem
    right = rng.uniform(size=p.size) < p  # ... right exactly that often: calibrated
    y = np.where(right, "AGN", "CV").astype(object)
    proba = np.column_stack([p, 1 - p])
    assert calibration_error(top_class_reliability(y, proba, CLASSES)) < 0.01
    sharp = np.column_stack([np.full(p.size, 0.99), np.full(p.size, 0.01)])  # says 0.99, right 75%
    ece = calibration_error(top_class_reliability(y, sharp, CLASSES))
    assert ece == pytest.approx(0.99 - right.mean(), abs=1e-9)
    assert classification_metrics(y, sharp, CLASSES)["calibration_error"] == pytest.approx(ece)


def test_reliability_of_each_class_one_vs_rest():
    y = np.array(["AGN", "AGN", "CV", "CV"], dtype=object)
    proba = np.array([[0.95, 0.05], [0.55, 0.45], [0.45, 0.55], [0.05, 0.95]])
    curves = class_reliability(y, proba, CLASSES)
    assert curves["AGN"]["members"] == 2 and sum(curves["CV"]["count"]) == 4
    assert curves["AGN"]["true_fraction"] == [0.0, 0.0, 1.0, 1.0]  # bins of P_AGN 0.05, 0.45, 0.55, 0.95


def test_confidence_metrics_count_the_confident_and_their_accuracy():
    y = np.array(["AGN", "AGN", "CV", "CV"], dtype=object)
    mc = np.array([[0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.6, 0.4]])
    ct = np.array([5.0, 3.0, 2.0, 0.5])  # the second source is confidently wrong
    m = confidence_metrics(y, mc, ct, CLASSES, threshold=2.0)
    assert m["confident_fraction"] == 0.75 and m["confident_accuracy"] == pytest.approx(2 / 3)
    assert m["accuracy"] == 0.5
    assert m["per_class"]["CV"] == {"confident_fraction": 0.5, "confident_accuracy": 1.0}
    # confident and predicted CV: the second (wrong) and the third (right) source
    assert m["per_predicted_class"]["CV"] == {"confident": 2, "precision": 0.5}
    assert m["per_predicted_class"]["AGN"] == {"confident": 1, "precision": 1.0}
