"""Functions applied to one partition of a left crossmatch (every X-ray source joined with each
of its candidates, or alone): pure pandas/numpy, testable on a DataFrame without Dask.

:func:`rescored` recomputes posteriors under the magnitude prior, :func:`counterpart_histogram`
gives a partition's share of the prior's counterpart histogram, :func:`only_candidates` keeps
the rows that have a candidate. Their orchestration over a catalog is
:mod:`muwclass.crossmatch.chain`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from muwclass.crossmatch import mag_prior as mp

#: the columns the crossmatch adds to each candidate row (the candidates table keeps them)
CANDIDATE_COLUMNS = [
    "_sep_arcsec",
    "_lr_pos",
    "_mag_factor",
    "_lr",
    "_post",
    "_p_any",
    "_p_i",
    "_n_cand",
    "_density_arcsec2",
]


def candidate_rows(part: pd.DataFrame, target: str) -> np.ndarray:
    return part[f"source_id_{target}"].notna().to_numpy()


def _groups(part: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(part["source_id"].to_numpy()[rows])
    return codes.astype(np.int64), len(uniques)


def rescored(part: pd.DataFrame, target: str, prior: mp.MagPrior | None, completeness: float) -> pd.DataFrame:
    """The left-joined partition with posteriors recomputed under the magnitude prior;
    ``_lr_pos`` keeps the positional likelihood ratio, ``_mag_factor`` the prior's factor."""
    out = part.copy()
    rows = candidate_rows(part, target)
    lr_pos = part["_lr"].to_numpy(dtype=float, na_value=np.nan)
    factor = np.where(rows, 1.0, np.nan)
    if prior is not None and rows.any():
        factor[rows] = prior.factor(
            part[f"{prior.column}_{target}"].to_numpy(dtype=float, na_value=np.nan)[rows]
        )
    dtype = part["_lr"].dtype
    out.insert(out.columns.get_loc("_lr"), "_lr_pos", pd.Series(lr_pos, index=out.index, dtype=dtype))
    out.insert(out.columns.get_loc("_lr"), "_mag_factor", pd.Series(factor, index=out.index, dtype=dtype))
    if rows.any():
        group, n = _groups(part, rows)
        lr, post, p_any, p_i = mp.rescore(group, lr_pos[rows], factor[rows], completeness, n)
        for col, values in (("_lr", lr), ("_post", post), ("_p_any", p_any), ("_p_i", p_i)):
            v = out[col].to_numpy(dtype=float, na_value=np.nan).copy()
            v[rows] = values
            out[col] = pd.Series(v, index=out.index, dtype=part[col].dtype)
    return out


def counterpart_histogram(
    part: pd.DataFrame,
    target: str,
    column: str,
    edges: np.ndarray,
    prior: mp.MagPrior | None,
    completeness: float,
) -> np.ndarray:
    """Posterior-weighted magnitude counts of one partition's candidates (under ``prior``)."""
    rows = candidate_rows(part, target)
    if not rows.any():
        return np.zeros(len(edges))
    weights = (rescored(part, target, prior, completeness) if prior is not None else part)["_post"]
    mag = part[f"{column}_{target}"].to_numpy(dtype=float, na_value=np.nan)[rows]
    return mp.histogram(mag, edges, weights.to_numpy(dtype=float, na_value=np.nan)[rows])


def only_candidates(scored: pd.DataFrame, target: str, columns: list[str]) -> pd.DataFrame:
    return scored.loc[candidate_rows(scored, target), columns]
