"""A release's rows scored against the synthetic sky's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from muwclass.evaluation.synthetic_truth import release_against_truth

CLASSES = ["AGN", "YSO", "CV"]


def _rows(ids, classes, ct, flag=None):
    p = {f"P_{c}": [0.8 if k == c else 0.1 for k in classes] for c in CLASSES}
    rows = pd.DataFrame({"source_id": ids, "Class": classes, "CT": ct, **p})
    return rows.assign(flag_quality=flag) if flag is not None else rows


def test_scores_every_known_source_and_counts_the_rest():
    truth = pd.DataFrame({"Class": ["AGN", "AGN", "YSO", "CV", "CV"]}, index=list("abcde"))
    rows = _rows(list("abcd"), ["AGN", "YSO", "YSO", "CV"], [3.0, 0.5, 4.0, 2.0], [False, True, False, True])
    s = release_against_truth(rows, truth, CLASSES)
    assert (s["sources"], s["scored"]) == (5, 4)  # e is not in the release (quarantined)
    assert s["accuracy"] == pytest.approx(0.75)
    assert s["recall"] == {"AGN": 0.5, "YSO": 1.0, "CV": 1.0}
    assert s["balanced_accuracy"] == pytest.approx(2.5 / 3)
    assert s["confident_fraction"] == pytest.approx(0.75) and s["confident_accuracy"] == 1.0
    assert s["flagged"] == 2 and s["flagged_accuracy"] == pytest.approx(0.5)


def test_rows_of_another_sky_are_an_error():
    truth = pd.DataFrame({"Class": ["AGN"]}, index=["a"])
    with pytest.raises(ValueError, match="not the same sky"):
        release_against_truth(_rows(["z"], ["AGN"], [3.0]), truth, CLASSES)


def test_without_a_quality_flag_nothing_is_reported_as_flagged():
    truth = pd.DataFrame({"Class": ["AGN", "CV"]}, index=["a", "b"])
    s = release_against_truth(_rows(["a", "b"], ["AGN", "CV"], [np.nan, 1.0]), truth, CLASSES)
    assert "flagged" not in s and s["confident_fraction"] == 0.0
