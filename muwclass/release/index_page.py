"""``index.html`` of every release: what it holds, at a glance and offline.

Counts per class and confidence, the plots, the model card, the observations the release
contains and, for a release made by ``muwclass update``, its diff against the parent as a
sortable, filterable table with a sky map of what changed (:mod:`muwclass.io.html_page`).
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from muwclass.io.figures import changes_sky_map
from muwclass.io.html_page import document, filters, images, sortable_table

PLOTS = ("class_counts.png", "sky_map_galactic.png", "ct_distribution.png")
EVALUATION_PLOTS = (
    "evaluation/confusion.png",
    "evaluation/reliability.png",
    "evaluation/reliability_per_class.png",
)
DIFF_COLUMNS = (
    "source_id",
    "ra",
    "dec",
    "change",
    "reason",
    "Class_a",
    "Class_b",
    "Class_prob_a",
    "Class_prob_b",
    "CT_a",
    "CT_b",
)
UNUSUAL_COLUMNS = ("source_id", "ra", "dec", "Class", "Class_prob", "CT", "outlier_score")
OBSERVATION_COLUMNS = ("obsid", "release", "detections", "quarantined", "file", "sha256")


def class_summary(classified: pd.DataFrame) -> pd.DataFrame:
    """Sources per class: all, confident (CT >= 2) and their share."""
    if not len(classified):
        return pd.DataFrame(columns=["Class", "sources", "confident", "confident share"])
    confident = classified["confident"].fillna(False).astype(bool)
    table = (
        classified.assign(confident=confident)
        .groupby("Class")
        .agg(sources=("Class", "size"), confident=("confident", "sum"))
    )
    table.loc["all"] = table.sum()
    table["confident share"] = (table["confident"] / table["sources"]).round(3)
    return table.reset_index()


def write_index(
    out: Path,
    manifest: dict,
    classified: pd.DataFrame,
    unusual: pd.DataFrame,
    card: str,
    diff: pd.DataFrame | None,
) -> Path:
    """Write ``out/index.html`` (and, with a diff, ``changes_sky_map.png``)."""
    version = manifest.get("version", out.name)
    rows = manifest.get("rows", {})
    facts = [
        f"{rows.get('in', '?')} X-ray sources in: {rows.get('classified', '?')} classified, "
        f"{rows.get('quarantined', '?')} quarantined (quarantine.csv)",
        "files: hats/ (lsdb.read_hats), classified.fits, classified.csv, sources/ (the X-ray master sources), "
        "manifest.json",
    ]
    by_catalog = rows.get("by_catalog", {})
    if len(by_catalog) > 1:
        main = next(iter(by_catalog))
        facts += [
            f"{name}: {r['in']} sources in, {r['classified']} classified, {r['quarantined']} quarantined "
            f"({'hats/' if name == main else f'hats_{name}/'}; column catalog = {name!r})"
            for name, r in by_catalog.items()
        ]
        facts += [
            f"links_{main}_{name}.csv: {s['pairs']} {main}-{name} pairs of the same object "
            f"({s['p_match_0.5']} with p_match >= 0.5), {s['both_confident']} confident on both sides, "
            f"{s['class_conflicts']} of them with different classes (class_conflict)"
            for name, s in manifest.get("links", {}).items()
        ]
    if manifest.get("parent"):
        facts.insert(0, f"an update of release {manifest['parent']}")
    body = "<ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in facts) + "</ul>"
    if len(by_catalog) > 1 and "catalog" in classified:
        for name in by_catalog:
            own = classified.loc[classified["catalog"] == name]
            body += f"<h2>Classes: {html.escape(name)}</h2>" + class_summary(own).to_html(
                index=False, border=0
            )
    else:
        body += "<h2>Classes</h2>" + class_summary(classified).to_html(index=False, border=0)
    body += images([p for p in PLOTS if (out / p).is_file()])
    if diff is not None:
        summary = manifest.get("diff", {})
        changes = ", ".join(f"{k} {v}" for k, v in summary.get("changes", {}).items())
        changes_sky_map(diff, out / "changes_sky_map.png", f"changes since {manifest.get('parent')}")
        body += f"<h2>Changes since {html.escape(str(manifest.get('parent')))}</h2>"
        body += f"<p>{len(diff)} sources listed ({html.escape(changes)}); diff.csv and diff.parquet hold them.</p>"
        body += images(["changes_sky_map.png"])
        body += filters(
            "diff",
            DIFF_COLUMNS.index("change"),
            ["new", "class", "confidence", "counterpart", "removed"],
            "change",
        )
        body += sortable_table(diff, DIFF_COLUMNS, table_id="diff")
    observations = pd.DataFrame(manifest.get("observations", []))
    if len(observations):
        body += "<h2>Observations folded in</h2>" + sortable_table(
            observations, OBSERVATION_COLUMNS, "observations"
        )
        astrometry = manifest.get("update", {}).get("astrometry", [])
        if astrometry:
            body += "<h3>Astrometric ties to Gaia (this update)</h3>" + pd.DataFrame(astrometry).to_html(
                index=False, border=0
            )
    body += f"<h2>Most unusual confident sources</h2>{sortable_table(unusual, UNUSUAL_COLUMNS, 'unusual')}"
    body += images([p for p in EVALUATION_PLOTS if (out / p).is_file()])
    body += f'<h2>Model card</h2><pre class="card">{html.escape(card)}</pre>'
    path = out / "index.html"
    path.write_text(document(f"muwclass release {version}", body))
    return path
