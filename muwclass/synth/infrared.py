"""2MASS- and AllWISE-like rows (VizieR II/246 and II/328 column names).

Both surveys are described by one small spec (bands, depths, error laws, epoch), so detection,
upper limits and errors are computed the same way for both. As in the real catalogs, a detected
source may be undetected in some bands: that band then carries an upper limit with no error
(2MASS quality flag 'U').
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from muwclass.synth import designations

CONFUSION_DENSITY = 2.0e4  # Gaia-like stars per deg^2 above which the IR surveys get confused


@dataclass(frozen=True)
class Band:
    key: str  # internal band name (J, W1, ...)
    column: str  # VizieR magnitude column; its error is "e_" + column
    limit: float  # faintest detection
    m_ref: float  # magnitude where the error is e_ref (roughly S/N 10 for 2MASS, 5 for WISE)
    e_ref: float


@dataclass(frozen=True)
class Survey:
    name: str
    epoch: float
    id_column: str
    error_columns: tuple[str, str, str]  # 1-sigma major, minor (arcsec), PA (deg)
    bands: tuple[Band, ...]
    pos_floor: float  # arcsec
    pos_coef: float  # arcsec at pos_ref in the first band
    pos_ref: float
    confusion: float  # mag brighter limits per dex of star density above CONFUSION_DENSITY
    decimals: int  # printed precision of the error ellipse axes (magnitudes: 3 decimals)

    def limit_shift(self, star_density: np.ndarray) -> np.ndarray:
        """How much brighter the detection limits are in crowded fields (confusion)."""
        return -self.confusion * np.maximum(0.0, np.log10(star_density / CONFUSION_DENSITY))

    @property
    def columns(self) -> tuple[str, ...]:
        mags = tuple(c for b in self.bands for c in (b.column, "e_" + b.column))
        extra = ("Qflg",) if self.name == "tmass" else ()
        return (self.id_column, "RAJ2000", "DEJ2000", *self.error_columns, *mags, *extra)


TMASS = Survey(
    name="tmass",
    epoch=1999.0,
    id_column="_2MASS",
    error_columns=("errMaj", "errMin", "errPA"),
    bands=(
        Band("J", "Jmag", 16.9, 15.8, 0.108),
        Band("H", "Hmag", 16.3, 15.1, 0.108),
        Band("K", "Kmag", 15.6, 14.3, 0.108),
    ),
    pos_floor=0.06,
    pos_coef=0.12,
    pos_ref=15.8,
    confusion=0.3,
    decimals=2,
)
ALLWISE = Survey(
    name="allwise",
    epoch=2010.5,
    id_column="AllWISE",
    error_columns=("eeMaj", "eeMin", "eePA"),
    bands=(
        Band("W1", "W1mag", 17.1, 16.9, 0.217),
        Band("W2", "W2mag", 15.9, 15.7, 0.217),
        Band("W3", "W3mag", 11.5, 11.3, 0.217),
        Band("W4", "W4mag", 8.1, 8.0, 0.217),
    ),
    pos_floor=0.04,
    pos_coef=0.15,
    pos_ref=15.5,
    confusion=1.3,
    decimals=4,
)


def mag_error(band: Band, m: np.ndarray) -> np.ndarray:
    return np.hypot(0.015, band.e_ref * 10 ** (0.4 * (m - band.m_ref)))


def detected(survey: Survey, mags: dict[str, np.ndarray], shift: np.ndarray) -> np.ndarray:
    """Rows bright enough in at least one band to be in the catalog (limits moved by ``shift``)."""
    return np.logical_or.reduce([mags[b.key] < b.limit + shift for b in survey.bands])


def background_photometry(
    rng: np.random.Generator, survey: Survey, mags: dict[str, np.ndarray], shift: np.ndarray
) -> dict[str, np.ndarray]:
    """Catalog magnitudes and errors of detected field sources: measured where above the band's
    limit, an upper limit (no error) elsewhere."""
    out: dict[str, np.ndarray] = {}
    for b in survey.bands:
        m = mags[b.key]
        seen = m < b.limit + shift
        n = len(m)
        measured = np.where(
            seen, m + rng.normal(0.0, 1.0, n) * mag_error(b, m), b.limit + shift + rng.normal(0.0, 0.15, n)
        )
        out[b.column] = np.round(measured, 3)
        out["e_" + b.column] = np.round(np.where(seen, mag_error(b, m), np.nan), 3)
    return out


def counterpart_photometry(
    rng: np.random.Generator, survey: Survey, mags: dict[str, np.ndarray], errs: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Catalog magnitudes of true counterparts: the training source's values (NaN error =
    upper limit, kept); bands the training set lacks (W4) get an upper limit."""
    out: dict[str, np.ndarray] = {}
    for b in survey.bands:
        if b.key in mags:
            out[b.column], out["e_" + b.column] = np.round(mags[b.key], 3), errs[b.key]
        else:
            n = len(next(iter(mags.values())))
            out[b.column], out["e_" + b.column] = (
                np.round(b.limit + rng.normal(0.0, 0.15, n), 3),
                np.full(n, np.nan),
            )
    return out


def position_errors(
    rng: np.random.Generator, survey: Survey, phot: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """1-sigma error ellipse, growing for faint sources (first band with an error sets it)."""
    ref = np.full(len(phot[survey.bands[0].column]), np.nan)
    for k, b in enumerate(survey.bands):  # fall back to redder bands, scaled to the first
        m = np.where(np.isfinite(phot["e_" + b.column]), phot[b.column], np.nan)
        ref = np.where(np.isnan(ref), m + 0.6 * k, ref)
    ref = np.nan_to_num(ref, nan=survey.bands[0].limit)
    major = np.round(
        np.hypot(survey.pos_floor, survey.pos_coef * 10 ** (0.4 * (ref - survey.pos_ref))), survey.decimals
    )
    n = len(ref)
    maj, mnr, pa_ = survey.error_columns
    minor = np.maximum(np.round(major * rng.uniform(0.75, 1.0, n), survey.decimals), 10.0**-survey.decimals)
    return {maj: major, mnr: minor, pa_: np.floor(rng.uniform(0.0, 180.0, n))}


def quality_flags(phot: dict[str, np.ndarray], survey: Survey) -> np.ndarray:
    """2MASS ph_qual (Qflg): A/B/C/D by S/N (>10, >7, >5, less), U upper limit, X no magnitude."""
    cols = []
    for b in survey.bands:
        m, e = phot[b.column], phot["e_" + b.column]
        grade = np.select(
            [e < 1.0857 / 10, e < 1.0857 / 7, e < 1.0857 / 5], [ord("A"), ord("B"), ord("C")], ord("D")
        )
        grade = np.where(np.isnan(e), ord("U"), grade)
        cols.append(np.where(np.isnan(m), ord("X"), grade).astype(np.uint8))
    chars = np.ascontiguousarray(np.column_stack(cols))
    return chars.view(f"S{len(survey.bands)}").ravel()


def table(
    survey: Survey, ids: np.ndarray, ra: np.ndarray, dec: np.ndarray, cols: dict[str, np.ndarray]
) -> pa.Table:
    """The rows in VizieR order and types (designation and Qflg strings, the rest float64)."""
    data: dict[str, pa.Array] = {
        survey.id_column: designations.to_arrow(ids),
        "RAJ2000": pa.array(ra),
        "DEJ2000": pa.array(dec),
    }
    for c in survey.columns[3:]:
        data[c] = designations.to_arrow(cols[c]) if c == "Qflg" else pa.array(cols[c], pa.float64())
    return pa.table(data)
