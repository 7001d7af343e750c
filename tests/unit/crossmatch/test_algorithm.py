"""BayesianCrossmatch.perform_crossmatch called directly on one pair of partitions (no Dask,
no lsdb alignment): candidates, separations, posteriors and proper-motion propagation."""

from __future__ import annotations

from types import SimpleNamespace

import astropy.units as u
import numpy as np
import pandas as pd
from astropy.coordinates import SkyCoord

from muwclass.crossmatch.algorithm import BayesianCrossmatch

RA0, DEC0 = 150.0, 2.0


def _frame(ra, dec, err, epoch, **extra) -> pd.DataFrame:
    n = len(ra)
    return pd.DataFrame(
        {
            "ra": ra,
            "dec": dec,
            "err_maj": np.full(n, err),
            "err_min": np.full(n, err),
            "err_pa": np.zeros(n),
            "epoch": np.full(n, epoch),
            **extra,
        }
    )


def _offset(ra, dec, east_arcsec, north_arcsec):
    c = SkyCoord(ra * u.deg, dec * u.deg).spherical_offsets_by(
        east_arcsec * u.arcsec, north_arcsec * u.arcsec
    )
    return c.ra.deg, c.dec.deg


def _sky():
    """Three X-ray sources 2' apart; 0 has a star 0.4" away, 1 has stars at 0.3" and 2", 2 has none
    within 15"; a sparse background of 200 stars over ~0.1 deg farther out."""
    xray = _frame([RA0, RA0 + 2 / 60, RA0 + 4 / 60], [DEC0] * 3, err=0.5, epoch=2005.0)
    stars = [
        _offset(RA0, DEC0, 0.4, 0.0),
        _offset(RA0 + 2 / 60, DEC0, 0.0, 0.3),
        _offset(RA0 + 2 / 60, DEC0, 2.0, 0.0),
    ]
    rng = np.random.default_rng(3)
    far = []
    while len(far) < 200:
        ra, dec = RA0 + rng.uniform(-0.05, 0.12), DEC0 + rng.uniform(-0.05, 0.05)
        if (
            SkyCoord(ra * u.deg, dec * u.deg)
            .separation(SkyCoord(xray["ra"].to_numpy() * u.deg, xray["dec"].to_numpy() * u.deg))
            .arcsec.min()
            > 20
        ):
            far.append((ra, dec))
    ra, dec = np.array([s[0] for s in stars + far], float), np.array([s[1] for s in stars + far], float)
    mw = _frame(ra, dec, err=0.05, epoch=2016.0, pmra=np.zeros(len(ra)), pmdec=np.zeros(len(ra)))
    return xray, mw


def _match(xray, mw, **kw):
    algo = BayesianCrossmatch(completeness=0.9, **kw)
    return algo.perform_crossmatch(SimpleNamespace(left_df=xray, right_df=mw))


def test_candidates_separations_and_posteriors():
    xray, mw = _sky()
    li, ri, extra = _match(xray, mw)
    assert list(extra.columns) == list(BayesianCrossmatch.extra_columns.columns)
    assert sorted(zip(li.tolist(), ri.tolist(), strict=True)) == [(0, 0), (1, 1), (1, 2)]
    truth = SkyCoord(xray["ra"].to_numpy()[li] * u.deg, xray["dec"].to_numpy()[li] * u.deg).separation(
        SkyCoord(mw["ra"].to_numpy()[ri] * u.deg, mw["dec"].to_numpy()[ri] * u.deg)
    )
    np.testing.assert_allclose(extra["_sep_arcsec"].to_numpy(float), truth.arcsec, atol=1e-4)
    post = extra["_post"].to_numpy(float)
    p_any = extra["_p_any"].to_numpy(float)
    near, far = np.flatnonzero((li == 1) & (ri == 1))[0], np.flatnonzero((li == 1) & (ri == 2))[0]
    assert post[near] > 0.9 > 0.01 > post[far]  # 0.3" vs 2" away, with 0.58" combined errors
    assert abs(post[near] + post[far] - p_any[near]) < 1e-12 and p_any[near] <= 1
    np.testing.assert_allclose(extra["_p_i"].to_numpy(float) * p_any, post)
    assert extra["_n_cand"].tolist() == [1 if i == 0 else 2 for i in li]


def test_proper_motion_brings_a_star_back_to_its_xray_position():
    xray, mw = _sky()
    mw = mw.iloc[:1].copy()
    # 11 yr at 500 mas/yr east: 5.5" away in 2016, on the X-ray source in 2005
    mw["ra"], mw["dec"] = _offset(RA0, DEC0, 5.5, 0.0)
    mw["pmra"], mw["pmdec"] = 500.0, 0.0
    li, _, extra = _match(xray, mw)
    assert li.tolist() == [0] and extra["_sep_arcsec"].iloc[0] < 0.05
    li, _, _ = _match(xray, mw, proper_motion=False, max_radius_arcsec=3.0)
    assert len(li) == 0  # at its catalog position the star is outside the search radius


def test_empty_partitions_give_typed_empty_results():
    xray, mw = _sky()
    for left, right in ((xray.iloc[:0], mw), (xray, mw.iloc[:0])):
        li, ri, extra = _match(left, right)
        assert len(li) == len(ri) == len(extra) == 0
        assert dict(extra.dtypes) == dict(BayesianCrossmatch.extra_columns.dtypes)
