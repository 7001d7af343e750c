"""A self-contained HTML page for one field: both sky maps and a sortable source table
(:mod:`muwclass.io.html_page`: no network needed to view it, so it works on an observatory
laptop or attached to an e-mail together with its two PNGs)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from muwclass.io.html_page import document, images, sortable_table, warning_box

TABLE_COLUMNS = (
    "source_id",
    "ra",
    "dec",
    "Class",
    "Class_prob",
    "CT",
    "confident",
    "outlier_score",
    "significance",
    "G",
    "J",
    "W1",
)


def source_table(classified: pd.DataFrame, classes: list[str]) -> str:
    return sortable_table(classified, [*TABLE_COLUMNS, *(f"P_{c}" for c in classes)])


def write_page(
    path: Path,
    title: str,
    summary: pd.DataFrame,
    classified: pd.DataFrame,
    classes: list[str],
    pictures: list[Path],
    notes: list[str],
    warnings: Sequence[str] = (),
) -> Path:
    """``index.html`` next to the images (linked relatively); ``warnings`` boxed under the title."""
    counts = summary.to_html(index=False, border=0)
    note = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    body = (
        f"{warning_box(warnings)}<ul>{note}</ul>{images([p.name for p in pictures])}<h2>Classes</h2>{counts}"
        f"<h2>Sources ({len(classified)}; click a column to sort)</h2>{source_table(classified, classes)}"
    )
    path.write_text(document(title, body))
    return path
