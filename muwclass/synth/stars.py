"""Background sources of the MW catalogs: field stars and infrared-only sources.

One population of stars is drawn with all its magnitudes and its motion, and each catalog keeps
the stars it would detect. So a background star has the same position (moved to each catalog's
epoch) and consistent colours in Gaia, 2MASS and WISE, like the real sky: chance coincidences
look like real stars in every catalog. Infrared-only sources (galaxies; dust-obscured stars in
the plane) appear in 2MASS/WISE but not in Gaia.
"""

from __future__ import annotations

import numpy as np

from muwclass.synth.skymodel import NH_PER_EBV

G_LIMIT = 21.0
G_SLOPE_MAG = 1.45  # dN/dG ~ 10^(0.3 G) below the Gaia limit: many faint stars
E_BPRP_PER_EBV = 1.3


def field_stars(rng: np.random.Generator, nh_gal: np.ndarray) -> dict[str, np.ndarray]:
    """Magnitudes, parallax and proper motion of stars along sight lines with ``nh_gal``
    (one entry per star, 1e20 cm^-2). Each star sits in front of a random part of the dust."""
    n = len(nh_gal)
    g = np.maximum(G_LIMIT - rng.exponential(G_SLOPE_MAG, n), 3.0)
    ebv = (
        nh_gal / NH_PER_EBV * rng.uniform(0.0, 1.0, n) ** 2
    )  # Gaia mostly sees the near, less reddened stars
    c = 0.55 + rng.gamma(2.0, 0.35, n) + E_BPRP_PER_EBV * ebv  # observed BP - RP
    rp = g - (0.05 + 0.5 * c) + rng.normal(0.0, 0.02, n)
    bp = rp + c
    j = g - (0.1 + 1.05 * c) + rng.normal(0.0, 0.05, n)
    h = j - (0.08 + 0.28 * c) + rng.normal(0.0, 0.04, n)
    k = h - (0.02 + 0.09 * c) + rng.normal(0.0, 0.04, n)
    w1 = k - (0.02 + 0.03 * c) + rng.normal(0.0, 0.04, n)
    w2 = w1 + rng.normal(0.0, 0.05, n)
    w3 = w2 - 0.05 + rng.normal(0.0, 0.1, n)
    w4 = w3 - 0.05 + rng.normal(0.0, 0.2, n)
    # Distance shrinks with magnitude; tangential speeds of ~20-60 km/s.
    plx = 2.5 * 10 ** (-0.1 * (g - 12.0)) * rng.lognormal(0.0, 0.6, n)
    v_t = np.abs(rng.normal(0.0, 40.0, n)) + 10.0
    pm = plx * v_t / 4.74
    angle = rng.uniform(0.0, 2 * np.pi, n)
    return {
        "G": g,
        "BP": bp,
        "RP": rp,
        "J": j,
        "H": h,
        "K": k,
        "W1": w1,
        "W2": w2,
        "W3": w3,
        "W4": w4,
        "Plx": plx,
        "pmRA": pm * np.sin(angle),
        "pmDE": pm * np.cos(angle),
    }


def ir_only(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Sources WISE (and sometimes 2MASS) see but Gaia does not: red, faint, not moving."""
    w1 = 17.6 - rng.exponential(1.1, n)
    w2 = w1 - np.clip(rng.normal(0.35, 0.3, n), -0.2, 1.5)
    w3 = w2 - np.clip(rng.normal(2.8, 0.8, n), 0.5, 5.0)
    k = w1 + np.clip(rng.normal(0.6, 0.3, n), 0.0, 2.0)
    h = k + rng.normal(0.45, 0.15, n)
    j = h + rng.normal(0.8, 0.2, n)
    nan = np.full(n, np.nan)
    zero = np.zeros(n)
    return {
        "G": nan,
        "BP": nan,
        "RP": nan,
        "J": j,
        "H": h,
        "K": k,
        "W1": w1,
        "W2": w2,
        "W3": w3,
        "W4": w3 - 2.0,
        "Plx": nan,
        "pmRA": zero,
        "pmDE": zero,
    }
