"""True MW counterparts of the X-ray sources, as rows of the Gaia-, 2MASS- and WISE-like catalogs.

A counterpart sits at the X-ray source's true position at the X-ray epoch, moved by its proper
motion to the catalog's epoch, then displaced by that catalog's own positional error; the X-ray
position carries the X-ray error. So the true offset follows the combined X-ray + MW error that
a crossmatch assumes, and Gaia's 2016.0 position moved back by its proper motion lands on the
X-ray source within the errors.
"""

from __future__ import annotations

import numpy as np

from muwclass.synth import gaia, infrared
from muwclass.synth.geometry import (
    ARCSEC,
    MAS,
    ellipse_noise,
    move,
    offset_by_east_north,
)
from muwclass.synth.population import GAIA_MAGS, TMASS_MAGS, WISE_MAGS


def kinematics(rng: np.random.Generator, src: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Proper motion (mas/yr) of every X-ray source and whether Gaia measured it (5-parameter).

    Gaia-detected training sources with a parallax keep their measured total proper motion (in a
    random direction): that is what the Gaia row reports and what moves the source. The others
    move too (AGN excepted) but no catalog reports it.
    """
    n = len(src["Class"])
    five = src["has_gaia"] & np.isfinite(src["Plx"]) & np.isfinite(src["PM"])
    agn = src["Class"] == "AGN"
    total = np.where(five, np.nan_to_num(src["PM"]), np.where(agn, 0.0, np.abs(rng.normal(0.0, 5.0, n))))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    return {"pm_ra": total * np.sin(angle), "pm_de": total * np.cos(angle), "five": five}


def _at_epoch(true_ra, true_dec, kin, idx, epoch_x: np.ndarray, epoch: float):
    return move(true_ra[idx], true_dec[idx], kin["pm_ra"][idx], kin["pm_de"][idx], epoch - epoch_x[idx])


def gaia_rows(
    rng: np.random.Generator,
    src: dict[str, np.ndarray],
    kin: dict[str, np.ndarray],
    true_ra: np.ndarray,
    true_dec: np.ndarray,
    epoch_x: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(X-ray source index, Gaia columns without Source) of the Gaia counterparts."""
    idx = np.flatnonzero(src["has_gaia"])
    mag = {m: src[m][idx] for m in GAIA_MAGS}
    # Gaia always has G; the two training rows with only BP or RP get one from their colour.
    g = np.where(
        np.isfinite(mag["G"]), mag["G"], np.where(np.isfinite(mag["RP"]), mag["RP"] + 0.5, mag["BP"] - 0.4)
    )
    five = kin["five"][idx]
    cols = gaia.errors(rng, g, mag["BP"], mag["RP"], ~five)
    for m in GAIA_MAGS:  # the training source's photometric errors where it has them
        e = src[f"e_{m}"][idx]
        cols[f"e_{m}mag"] = np.where(np.isfinite(e), e, cols[f"e_{m}mag"])
    cols["e_BPmag"] = np.where(np.isfinite(mag["BP"]), cols["e_BPmag"], np.nan)
    cols["e_RPmag"] = np.where(np.isfinite(mag["RP"]), cols["e_RPmag"], np.nan)
    e_plx = src["e_Plx"][idx]
    cols["e_Plx"] = np.where(five & np.isfinite(e_plx), e_plx, cols["e_Plx"])
    cols.update(
        Gmag=g,
        BPmag=mag["BP"],
        RPmag=mag["RP"],
        Plx=np.where(five, src["Plx"][idx], np.nan),
        pmRA=np.where(five, kin["pm_ra"][idx], np.nan),
        pmDE=np.where(five, kin["pm_de"][idx], np.nan),
    )
    ra, dec = _at_epoch(true_ra, true_dec, kin, idx, epoch_x, gaia.EPOCH)
    n = len(idx)
    cols["RA_ICRS"], cols["DE_ICRS"] = offset_by_east_north(
        ra,
        dec,
        rng.normal(0.0, 1.0, n) * cols["e_RA_ICRS"] * MAS,
        rng.normal(0.0, 1.0, n) * cols["e_DE_ICRS"] * MAS,
    )
    return idx, cols


def infrared_rows(
    rng: np.random.Generator,
    survey: infrared.Survey,
    src: dict[str, np.ndarray],
    kin: dict[str, np.ndarray],
    true_ra: np.ndarray,
    true_dec: np.ndarray,
    epoch_x: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(X-ray source index, columns without the designation) of the 2MASS or AllWISE counterparts."""
    idx = np.flatnonzero(src[f"has_{survey.name}"])
    keys = TMASS_MAGS if survey.name == "tmass" else WISE_MAGS
    cols = infrared.counterpart_photometry(
        rng, survey, {m: src[m][idx] for m in keys}, {m: src[f"e_{m}"][idx] for m in keys}
    )
    cols.update(infrared.position_errors(rng, survey, cols))
    maj, mnr, pa_ = (cols[c] for c in survey.error_columns)
    ra, dec = _at_epoch(true_ra, true_dec, kin, idx, epoch_x, survey.epoch)
    east, north = ellipse_noise(rng, maj, mnr, pa_)
    cols["RAJ2000"], cols["DEJ2000"] = offset_by_east_north(ra, dec, east * ARCSEC, north * ARCSEC)
    return idx, cols
