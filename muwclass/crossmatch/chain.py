"""The crossmatch of one X-ray catalog with several MW catalogs, as lazy lsdb catalogs.

This module is the orchestration (which lazy catalog feeds which, what is summed over
partitions); the functions applied to one partition are in :mod:`muwclass.crossmatch.partition`
and :mod:`muwclass.crossmatch.best`, the statistics in :mod:`muwclass.crossmatch.likelihood` and
:mod:`muwclass.crossmatch.mag_prior`.

Shared by ``muwclass crossmatch`` (HATS catalogs on disk, written by the job) and
``muwclass field`` (small in-memory catalogs, computed at once). Per MW catalog, one left
crossmatch (every X-ray source with every candidate, or alone) is made and ``persist``-ed;
everything else is derived from that one result, so no crossmatch is computed twice:

1. the magnitude prior (:mod:`muwclass.crossmatch.mag_prior`) from posterior-weighted
   candidate magnitudes and the MW catalog's own magnitude histogram, summed over partitions;
2. the candidates rescored with it: the long table of all candidates with their posteriors;
3. the best counterpart per X-ray source, which the next MW catalog's crossmatch extends;

and finally a flag where the chosen counterparts of different catalogs disagree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dask
import lsdb
import numpy as np
import pandas as pd

from muwclass.config.run import CrossmatchConfig
from muwclass.config.schema import MW_BANDS
from muwclass.crossmatch import mag_prior as mp
from muwclass.crossmatch.algorithm import BayesianCrossmatch
from muwclass.crossmatch.best import flag_conflicts, merge_fallback, reduce_to_best
from muwclass.crossmatch.partition import CANDIDATE_COLUMNS, counterpart_histogram, only_candidates, rescored
from muwclass.io.atomic import read_json, write_json
from muwclass.runtime.numba_cache import cache_hats_kernels

cache_hats_kernels()  # hats's alignment and MOC kernels: compiled once per machine, not per process

#: ``persist(catalog, name)`` materialises a lazy catalog and returns one reading the result
#: (the job writes HATS to disk); the identity keeps everything lazy (small in-memory fields).
Persist = Callable[[lsdb.Catalog, str], lsdb.Catalog]


def keep_lazy(catalog: lsdb.Catalog, name: str) -> lsdb.Catalog:
    return catalog


def algorithm_for(x: CrossmatchConfig, target: str, mw: lsdb.Catalog) -> BayesianCrossmatch:
    """The algorithm with this run's settings; the MW error scale is read from the catalog."""
    # only the one column is read: 0.1-0.7 s instead of 0.9-1.2 s per scale-1.0 MW catalog
    first = mw[["err_maj"]].partitions[0].compute(progress_bar=False) if mw.npartitions else pd.DataFrame()
    mw_err = float(first["err_maj"].quantile(0.99)) if len(first) else 0.5
    return BayesianCrossmatch(
        completeness=x.completeness_of(target),
        systematic_arcsec=x.systematic_of(x.main_xray),
        nsigma=x.nsigma,
        max_radius_arcsec=x.max_radius_arcsec,
        density_radius_arcsec=x.density_radius_arcsec,
        mw_max_error_arcsec=mw_err,
    )


def _summed(catalog: lsdb.Catalog | pd.DataFrame, fn, *args) -> np.ndarray:
    """Sum of ``fn(partition, *args)`` over all partitions, in partition order (a computed
    DataFrame is one partition)."""
    if isinstance(catalog, lsdb.Catalog):
        parts = dask.compute(*[dask.delayed(fn)(p, *args) for p in catalog.to_delayed()])
    else:
        parts = [fn(catalog, *args)]
    return np.sum(parts, axis=0) if parts else np.zeros(0)


def background_histogram(
    mw: lsdb.Catalog, column: str, edges: np.ndarray, cache_dir: Path | None = None
) -> np.ndarray:
    """Magnitude counts of the whole MW catalog, cached under ``cache_dir`` for a catalog on
    disk: keyed by its HATS metadata (a re-import writes new metadata), so a rerun against the
    same catalog reads a few numbers instead of every row."""
    cache = None
    root = getattr(mw.hc_structure, "catalog_path", None)
    if cache_dir is not None and root is not None:
        key = hashlib.blake2b(f"{column}:{np.asarray(edges, float).tolist()}".encode(), digest_size=10)
        for name in ("properties", "hats.properties", "partition_info.csv"):
            f = root / name
            if f.is_file():
                key.update(f.read_bytes())
        cache = cache_dir / f"mag_histogram_{key.hexdigest()}.json"
        hit = read_json(cache)
        if hit is not None and len(hit.get("counts", [])) == len(edges):
            return np.asarray(hit["counts"], float)
    counts = _summed(
        mw[[column]], lambda df: mp.histogram(df[column].to_numpy(dtype=float, na_value=np.nan), edges)
    )
    if cache is not None and len(counts):
        write_json(
            cache,
            {
                "catalog": str(root),
                "column": column,
                "edges": list(map(float, edges)),
                "counts": counts.tolist(),
            },
        )
    return counts


def fit_prior(
    x: CrossmatchConfig,
    target: str,
    raw: lsdb.Catalog | pd.DataFrame,
    mw: lsdb.Catalog,
    cache_dir: Path | None = None,
) -> mp.MagPrior | None:
    """The target's magnitude prior fitted on its persisted (or computed) left crossmatch,
    or None if it has none."""
    column = x.mag_prior.get(target)
    if column is None:
        return None
    if column not in mw.columns:
        raise ValueError(f"crossmatch.mag_prior: catalog '{target}' has no column '{column}'")
    lo, hi = x.mag_prior_range
    edges = np.arange(lo, hi + x.mag_prior_step / 2, x.mag_prior_step)
    background = background_histogram(mw, column, edges, cache_dir)
    if not len(background):
        return None
    completeness = x.completeness_of(target)
    slim = raw[
        ["source_id", f"source_id_{target}", f"{column}_{target}", "_lr", "_post", "_p_any", "_p_i"]
    ]  # read only these
    prior = None
    for _ in range(x.mag_prior_iterations):
        counts = _summed(slim, counterpart_histogram, target, column, edges, prior, completeness)
        prior = mp.fit(
            column,
            edges,
            counts if len(counts) else np.zeros(len(edges)),
            background,
            x.mag_prior_pseudo_counts,
        )
    return prior


def _fallback(
    x: CrossmatchConfig, chained: lsdb.Catalog, target: str, mws: dict[str, lsdb.Catalog]
) -> lsdb.Catalog:
    """Apply :func:`merge_fallback` where ``target`` is one of several catalogs of a survey."""
    for group, members in x.photometry_fallback.items():
        present = [m for m in mws if m in members]
        if target not in present or len(present) < 2:
            continue
        columns = {c for m in present for c in mws[m].columns}
        bands = [c for b in MW_BANDS for c in (b, f"e_{b}") if c in columns]
        bands += [f"{c}_alt" for c in bands]  # the runner-up's bands follow the same supplier
        args = (group, target, target == present[0], bands, x.accept_xray_scale, x.accept_mw_scale)
        return chained.map_partitions(merge_fallback, *args, meta=merge_fallback(chained.meta, *args))
    return chained


@dataclass
class CrossmatchResult:
    """Lazy products of the chain: candidates per MW catalog, the per-source table, the priors."""

    candidates: dict[str, lsdb.Catalog]
    best: lsdb.Catalog
    priors: dict[str, mp.MagPrior | None]


def crossmatch_chain(
    x: CrossmatchConfig,
    xray: lsdb.Catalog,
    mws: dict[str, lsdb.Catalog],
    persist: Persist = keep_lazy,
    cache_dir: Path | None = None,
    priors: dict[str, mp.MagPrior | None] | None = None,
) -> CrossmatchResult:
    """Every MW catalog crossmatched once; candidates, priors and best counterparts from that
    (``cache_dir`` keeps the MW catalogs' magnitude histograms between runs). ``priors``: the
    magnitude priors to use instead of fitting them (an incremental update keeps its parent
    release's, so untouched and recomputed sources are scored alike)."""
    chained, candidates, chosen = xray, {}, {}
    for target, mw in mws.items():
        algo = algorithm_for(x, target, mw)
        joined = chained.crossmatch(
            mw, algorithm=algo, how="left", suffixes=("", f"_{target}"), suffix_method="all_columns"
        )
        raw = persist(joined, f"raw_{target}")
        if priors is not None and target in priors:
            prior = priors[target]
        else:
            prior = fit_prior(x, target, raw, mw, cache_dir)
        chosen[target] = prior
        c = algo.completeness
        meta = rescored(raw.meta, target, prior, c)
        columns = [
            "source_id",
            "ra",
            "dec",
            f"source_id_{target}",
            f"ra_{target}",
            f"dec_{target}",
            *CANDIDATE_COLUMNS,
        ]
        scored = raw.map_partitions(rescored, target, prior, c, meta=meta)
        candidates[target] = scored.map_partitions(only_candidates, target, columns, meta=meta[columns])
        mw_columns, cols = list(mw.columns), list(chained.columns)
        chained = scored.map_partitions(
            reduce_to_best, target, mw_columns, cols, meta=reduce_to_best(meta, target, mw_columns, cols)
        )
        chained = _fallback(x, chained, target, mws)
    targets = list(mws)
    meta = chained.meta.assign(mw_conflict=pd.Series(dtype=bool))
    best = chained.map_partitions(
        lambda df: df.assign(
            mw_conflict=flag_conflicts(
                df, targets, x.conflict_nsigma, x.systematic_of(x.main_xray)
            ).to_numpy()
        ),
        meta=meta,
    )
    return CrossmatchResult(candidates, best, chosen)
