"""Readers (CSV/FITS/VOTable/Parquet) and the mapping to the internal schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table

from muwclass.config.catalog_definition import load_catalog_definition
from muwclass.config.schema import SIGMA_PER_95
from muwclass.errors import InputError
from muwclass.ingest.candidates import read_candidate_records
from muwclass.ingest.mapping import map_chunk
from muwclass.io.readers import read_chunks, read_table


def _map_file(path, name, fmt=None):
    d = load_catalog_definition(name)
    if d.source.format == "candidates" and fmt is None:
        chunks = read_candidate_records(path, d.source.candidates, 10_000)
    else:
        chunks = read_chunks(path, fmt)
    goods, bads = zip(*(map_chunk(c, d, str(path)) for c in chunks), strict=True)
    return pd.concat(goods, ignore_index=True), pd.concat(bads, ignore_index=True)


def test_csc_master_error_ellipse_is_converted_to_one_sigma(data_dir):
    raw = read_table(data_dir / "buildtd/CSCv2_TD_ave.csv")
    good, bad = _map_file(data_dir / "buildtd/CSCv2_TD_ave.csv", "csc_master")
    assert len(good) == len(raw) == 3012 and bad.empty
    np.testing.assert_allclose(
        good["err_maj"],
        np.fmax(raw.err_ellipse_r0.astype(float), raw.err_ellipse_r1.astype(float)) * SIGMA_PER_95,
    )
    assert pytest.approx(1 / np.sqrt(-2 * np.log(0.05))) == SIGMA_PER_95
    assert good["flux_b"].iloc[0] == pytest.approx(4.1453979052711515e-15)


def test_per_observation_sexagesimal_positions(data_dir):
    path = data_dir / "fields/NGC3532/NGC3532_per.csv"
    good, bad = _map_file(path, "csc_per_obs")
    assert bad.empty and len(good) == 389
    expect = SkyCoord("11 05 07.45", "-58 51 05.47", unit=("hourangle", "deg"))
    first = good.iloc[0]
    assert first.ra == pytest.approx(expect.ra.deg, abs=1e-9)
    assert first.dec == pytest.approx(expect.dec.deg, abs=1e-9)
    assert first.epoch == pytest.approx(2008.81, abs=0.01)  # gti_obs 2008-10-23
    assert good["obsid"].iloc[0] == 8941


def test_gaia_errors_from_mas_and_ids_from_names(data_dir):
    good, _ = _map_file(data_dir / "fields/IC2395_CXO/IC2395_CXO_gaia.csv", "gaia_dr3")
    assert len(good) == 138
    # e_RA_ICRS = 0.1466 mas in the first row of NGC3532 -> arcsec
    ngc, _ = _map_file(data_dir / "fields/NGC3532/NGC3532_gaia.csv", "gaia_dr3")
    assert ngc["err_maj"].iloc[0] == pytest.approx(0.1466e-3)
    # Source is printed as a float in this file; the id must come from the DR3 name, all digits.
    assert good["source_id"].str.fullmatch(r"\d{18,19}").all()


@pytest.fixture
def bad_csv(tmp_path):
    text = (
        "name,ra,dec,err_ellipse_r0,err_ellipse_r1,err_ellipse_ang,significance,"
        "flux_aper90_ave_s,flux_aper90_ave_m,flux_aper90_ave_h,flux_aper90_ave_b,"
        "e_flux_aper90_ave_s,e_flux_aper90_ave_m,e_flux_aper90_ave_h,e_flux_aper90_ave_b,"
        "kp_intra_prob_b,var_inter_prob,nh_gal,powlaw_gamma_mean,extent_flag,pileup_flag,sat_src_flag,streak_src_flag,conf_flag\n"
        "good1,10.0,20.0,1,1,0,5,1e-15,1e-15,1e-15,3e-15,1e-16,1e-16,1e-16,1e-16,0.1,,3,,False,False,False,False,False\n"
        "nanpos,,20.0,1,1,0,5,1e-15,1e-15,1e-15,3e-15,1e-16,1e-16,1e-16,1e-16,0.1,,3,,False,False,False,False,False\n"
        "badra,400.0,20.0,1,1,0,5,1e-15,1e-15,1e-15,3e-15,1e-16,1e-16,1e-16,1e-16,0.1,,3,,False,False,False,False,False\n"
        "negerr,10.0,20.0,1,1,0,5,1e-15,1e-15,1e-15,3e-15,-1e-16,1e-16,1e-16,1e-16,0.1,,3,,False,False,False,False,False\n"
        "text,10.0,abc,1,1,0,5,1e-15,1e-15,1e-15,3e-15,1e-16,1e-16,1e-16,1e-16,0.1,,3,,False,False,False,False,False\n"
        "short,10.0,20.0,1\n"
        "good2,11.0,-20.0,1,1,0,5,1e-15,1e-15,1e-15,3e-15,1e-16,1e-16,1e-16,1e-16,0.1,,3,,False,False,False,False,False\n"
    )
    path = tmp_path / "bad_ave.csv"
    path.write_text(text)
    return path


def test_bad_rows_are_quarantined_with_row_and_reason(bad_csv):
    good, bad = _map_file(bad_csv, "csc_master")
    assert list(good["source_id"]) == ["good1", "good2"]
    reasons = dict(zip(bad["row"], bad["reason"], strict=True))
    assert "missing or non-finite coordinate in column 'ra'" in reasons[2]
    assert "out of range in column 'ra': 400 not in [0, 360)" in reasons[3]
    assert "negative error in column 'e_flux_aper90_ave_s': -1e-16" in reasons[4]
    assert "unparseable value 'abc' in column 'dec'" in reasons[5]
    assert "unparseable row" in reasons[6]
    assert len(good) + len(bad) == 7


def test_same_table_in_every_format_maps_identically(tmp_path, data_dir):
    raw = read_table(data_dir / "fields/3FGLJ1306.4-6043/3FGLJ1306.4-6043_ave.csv")
    cols = ["name", "ra", "dec", "err_ellipse_r0", "err_ellipse_r1", "err_ellipse_ang", "significance"]
    cols += [c for c in raw.columns if c.startswith(("flux_aper90_ave", "e_flux_aper90_ave"))]
    cols += [
        "kp_intra_prob_b",
        "var_inter_prob",
        "nh_gal",
        "powlaw_gamma_mean",
        "extent_flag",
        "pileup_flag",
        "sat_src_flag",
        "streak_src_flag",
        "conf_flag",
    ]
    typed = raw[cols].copy()
    for c in cols[1:]:
        typed[c] = (
            pd.to_numeric(typed[c], errors="coerce") if "flag" not in c else typed[c].str.lower().eq("true")
        )
    typed["name"] = typed["name"].astype(str)
    t = Table.from_pandas(typed)
    t.write(tmp_path / "x.fits")
    t.write(tmp_path / "x.vot", format="votable")
    typed.to_parquet(tmp_path / "x.parquet")
    ref, _ = _map_file(data_dir / "fields/3FGLJ1306.4-6043/3FGLJ1306.4-6043_ave.csv", "csc_master")
    for name in ("x.fits", "x.vot", "x.parquet"):
        got, bad = _map_file(tmp_path / name, "csc_master")
        assert bad.empty, name
        pd.testing.assert_frame_equal(got.reset_index(drop=True), ref, check_dtype=False, obj=name)


def test_missing_file_and_missing_column_are_clear(tmp_path):
    with pytest.raises(InputError, match="input file not found"):
        list(read_chunks(tmp_path / "nope.csv"))
    path = tmp_path / "few.csv"
    path.write_text("name,ra\nx,1\n")
    with pytest.raises(
        InputError, match=r"few.csv: missing column\(s\) \[.*'dec'.*\] required by .*csc_master.yaml"
    ):
        _map_file(path, "csc_master")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty file"):
        list(read_chunks(empty))


def test_every_catalog_definition_loads():
    from tests.conftest import REPO

    names = sorted(p.stem for p in (REPO / "catalogs").glob("*.yaml"))
    assert {
        "csc_master",
        "csc_per_obs",
        "xmm_dr8",
        "gaia_dr3",
        "tmass",
        "allwise",
        "catwise",
        "unwise",
    } <= set(names)
    for name in names:
        d = load_catalog_definition(name)
        assert d.source.local or d.source.tap or d.source.hats


def test_definition_with_unknown_internal_column(tmp_path):
    from muwclass.errors import ConfigError
    from tests.conftest import REPO

    text = (REPO / "catalogs/tmass.yaml").read_text().replace("  J: Jmag", "  Jmagnitude: Jmag")
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"(?s)broken.yaml.*unknown internal column\(s\) \['Jmagnitude'\]"):
        load_catalog_definition(path)


def test_missing_positional_errors_use_the_default_and_are_counted(tmp_path):
    from muwclass.io.readers import RawChunk

    d = load_catalog_definition("tmass")
    frame = pd.DataFrame(
        {
            "_2MASS": ["a", "b"],
            "RAJ2000": [1.0, 2.0],
            "DEJ2000": [3.0, 4.0],
            "errMaj": [0.2, None],
            "errMin": [0.1, None],
            "errPA": [10.0, None],
            "Jmag": [10.0, 11.0],
            "e_Jmag": [0.1, 0.1],
            "Hmag": [9.0, 9.0],
            "e_Hmag": [0.1, 0.1],
            "Kmag": [8.0, 8.0],
            "e_Kmag": [0.1, 0.1],
        }
    )
    good, bad = map_chunk(RawChunk(frame=frame, row=np.array([1, 2])), d, "t.csv")
    assert bad.empty and good.attrs["err_defaulted"] == 1
    assert good["err_maj"].tolist() == [0.2, d.position_error.default]
