"""Both shared training sets load into one internal schema; class schemes and bad labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from muwclass.classification.classes import apply_scheme
from muwclass.classification.features import compute_features, feature_names
from muwclass.classification.training_set import attach_galactic_nh, load_training_set
from muwclass.errors import InputError, LabelError

COUNTS_2022 = {
    "AGN": 1390,
    "YSO": 1004,
    "LM-STAR": 207,
    "HM-STAR": 118,
    "NS": 87,
    "LMXB": 65,
    "CV": 44,
    "HMXB": 26,
}


def test_both_formats_give_the_same_columns_and_features(data_dir):
    a = load_training_set(data_dir / "td" / "TD_Yang2022.csv")
    b = load_training_set(data_dir / "td" / "CSC_TD_11042023_MW.csv")
    assert len(a) == 2941 and len(b) == 3126
    assert a["label"].value_counts().to_dict() == COUNTS_2022
    assert a.attrs["format"] == "yang2022" and b.attrs["format"] == "csc2023"
    for df in (a, b):
        for col in ("source_id", "flux_s", "flux_m", "flux_h", "flux_b", "e_flux_b", "G", "W1", "label"):
            assert col in df.columns
        feats = compute_features(df)
        assert list(feats.columns) == feature_names()
        assert np.isfinite(feats.to_numpy()).all()
    # csc2023 has no broad band: it is soft + medium + hard
    assert b["flux_b"].iloc[0] == pytest.approx(b[["flux_s", "flux_m", "flux_h"]].iloc[0].sum())
    # missing counterparts are kept as missing: many AGN have no Gaia match
    assert a.loc[a["label"] == "AGN", "G"].isna().mean() > 0.25


def test_galactic_nh_of_training_sources_comes_from_csc(data_dir):
    td = attach_galactic_nh(
        load_training_set(data_dir / "td" / "TD_Yang2022.csv"), data_dir / "buildtd" / "CSCv2_TD_ave.csv"
    )
    assert td["nh_gal"].notna().mean() > 0.99
    assert 1e19 < td["nh_gal"].median() < 1e22  # CSC nh_gal is in 1e20 cm^-2


def test_coarse_scheme_merges_classes(data_dir):
    td = load_training_set(data_dir / "td" / "TD_Yang2022.csv", scheme="coarse")
    assert set(td["label"]) == {"AGN", "YSO", "STAR", "NS", "XRB"}
    assert (td["label"] == "XRB").sum() == 44 + 65 + 26


def test_unknown_and_missing_labels_are_errors_naming_the_file_and_lines():
    with pytest.raises(LabelError, match=r"x.csv: labels \['QSO'\] are not in class scheme 'default'"):
        apply_scheme(pd.Series(["AGN", "QSO"]), "default", "x.csv")
    with pytest.raises(LabelError, match=r"x.csv: 1 rows have no class label \(file lines \[3\]"):
        apply_scheme(pd.Series(["AGN", None]), "default", "x.csv")
    with pytest.raises(LabelError, match="unknown class scheme 'nine'"):
        apply_scheme(pd.Series(["AGN"]), "nine", "x.csv")


def test_unknown_format_and_missing_file_are_clear(tmp_path):
    bad = tmp_path / "td.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="not a known training-set format"):
        load_training_set(bad)
    with pytest.raises(InputError, match="does not exist"):
        load_training_set(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("CSCv2_name,Fb,True_Class\n")
    with pytest.raises(InputError, match="no rows"):
        load_training_set(empty)
