"""Spherical geometry for the synthetic sky (pure numpy, exact at the poles and across RA = 0).

Everything is done with exact spherical formulas rather than flat-sky approximations because
the sky deliberately contains fields that straddle a celestial pole and RA = 0/360.
"""

from __future__ import annotations

import numpy as np

ARCSEC = 1.0 / 3600.0
MAS = ARCSEC / 1000.0


def offset_by(
    ra0: np.ndarray, dec0: np.ndarray, pa_deg: np.ndarray, sep_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Point at position angle ``pa`` (E of N) and separation ``sep`` from (ra0, dec0), degrees.

    Returns RA in [0, 360) and Dec in [-90, 90].
    """
    ra0, dec0, pa, sep = (np.radians(np.asarray(x, dtype=np.float64)) for x in (ra0, dec0, pa_deg, sep_deg))
    sin_dec = np.sin(dec0) * np.cos(sep) + np.cos(dec0) * np.sin(sep) * np.cos(pa)
    dec = np.arcsin(np.clip(sin_dec, -1.0, 1.0))
    dra = np.arctan2(np.sin(pa) * np.sin(sep) * np.cos(dec0), np.cos(sep) - np.sin(dec0) * sin_dec)
    ra = np.degrees(np.mod(ra0 + dra, 2 * np.pi))
    return np.where(ra >= 360.0, ra - 360.0, ra), np.degrees(dec)


def offset_by_east_north(
    ra: np.ndarray, dec: np.ndarray, east_deg: np.ndarray, north_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Move by a small tangent-plane displacement (east, north), degrees on the sky."""
    return offset_by(ra, dec, np.degrees(np.arctan2(east_deg, north_deg)), np.hypot(east_deg, north_deg))


def uniform_in_disc(rng: np.random.Generator, n: int, radius_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Position angle (deg) and separation (deg) of ``n`` points uniform in a small disc."""
    return rng.uniform(0.0, 360.0, n), radius_deg * np.sqrt(rng.uniform(0.0, 1.0, n))


def ellipse_noise(
    rng: np.random.Generator, sigma_major: np.ndarray, sigma_minor: np.ndarray, pa_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian (east, north) displacements from a 1-sigma error ellipse (same units as sigma).

    The major axis lies at position angle ``pa`` (E of N), the convention of CSC, 2MASS and
    AllWISE error ellipses, so drawn offsets follow exactly the errors the catalogs report.
    """
    n = len(sigma_major)
    a = rng.normal(0.0, 1.0, n) * sigma_major
    b = rng.normal(0.0, 1.0, n) * sigma_minor
    pa = np.radians(pa_deg)
    return a * np.sin(pa) + b * np.cos(pa), a * np.cos(pa) - b * np.sin(pa)


def move(
    ra: np.ndarray, dec: np.ndarray, pm_ra: np.ndarray, pm_de: np.ndarray, years: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Apply a proper motion (mas/yr, pmRA already times cos Dec) over ``years``."""
    return offset_by_east_north(ra, dec, pm_ra * years * MAS, pm_de * years * MAS)


def unit_vectors(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """(n, 3) Cartesian unit vectors, for chord-distance neighbour searches."""
    r, d = np.radians(ra), np.radians(dec)
    return np.column_stack([np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)])


def separation_deg(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray) -> np.ndarray:
    """Great-circle separation (Vincenty formula, stable at all separations), degrees."""
    r1, d1, r2, d2 = (np.radians(x) for x in (ra1, dec1, ra2, dec2))
    dra = r2 - r1
    num = np.hypot(np.cos(d2) * np.sin(dra), np.cos(d1) * np.sin(d2) - np.sin(d1) * np.cos(d2) * np.cos(dra))
    return np.degrees(np.arctan2(num, np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(dra)))
