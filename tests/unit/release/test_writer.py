"""The release writer on a small classified table: atomic version, ``latest`` last, accounting,
no overwrite without --force, a HATS catalog lsdb reads, and the model card."""

from __future__ import annotations

import json

import lsdb
import numpy as np
import pandas as pd
import pytest

from muwclass.classification.estimator import estimator_params
from muwclass.config.run import load_run_config
from muwclass.errors import ReleaseError
from muwclass.release.manifest import counts_by_class
from muwclass.release.model_card import find_evaluation, model_card
from muwclass.release.writer import unusual_sources, write_release
from tests.conftest import REPO

CLASSES = ["AGN", "YSO", "CV"]


def _classified(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(len(CLASSES)), n)
    table = pd.DataFrame(
        {
            "source_id": [f"2CXO J{i:06d}" for i in range(n)],
            "ra": rng.uniform(0, 360, n),
            "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, n))),
            **{f"P_{c}": p[:, j] for j, c in enumerate(CLASSES)},
            "Class": np.asarray(CLASSES)[p.argmax(axis=1)],
            "CT": rng.uniform(0, 5, n),
            "outlier_score": rng.uniform(0.5, 3, n),
        }
    )
    table["confident"] = table["CT"] >= 2
    return table


def _manifest(n_in: int) -> dict:
    return {"version": "v", "rows": {"in": n_in}}


def test_release_is_published_whole_with_latest_moved_last(tmp_path):
    classified = _classified()
    quarantine = pd.DataFrame({"source_id": ["bad"], "reason": ["missing or non-numeric ra"]})
    root = tmp_path / "release"
    (root / ".old.partial-999").mkdir(parents=True)  # a crashed run's leftover
    path = write_release(root, "v1", classified, quarantine, _manifest(61), "# card\n")
    assert path == root / "v1" and (root / "latest").resolve() == path.resolve()
    assert not list(root.glob(".*"))  # no partial or leftover remains
    manifest = json.loads((path / "manifest.json").read_text())
    assert {
        "hats",
        "classified.csv",
        "classified.fits",
        "quarantine.csv",
        "unusual.csv",
        "model_card.md",
    } <= set(manifest["files"])
    assert {"class_counts.png", "sky_map_galactic.png", "ct_distribution.png"} <= set(manifest["files"])
    hats = lsdb.read_hats(path / "hats").compute()
    assert sorted(hats["source_id"]) == sorted(classified["source_id"])
    csv = pd.read_csv(path / "classified.csv")
    np.testing.assert_allclose(
        csv.sort_values("source_id")["ra"], classified.sort_values("source_id")["ra"], rtol=1e-9
    )


def test_lost_rows_or_an_existing_version_are_refused(tmp_path):
    root = tmp_path / "release"
    classified = _classified()
    with pytest.raises(ReleaseError, match="rows in 61 != classified 60 \\+ quarantined 0"):
        write_release(root, "v1", classified, pd.DataFrame(), _manifest(61), "")
    assert not root.exists() or not any(root.iterdir())
    write_release(root, "v1", classified, pd.DataFrame(), _manifest(60), "")
    with pytest.raises(ReleaseError, match="exists"):
        write_release(root, "v1", classified, pd.DataFrame(), _manifest(60), "")
    write_release(root, "v2", classified.head(10), pd.DataFrame(), _manifest(10), "")
    assert (root / "latest").resolve().name == "v2" and (root / "v1" / "manifest.json").exists()
    write_release(root, "v1", classified.head(5), pd.DataFrame(), _manifest(5), "", force=True)
    assert len(pd.read_csv(root / "v1" / "classified.csv")) == 5


def test_unusual_sources_counts_and_model_card():
    classified = _classified()
    unusual = unusual_sources(classified, top=5)
    assert (
        unusual["confident"].all() and unusual["outlier_score"].is_monotonic_decreasing and len(unusual) == 5
    )
    counts = counts_by_class(classified)
    assert sum(c["all"] for c in counts.values()) == 60
    assert sum(c["confident"] for c in counts.values()) == int(classified["confident"].sum())
    provenance = {
        0: {
            "nh_target": None,
            "model_id": "abc",
            "model_config": {"params": {}},
            "fit_seconds": 1.0,
            "features": ["f1", "f2"],
        }
    }
    card = model_card("td/TD_Yang2022.csv", CLASSES, provenance, None)
    assert "`abc`" in card and "Features (2): f1, f2" in card and "run `muwclass evaluate`" in card
    metrics = {
        "folds": "10-fold",
        "accuracy": 0.9,
        "balanced_accuracy": 0.75,
        "per_class": {"AGN": {"precision": 0.9, "recall": 0.95, "f1": 0.92, "support": 100}},
    }
    assert "| AGN | 0.900 | 0.950 | 0.920 | 100 |" in model_card("td.csv", CLASSES, provenance, metrics)
    metrics |= {
        "calibration_error": 0.013,
        "confidence": {
            "threshold": 2.0,
            "confident_fraction": 0.86,
            "confident_accuracy": 0.976,
            "per_predicted_class": {
                "AGN": {"confident": 90, "precision": 0.99},
                "CV": {"confident": 5, "precision": 0.6},
            },
        },
        "outlier_auc": {"AGN": 0.9, "CV": 0.8, "mean": 0.85},
        "generalisation": {
            "a -> b": {
                "tested": 10,
                "accuracy": 0.8,
                "balanced_accuracy": 0.6,
                "classes_that_move": {"CV": {"cross_validated": 0.7, "other_set": 0.5}},
            }
        },
    }
    card = model_card("td.csv", CLASSES, provenance, metrics)
    for text in (
        "calibration error of the top-class probability 0.013",
        "86.0% of the held-out sources reach CT >= 2, 0.976 of them right",
        "hold-one-class-out ROC AUC: mean 0.850 (AGN 0.90, CV 0.80)",
        "Generalisation a -> b: 10 unseen sources, accuracy 0.800",
        "Precision of the confident classifications per class (sources): AGN 0.99 (90), CV 0.60 (5)",
        "CV 0.70 -> 0.50",
        "![reliability per class](evaluation/reliability_per_class.png)",
    ):
        assert text in card, text


def test_the_card_carries_the_evaluation_of_the_model_it_used(tmp_path, data_dir):
    cfg = load_run_config(REPO / "conf" / "default.yaml", data_dir=data_dir, work_dir=tmp_path / "work")
    assert find_evaluation(cfg, "default")[2] == "no evaluation in the work directory"
    ten = cfg.layout.evaluation(10)
    ten.mkdir(parents=True)
    config = json.loads(json.dumps(cfg.model("default").model_dump(), default=str))
    params = json.loads(json.dumps(estimator_params(cfg.model("default")), default=str))
    other = {
        "model_config": {**config, "prior_power": 0.9},
        "estimator_params": params,
        "training_set": cfg.training_set,
    }
    (ten / "metrics.json").write_text(json.dumps(other))
    assert "are of another model or training set" in find_evaluation(cfg, "default")[2]
    # the same model block with other estimator defaults (an older muwclass's forest) is another model
    older = {**other, "model_config": config, "estimator_params": {**params, "max_features": "sqrt"}}
    (ten / "metrics.json").write_text(json.dumps(older))
    assert "are of another model or training set" in find_evaluation(cfg, "default")[2]
    (ten / "metrics.json").write_text(json.dumps({**other, "model_config": config, "folds": "10-fold"}))
    (ten / "reliability.png").write_bytes(b"\x89PNG fake")
    found, metrics, _ = find_evaluation(cfg, "default")
    assert found == ten and metrics["folds"] == "10-fold"
    loo = cfg.layout.evaluation("loo")
    loo.mkdir(parents=True)
    (loo / "metrics.json").write_text(json.dumps({**other, "model_config": config, "folds": "leave-one-out"}))
    assert find_evaluation(cfg, "default")[0] == loo  # leave-one-out preferred
    path = write_release(
        tmp_path / "release", "v1", _classified(), pd.DataFrame(), _manifest(60), "", evaluation=ten
    )
    assert sorted(p.name for p in (path / "evaluation").iterdir()) == ["metrics.json", "reliability.png"]
