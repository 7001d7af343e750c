"""The release's link table: sources of two X-ray catalogs that are the same object, with the
classes each side got and a flag where they disagree.

The pairs come from the crossmatch (:mod:`muwclass.crossmatch.xray_link`: mutual best partners
with their ``p_match``); the release adds each side's ``Class`` and ``confident`` and
``class_conflict``: both sides confident (CT >= 2) and of different classes. Such a pair says
that at least one classification is wrong, or that the object changed between the two
observatories' epochs (a flaring star, an outbursting LMXB): the sources to look at first.
"""

from __future__ import annotations

import pandas as pd

#: the columns of the crossmatch's link table that the release carries from version to version
PAIR_COLUMNS = ("p_match", "sep_arcsec", "n_candidates")


def links_file(left: str, right: str) -> str:
    """The link table's file name in a release (a ``.csv`` of the same name beside it)."""
    return f"links_{left}_{right}.parquet"


def link_table(
    pairs: pd.DataFrame, left: str, right: str, left_rows: pd.DataFrame, right_rows: pd.DataFrame
) -> pd.DataFrame:
    """``pairs`` (columns ``left``, ``right`` with the source ids, and :data:`PAIR_COLUMNS`) with
    ``Class_<side>``, ``confident_<side>`` of each side's classified rows (missing where that
    source is quarantined) and ``class_conflict``."""
    out = pairs[[left, right, *PAIR_COLUMNS]].astype({left: str, right: str})
    for side, rows in ((left, left_rows), (right, right_rows)):
        got = rows[["source_id", "Class", "confident"]].astype({"source_id": str})
        got = got.drop_duplicates("source_id").rename(
            columns={"source_id": side, "Class": f"Class_{side}", "confident": f"confident_{side}"}
        )
        out = out.merge(got, on=side, how="left", validate="one_to_one")
    both = out[f"confident_{left}"].fillna(False).astype(bool) & out[f"confident_{right}"].fillna(
        False
    ).astype(bool)
    out["class_conflict"] = both & (out[f"Class_{left}"] != out[f"Class_{right}"])
    return out


def link_summary(links: pd.DataFrame) -> dict[str, int]:
    """Pairs, pairs with ``p_match`` >= 0.5, both sides confident, and conflicts among those."""
    sides = [c for c in links if c.startswith("confident_")]
    both = (
        links[sides].fillna(False).astype(bool).all(axis=1) if sides else pd.Series(False, index=links.index)
    )
    return {
        "pairs": len(links),
        "p_match_0.5": int((links["p_match"] >= 0.5).sum()),
        "both_confident": int(both.sum()),
        "class_conflicts": int(links["class_conflict"].sum()),
    }
