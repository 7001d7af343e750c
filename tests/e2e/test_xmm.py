"""3XMM-DR8 from a FITS file with its native names and EPIC bands, imported into CSC bands."""

from __future__ import annotations

import lsdb
import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table
from cdshealpix import nested

from muwclass.config.run import load_run_config
from muwclass.ingest.bands import powerlaw_energy_flux
from muwclass.ingest.run_import import run_import as run
from muwclass.io.healpix_map import write_healpix_map


def test_import_3xmm_fits_converts_bands(tmp_path, write_conf, dask_client):
    rng = np.random.default_rng(0)
    n = 200
    norm = 10 ** rng.uniform(-15, -12, n)
    bands = {2: (0.5, 1.0), 3: (1.0, 2.0), 4: (2.0, 4.5), 5: (4.5, 12.0)}
    t = Table(
        {
            "IAUNAME": [f"3XMM J{i:06d}.0+000000" for i in range(n)],
            "SC_RA": rng.uniform(10, 11, n),
            "SC_DEC": rng.uniform(-5, -4, n),
            "SC_POSERR": rng.uniform(0.5, 3, n),
            "SC_DET_ML": rng.uniform(6, 1000, n),
            "MJD_START": rng.uniform(52000, 58000, n),
            **{f"SC_EP_{b}_FLUX": norm * powerlaw_energy_flux(*r, 1.7) for b, r in bands.items()},
            **{f"SC_EP_{b}_FLUX_ERR": 0.1 * norm * powerlaw_energy_flux(*r, 1.7) for b, r in bands.items()},
        }
    )
    t["SC_RA"][3] = np.nan  # bad row -> quarantine
    path = tmp_path / "3xmm.fits"
    t.write(path)
    # 3XMM has no Galactic N_H: it comes from an all-sky map (here each pixel's value is its index)
    values = np.arange(12 * 4**6, dtype=float) * 1e18
    write_healpix_map(tmp_path / "nh.fits", values, "NHI", "cm-2")
    nh_map = {"file": str(tmp_path / "nh.fits"), "column": "NHI"}
    cfg = load_run_config(
        write_conf({"xmm": {"definition": "xmm_dr8", "source": {"local": str(path)}, "nh_map": nh_map}})
    )
    report = run(cfg, dask_client, progress=False)[0]
    assert report["imported"] == n - 1 and report["quarantined"] == 1
    got = (
        lsdb.read_hats(cfg.layout.catalog("xmm"))
        .compute()
        .set_index("source_id")
        .loc[[f"3XMM J{i:06d}.0+000000" for i in (0, 1, 2)]]
    )
    for band, (lo, hi) in {"s": (0.5, 1.2), "m": (1.2, 2.0), "h": (2.0, 7.0), "b": (0.5, 7.0)}.items():
        np.testing.assert_allclose(
            got[f"flux_{band}"], norm[:3] * powerlaw_energy_flux(lo, hi, 1.7), rtol=1e-9
        )
    assert got["err_maj"].to_numpy() == pytest.approx(t["SC_POSERR"][:3])  # 1-sigma already
    assert (got["epoch"] > 2001).all()
    pixels = nested.lonlat_to_healpix(got["ra"].to_numpy() * u.deg, got["dec"].to_numpy() * u.deg, 6)
    np.testing.assert_allclose(got["nh_gal"], np.asarray(pixels, dtype=float) * 0.01)  # in 1e20 cm^-2
