"""Monte-Carlo confidence: CT by hand, reproducible per source, counterpart confusion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from muwclass.classification.confidence import confidence_table, draw_sources, monte_carlo_proba, source_seeds
from muwclass.classification.estimator import build_pipeline
from muwclass.classification.features import error_pairs
from muwclass.classification.training_set import load_training_set
from muwclass.config.run import ModelConfig
from muwclass.config.schema import SURVEYS


def test_ct_of_the_top_two_classes_by_hand():
    mean = np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]])
    std = np.array([[0.05, 0.02, 0.0], [0.0, 0.0, 0.1]])
    t = confidence_table(mean, std, ["AGN", "YSO", "CV"])
    assert t.loc[0, "Class"] == "AGN" and t.loc[0, "CT"] == pytest.approx((0.7 - 0.1) / (0.2 + 0.04))
    assert bool(t.loc[0, "confident"])
    assert t.loc[1, "Class"] == "CV" and t.loc[1, "CT"] == pytest.approx((0.4 - 0.2) / 0.3)
    assert list(t.columns[:3]) == ["P_AGN", "P_YSO", "P_CV"] and "e_P_CV" in t


def test_seeds_depend_on_the_source_not_its_position():
    ids = pd.Series(["a", "b", "c"])
    assert np.array_equal(source_seeds(ids, 1)[::-1], source_seeds(ids[::-1].reset_index(drop=True), 1))
    assert not np.array_equal(source_seeds(ids, 1), source_seeds(ids, 2))


def test_counterparts_are_dropped_with_their_mismatch_probability():
    n = 4000
    df = pd.DataFrame(
        {
            "G": np.full(n, 18.0),
            "e_G": 0.0,
            "W1": 15.0,
            "e_W1": 0.0,
            "p_match_gaia": 0.3,
            "p_match_wise": 1.0,
            "flux_b": 1e-14,
        }
    )
    normal = np.random.default_rng(0).standard_normal((n, len(error_pairs()) + len(SURVEYS)))
    drawn = draw_sources(df, normal)
    assert drawn["G"].notna().mean() == pytest.approx(0.3, abs=0.03)
    assert drawn["W1"].notna().all()


def test_the_runner_up_candidate_is_drawn_with_its_posterior():
    """Best (G = 18, posterior 0.3), runner-up (G = 14, parallax 2 mas, posterior 0.5), none 0.2:
    a draw never mixes the two stars' photometry or astrometry."""
    n = 6000
    df = pd.DataFrame(
        {
            "G": np.full(n, 18.0),
            "e_G": 0.0,
            "BP": 18.5,
            "e_BP": 0.0,
            "parallax": np.nan,
            "e_parallax": np.nan,
            "G_alt": 14.0,
            "e_G_alt": 0.0,
            "BP_alt": np.nan,
            "e_BP_alt": np.nan,
            "parallax_alt": 2.0,
            "e_parallax_alt": 0.1,
            "p_match_gaia": 0.3,
            "p_alt_gaia": 0.5,
            "flux_b": 1e-14,
        }
    )
    normal = np.random.default_rng(1).standard_normal((n, len(error_pairs()) + len(SURVEYS)))
    drawn = draw_sources(df, normal)
    best, alt = drawn["G"] == 18.0, drawn["G"] == 14.0
    assert best.mean() == pytest.approx(0.3, abs=0.03) and alt.mean() == pytest.approx(0.5, abs=0.03)
    assert drawn["G"].isna().mean() == pytest.approx(0.2, abs=0.03)
    assert (drawn.loc[best, "BP"] == 18.5).all() and drawn.loc[alt, "BP"].isna().all()
    assert drawn.loc[best, "parallax"].isna().all() and drawn.loc[alt, "parallax"].std() == pytest.approx(
        0.1, rel=0.1
    )
    assert (drawn.loc[alt, "e_parallax"] == 0.1).all()


@pytest.fixture(scope="module")
def fitted(data_dir):
    td = load_training_set(data_dir / "td" / "TD_Yang2022.csv")
    pipe = build_pipeline(ModelConfig(params={"n_estimators": 20})).fit(
        td, td["label"].to_numpy(dtype=object)
    )
    sample = pd.concat([g.head(5) for _, g in td.groupby("label")], ignore_index=True)
    return pipe, sample


def test_same_numbers_however_the_rows_are_split_or_ordered(fitted):
    pipe, sample = fitted
    mean, std = monte_carlo_proba(pipe, sample, 8, seed=3)
    half = len(sample) // 2
    parts = [monte_carlo_proba(pipe, sample.iloc[::-1].iloc[i : i + half], 8, seed=3) for i in (0, half)]
    rev_mean = np.vstack([p[0] for p in parts])[::-1]
    rev_std = np.vstack([p[1] for p in parts])[::-1]
    assert np.allclose(mean, rev_mean) and np.allclose(std, rev_std)
    assert (std > 0).any()  # measurement errors do move the probabilities
    other, _ = monte_carlo_proba(pipe, sample, 8, seed=4)
    assert not np.allclose(mean, other)


def test_without_errors_the_draws_agree(fitted):
    pipe, sample = fitted
    exact = sample.drop(columns=[e for _, e in error_pairs() if e in sample])
    mean, std = monte_carlo_proba(pipe, exact, 5, seed=0)
    assert np.allclose(std, 0.0) and np.allclose(mean, pipe.predict_proba(exact))
    with pytest.raises(ValueError, match="draws must be >= 1"):
        monte_carlo_proba(pipe, exact, 0, seed=0)


def test_lean_draw_frames_give_the_probabilities_of_the_whole_rows(fitted):
    """Draws carry only the columns the model reads: zero errors must reproduce predict_proba
    on the full input rows (ids, labels and every other column included)."""
    pipe, sample = fitted
    exact = sample.drop(columns=[e for _, e in error_pairs() if e in sample]).assign(note="x", extra=1.0)
    mean, _ = monte_carlo_proba(pipe, exact, 2, seed=0)
    assert np.array_equal(mean, pipe.predict_proba(exact))


def test_draws_stacked_into_calls_give_the_same_numbers_bit_for_bit(data_dir, monkeypatch):
    """However many draws share a predict call (a source alone in a leave-one-out fold, a few
    thousand in an update's task, 20,000 in the full run's), a source gets the same numbers."""
    from muwclass.classification import confidence

    td = load_training_set(data_dir / "td" / "TD_Yang2022.csv")
    td = pd.concat([g.head(30) for _, g in td.groupby("label")], ignore_index=True)
    pipe = build_pipeline(ModelConfig(params={"n_estimators": 10})).fit(
        td, td["label"].to_numpy(dtype=object)
    )
    rows = td.drop(columns=["label"]).head(7)
    results = {}
    for rows_per_call in (1, 7 * 3, 7 * 20):  # one draw per call, three, all twenty
        monkeypatch.setattr(confidence, "ROWS_PER_CALL", rows_per_call)
        results[rows_per_call] = monte_carlo_proba(pipe, rows, 20, seed=3)
        # each source alone, its draws stacked, gives its row of the group's result
        alone = monte_carlo_proba(pipe, rows.iloc[[4]], 20, seed=3)
        assert np.array_equal(alone[0][0], results[rows_per_call][0][4])
    (mean, std), *others = results.values()
    for m, s in others:
        assert np.array_equal(mean, m) and np.array_equal(std, s)
    assert (std > 0).any()  # the draws do move the probabilities


def test_settled_sources_stop_early_and_the_others_get_every_draw_bit_for_bit(fitted, monkeypatch):
    """With enough draws a source whose class is settled after SETTLE_AFTER draws keeps their
    numbers; the others get exactly what all draws give; how the rows are split changes nothing."""
    from muwclass.classification import confidence

    pipe, sample = fitted
    n = 2 * confidence.SETTLE_AFTER + 10
    adaptive = monte_carlo_proba(pipe, sample, n, seed=5)
    first = monte_carlo_proba(pipe, sample, confidence.SETTLE_AFTER, seed=5)  # too few to settle
    monkeypatch.setattr(confidence, "SETTLE_AFTER", n)  # never settles: every draw for everyone
    full = monte_carlo_proba(pipe, sample, n, seed=5)
    monkeypatch.undo()
    ct = confidence_table(*first, [str(c) for c in pipe.classes_])["CT"].to_numpy()
    settled = (first[1].max(axis=1) <= confidence.SETTLE_SPREAD) & ((ct <= 1.0) | (ct >= 4.0))
    assert 0 < settled.sum() < len(sample)  # the sample has both kinds
    for got, early, every in zip(adaptive, first, full, strict=True):
        assert np.array_equal(got[settled], early[settled])
        assert np.array_equal(got[~settled], every[~settled])
    half = len(sample) // 2
    parts = [monte_carlo_proba(pipe, sample.iloc[i : i + half], n, seed=5) for i in (0, half)]
    assert np.array_equal(np.vstack([p[0] for p in parts]), adaptive[0])
