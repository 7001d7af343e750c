"""New Chandra observations of the synthetic sky, for incremental updates (``synth
--new-observations N``), deterministic (stream ``default_rng([seed, 2, k])`` for observation k)
and with truth.

Three of every four are re-observations of an existing field: every master source of the field
is detected again at its catalogue position scattered by its error, with its band fluxes
scattered by their errors, and the variable sources (inter-observation variability probability
above 0.9) brightened or dimmed by a factor 10^N(0, 0.3). Every fourth is a field never observed
before: the sources of a random existing field moved, as a block, to a new centre at least 1 deg
from every field. The synthetic Gaia/2MASS/WISE catalogs only cover the X-ray fields, so the
sources of a new field have no counterparts and are classified from their X-rays; and the
synthetic positions carry no pointing error, so the updates of the synthetic sky run without
the astrometric tie (``--no-astrometry``; the tie is tested on real data and with known shifts).

Each observation is one Parquet file ``new_observations/<obsid>.parquet`` in the layout of CSC
per-observation tables (``catalogs/csc_per_obs.yaml``: 95% error ellipses, ``flux_aper90_*``
with their ``lolim``/``hilim``); ``new_observations/truth.parquet`` gives for every detection the
true master source (its name in the sky, or a new name for a new field's source) and its class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from astropy import units as u
from astropy.coordinates import SkyCoord

#: ObsIDs of new observations start here (the sky's own ObsIDs stay below 30,000)
FIRST_OBSID = 40_000
NEW_FIELD_EVERY = 4
MIN_SEPARATION_DEG = 1.0
VARIABLE = 0.9
BANDS = "smhb"
R95_PER_SIGMA = 2.4477


def _master(sky: Path) -> pd.DataFrame:
    parts = sorted((sky / "csc_master").glob("*.parquet"))
    master = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    truth = pq.read_table(sky / "truth.parquet", columns=["name", "Class", "field_id"]).to_pandas()
    return master.merge(truth, on="name", how="left", validate="one_to_one")


def _new_centre(rng: np.random.Generator, fields: pd.DataFrame) -> tuple[float, float]:
    taken = SkyCoord(fields["ra"].to_numpy() * u.deg, fields["dec"].to_numpy() * u.deg)
    while True:
        z = rng.uniform(-0.9, 0.9)
        c = SkyCoord(rng.uniform(0, 360) * u.deg, np.degrees(np.arcsin(z)) * u.deg)
        if c.separation(taken).min().deg >= MIN_SEPARATION_DEG:
            return float(c.ra.deg), float(c.dec.deg)


def observation(
    rng: np.random.Generator, master: pd.DataFrame, fields: pd.DataFrame, obsid: int, new_field: bool
):
    """(the detections table, its truth) of one new observation."""
    field_id = int(rng.choice(fields["field_id"].to_numpy()))
    src = master.loc[master["field_id"] == field_id].reset_index(drop=True)
    n = len(src)
    ra, dec = src["ra"].to_numpy(float), src["dec"].to_numpy(float)
    names = src["name"].astype(str).to_numpy()
    if new_field:  # the same sky pattern, moved to a place no field covers
        centre = SkyCoord(
            fields.loc[fields["field_id"] == field_id, "ra"].iloc[0] * u.deg,
            fields.loc[fields["field_id"] == field_id, "dec"].iloc[0] * u.deg,
        )
        east, north = centre.spherical_offsets_to(SkyCoord(ra * u.deg, dec * u.deg))
        to = SkyCoord(*_new_centre(rng, fields), unit="deg")
        moved = to.spherical_offsets_by(east, north)
        ra, dec = moved.ra.deg, moved.dec.deg
        names = np.array([f"new {obsid}-{i}" for i in range(n)], dtype=object)
    sigma = src["err_ellipse_r0"].to_numpy(float) / R95_PER_SIGMA
    pos = SkyCoord(ra * u.deg, dec * u.deg).spherical_offsets_by(
        rng.normal(0, 1, n) * sigma * u.arcsec, rng.normal(0, 1, n) * sigma * u.arcsec
    )
    variable = src["var_inter_prob"].fillna(0).to_numpy(float) > VARIABLE
    common = 10 ** np.where(variable, rng.normal(0, 0.3, n), 0.0)
    table = {
        "name": [f"{obsid}-{i}" for i in range(n)],
        "obsid": np.full(n, obsid, dtype=np.int64),
        "ra": pos.ra.wrap_at(360 * u.deg).deg,
        "dec": pos.dec.deg,
        "err_ellipse_r0": src["err_ellipse_r0"].to_numpy(float),
        "err_ellipse_r1": src["err_ellipse_r1"].to_numpy(float),
        "err_ellipse_ang": src["err_ellipse_ang"].to_numpy(float),
        "significance": np.round(src["significance"].to_numpy(float) * 10 ** rng.normal(0, 0.05, n), 2),
        "kp_intra_prob_b": src["kp_intra_prob_b"].to_numpy(float),
        "nh_gal": src["nh_gal"].to_numpy(float),
        "gti_mjd_obs": np.full(n, 59945.0 + 30 * (obsid - FIRST_OBSID)),  # 2023 onwards
    }
    for b in BANDS:
        f, e = src[f"flux_aper90_ave_{b}"].to_numpy(float), src[f"e_flux_aper90_ave_{b}"].to_numpy(float)
        drawn = np.abs(f * common + rng.normal(0, 1, n) * np.nan_to_num(e))
        table[f"flux_aper90_{b}"] = drawn
        table[f"flux_aper90_lolim_{b}"] = np.clip(drawn - e, 0, None)
        table[f"flux_aper90_hilim_{b}"] = drawn + e
    truth = pd.DataFrame(
        {
            "obsid": obsid,
            "detection": table["name"],
            "name": names,
            "Class": src["Class"].astype(str).to_numpy(),
            "new_field": new_field,
            "variable": variable,
        }
    )
    return pd.DataFrame(table), truth


def write_new_observations(sky: Path, n: int, seed: int) -> list[Path]:
    """Write ``n`` new observations of the sky at ``sky`` (its staging directory)."""
    if n <= 0:
        return []
    master = _master(sky)
    fields = pq.read_table(sky / "fields.parquet").to_pandas()
    if "field_id" not in fields:
        fields = fields.assign(field_id=np.arange(len(fields)))
    fields = fields.loc[fields["field_id"].isin(master["field_id"].unique())]
    out = sky / "new_observations"
    out.mkdir()
    truths, paths = [], []
    for k in range(n):
        obsid = FIRST_OBSID + k
        rng = np.random.default_rng([seed, 2, k])
        table, truth = observation(
            rng, master, fields, obsid, new_field=(k % NEW_FIELD_EVERY == NEW_FIELD_EVERY - 1)
        )
        path = out / f"{obsid}.parquet"
        table.to_parquet(path, index=False)
        truths.append(truth)
        paths.append(path)
    pd.concat(truths, ignore_index=True).to_parquet(out / "truth.parquet", index=False)
    return paths
