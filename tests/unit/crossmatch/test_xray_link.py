"""The link table keeps mutually most probable pairs only (property test on random candidates)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from muwclass.crossmatch.xray_link import mutual_best


@settings(max_examples=60, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6), st.floats(0.0, 1.0)), min_size=0, max_size=30
    ),
    floor=st.sampled_from([0.0, 0.1, 0.5]),
)
def test_each_source_linked_at_most_once_to_its_most_probable_partner(pairs, floor):
    cand = pd.DataFrame(
        {
            "source_id": [f"c{a}" for a, _, _ in pairs],
            "source_id_xmm": [f"x{b}" for _, b, _ in pairs],
            "_post": [p for _, _, p in pairs],
            "_sep_arcsec": np.ones(len(pairs)),
            "_n_cand": np.ones(len(pairs), dtype=np.int64),
        }
    ).drop_duplicates(["source_id", "source_id_xmm"])
    links = mutual_best(cand, "csc", "xmm", floor)
    assert links["csc"].is_unique and links["xmm"].is_unique
    assert (links["p_match"] >= floor).all() and list(links["csc"]) == sorted(links["csc"])
    for row in links.itertuples():
        assert row.p_match == cand.loc[cand["source_id"] == row.csc, "_post"].max()
        assert row.p_match == cand.loc[cand["source_id_xmm"] == row.xmm, "_post"].max()
    # a pair that is the strict best of both sides above the floor is always kept
    for (a, b), p in cand.set_index(["source_id", "source_id_xmm"])["_post"].items():
        strict_a = (cand.loc[cand["source_id"] == a, "_post"] < p).sum() == (cand["source_id"] == a).sum() - 1
        strict_b = (cand.loc[cand["source_id_xmm"] == b, "_post"] < p).sum() == (
            cand["source_id_xmm"] == b
        ).sum() - 1
        if strict_a and strict_b and p >= floor:
            assert ((links["csc"] == a) & (links["xmm"] == b)).any()
