"""Feature functions on small hand-made arrays: values, missing counterparts, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from muwclass.classification.features import (
    SENTINEL,
    FeatureError,
    FeatureSet,
    compute_features,
    draw_within_errors,
    feature_names,
    input_columns,
    unusable_rows,
)


def _rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "flux_s": [1e-14, 2e-14],
            "flux_m": [1e-14, 0.0],
            "flux_h": [2e-14, 1e-14],
            "flux_b": [4e-14, 3e-14],
            "e_flux_s": [1e-15, 1e-15],
            "e_flux_b": [4e-15, 3e-15],
            "G": [15.0, np.nan],
            "BP": [15.5, np.nan],
            "RP": [14.4, np.nan],
            "e_G": [0.01, np.nan],
            "J": [13.0, np.nan],
            "H": [12.5, np.nan],
            "K": [12.3, np.nan],
            "W1": [12.0, 16.0],
            "W2": [11.9, 15.5],
            "W3": [11.0, np.nan],
            "var_intra_prob": [0.1, np.nan],
            "var_inter_prob": [0.9, 0.2],
            "significance": [10.0, 3.0],
            "parallax": [2.0, np.nan],
            "e_parallax": [0.1, np.nan],
            "pm": [5.0, np.nan],
            "rgeo": [500.0, np.nan],
        }
    )


def test_values_of_hardness_colours_and_flux_ratios():
    f = compute_features(_rows(), FeatureSet(fill="nan", significance=True))
    assert f.loc[0, "logF_b"] == pytest.approx(np.log10(4e-14))
    assert f.loc[0, "HR_hm"] == pytest.approx((2 - 1) / 3)
    assert f.loc[0, "HR_ms"] == pytest.approx(0.0)
    assert f.loc[0, "HR2"] == pytest.approx((2 - 1) / 3)
    assert f.loc[0, "HR4"] == pytest.approx((3 - 1) / 4)
    assert f.loc[1, "HR_hm"] == pytest.approx(1.0)  # zero medium flux: maximally hard, not NaN
    assert f.loc[0, "G-RP"] == pytest.approx(0.6)
    assert f.loc[0, "xo_G"] == pytest.approx(np.log10(4e-14) + 15.0 / 2.5)
    assert f.loc[0, "plx_snr"] == pytest.approx(20.0)
    assert f.loc[0, "abs_G"] == pytest.approx(15.0 - 5 * np.log10(500) + 5)
    assert f.loc[0, "log_significance"] == pytest.approx(1.0)


def test_missing_counterparts_are_information():
    f = compute_features(_rows())
    assert f.loc[1, "has_gaia"] == 0.0 and f.loc[1, "has_2mass"] == 0.0 and f.loc[1, "has_wise"] == 1.0
    assert f.loc[1, "G-RP"] == SENTINEL and f.loc[1, "mag_G"] == SENTINEL
    assert f.loc[1, "W1-W2"] == pytest.approx(0.5)
    nan = compute_features(_rows(), FeatureSet(fill="nan"))
    assert np.isnan(nan.loc[1, "G-RP"])


def test_feature_lists_follow_the_options():
    names = feature_names()
    assert len(names) == 68 and names[:4] == ["logF_s", "logF_m", "logF_h", "logF_b"]
    assert len([n for n in names if "-" in n]) == 36 and "log_significance" in names
    assert len(feature_names(FeatureSet(colours="poster", significance=False))) == 40
    assert "var_intra" not in feature_names(FeatureSet(variability=False))
    with pytest.raises(FeatureError, match=r"unknown keys \['colors'\] under model.features"):
        FeatureSet.from_config({"colors": "all"})
    with pytest.raises(FeatureError, match="features.colours must be"):
        FeatureSet(colours="some")


def test_rows_without_a_positive_flux_are_unusable():
    df = _rows()
    reasons = unusable_rows(
        pd.concat(
            [df, df.iloc[[0]].assign(flux_s=0.0, flux_m=0.0, flux_h=0.0, flux_b=np.nan)], ignore_index=True
        )
    )
    assert reasons.tolist() == ["", "", "no positive X-ray flux in any band"]


def test_draws_within_errors_keep_fluxes_positive_and_means_right():
    df = pd.concat([_rows().iloc[[0]]] * 20000, ignore_index=True)
    draws = draw_within_errors(df, np.random.default_rng(1))
    assert (draws["flux_s"] > 0).all()
    assert draws["flux_s"].mean() == pytest.approx(1e-14, rel=0.01)
    assert draws["flux_s"].std() == pytest.approx(1e-15, rel=0.05)
    assert draws["G"].std() == pytest.approx(0.01, rel=0.05)
    assert (draws["flux_m"] == 1e-14).all()  # no error column: copied


def test_column_density_feature():
    rows = pd.DataFrame({"flux_b": [1e-14, 1e-14, 1e-14], "nh": [1e21, 0.0, np.nan]})
    fs = FeatureSet(colours="poster", nh=True)
    assert "nh" in input_columns(fs) and "nh" not in input_columns(FeatureSet())
    assert "log_nh" in feature_names(fs) and "log_nh" not in feature_names()
    assert len(feature_names(fs)) == 42  # the default recipe: 41 + the column density
    values = compute_features(rows, fs)["log_nh"]
    assert values[0] == pytest.approx(21.0)
    assert values[1] == SENTINEL and values[2] == SENTINEL  # unknown column: the missing-value marker
