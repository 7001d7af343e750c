"""The pipeline: oversampling only while fitting, alternative estimators, saved models, nH family."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from muwclass.classification.absorption import absorb, load_absorption_tables
from muwclass.classification.estimator import build_pipeline
from muwclass.classification.family import bin_index, nh_bins, training_frame
from muwclass.classification.model_store import find_model, load_model, model_id, save_model
from muwclass.classification.oversampling import physical_oversample
from muwclass.classification.training_set import load_training_set
from muwclass.config.run import ModelConfig, load_run_config
from tests.conftest import REPO

SMALL = {"params": {"n_estimators": 20}}


@pytest.fixture(scope="module")
def td(data_dir) -> pd.DataFrame:
    full = load_training_set(data_dir / "td" / "TD_Yang2022.csv")
    # every class, but few AGN/YSO, so fits take a second
    return pd.concat([g.head(60) for _, g in full.groupby("label")], ignore_index=True)


def test_oversampling_acts_only_when_fitting(td):
    y = td["label"].to_numpy(dtype=object)
    cfg = ModelConfig(**SMALL, oversampling={"physical": True, "smote": True}, prior_power=0.0)
    pipe = build_pipeline(cfg).fit(td, y)
    _, y_seen = pipe[:-1].fit_resample(td, y)  # what the estimator was fitted on
    assert len(pipe.named_steps["model"].classes_) == 8
    assert len(y_seen) == 8 * 60 > len(td)  # every class grown to 60 rows while fitting ...
    proba = pipe.predict_proba(td.head(7))
    assert proba.shape == (7, 8)  # ... but prediction returns one row per input row
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_physical_oversampling_grows_rare_classes_from_their_errors(td):
    y = td["label"].to_numpy(dtype=object)
    X, y2 = physical_oversample(td, y, fraction=1.0, random_state=0)
    counts = pd.Series(y2).value_counts()
    assert (counts == counts.max()).all()  # every class up to the largest
    new = X.iloc[len(td) :]
    assert (new["flux_b"] > 0).all()
    assert not new["flux_b"].isin(td["flux_b"]).all()  # drawn, not copied


@pytest.mark.parametrize("estimator", ["hist_gradient_boosting", "extra_trees"])
def test_alternative_estimators(td, estimator):
    cfg = ModelConfig(
        estimator=estimator, params={"max_iter": 20} if estimator.startswith("hist") else {"n_estimators": 20}
    )
    pipe = build_pipeline(cfg).fit(td, td["label"].to_numpy(dtype=object))
    assert pipe.predict(td.head(3)).shape == (3,)


def test_bad_model_options_are_clear():
    with pytest.raises(ValueError, match="model.params for random_forest"):
        build_pipeline(ModelConfig(params={"n_trees": 5}))
    with pytest.raises(ValueError, match="fill must be 'sentinel' with SMOTE"):
        build_pipeline(ModelConfig(features={"fill": "nan"}, oversampling={"smote": True}))


def test_saved_model_round_trip_and_reuse(td, tmp_path):
    pipe = build_pipeline(ModelConfig(**SMALL)).fit(td, td["label"].to_numpy(dtype=object))
    prov = {"model": "default", "training_sha256": "abc", "nh_target": None, "packages": {}}
    from muwclass.classification.model_store import package_versions

    prov["packages"] = package_versions()
    path = save_model(pipe, prov, tmp_path)
    assert path.name == model_id(prov) and find_model(tmp_path, prov) == path
    loaded, saved = load_model(path)
    assert np.array_equal(loaded.predict_proba(td.head(5)), pipe.predict_proba(td.head(5)))
    assert saved["model_id"] == path.name
    assert find_model(tmp_path, {**prov, "training_sha256": "other"}) is None
    stale = json.loads((path / "provenance.json").read_text())
    stale["packages"]["scikit-learn"] = "0.1"
    (path / "provenance.json").write_text(json.dumps(stale))
    with pytest.raises(RuntimeError, match="other library versions"):
        load_model(path)


def test_nh_bins():
    bins = nh_bins([3e21, 1e22])
    assert [b.index for b in bins] == [0, 1, 2]
    assert bin_index(np.array([0, 2.9e21, 3e21, 5e22, np.nan]), bins).tolist() == [0, 0, 1, 2, 0]
    assert bins[1].representative == pytest.approx(np.sqrt(3e21 * 1e22))
    with pytest.raises(ValueError, match="positive and increasing"):
        nh_bins([1e22, 3e21])


def test_train_command_fits_a_family_and_reuses_it(write_conf, data_dir):
    conf = write_conf(
        {"csc": {"definition": "csc_master"}},
        models={"default": {"params": {"n_estimators": 40}, "nh_bin_edges": [1e22]}},
    )
    cmd = [sys.executable, "-m", "muwclass.cli", "train", "--conf", str(conf)]
    first = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr[-2000:]
    cfg = load_run_config(conf)
    index = json.loads((cfg.layout.models / "default.json").read_text())
    assert set(index) == {"0", "1"}
    low, prov_low = (lambda m, p: (m.pipeline, p))(*load_model(cfg.layout.models / index["0"]))
    high, prov_high = (lambda m, p: (m.pipeline, p))(*load_model(cfg.layout.models / index["1"]))
    assert prov_low["nh_target"] is None and prov_low["nh_range"] is None  # the first bin: as observed
    assert prov_high["nh_target"] == 3e22 and prov_high["nh_range"] == [1e22, 9e22]  # AGN spread over the bin
    assert prov_high["features"][0] == "logF_s" and prov_high["training_rows"] == 2941
    # AGN seen through 5e22 cm^-2: the model trained on absorbed AGN recognises more of them
    td = training_frame(cfg)
    agn = td[td["label"] == "AGN"]
    behind_plane = absorb(agn, 5e22, load_absorption_tables(data_dir), gamma=2.0)
    recall = {
        name: (model.predict(behind_plane) == "AGN").mean() for name, model in (("low", low), ("high", high))
    }
    assert recall["high"] > recall["low"] + 0.05, recall
    second = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert second.returncode == 0 and (second.stdout + second.stderr).count("reusing") == 2


def test_smote_adapts_to_classes_smaller_than_its_neighbours(td):
    tiny = pd.concat([g.head(3) for _, g in td.groupby("label")], ignore_index=True)
    cfg = ModelConfig(params={"n_estimators": 5}, oversampling={"smote": True, "smote_k_neighbors": 5})
    pipe = build_pipeline(cfg).fit(tiny, tiny["label"].to_numpy(dtype=object))
    assert pipe.named_steps["smote"].k_neighbors == 5  # restored after fitting with k = 2
    one = pd.concat([tiny, td[td["label"] == "AGN"].head(1).assign(label="ODD")], ignore_index=True)
    with pytest.raises(ValueError, match="ODD has 1"):
        build_pipeline(cfg).fit(one, one["label"].to_numpy(dtype=object))


def test_out_of_bag_temperature_sharpens_without_changing_the_top_class(td):
    y = td["label"].to_numpy(dtype=object)
    plain = build_pipeline(ModelConfig(**SMALL, calibration="none", prior_boost={})).fit(td, y)
    calibrated = build_pipeline(ModelConfig(**SMALL, calibration="oob_temperature", prior_boost={})).fit(
        td, y
    )
    shift = calibrated.named_steps["model"]
    # a forest's averaged votes are under-confident: the fitted temperature sharpens them
    assert 0.3 <= shift.temperature_ < 1.0
    p, q = plain.predict_proba(td), calibrated.predict_proba(td)
    assert np.allclose(q.sum(axis=1), 1.0)
    assert np.array_equal(p.argmax(axis=1), q.argmax(axis=1))  # same forest (same seed), same votes
    assert q.max(axis=1).mean() > p.max(axis=1).mean()


def test_prior_boost_raises_a_class_and_is_checked_against_the_scheme(td, tmp_path):
    y = td["label"].to_numpy(dtype=object)
    plain = build_pipeline(ModelConfig(**SMALL, prior_boost={}, calibration="none")).fit(td, y)
    boosted = build_pipeline(ModelConfig(**SMALL, prior_boost={"CV": 20.0}, calibration="none")).fit(td, y)
    cv = list(plain.classes_).index("CV")
    assert (boosted.predict(td) == "CV").sum() > (plain.predict(td) == "CV").sum()
    b, p = boosted.predict_proba(td)[:, cv], plain.predict_proba(td)[:, cv]
    between = (p > 0) & (p < 1)
    assert (b >= p).all() and (b[between] > p[between]).all()  # no vote stays no vote
    conf = tmp_path / "run.yaml"
    conf.write_text(
        f"extends: {REPO / 'conf' / 'default.yaml'}\nmodels:\n  default:\n    prior_boost: {{QSO: 2}}\n"
    )
    from muwclass.classification.estimator import check_models
    from muwclass.errors import ConfigError

    with pytest.raises(
        ConfigError, match=r"models.default: prior_boost names \['QSO'\], not classes of scheme"
    ):
        check_models(load_run_config(conf))


def test_calibration_needs_out_of_bag_rows():
    with pytest.raises(ValueError, match="calibration oob_temperature needs a random_forest"):
        ModelConfig(estimator="hist_gradient_boosting", calibration="oob_temperature")
    with pytest.raises(ValueError, match="prior_boost factors must be finite and > 0"):
        ModelConfig(prior_boost={"CV": 0.0})
    assert ModelConfig().calibrated and not ModelConfig(estimator="extra_trees").calibrated
    assert not ModelConfig(params={"bootstrap": False}).calibrated


def test_a_column_density_feature_without_training_columns_is_said(write_conf):
    conf = write_conf(
        {"csc": {"definition": "csc_master"}},
        training_nh=None,
        models={"default": {"params": {"n_estimators": 10}, "nh_bin_edges": []}},
    )
    done = subprocess.run(
        [sys.executable, "-m", "muwclass.cli", "train", "--conf", str(conf)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    said = " ".join((done.stdout + done.stderr).split())  # rich wraps long lines
    assert "reads the column density (features.nh) but the training set has none (set training_nh)" in said
