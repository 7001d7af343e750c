"""Class schemes: which training labels become which model classes (configurable by name).

The shared training sets carry 8 labels. The poster's 9-class scheme splits out Wolf-Rayet
stars (WR) and neutron-star binaries (NS_BIN); neither shared file labels those sources, so
that scheme is only usable with a training set that does (the ``poster9`` scheme accepts the
labels and reports when a class has no members).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from muwclass.errors import LabelError

DEFAULT_CLASSES = ("AGN", "YSO", "LM-STAR", "HM-STAR", "NS", "CV", "LMXB", "HMXB")

#: scheme name -> {label in the training file: model class, or None to drop the row}
SCHEMES: dict[str, dict[str, str | None]] = {
    "default": {c: c for c in DEFAULT_CLASSES},
    "poster9": {**{c: c for c in DEFAULT_CLASSES}, "WR": "WR", "NS_BIN": "NS_BIN"},
    # coarse scheme for quick looks: compact binaries together, stars together
    "coarse": {
        "AGN": "AGN",
        "YSO": "YSO",
        "LM-STAR": "STAR",
        "HM-STAR": "STAR",
        "NS": "NS",
        "CV": "XRB",
        "LMXB": "XRB",
        "HMXB": "XRB",
    },
}


def scheme_mapping(scheme: str) -> dict[str, str | None]:
    """The label -> class mapping of ``scheme``; an unknown scheme is an error naming the known ones."""
    if scheme not in SCHEMES:
        raise LabelError(f"unknown class scheme '{scheme}' (known: {sorted(SCHEMES)})")
    return SCHEMES[scheme]


def apply_scheme(labels: pd.Series, scheme: str, source: str) -> tuple[np.ndarray, np.ndarray]:
    """(model class per row, rows kept) under ``scheme``; unknown or missing labels are errors.

    ``source`` names the file in messages.
    """
    mapping = scheme_mapping(scheme)
    raw = labels.astype("string").str.strip()
    missing = raw.isna() | (raw == "")
    if missing.any():
        rows = (np.flatnonzero(missing.to_numpy()) + 2).tolist()[:10]  # +2: header line, 1-based
        raise LabelError(f"{source}: {int(missing.sum())} rows have no class label (file lines {rows}...)")
    unknown = sorted(set(raw) - set(mapping))
    if unknown:
        raise LabelError(
            f"{source}: labels {unknown} are not in class scheme '{scheme}' (known: {sorted(mapping)})"
        )
    mapped = raw.map(mapping)
    keep = mapped.notna().to_numpy()
    return mapped[keep].to_numpy(dtype=object), keep
