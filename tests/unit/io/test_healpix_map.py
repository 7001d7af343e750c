"""All-sky HEALPix maps in FITS: the synthetic sky's own (NESTED, ICRS) and HI4PI's convention
(RING, Galactic), implicit and explicit (partial) maps, and a clear error for a file that is
not one."""

from __future__ import annotations

import re

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from cdshealpix import nested, ring

from muwclass.errors import InputError
from muwclass.io.healpix_map import read_healpix_map, write_healpix_map

DEPTH = 3
NSIDE = 2**DEPTH


def _positions(n: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))


def _table(path, header: dict, **columns) -> None:
    cols = [fits.Column(name=k, format="K" if k == "PIXEL" else "E", array=v) for k, v in columns.items()]
    hdu = fits.BinTableHDU.from_columns(cols)
    hdu.header.update(header)
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)


def test_a_written_map_reads_back_and_looks_up_each_position_in_its_pixel(tmp_path):
    values = np.arange(12 * NSIDE**2, dtype=float)  # each pixel's value is its NESTED index
    write_healpix_map(tmp_path / "map.fits", values, "NHI", "cm-2")
    m = read_healpix_map(tmp_path / "map.fits", "NHI")
    assert (m.nside, m.nested, m.galactic) == (NSIDE, True, False)
    ra, dec = _positions()
    expected = nested.lonlat_to_healpix(ra * u.deg, dec * u.deg, DEPTH)
    np.testing.assert_array_equal(m.at(ra, dec), np.asarray(expected, dtype=float))
    assert np.isnan(m.at(np.array([np.nan, 10.0]), np.array([0.0, np.nan]))).all()


def test_a_galactic_ring_map_as_hi4pi_writes_it(tmp_path):
    values = np.arange(12 * NSIDE**2, dtype=float)  # RING index in Galactic coordinates
    header = {"PIXTYPE": "HEALPIX", "ORDERING": "RING", "NSIDE": NSIDE, "COORDSYS": "GALACTIC"}
    _table(tmp_path / "hi4pi.fits", header, NHI=values)
    m = read_healpix_map(tmp_path / "hi4pi.fits", "NHI")
    ra, dec = _positions(seed=1)
    g = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs").galactic
    expected = ring.lonlat_to_healpix(g.l, g.b, NSIDE)
    np.testing.assert_array_equal(m.at(ra, dec), np.asarray(expected, dtype=float))


def test_an_explicit_partial_map_has_no_value_outside_its_pixels(tmp_path):
    pixels = np.array([0, 5, 17], dtype=np.int64)
    header = {"ORDERING": "NESTED", "NSIDE": NSIDE, "COORDSYS": "C", "INDXSCHM": "EXPLICIT"}
    _table(tmp_path / "part.fits", header, PIXEL=pixels, NHI=np.array([1.0, 2.0, 3.0]))
    m = read_healpix_map(tmp_path / "part.fits", "NHI")
    lon, lat = nested.healpix_to_lonlat(np.array([5, 6], dtype=np.uint64), DEPTH)
    got = m.at(lon.to_value(u.deg), lat.to_value(u.deg))
    assert got[0] == 2.0 and np.isnan(got[1])


@pytest.mark.parametrize(
    ("header", "column", "n_values", "message"),
    [
        ({"ORDERING": "NESTED", "NSIDE": NSIDE}, "NH", 12 * NSIDE**2, "no column 'NH'"),
        ({"ORDERING": "NESTED", "NSIDE": 6}, "NHI", 432, "NSIDE 6 is not a power of 2"),
        ({"ORDERING": "SPIRAL", "NSIDE": NSIDE}, "NHI", 12 * NSIDE**2, "ORDERING 'SPIRAL'"),
        ({"ORDERING": "RING", "NSIDE": NSIDE, "COORDSYS": "E"}, "NHI", 12 * NSIDE**2, "COORDSYS 'E'"),
        ({"ORDERING": "RING", "NSIDE": NSIDE}, "NHI", 100, "100 values for NSIDE 8 (768 pixels)"),
    ],
)
def test_a_file_that_is_not_a_healpix_map_is_one_line_naming_it(tmp_path, header, column, n_values, message):
    path = tmp_path / "bad.fits"
    _table(path, header, NHI=np.ones(n_values))
    with pytest.raises(InputError, match=re.escape(message)) as err:
        read_healpix_map(path, column)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_file_that_is_not_fits_at_all(tmp_path):
    path = tmp_path / "map.fits"
    path.write_text("NSIDE=8\n")
    with pytest.raises(InputError, match="cannot read as FITS"):
        read_healpix_map(path, "NHI")
