"""Pure statistics of the probabilistic crossmatch, on numpy arrays."""

from __future__ import annotations

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from muwclass.crossmatch import likelihood as lk


def test_tangent_offsets_across_ra_zero_and_near_pole():
    dx, dy = lk.tangent_offsets(359.9999, 0.0, 0.0001, 0.0)
    assert dx == pytest.approx(0.72, rel=1e-6) and abs(dy) < 1e-9
    dx, dy = lk.tangent_offsets(0.0, 89.9999, 180.0, 89.9999)
    sep = SkyCoord(0 * u.deg, 89.9999 * u.deg).separation(SkyCoord(180 * u.deg, 89.9999 * u.deg)).arcsec
    assert np.hypot(dx, dy) == pytest.approx(sep, rel=1e-6)


def test_ellipse_covariance_orientation():
    see, sen, snn = lk.ellipse_covariance(2.0, 1.0, 90.0)  # major axis pointing east
    assert (see, snn) == pytest.approx((4.0, 1.0)) and sen == pytest.approx(0.0, abs=1e-12)
    see, sen, snn = lk.ellipse_covariance(2.0, 1.0, 45.0)
    assert see == pytest.approx(2.5) and snn == pytest.approx(2.5) and sen == pytest.approx(1.5)


def test_gaussian_density_integrates_to_one():
    g = np.linspace(-10, 10, 801)
    x, y = np.meshgrid(g, g)
    cov = lk.ellipse_covariance(1.5, 0.7, 30.0)
    total = lk.gaussian_density(x, y, *cov).sum() * (g[1] - g[0]) ** 2
    assert total == pytest.approx(1.0, abs=1e-6)


def test_propagation_matches_astropy():
    c = SkyCoord(
        ra=10 * u.deg,
        dec=60 * u.deg,
        pm_ra_cosdec=300 * u.mas / u.yr,
        pm_dec=-200 * u.mas / u.yr,
        obstime="J2016",
        frame="icrs",
        distance=1 * u.kpc,
        radial_velocity=0 * u.km / u.s,
    )
    moved = c.apply_space_motion(dt=-16 * u.yr)
    ra, dec = lk.propagate(10.0, 60.0, 300.0, -200.0, 2016.0, 2000.0)
    assert SkyCoord(ra * u.deg, dec * u.deg).separation(moved).arcsec < 1e-3


def test_probabilities_are_calibrated_on_simulated_fields():
    """Among candidates with posterior ~p, a fraction ~p are the true counterparts."""
    rng = np.random.default_rng(1)
    n, c, density, sigma = 20000, 0.7, 0.02, 1.0  # density per arcsec^2, 1-sigma per axis
    radius = 5 * sigma
    group, lr, truth = [], [], []
    for i in range(n):
        k = rng.poisson(density * np.pi * radius**2)
        x = list(rng.uniform(-radius, radius, (k * 2, 2)))
        x = [p for p in x if np.hypot(*p) <= radius][:k]
        is_true = [False] * len(x)
        if rng.uniform() < c:
            x.append(rng.normal(0, sigma, 2))
            is_true.append(True)
        for p, t in zip(x, is_true, strict=True):
            if np.hypot(*p) <= radius:
                group.append(i)
                lr.append(lk.gaussian_density(p[0], p[1], sigma**2, 0.0, sigma**2) / density)
                truth.append(t)
    group, lr, truth = np.array(group), np.array(lr), np.array(truth)
    post, p_any = lk.match_probabilities(group, lr, c, n)
    assert (np.bincount(group, weights=post, minlength=n) <= 1 + 1e-12).all()
    for lo, hi in ((0.0, 0.2), (0.2, 0.5), (0.5, 0.8), (0.8, 1.0)):
        sel = (post >= lo) & (post < hi)
        assert sel.sum() > 200
        assert truth[sel].mean() == pytest.approx(post[sel].mean(), abs=0.03)


def test_completeness_must_be_a_probability():
    with pytest.raises(ValueError, match="completeness"):
        lk.match_probabilities(np.array([0]), np.array([1.0]), 1.0, 1)


def test_threshold_curve_and_reliability_on_known_counts():
    from muwclass.crossmatch.validation import best_operating_point, reliability, threshold_curve

    p_any = np.array([0.9, 0.2, 0.8, np.nan])
    correct = np.array([True, False, False, False])
    has = np.array([True, True, False, False])
    c = threshold_curve(p_any, correct, has, np.array([0.1, 0.5, 0.85]))
    assert c["completeness"] == [0.5, 0.5, 0.5]
    assert c["false_rate"] == pytest.approx([2 / 3, 1 / 2, 0.0])
    assert best_operating_point(c, 0.0) == {"threshold": 0.85, "completeness": 0.5, "false_rate": 0.0}
    r = reliability(np.array([0.05, 0.15, 0.95, 0.95]), np.array([False, False, True, False]), bins=10)
    assert r["count"][9] == 2 and r["true_fraction"][9] == 0.5 and r["count"][0] == 1
