"""The generalisation test: which sources count as unseen, and both directions on real sets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from muwclass.classification.estimator import build_pipeline
from muwclass.classification.training_set import load_training_set
from muwclass.config.run import ModelConfig
from muwclass.evaluation.folds import fit_predict_fold
from muwclass.evaluation.generalisation import generalisation, unseen


def test_a_source_is_seen_by_name_or_by_position():
    train = pd.DataFrame({"source_id": ["2CXO J1", "2CXO J2"], "ra": [10.0, 20.0], "dec": [0.0, 0.0]})
    test = pd.DataFrame(
        {
            "source_id": [" 2CXO J1 ", "other name", "2CXO J3", "no position"],
            "ra": [50.0, 20.0 + 0.5 / 3600, 20.0 + 3 / 3600, np.nan],
            "dec": [0.0, 0.0, 0.0, np.nan],
        }
    )
    assert unseen(train, test).tolist() == [False, False, True, True]


def test_both_directions_on_the_two_published_sets(data_dir):
    def sample(name: str) -> pd.DataFrame:
        td = load_training_set(data_dir / "td" / name)
        return pd.concat([g.head(25) for _, g in td.groupby("label")], ignore_index=True)

    first, second = sample("TD_Yang2022.csv"), sample("CSC_TD_11042023_MW.csv")
    template = build_pipeline(ModelConfig(params={"n_estimators": 15}))
    result = generalisation(template, first, second, ("a", "b"), folds=3)
    assert list(result) == ["a -> b", "b -> a"]
    for direction, (train, test) in zip(result.values(), [(first, second), (second, first)], strict=True):
        assert direction["tested"] + direction["in_training_set"] + direction["unknown_class"] == len(test)
        assert direction["in_training_set"] == int((~unseen(train, test)).sum()) > 0  # the sets overlap
        assert direction["accuracy"] > 0.3  # 8 classes: far above chance
        for c, move in direction["classes_that_move"].items():
            assert abs(move["other_set"] - move["cross_validated"]) >= 0.1, c


def test_a_fold_classifies_its_sources_as_a_catalog_does(data_dir):
    td = load_training_set(data_dir / "td" / "TD_Yang2022.csv")
    td = pd.concat([g.head(30) for _, g in td.groupby("label")], ignore_index=True)
    y = td["label"].to_numpy(dtype=object)
    classes = sorted(set(y))
    template = build_pipeline(ModelConfig(params={"n_estimators": 15}))
    one = fit_predict_fold(td, y, 0, np.array([5]), template, classes, draws=20, draw_seed=1)
    assert one.mc_proba.shape == (1, 8) and one.ct.shape == (1,) and one.ct[0] > 0
    assert np.isclose(one.mc_proba.sum(), 1.0)
    none = fit_predict_fold(td, y, 0, np.array([5]), template, classes)
    assert none.ct is None and none.mc_proba is None
