"""A self-contained HTML page for one field: both sky maps and a sortable source table.

No network needed to view it (the sorting script is inline), so it works on an
observatory laptop or attached to an e-mail together with its two PNGs.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

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

_SORT_SCRIPT = """
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var asc = th.dataset.order !== 'asc';
    table.querySelectorAll('th').forEach(function (h) { delete h.dataset.order; });
    th.dataset.order = asc ? 'asc' : 'desc';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; }
img { max-width: 48%; margin: 0.5%; border: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
th { background: #eee; cursor: pointer; position: sticky; top: 0; }
th[data-order=asc]::after { content: ' \\25B2'; } th[data-order=desc]::after { content: ' \\25BC'; }
td.t { text-align: left; }
"""


def _cell(column: str, value) -> str:
    """A table cell; ``data-v`` holds the sort key (full precision numbers)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return '<td data-v=""></td>'
    if isinstance(value, (bool, np.bool_)):
        return f'<td data-v="{int(value)}">{"yes" if value else ""}</td>'
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if np.isinf(v):
            return f'<td data-v="{"1e300" if v > 0 else "-1e300"}">{"inf" if v > 0 else "-inf"}</td>'
        return (
            f'<td data-v="{v!r}">{v:.5f}</td>'
            if column in ("ra", "dec")
            else f'<td data-v="{v!r}">{v:.4g}</td>'
        )
    text = html.escape(str(value))
    return f'<td class="t" data-v="{text}">{text}</td>'


def source_table(classified: pd.DataFrame, classes: list[str]) -> str:
    cols = [c for c in TABLE_COLUMNS if c in classified] + [
        f"P_{c}" for c in classes if f"P_{c}" in classified
    ]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "\n".join(
        "<tr>" + "".join(_cell(c, v) for c, v in zip(cols, row, strict=True)) + "</tr>"
        for row in classified[cols].astype(object).itertuples(index=False)
    )
    return f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def write_page(
    path: Path,
    title: str,
    summary: pd.DataFrame,
    classified: pd.DataFrame,
    classes: list[str],
    images: list[Path],
    notes: list[str],
    warnings: Sequence[str] = (),
) -> Path:
    """``index.html`` next to the images (linked relatively); ``warnings`` boxed under the title."""
    imgs = "".join(
        f'<a href="{html.escape(p.name)}"><img src="{html.escape(p.name)}" alt="{html.escape(p.stem)}"></a>'
        for p in images
    )
    counts = summary.to_html(index=False, border=0)
    note = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{warning_box(warnings)}<ul>{note}</ul>{imgs}<h2>Classes</h2>{counts}"
        f"<h2>Sources ({len(classified)}; click a column to sort)</h2>{source_table(classified, classes)}"
        f"<script>{_SORT_SCRIPT}</script></body></html>\n"
    )
    path.write_text(page)
    return path


def warning_box(warnings: Sequence[str]) -> str:
    """The run's warnings (e.g. a survey file that lost rows) as a yellow box; '' when none."""
    if not warnings:
        return ""
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return (
        '<div class="warnings" style="background:#fff3cd;border:1px solid #d4a017;padding:0.3em 1em;'
        f'margin:0.5em 0"><strong>Warnings</strong><ul>{items}</ul></div>'
    )
