"""The magnitude prior of the crossmatch, on simulated fields (pure numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from muwclass.crossmatch import likelihood as lk
from muwclass.crossmatch import mag_prior as mp
from muwclass.crossmatch.validation import best_operating_point, threshold_curve

EDGES = np.arange(4.0, 24.01, 0.5)


def _fields(seed: int = 3, n: int = 20000, c: float = 0.75, density: float = 0.0116, sigma: float = 0.8):
    """Candidates around n X-ray sources: faint field stars (dN/dm rising to m = 21) at the
    synthetic sky's densest Galactic-plane density (1.5e5 deg^-2), and for a fraction c a
    bright true counterpart."""
    rng = np.random.default_rng(seed)
    radius = 4 * sigma
    k = rng.poisson(density * np.pi * radius**2, n)
    group = np.repeat(np.arange(n), k)
    r = radius * np.sqrt(rng.uniform(size=k.sum()))
    mag = 21.0 - rng.exponential(1.45, k.sum())
    has = rng.uniform(size=n) < c
    tg = np.flatnonzero(has)
    off = rng.normal(0, sigma, (len(tg), 2))
    inside = np.hypot(*off.T) <= radius
    group = np.concatenate([group, tg[inside]])
    r = np.concatenate([r, np.hypot(*off[inside].T)])
    mag = np.concatenate([mag, rng.normal(15.0, 1.5, inside.sum())])
    truth = np.concatenate([np.zeros(k.sum(), bool), np.ones(inside.sum(), bool)])
    order = np.argsort(group, kind="stable")
    group, r, mag, truth = group[order], r[order], mag[order], truth[order]
    lr = lk.gaussian_density(r, 0.0, sigma**2, 0.0, sigma**2) / density
    field = 21.0 - rng.exponential(1.45, 200_000)  # the MW catalog as a whole
    return group, lr, mag, truth, has, field, n, c


def _fit(group, lr, mag, field, n, c, iterations=3):
    prior, post = None, lk.match_probabilities(group, lr, c, n)[0]
    for _ in range(iterations):
        prior = mp.fit(
            "G", EDGES, mp.histogram(mag, EDGES, post), mp.histogram(field, EDGES), pseudo_counts=20
        )
        post = mp.rescore(group, lr, prior.factor(mag), c, n)[1]
    return prior


def _best(group, post, truth, n):
    """Per source: p_any and whether the highest-posterior candidate is the true one."""
    p_any = np.bincount(group, weights=post, minlength=n)
    best = np.full(n, -1)
    order = np.lexsort((-post, group))
    first = np.r_[True, group[order][1:] != group[order][:-1]]
    best[group[order][first]] = order[first]
    correct = np.zeros(n, bool)
    correct[best >= 0] = truth[best[best >= 0]]
    return p_any, correct


def test_prior_learned_from_data_favours_bright_candidates_and_lifts_completeness():
    group, lr, mag, truth, has, field, n, c = _fields()
    prior = _fit(group, lr, mag, field, n, c)
    assert prior.factor(np.array([15.0]))[0] > 10 > 1 > prior.factor(np.array([20.5]))[0]
    thresholds = np.linspace(0.05, 0.99, 48)
    post0 = lk.match_probabilities(group, lr, c, n)[0]
    post1 = mp.rescore(group, lr, prior.factor(mag), c, n)[1]
    comp = []
    for post in (post0, post1):
        p_any, correct = _best(group, post, truth, n)
        comp.append(
            best_operating_point(threshold_curve(p_any, correct, has, thresholds), 0.02)["completeness"]
        )
    assert comp[1] > 0.95 and comp[1] > comp[0] + 0.1, comp
    # still calibrated: among candidates with posterior ~p, a fraction ~p are true
    for lo, hi in ((0.05, 0.5), (0.5, 0.9), (0.9, 1.0)):
        sel = (post1 >= lo) & (post1 < hi)
        assert sel.sum() > 100
        assert truth[sel].mean() == pytest.approx(post1[sel].mean(), abs=0.08)


def test_without_counterparts_the_prior_is_flat_and_missing_magnitudes_have_their_bin():
    field = np.random.default_rng(0).normal(18, 2, 10_000)
    flat = mp.fit("G", EDGES, np.zeros(len(EDGES)), mp.histogram(field, EDGES), pseudo_counts=20)
    assert np.allclose(flat.factor(np.array([12.0, 18.0, np.nan])), 1.0)
    assert mp.bin_index(np.array([np.nan, 1.0, 30.0]), EDGES).tolist() == [len(EDGES) - 1, 0, len(EDGES) - 2]
    empty = mp.fit("G", EDGES, np.ones(len(EDGES)), np.zeros(len(EDGES)), pseudo_counts=20)
    assert np.allclose(empty.factor(np.array([10.0])), 1.0)


def test_ratio_is_rounded_so_summation_order_does_not_matter():
    group, lr, mag, truth, has, field, n, c = _fields(n=3000)
    post = lk.match_probabilities(group, lr, c, n)[0]
    whole = mp.histogram(mag, EDGES, post)
    halves = mp.histogram(mag[::2], EDGES, post[::2]) + mp.histogram(mag[1::2], EDGES, post[1::2])
    f = mp.histogram(field, EDGES)
    assert mp.fit("G", EDGES, whole, f, 20).ratio == mp.fit("G", EDGES, halves, f, 20).ratio
