"""The synthetic CSC-like sky: X-ray fields, Gaia/2MASS/WISE-like catalogs and the truth.

Fields are generated in batches; every batch draws from its own random stream
(``default_rng([seed, batch])``), so the output is byte-identical for a seed and memory stays
bounded by one batch. Catalog files roll over at ``ROWS_PER_FILE`` rows.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from muwclass import __version__
from muwclass.progress import progress_bar
from muwclass.synth.geometry import FIELD_RADIUS_ARCMIN, RIM_ARCMIN, field_centres, offset_by, uniform_in_disc
from muwclass.synth.population import load_training, draw_sources

FULL_SOURCES = 317_000
FULL_FIELDS = 3_000
FIELDS_PER_BATCH = 60
ROWS_PER_FILE = 2_000_000
R95_PER_SIGMA = 2.447746830680816
GAIA_EPOCH, TMASS_EPOCH, WISE_EPOCH = 2016.0, 1999.0, 2010.5
# Background densities per deg^2: base + plane term exp(-|b| / scale_height).
GAIA_BASE, GAIA_PLANE, GAIA_SCALE_DEG = 1.5e4, 1.4e5, 6.0
TMASS_FRACTION, WISE_FRACTION = 0.25, 0.33


class RollingWriter:
    """Parquet parts of at most ``ROWS_PER_FILE`` rows with one fixed schema."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.index = 0
        self.rows_in_file = 0
        self.total = 0
        self.writer: pq.ParquetWriter | None = None
        self.files: list[str] = []

    def write(self, table: pa.Table) -> None:
        start = 0
        while start < table.num_rows:
            if self.writer is None:
                path = self.folder / f"part-{self.index:05d}.parquet"
                self.writer = pq.ParquetWriter(path, table.schema, compression="snappy")
                self.files.append(str(path))
            take = min(ROWS_PER_FILE - self.rows_in_file, table.num_rows - start)
            self.writer.write_table(table.slice(start, take), row_group_size=500_000)
            start += take
            self.rows_in_file += take
            self.total += take
            if self.rows_in_file >= ROWS_PER_FILE:
                self.close()
                self.index += 1
                self.rows_in_file = 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _mjd_to_year(mjd: np.ndarray) -> np.ndarray:
    return 2000.0 + (mjd - 51544.5) / 365.25


def _sexagesimal_names(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """CSC-style names '2CXO JHHMMSS.s+DDMMSS', made unique with a suffix if they collide."""
    h = ra / 15.0
    hh = np.floor(h).astype(int)
    mm = np.floor((h - hh) * 60).astype(int)
    ss = (h - hh - mm / 60) * 3600
    sign = np.where(dec < 0, "-", "+")
    ad = np.abs(dec)
    dd = np.floor(ad).astype(int)
    dm = np.floor((ad - dd) * 60).astype(int)
    ds = np.floor((ad - dd - dm / 60) * 3600).astype(int)
    ss10 = np.minimum(np.floor(ss * 10).astype(int), 599)
    names = pd.Series(
        [f"2CXO J{a:02d}{b:02d}{c // 10:02d}.{c % 10}{s}{d:02d}{e:02d}{f:02d}" for a, b, c, s, d, e, f in zip(hh, mm, ss10, sign, dd, dm, np.minimum(ds, 59))]
    )
    dup = names.groupby(names).cumcount()
    return np.where(dup > 0, names + "_" + dup.astype(str), names).astype(object)


def _background_counts(rng, b_deg: np.ndarray, area_deg2: float, fraction: float) -> np.ndarray:
    density = (GAIA_BASE + GAIA_PLANE * np.exp(-np.abs(b_deg) / GAIA_SCALE_DEG)) * fraction
    return rng.poisson(density * area_deg2)


def _gaia_background(rng, n: int) -> dict[str, np.ndarray]:
    g = np.clip(21.0 - rng.exponential(1.6, n), 6.0, 21.0)
    e_g = 0.0003 + 0.01 * 10 ** (0.4 * (g - 20))
    return {
        "Gmag": g, "e_Gmag": e_g,
        "BPmag": g + rng.uniform(0.1, 1.4, n), "e_BPmag": 3 * e_g + 0.002,
        "RPmag": g - rng.uniform(0.3, 1.3, n), "e_RPmag": 2 * e_g + 0.002,
        "pmRA": rng.normal(0, 5, n), "pmDE": rng.normal(0, 5, n),
        "Plx": rng.normal(0.4, 0.5, n),
    }


def _gaia_table(ids, ra, dec, cols, rng) -> pa.Table:
    n = len(ids)
    g = cols["Gmag"]
    e_pos_mas = 0.02 + 0.4 * 10 ** (0.2 * (np.nan_to_num(g, nan=20.0) - 20))
    return pa.table({
        "Source": pa.array(ids, pa.int64()),
        "RA_ICRS": ra, "DE_ICRS": dec,
        "e_RA_ICRS": e_pos_mas, "e_DE_ICRS": e_pos_mas * rng.uniform(0.8, 1.2, n),
        "Plx": cols["Plx"], "e_Plx": 1.2 * e_pos_mas,
        "pmRA": cols["pmRA"], "e_pmRA": 1.3 * e_pos_mas,
        "pmDE": cols["pmDE"], "e_pmDE": 1.3 * e_pos_mas,
        "Gmag": g, "e_Gmag": cols["e_Gmag"],
        "BPmag": cols["BPmag"], "e_BPmag": cols["e_BPmag"],
        "RPmag": cols["RPmag"], "e_RPmag": cols["e_RPmag"],
        "RUWE": rng.lognormal(0.0, 0.1, n),
    })


def _ir_table(kind: str, ids, ra, dec, mags: dict[str, np.ndarray], rng) -> pa.Table:
    n = len(ids)
    if kind == "tmass":
        err = rng.uniform(0.06, 0.15, n)
        return pa.table({
            "_2MASS": pa.array(ids, pa.string()), "RAJ2000": ra, "DEJ2000": dec,
            "errMaj": err, "errMin": err * rng.uniform(0.8, 1.0, n), "errPA": rng.uniform(0, 180, n),
            **{k: mags[k] for k in ("Jmag", "e_Jmag", "Hmag", "e_Hmag", "Kmag", "e_Kmag")},
            "Qflg": pa.array(np.full(n, "AAA"), pa.string()),
        })
    err = rng.uniform(0.05, 0.4, n)
    return pa.table({
        "AllWISE": pa.array(ids, pa.string()), "RAJ2000": ra, "DEJ2000": dec,
        "eeMaj": err, "eeMin": err * rng.uniform(0.8, 1.0, n), "eePA": rng.uniform(0, 180, n),
        **{k: mags[k] for k in ("W1mag", "e_W1mag", "W2mag", "e_W2mag", "W3mag", "e_W3mag", "W4mag", "e_W4mag")},
    })


def _ir_background(rng, kind: str, n: int) -> dict[str, np.ndarray]:
    if kind == "tmass":
        j = np.clip(17.0 - rng.exponential(1.5, n), 5, 17.5)
        h, k = j - rng.uniform(0.1, 0.7, n), j - rng.uniform(0.2, 1.0, n)
        e = 0.02 + 0.1 * 10 ** (0.4 * (j - 17))
        return {"Jmag": j, "e_Jmag": e, "Hmag": h, "e_Hmag": e * 1.2, "Kmag": k, "e_Kmag": e * 1.4}
    w1 = np.clip(17.0 - rng.exponential(1.5, n), 5, 17.5)
    e = 0.02 + 0.1 * 10 ** (0.4 * (w1 - 17))
    w3 = np.where(rng.uniform(size=n) < 0.3, w1 - rng.uniform(0, 2, n), np.nan)
    return {
        "W1mag": w1, "e_W1mag": e, "W2mag": w1 - rng.uniform(-0.1, 0.6, n), "e_W2mag": e * 1.3,
        "W3mag": w3, "e_W3mag": np.where(np.isnan(w3), np.nan, 0.1), "W4mag": np.full(n, np.nan), "e_W4mag": np.full(n, np.nan),
    }


def _batch(rng, fields: np.ndarray, ra0, dec0, b0, counts, mjd0, td, next_id: dict) -> dict[str, pa.Table]:
    """All rows of one batch of fields."""
    n = int(counts[fields].sum())
    fid = np.repeat(fields, counts[fields])
    radius = FIELD_RADIUS_ARCMIN / 60
    pa_, sep = uniform_in_disc(rng, n, radius)
    true_ra, true_dec = offset_by(ra0[fid], dec0[fid], pa_, sep)
    theta = sep * 60  # off-axis angle, arcmin
    r0 = (0.6 + 0.06 * theta**2) * rng.lognormal(0, 0.25, n)
    r1 = r0 * rng.uniform(0.75, 1.0, n)
    ang = rng.uniform(0, 180, n)
    sigma_x = r0 / R95_PER_SIGMA
    off_pa, off = rng.uniform(0, 360, n), sigma_x * np.sqrt(-2 * np.log(rng.uniform(1e-12, 1, n)))
    x_ra, x_dec = offset_by(true_ra, true_dec, off_pa, off / 3600)
    src = draw_sources(rng, td, np.abs(b0[fid]) < 10)
    mjd = mjd0[fid]
    epoch_x = _mjd_to_year(mjd)
    names = _sexagesimal_names(x_ra, x_dec)
    nh = np.where(np.abs(b0[fid]) < 10, 10 ** rng.uniform(21.3, 22.5, n), 10 ** rng.uniform(20.0, 21.0, n)) / 1e20
    csc = pa.table({
        "name": pa.array(names, pa.string()), "ra": x_ra, "dec": x_dec,
        "err_ellipse_r0": r0, "err_ellipse_r1": r1, "err_ellipse_ang": ang,
        "significance": src["snr"].to_numpy(),
        **{f"flux_aper90_ave_{b}": src[f"F{b}"].to_numpy() for b in "smhb"},
        **{f"e_flux_aper90_ave_{b}": src[f"e_F{b}"].to_numpy() for b in "smhb"},
        "kp_intra_prob_b": src["P_intra"].to_numpy(), "var_inter_prob": src["P_inter"].to_numpy(),
        "nh_gal": nh, "powlaw_gamma_mean": rng.normal(1.8, 0.4, n),
        **{f: np.zeros(n, bool) for f in ("extent_flag", "pileup_flag", "sat_src_flag", "streak_src_flag", "conf_flag")},
        "gti_mjd_obs": mjd,
    })
    # Per-observation detections: 1-4 visits per field, each source seen in >= 1 of them.
    visits = 1 + (fields * 7 + 3) % 4
    n_vis = visits[np.searchsorted(fields, fid)]
    seen = rng.uniform(size=(n, 4)) < 0.8
    seen[np.arange(n), rng.integers(0, n_vis)] = True
    seen &= np.arange(4)[None, :] < n_vis[:, None]
    si, vi = np.nonzero(seen)
    k = seen.sum(axis=1)[si]
    p_pa, p_off = rng.uniform(0, 360, len(si)), sigma_x[si] * np.sqrt(k) * np.abs(rng.normal(0, 1, len(si)))
    p_ra, p_dec = offset_by(x_ra[si], x_dec[si], p_pa, p_off / 3600)
    per = pa.table({
        "name": pa.array(names[si], pa.string()), "obsid": (fid[si] * 4 + vi + 10000).astype(np.int64),
        "ra": p_ra, "dec": p_dec, "err_ellipse_r0": r0[si] * np.sqrt(k), "err_ellipse_r1": r1[si] * np.sqrt(k),
        "err_ellipse_ang": ang[si], "significance": src["snr"].to_numpy()[si] / np.sqrt(k),
        **{f"flux_aper90_{b}": src[f"F{b}"].to_numpy()[si] * 10 ** rng.normal(0, 0.1, len(si)) for b in "bsmh"},
        "kp_intra_prob_b": src["P_intra"].to_numpy()[si], "nh_gal": nh[si],
        "gti_mjd_obs": mjd[si] + 120.0 * vi,
    })
    # Counterparts: positions at each catalog's epoch, moved by the proper motion.
    star = src["Class"].to_numpy() != "AGN"
    pm_ra = np.where(star, rng.normal(0, 8, n), 0.0)
    pm_de = np.where(star, rng.normal(0, 8, n), 0.0)
    plx = np.where(star, np.abs(rng.normal(1.0, 0.8, n)), rng.normal(0, 0.3, n))
    out: dict[str, pa.Table] = {"csc_master": csc, "csc_per_obs": per}
    truth = {"name": names, "Class": src["Class"].to_numpy(), "field_id": fid.astype(np.int64)}
    area = np.pi * ((FIELD_RADIUS_ARCMIN + RIM_ARCMIN) / 60) ** 2

    def moved(epoch: float, sigma_arcsec: np.ndarray, m: np.ndarray):
        dt = epoch - epoch_x[m]
        r, d = offset_by(true_ra[m], true_dec[m], np.degrees(np.arctan2(pm_ra[m], pm_de[m])), np.hypot(pm_ra[m], pm_de[m]) * dt / 3.6e6)
        e_pa, e_off = rng.uniform(0, 360, m.sum()), sigma_arcsec * np.sqrt(-2 * np.log(rng.uniform(1e-12, 1, m.sum())))
        return offset_by(r, d, e_pa, e_off / 3600)

    def background(fraction: float):
        nb = _background_counts(rng, b0[fields], area, fraction)
        bf = np.repeat(fields, nb)
        bpa, bsep = uniform_in_disc(rng, len(bf), (FIELD_RADIUS_ARCMIN + RIM_ARCMIN) / 60)
        return offset_by(ra0[bf], dec0[bf], bpa, bsep)

    # Gaia
    has = ~np.isnan(src["Gmag"].to_numpy())
    cra, cdec = moved(GAIA_EPOCH, np.full(has.sum(), 0.0003), has)
    bra, bdec = background(1.0)
    nbg = len(bra)
    bg = _gaia_background(rng, nbg)
    cp = {
        "Gmag": src["Gmag"].to_numpy()[has], "e_Gmag": np.nan_to_num(src["e_Gmag"].to_numpy()[has], nan=0.003),
        "BPmag": src["BPmag"].to_numpy()[has], "e_BPmag": np.nan_to_num(src["e_BPmag"].to_numpy()[has], nan=0.02),
        "RPmag": src["RPmag"].to_numpy()[has], "e_RPmag": np.nan_to_num(src["e_RPmag"].to_numpy()[has], nan=0.02),
        "pmRA": pm_ra[has], "pmDE": pm_de[has], "Plx": plx[has],
    }
    ids = next_id["gaia"] + np.arange(has.sum() + nbg, dtype=np.int64)
    next_id["gaia"] += len(ids)
    gtab = _gaia_table(ids, np.r_[cra, bra], np.r_[cdec, bdec], {k: np.r_[cp[k], bg[k]] for k in cp}, rng)
    out["gaia"] = gtab
    gaia_truth = np.full(n, None, dtype=object)
    gaia_truth[has] = ids[: has.sum()]
    truth["gaia_Source"] = pd.array(gaia_truth, dtype="Int64")
    # 2MASS and AllWISE
    for kind, epoch, frac, bands, sig in (
        ("tmass", TMASS_EPOCH, TMASS_FRACTION, ("Jmag", "Hmag", "Kmag"), 0.1),
        ("allwise", WISE_EPOCH, WISE_FRACTION, ("W1mag", "W2mag", "W3mag"), 0.2),
    ):
        has = ~np.isnan(src[bands[0]].to_numpy())
        cra, cdec = moved(epoch, np.full(has.sum(), sig), has)
        bra, bdec = background(frac)
        bg = _ir_background(rng, kind, len(bra))
        cp = {}
        for k in bg:
            if k in src.columns:
                vals = src[k].to_numpy()[has]
                cp[k] = np.nan_to_num(vals, nan=0.05) if k.startswith("e_") else vals
            else:
                cp[k] = np.full(has.sum(), np.nan)
        start = next_id[kind]
        count = has.sum() + len(bra)
        next_id[kind] += count
        prefix = "T" if kind == "tmass" else "W"
        sid = np.char.add(prefix, np.char.zfill(np.arange(start, start + count).astype(str), 10))
        out[kind] = _ir_table(kind, sid, np.r_[cra, bra], np.r_[cdec, bdec], {k: np.r_[cp[k], bg[k]] for k in bg}, rng)
        t = np.full(n, None, dtype=object)
        t[has] = sid[: has.sum()]
        truth[f"{kind}_{'2MASS' if kind == 'tmass' else 'AllWISE'}"] = pd.array(t, dtype="string")
    out["truth"] = pa.Table.from_pandas(pd.DataFrame(truth), preserve_index=False)
    return out


def generate_sky(out_dir: Path, scale: float = 1.0, seed: int = 42, data_dir: Path = Path("../shared/muwclass-data"), progress: bool = True) -> dict:
    """Write the synthetic sky to ``out_dir`` (replacing it) and return a summary."""
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    out_dir = Path(out_dir)
    td = load_training(Path(data_dir))
    rng = np.random.default_rng([seed, 0])
    n_fields = max(1, int(round(FULL_FIELDS * scale)))
    n_sources = max(n_fields, int(round(FULL_SOURCES * scale)))
    ra0, dec0, b0 = field_centres(rng, n_fields)
    weights = rng.lognormal(0, 0.5, n_fields)
    counts = rng.multinomial(n_sources - n_fields, weights / weights.sum()) + 1
    mjd0 = rng.uniform(51544.5, 58849.5, n_fields)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    names = ("csc_master", "csc_per_obs", "gaia", "tmass", "allwise", "truth")
    writers = {k: RollingWriter(out_dir / k) for k in names}
    next_id = {"gaia": 4_000_000_000_000_000_000, "tmass": 0, "allwise": 0}
    batches = [np.arange(s, min(s + FIELDS_PER_BATCH, n_fields)) for s in range(0, n_fields, FIELDS_PER_BATCH)]
    with progress_bar(progress) as bar:
        task = bar.add_task("synthetic sky", total=len(batches))
        for i, fields in enumerate(batches):
            tables = _batch(np.random.default_rng([seed, i + 1]), fields, ra0, dec0, b0, counts, mjd0, td, next_id)
            for k, t in tables.items():
                writers[k].write(t)
            bar.advance(task)
    for w in writers.values():
        w.close()
    # truth as one file, next to the catalogs
    truth_parts = sorted((out_dir / "truth").glob("*.parquet"))
    pq.write_table(pa.concat_tables([pq.read_table(p) for p in truth_parts]), out_dir / "truth.parquet", compression="snappy")
    shutil.rmtree(out_dir / "truth")
    summary = {
        "seed": seed,
        "scale": scale,
        "fields": n_fields,
        "fields_in_plane": int((np.abs(b0) < 10).sum()),
        "rows": {k: writers[k].total for k in names if k != "truth"},
        "truth_rows": writers["truth"].total,
        "files": {k: [str(Path(f).relative_to(out_dir)) for f in writers[k].files] for k in names if k != "truth"},
        "version": __version__,
    }
    (out_dir / "manifest.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    return summary
