"""Absorption correction against the shared tables and the tbabs cross-sections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from muwclass.classification.absorption import (
    absorb,
    absorb_training_set,
    extinction,
    flux_transmission,
    load_absorption_tables,
    nh_to_ebv,
    tbabs_transmission,
)
from muwclass.errors import InputError


@pytest.fixture(scope="module")
def tables(data_dir):
    return load_absorption_tables(data_dir)


def test_grid_points_reproduce_the_table_exactly(tables, data_dir):
    raw = pd.read_csv(data_dir / "tables" / "abs_Fcsc_m.csv")
    for row, col in [(0, "2.0"), (10, "1.7"), (100, "-1.0"), (500, "2.6")]:
        expected = raw.loc[row, col]
        assert flux_transmission(tables, "m", raw.loc[row, "nH"] * 1e21, float(col)) == pytest.approx(
            expected, rel=1e-9
        )


@pytest.mark.parametrize("band", ["s", "m", "h", "b"])
@pytest.mark.parametrize("nh,gamma", [(1e21, 2.0), (1e22, 1.7), (5e22, 1.0)])
def test_table_agrees_with_tbabs_cross_sections(tables, data_dir, band, nh, gamma):
    expected = tbabs_transmission(data_dir / "tables" / "tbabs.data", band, nh, gamma)
    assert float(flux_transmission(tables, band, nh, gamma)) == pytest.approx(expected, rel=2e-3)


def test_soft_band_is_absorbed_most_and_monotonically(tables):
    nh = np.array([0, 1e21, 1e22, 1e23])
    for band in "smhb":
        t = flux_transmission(tables, band, nh, 2.0)
        assert t[0] == pytest.approx(1.0) and np.all(np.diff(t) < 0)
    assert (
        flux_transmission(tables, "s", 1e22, 2.0)
        < flux_transmission(tables, "m", 1e22, 2.0)
        < flux_transmission(tables, "h", 1e22, 2.0)
    )


def test_extinction_matches_table_and_is_reddest_in_blue_bands(tables, data_dir):
    raw = pd.read_csv(data_dir / "tables" / "extinction_MWbands.csv")
    assert extinction(tables, "J", 1.0) == pytest.approx(-raw.loc[10, "Jmag_cor"])
    a = {b: float(extinction(tables, b, 0.5)) for b in ("BP", "G", "RP", "J", "K", "W1")}
    assert a["BP"] > a["G"] > a["RP"] > a["J"] > a["K"] > a["W1"] > 0
    assert nh_to_ebv(2.21e21 * 3.1) == pytest.approx(1.0)  # Guever & Oezel 2009, R_V = 3.1


def test_absorb_adds_only_the_extra_column(tables):
    df = pd.DataFrame(
        {
            "flux_s": [1e-14, 1e-14],
            "e_flux_s": [1e-15, 1e-15],
            "flux_h": [1e-14, 1e-14],
            "G": [18.0, 18.0],
            "J": [16.0, np.nan],
            "nh_gal": [1e21, 5e22],
        }
    )
    out = absorb(df, 1e22, tables, gamma=2.0)
    ratio = flux_transmission(tables, "s", 1e22, 2.0) / flux_transmission(tables, "s", 1e21, 2.0)
    assert out.loc[0, "flux_s"] == pytest.approx(1e-14 * ratio)
    assert out.loc[0, "e_flux_s"] / out.loc[0, "flux_s"] == pytest.approx(0.1)  # relative error kept
    assert out.loc[0, "G"] > 18.0 and np.isnan(out.loc[1, "J"])  # missing stays missing
    pd.testing.assert_series_equal(
        out.loc[1], df.loc[1], rtol=1e-12
    )  # already behind more gas than the target: unchanged


def test_only_the_named_classes_are_absorbed(tables):
    td = pd.DataFrame(
        {"label": ["AGN", "YSO"], "flux_s": [1e-14, 1e-14], "G": [19.0, 15.0], "nh_gal": [0.0, 0.0]}
    )
    out = absorb_training_set(td, 3e22, tables, ["AGN"])
    assert out.loc[0, "flux_s"] < 1e-15 and out.loc[0, "G"] > 19.0
    assert out.loc[1, "flux_s"] == 1e-14 and out.loc[1, "G"] == 15.0


def test_missing_table_is_named(tmp_path):
    with pytest.raises(InputError, match="abs_Fcsc_s.csv does not exist"):
        load_absorption_tables(tmp_path)


def test_a_bin_model_spreads_its_agn_over_the_bin(tables):
    n = 400
    td = pd.DataFrame(
        {
            "label": ["AGN"] * n + ["YSO"] * 2,
            "flux_s": 1e-14,
            "G": 19.0,
            "nh_gal": [1e20] * n + [5e21, 5e22],
        }
    ).assign(nh=lambda d: d["nh_gal"])
    out = absorb_training_set(td, 5.5e21, tables, ["AGN"], nh_range=(3e21, 1e22), seed=1)
    agn = out.iloc[:n]
    assert agn["nh"].between(3e21, 1e22).all() and (agn["nh"] == agn["nh_gal"]).all()
    # log-uniform: about half below the geometric centre
    assert 0.4 < (agn["nh"] < np.sqrt(3e21 * 1e22)).mean() < 0.6
    # each source absorbed to its own column: more gas, less soft flux
    order = np.argsort(agn["nh"].to_numpy())
    assert np.all(np.diff(agn["flux_s"].to_numpy()[order]) <= 0)
    assert list(out.iloc[n:]["nh"]) == [5e21, 5e22]  # galactic classes keep their own column
    again = absorb_training_set(td, 5.5e21, tables, ["AGN"], nh_range=(3e21, 1e22), seed=1)
    pd.testing.assert_frame_equal(out, again)
