"""WISE photometry from AllWISE, else CatWISE, else unWISE; rescoring of empty partitions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from muwclass.crossmatch.best import accepted, merge_fallback, reduce_to_best
from muwclass.crossmatch.chain import rescored
from muwclass.crossmatch.mag_prior import MagPrior

BANDS = ["W1", "e_W1", "W2", "e_W2", "W3", "e_W3"]
K_X, K_MW = 2.447746830680816, 2.0


def _table() -> pd.DataFrame:
    """Three X-ray sources (1-sigma 0.4": 95% radius ~0.98"): A has an accepted AllWISE
    counterpart, B's AllWISE counterpart is too far but CatWISE's is close, C has only unWISE."""
    return pd.DataFrame(
        {
            "source_id": ["A", "B", "C"],
            "err_maj": [0.4, 0.4, 0.4],
            "allwise_source_id": ["a1", "a2", None],
            "allwise_sep": [0.3, 2.5, np.nan],
            "allwise_err_maj": [0.1, 0.1, np.nan],
            "W1": [12.0, 13.0, np.nan],
            "e_W1": [0.02, 0.03, np.nan],
            "W2": [11.9, 12.8, np.nan],
            "e_W2": [0.02, 0.03, np.nan],
            "W3": [10.0, 11.0, np.nan],
            "e_W3": [0.1, 0.2, np.nan],
            "catwise_source_id": ["c1", "c2", None],
            "catwise_sep": [0.2, 0.5, np.nan],
            "catwise_err_maj": [0.05, 0.05, np.nan],
            "catwise_W1": [12.1, 13.4, np.nan],
            "catwise_e_W1": [0.01, 0.02, np.nan],
            "catwise_W2": [12.0, 13.3, np.nan],
            "catwise_e_W2": [0.01, 0.02, np.nan],
            "unwise_source_id": ["u1", "u2", "u3"],
            "unwise_sep": [0.1, 0.4, 0.6],
            "unwise_err_maj": [0.2, 0.2, 0.2],
            "unwise_W1": [12.2, 13.5, 15.0],
            "unwise_e_W1": [0.01, 0.02, 0.05],
            "unwise_W2": [12.1, 13.4, 14.8],
            "unwise_e_W2": [0.01, 0.02, 0.06],
        }
    )


def test_photometry_falls_back_in_order_and_never_mixes_catalogs():
    t = _table()
    assert accepted(t, "allwise", K_X, K_MW).tolist() == [True, False, False]
    for prefix, first in (("allwise", True), ("catwise", False), ("unwise", False)):
        t = merge_fallback(t, "wise", prefix, first, BANDS, K_X, K_MW)
    assert t["wise_from"].tolist() == ["allwise", "catwise", "unwise"]
    assert t["wise_accepted"].tolist() == [True, True, True]
    assert t["W1"].tolist() == [12.0, 13.4, 15.0]
    assert t["e_W2"].tolist() == [0.02, 0.02, 0.06]
    # W3 belongs to AllWISE alone: gone where another catalog supplies the WISE bands
    assert t["W3"].iloc[0] == 10.0 and t["W3"].iloc[1:].isna().all()


def test_nothing_accepted_keeps_the_first_catalog_unaccepted():
    t = _table().iloc[[1]].copy()
    t["catwise_sep"] = 5.0
    t["unwise_sep"] = 5.0
    for prefix, first in (("allwise", True), ("catwise", False), ("unwise", False)):
        t = merge_fallback(t, "wise", prefix, first, BANDS, K_X, K_MW)
    assert t["wise_from"].tolist() == ["allwise"] and t["wise_accepted"].tolist() == [False]
    assert t["W1"].tolist() == [13.0]


def test_rescoring_handles_empty_partitions_and_sources_without_candidates():
    prior = MagPrior("G", (10.0, 15.0, 20.0), (4.0, 0.5, 1.0))
    cols = {
        "source_id": pd.Series(dtype="string"),
        "source_id_gaia": pd.Series(dtype="string"),
        "G_gaia": pd.Series(dtype=float),
    }
    stats = {c: pd.Series(dtype=float) for c in ("_lr", "_post", "_p_any", "_p_i")}
    empty = pd.DataFrame({**cols, **stats})
    out = rescored(empty, "gaia", prior, 0.75)
    assert out.empty and {"_lr_pos", "_mag_factor"} <= set(out.columns)
    part = pd.DataFrame(
        {
            "source_id": ["X", "X", "Y"],
            "source_id_gaia": ["g1", "g2", None],
            "G_gaia": [12.0, 18.0, np.nan],
            "_lr": [2.0, 2.0, np.nan],
            "_post": [0.4, 0.4, np.nan],
            "_p_any": [0.8, 0.8, np.nan],
            "_p_i": [0.5, 0.5, np.nan],
        }
    )
    out = rescored(part, "gaia", prior, 0.75)
    assert out["_mag_factor"].iloc[:2].tolist() == [4.0, 0.5] and np.isnan(out["_mag_factor"].iloc[2])
    lr = np.array([8.0, 1.0])
    post = 0.75 * lr / (0.25 + 0.75 * lr.sum())
    assert np.allclose(out["_post"].iloc[:2], post) and np.allclose(out["_p_any"].iloc[:2], post.sum())
    assert np.allclose(out["_p_i"].iloc[:2], post / post.sum()) and np.isnan(out["_post"].iloc[2])
    assert out["_lr_pos"].iloc[:2].tolist() == [2.0, 2.0]


def test_best_table_keeps_the_runner_up_candidate():
    part = pd.DataFrame(
        {
            "source_id": ["X", "X", "X", "Y", "Z"],
            "ra": [1.0, 1.0, 1.0, 2.0, 3.0],
            "source_id_gaia": ["g1", "g2", "g3", "g4", None],
            "G_gaia": [18.0, 14.0, 19.0, 12.0, np.nan],
            "pmra_gaia": [1.0, 5.0, 0.0, 2.0, np.nan],
            "_post": [0.2, 0.7, 0.05, 0.9, np.nan],
            "_p_any": [0.95, 0.95, 0.95, 0.9, np.nan],
            "_p_i": [0.21, 0.74, 0.05, 1.0, np.nan],
            "_sep_arcsec": [1.0, 0.5, 2.0, 0.3, np.nan],
            "_n_cand": [3, 3, 3, 1, np.nan],
        }
    )
    out = reduce_to_best(part, "gaia", ["source_id", "G", "pmra"], ["source_id", "ra"]).set_index("source_id")
    assert out["gaia_source_id"].iloc[:2].tolist() == ["g2", "g4"] and pd.isna(out.loc["Z", "gaia_source_id"])
    assert out.loc["X", "G"] == 14.0 and out.loc["X", "gaia_alt_source_id"] == "g1"
    assert (
        out.loc["X", "G_alt"] == 18.0
        and out.loc["X", "gaia_alt_pmra"] == 1.0
        and out.loc["X", "gaia_alt_post"] == 0.2
    )
    assert out.loc[["Y", "Z"], "G_alt"].isna().all() and out.loc[["Y", "Z"], "gaia_alt_post"].isna().all()
