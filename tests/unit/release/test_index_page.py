"""Every release's index.html, rendered by a real headless chromium: no console errors, the
tables sort and the diff filters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from muwclass.release.writer import write_release
from tests.browser import chromium, render, selftest  # noqa: F401 - chromium is a fixture
from tests.unit.release.test_writer import _classified, _manifest


def _diff(classified: pd.DataFrame) -> pd.DataFrame:
    rows = classified.head(12)
    change = np.array(["new", "class", "confidence;counterpart", "new"] * 3)
    return pd.DataFrame(
        {
            "source_id": rows["source_id"],
            "ra": rows["ra"],
            "dec": rows["dec"],
            "change": change,
            "reason": "new flux",
            "Class_a": "AGN",
            "Class_b": rows["Class"],
            "Class_prob_a": 0.5,
            "Class_prob_b": rows["P_AGN"],
            "CT_a": 1.0,
            "CT_b": rows["CT"],
        }
    )


def test_release_page_renders_sorts_and_filters(tmp_path, chromium):  # noqa: F811
    classified = _classified()
    diff = _diff(classified)
    manifest = {
        **_manifest(60),
        "parent": "v0",
        "diff": {"changes": {"new": 6}},
        "observations": [{"obsid": 21137, "release": "v1", "detections": 142, "quarantined": 0}],
    }
    path = write_release(
        tmp_path, "v1", classified, pd.DataFrame(), manifest, "# card", extras={"diff.parquet": diff}
    )
    page = (path / "index.html").read_text()
    assert "Changes since v0" in page and "Observations folded in" in page and "# card" in page
    assert (path / "changes_sky_map.png").read_bytes()[:4] == b"\x89PNG"
    dom, console = render(chromium, path / "index.html")
    assert console == []
    lowest, highest, kept = selftest(dom)  # the diff table sorted by ra both ways, filtered on "new"
    assert lowest == diff.loc[diff["ra"].idxmin(), "source_id"]
    assert highest == diff.loc[diff["ra"].idxmax(), "source_id"]
    assert kept == int((diff["change"] == "new").sum()) == 6
