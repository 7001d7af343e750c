"""The synthetic 3XMM-like catalog: native layout, the same physical sources as CSC where XMM
points at a Chandra field, honest errors, its own fields with MW catalogs, deterministic bytes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from muwclass.config.catalog_definition import load_catalog_definition
from muwclass.ingest.bands import convert_band_fluxes
from muwclass.synth import generate_sky
from muwclass.synth import xmm as xmm_sky
from muwclass.synth.geometry import move, separation_deg
from muwclass.synth.xray import mjd_to_year

SCALE = 0.004  # 12 CSC fields (1,268 sources), 22 EPIC fields (~2,100 sources)
SEED = 11


@pytest.fixture(scope="module")
def sky(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("xsky") / "synth"
    summary = generate_sky(out, scale=SCALE, seed=SEED, data_dir=data_dir, progress=False, xmm=True)
    t = {k: pd.read_parquet(out / k) for k in ("csc_master", "gaia", "xmm")}
    for k in ("truth", "fields", "xmm_truth", "xmm_fields"):
        t[k] = pd.read_parquet(out / f"{k}.parquet")
    return out, summary, t


def test_layout_counts_and_names(sky):
    _, s, t = sky
    x, truth = t["xmm"], t["xmm_truth"]
    assert list(x.columns) == list(xmm_sky.COLUMNS)
    assert s["rows"]["xmm"] == len(x) == len(truth) and (x["IAUNAME"].to_numpy() == truth["name"]).all()
    n_fields, n_sources = xmm_sky.xmm_size(SCALE)
    assert s["xmm"]["fields"] == len(t["xmm_fields"]) == n_fields
    assert abs(len(x) - n_sources) < 0.05 * n_sources
    assert x["IAUNAME"].is_unique and x["SRCID"].is_unique
    assert x["IAUNAME"].str.fullmatch(r"3XMM J\d{6}\.\d[+-]\d{6}").all()
    assert set(x["SC_SUM_FLAG"]) <= set(range(5)) and 0.01 < (x["SC_SUM_FLAG"] >= 3).mean() < 0.12
    assert (x["SC_DET_ML"] >= xmm_sky.DET_ML_MIN).all()
    assert x["N_DETECTIONS"].between(1, 4).all() and 0.2 < (x["N_DETECTIONS"] > 1).mean() < 0.5
    on_csc = t["xmm_fields"]["csc_field_id"] >= 0
    assert on_csc.sum() == s["xmm"]["fields_on_csc"] == round(xmm_sky.SHARED_FRACTION * len(t["fields"]))


def test_xmm_detects_part_of_the_chandra_sources_it_points_at(sky):
    _, _, t = sky
    shared = t["xmm_truth"].dropna(subset=["csc_name"])
    csc_truth = t["truth"].set_index("name")
    on = t["xmm_fields"].loc[t["xmm_fields"]["csc_field_id"] >= 0, "csc_field_id"]
    in_pointed = csc_truth["field_id"].isin(on)
    assert 0.3 < len(shared) / in_pointed.sum() < 0.95  # the faint ones are missed
    assert shared["csc_name"].is_unique and shared["csc_name"].isin(csc_truth.index[in_pointed]).all()
    same = csc_truth.loc[shared["csc_name"]]
    assert (same["Class"].to_numpy() == shared["Class"].to_numpy()).all()
    for col in ("gaia_Source", "tmass_2MASS", "allwise_AllWISE", "ra_true", "dec_true"):
        pd.testing.assert_series_equal(
            same[col].reset_index(drop=True), shared[col].reset_index(drop=True), check_names=False
        )


def test_positions_scatter_as_the_catalog_errors_say(sky):
    _, _, t = sky
    x = t["xmm"].set_index("IAUNAME").loc[t["xmm_truth"]["name"]]
    truth = t["xmm_truth"]
    z = (
        separation_deg(x["SC_RA"].to_numpy(), x["SC_DEC"].to_numpy(), truth["ra_true"], truth["dec_true"])
        * 3600
        / x["SC_POSERR"].to_numpy()
    )
    # offset / per-axis sigma of a circular Gaussian: Rayleigh, median sqrt(2 ln 2) = 1.18
    assert 1.0 < np.median(z) < 1.4 and np.quantile(z, 0.99) < 3.6
    assert 0.7 < x["SC_POSERR"].median() < 2.5  # 3XMM: typically 1-2"
    # an XMM-only source's Gaia counterpart, moved back to the XMM epoch, is where XMM saw it
    own = truth["csc_name"].isna().to_numpy() & truth["gaia_Source"].notna().to_numpy()
    g = t["gaia"].set_index("Source").loc[truth.loc[own, "gaia_Source"].astype("int64").to_numpy()]
    ra, dec = move(
        g["RA_ICRS"].to_numpy(),
        g["DE_ICRS"].to_numpy(),
        g["pmRA"].fillna(0).to_numpy(),
        g["pmDE"].fillna(0).to_numpy(),
        mjd_to_year(x.loc[own, "MJD_START"].to_numpy()) - 2016.0,
    )
    z = separation_deg(ra, dec, x.loc[own, "SC_RA"], x.loc[own, "SC_DEC"]) * 3600 / x.loc[own, "SC_POSERR"]
    assert own.sum() > 300 and 1.0 < np.median(z) < 1.4


def test_own_fields_have_their_own_mw_sky_and_overlap_nothing(sky):
    _, s, t = sky
    f = t["xmm_fields"]
    own = f[f["csc_field_id"] < 0]
    assert (own["radius_arcmin"] == xmm_sky.XMM_RADIUS_ARCMIN).all()
    csc = t["fields"]
    d_csc = separation_deg(
        own["ra"].to_numpy()[:, None],
        own["dec"].to_numpy()[:, None],
        csc["ra"].to_numpy(),
        csc["dec"].to_numpy(),
    )
    assert d_csc.min() * 60 >= 16 + 9
    d_own = separation_deg(
        own["ra"].to_numpy()[:, None],
        own["dec"].to_numpy()[:, None],
        own["ra"].to_numpy(),
        own["dec"].to_numpy(),
    )
    assert (d_own + np.eye(len(own)) * 99).min() * 60 >= 32
    # Gaia rows fill every XMM-only field's 16' disc, none beyond
    g = t["gaia"].sample(20_000, random_state=0)
    d = separation_deg(
        g["RA_ICRS"].to_numpy()[:, None],
        g["DE_ICRS"].to_numpy()[:, None],
        own["ra"].to_numpy(),
        own["dec"].to_numpy(),
    )
    nearest = d.min(axis=1) * 60
    in_own = nearest < 16.5
    assert in_own.mean() > 0.3 and (nearest[in_own] < 16.0 + 1e-6).all()
    assert s["rows"]["gaia"] == len(t["gaia"])


def test_band_fluxes_come_back_through_the_catalog_definition(sky):
    _, _, t = sky
    conv = load_catalog_definition("xmm_dr8").bands
    back, bad = convert_band_fluxes(t["xmm"], conv)
    assert not bad.any()
    shared = t["xmm_truth"]["csc_name"].notna().to_numpy()
    csc = t["csc_master"].set_index("name").loc[t["xmm_truth"].loc[shared, "csc_name"]]
    ratio = back["flux_b"][shared] / csc["flux_aper90_ave_b"].to_numpy()
    # the import assumes one photon index (1.7), the sky gives each source its own
    assert 0.85 < np.median(ratio) < 1.15 and np.quantile(ratio, 0.9) / np.quantile(ratio, 0.1) < 2.0


def test_same_seed_same_bytes(sky, tmp_path, data_dir):
    out, _, _ = sky
    again = tmp_path / "again"
    generate_sky(again, scale=SCALE, seed=SEED, data_dir=data_dir, progress=False, xmm=True)
    for name in (
        "xmm/part-00000.parquet",
        "xmm_truth.parquet",
        "xmm_fields.parquet",
        "gaia/part-00000.parquet",
    ):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name
