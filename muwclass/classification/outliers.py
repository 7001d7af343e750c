"""How unlike every training class a source is: a per-class nearest-neighbour density score.

It uses a compact feature set (fluxes, hardness ratios, the poster's nine colours, X-ray to
optical ratios, which surveys have a counterpart; missing values at the training median, the
indicators carrying the missingness): with all 36 colours the redundant colours dominate the
distances and held-out classes no longer stand out. Features are centred and scaled by their
10-90% range on the training set (robust, and unlike a quantile transform it does not clip a
source beyond the training range back to its edge). For each class, the
distance of a source to its k-th nearest member is divided by the class's own typical k-th
neighbour distance (median over members, leaving each member out). The outlier score is the
smallest such ratio over classes: about 1 or less for a source that sits inside some class,
large for a source far from all of them. Validated by holding out one class at a time
(``holdout_validation``): the held-out class must score higher than unseen members of the
trained classes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import RobustScaler

from muwclass.classification.features import FeatureSet, compute_features

OUTLIER_FEATURES = FeatureSet(
    colours="poster", magnitudes=False, astrometry=False, variability=False, significance=False, fill="nan"
)


class OutlierModel:
    """Fitted on a training feature matrix and its labels; ``score`` gives the outlier score."""

    def __init__(self, k: int = 10):
        self.k = k

    def _matrix(self, df: pd.DataFrame) -> np.ndarray:
        return compute_features(df, OUTLIER_FEATURES).fillna(self.fill_).to_numpy(dtype=float)

    def fit(self, df: pd.DataFrame, labels: np.ndarray) -> OutlierModel:
        """Fit on internal-schema rows (a training set) and their classes."""
        labels = np.asarray(labels, dtype=object)
        self.fill_ = compute_features(df, OUTLIER_FEATURES).median()
        features = self._matrix(df)
        self.scaler_ = RobustScaler(quantile_range=(10.0, 90.0))
        z = self.scaler_.fit_transform(features)
        self.classes_ = sorted(set(labels))
        self.neighbours_, self.scale_ = {}, {}
        for c in self.classes_:
            members = z[labels == c]
            k = min(self.k, len(members) - 1)
            if k < 1:
                raise ValueError(f"outlier model: class {c} has {len(members)} member(s); needs at least 2")
            nn = NearestNeighbors(n_neighbors=k + 1).fit(members)
            own = nn.kneighbors(members)[0][:, k]  # k-th neighbour other than itself
            self.neighbours_[c] = (nn, k)
            self.scale_[c] = float(np.median(own)) or 1.0
        return self

    def score(self, df: pd.DataFrame) -> np.ndarray:
        """Outlier score per row of ``df`` (internal schema)."""
        z = self.scaler_.transform(self._matrix(df))
        ratios = []
        for c in self.classes_:
            nn, k = self.neighbours_[c]
            ratios.append(nn.kneighbors(z, n_neighbors=k)[0][:, k - 1] / self.scale_[c])
        return np.min(ratios, axis=0)


def holdout_validation(df: pd.DataFrame, labels: np.ndarray, k: int = 10, seed: int = 0) -> dict[str, float]:
    """Per held-out class: ROC AUC of its members' scores vs unseen members of the other classes.

    For each class, the model is fitted on 80% of the other classes; the held-out class and
    the remaining 20% of the others are scored. AUC 1 = every held-out source scores higher.
    """
    labels = np.asarray(labels, dtype=object)
    out = {}
    for c in sorted(set(labels)):
        rest = np.flatnonzero(labels != c)
        train, test = train_test_split(rest, test_size=0.2, random_state=seed, stratify=labels[rest])
        model = OutlierModel(k).fit(df.iloc[train], labels[train])
        held = model.score(df.loc[labels == c])
        seen = model.score(df.iloc[test])
        out[c] = float(roc_auc_score(np.r_[np.zeros(len(seen)), np.ones(len(held))], np.r_[seen, held]))
    return out
