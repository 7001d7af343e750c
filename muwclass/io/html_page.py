"""Offline HTML pages (a field's page, every release's ``index.html``): one file, the scripts
inline, images beside it, so a page works from a laptop or an e-mail attachment.

Tables with class ``sortable`` sort on a click on a column header (numbers by value, text
alphabetically); tables with a ``data-filter`` input above them keep the rows whose text holds
what is typed, and a ``select`` with ``data-filter-column`` keeps the rows whose cell in that
column contains the chosen value. Opening a page with ``#selftest`` sorts its first sortable
table by its second column, twice (ascending, then descending), sets the first filter to its
first choice, and writes the first cell of the first row after each sort and the number of
rows left visible into ``<pre id="selftest">``: what the headless-browser test reads.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

STYLE = """
body { font-family: sans-serif; margin: 1.5em; }
img { max-width: 48%; margin: 0.5%; border: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
th { background: #eee; cursor: pointer; position: sticky; top: 0; }
th[data-order=asc]::after { content: ' \\25B2'; } th[data-order=desc]::after { content: ' \\25BC'; }
td.t { text-align: left; }
pre.card { background: #f7f7f7; padding: 0.8em; white-space: pre-wrap; max-width: 60em; }
"""

SCRIPT = """
function sortBy(th) {
  var table = th.closest('table'), body = table.tBodies[0];
  var col = Array.prototype.indexOf.call(th.parentNode.children, th);
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
}
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () { sortBy(th); });
});
function applyFilters(table) {
  var text = document.querySelector('input[data-filter="' + table.id + '"]');
  var pick = document.querySelector('select[data-filter="' + table.id + '"]');
  var needle = text ? text.value.toLowerCase() : '';
  var col = pick ? parseInt(pick.dataset.filterColumn, 10) : -1, want = pick ? pick.value : '';
  Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
    var ok = !needle || r.textContent.toLowerCase().indexOf(needle) >= 0;
    if (ok && want) { ok = r.cells[col].textContent.split(';').indexOf(want) >= 0; }
    r.style.display = ok ? '' : 'none';
  });
}
document.querySelectorAll('[data-filter]').forEach(function (el) {
  el.addEventListener('input', function () { applyFilters(document.getElementById(el.dataset.filter)); });
});
if (location.hash === '#selftest') {
  var th = document.querySelectorAll('table.sortable th')[1], out = [];
  th.click(); out.push(th.closest('table').tBodies[0].rows[0].cells[0].textContent);
  th.click(); out.push(th.closest('table').tBodies[0].rows[0].cells[0].textContent);
  var pick = document.querySelector('select[data-filter]');
  if (pick) {  // the first filter set to its first choice: how many rows stay visible
    pick.value = pick.options[1].value; pick.dispatchEvent(new Event('input'));
    var rows = document.getElementById(pick.dataset.filter).tBodies[0].rows;
    out.push(Array.prototype.filter.call(rows, function (r) { return r.style.display !== 'none'; }).length);
  }
  var pre = document.createElement('pre'); pre.id = 'selftest'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}
"""


def cell(column: str, value) -> str:
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


def sortable_table(frame: pd.DataFrame, columns: Sequence[str], table_id: str = "sources") -> str:
    cols = [c for c in columns if c in frame]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "\n".join(
        "<tr>" + "".join(cell(c, v) for c, v in zip(cols, row, strict=True)) + "</tr>"
        for row in frame[cols].astype(object).itertuples(index=False)
    )
    return f'<table class="sortable" id="{table_id}"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def filters(table_id: str, column: int, choices: Sequence[str], label: str) -> str:
    """A text filter and a choice of ``label`` values (matched in ``column``) for a table."""
    options = "".join(f'<option value="{html.escape(c)}">{html.escape(c)}</option>' for c in choices)
    return (
        f'<p>Filter: <input data-filter="{table_id}" placeholder="any text"> {html.escape(label)}: '
        f'<select data-filter="{table_id}" data-filter-column="{column}"><option value="">all</option>{options}'
        "</select></p>"
    )


def warning_box(warnings: Sequence[str]) -> str:
    """The run's warnings (e.g. a survey file that lost rows) as a yellow box; '' when none."""
    if not warnings:
        return ""
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return (
        '<div class="warnings" style="background:#fff3cd;border:1px solid #d4a017;padding:0.3em 1em;'
        f'margin:0.5em 0"><strong>Warnings</strong><ul>{items}</ul></div>'
    )


def images(names: Sequence[str]) -> str:
    return "".join(
        f'<a href="{html.escape(n)}"><img src="{html.escape(n)}" alt="{html.escape(n)}"></a>' for n in names
    )


def document(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
