"""Magnitude prior of the crossmatch (NWAY's data-driven prior; Salvato et al. 2018, sec. 2.3).

Counterparts of X-ray sources are brighter than the unrelated background stars that fall into their error
ellipses by chance, so each candidate's positional likelihood ratio is multiplied by

    q(m) / n(m)

the magnitude distribution of true counterparts over that of all sources of the MW catalog.
Both come from the data, so nothing about the X-ray population is assumed: ``n`` from the
whole MW catalog, ``q`` from the candidates weighted by their posterior (first positional,
then refitted with the prior itself). Bins with few counterparts shrink towards a ratio of 1
(pseudo-counts distributed like ``n``), and a candidate without the magnitude gets the ratio
of the "missing" bin. Pure numpy: the job only sums the histograms over partitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from muwclass.crossmatch import likelihood as lk

#: Significant digits kept in the ratio: histogram sums over partitions add up in a different
#: order for another partitioning; rounding makes the prior, hence every posterior, the same.
RATIO_DIGITS = 6


def bin_index(mag: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each magnitude; out-of-range values go to the first/last bin, NaN to the extra
    "missing" bin ``len(edges) - 1``."""
    mag = np.asarray(mag, float)
    nb = len(edges) - 1
    idx = np.clip(np.searchsorted(edges, mag, side="right") - 1, 0, nb - 1)
    return np.where(np.isfinite(mag), idx, nb)


def histogram(mag: np.ndarray, edges: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted counts per bin, the missing bin last (length ``len(edges)``)."""
    w = None if weights is None else np.nan_to_num(np.asarray(weights, float))
    return np.bincount(bin_index(mag, edges), weights=w, minlength=len(edges)).astype(float)


def _round(x: np.ndarray, digits: int = RATIO_DIGITS) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(x))))
    return np.where(x > 0, np.round(x * scale) / scale, x)


@dataclass(frozen=True)
class MagPrior:
    """``ratio[b]`` multiplies the likelihood ratio of a candidate whose magnitude is in bin b."""

    column: str
    edges: tuple[float, ...]
    ratio: tuple[float, ...]

    def factor(self, mag: np.ndarray) -> np.ndarray:
        return np.asarray(self.ratio, float)[bin_index(mag, np.asarray(self.edges, float))]

    def to_dict(self) -> dict:
        return {"column": self.column, "edges": list(self.edges), "ratio": list(self.ratio)}

    @classmethod
    def from_dict(cls, d: dict) -> MagPrior:
        return cls(d["column"], tuple(map(float, d["edges"])), tuple(map(float, d["ratio"])))

    @classmethod
    def flat(cls, column: str, edges: np.ndarray) -> MagPrior:
        return cls(column, tuple(float(e) for e in edges), (1.0,) * len(edges))


def fit(
    column: str, edges: np.ndarray, counterparts: np.ndarray, background: np.ndarray, pseudo_counts: float
) -> MagPrior:
    """The prior from posterior-weighted counterpart counts and the whole MW catalog's
    (background) counts per bin."""
    counterparts, background = np.asarray(counterparts, float), np.asarray(background, float)
    if background.sum() <= 0:
        return MagPrior.flat(column, edges)
    n = background / background.sum()
    q = (counterparts + pseudo_counts * n) / (counterparts.sum() + pseudo_counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(n > 0, q / n, 1.0)
    return MagPrior(column, tuple(float(e) for e in edges), tuple(float(r) for r in _round(ratio)))


def rescore(
    group: np.ndarray, lr_position: np.ndarray, factor: np.ndarray, completeness: float, n_groups: int
):
    """(lr, P_i, p_any per candidate, p_i) once the magnitude factor is applied."""
    lr = np.asarray(lr_position, float) * np.asarray(factor, float)
    post, p_any = lk.match_probabilities(group, lr, completeness, n_groups)
    p_any_i = p_any[group]
    return lr, post, p_any_i, post / np.where(p_any_i > 0, p_any_i, 1.0)
