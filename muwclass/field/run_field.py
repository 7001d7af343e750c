"""Classify the X-ray sources of one field in one command (``muwclass field``).

Reads the field's X-ray and Gaia/2MASS/WISE catalogs (local files, or a TAP/HATS cone
around the field), crossmatches them in memory with the catalog pipeline's algorithm,
absorbs the training set to the field's nH, classifies with Monte-Carlo confidence and
writes to ``<work_dir>/fields/<name>/``: the classified table (CSV + FITS), a quarantine
table, a DS9 region file, two sky maps, ``index.html`` and ``summary.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from muwclass.classification.predict import resolve_draws
from muwclass.config.run import RunConfig
from muwclass.field.data import field_config, load_field
from muwclass.field.pipeline import classify_field, crossmatch_field, field_nh
from muwclass.field.plots import load_image
from muwclass.field.products import without_counterpart, write_products
from muwclass.io.atomic import partial_dir, publish
from muwclass.io.products import check_output_directory
from muwclass.io.storage import location
from muwclass.runtime.progress import console


def run_field(
    cfg: RunConfig, draws: int | None = None, image: str | None = None, out: str | Path | None = None
) -> dict:
    """Classify the configured field and write its products; returns its summary.

    ``image`` (a FITS file with a celestial WCS) overrides ``field.image``; ``out`` defaults to
    ``<work_dir>/fields/<name>``. A bad image or configuration fails before any work.
    """
    field = field_config(cfg)
    draws = resolve_draws(cfg.confidence.draws, draws)
    image_path = _image_path(cfg, image)
    loaded = load_image(image_path) if image_path else None
    out = location(out, cfg.storage_options) if out else cfg.layout.field(field.name)
    check_output_directory(out, "field", "--out")
    return classify_and_write(cfg, draws, out, loaded)


def _image_path(cfg: RunConfig, override: str | None) -> Path | None:
    """The image file: as given on the command line, else ``field.image`` relative to the data directory."""
    name = override or cfg.field.image
    if not name:
        return None
    p = Path(name).expanduser()
    return p if p.is_absolute() or override else cfg.data_dir / p


def classify_and_write(cfg: RunConfig, draws: int, out: Path, image=None) -> dict:
    """Classify the field and write its products to ``out`` (replaced as a whole at the end)."""
    f = cfg.field
    timings: dict[str, float] = {}
    t_all = t0 = time.perf_counter()
    with console.status(f"field {f.name}: reading catalogs"):
        cats = load_field(cfg)
    timings["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with console.status(f"field {f.name}: crossmatching {len(cats.xray)} X-ray sources"):
        matched = crossmatch_field(cfg, cats)
    timings["crossmatch"] = time.perf_counter() - t0
    nh, nh_from = field_nh(cfg, cats.xray)
    t0 = time.perf_counter()
    with console.status(f"field {f.name}: classifying ({draws} Monte-Carlo draws, nH = {nh:.2g} cm^-2)"):
        classified, rejected, family = classify_field(cfg, matched, nh, draws)
    timings["classify"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    partial = partial_dir(out)
    summary = write_products(
        cfg, cats, classified, rejected, family.classes, partial, image, f"{nh:.3g} cm^-2 ({nh_from})"
    )
    timings["write"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    report = {
        "field": f.name,
        "centre_deg": [round(cats.centre.ra.deg, 6), round(cats.centre.dec.deg, 6)],
        "radius_arcmin": round(cats.radius_arcmin, 3),
        "nh_cm2": nh,
        "nh_from": nh_from,
        "model_id": family.provenance[0].get("model_id"),
        "draws": draws,
        "xray_sources": len(cats.xray),
        "outside_radius": cats.outside,
        "merged_repeats": cats.merged,
        "classified": len(classified),
        "quarantined": len(rejected) + len(cats.quarantine),
        "without_counterpart": int(without_counterpart(classified).sum()),
        "confident": int(classified["confident"].sum()),
        "circles": summary["circles"],
        "classes": summary["classes"],
        "warnings": list(cats.warnings),  # e.g. a survey file that lost rows (field/data.py)
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }
    (partial / "summary.json").write_text(json.dumps(report, indent=2) + "\n")
    publish(partial, out, "field")
    _print_summary(report, out)
    return report


def _print_summary(report: dict, out: Path) -> None:
    table = Table(
        title=f"field {report['field']}: {report['classified']} sources classified in {report['seconds']['total']:.1f} s"
    )
    for col in ("class", "sources", "confident (CT >= 2)", "circles"):
        table.add_column(col, justify="right")
    for cls, c in report["classes"].items():
        table.add_row(cls, str(c["sources"]), str(c["confident"]), str(c["circles"]))
    console.print(table)
    if report["without_counterpart"]:
        console.print(
            f"{report['without_counterpart']} source(s) have no Gaia/2MASS/WISE counterpart: classified from their X-ray properties alone"
        )
    repeats = {k: v for k, v in report["merged_repeats"].items() if v}
    if repeats:
        console.print(f"exact repeats of a row merged (same source listed twice): {repeats}")
    if report["outside_radius"]:
        console.print(f"{report['outside_radius']} X-ray source(s) outside the field radius were left out")
    if report["quarantined"]:
        console.print(
            f"[yellow]{report['quarantined']} row(s) could not be used: reasons in {out / (report['field'] + '_quarantine.csv')}[/]"
        )
    for warning in report["warnings"]:
        console.print(f"[yellow]warning: {escape(warning)}[/]", soft_wrap=True)
    console.print(
        f"nH = {report['nh_cm2']:.3g} cm^-2 ({report['nh_from']}); outputs in {out} (open index.html)"
    )
