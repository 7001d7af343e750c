"""Astrometric tie to Gaia: a known shift is recovered; too few matches is a refusal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from muwclass.update import astrometry
from muwclass.update.observations import read_observations


@pytest.fixture(scope="module")
def detections(data_dir):
    (o,) = read_observations([data_dir / "fields/IC2395_CXO/24613_results.csv"])
    return o.detections.assign(epoch=2020.6)


def _gaia_around(detections, shift_east, shift_north, seed=1, pm=(0.0, 0.0)):
    """Gaia-like references at the true positions of the X-ray sources (the X-ray positions
    minus a known shift, plus noise), moved back to 2016.0 by their proper motion."""
    rng = np.random.default_rng(seed)
    c = SkyCoord(detections["ra"].to_numpy() * u.deg, detections["dec"].to_numpy() * u.deg)
    noise = rng.normal(0, 0.05, (2, len(c)))
    true = c.spherical_offsets_by((-shift_east + noise[0]) * u.arcsec, (-shift_north + noise[1]) * u.arcsec)
    dt = 2020.6 - 2016.0
    at_gaia = true.spherical_offsets_by(-pm[0] * dt * u.mas, -pm[1] * dt * u.mas)
    return pd.DataFrame(
        {"ra": at_gaia.ra.deg, "dec": at_gaia.dec.deg, "pmra": pm[0], "pmdec": pm[1], "epoch": 2016.0}
    )


@pytest.mark.parametrize("pm", [(0.0, 0.0), (80.0, -60.0)])
def test_known_shift_is_recovered(detections, pm):
    gaia = _gaia_around(detections, 0.45, -0.3, pm=pm)
    s = astrometry.solve(24613, detections, gaia)
    assert s.matches >= 20
    assert s.shift_east_arcsec == pytest.approx(-0.45, abs=0.03)
    assert s.shift_north_arcsec == pytest.approx(0.3, abs=0.03)
    assert s.residual_after_arcsec < 0.2 < s.residual_before_arcsec
    assert s.mean_offset_before_arcsec == pytest.approx(np.hypot(0.45, 0.3), abs=0.03)
    again = astrometry.solve(24613, astrometry.apply(detections, s), gaia)
    assert abs(again.shift_east_arcsec) < 0.01 and abs(again.shift_north_arcsec) < 0.01


def test_too_few_matches_is_a_refusal(detections):
    gaia = _gaia_around(detections, 0.0, 0.0).iloc[:3]
    with pytest.raises(
        astrometry.AstrometryError, match=r"observation 24613: \d unambiguous Gaia matches.*need 5"
    ):
        astrometry.solve(24613, detections, gaia)


def test_ambiguous_references_are_not_used(detections):
    gaia = _gaia_around(detections, 0.0, 0.0)
    twin = gaia.assign(ra=gaia["ra"] + 0.3 / 3600)  # a second star 0.3" away from every reference
    with pytest.raises(astrometry.AstrometryError, match="0 unambiguous"):
        astrometry.solve(24613, detections, pd.concat([gaia, twin], ignore_index=True))
