"""All-sky HEALPix maps in FITS, read and looked up at sky positions.

An X-ray catalog without its own Galactic column density (3XMM has none; CSC gives ``nh_gal``
from Colden) gets it from an all-sky N_HI map such as HI4PI's ``NHI_HPX.fits`` (HI4PI
Collaboration 2016, A&A 594, A116; CDS J/A+A/594/A116), which is a HEALPix map in the usual
FITS convention: a binary table with ``NSIDE``, ``ORDERING`` (RING or NESTED) and ``COORDSYS``
(G = Galactic, C = equatorial) in its header, one value per pixel (``INDXSCHM`` IMPLICIT) or
a ``PIXEL`` column beside the values (EXPLICIT, a partial map). The synthetic sky writes its own
map in the same convention (:func:`write_healpix_map`), so both go through one reader.

Pixel indices come from cdshealpix (already installed with hats); a map is read once per
process (:func:`load_healpix_map` caches it: the import's Dask workers map many chunks).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits

from muwclass.errors import InputError
from muwclass.io.atomic import atomic_path


@dataclass(frozen=True)
class HealpixMap:
    """One value per HEALPix pixel (NaN where a partial map has none)."""

    values: np.ndarray
    nside: int
    nested: bool
    galactic: bool  # pixels in Galactic coordinates (HI4PI), else ICRS

    def at(self, ra_deg: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
        """The map's value at each (ra, dec) in degrees (ICRS); NaN where a position is NaN."""
        from cdshealpix import nested, ring

        ra, dec = np.asarray(ra_deg, dtype=float), np.asarray(dec_deg, dtype=float)
        out = np.full(len(ra), np.nan)
        ok = np.isfinite(ra) & np.isfinite(dec)
        if not ok.any():
            return out
        coords = SkyCoord(ra[ok] * u.deg, dec[ok] * u.deg, frame="icrs")
        if self.galactic:
            coords = coords.galactic
            lon, lat = coords.l, coords.b
        else:
            lon, lat = coords.ra, coords.dec
        if self.nested:
            pixels = nested.lonlat_to_healpix(lon, lat, int(np.log2(self.nside)))
        else:
            pixels = ring.lonlat_to_healpix(lon, lat, self.nside)
        out[ok] = self.values[np.asarray(pixels, dtype=np.int64)]
        return out


def read_healpix_map(path: Path, column: str) -> HealpixMap:
    """The map in ``column`` of the first binary table of ``path``; a file that is not a
    HEALPix map in the FITS convention is an :class:`InputError` naming what is wrong."""
    try:
        with fits.open(path, memmap=False) as hdul:
            table = next((h for h in hdul[1:] if isinstance(h, fits.BinTableHDU)), None)
            if table is None:
                raise InputError(f"{path}: no binary table: not a HEALPix map")
            header, data = table.header, table.data
            names = list(data.columns.names)
            if column not in names:
                raise InputError(f"{path}: no column '{column}' (have {names})")
            values = np.asarray(data[column], dtype=float).ravel()
            pixels = np.asarray(data["PIXEL"], dtype=np.int64).ravel() if "PIXEL" in names else None
    except OSError as exc:
        raise InputError(f"{path}: cannot read as FITS ({exc})") from None
    nside = header.get("NSIDE")
    ordering = str(header.get("ORDERING", "")).strip().upper()
    if not isinstance(nside, int) or nside < 1 or nside & (nside - 1):
        raise InputError(f"{path}: NSIDE {nside!r} is not a power of 2")
    if ordering not in ("RING", "NESTED"):
        raise InputError(f"{path}: ORDERING {ordering!r} is neither RING nor NESTED")
    coordsys = str(header.get("COORDSYS", "C")).strip().upper()
    if coordsys.startswith("G"):
        galactic = True
    elif coordsys.startswith(("C", "EQ")):
        galactic = False
    else:
        raise InputError(f"{path}: COORDSYS {coordsys!r} is neither Galactic (G) nor equatorial (C)")
    n_pix = 12 * nside * nside
    if pixels is not None and str(header.get("INDXSCHM", "")).strip().upper() == "EXPLICIT":
        full = np.full(n_pix, np.nan)
        full[pixels] = values
        values = full
    if len(values) != n_pix:
        raise InputError(f"{path}: {len(values)} values for NSIDE {nside} ({n_pix} pixels)")
    return HealpixMap(values, nside, ordering == "NESTED", galactic)


@functools.lru_cache(maxsize=2)
def load_healpix_map(path: str, column: str) -> HealpixMap:
    """:func:`read_healpix_map`, once per process and file."""
    return read_healpix_map(Path(path), column)


def write_healpix_map(path: Path, values: np.ndarray, column: str, unit: str) -> None:
    """A full-sky NESTED map in ICRS, in the FITS convention :func:`read_healpix_map` reads."""
    nside = int(round(np.sqrt(len(values) / 12)))
    hdu = fits.BinTableHDU.from_columns([fits.Column(name=column, format="E", unit=unit, array=values)])
    hdu.header.update(
        {"PIXTYPE": "HEALPIX", "ORDERING": "NESTED", "NSIDE": nside, "COORDSYS": "C", "INDXSCHM": "IMPLICIT"}
    )
    with atomic_path(path) as tmp:
        hdu.writeto(tmp)
