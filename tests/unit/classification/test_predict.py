"""The engine-free predictor (``classify_rows``) on a small fitted family, without Spark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from muwclass.classification.estimator import build_pipeline
from muwclass.classification.family import FittedModel, ModelFamily, nh_bins
from muwclass.classification.outliers import OutlierModel
from muwclass.classification.predict import RESULT_COLUMNS, classify_rows, resolve_draws
from muwclass.classification.training_set import load_training_set
from muwclass.config.run import ModelConfig
from muwclass.errors import ConfigError


@pytest.fixture(scope="module")
def family_and_rows(data_dir):
    td = load_training_set(data_dir / "td" / "TD_Yang2022.csv")
    td = pd.concat([g.head(40) for _, g in td.groupby("label")], ignore_index=True)
    y = td["label"].to_numpy(dtype=object)
    models = {}
    for i, seed in enumerate((1, 2)):  # two bins, two differently seeded forests
        pipe = build_pipeline(ModelConfig(params={"n_estimators": 10}, random_state=seed)).fit(td, y)
        models[i] = FittedModel(pipe, OutlierModel().fit(td, y))
    family = ModelFamily(models, {0: {}, 1: {}}, {}, nh_bins([1e22]))
    return family, td.drop(columns=["label"]).head(30).copy()


def test_rows_in_equal_classified_plus_quarantined(family_and_rows):
    family, rows = family_and_rows
    rows.loc[rows.index[3], "ra"] = np.nan
    rows.loc[rows.index[4], "dec"] = 95.0
    nh = np.where(np.arange(len(rows)) % 2, 3e22, 1e20)
    classified, quarantine = classify_rows(rows, family, nh, draws=4, seed=7)
    assert len(classified) + len(quarantine) == len(rows)
    assert quarantine["reason"].tolist() == [
        "missing or non-finite coordinate in column 'ra'",
        "out of range in column 'dec': 95 not in [-90, 90]",
    ]
    assert set(RESULT_COLUMNS) <= set(classified.columns)
    p = classified[[f"P_{c}" for c in family.classes]].to_numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    odd = (np.arange(len(rows)) % 2 == 1)[[i not in (3, 4) for i in range(len(rows))]]
    assert (classified["nh_bin"].to_numpy() == odd.astype(int)).all()  # nH above the edge: bin 1
    assert (classified["Class"] == np.asarray(family.classes)[p.argmax(axis=1)]).all()


def test_results_do_not_depend_on_row_order(family_and_rows):
    family, rows = family_and_rows
    nh = np.full(len(rows), 1e20)
    first, _ = classify_rows(rows, family, nh, draws=5, seed=3)
    shuffled = rows.sample(frac=1.0, random_state=1)
    second, _ = classify_rows(shuffled, family, nh, draws=5, seed=3)
    pd.testing.assert_frame_equal(first.sort_index(), second.sort_index())


def test_draws_must_be_positive():
    assert resolve_draws(100, None) == 100 and resolve_draws(100, 3) == 3
    with pytest.raises(ConfigError, match="--draws must be >= 1"):
        resolve_draws(100, 0)


def test_the_model_sees_the_column_density_that_picks_it(data_dir):
    td = load_training_set(data_dir / "td" / "TD_Yang2022.csv")
    td = pd.concat([g.head(40) for _, g in td.groupby("label")], ignore_index=True)
    # the training AGN sit behind thin columns, everything else behind thick ones
    td["nh"] = np.where(td["label"] == "AGN", 1e20, 3e22)
    y = td["label"].to_numpy(dtype=object)
    pipe = build_pipeline(ModelConfig(params={"n_estimators": 30}, features={"nh": True})).fit(td, y)
    family = ModelFamily({0: FittedModel(pipe, OutlierModel().fit(td, y))}, {0: {}}, {}, nh_bins([]))
    rows = td.loc[td["label"] == "AGN"].drop(columns=["label", "nh"]).head(20)
    thin, _ = classify_rows(rows, family, np.full(len(rows), 1e20), draws=2, seed=1)
    thick, _ = classify_rows(rows, family, np.full(len(rows), 3e22), draws=2, seed=1)
    assert thin["P_AGN"].mean() > thick["P_AGN"].mean() + 0.1
    assert "nh" not in thin  # the feature's input, not an output column
