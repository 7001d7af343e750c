"""Background rows of the MW catalogs around a batch of fields, independent of the X-ray sources.

Sources fill each field's disc plus a rim (so X-ray sources near the edge have all their
candidates) at the field's densities. Field stars are placed at epoch 2016.0 and moved by their
proper motion to the 2MASS and WISE epochs.
"""

from __future__ import annotations

import numpy as np

from muwclass.synth import gaia, infrared, stars
from muwclass.synth.fields import Fields
from muwclass.synth.geometry import (
    ARCSEC,
    MAS,
    ellipse_noise,
    move,
    offset_by,
    offset_by_east_north,
    uniform_in_disc,
)
from muwclass.synth.skymodel import ir_only_density


def _scatter(
    rng: np.random.Generator, fields: Fields, batch: np.ndarray, density: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(field id, ra, dec) of Poisson(density * area) uniform points in each field's MW disc."""
    fid = np.repeat(batch, rng.poisson(density * np.pi * fields.mw_radius_deg**2))
    pa_, sep = uniform_in_disc(rng, len(fid), fields.mw_radius_deg)
    ra, dec = offset_by(fields.ra[fid], fields.dec[fid], pa_, sep)
    return fid, ra, dec


def field_population(
    rng: np.random.Generator, fields: Fields, batch: np.ndarray
) -> dict[str, dict[str, np.ndarray]]:
    """Field stars (Gaia-detected) and IR-only sources of the batch: true positions at 2016.0 and
    everything the catalogs need to decide what they see."""
    sfid, sra, sdec = _scatter(rng, fields, batch, fields.star_density[batch])
    st = stars.field_stars(rng, fields.nh_gal[sfid])
    dens = ir_only_density(fields.l[batch], fields.b[batch]) * fields.density_factor[batch]
    ifid, ira, idec = _scatter(rng, fields, batch, dens)
    ir = stars.ir_only(rng, len(ifid))
    return {
        "stars": {"field": sfid, "ra": sra, "dec": sdec, "crowding": fields.star_density[sfid], **st},
        "ir_only": {"field": ifid, "ra": ira, "dec": idec, "crowding": fields.star_density[ifid], **ir},
    }


def gaia_rows(rng: np.random.Generator, pop: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Gaia columns (without Source) of the field stars: measured parallax and proper motion,
    2-parameter solutions and missing BP/RP for some faint ones."""
    s = pop["stars"]
    n = len(s["G"])
    two, no_bprp = gaia.background_solutions(rng, s["G"])
    bp = np.where(no_bprp, np.nan, s["BP"])
    rp = np.where(no_bprp, np.nan, s["RP"])
    cols = gaia.errors(rng, s["G"], bp, rp, two)
    astro = np.where(two, np.nan, 1.0)
    cols.update(
        Gmag=s["G"],
        BPmag=bp,
        RPmag=rp,
        Plx=(s["Plx"] + rng.normal(0.0, 1.0, n) * cols["e_Plx"]) * astro,
        pmRA=(s["pmRA"] + rng.normal(0.0, 1.0, n) * cols["e_pmRA"]) * astro,
        pmDE=(s["pmDE"] + rng.normal(0.0, 1.0, n) * cols["e_pmDE"]) * astro,
    )
    cols["e_BPmag"] = np.where(no_bprp, np.nan, cols["e_BPmag"])
    cols["e_RPmag"] = np.where(no_bprp, np.nan, cols["e_RPmag"])
    cols["RA_ICRS"], cols["DE_ICRS"] = offset_by_east_north(
        s["ra"],
        s["dec"],
        rng.normal(0.0, 1.0, n) * cols["e_RA_ICRS"] * MAS,
        rng.normal(0.0, 1.0, n) * cols["e_DE_ICRS"] * MAS,
    )
    return cols


def infrared_rows(
    rng: np.random.Generator, survey: infrared.Survey, pop: dict[str, dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """2MASS or AllWISE columns (without the designation) of the background sources it detects."""
    parts = []
    for p in pop.values():
        shift = survey.limit_shift(p["crowding"])
        keep = infrared.detected(survey, p, shift)
        mags = {b.key: p[b.key][keep] for b in survey.bands}
        cols = infrared.background_photometry(rng, survey, mags, shift[keep])
        cols.update(infrared.position_errors(rng, survey, cols))
        ra, dec = move(
            p["ra"][keep], p["dec"][keep], p["pmRA"][keep], p["pmDE"][keep], survey.epoch - gaia.EPOCH
        )
        east, north = ellipse_noise(rng, *(cols[c] for c in survey.error_columns))
        cols["RAJ2000"], cols["DEJ2000"] = offset_by_east_north(ra, dec, east * ARCSEC, north * ARCSEC)
        parts.append(cols)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
