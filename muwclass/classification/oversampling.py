"""Physical oversampling: new members of rare classes drawn from real members' measurement errors.

Unlike SMOTE, which interpolates in feature space, these are sources as they could have been
measured, so the X-ray/optical relations of a class are kept. It runs as an imblearn
``FunctionSampler`` at the head of the pipeline, hence only on the training part of a fold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from imblearn import FunctionSampler

from muwclass.classification.features import draw_within_errors


def physical_oversample(
    X: pd.DataFrame, y: np.ndarray, fraction: float, random_state: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Grow every class below ``fraction`` x (size of the largest class) up to it."""
    y = np.asarray(y, dtype=object)
    classes, counts = np.unique(y, return_counts=True)
    target = int(np.ceil(fraction * counts.max()))
    rng = np.random.default_rng(random_state)
    parts, labels = [X], [y]
    for cls, n in zip(classes, counts, strict=True):
        if n >= target:
            continue
        members = np.flatnonzero(y == cls)
        chosen = X.iloc[rng.choice(members, size=target - n, replace=True)]
        parts.append(draw_within_errors(chosen, rng))
        labels.append(np.full(target - n, cls, dtype=object))
    return pd.concat(parts, ignore_index=True), np.concatenate(labels)


def physical_sampler(fraction: float, random_state: int) -> FunctionSampler:
    return FunctionSampler(
        func=physical_oversample, validate=False, kw_args={"fraction": fraction, "random_state": random_state}
    )
