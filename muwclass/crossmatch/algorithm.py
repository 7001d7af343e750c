"""The probabilistic crossmatch as an lsdb crossmatch algorithm.

lsdb aligns the partitions of the X-ray (left) and MW (right, with its margin) catalogs and
runs ``perform_crossmatch`` on each pair on Dask; this class only finds the candidates and
computes their statistics with :mod:`muwclass.crossmatch.likelihood`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from lsdb.core.crossmatch.abstract_crossmatch_algorithm import AbstractCrossmatchAlgorithm
from scipy.spatial import cKDTree

from muwclass.crossmatch import likelihood as lk

_F64 = pd.ArrowDtype(pa.float64())
_I64 = pd.ArrowDtype(pa.int64())


def _xyz(ra, dec) -> np.ndarray:
    ra, dec = np.radians(np.asarray(ra, float)), np.radians(np.asarray(dec, float))
    return np.column_stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])


def _chord(arcsec) -> np.ndarray:
    return 2 * np.sin(np.radians(np.asarray(arcsec, float) / 3600) / 2)


def _pairs_within(
    tree: cKDTree, points: np.ndarray, radius_arcsec: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """All (point, tree row) pairs closer than each point's own radius, without a Python loop
    over points: count first (C), then one k-nearest query with k = the largest count."""
    chord = _chord(radius_arcsec)
    counts = tree.query_ball_point(points, chord, return_length=True)
    k = int(counts.max(initial=0))
    if k == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    dist, idx = tree.query(points, k=k, distance_upper_bound=float(chord.max()))
    dist, idx = dist.reshape(len(points), k), idx.reshape(len(points), k)
    ok = dist <= chord[:, None]
    li = np.nonzero(ok)[0].astype(np.int64)
    return li, idx[ok].astype(np.int64)


class BayesianCrossmatch(AbstractCrossmatchAlgorithm):
    """All candidates within an error-derived radius, with NWAY-style posteriors."""

    extra_columns = pd.DataFrame(
        {
            "_sep_arcsec": pd.Series(dtype=_F64),
            "_lr": pd.Series(dtype=_F64),
            "_post": pd.Series(dtype=_F64),
            "_p_any": pd.Series(dtype=_F64),
            "_p_i": pd.Series(dtype=_F64),
            "_n_cand": pd.Series(dtype=_I64),
            "_density_arcsec2": pd.Series(dtype=_F64),
        }
    )

    def __init__(
        self,
        completeness: float = 0.9,
        systematic_arcsec: float = 0.3,
        nsigma: float = 5.0,
        max_radius_arcsec: float = 15.0,
        density_radius_arcsec: float = 30.0,
        mw_max_error_arcsec: float = 0.5,
        proper_motion: bool = True,
    ):
        super().__init__()
        self.completeness = completeness
        self.systematic_arcsec = systematic_arcsec
        self.nsigma = nsigma
        self.max_radius_arcsec = max_radius_arcsec
        self.density_radius_arcsec = density_radius_arcsec
        self.mw_max_error_arcsec = mw_max_error_arcsec
        self.proper_motion = proper_motion

    def validate(self, left, right) -> None:
        super().validate(left, right)
        if not 0 < self.completeness < 1:
            raise ValueError(f"completeness must be in (0, 1), got {self.completeness}")
        if self.max_radius_arcsec <= 0 or self.density_radius_arcsec <= 0:
            raise ValueError("max_radius_arcsec and density_radius_arcsec must be > 0")
        margin = right.margin
        need = max(self.max_radius_arcsec, self.density_radius_arcsec)
        if margin is not None and margin.hc_structure.catalog_info.margin_threshold < need:
            raise ValueError(
                f"the MW margin ({margin.hc_structure.catalog_info.margin_threshold} arcsec) is smaller than "
                f"the search/density radius ({need} arcsec): re-import with a larger margin_arcsec"
            )
        for col in ("ra", "dec", "err_maj", "err_min", "err_pa", "epoch"):
            for cat, side in ((left, "X-ray"), (right, "MW")):
                if col not in cat.columns:
                    raise ValueError(f"{side} catalog {cat.name} lacks column '{col}' of the internal schema")

    def perform_crossmatch(self, args) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        left, right = args.left_df, args.right_df
        empty = (np.empty(0, np.int64), np.empty(0, np.int64), self.extra_columns.copy())
        if len(left) == 0 or len(right) == 0:
            return empty
        lra, ldec = left["ra"].to_numpy(float), left["dec"].to_numpy(float)
        rra, rdec = right["ra"].to_numpy(float), right["dec"].to_numpy(float)
        tree = cKDTree(_xyz(rra, rdec))
        lxyz = _xyz(lra, ldec)
        # Local density of the MW catalog around each X-ray source (the right side carries
        # its margin, so sources near partition edges see all their neighbours).
        n_near = tree.query_ball_point(lxyz, _chord(self.density_radius_arcsec), return_length=True)
        density = np.maximum(n_near, 1) / (np.pi * self.density_radius_arcsec**2)
        lmaj = left["err_maj"].to_numpy(float)
        radius = lk.search_radius(
            lmaj, self.mw_max_error_arcsec, self.systematic_arcsec, self.nsigma, self.max_radius_arcsec
        )
        pm_slack = 0.0
        pmra = right["pmra"].to_numpy(float) if self.proper_motion and "pmra" in right.columns else None
        pmdec = right["pmdec"].to_numpy(float) if pmra is not None else None
        if pmra is not None:
            pm_tot = np.nan_to_num(np.hypot(pmra, pmdec))
            pm_slack = float(pm_tot.max(initial=0.0)) * 30 / 1000  # <= 30 yr apart, arcsec
        li, ri = _pairs_within(tree, lxyz, radius + pm_slack)
        if len(li) == 0:
            return empty
        lepoch = left["epoch"].to_numpy(float)[li]
        mra, mdec = rra[ri], rdec[ri]
        if pmra is not None:
            mra, mdec = lk.propagate(
                mra, mdec, pmra[ri], pmdec[ri], right["epoch"].to_numpy(float)[ri], lepoch
            )
        dx, dy = lk.tangent_offsets(lra[li], ldec[li], mra, mdec)
        sep = np.hypot(dx, dy)
        keep = sep <= radius[li]
        li, ri, dx, dy, sep, lepoch = li[keep], ri[keep], dx[keep], dy[keep], sep[keep], lepoch[keep]
        if len(li) == 0:
            return empty
        xe = lk.ellipse_covariance(
            lmaj[li], left["err_min"].to_numpy(float)[li], left["err_pa"].to_numpy(float)[li]
        )
        me = lk.ellipse_covariance(
            right["err_maj"].to_numpy(float)[ri],
            right["err_min"].to_numpy(float)[ri],
            right["err_pa"].to_numpy(float)[ri],
        )
        sys2 = self.systematic_arcsec**2
        s_ee, s_en, s_nn = xe[0] + me[0] + sys2, xe[1] + me[1], xe[2] + me[2] + sys2
        if pmra is not None and "e_pmra" in right.columns:
            dt = np.abs(lepoch - right["epoch"].to_numpy(float)[ri]) / 1000  # yr -> arcsec per mas/yr
            s_ee = s_ee + np.nan_to_num(right["e_pmra"].to_numpy(float)[ri] * dt) ** 2
            s_nn = s_nn + np.nan_to_num(right["e_pmdec"].to_numpy(float)[ri] * dt) ** 2
        lr = lk.gaussian_density(dx, dy, s_ee, s_en, s_nn) / density[li]
        post, p_any = lk.match_probabilities(li, lr, self.completeness, len(left))
        n_cand = np.bincount(li, minlength=len(left))
        extra = pd.DataFrame(
            {
                "_sep_arcsec": pd.Series(sep, dtype=_F64),
                "_lr": pd.Series(lr, dtype=_F64),
                "_post": pd.Series(post, dtype=_F64),
                "_p_any": pd.Series(p_any[li], dtype=_F64),
                "_p_i": pd.Series(post / np.where(p_any[li] > 0, p_any[li], 1.0), dtype=_F64),
                "_n_cand": pd.Series(n_cand[li], dtype=_I64),
                "_density_arcsec2": pd.Series(density[li], dtype=_F64),
            }
        )
        return li, ri, extra
