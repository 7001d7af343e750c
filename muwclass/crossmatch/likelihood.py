"""Bayesian counterpart probabilities on numpy arrays (Budavari & Szalay 2008; NWAY, Salvato+ 2018).

For an X-ray source and each candidate within the search radius the positional likelihood
ratio is the bivariate Gaussian density of their offset under the summed covariance (X-ray
error ellipse + MW error ellipse + systematic), divided by the local surface density of MW
sources (the density of chance coincidences). With the catalog completeness ``c`` (prior
probability that the X-ray source has a counterpart in the catalog):

    P_i   = c LR_i / ((1 - c) + c sum_j LR_j)       posterior that candidate i is the one
    p_any = sum_i P_i                                 posterior that any candidate is
    p_i   = P_i / p_any                               given there is one, that it is i (NWAY)
"""

from __future__ import annotations

import numpy as np

MAS_PER_DEG = 3.6e6


def tangent_offsets(ra0, dec0, ra, dec) -> tuple[np.ndarray, np.ndarray]:
    """Gnomonic offsets (east, north) in arcsec of (ra, dec) from (ra0, dec0); safe at RA 0/360."""
    ra0, dec0, ra, dec = (np.radians(np.asarray(x, dtype=float)) for x in (ra0, dec0, ra, dec))
    dra = ra - ra0
    cos_c = np.sin(dec0) * np.sin(dec) + np.cos(dec0) * np.cos(dec) * np.cos(dra)
    x = np.cos(dec) * np.sin(dra) / cos_c
    y = (np.cos(dec0) * np.sin(dec) - np.sin(dec0) * np.cos(dec) * np.cos(dra)) / cos_c
    return np.degrees(x) * 3600, np.degrees(y) * 3600


def ellipse_covariance(major, minor, pa_deg) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(s_ee, s_en, s_nn) of a 1-sigma ellipse, position angle east of north."""
    pa = np.radians(np.asarray(pa_deg, dtype=float))
    ue, un = np.sin(pa), np.cos(pa)  # major axis direction (east, north)
    a2, b2 = np.asarray(major, float) ** 2, np.asarray(minor, float) ** 2
    return a2 * ue**2 + b2 * un**2, (a2 - b2) * ue * un, a2 * un**2 + b2 * ue**2


def propagate(ra, dec, pmra, pmdec, epoch_from, epoch_to) -> tuple[np.ndarray, np.ndarray]:
    """Move positions by their proper motion (mas/yr; pmra includes cos dec) between epochs."""
    pmra = np.nan_to_num(np.asarray(pmra, float))
    pmdec = np.nan_to_num(np.asarray(pmdec, float))
    dt = np.asarray(epoch_to, float) - np.asarray(epoch_from, float)
    dec_new = np.asarray(dec, float) + pmdec * dt / MAS_PER_DEG
    cosd = np.maximum(np.cos(np.radians(dec_new)), 1e-9)
    ra_new = np.mod(np.asarray(ra, float) + pmra * dt / MAS_PER_DEG / cosd, 360.0)
    return ra_new, np.clip(dec_new, -90.0, 90.0)


def gaussian_density(dx, dy, s_ee, s_en, s_nn) -> np.ndarray:
    """Bivariate normal density (per arcsec^2) of offsets (dx east, dy north)."""
    det = s_ee * s_nn - s_en**2
    chi2 = (s_nn * dx**2 - 2 * s_en * dx * dy + s_ee * dy**2) / det
    return np.exp(-0.5 * chi2) / (2 * np.pi * np.sqrt(det))


def match_probabilities(
    group: np.ndarray, lr: np.ndarray, completeness: float, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate posterior ``P_i`` and per group ``p_any``; ``group`` indexes the X-ray source."""
    if not 0 < completeness < 1:
        raise ValueError(f"completeness must be in (0, 1), got {completeness}")
    total = np.bincount(group, weights=lr, minlength=n_groups)
    denom = (1 - completeness) + completeness * total
    post = completeness * lr / denom[group]
    p_any = completeness * total / denom
    return post, p_any


def search_radius(sigma_x_major, sigma_mw_max, systematic, nsigma: float, cap: float) -> np.ndarray:
    """Per X-ray source radius (arcsec) that holds the counterpart at ``nsigma``."""
    return np.minimum(
        nsigma * np.sqrt(np.asarray(sigma_x_major, float) ** 2 + sigma_mw_max**2 + systematic**2), cap
    )
