"""3XMM -> CSC band conversion and the cone-search candidate table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from muwclass.config.catalog_definition import load_catalog_definition
from muwclass.errors import InputError
from muwclass.ingest.bands import band_weights, convert_band_fluxes, powerlaw_energy_flux
from muwclass.ingest.candidates import candidate_table, parse_separations
from muwclass.ingest.mapping import map_column
from muwclass.io.readers import read_table


@pytest.mark.parametrize("gamma", [1.0, 1.7, 2.0, 2.5])
def test_xmm_bands_of_a_power_law_give_its_csc_band_fluxes(gamma):
    conv = load_catalog_definition("xmm_dr8").bands.model_copy(update={"photon_index": gamma})
    norm = np.array([1e-14, 3e-13])
    frame = pd.DataFrame(
        {c: norm * powerlaw_energy_flux(*rng, gamma) for c, rng in conv.source_bands.items()}
    )
    for e in conv.source_errors.values():
        frame[e] = 0.1 * frame[list(conv.source_errors)[0]]
    out, bad = convert_band_fluxes(frame, conv)
    assert not bad.any()
    for band, (lo, hi) in {"s": (0.5, 1.2), "m": (1.2, 2.0), "h": (2.0, 7.0), "b": (0.5, 7.0)}.items():
        np.testing.assert_allclose(
            out[f"flux_{band}"], norm * powerlaw_energy_flux(lo, hi, gamma), rtol=1e-12
        )


def test_band_weights_extrapolate_uncovered_range():
    w = band_weights({"x": (1.0, 2.0)}, (0.5, 2.0), 2.0)
    # Only 1-2 keV is measured; 0.5-2 keV holds twice the energy flux for Gamma = 2.
    assert w["x"] == pytest.approx(2.0)


def test_candidate_table_from_shared_cone_search(data_dir):
    d = load_catalog_definition("gaia_dr3")
    path = data_dir / "buildtd/CSCv2_TD_gaia.csv"
    table = candidate_table(path, d.source.candidates, lambda f: map_column(f, d, "source_id"))
    raw = read_table(path)
    seps = parse_separations(raw["_rs_gaia"], str(path))
    assert len(table) == sum(len(s) for s in seps)
    nearest = table[table["rank"] == 0]
    assert nearest["mw_source_id"].notna().all()
    first = nearest.iloc[0]
    assert first.xray_id == "2CXO J000009.3+135618" and first.mw_source_id == "2767427649937817728"
    assert (
        table.groupby("xray_row")["separation_arcsec"].min().to_numpy()
        == nearest["separation_arcsec"].to_numpy()
    ).all()


def test_malformed_separation_list_is_named():
    with pytest.raises(InputError, match=r"f.csv: row 2: malformed separation list"):
        parse_separations(pd.Series(["[1.0]", "[1.0, oops"]), "f.csv")
