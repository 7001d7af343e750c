"""The synthetic sky: deterministic bytes, consistent counts, truth that matches the catalogs."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from muwclass.io.products import MARKER, product_kind
from muwclass.synth import generate_sky
from muwclass.synth.geometry import move, offset_by, separation_deg
from muwclass.synth.xray import R95_PER_SIGMA, mjd_to_year

SCALE = 0.002  # 6 fields, 634 X-ray sources, ~30,000 Gaia-like rows
SEED = 5
CATALOGS = ("csc_master", "csc_per_obs", "gaia", "tmass", "allwise")


@pytest.fixture(scope="module")
def sky(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("sky") / "synth"
    summary = generate_sky(out, scale=SCALE, seed=SEED, data_dir=data_dir, progress=False)
    return out, summary


@pytest.fixture(scope="module")
def tables(sky):
    out, _ = sky
    t = {k: pd.read_parquet(out / k) for k in CATALOGS}
    t["truth"] = pd.read_parquet(out / "truth.parquet")
    t["fields"] = pd.read_parquet(out / "fields.parquet")
    return t


def _digests(folder: Path) -> dict[str, str]:
    """Digest of every file the sky holds except the product marker, which records when it
    was written (two runs a second apart differ there and nowhere else)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER
    }


def test_same_seed_same_bytes_other_seed_differs(sky, tmp_path, data_dir):
    out, summary = sky
    again = generate_sky(tmp_path / "again", scale=SCALE, seed=SEED, data_dir=data_dir, progress=False)
    first = _digests(out)
    assert first == _digests(tmp_path / "again")
    assert product_kind(out) == product_kind(tmp_path / "again") is not None
    assert {k: v for k, v in again.items() if k != "out_dir"} == {
        k: v for k, v in summary.items() if k != "out_dir"
    }
    generate_sky(tmp_path / "other", scale=SCALE, seed=SEED + 1, data_dir=data_dir, progress=False)
    other = _digests(tmp_path / "other")
    for name, digest in first.items():
        if name.endswith(".parquet"):
            assert other.get(name) != digest, name


def test_layout_and_counts_match_the_summary(sky, tables):
    out, s = sky
    assert s["scale"] == SCALE and s["seed"] == SEED and s["fields"] == 6
    assert s["rows"]["csc_master"] == round(317_000 * SCALE) == s["truth_rows"]
    for name in CATALOGS:
        files = s["files"][name]
        assert files == sorted(p.relative_to(out).as_posix() for p in (out / name).glob("*.parquet"))
        assert all(re.fullmatch(rf"{name}/part-\d{{5}}\.parquet", f) for f in files)
        assert (
            sum(pq.ParquetFile(out / f).metadata.num_rows for f in files)
            == s["rows"][name]
            == len(tables[name])
        )
    assert len(tables["truth"]) == s["truth_rows"] and len(tables["fields"]) == s["fields"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest == {k: v for k, v in s.items() if k != "out_dir"}
    assert not list(out.parent.glob(".synth.partial*"))  # staging renamed away


def test_columns_use_the_native_names(tables):
    assert list(tables["csc_master"].columns[:7]) == [
        "name",
        "ra",
        "dec",
        "err_ellipse_r0",
        "err_ellipse_r1",
        "err_ellipse_ang",
        "significance",
    ]
    for c in (
        "flux_aper90_ave_b",
        "e_flux_aper90_ave_s",
        "kp_intra_prob_b",
        "var_inter_prob",
        "nh_gal",
        "powlaw_gamma_mean",
        "conf_flag",
        "gti_mjd_obs",
    ):
        assert c in tables["csc_master"].columns
    assert tables["csc_master"]["extent_flag"].dtype == bool
    assert {
        "name",
        "obsid",
        "ra",
        "dec",
        "err_ellipse_r0",
        "significance",
        "flux_aper90_b",
        "flux_aper90_h",
        "gti_mjd_obs",
    } <= set(tables["csc_per_obs"].columns)
    assert list(tables["gaia"].columns) == [
        "Source",
        "RA_ICRS",
        "DE_ICRS",
        "e_RA_ICRS",
        "e_DE_ICRS",
        "Plx",
        "e_Plx",
        "pmRA",
        "e_pmRA",
        "pmDE",
        "e_pmDE",
        "Gmag",
        "e_Gmag",
        "BPmag",
        "e_BPmag",
        "RPmag",
        "e_RPmag",
        "RUWE",
    ]
    assert list(tables["tmass"].columns) == [
        "_2MASS",
        "RAJ2000",
        "DEJ2000",
        "errMaj",
        "errMin",
        "errPA",
        "Jmag",
        "e_Jmag",
        "Hmag",
        "e_Hmag",
        "Kmag",
        "e_Kmag",
        "Qflg",
    ]
    assert list(tables["allwise"].columns) == [
        "AllWISE",
        "RAJ2000",
        "DEJ2000",
        "eeMaj",
        "eeMin",
        "eePA",
        "W1mag",
        "e_W1mag",
        "W2mag",
        "e_W2mag",
        "W3mag",
        "e_W3mag",
        "W4mag",
        "e_W4mag",
    ]
    assert list(tables["truth"].columns) == [
        "name",
        "Class",
        "field_id",
        "ra_true",
        "dec_true",
        "gaia_Source",
        "tmass_2MASS",
        "allwise_AllWISE",
    ]


def test_identifiers_are_unique_and_formatted(tables):
    csc, per = tables["csc_master"], tables["csc_per_obs"]
    assert csc["name"].is_unique and csc["name"].str.fullmatch(r"2CXO J\d{6}\.\d[+-]\d{6}").all()
    assert tables["gaia"]["Source"].is_unique and (tables["gaia"]["Source"] > 0).all()
    assert (
        tables["tmass"]["_2MASS"].is_unique
        and tables["tmass"]["_2MASS"].str.fullmatch(r"\d{8}[+-]\d{7}").all()
    )
    assert (
        tables["allwise"]["AllWISE"].is_unique
        and tables["allwise"]["AllWISE"].str.fullmatch(r"J\d{6}\.\d{2}[+-]\d{6}\.\d").all()
    )
    assert tables["tmass"]["Qflg"].str.fullmatch(r"[ABCDUX]{3}").all()
    # every master source is detected in 1-4 observations of its own field
    assert set(per["name"]) == set(csc["name"])
    assert per.groupby("name")["obsid"].nunique().between(1, 4).all()
    field_of = tables["truth"].set_index("name")["field_id"]
    assert (per.assign(f=per["name"].map(field_of)).groupby("obsid")["f"].nunique() == 1).all()


def test_fields_half_in_the_plane_with_edge_cases(tables):
    f = tables["fields"]
    b = SkyCoord(f["ra"].to_numpy() * u.deg, f["dec"].to_numpy() * u.deg).galactic.b.deg
    assert np.allclose(b, f["gal_b"])
    assert (np.abs(b) < 10).sum() == len(f) // 2
    assert f["dec"].max() > 89.8 and f["dec"].min() < -89.8 and (f["ra"] < 0.2).any()
    # sources sit inside their field's 8' disc; fields do not overlap
    csc = (
        tables["csc_master"]
        .merge(tables["truth"][["name", "field_id"]], on="name")
        .merge(f, on="field_id", suffixes=("", "_f"))
    )
    assert (separation_deg(csc["ra"], csc["dec"], csc["ra_f"], csc["dec_f"]) * 60 < 8.0 + 0.2).all()
    i, j = np.triu_indices(len(f), 1)
    assert (
        separation_deg(
            f["ra"].to_numpy()[i], f["dec"].to_numpy()[i], f["ra"].to_numpy()[j], f["dec"].to_numpy()[j]
        )
        * 60
        > 18
    ).all()
    assert (csc["ra"].min() < 0.1) and (csc["ra"].max() > 359.9)  # a field straddles RA = 0/360


def test_classes_come_from_the_training_set(tables, data_dir):
    truth = tables["truth"].merge(tables["fields"][["field_id", "gal_b"]], on="field_id")
    classes = set(pd.read_csv(data_dir / "td" / "TD_Yang2022.csv", usecols=["True_Class"])["True_Class"])
    assert set(truth["Class"]) <= classes
    plane = truth["gal_b"].abs() < 10
    agn = truth["Class"] == "AGN"
    assert agn[~plane].mean() > 0.6 > agn[plane].mean()


def test_true_counterparts_exist_and_lie_within_the_errors(tables):
    csc = tables["csc_master"].set_index("name")
    truth = tables["truth"].set_index("name")
    gaia = tables["gaia"].set_index("Source")
    t = truth[truth["gaia_Source"].notna()]
    assert 0.4 * len(truth) < len(t) < 0.98 * len(truth)
    g = gaia.loc[t["gaia_Source"].astype("int64").to_numpy()]
    x = csc.loc[t.index]
    sigma_x = x["err_ellipse_r0"].to_numpy() / R95_PER_SIGMA
    # Gaia's 2016.0 position moved back by its proper motion to the X-ray epoch
    years = mjd_to_year(x["gti_mjd_obs"].to_numpy()) - 2016.0
    ra, dec = move(
        g["RA_ICRS"].to_numpy(),
        g["DE_ICRS"].to_numpy(),
        g["pmRA"].fillna(0).to_numpy(),
        g["pmDE"].fillna(0).to_numpy(),
        years,
    )
    z = separation_deg(ra, dec, x["ra"].to_numpy(), x["dec"].to_numpy()) * 3600 / sigma_x
    assert 0.6 < np.median(z) < 1.4 and np.quantile(z, 0.99) < 4.5
    pm = pd.DataFrame({"pmRA": g["pmRA"].to_numpy(), "pmDE": g["pmDE"].to_numpy()}, index=t.index)
    for cat, col, key, ra_c, dec_c, err, epoch in (
        ("tmass", "tmass_2MASS", "_2MASS", "RAJ2000", "DEJ2000", "errMaj", 1999.0),
        ("allwise", "allwise_AllWISE", "AllWISE", "RAJ2000", "DEJ2000", "eeMaj", 2010.5),
    ):
        t = truth[truth[col].notna()]
        assert len(t) > 0.3 * len(truth)
        m = tables[cat].set_index(key).loc[t[col].to_numpy()]
        x = csc.loc[t.index]
        motion = pm.reindex(t.index).fillna(0.0)
        ra, dec = move(
            m[ra_c].to_numpy(),
            m[dec_c].to_numpy(),
            motion["pmRA"].to_numpy(),
            motion["pmDE"].to_numpy(),
            mjd_to_year(x["gti_mjd_obs"].to_numpy()) - epoch,
        )
        sigma = np.hypot(x["err_ellipse_r0"].to_numpy() / R95_PER_SIGMA, m[err].to_numpy())
        z = separation_deg(ra, dec, x["ra"].to_numpy(), x["dec"].to_numpy()) * 3600 / sigma
        assert 0.6 < np.median(z) < 1.4 and np.quantile(z, 0.99) < 4.5, cat


def test_realistic_errors_densities_and_absorption(tables):
    csc = (
        tables["csc_master"]
        .merge(tables["truth"][["name", "field_id"]], on="name")
        .merge(tables["fields"], on="field_id", suffixes=("", "_f"))
    )
    theta = separation_deg(csc["ra"], csc["dec"], csc["ra_f"], csc["dec_f"]) * 60
    r0 = csc["err_ellipse_r0"]
    assert r0.min() >= 0.71 and (csc["err_ellipse_r1"] <= r0).all()
    assert r0[theta > 6].median() > 1.5 * r0[theta < 2].median()
    assert r0.quantile(0.05) > 0.7 and r0.quantile(0.5) < 5
    plane = csc["gal_b"].abs() < 10
    assert csc.loc[plane, "nh_gal"].median() > 5 * csc.loc[~plane, "nh_gal"].median()
    f = tables["fields"]
    gaia_per_field = tables["gaia"].shape[0] / len(f)
    assert 1_000 < gaia_per_field < 30_000
    assert (
        0.15 < len(tables["tmass"]) / len(tables["gaia"]) < 0.4
        and 0.2 < len(tables["allwise"]) / len(tables["gaia"]) < 0.5
    )
    g = tables["gaia"]["Gmag"]
    assert (g > 19).mean() > 0.5 and g.max() < 22.5  # many faint stars (training counterparts reach G ~ 21.5)


def test_bad_scale_is_refused(tmp_path, data_dir):
    for scale in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="scale must be > 0"):
            generate_sky(tmp_path / "x", scale=scale, data_dir=data_dir, progress=False)
    assert not (tmp_path / "x").exists()


def test_offsets_work_at_the_poles_and_across_ra_zero():
    ra, dec = offset_by(
        np.array([359.999, 0.0]), np.array([0.0, 89.999]), np.array([90.0, 0.0]), np.array([0.01, 0.01])
    )
    assert 0 <= ra[0] < 0.01 and dec[1] <= 90
    sep = SkyCoord(ra[1:2] * u.deg, dec[1:2] * u.deg).separation(SkyCoord(0 * u.deg, 89.999 * u.deg)).deg[0]
    assert sep == pytest.approx(0.01, rel=1e-6)
