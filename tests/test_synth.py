"""The synthetic sky: deterministic bytes, consistent counts, truth that matches the catalogs."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from muwclass.synth import generate_sky
from muwclass.synth.geometry import offset_by
from muwclass.synth.population import CLASSES

SCALE = 0.004  # 12 fields, ~1,300 X-ray sources


def _digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sky(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("sky") / "synth"
    summary = generate_sky(out, scale=SCALE, seed=5, data_dir=data_dir, progress=False)
    return out, summary


def test_same_seed_same_bytes_and_other_seed_differs(sky, tmp_path, data_dir):
    out, _ = sky
    again = tmp_path / "synth"
    generate_sky(again, scale=SCALE, seed=5, data_dir=data_dir, progress=False)
    assert _digests(out) == _digests(again)
    other = tmp_path / "other"
    generate_sky(other, scale=SCALE, seed=6, data_dir=data_dir, progress=False)
    assert _digests(out)["gaia/part-00000.parquet"] != _digests(other)["gaia/part-00000.parquet"]


def test_counts_fields_and_classes(sky):
    out, s = sky
    assert s["fields"] == 12 and s["fields_in_plane"] == 6
    assert s["rows"]["csc_master"] == round(317_000 * SCALE)
    for name, n in s["rows"].items():
        assert sum(len(pd.read_parquet(out / f)) for f in s["files"][name]) == n
    assert s["rows"]["gaia"] > 100 * s["rows"]["csc_master"] / 10  # realistic MW density
    truth = pd.read_parquet(out / "truth.parquet")
    assert len(truth) == s["rows"]["csc_master"] and set(truth["Class"]) <= set(CLASSES)
    csc = pd.read_parquet(out / "csc_master")
    assert csc["name"].is_unique
    per = pd.read_parquet(out / "csc_per_obs")
    assert set(per["name"]) == set(csc["name"])


def test_true_counterparts_lie_within_the_errors(sky):
    out, _ = sky
    csc = pd.read_parquet(out / "csc_master").set_index("name")
    truth = pd.read_parquet(out / "truth.parquet").set_index("name")
    gaia = pd.read_parquet(out / "gaia").set_index("Source")
    t = truth.dropna(subset=["gaia_Source"])
    assert len(t) > 0.3 * len(truth)
    g = gaia.loc[t["gaia_Source"].astype("int64")]
    x = csc.loc[t.index]
    assert (g.index.to_numpy() == t["gaia_Source"].to_numpy()).all()
    # move Gaia back from 2016.0 to the X-ray epoch with its proper motion
    dt = (x["gti_mjd_obs"].to_numpy() - 51544.5) / 365.25 + 2000.0 - 2016.0
    pa = np.degrees(np.arctan2(g["pmRA"].to_numpy(), g["pmDE"].to_numpy()))
    ra, dec = offset_by(g["RA_ICRS"].to_numpy(), g["DE_ICRS"].to_numpy(), pa, np.hypot(g["pmRA"], g["pmDE"]).to_numpy() * dt / 3.6e6)
    sep = SkyCoord(ra * u.deg, dec * u.deg).separation(SkyCoord(x["ra"].to_numpy() * u.deg, x["dec"].to_numpy() * u.deg)).arcsec
    sigma = x["err_ellipse_r0"].to_numpy() / 2.4477
    assert np.median(sep / sigma) < 1.5 and np.quantile(sep / sigma, 0.99) < 4.5
    for cat, col, key in (("tmass", "tmass_2MASS", "_2MASS"), ("allwise", "allwise_AllWISE", "AllWISE")):
        ids = set(pd.read_parquet(out / cat, columns=[key])[key])
        assert set(truth[col].dropna()) <= ids


def test_offsets_work_at_the_poles_and_across_ra_zero():
    ra, dec = offset_by(np.array([359.999, 0.0]), np.array([0.0, 89.999]), np.array([90.0, 0.0]), np.array([0.01, 0.01]))
    assert 0 <= ra[0] < 0.01 and dec[1] <= 90
    sep = SkyCoord(ra[1:2] * u.deg, dec[1:2] * u.deg).separation(SkyCoord(0 * u.deg, 89.999 * u.deg)).deg[0]
    assert sep == pytest.approx(0.01, rel=1e-6)
