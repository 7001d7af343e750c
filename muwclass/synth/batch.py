"""All rows of one batch of fields: X-ray master and per-observation rows, the three MW
catalogs (counterparts + background, spatially ordered, with IDs) and the truth.

A batch draws only from its own random stream, so it can be rebuilt alone and the output does
not depend on anything but (seed, scale); the only state carried between batches is the running
number of Gaia IDs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from hats.pixel_math.healpix_shim import radec2pix

from muwclass.synth import background, counterparts, designations, gaia, infrared, xray
from muwclass.synth.fields import Fields
from muwclass.synth.population import TrainingSet, draw_sources


@dataclass
class Batch:
    tables: dict[str, pa.Table]  # csc_master, csc_per_obs, gaia, tmass, allwise, truth
    gaia_rows: int


def _concat(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([a[k], b[k]]) for k in a}


def _spatial_order(
    rng: np.random.Generator, ra: np.ndarray, dec: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Row order by HEALPix-12 pixel (ties in random order, so counterparts do not come first)
    and, for each original row, its position in that order."""
    key = radec2pix(gaia.HEALPIX_ORDER, ra, dec).astype(np.int64) << 35 | rng.integers(
        0, 2**35, len(ra), dtype=np.int64
    )
    order = np.argsort(key, kind="stable")
    where = np.empty_like(order)
    where[order] = np.arange(len(order))
    return order, where


def gaia_table(
    rng, src, kin, true_ra, true_dec, epoch_x, pop, first_id: int
) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The Gaia rows of a batch (counterparts and background, spatially ordered, with IDs from
    ``first_id``), and the X-ray source index and Source ID of each counterpart."""
    idx, cp = counterparts.gaia_rows(rng, src, kin, true_ra, true_dec, epoch_x)
    cols = _concat(cp, background.gaia_rows(rng, pop))
    order, where = _spatial_order(rng, cols["RA_ICRS"], cols["DE_ICRS"])
    cols = {k: v[order] for k, v in cols.items()}
    cols["Source"] = gaia.source_ids(cols["RA_ICRS"], cols["DE_ICRS"], first_id)
    return gaia.table(cols), idx, cols["Source"][where[: len(idx)]]


def infrared_table(
    rng, survey: infrared.Survey, src, kin, true_ra, true_dec, epoch_x, pop
) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The 2MASS or AllWISE rows of a batch, and the X-ray source index and designation of each
    counterpart."""
    idx, cp = counterparts.infrared_rows(rng, survey, src, kin, true_ra, true_dec, epoch_x)
    cols = _concat(cp, background.infrared_rows(rng, survey, pop))
    names, cols["DEJ2000"] = designations.unique_names(survey.name, cols["RAJ2000"], cols["DEJ2000"])
    if "Qflg" in survey.columns:
        cols["Qflg"] = infrared.quality_flags(cols, survey)
    order, _ = _spatial_order(rng, cols["RAJ2000"], cols["DEJ2000"])
    cols = {k: v[order] for k, v in cols.items()}
    return (
        infrared.table(survey, names[order], cols["RAJ2000"], cols["DEJ2000"], cols),
        idx,
        names[: len(idx)],
    )


def mw_tables(
    rng, src, kin, true_ra, true_dec, epoch_x, pop, first_gaia_id: int
) -> tuple[dict[str, pa.Table], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The Gaia, 2MASS and AllWISE rows of a batch (counterparts and background), and for each
    the X-ray source index and ID of every counterpart, keyed by its truth column."""
    tables, matches = {}, {}
    tables["gaia"], idx, ids = gaia_table(rng, src, kin, true_ra, true_dec, epoch_x, pop, first_gaia_id)
    matches["gaia_Source"] = (idx, ids)
    for survey, col in ((infrared.TMASS, "tmass_2MASS"), (infrared.ALLWISE, "allwise_AllWISE")):
        tables[survey.name], idx, ids = infrared_table(rng, survey, src, kin, true_ra, true_dec, epoch_x, pop)
        matches[col] = (idx, ids)
    return tables, matches


def truth_table(
    names: np.ndarray,
    src,
    fid: np.ndarray,
    matches: dict[str, tuple[np.ndarray, np.ndarray]],
    true_ra: np.ndarray,
    true_dec: np.ndarray,
) -> pa.Table:
    """One row per X-ray source: name, class, field, true position (at the field's first
    observation) and the ID of its true counterpart in each MW catalog (null: none)."""
    n = len(names)
    cols: dict[str, pa.Array] = {
        "name": designations.to_arrow(names),
        "Class": pa.array(src["Class"].astype(str)),
        "field_id": pa.array(fid, pa.int64()),
        "ra_true": pa.array(true_ra, pa.float64()),
        "dec_true": pa.array(true_dec, pa.float64()),
    }
    for col, (idx, ids) in matches.items():
        full = np.zeros(n, dtype=ids.dtype)
        full[idx] = ids
        mask = np.ones(n, bool)
        mask[idx] = False
        arr = (
            pa.array(full, pa.int64(), mask=mask)
            if col == "gaia_Source"
            else pa.array(full, pa.binary(), mask=mask).cast(pa.string())
        )
        cols[col] = arr
    return pa.table(cols)


def build_batch(
    rng: np.random.Generator, fields: Fields, batch: np.ndarray, td: TrainingSet, first_gaia_id: int
) -> Batch:
    """Every row that the fields ``batch`` (consecutive field ids) contribute to the sky."""
    fid = np.repeat(batch, fields.n_sources[batch])
    in_plane = fields.in_plane[fid]
    src = draw_sources(rng, td, in_plane)
    kin = counterparts.kinematics(rng, src)
    placed = xray.place_sources(rng, fields, fid, src["snr_td"])
    mjd0 = fields.mjd0[fid]
    epoch_x = xray.mjd_to_year(mjd0)
    nh = np.round(fields.nh_gal[fid] * rng.lognormal(0.0, 0.03, len(fid)), 2)
    det = xray.detections(rng, fields, fid, src["P_inter"])
    n_det = np.bincount(det[0], minlength=len(fid))
    var_inter = np.where(n_det > 1, src["P_inter"], np.nan)
    tables = {
        "csc_master": xray.master_table(rng, src, placed, nh, var_inter, mjd0, in_plane),
        "csc_per_obs": xray.per_obs_table(rng, src, placed, fields, fid, det, nh, kin["pm_ra"], kin["pm_de"]),
    }
    pop = background.field_population(rng, fields, batch)
    true = placed.true_ra, placed.true_dec
    mw, matches = mw_tables(rng, src, kin, *true, epoch_x, pop, first_gaia_id)
    tables.update(mw)
    tables["truth"] = truth_table(placed.names, src, fid, matches, *true)
    return Batch(tables=tables, gaia_rows=tables["gaia"].num_rows)
