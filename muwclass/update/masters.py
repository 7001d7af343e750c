"""New detections against the master sources: match, classify the match, recompute.

Matching follows CSC's Master Match: a detection and a master source are the same object when
their separation is consistent with both positional errors, ``sep^2 / (s_det^2 + s_master^2)
<= MATCH_CHI2`` (1-sigma circularised errors; 11.83 = the 99.73% point of a chi-square with two
degrees of freedom, i.e. "3 sigma" in two dimensions). Each detection gets a match class:

* ``new``: no master source is consistent: it becomes a new master source, named in the CSC
  convention (``2CXO Jhhmmss.s+ddmmss``, truncated, as CSC names are);
* ``simple``: exactly one master source, claimed by no other detection of the same observation;
* ``confused``: several master sources, or a master source claimed by two detections of one
  observation (a blend resolved differently): flagged in the update report and not merged.

Observations are applied in ObsID order; a detection may match a master source created by an
earlier observation of the same update (a new source seen twice is one source).

Each affected master source is then recomputed from everything known about it: its previous
values (the catalogue does not carry the individual detections of its master sources, so the
previous master is one pseudo-detection with its averaged values and errors) and its new
detections. Inverse-variance means are associative, so folding the new detections into the
previous average gives exactly the average over all detections: position (weighted by the
positional errors), band fluxes (weighted by the flux errors), with the combined errors.
Significance and intra-observation variability take the maximum over detections (MUWCLASS's
``significance_max`` and ``kp_prob_b_max``); inter-observation variability is the chi-square
probability that the broad-band fluxes are not constant, or the previous value where that is
higher (the previous detections' own scatter is not in the catalogue).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.coordinates import SkyCoord
from scipy import stats

from muwclass.config.schema import XRAY_BANDS

MATCH_CHI2 = float(stats.chi2.ppf(0.9973, 2))  # 11.83
NEW, SIMPLE, CONFUSED = "new", "simple", "confused"
MATCH_COLUMNS = ["obsid", "detection", "master_id", "match_class", "separation_arcsec", "candidates"]


def values(rows: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as floats (missing = NaN, also in a column of mixed rows)."""
    if column not in rows:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[column], errors="coerce").astype("float64").to_numpy(na_value=np.nan)


def sigma(rows: pd.DataFrame) -> np.ndarray:
    """Circularised 1-sigma positional error (arcsec)."""
    return np.sqrt(values(rows, "err_maj") * values(rows, "err_min"))


def csc_name(ra: float, dec: float, prefix: str = "2CXO") -> str:
    """``2CXO Jhhmmss.s+ddmmss`` with truncated (not rounded) fields, as CSC builds its names."""
    c = SkyCoord(ra * u.deg, dec * u.deg)
    h, m, s = c.ra.hms
    tenths = int(np.floor(round(s * 10, 6)))
    sign = "-" if dec < 0 else "+"
    d, dm, ds = (abs(v) for v in c.dec.dms)
    return f"{prefix} J{int(h):02d}{int(m):02d}{tenths // 10:02d}.{tenths % 10}{sign}{int(d):02d}{int(dm):02d}{int(np.floor(round(ds, 6))):02d}"


def match_observation(detections: pd.DataFrame, masters: pd.DataFrame) -> pd.DataFrame:
    """Match class of every detection of one observation against ``masters`` (MATCH_COLUMNS)."""
    n = len(detections)
    out = pd.DataFrame(
        {
            "obsid": detections["obsid"].to_numpy(),
            "detection": detections["source_id"].astype(str).to_numpy(),
            "master_id": pd.array([None] * n, dtype="string"),
            "match_class": NEW,
            "separation_arcsec": np.nan,
            "candidates": 0,
        }
    )
    if n == 0 or len(masters) == 0:
        return out
    det = SkyCoord(detections["ra"].to_numpy(float) * u.deg, detections["dec"].to_numpy(float) * u.deg)
    mas = SkyCoord(masters["ra"].to_numpy(float) * u.deg, masters["dec"].to_numpy(float) * u.deg)
    s_det, s_mas = sigma(detections), sigma(masters)
    reach = np.sqrt(MATCH_CHI2 * (s_det.max() ** 2 + s_mas.max() ** 2))
    idet, imas, sep, _ = mas.search_around_sky(det, reach * u.arcsec)
    sep = sep.to_value(u.arcsec)
    ok = sep**2 / (s_det[idet] ** 2 + s_mas[imas] ** 2) <= MATCH_CHI2
    idet, imas, sep = idet[ok], imas[ok], sep[ok]
    candidates = np.bincount(idet, minlength=n)
    claims = np.bincount(imas, minlength=len(masters))
    out["candidates"] = candidates
    one = candidates[idet] == 1
    simple = one & (claims[imas] == 1)
    ids = masters["source_id"].astype(str).to_numpy()
    out.loc[idet[simple], "master_id"] = ids[imas[simple]]
    out.loc[idet[simple], "separation_arcsec"] = sep[simple]
    confused = np.unique(idet[~simple])
    out.loc[confused, "match_class"] = CONFUSED
    out.loc[idet[simple], "match_class"] = SIMPLE
    return out


def _weighted(values: np.ndarray, errors: np.ndarray) -> tuple[float, float]:
    ok = np.isfinite(values) & np.isfinite(errors) & (errors > 0)
    if not ok.any():
        return np.nan, np.nan
    w = 1.0 / errors[ok] ** 2
    return float(np.sum(w * values[ok]) / w.sum()), float(1.0 / np.sqrt(w.sum()))


def combine(previous: pd.Series | None, detections: pd.DataFrame, name: str) -> dict:
    """One master source from its previous values (None for a new source) and new detections."""
    parts = (
        detections if previous is None else pd.concat([previous.to_frame().T, detections], ignore_index=True)
    )
    s = sigma(parts)
    w = 1.0 / np.maximum(s, 1e-3) ** 2
    xyz = SkyCoord(values(parts, "ra") * u.deg, values(parts, "dec") * u.deg).cartesian.xyz.value
    mean = SkyCoord(*(np.sum(w * xyz, axis=1) / w.sum()), representation_type="cartesian").spherical
    err = float(1.0 / np.sqrt(w.sum()))
    row: dict = {} if previous is None else previous.to_dict()
    row.update(
        source_id=name,
        ra=float(mean.lon.wrap_at(360 * u.deg).deg),
        dec=float(mean.lat.deg),
        err_maj=err,
        err_min=err,
        err_pa=0.0,
        epoch=float(np.sum(w * values(parts, "epoch")) / w.sum()),
        significance=_max(values(parts, "significance")),
    )
    for b in XRAY_BANDS:
        flux, e = _weighted(values(parts, f"flux_{b}"), values(parts, f"e_flux_{b}"))
        if np.isfinite(flux):
            row[f"flux_{b}"], row[f"e_flux_{b}"] = flux, e
    row["var_intra_prob"] = _max(values(parts, "var_intra_prob"))
    row["var_inter_prob"] = inter_variability(
        parts, None if previous is None else previous.get("var_inter_prob")
    )
    return row


def _max(v: np.ndarray) -> float:
    return float(np.nanmax(v)) if np.isfinite(v).any() else np.nan


def inter_variability(parts: pd.DataFrame, previous: float | None) -> float:
    """Probability that the broad-band fluxes of ``parts`` are not constant (chi-square test
    about their weighted mean), or ``previous`` where that is higher."""
    f, e = values(parts, "flux_b"), values(parts, "e_flux_b")
    ok = np.isfinite(f) & np.isfinite(e) & (e > 0)
    p = np.nan
    if ok.sum() >= 2:
        mean, _ = _weighted(f[ok], e[ok])
        chi2 = float(np.sum(((f[ok] - mean) / e[ok]) ** 2))
        p = float(stats.chi2.cdf(chi2, ok.sum() - 1))
    if previous is not None and not pd.isna(previous):
        p = previous if not np.isfinite(p) else max(p, float(previous))
    return p


def apply_observations(
    masters: pd.DataFrame, observations: list[tuple[int, pd.DataFrame]], taken_names: set[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fold ``observations`` ((obsid, detections) in any order) into ``masters``.

    Returns (the recomputed master sources: every affected one and every new one, in the
    internal schema; the match table of every detection, MATCH_COLUMNS)."""
    masters = masters.reset_index(drop=True)
    taken = set(taken_names or ()) | set(masters["source_id"].astype(str))
    known = masters.copy()
    contributions: dict[str, list[pd.DataFrame]] = {}
    created: dict[str, pd.DataFrame] = {}
    tables = []
    for _obsid, detections in sorted(observations, key=lambda o: o[0]):
        detections = detections.reset_index(drop=True)
        matched = match_observation(detections, known)
        new_rows = []
        for i in np.flatnonzero((matched["match_class"] == NEW).to_numpy()):
            d = detections.iloc[i]
            name = _free_name(csc_name(float(d["ra"]), float(d["dec"])), taken)
            taken.add(name)
            matched.loc[i, "master_id"] = name
            created[name] = detections.iloc[[i]]
            new_rows.append(combine(None, detections.iloc[[i]], name))
        for i in np.flatnonzero((matched["match_class"] == SIMPLE).to_numpy()):
            contributions.setdefault(matched.loc[i, "master_id"], []).append(detections.iloc[[i]])
        if new_rows:  # later observations may see these sources again
            known = pd.concat([known, pd.DataFrame(new_rows)], ignore_index=True)
        tables.append(matched)
    by_id = masters.set_index(masters["source_id"].astype(str))
    rows = []
    for name in sorted(set(contributions) | set(created)):
        dets = pd.concat([created.get(name, pd.DataFrame()), *contributions.get(name, [])], ignore_index=True)
        previous = by_id.loc[name] if name in by_id.index else None
        rows.append(combine(previous, dets, name))
    recomputed = pd.DataFrame(
        rows, columns=list(dict.fromkeys([*masters.columns, *(rows[0] if rows else {})]))
    )
    return recomputed, pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=MATCH_COLUMNS)


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or with a letter appended when another source already has it (two new sources
    within 0.1" of RA and 1" of Dec share the truncated name)."""
    if name not in taken:
        return name
    for suffix in "abcdefghijklmnopqrstuvwxyz":
        if f"{name}{suffix}" not in taken:
            return f"{name}{suffix}"
    raise ValueError(f"more than 26 new sources named {name}")
