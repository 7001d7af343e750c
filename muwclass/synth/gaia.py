"""Gaia DR3-like rows (VizieR I/355 column names, positions at epoch 2016.0).

Errors follow Gaia DR3's run with magnitude (0.02 mas for bright stars, ~0.5 mas at G = 20,
~1 mas at G = 21); faint stars sometimes have only a 2-parameter solution (no parallax or
proper motion, larger position errors, no RUWE) or no BP/RP photometry, as in the real catalog.
``Source`` encodes the HEALPix level-12 nested pixel in its high bits like real Gaia IDs.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hats.pixel_math.healpix_shim import radec2pix

EPOCH = 2016.0
HEALPIX_ORDER = 12
PIXEL_SHIFT = 2**35
COLUMNS = (
    "Source",
    "RA_ICRS",
    "DE_ICRS",
    "e_RA_ICRS",
    "e_DE_ICRS",
    "Plx",
    "e_Plx",
    "pmRA",
    "e_pmRA",
    "pmDE",
    "e_pmDE",
    "Gmag",
    "e_Gmag",
    "BPmag",
    "e_BPmag",
    "RPmag",
    "e_RPmag",
    "RUWE",
)


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def background_solutions(rng: np.random.Generator, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(two_parameter, no_bp_rp) masks for field stars: both become common near G = 21."""
    n = len(g)
    return rng.uniform(size=n) < 0.35 * _ramp(g, 19.0, 21.0), rng.uniform(size=n) < 0.3 * _ramp(g, 19.5, 21.0)


def position_sigma_mas(g: np.ndarray, two_param: np.ndarray) -> np.ndarray:
    """1-sigma position error per axis (mas) as a function of G."""
    s = np.hypot(0.015, 0.5 * 10 ** (0.28 * (g - 20.0)))
    return np.where(two_param, 3.0 * s, s)


def errors(
    rng: np.random.Generator, g: np.ndarray, bp: np.ndarray, rp: np.ndarray, two_param: np.ndarray
) -> dict[str, np.ndarray]:
    """Astrometric and photometric errors, and RUWE, of each row."""
    n = len(g)
    s = position_sigma_mas(g, two_param)
    astrometric = np.where(two_param, np.nan, 1.0)
    ruwe = rng.lognormal(0.0, 0.08, n) + np.where(rng.uniform(size=n) < 0.05, rng.exponential(0.8, n), 0.0)
    return {
        "e_RA_ICRS": s * rng.uniform(0.8, 1.1, n),
        "e_DE_ICRS": s * rng.uniform(0.9, 1.2, n),
        "e_Plx": 1.25 * s * rng.uniform(0.9, 1.1, n) * astrometric,
        "e_pmRA": 1.1 * s * rng.uniform(0.9, 1.1, n) * astrometric,
        "e_pmDE": 1.1 * s * rng.uniform(0.9, 1.1, n) * astrometric,
        "e_Gmag": np.hypot(0.0003, 0.006 * 10 ** (0.4 * (g - 20.0))),
        "e_BPmag": np.hypot(0.002, 0.05 * 10 ** (0.4 * (bp - 20.5))),
        "e_RPmag": np.hypot(0.002, 0.05 * 10 ** (0.4 * (rp - 19.5))),
        "RUWE": ruwe * astrometric,
    }


def source_ids(ra: np.ndarray, dec: np.ndarray, first: int) -> np.ndarray:
    """Gaia-style IDs: HEALPix-12 nested pixel * 2^35 + a running number from ``first``."""
    return (
        radec2pix(HEALPIX_ORDER, ra, dec).astype(np.int64) * PIXEL_SHIFT
        + first
        + np.arange(len(ra), dtype=np.int64)
    )


def table(cols: dict[str, np.ndarray]) -> pa.Table:
    """The rows in VizieR order and types (Source int64, everything else float64)."""
    return pa.table({c: pa.array(cols[c], pa.int64() if c == "Source" else pa.float64()) for c in COLUMNS})
