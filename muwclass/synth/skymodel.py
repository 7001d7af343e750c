"""How the sky looks as a function of Galactic position: star densities and Galactic N_H.

A few smooth laws, roughly matched to Gaia DR3 star counts (a few thousand per deg^2 at the
poles, ~10^5 in the plane, more towards the bulge) and to the ``nh_gal`` of the real CSC
training sources versus |b|. They only need to be plausible: their job is to give the
crossmatch realistic, latitude-dependent chance-coincidence rates.
"""

from __future__ import annotations

import numpy as np

# nh_gal (1e20 cm^-2) of the real CSCv2 training sources (buildtd/CSCv2_TD_ave.csv): median per |b| bin.
_NH_B = np.array([0.0, 1.0, 3.5, 7.5, 15.0, 30.0, 60.0, 90.0])
_NH_LOG = np.log10([150.0, 140.0, 60.0, 40.0, 18.0, 4.5, 2.1, 1.5])
NH_PER_EBV = 70.0  # N_H / E(B-V) = 7e21 cm^-2 mag^-1, in units of 1e20


def _wrap(l_deg: np.ndarray) -> np.ndarray:
    return (np.asarray(l_deg) + 180.0) % 360.0 - 180.0


def star_density(l_deg: np.ndarray, b_deg: np.ndarray) -> np.ndarray:
    """Gaia-like (G < ~21) stars per deg^2: halo + thick disc + thin disc, brighter to the bulge."""
    ab = np.abs(b_deg)
    bulge = 0.6 + 1.6 * np.exp(-((_wrap(l_deg) / 35.0) ** 2))
    return 4.0e3 + 3.0e4 * np.exp(-ab / 15.0) + 4.0e4 * np.exp(-ab / 5.0) + 3.0e5 * np.exp(-ab / 2.5) * bulge


def ir_only_density(l_deg: np.ndarray, b_deg: np.ndarray) -> np.ndarray:
    """Infrared sources without a Gaia detection per deg^2: galaxies everywhere, and dust-
    obscured stars in the plane (where 2MASS and WISE see stars that Gaia cannot)."""
    return 2.5e3 + 1.5e4 * np.exp(-np.abs(b_deg) / 2.0)


def nh_gal(b_deg: np.ndarray) -> np.ndarray:
    """Galactic N_H along the line of sight (1e20 cm^-2), interpolated from the real CSC sources."""
    return 10 ** np.interp(np.abs(b_deg), _NH_B, _NH_LOG)
