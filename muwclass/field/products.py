"""What ``muwclass field`` writes for a classified field: the table (CSV, FITS), the quarantine
with reasons, DS9 regions, two sky maps and an offline HTML page. Writers only: the field's
catalogs are read by :mod:`muwclass.field.data` and classified by :mod:`muwclass.field.pipeline`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from muwclass.classification.inputs import SURVEY_PREFIXES
from muwclass.config.run import RunConfig
from muwclass.field.data import FieldCatalogs
from muwclass.field.page import write_page
from muwclass.field.plots import class_map, confidence_map, projection
from muwclass.field.regions import drawn_sources, field_regions, write_regions
from muwclass.io.writers import write_table


def without_counterpart(classified: pd.DataFrame) -> pd.Series:
    """Sources with no Gaia/2MASS/WISE candidate at all (classified from X-rays alone)."""
    has = [
        f"{p}_p_any" for prefixes in SURVEY_PREFIXES.values() for p in prefixes if f"{p}_p_any" in classified
    ]
    if not has:
        return pd.Series(True, index=classified.index)
    return classified[has].isna().all(axis=1)


def write_products(
    cfg: RunConfig,
    cats: FieldCatalogs,
    classified: pd.DataFrame,
    rejected: pd.DataFrame,
    classes: list[str],
    out: Path,
    image,
    nh_note: str,
) -> dict:
    """Write the field's table (CSV, FITS), quarantine, DS9 regions, sky maps and HTML page into
    ``out``; returns the drawn circles and the per-class counts for the summary."""
    f = cfg.field
    name = f.name
    table = classified.drop(columns=[c for c in classified if c.startswith("_")])
    write_table(table, out / f"{name}_classified.csv")
    write_table(table, out / f"{name}_classified.fits")
    ids = rejected.get("source_id", pd.Series(dtype=str)).astype(str)
    origin = cats.xray_origin.reindex(ids.to_numpy()) if len(cats.xray_origin) else None
    quarantine = pd.concat(
        [
            cats.quarantine.drop(columns=["raw"], errors="ignore"),
            pd.DataFrame(
                {
                    "catalog": cfg.crossmatch.main_xray,
                    "file": "" if origin is None else origin["_file"].fillna("").to_numpy(),
                    "row": -1 if origin is None else origin["_row"].fillna(-1).astype("int64").to_numpy(),
                    "source_id": ids.to_numpy(),
                    "reason": rejected["reason"].to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    write_table(quarantine, out / f"{name}_quarantine.csv")

    max_radius = cats.radius_arcmin * 60 / 12
    regions = field_regions(classified, f.min_probability, max_radius)
    write_regions(regions, out / f"{name}.reg")
    data, wcs = image if image is not None else (None, projection(cats.centre, cats.radius_arcmin))
    maps = [
        class_map(
            classified,
            cats.mw,
            regions,
            wcs,
            data,
            out / f"{name}_classes.png",
            f"{name}: {len(regions)} sources with P(class) > {f.min_probability:.0%}",
        ),
        confidence_map(
            classified,
            wcs,
            data,
            out / f"{name}_confidence.png",
            f"{name}: classification confidence of {len(classified)} sources",
        ),
    ]
    counts = class_counts(classified, f.min_probability)
    notes = [
        f"{len(classified)} X-ray sources classified, {int(classified['confident'].sum())} confident (CT >= 2)",
        f"training set absorbed to nH = {nh_note}",
        f"circles: P(class) > {f.min_probability:.0%}; radius ~ significance, line width ~ CT",
    ]
    write_page(
        out / "index.html",
        f"muwclass: field {name}",
        counts,
        classified,
        classes,
        maps,
        notes,
        warnings=cats.warnings,
    )
    return {
        "circles": len(regions),
        "classes": {
            r["class"]: {k: int(v) for k, v in r.items() if k != "class"} for r in counts.to_dict("records")
        },
    }


def class_counts(classified: pd.DataFrame, min_probability: float) -> pd.DataFrame:
    """Per class: sources, confident ones (CT >= 2), drawn circles (P > min_probability)."""
    drawn = drawn_sources(classified, min_probability)["Class"].value_counts()
    g = classified.groupby("Class")
    counts = pd.DataFrame({"sources": g.size(), "confident": g["confident"].sum().astype(int)})
    counts["circles"] = drawn.reindex(counts.index).fillna(0).astype(int)
    return counts.sort_values("sources", ascending=False).rename_axis("class").reset_index()
