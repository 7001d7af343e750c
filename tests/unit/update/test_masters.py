"""Master matching and recomputation of master sources from new detections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from muwclass.update import masters as M
from muwclass.update.observations import read_observations


def test_csc_name_convention():
    # 2CXO J084233.8-480742 is at 08 42 33.81 -48 07 42.83 (fields/IC2395/IC2395_per.csv)
    assert M.csc_name(130.6408750, -48.1285639) == "2CXO J084233.8-480742"
    assert M.csc_name(0.0, 0.0) == "2CXO J000000.0+000000"


def _master(name, ra, dec, err=0.5, flux=1e-14, e_flux=1e-15):
    return {
        "source_id": name,
        "ra": ra,
        "dec": dec,
        "err_maj": err,
        "err_min": err,
        "err_pa": 0.0,
        "epoch": 2010.0,
        "significance": 5.0,
        "flux_b": flux,
        "e_flux_b": e_flux,
        "var_intra_prob": 0.1,
        "var_inter_prob": 0.2,
        **{f"{p}flux_{b}": np.nan for b in "smh" for p in ("", "e_")},
    }


def _detections(rows, obsid):
    return pd.DataFrame(rows).assign(obsid=obsid)


def test_match_classes():
    arcsec = 1 / 3600
    masters = pd.DataFrame(
        [
            _master("A", 10.0, 0.0),
            _master("B", 10.0 + 1.2 * arcsec, 0.0),
            _master("C", 10.1, 0.0),
            _master("E", 10.3, 0.0),
        ]
    )
    dets = _detections(
        [
            _master("1", 10.0 + 0.6 * arcsec, 0.0),  # between A and B: confused
            _master("2", 10.1, 0.2 * arcsec),  # C, one of two claims on C: confused
            _master("3", 10.1, -0.2 * arcsec),
            _master("4", 10.2, 0.0),  # nothing near: new
            _master("5", 10.3 + 0.4 * arcsec, 0.0),  # E only
        ],
        1,
    )
    m = M.match_observation(dets, masters).set_index("detection")
    assert m["match_class"].to_dict() == {
        "1": "confused",
        "2": "confused",
        "3": "confused",
        "4": "new",
        "5": "simple",
    }
    assert m.loc["5", "master_id"] == "E" and m.loc["1", "candidates"] == 2
    assert m.loc["5", "separation_arcsec"] == pytest.approx(0.4, abs=1e-6)


@pytest.fixture(scope="module")
def ae(data_dir):
    obs = read_observations([data_dir / f"fields/IC2395_CXO/{i}_results.csv" for i in (21137, 24613)])
    return [(o.obsid, o.detections.assign(epoch=2020.6)) for o in obs]


def test_one_update_with_two_observations_equals_two_updates(ae):
    """Inverse-variance means fold exactly: applying 21137 then 24613 gives the positions and
    fluxes of applying both at once (inter-observation variability aside, see masters.py)."""
    empty = ae[0][1].iloc[:0]
    both, matches = M.apply_observations(empty, ae)
    first, _ = M.apply_observations(empty, ae[:1])
    second, _ = M.apply_observations(first, ae[1:])
    assert (matches.groupby("obsid")["match_class"].value_counts().to_dict()) == {
        (21137, "new"): 142,
        (24613, "simple"): 141,
        (24613, "new"): 1,
    }
    merged = first.set_index("source_id").combine_first(second.set_index("source_id"))
    merged.update(second.set_index("source_id"))
    b = both.set_index("source_id").loc[merged.index]
    for col in ["ra", "dec", "err_maj", "flux_b", "e_flux_b", "flux_h", "significance", "var_intra_prob"]:
        np.testing.assert_allclose(
            merged[col].astype(float), b[col].astype(float), rtol=1e-9, atol=1e-12, err_msg=col
        )


def test_recomputed_values(ae):
    (obsid_a, a), (obsid_b, b) = ae
    both, _ = M.apply_observations(a.iloc[:0], ae)
    src = both.set_index("source_id")
    name = M.csc_name(float(a["ra"].iloc[1]), float(a["dec"].iloc[1]))
    row = src.loc[name]
    fa, fb = a["flux_b"].iloc[1], b["flux_b"].iloc[1]
    ea, eb = a["e_flux_b"].iloc[1], b["e_flux_b"].iloc[1]
    assert row["flux_b"] == pytest.approx((fa / ea**2 + fb / eb**2) / (1 / ea**2 + 1 / eb**2))
    assert row["e_flux_b"] == pytest.approx((1 / ea**2 + 1 / eb**2) ** -0.5)
    assert row["significance"] == max(a["significance"].iloc[1], b["significance"].iloc[1])
    assert row["err_maj"] < min(a["err_maj"].iloc[1], b["err_maj"].iloc[1])
    chi2 = (fa - row["flux_b"]) ** 2 / ea**2 + (fb - row["flux_b"]) ** 2 / eb**2
    from scipy import stats

    assert row["var_inter_prob"] == pytest.approx(stats.chi2.cdf(chi2, 1))


def test_previous_master_is_one_pseudo_detection():
    masters = pd.DataFrame([_master("A", 10.0, 0.0, flux=1e-14, e_flux=1e-15)])
    det = _detections([_master("1", 10.0, 0.1 / 3600, flux=3e-14, e_flux=1e-15)], 7)
    out, m = M.apply_observations(masters, [(7, det)])
    assert m["match_class"].tolist() == ["simple"] and out["source_id"].tolist() == ["A"]
    assert out["flux_b"].iloc[0] == pytest.approx(2e-14)
    assert out["var_inter_prob"].iloc[0] > 0.99  # 20 sigma apart: variable


def test_new_sources_outside_every_partition_are_reported_not_placed(ae):
    """A release's partitions are fixed: a new source in no pixel of it is listed as 'outside'."""
    import lsdb
    from hats.pixel_math import HealpixPixel

    from muwclass.config.run import ObservationsConfig
    from muwclass.io.hats_pixels import HEALPIX, with_spatial_index
    from muwclass.update.fold import OUTSIDE, fold
    from muwclass.update.observations import Observation

    (obsid, detections), _ = ae
    near = pd.DataFrame([_master("A", float(detections["ra"].iloc[0]), float(detections["dec"].iloc[0]))])
    masters = lsdb.from_dataframe(near, ra_column="ra", dec_column="dec")
    home = int(with_spatial_index(near)[HEALPIX].iloc[0] >> 58)
    other = HealpixPixel(0, (home + 6) % 12)  # a partition far from the observation
    o = Observation(obsid, None, "", detections, pd.DataFrame(), len(detections))
    inside = fold(ObservationsConfig(astrometry=False), masters, None, [o], [HealpixPixel(0, home)], {"A"})
    assert (inside.matches["match_class"] != OUTSIDE).all() and inside.pixels == [HealpixPixel(0, home)]
    outside = fold(ObservationsConfig(astrometry=False), masters, None, [o], [other], {"A"})
    assert (outside.matches["match_class"] == OUTSIDE).all()
    assert outside.pixels == [] and outside.recomputed.empty
