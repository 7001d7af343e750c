"""The release's link table: each side's class from its own table, a conflict only where both
sides are confident and disagree, a quarantined side left empty."""

from __future__ import annotations

import pandas as pd

from muwclass.release.xray_links import link_summary, link_table


def _rows(ids, classes, confident):
    return pd.DataFrame({"source_id": ids, "Class": classes, "confident": confident})


def test_each_side_gets_its_own_class_and_a_conflict_needs_two_confident_classes():
    pairs = pd.DataFrame(
        {
            "csc": ["c1", "c2", "c3", "c4"],
            "xmm": ["x1", "x2", "x3", "x4"],
            "p_match": [0.99, 0.9, 0.6, 0.3],
            "sep_arcsec": [0.5, 1.0, 2.0, 3.0],
            "n_candidates": [1, 1, 2, 3],
        }
    )
    csc = _rows(["c1", "c2", "c3"], ["AGN", "YSO", "CV"], [True, True, False])  # c4 quarantined
    xmm = _rows(["x4", "x3", "x2", "x1"], ["NS", "LMXB", "LM-STAR", "AGN"], [True, True, True, True])
    links = link_table(pairs, "csc", "xmm", csc, xmm)
    assert links["Class_csc"].tolist()[:3] == ["AGN", "YSO", "CV"] and pd.isna(links["Class_csc"].iloc[3])
    assert links["Class_xmm"].tolist() == ["AGN", "LM-STAR", "LMXB", "NS"]
    # c1/x1 agree; c2/x2 disagree, both confident; c3 is not confident; c4 was not classified
    assert links["class_conflict"].tolist() == [False, True, False, False]
    assert link_summary(links) == {"pairs": 4, "p_match_0.5": 3, "both_confident": 2, "class_conflicts": 1}


def test_a_source_repeated_on_one_side_does_not_repeat_its_pair():
    pairs = pd.DataFrame(
        {"csc": ["c1"], "xmm": ["x1"], "p_match": [0.9], "sep_arcsec": [0.1], "n_candidates": [1]}
    )
    twice = _rows(["c1", "c1"], ["AGN", "YSO"], [True, True])
    links = link_table(pairs, "csc", "xmm", twice, _rows(["x1"], ["AGN"], [True]))
    assert len(links) == 1  # the first row of a repeated source id; the pair is not duplicated
