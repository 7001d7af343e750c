"""The 3XMM-like catalog of the synthetic sky (``muwclass synth --xmm``), in the native 3XMM-DR8
column layout that ``catalogs/xmm_dr8.yaml`` reads, with its truth.

Two kinds of EPIC field, as on the real sky:

- **pointed at a Chandra field** (``SHARED_FRACTION`` of the CSC fields): XMM detects the CSC
  sources of the field whose XMM significance passes the 3XMM threshold (``SC_DET_ML`` >= 6).
  They are the same physical sources: same class, same MW counterparts, and positions drawn
  around the same true positions (``truth.parquet``'s ``ra_true``/``dec_true``) with XMM's own
  error. Such a field keeps to the Chandra field's 8' disc, where the MW catalogs already are;
  the outer ring of a real EPIC field is what the XMM-only fields stand for.
- **XMM-only** fields of 15' radius where no field (nor any field's MW disc) is, with their own
  sources drawn from the training set like the CSC ones, their own Gaia/2MASS/WISE background
  at the same latitude-dependent densities, and their counterparts. Most are extragalactic
  (``XMM_PLANE_FRACTION`` in the plane), as 3XMM's are.

At scale 1.0 about 531,000 sources (3XMM-DR8's unique sources) in 5,600 EPIC fields (~1,100
deg^2), a third of them observed more than once (``N_DETECTIONS``). Positions: a circular
1-sigma error ``SC_POSERR`` (statistical, growing off axis and with fading significance, plus a
0.35" systematic) per axis, which is how the catalog definition reads it. Fluxes: each source's
CSC-band fluxes redistributed into the EPIC bands 1-5 (0.2-0.5, 0.5-1, 1-2, 2-4.5, 4.5-12 keV)
under its own power-law index, the inverse of what the import does with one fixed index, so the
round trip is close but not exact, as on the real sky. ``SC_SUM_FLAG`` (0 good ... 4 bad) is
drawn independently of everything else.

Deterministic: the plan draws from ``default_rng([seed, 3])``, the shared detections from
``default_rng([seed, 4])`` and XMM-only batch ``i`` from ``default_rng([seed, 5, i])``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.spatial import cKDTree

from muwclass.synth import background, counterparts, designations
from muwclass.synth.batch import mw_tables, truth_table
from muwclass.synth.fields import (
    MAX_VISITS,
    MJD_2000,
    MW_RADIUS_DEG,
    RIM_ARCMIN,
    Fields,
    _draw_galactic,
    _to_galactic,
    _to_icrs,
    with_sky,
)
from muwclass.synth.geometry import (
    ARCSEC,
    offset_by,
    offset_by_east_north,
    separation_deg,
    uniform_in_disc,
    unit_vectors,
)
from muwclass.synth.population import TrainingSet, draw_sources
from muwclass.synth.xray import mjd_to_year

FULL_XMM_SOURCES = 531_000
FULL_XMM_FIELDS = 5_600
XMM_RADIUS_ARCMIN = 15.0
SHARED_FRACTION = 0.25
XMM_PLANE_FRACTION = 0.2
VISIT_PROBS = (0.67, 0.18, 0.10, 0.05)  # 1..4 observations: a third of the sky more than once
MJD_2019 = 58484.0
DET_ML_MIN = 6.0  # 3XMM's detection threshold; DET_ML ~ significance^2 / 2
# XMM's significance for a source relative to Chandra's in a field of the same depth: a larger
# collecting area against a larger PSF (more background)
XMM_SNR_GAIN = 0.8
DEPTH_MEDIAN = 0.9
POSERR_SYSTEMATIC = 0.35  # arcsec, 3XMM-DR8's systematic after the catalog's astrometric fit
POSERR_PER_SNR = 6.0  # statistical 1-sigma (arcsec) x significance, on axis: typical totals 1-2"
POSERR_MAX = 15.0
SUM_FLAG_PROBS = (0.78, 0.12, 0.05, 0.03, 0.02)  # SC_SUM_FLAG 0..4
FIRST_SRCID = 200_000_000_001
EPIC_BANDS = {1: (0.2, 0.5), 2: (0.5, 1.0), 3: (1.0, 2.0), 4: (2.0, 4.5), 5: (4.5, 12.0)}
CSC_BANDS = {"s": (0.5, 1.2), "m": (1.2, 2.0), "h": (2.0, 7.0)}
DEFAULT_PHOTON_INDEX = 1.7
FIELDS_PER_BATCH = 60
CANDIDATES_PER_SOURCE = 4  # XMM-only fields: drawn sources per kept (detected) one, at most
COLUMNS = (
    "SRCID",
    "IAUNAME",
    "SC_RA",
    "SC_DEC",
    "SC_POSERR",
    "SC_DET_ML",
    *(f"SC_EP_{b}_FLUX{e}" for b in (*EPIC_BANDS, 8) for e in ("", "_ERR")),
    "SC_VAR_FLAG",
    "SC_EXTENT",
    "SC_EXT_ML",
    "SC_SUM_FLAG",
    "MJD_START",
    "N_DETECTIONS",
)


def xmm_size(scale: float) -> tuple[int, int]:
    """(EPIC fields, unique sources) at ``scale``: 5,600 and 531,000 at 1.0, at least 1 each."""
    n_fields = max(1, int(round(FULL_XMM_FIELDS * scale)))
    return n_fields, max(n_fields, int(round(FULL_XMM_SOURCES * scale)))


def powerlaw_energy(e1, e2, gamma: np.ndarray) -> np.ndarray:
    """Energy flux of a power law of photon index ``gamma`` between e1 and e2 keV (any scale)."""
    k = 2.0 - np.asarray(gamma, dtype=float)
    flat = np.abs(k) < 1e-6
    safe = np.where(flat, 1.0, k)
    return np.where(flat, np.log(e2 / e1), (e2**safe - e1**safe) / safe)


def epic_fluxes(csc: dict[str, np.ndarray], gamma: np.ndarray) -> dict[int, np.ndarray]:
    """EPIC band fluxes from the CSC s/m/h fluxes: each CSC band spread over its energies under
    the source's power law, extrapolated below 0.5 keV from s and above 7 keV from h. A source
    without band fluxes is spread from its broad-band (0.5-7 keV) flux."""
    g = np.clip(np.where(np.isfinite(gamma), gamma, DEFAULT_PHOTON_INDEX), 0.0, 4.0)
    band = {c: np.nan_to_num(np.clip(csc[c], 0.0, None)) for c in CSC_BANDS}
    no_bands = (band["s"] + band["m"] + band["h"]) <= 0
    broad = np.nan_to_num(np.clip(csc["b"], 0.0, None)) / powerlaw_energy(0.5, 7.0, g)
    for c, (c1, c2) in CSC_BANDS.items():
        band[c] = np.where(no_bands, broad * powerlaw_energy(c1, c2, g), band[c])
    density = {c: band[c] / powerlaw_energy(c1, c2, g) for c, (c1, c2) in CSC_BANDS.items()}
    out = {}
    for b, (e1, e2) in EPIC_BANDS.items():
        total = np.zeros(len(g))
        pieces = [
            *((c, max(e1, c1), min(e2, c2)) for c, (c1, c2) in CSC_BANDS.items()),
            ("s", e1, min(e2, 0.5)),
            ("h", max(e1, 7.0), e2),
        ]
        for c, lo, hi in pieces:
            if hi > lo:
                total += density[c] * powerlaw_energy(lo, hi, g)
        out[b] = total
    return out


@dataclass
class Detected:
    """What 3XMM reports of a set of sources (columns in ``COLUMNS`` order but SRCID)."""

    columns: dict[str, np.ndarray]
    names: np.ndarray  # bytes


def measure(
    rng: np.random.Generator,
    true_ra: np.ndarray,
    true_dec: np.ndarray,
    significance: np.ndarray,
    theta_arcmin: np.ndarray,
    src: dict[str, np.ndarray],
    mjd_start: np.ndarray,
    n_detections: np.ndarray,
) -> Detected:
    """The 3XMM row of each source at its true position with its XMM ``significance``; ``src``
    holds the CSC-band fluxes ``F<b>``, ``gamma`` and ``P_intra``."""
    n = len(true_ra)
    stat = POSERR_PER_SNR * (1.0 + (theta_arcmin / 12.0) ** 2) / significance * rng.lognormal(0.0, 0.15, n)
    poserr = np.round(np.minimum(np.hypot(stat, POSERR_SYSTEMATIC), POSERR_MAX), 3)
    east, north = rng.normal(0.0, 1.0, (2, n)) * poserr
    ra, dec = offset_by_east_north(true_ra, true_dec, east * ARCSEC, north * ARCSEC)
    names, dec = designations.unique_names("xmm", ra, dec)
    flux = epic_fluxes({b: src[f"F{b}"] for b in "smhb"}, src["gamma"])
    total = sum(flux.values())
    cols: dict[str, np.ndarray] = {
        "SC_RA": ra,
        "SC_DEC": dec,
        "SC_POSERR": poserr,
        "SC_DET_ML": np.round(significance**2 / 2.0, 2),
    }
    variance = np.zeros(n)
    for b, f in flux.items():
        share = np.divide(f, total, out=np.zeros(n), where=total > 0)
        err = f / (significance * np.sqrt(np.maximum(share, 0.01)))
        cols[f"SC_EP_{b}_FLUX"] = f * 10 ** rng.normal(0.0, 0.02, n)
        cols[f"SC_EP_{b}_FLUX_ERR"] = err
        variance += err**2
    cols["SC_EP_8_FLUX"] = sum(cols[f"SC_EP_{b}_FLUX"] for b in EPIC_BANDS)
    cols["SC_EP_8_FLUX_ERR"] = np.sqrt(variance)
    cols["SC_VAR_FLAG"] = np.nan_to_num(src["P_intra"], nan=0.0) > 0.99
    extended = rng.uniform(size=n) < 0.03
    cols["SC_EXTENT"] = np.where(extended, np.round(rng.uniform(6.0, 40.0, n), 2), 0.0)
    cols["SC_EXT_ML"] = np.where(extended, np.round(rng.uniform(4.0, 60.0, n), 2), 0.0)
    cols["SC_SUM_FLAG"] = rng.choice(len(SUM_FLAG_PROBS), size=n, p=SUM_FLAG_PROBS).astype(np.int64)
    cols["MJD_START"] = mjd_start
    cols["N_DETECTIONS"] = n_detections.astype(np.int64)
    return Detected(cols, names)


def offaxis_snr_factor(theta_arcmin: np.ndarray) -> np.ndarray:
    """EPIC's S/N loss off axis (vignetting falls faster than Chandra's)."""
    return 1.0 / np.sqrt(1.0 + (theta_arcmin / 8.0) ** 2)


def xmm_table(det: Detected, first_srcid: int) -> pa.Table:
    cols = dict(det.columns)
    cols["SRCID"] = first_srcid + np.arange(len(det.names), dtype=np.int64)
    cols["IAUNAME"] = designations.to_arrow(det.names)
    return pa.table({c: cols[c] for c in COLUMNS})


def shared_detections(
    rng: np.random.Generator, fields: Fields, master: pd.DataFrame, truth: pd.DataFrame
) -> tuple[Detected, pa.Table, pd.DataFrame]:
    """XMM's detections in the CSC fields it points at: (what 3XMM reports of them, their truth,
    the XMM fields table of those pointings).

    ``master`` is the CSC master table and ``truth`` its truth; a CSC source is detected when its
    significance, scaled to XMM's (depth of the XMM pointing, ``XMM_SNR_GAIN``), passes
    ``DET_ML_MIN``.
    """
    n_csc = len(fields)
    chosen = np.sort(rng.choice(n_csc, size=max(1, int(round(SHARED_FRACTION * n_csc))), replace=False))
    depth = rng.lognormal(np.log(DEPTH_MEDIAN), 0.5, n_csc)  # of the XMM pointing at field i
    n_visits = rng.choice(np.arange(1, MAX_VISITS + 1), size=n_csc, p=VISIT_PROBS)
    mjd_start = np.round(rng.uniform(MJD_2000 + 80.0, MJD_2019, n_csc), 5)
    src = master.merge(truth, on="name", validate="one_to_one")
    src = src.loc[src["field_id"].isin(chosen)].sort_values("name", kind="stable").reset_index(drop=True)
    f = src["field_id"].to_numpy()
    n = len(src)
    sig = (
        src["significance"].to_numpy(float)
        * XMM_SNR_GAIN
        * depth[f]
        / fields.depth[f]
        * rng.lognormal(0.0, 0.25, n)
    )
    seen = sig >= np.sqrt(2.0 * DET_ML_MIN)
    src, f, sig = src.loc[seen].reset_index(drop=True), f[seen], sig[seen]
    true_ra, true_dec = src["ra_true"].to_numpy(float), src["dec_true"].to_numpy(float)
    theta = separation_deg(true_ra, true_dec, fields.ra[f], fields.dec[f]) * 60.0
    props = {
        **{f"F{b}": src[f"flux_aper90_ave_{b}"].to_numpy(float) for b in "smhb"},
        "gamma": src["powlaw_gamma_mean"].to_numpy(float),
        "P_intra": src["kp_intra_prob_b"].to_numpy(float),
    }
    det = measure(rng, true_ra, true_dec, sig, theta, props, mjd_start[f], n_visits[f])
    text = pa.string()
    truth_rows = pa.table(
        {
            "name": designations.to_arrow(det.names),
            "Class": pa.array(src["Class"].astype(str).to_numpy(), text),
            "xmm_field_id": pa.array(np.searchsorted(chosen, f), pa.int64()),
            "ra_true": pa.array(true_ra, pa.float64()),
            "dec_true": pa.array(true_dec, pa.float64()),
            "csc_name": pa.array(src["name"].astype(str).to_numpy(), text),
            "gaia_Source": pa.array(src["gaia_Source"], pa.int64(), from_pandas=True),
            "tmass_2MASS": pa.array(src["tmass_2MASS"], text, from_pandas=True),
            "allwise_AllWISE": pa.array(src["allwise_AllWISE"], text, from_pandas=True),
        }
    )
    pointings = pd.DataFrame(
        {
            "xmm_field_id": np.arange(len(chosen), dtype=np.int64),
            "csc_field_id": chosen.astype(np.int64),
            "ra": fields.ra[chosen],
            "dec": fields.dec[chosen],
            "radius_arcmin": fields.radius_arcmin,
            "n_visits": n_visits[chosen].astype(np.int64),
            "mjd_start": mjd_start[chosen],
            "depth": depth[chosen],
        }
    )
    return det, truth_rows, pointings


def plan_own_fields(rng: np.random.Generator, csc: Fields, n_fields: int, n_sources: int) -> Fields:
    """XMM-only fields of 15': ``XMM_PLANE_FRACTION`` in the plane, the rest isotropic above it;
    no MW disc overlaps another field's (CSC or XMM)."""
    mw = (XMM_RADIUS_ARCMIN + RIM_ARCMIN) / 60.0
    plane = np.arange(n_fields) < int(round(XMM_PLANE_FRACTION * n_fields))
    l, b = _draw_galactic(rng, plane)
    ra, dec = _to_icrs(l, b)
    csc_tree = cKDTree(unit_vectors(csc.ra, csc.dec))
    to_csc = 2.0 * np.sin(np.radians(mw + MW_RADIUS_DEG) / 2.0)
    to_own = 2.0 * np.sin(np.radians(2.0 * mw) / 2.0)
    for _ in range(1000):
        xyz = unit_vectors(ra, dec)
        near_csc = csc_tree.query_ball_point(xyz, to_csc, return_length=True) > 0
        pairs = cKDTree(xyz).query_pairs(to_own, output_type="ndarray")
        redo = np.zeros(n_fields, bool)
        redo[near_csc] = True
        if len(pairs):
            redo[np.max(pairs, axis=1)] = True
        if not redo.any():
            break
        idx = np.flatnonzero(redo)
        nl, nb = _draw_galactic(rng, plane[idx])
        ra[idx], dec[idx] = _to_icrs(nl, nb)
    else:  # pragma: no cover - needs ~10^5 fields
        raise RuntimeError(f"cannot place {n_fields} XMM fields apart from the others")
    l, b = _to_galactic(ra, dec)
    weights = rng.lognormal(0.0, 0.6, n_fields)
    counts = rng.multinomial(n_sources - n_fields, weights / weights.sum()) + 1
    n_visits = rng.choice(np.arange(1, MAX_VISITS + 1), size=n_fields, p=VISIT_PROBS)
    mjd = np.full((n_fields, MAX_VISITS), np.nan)
    mjd[:, 0] = np.round(rng.uniform(MJD_2000 + 80.0, MJD_2019, n_fields), 5)
    factor = rng.lognormal(-0.5 * 0.3**2, 0.3, n_fields)
    depth = rng.lognormal(np.log(DEPTH_MEDIAN), 0.5, n_fields)
    no_obsid = np.full(mjd.shape, -1, dtype=np.int64)
    return with_sky(rng, ra, dec, l, b, counts, n_visits, mjd, no_obsid, factor, depth, XMM_RADIUS_ARCMIN)


@dataclass
class OwnBatch:
    tables: dict[str, pa.Table]  # xmm (no SRCID yet: see xmm_table), gaia, tmass, allwise
    detected: Detected
    truth: pa.Table


def build_own_batch(
    rng: np.random.Generator,
    fields: Fields,
    batch: np.ndarray,
    td: TrainingSet,
    first_gaia_id: int,
    first_field_id: int,
) -> OwnBatch:
    """Every row the XMM-only fields ``batch`` add: 3XMM rows, MW rows (counterparts and
    background of the 16' disc) and truth; XMM field ids count from ``first_field_id``."""
    # Candidates are drawn CANDIDATES_PER_SOURCE times over and the first detected ones (DET_ML
    # >= 6 where they sit) kept: a floor on the significance instead piled a quarter of the
    # sources onto DET_ML = 6 exactly.
    fid = np.repeat(batch, fields.n_sources[batch] * CANDIDATES_PER_SOURCE)
    src = draw_sources(rng, td, fields.in_plane[fid])
    pa_, sep = uniform_in_disc(rng, len(fid), fields.radius_arcmin / 60.0)
    theta = sep * 60.0
    snr = src["snr_td"] * fields.depth[fid] * XMM_SNR_GAIN * offaxis_snr_factor(theta)
    sig = snr * rng.lognormal(0.0, 0.1, len(fid))
    seen = sig >= np.sqrt(2.0 * DET_ML_MIN)
    detected_so_far = np.cumsum(seen)
    before_field = np.r_[0, detected_so_far][np.searchsorted(fid, fid)]  # fid is sorted
    rank = detected_so_far - 1 - before_field  # of a detected candidate among its field's
    keep = np.flatnonzero(seen & (rank < fields.n_sources[fid]))
    fid, sig, theta, pa_, sep = fid[keep], sig[keep], theta[keep], pa_[keep], sep[keep]
    src = {k: v[keep] for k, v in src.items()}
    kin = counterparts.kinematics(rng, src)
    true_ra, true_dec = offset_by(fields.ra[fid], fields.dec[fid], pa_, sep)
    mjd0 = fields.mjd0[fid]
    det = measure(rng, true_ra, true_dec, sig, theta, src, mjd0, fields.n_visits[fid])
    epoch_x = mjd_to_year(mjd0)
    pop = background.field_population(rng, fields, batch)
    tables, matches = mw_tables(rng, src, kin, true_ra, true_dec, epoch_x, pop, first_gaia_id)
    truth = truth_table(det.names, src, fid + first_field_id, matches, true_ra, true_dec)
    truth = truth.rename_columns(["xmm_field_id" if c == "field_id" else c for c in truth.column_names])
    truth = truth.add_column(5, "csc_name", pa.nulls(truth.num_rows, pa.string()))
    return OwnBatch(tables, det, truth)


def own_fields_table(fields: Fields, first_field_id: int) -> pd.DataFrame:
    n = len(fields)
    return pd.DataFrame(
        {
            "xmm_field_id": first_field_id + np.arange(n, dtype=np.int64),
            "csc_field_id": np.full(n, -1, dtype=np.int64),
            "ra": fields.ra,
            "dec": fields.dec,
            "radius_arcmin": fields.radius_arcmin,
            "n_visits": fields.n_visits,
            "mjd_start": fields.mjd0,
            "depth": fields.depth,
        }
    )
