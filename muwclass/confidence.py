"""Monte-Carlo classification confidence (Yang et al. 2022, section 4): pure functions.

Every source is classified N times, each time with its measurements drawn within their errors
and its optical/IR counterparts kept or dropped according to the crossmatch probability that
they are the right ones (the poster's plan to fold counterpart confusion into the confidence).
The mean and spread of the class probabilities give ``P_<class>``, ``e_P_<class>`` and the
confidence ``CT = (P1 - 2 e1) / (P2 + 2 e2)`` of the top two classes (confident: CT >= 2).

Random numbers come from one generator per source seeded by (seed, source id), so a source
gets the same draws however the catalog is partitioned or ordered.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from muwclass.features import SURVEYS, error_pairs

#: internal column with the probability that the listed counterpart of a survey is the true one
MATCH_PROBABILITY = {survey: f"p_match_{survey}" for survey in SURVEYS}
CONFIDENT_CT = 2.0


def source_seeds(source_ids: pd.Series, seed: int) -> np.ndarray:
    """A 64-bit seed per source from (seed, id): stable across runs, platforms and partitionings."""
    out = np.empty(len(source_ids), dtype=np.uint64)
    for i, sid in enumerate(source_ids.astype(str)):
        out[i] = int.from_bytes(hashlib.blake2b(f"{seed}:{sid}".encode(), digest_size=8).digest(), "little")
    return out


def source_variates(seeds: np.ndarray, n_draws: int, n_columns: int) -> np.ndarray:
    """Standard normal variates, shape (draws, sources, columns), each source from its own stream."""
    out = np.empty((n_draws, len(seeds), n_columns))
    for i, s in enumerate(seeds):
        out[:, i, :] = np.random.default_rng(int(s)).standard_normal((n_draws, n_columns))
    return out


def draw_sources(df: pd.DataFrame, normal: np.ndarray) -> pd.DataFrame:
    """One realisation of every row: values within errors, counterparts kept with their p_match.

    ``normal`` is (sources, len(error_pairs()) + len(SURVEYS)) standard normal variates; the
    last columns decide the counterparts (kept when Phi(z) < p_match).
    """
    from scipy.special import ndtr

    from muwclass.features import draw_within_errors

    n_err = len(error_pairs())
    pairs = [k for k, (v, e) in enumerate(error_pairs()) if v in df.columns and e in df.columns]
    out = draw_within_errors(df, None, normal=normal[:, pairs])
    for j, (survey, bands) in enumerate(SURVEYS.items()):
        col = MATCH_PROBABILITY[survey]
        if col not in out:
            continue
        p = pd.to_numeric(out[col], errors="coerce").fillna(1.0).to_numpy(dtype=float)
        dropped = ndtr(normal[:, n_err + j]) >= p
        for band in bands:
            if band in out:
                out.loc[dropped, band] = np.nan
        if survey == "gaia":
            for c in ("parallax", "parallax_over_error", "pm", "rgeo"):
                if c in out:
                    out.loc[dropped, c] = np.nan
    return out


def monte_carlo_proba(model, df: pd.DataFrame, n_draws: int, seed: int, id_column: str = "source_id") -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over ``n_draws`` of ``model.predict_proba`` (sources x classes)."""
    if n_draws < 1:
        raise ValueError(f"confidence draws must be >= 1, got {n_draws}")
    n_cols = len(error_pairs()) + len(SURVEYS)
    normal = source_variates(source_seeds(df[id_column], seed), n_draws, n_cols)
    first = model.predict_proba(draw_sources(df, normal[0]))
    shift = np.zeros_like(first)  # sums of deviations from the first draw: no cancellation
    shift_sq = np.zeros_like(first)
    for d in range(1, n_draws):
        dev = model.predict_proba(draw_sources(df, normal[d])) - first
        shift += dev
        shift_sq += dev * dev
    mean_dev = shift / n_draws
    std = np.sqrt(np.clip(shift_sq / n_draws - mean_dev * mean_dev, 0.0, None))
    return first + mean_dev, std


def confidence_table(mean: np.ndarray, std: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """``P_<c>``, ``e_P_<c>``, ``Class``, ``Class_prob``, ``CT`` and ``confident`` per source."""
    order = np.argsort(-mean, axis=1, kind="stable")
    rows = np.arange(len(mean))
    p1, e1 = mean[rows, order[:, 0]], std[rows, order[:, 0]]
    if mean.shape[1] > 1:
        p2, e2 = mean[rows, order[:, 1]], std[rows, order[:, 1]]
    else:
        p2, e2 = np.zeros(len(mean)), np.zeros(len(mean))
    with np.errstate(divide="ignore", invalid="ignore"):
        ct = (p1 - 2 * e1) / (p2 + 2 * e2)
    ct = np.where(p2 + 2 * e2 > 0, ct, np.inf)
    out = {f"P_{c}": mean[:, j] for j, c in enumerate(classes)}
    out |= {f"e_P_{c}": std[:, j] for j, c in enumerate(classes)}
    out |= {"Class": np.asarray(classes, dtype=object)[order[:, 0]], "Class_prob": p1, "CT": ct, "confident": ct >= CONFIDENT_CT}
    return pd.DataFrame(out)
