"""Sky geometry for the synthetic sky: field centres and points around them (pure numpy)."""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord

FIELD_RADIUS_ARCMIN = 8.0
RIM_ARCMIN = 1.0  # MW catalogs extend past the X-ray field so edge sources have candidates


def offset_by(ra0: np.ndarray, dec0: np.ndarray, pa_deg: np.ndarray, sep_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point at position angle ``pa`` (E of N) and separation ``sep`` from (ra0, dec0), degrees.

    Exact spherical formula, valid at the poles and across RA = 0/360.
    """
    ra0, dec0, pa, sep = (np.radians(x) for x in (ra0, dec0, pa_deg, sep_deg))
    sin_dec = np.sin(dec0) * np.cos(sep) + np.cos(dec0) * np.sin(sep) * np.cos(pa)
    dec = np.arcsin(np.clip(sin_dec, -1, 1))
    dra = np.arctan2(np.sin(pa) * np.sin(sep) * np.cos(dec0), np.cos(sep) - np.sin(dec0) * sin_dec)
    return np.degrees(np.mod(ra0 + dra, 2 * np.pi)), np.degrees(dec)


def uniform_in_disc(rng: np.random.Generator, n: int, radius_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Position angle and separation of ``n`` points uniform in a disc."""
    return rng.uniform(0, 360, n), radius_deg * np.sqrt(rng.uniform(0, 1, n))


def field_centres(rng: np.random.Generator, n_fields: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ICRS centres and Galactic latitude of the fields: half at |b| < 10 deg, half isotropic
    at |b| >= 10 deg; the first high-latitude fields sit at the poles and across RA = 0."""
    n_plane = n_fields // 2
    n_high = n_fields - n_plane
    l_plane = rng.uniform(0, 360, n_plane)
    b_plane = rng.uniform(-10, 10, n_plane)
    s10 = np.sin(np.radians(10))
    sinb = rng.uniform(s10, 1, n_high) * rng.choice([-1.0, 1.0], n_high)
    l_high = rng.uniform(0, 360, n_high)
    b_high = np.degrees(np.arcsin(sinb))
    gal = SkyCoord(l=np.r_[l_plane, l_high] * u.deg, b=np.r_[b_plane, b_high] * u.deg, frame="galactic").icrs
    ra, dec = gal.ra.deg.copy(), gal.dec.deg.copy()
    # Edge cases every stage must handle: both poles and both sides of RA = 0/360.
    special = [(10.0, 89.95), (200.0, -89.95), (0.03, 20.0), (359.97, -35.0)]
    for k, (r, d) in enumerate(special[: max(0, n_high)]):
        ra[n_plane + k], dec[n_plane + k] = r, d
    b = SkyCoord(ra=ra * u.deg, dec=dec * u.deg).galactic.b.deg
    return ra, dec, b
