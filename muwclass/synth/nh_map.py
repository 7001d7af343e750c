"""The synthetic sky's Galactic N_H as an all-sky HEALPix map (``nh_map.fits``).

3XMM gives no Galactic column density; on the real sky an XMM source takes it from an N_HI map
(HI4PI, :mod:`muwclass.io.healpix_map`). The synthetic sky writes its own map in the same FITS
convention, so the XMM path is the real one: the smooth latitude model of
:func:`muwclass.synth.skymodel.nh_gal` everywhere, and over each field's disc (Chandra 8',
XMM 15') that field's own ``nh_gal``, which its X-ray sources were drawn with (a CSC source
scatters 3% around it). Order 9 (NSIDE 512, 6.9' pixels, 12 MB) resolves an XMM field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy import units as u

from muwclass.io.healpix_map import write_healpix_map
from muwclass.synth.fields import Fields
from muwclass.synth.skymodel import nh_gal

NH_MAP_DEPTH = 9
NH_MAP_FILE = "nh_map.fits"
NH_MAP_COLUMN = "NHI"


def nh_map_values(fields: list[Fields], depth: int = NH_MAP_DEPTH) -> np.ndarray:
    """N_H (cm^-2) of every NESTED pixel at ``depth``: the latitude model, then each field's."""
    from astropy.coordinates import SkyCoord
    from cdshealpix import nested

    n_pix = 12 * 4**depth
    lon, lat = nested.healpix_to_lonlat(np.arange(n_pix, dtype=np.uint64), depth)
    b = SkyCoord(lon, lat, frame="icrs").galactic.b.deg
    values = nh_gal(b)
    for f in fields:
        for ra, dec, nh in zip(f.ra, f.dec, f.nh_gal, strict=True):
            cone = nested.cone_search(ra * u.deg, dec * u.deg, f.radius_arcmin * u.arcmin, depth, flat=True)
            values[np.asarray(cone[0], dtype=np.int64)] = nh
    return values * 1e20


def write_nh_map(out_dir: Path, fields: list[Fields]) -> str:
    """``out_dir/nh_map.fits``; returns its file name."""
    write_healpix_map(out_dir / NH_MAP_FILE, nh_map_values(fields), NH_MAP_COLUMN, "cm-2")
    return NH_MAP_FILE
