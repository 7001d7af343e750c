"""Fold observations into an X-ray master catalog: the step an incremental update and a full
run with ``observations.files`` share, so that both give the same master sources.

For each observation (ObsID order): the master sources around it (a cone over its sources plus
a margin), its astrometric tie to Gaia, then :func:`muwclass.update.masters.apply_observations`
over all of them at once. New sources take the Galactic column density of their nearest
existing neighbour (the same field; the column varies on degree scales). A new source that falls
outside every HEALPix pixel of the catalog is reported (match class ``outside``) and not placed:
the release's partitions are fixed between versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.coordinates import SkyCoord
from hats.pixel_math import HealpixPixel

from muwclass.config.run import ObservationsConfig
from muwclass.io.hats_pixels import HEALPIX, pixel_index, pixel_key, with_spatial_index
from muwclass.io.storage import read_parquet
from muwclass.runtime.numba_cache import cache_hats_kernels
from muwclass.runtime.progress import console
from muwclass.update import astrometry
from muwclass.update.masters import NEW, apply_observations
from muwclass.update.observations import Observation

cache_hats_kernels()  # hats's alignment and MOC kernels: compiled once per machine, not per process

#: detections are matched to master sources within this margin around an observation's sources
CONE_MARGIN_ARCMIN = 1.0
OUTSIDE = "outside"


@dataclass
class Folded:
    recomputed: pd.DataFrame  # affected and new master sources (inside the pixels)
    matches: pd.DataFrame  # every detection: obsid, detection, master_id, match_class, ...
    astrometry: list[dict] = field(default_factory=list)
    pixels: list[HealpixPixel] = field(default_factory=list)  # touched pixels

    def summary(self) -> dict:
        new = self.matches.loc[self.matches["match_class"] == NEW, "master_id"]
        is_new = self.recomputed["source_id"].isin(new)
        return {
            "astrometry": self.astrometry,
            "match_classes": {
                str(k): v
                for k, v in self.matches.groupby(["obsid", "match_class"])
                .size()
                .unstack(fill_value=0)
                .to_dict("index")
                .items()
            },
            "master_sources_recomputed": int((~is_new).sum()),
            "master_sources_new": int(is_new.sum()),
            "pixels_recomputed": [pixel_key(p) for p in self.pixels],
        }


def cone(catalog, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of an lsdb catalog within the circle around ``rows`` (plus the margin)."""
    c = SkyCoord(rows["ra"].to_numpy(float) * u.deg, rows["dec"].to_numpy(float) * u.deg)
    centre = SkyCoord(c.cartesian.mean(), representation_type="cartesian").spherical
    ra, dec = float(centre.lon.wrap_at(360 * u.deg).deg), float(centre.lat.deg)
    radius = float(SkyCoord(ra * u.deg, dec * u.deg).separation(c).max().arcsec) + CONE_MARGIN_ARCMIN * 60
    return pd.DataFrame(catalog.cone_search(ra, dec, radius).compute(progress_bar=False)).reset_index(
        drop=True
    )


def fold(
    settings: ObservationsConfig,
    masters_catalog,
    gaia_catalog,
    observations: list[Observation],
    pixels: list[HealpixPixel],
    taken_names: set[str],
) -> Folded:
    """Tie, match and recompute (lsdb catalogs in; ``gaia_catalog`` None = no astrometry)."""
    solutions, applied, near = [], [], []
    tie = astrometry.AstrometrySettings(
        min_matches=settings.min_matches, match_radius_arcsec=settings.match_radius_arcsec
    )
    for o in sorted(observations, key=lambda o: o.obsid):
        detections = o.detections
        if len(detections) == 0:
            continue
        if gaia_catalog is not None:
            solution = astrometry.solve(o.obsid, detections, cone(gaia_catalog, detections), tie)
            detections = astrometry.apply(detections, solution)
            solutions.append(solution.as_dict())
            console.print(
                f"ObsID {o.obsid}: tied to Gaia with {solution.matches} matches, shift "
                f'({solution.shift_east_arcsec:+.3f}", {solution.shift_north_arcsec:+.3f}"); RMS residual '
                f'{solution.residual_before_arcsec:.3f}" -> {solution.residual_after_arcsec:.3f}"'
            )
        applied.append((o.obsid, detections))
        near.append(cone(masters_catalog, detections))
    masters = (
        pd.concat(near, ignore_index=True).drop_duplicates("source_id").reset_index(drop=True)
        if near
        else pd.DataFrame(columns=["source_id", "ra", "dec", "err_maj", "err_min"])
    )
    masters = masters.drop(columns=[HEALPIX], errors="ignore")
    recomputed, matches = apply_observations(masters, applied, taken_names)
    recomputed = _with_neighbour_nh(recomputed, masters)
    where = pixel_index(with_spatial_index(recomputed)[HEALPIX].to_numpy(), pixels) if len(recomputed) else []
    where = np.asarray(where, dtype=np.int64)
    outside = recomputed.loc[where < 0, "source_id"].astype(str)
    if len(outside):
        console.print(
            f"[yellow]{len(outside)} new sources lie outside every partition of the catalog; "
            f"they are listed with match class '{OUTSIDE}' and not added[/]"
        )
        matches.loc[matches["master_id"].isin(outside), "match_class"] = OUTSIDE
    recomputed = recomputed.loc[where >= 0].reset_index(drop=True)
    touched = sorted({pixels[i] for i in where[where >= 0]})
    return Folded(recomputed, matches, solutions, touched)


def master_names(catalog) -> set[str]:
    """The name of every master source in an lsdb catalog (new sources must not take one)."""
    return set(catalog[["source_id"]].compute(progress_bar=False)["source_id"].astype(str))


def touched_rows(files: dict[HealpixPixel, Path], folded: Folded) -> pd.DataFrame:
    """The X-ray master rows of the touched pixels (partition ``files``) with the recomputed
    and new sources in (:func:`replace_rows`); empty when no pixel was touched."""
    old = [read_parquet(files[p]).to_pandas() for p in folded.pixels]
    return replace_rows(pd.concat(old, ignore_index=True), folded.recomputed) if old else pd.DataFrame()


def replace_rows(rows: pd.DataFrame, recomputed: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (X-ray master rows of some pixels) with the recomputed sources replacing theirs
    and the new ones added, in ``rows``'s columns and dtypes; the spatial index recomputed."""
    replaced = rows["source_id"].astype(str).isin(recomputed["source_id"].astype(str))
    columns = [c for c in rows.columns if c != HEALPIX]
    out = pd.concat([rows.loc[~replaced, columns], _conform(recomputed, rows[columns])], ignore_index=True)
    return with_spatial_index(out)[[*columns, HEALPIX]] if HEALPIX in rows else out


def _with_neighbour_nh(recomputed: pd.DataFrame, masters: pd.DataFrame) -> pd.DataFrame:
    if "nh_gal" not in masters or not len(recomputed):
        return recomputed
    known = masters.dropna(subset=["nh_gal"])
    missing = (
        recomputed["nh_gal"].isna().to_numpy()
        if "nh_gal" in recomputed
        else np.ones(len(recomputed), dtype=bool)
    )
    if not len(known) or not missing.any():
        return recomputed
    c = SkyCoord(
        recomputed.loc[missing, "ra"].to_numpy(float) * u.deg,
        recomputed.loc[missing, "dec"].to_numpy(float) * u.deg,
    )
    k = SkyCoord(known["ra"].to_numpy(float) * u.deg, known["dec"].to_numpy(float) * u.deg)
    idx, _, _ = c.match_to_catalog_sky(k)
    out = recomputed.copy()
    out.loc[missing, "nh_gal"] = known["nh_gal"].to_numpy(float)[idx]
    return out


def _conform(recomputed: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """``recomputed`` with exactly ``like``'s columns and dtypes (missing ones empty)."""
    out = {}
    for c in like.columns:
        values = (
            recomputed[c] if c in recomputed else pd.Series([None] * len(recomputed), index=recomputed.index)
        )
        dtype = like[c].dtype
        if dtype.kind == "f":
            values = pd.to_numeric(values, errors="coerce")
        elif dtype.kind == "b":
            values = values.fillna(False)
        out[c] = values.astype(dtype)
    return pd.DataFrame(out, index=recomputed.index)


def fold_catalog(cfg, observations: list[Observation], catalog_dir, out_dir) -> Folded:
    """A full run's folding: ``observations`` into the HATS catalog at ``catalog_dir``, written
    to ``out_dir`` (touched pixels rewritten, the others hard-linked) and published atomically."""

    import lsdb

    from muwclass.io.atomic import current, partial_dir, publish
    from muwclass.io.hats_pixels import catalog_files, write_pixel_catalog

    files = catalog_files(catalog_dir)
    pixels = list(files)
    masters = lsdb.read_hats(catalog_dir)
    gaia = lsdb.read_hats(current(cfg.layout.catalog("gaia"))) if cfg.observations.astrometry else None
    folded = fold(cfg.observations, masters, gaia, observations, pixels, master_names(masters))
    rows = touched_rows(files, folded)
    tmp = partial_dir(out_dir)
    shared = {p: f for p, f in files.items() if p not in folded.pixels}
    write_pixel_catalog(tmp, out_dir.name, pixels, rows, shared)
    publish(tmp, out_dir, "hats")
    return folded
