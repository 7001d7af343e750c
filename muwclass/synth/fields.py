"""The Chandra fields of the synthetic sky: where they are, how many sources, when observed.

Fields never overlap (centres at least two MW-disc radii apart): every position of the sky then
belongs to at most one field, so background densities are right everywhere and a catalog's
position-derived designations can only collide inside one batch, where they are resolved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from astropy import units as u
from astropy.coordinates import SkyCoord
from scipy.spatial import cKDTree

from muwclass.synth.geometry import unit_vectors
from muwclass.synth.skymodel import nh_gal, star_density

FIELD_RADIUS_ARCMIN = 8.0
RIM_ARCMIN = 1.0  # MW catalogs extend past the X-ray field so edge sources have all their candidates
MW_RADIUS_DEG = (FIELD_RADIUS_ARCMIN + RIM_ARCMIN) / 60.0
PLANE_B_DEG = 10.0
MAX_VISITS = 4
VISIT_PROBS = (0.45, 0.25, 0.15, 0.15)  # 1, 2, 3, 4 observations of a field
MJD_2000, MJD_2020 = 51544.5, 58849.5
DEPTH_MEDIAN = 0.75
# Edge cases every stage must handle, in the order they are placed: a field over the north
# pole, one across RA = 0/360, one over the south pole, a second across RA = 0/360.
SPECIAL_CENTRES = ((10.0, 89.95), (0.03, 20.0), (200.0, -89.95), (359.97, -35.0))


@dataclass(frozen=True)
class Fields:
    """Per-field arrays (index = field_id)."""

    ra: np.ndarray
    dec: np.ndarray
    l: np.ndarray
    b: np.ndarray
    n_sources: np.ndarray
    n_visits: np.ndarray
    visit_mjd: np.ndarray  # (n, MAX_VISITS), NaN where the field has fewer visits; sorted in time
    visit_obsid: np.ndarray  # (n, MAX_VISITS), -1 where absent
    nh_gal: np.ndarray  # 1e20 cm^-2
    star_density: np.ndarray  # Gaia-like stars per deg^2, including this field's patchiness
    density_factor: (
        np.ndarray
    )  # the patchiness alone (clusters, dark clouds), also applied to IR-only sources
    depth: np.ndarray  # on-axis S/N of a source here relative to its training-set observation
    radius_arcmin: float = FIELD_RADIUS_ARCMIN  # where the field's X-ray sources are (CSC 8', XMM 15')

    def __len__(self) -> int:
        return len(self.ra)

    @property
    def mw_radius_deg(self) -> float:
        """Radius of the disc the MW catalogs fill around each field (the field and a rim)."""
        return (self.radius_arcmin + RIM_ARCMIN) / 60.0

    @property
    def mjd0(self) -> np.ndarray:
        """Epoch of the first observation: the epoch of the master X-ray positions."""
        return self.visit_mjd[:, 0]

    @property
    def in_plane(self) -> np.ndarray:
        return np.abs(self.b) < PLANE_B_DEG

    def table(self) -> pa.Table:
        """One row per field (written as fields.parquet, for tests and edge-case selection)."""
        n = len(self)
        keep = np.arange(MAX_VISITS)[None, :] < self.n_visits[:, None]
        offsets = np.r_[0, np.cumsum(self.n_visits)].astype(np.int32)
        return pa.table(
            {
                "field_id": pa.array(np.arange(n, dtype=np.int64)),
                "ra": self.ra,
                "dec": self.dec,
                "gal_l": self.l,
                "gal_b": self.b,
                "n_sources": self.n_sources.astype(np.int64),
                "n_visits": self.n_visits.astype(np.int64),
                "gti_mjd_obs": self.mjd0,
                "nh_gal": self.nh_gal,
                "star_density": self.star_density,
                "depth": self.depth,
                "obsids": pa.ListArray.from_arrays(
                    offsets, pa.array(self.visit_obsid[keep].astype(np.int64))
                ),
                "visit_mjd": pa.ListArray.from_arrays(offsets, pa.array(self.visit_mjd[keep])),
            }
        )


def _draw_galactic(rng: np.random.Generator, plane: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(l, b): uniform in the band |b| < 10 for plane fields, isotropic over |b| >= 10 otherwise."""
    n = len(plane)
    s10 = np.sin(np.radians(PLANE_B_DEG))
    b_high = np.degrees(np.arcsin(rng.uniform(s10, 1.0, n) * rng.choice([-1.0, 1.0], n)))
    b = np.where(plane, rng.uniform(-PLANE_B_DEG, PLANE_B_DEG, n), b_high)
    return rng.uniform(0.0, 360.0, n), b


def _to_icrs(l: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = SkyCoord(l=l * u.deg, b=b * u.deg, frame="galactic").icrs
    return c.ra.deg.copy(), c.dec.deg.copy()


def _to_galactic(ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs").galactic
    return c.l.deg.copy(), c.b.deg.copy()


def field_centres(
    rng: np.random.Generator, n_fields: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ICRS centres and Galactic (l, b) of non-overlapping fields, half of them at |b| < 10.

    The first high-latitude fields are replaced by SPECIAL_CENTRES (poles, RA = 0/360).
    """
    n_plane = n_fields // 2
    plane = np.arange(n_fields) < n_plane
    l, b = _draw_galactic(rng, plane)
    ra, dec = _to_icrs(l, b)
    special = np.zeros(n_fields, bool)
    for k, (r, d) in enumerate(SPECIAL_CENTRES[: n_fields - n_plane]):
        ra[n_plane + k], dec[n_plane + k] = r, d
        special[n_plane + k] = True
    chord = 2.0 * np.sin(np.radians(2.0 * MW_RADIUS_DEG) / 2.0)
    for _ in range(1000):
        pairs = cKDTree(unit_vectors(ra, dec)).query_pairs(chord, output_type="ndarray")
        if len(pairs) == 0:
            break
        pairs = np.sort(pairs, axis=1)
        redo = np.unique(np.where(special[pairs[:, 1]], pairs[:, 0], pairs[:, 1]))
        nl, nb = _draw_galactic(rng, plane[redo])
        ra[redo], dec[redo] = _to_icrs(nl, nb)
    else:  # pragma: no cover - needs ~10^5 fields
        raise RuntimeError(f"cannot place {n_fields} non-overlapping fields")
    l, b = _to_galactic(ra, dec)
    return ra, dec, l, b


def plan_fields(rng: np.random.Generator, n_fields: int, n_sources: int) -> Fields:
    """Everything decided per field, before any source is drawn."""
    ra, dec, l, b = field_centres(rng, n_fields)
    weights = rng.lognormal(0.0, 0.6, n_fields)
    counts = rng.multinomial(n_sources - n_fields, weights / weights.sum()) + 1
    n_visits = rng.choice(np.arange(1, MAX_VISITS + 1), size=n_fields, p=VISIT_PROBS)
    first = rng.uniform(MJD_2000, MJD_2020 - 365.0, n_fields)
    later = np.sort(rng.uniform(0.0, 1.0, (n_fields, MAX_VISITS - 1)), axis=1)
    mjd = np.column_stack([first, first[:, None] + later * (MJD_2020 - first[:, None])])
    present = np.arange(MAX_VISITS)[None, :] < n_visits[:, None]
    mjd = np.where(present, mjd, np.nan)
    # ObsIDs grow with time, like Chandra's: unique random numbers handed out in time order.
    n_obs = int(present.sum())
    obsids = np.sort(rng.choice(np.arange(1, max(30_000, 4 * n_obs)), size=n_obs, replace=False))
    visit_obsid = np.full(mjd.shape, -1, dtype=np.int64)
    order = np.argsort(mjd[present], kind="stable")
    flat = np.empty(n_obs, dtype=np.int64)
    flat[order] = obsids
    visit_obsid[present] = flat
    factor = rng.lognormal(-0.5 * 0.3**2, 0.3, n_fields)  # mean 1
    # Training sources were mostly bright, well-exposed detections; a typical CSC field is
    # shallower (real fields: median significance ~4-5, against ~10 in the training set).
    depth = rng.lognormal(np.log(DEPTH_MEDIAN), 0.5, n_fields)
    return with_sky(rng, ra, dec, l, b, counts, n_visits, mjd, visit_obsid, factor, depth)


def with_sky(
    rng: np.random.Generator,
    ra: np.ndarray,
    dec: np.ndarray,
    l: np.ndarray,
    b: np.ndarray,
    counts: np.ndarray,
    n_visits: np.ndarray,
    visit_mjd: np.ndarray,
    visit_obsid: np.ndarray,
    factor: np.ndarray,
    depth: np.ndarray,
    radius_arcmin: float = FIELD_RADIUS_ARCMIN,
) -> Fields:
    """Fields at these centres with the sky there: Galactic N_H (scattered field to field) and
    the star density times the field's patchiness ``factor``."""
    return Fields(
        ra=ra,
        dec=dec,
        l=l,
        b=b,
        n_sources=counts.astype(np.int64),
        n_visits=n_visits.astype(np.int64),
        visit_mjd=visit_mjd,
        visit_obsid=visit_obsid,
        nh_gal=nh_gal(b) * rng.lognormal(0.0, 0.3, len(ra)),
        star_density=star_density(l, b) * factor,
        density_factor=factor,
        depth=depth,
        radius_arcmin=radius_arcmin,
    )
