"""DS9 regions of a classified field: one circle per source the model is fairly sure about.

A circle for every source whose top-class probability exceeds ``min_probability``: radius
proportional to the detection significance (``ARCSEC_PER_SIGMA``, clipped so faint sources
stay visible and bright ones do not cover the field), line width proportional to the
classification confidence CT (capped at ``MAX_WIDTH``), colour by class, the class as text,
the source id as tag (made safe for DS9 by :func:`ds9_tag`). Written and read back with
astropy's ``regions`` package.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion, RegionMeta, Regions, RegionVisual

#: DS9 colour names per class (DS9 understands these names and hex codes)
CLASS_COLOURS = {
    "AGN": "#1f77b4",
    "YSO": "#2ca02c",
    "LM-STAR": "#ff7f0e",
    "HM-STAR": "#d62728",
    "NS": "#9467bd",
    "CV": "#e377c2",
    "LMXB": "#8c564b",
    "HMXB": "#17becf",
    "NS_BIN": "#bcbd22",
    "WR": "#7f7f7f",
    "STAR": "#ff7f0e",
    "XRB": "#8c564b",
    "COMPACT": "#9467bd",
}
FALLBACK_COLOUR = "#000000"
ARCSEC_PER_SIGMA = 1.0
MIN_RADIUS_ARCSEC = 2.0
MAX_WIDTH = 10
TAG_REPLACEMENT = "_"
# what cannot stand inside a DS9 ``tag={...}``: its braces, ';' (DS9's region separator), and
# anything outside printable ASCII (newlines and other control characters end or corrupt the
# line; non-ASCII text depends on the encoding a reader assumes)
_UNSAFE_IN_TAG = re.compile(r"[{};]|[^\x20-\x7e]")


def class_colour(cls: str) -> str:
    return CLASS_COLOURS.get(str(cls), FALLBACK_COLOUR)


def circle_radius_arcsec(significance: np.ndarray, max_radius_arcsec: float) -> np.ndarray:
    """Radius proportional to significance, clipped to [MIN_RADIUS_ARCSEC, max_radius_arcsec]."""
    sig = np.nan_to_num(np.asarray(significance, dtype=float), nan=0.0)
    return np.clip(ARCSEC_PER_SIGMA * sig, MIN_RADIUS_ARCSEC, max(max_radius_arcsec, MIN_RADIUS_ARCSEC))


def line_width(ct: np.ndarray) -> np.ndarray:
    """Integer DS9 width proportional to CT: 1 below CT = 1.5, at most MAX_WIDTH."""
    ct = np.nan_to_num(np.asarray(ct, dtype=float), nan=0.0, posinf=MAX_WIDTH)
    return np.clip(np.rint(ct), 1, MAX_WIDTH).astype(int)


def ds9_tag(source_id: object) -> str:
    """The source id as it can stand in a DS9 ``tag={...}``: each ``{``, ``}``, ``;`` and each
    character outside printable ASCII (newline, tab, other control characters, non-ASCII
    letters) becomes ``_`` (``TAG_REPLACEMENT``); every other character is kept, so ordinary
    ids ("2CXO J111455.5-585213") are unchanged. The full id stays in the classified table."""
    return _UNSAFE_IN_TAG.sub(TAG_REPLACEMENT, str(source_id))


def drawn_sources(classified: pd.DataFrame, min_probability: float) -> pd.DataFrame:
    """The sources that get a circle: top-class probability above the threshold."""
    return classified[classified["Class_prob"].astype(float) > min_probability]


def field_regions(classified: pd.DataFrame, min_probability: float, max_radius_arcsec: float) -> Regions:
    """One CircleSkyRegion per drawn source, in the order of the table, tagged with its
    source id made DS9-safe (:func:`ds9_tag`)."""
    rows = drawn_sources(classified, min_probability)
    radius = circle_radius_arcsec(
        rows["significance"] if "significance" in rows else np.zeros(len(rows)), max_radius_arcsec
    )
    width = line_width(rows["CT"])
    out = []
    for (ra, dec, cls, sid), r, w in zip(
        rows[["ra", "dec", "Class", "source_id"]].itertuples(index=False), radius, width, strict=True
    ):
        out.append(
            CircleSkyRegion(
                SkyCoord(float(ra) * u.deg, float(dec) * u.deg),
                float(r) * u.arcsec,
                meta=RegionMeta({"text": str(cls), "tag": [ds9_tag(sid)]}),
                visual=RegionVisual({"color": class_colour(cls), "linewidth": int(w)}),
            )
        )
    return Regions(out)


def write_regions(regions: Regions, path: Path) -> Path:
    regions.write(str(path), format="ds9", overwrite=True)
    return path
