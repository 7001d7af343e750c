"""X-ray sources of a batch of fields: positions, CSC error ellipses, names, master and
per-observation rows (CSC 2.x native column names).

The 95% error ellipse grows with off-axis angle (the Chandra PSF) and shrinks with
significance, with CSC's 0.71" systematic floor; measured positions are drawn from exactly that
ellipse around the true position, so the catalog's errors are honest. A source keeps the flux of
its training source, but its significance (and flux errors) are those of where it now sits:
the field's depth and its off-axis angle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from muwclass.synth import designations
from muwclass.synth.fields import FIELD_RADIUS_ARCMIN, MAX_VISITS, Fields
from muwclass.synth.geometry import (
    ARCSEC,
    ellipse_noise,
    move,
    offset_by,
    offset_by_east_north,
    uniform_in_disc,
)

R95_PER_SIGMA = 2.447746830680816  # sqrt(-2 ln 0.05): 95% radius of a 2-D Gaussian in sigmas
R95_FLOOR = 0.71  # arcsec, CSC 2.0 astrometric systematic at 95%
R95_MAX = 30.0
# Statistical part of r95 = R95_PSF_PER_SNR * psf_r90(theta) / significance: calibrated on the
# real per-observation detections of fields/NGC3532 and IC2395 (r0 ~0.75" on axis, ~1.6" at 7').
R95_PSF_PER_SNR = 1.5
SIGNIFICANCE_MIN = 1.0
DAYS_PER_YEAR = 365.25
MASTER_COLUMNS = (
    "name",
    "ra",
    "dec",
    "err_ellipse_r0",
    "err_ellipse_r1",
    "err_ellipse_ang",
    "significance",
    "flux_aper90_ave_s",
    "flux_aper90_ave_m",
    "flux_aper90_ave_h",
    "flux_aper90_ave_b",
    "e_flux_aper90_ave_s",
    "e_flux_aper90_ave_m",
    "e_flux_aper90_ave_h",
    "e_flux_aper90_ave_b",
    "kp_intra_prob_b",
    "var_inter_prob",
    "nh_gal",
    "powlaw_gamma_mean",
    "extent_flag",
    "pileup_flag",
    "sat_src_flag",
    "streak_src_flag",
    "conf_flag",
    "gti_mjd_obs",
)


def mjd_to_year(mjd: np.ndarray) -> np.ndarray:
    return 2000.0 + (np.asarray(mjd) - 51544.5) / DAYS_PER_YEAR


def psf_r90(theta_arcmin: np.ndarray) -> np.ndarray:
    """Chandra ACIS 90% encircled-energy radius (arcsec), roughly, versus off-axis angle."""
    return 0.5 + 0.08 * theta_arcmin**2


@dataclass
class Placed:
    """Where the sources of a batch are and how well CSC knows it."""

    true_ra: np.ndarray  # at the field's first-observation epoch
    true_dec: np.ndarray
    ra: np.ndarray  # measured (master) position
    dec: np.ndarray
    r0: np.ndarray  # 95% ellipse semi-axes, arcsec
    r1: np.ndarray
    ang: np.ndarray  # deg, E of N
    theta: np.ndarray  # off-axis angle, arcmin
    significance: np.ndarray  # here (field depth, off-axis angle), not in the training observation
    names: np.ndarray  # bytes, unique within the batch


def offaxis_snr_factor(theta_arcmin: np.ndarray) -> np.ndarray:
    """S/N loss off axis: a larger PSF collects more background, and vignetting."""
    return 1.0 / np.sqrt(1.0 + (theta_arcmin / 5.0) ** 2)


def place_sources(rng: np.random.Generator, fields: Fields, fid: np.ndarray, snr_td: np.ndarray) -> Placed:
    """Uniform positions in each field's disc; a source whose CSC name collides with an earlier
    one (two sources within ~1") is placed again, as CSC would not have resolved them."""
    n = len(fid)
    p = Placed(*(np.empty(n) for _ in range(9)), names=np.empty(n, dtype="S21"))
    todo = np.arange(n)
    for _ in range(100):
        k, f = todo, fid[todo]
        pa_, sep = uniform_in_disc(rng, len(k), FIELD_RADIUS_ARCMIN / 60.0)
        p.true_ra[k], p.true_dec[k] = offset_by(fields.ra[f], fields.dec[f], pa_, sep)
        theta = sep * 60.0
        snr = snr_td[k] * fields.depth[f] * offaxis_snr_factor(theta) * 10 ** rng.normal(0.0, 0.05, len(k))
        p.significance[k] = np.round(np.maximum(snr, SIGNIFICANCE_MIN), 2)
        stat = R95_PSF_PER_SNR * psf_r90(theta) / p.significance[k] * rng.lognormal(0.0, 0.15, len(k))
        elong = 1.0 - rng.uniform(0.0, 0.1 + 0.05 * theta)
        p.r0[k] = np.round(np.minimum(np.hypot(R95_FLOOR, stat), R95_MAX), 2)
        p.r1[k] = np.round(np.minimum(np.hypot(R95_FLOOR, stat * elong), p.r0[k]), 2)
        p.ang[k] = np.round(
            np.mod(pa_ + 90.0 + rng.normal(0.0, 15.0, len(k)), 180.0), 1
        )  # tied to the azimuth, like the off-axis PSF
        p.theta[k] = theta
        east, north = ellipse_noise(rng, p.r0[k] / R95_PER_SIGMA, p.r1[k] / R95_PER_SIGMA, p.ang[k])
        p.ra[k], p.dec[k] = offset_by_east_north(p.true_ra[k], p.true_dec[k], east * ARCSEC, north * ARCSEC)
        p.names = designations.csc(p.ra, p.dec)
        todo = np.flatnonzero(designations.duplicated(p.names))
        if len(todo) == 0:
            return p
    raise RuntimeError("could not give the X-ray sources unique names")


def detections(
    rng: np.random.Generator, fields: Fields, fid: np.ndarray, p_inter: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(source index, visit index) of every per-observation detection.

    A training source without an inter-observation variability probability was seen once, so
    its copy is detected in one visit; the others in 2..n_visits visits of their field.
    """
    n = len(fid)
    n_vis = fields.n_visits[fid]
    multi = np.isfinite(p_inter) & (n_vis > 1)
    n_det = np.where(multi, 2 + np.floor(rng.uniform(size=n) * (n_vis - 1)).astype(np.int64), 1)
    keys = rng.uniform(size=(n, MAX_VISITS))
    keys[np.arange(MAX_VISITS)[None, :] >= n_vis[:, None]] = np.inf
    rank = np.argsort(np.argsort(keys, axis=1), axis=1)
    return np.nonzero(rank < n_det[:, None])


def master_table(
    rng: np.random.Generator,
    src: dict[str, np.ndarray],
    p: Placed,
    nh: np.ndarray,
    var_inter: np.ndarray,
    mjd0: np.ndarray,
    in_plane: np.ndarray,
) -> pa.Table:
    """One row per master source, CSC master_source names and units."""
    n = len(p.ra)
    fb = src["Fb"]
    worse = src["snr_td"] / p.significance  # flux errors grow as the S/N drops
    u = rng.uniform(size=(n, 5))
    flags = {
        "extent_flag": u[:, 0] < 0.04,
        "pileup_flag": u[:, 1] < 0.6 * np.clip(np.log10(fb) + 12.5, 0.0, 1.0),
        "sat_src_flag": u[:, 2] < 0.001,
        "streak_src_flag": u[:, 3] < 0.002,
        "conf_flag": u[:, 4] < np.where(in_plane, 0.10, 0.05),
    }
    cols = {
        "name": designations.to_arrow(p.names),
        "ra": p.ra,
        "dec": p.dec,
        "err_ellipse_r0": p.r0,
        "err_ellipse_r1": p.r1,
        "err_ellipse_ang": p.ang,
        "significance": p.significance,
        **{f"flux_aper90_ave_{b}": src[f"F{b}"] for b in "smhb"},
        **{f"e_flux_aper90_ave_{b}": src[f"e_F{b}"] * worse for b in "smhb"},
        "kp_intra_prob_b": src["P_intra"],
        "var_inter_prob": var_inter,
        "nh_gal": nh,
        "powlaw_gamma_mean": src["gamma"],
        **flags,
        "gti_mjd_obs": mjd0,
    }
    return pa.table({c: cols[c] for c in MASTER_COLUMNS})


def per_obs_table(
    rng: np.random.Generator,
    src: dict[str, np.ndarray],
    p: Placed,
    fields: Fields,
    fid: np.ndarray,
    det: tuple[np.ndarray, np.ndarray],
    nh: np.ndarray,
    pm_ra: np.ndarray,
    pm_de: np.ndarray,
) -> pa.Table:
    """One row per detection: the source moved to the visit's epoch, positions drawn from an
    ellipse sqrt(n_det) larger than the master one, fluxes scattered more for variable sources."""
    si, vi = det
    m = len(si)
    n_det = np.bincount(si, minlength=len(p.ra))[si]
    mjd = fields.visit_mjd[fid[si], vi]
    mjd0 = fields.mjd0[fid[si]]
    tra, tdec = move(p.true_ra[si], p.true_dec[si], pm_ra[si], pm_de[si], (mjd - mjd0) / DAYS_PER_YEAR)
    grow = np.sqrt(n_det)
    r0 = np.round(np.minimum(p.r0[si] * grow, R95_MAX), 2)
    r1 = np.round(np.minimum(p.r1[si] * grow, r0), 2)
    east, north = ellipse_noise(rng, r0 / R95_PER_SIGMA, r1 / R95_PER_SIGMA, p.ang[si])
    ra, dec = offset_by_east_north(tra, tdec, east * ARCSEC, north * ARCSEC)
    variable = np.nan_to_num(src["P_inter"][si], nan=0.0) > 0.9
    common = 10 ** (np.where(variable, 0.3, 0.05) * rng.normal(0.0, 1.0, m))  # variability moves all bands
    return pa.table(
        {
            "name": designations.to_arrow(p.names[si]),
            "obsid": pa.array(fields.visit_obsid[fid[si], vi], pa.int64()),
            "ra": ra,
            "dec": dec,
            "err_ellipse_r0": r0,
            "err_ellipse_r1": r1,
            "err_ellipse_ang": p.ang[si],
            "significance": np.round(p.significance[si] / grow * 10 ** rng.normal(0.0, 0.05, m), 2),
            **{
                f"flux_aper90_{b}": src[f"F{b}"][si] * common * 10 ** rng.normal(0.0, 0.03, m) for b in "bsmh"
            },
            "kp_intra_prob_b": src["P_intra"][si],
            "nh_gal": nh[si],
            "theta": np.round(p.theta[si], 3),
            "gti_mjd_obs": mjd,
        }
    )
