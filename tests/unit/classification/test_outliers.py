"""Outlier score: held-out classes score higher than unseen members of the trained classes."""

from __future__ import annotations

import numpy as np
import pytest

from muwclass.classification.outliers import OutlierModel, holdout_validation
from muwclass.classification.training_set import load_training_set


def test_held_out_classes_look_unusual(data_dir):
    td = load_training_set(data_dir / "td" / "TD_Yang2022.csv")
    auc = holdout_validation(td, td["label"].to_numpy(dtype=object))
    assert set(auc) == set(td["label"])
    # measured: mean 0.68; YSO 0.89, LM-STAR 0.77, HM-STAR 0.76, ... LMXB 0.51, NS 0.53
    assert np.mean(list(auc.values())) > 0.62
    assert sum(v > 0.5 for v in auc.values()) >= 7


def test_scores_inside_a_class_are_about_one_and_far_sources_high(data_dir):
    td = load_training_set(data_dir / "td" / "TD_Yang2022.csv")
    model = OutlierModel().fit(td, td["label"].to_numpy(dtype=object))
    inside = model.score(td.head(200))
    assert np.median(inside) < 1.0
    weird = td.head(20).copy()
    weird[["flux_s", "flux_m", "flux_h", "flux_b"]] = [
        1e-9,
        1e-16,
        1e-9,
        2e-9,
    ]  # bright, and an absurd spectrum
    assert np.median(model.score(weird)) > 2 * np.median(inside)
    with pytest.raises(ValueError, match="class X has 1 member"):
        OutlierModel().fit(td.head(3), np.array(["AGN", "AGN", "X"], dtype=object))
