"""The crossmatch of one X-ray catalog with several MW catalogs, as lazy lsdb catalogs.

Shared by ``muwclass crossmatch`` (HATS catalogs on disk, written by the job) and
``muwclass field`` (small in-memory catalogs, computed at once): for each MW catalog the
long table of all candidates with their posteriors, and one row per X-ray source with the
best counterpart of every catalog and a flag where those counterparts disagree.
"""

from __future__ import annotations

import lsdb
import pandas as pd

from muwclass.config import CrossmatchConfig
from muwclass.crossmatch.algorithm import BayesianCrossmatch
from muwclass.crossmatch.best import flag_conflicts, reduce_to_best

CANDIDATE_COLUMNS = ["_sep_arcsec", "_lr", "_post", "_p_any", "_p_i", "_n_cand", "_density_arcsec2"]


def algorithm_for(x: CrossmatchConfig, target: str, mw: lsdb.Catalog) -> BayesianCrossmatch:
    """The algorithm with this run's settings; the MW error scale is read from the catalog."""
    first = mw.partitions[0].compute(progress_bar=False) if mw.npartitions else pd.DataFrame()
    mw_err = float(first["err_maj"].quantile(0.99)) if len(first) else 0.5
    return BayesianCrossmatch(
        completeness=x.completeness_of(target),
        systematic_arcsec=x.systematic_arcsec,
        nsigma=x.nsigma,
        max_radius_arcsec=x.max_radius_arcsec,
        density_radius_arcsec=x.density_radius_arcsec,
        mw_max_error_arcsec=mw_err,
    )


def _suffixed(xray: lsdb.Catalog, mw: lsdb.Catalog, algo, target: str, how: str) -> lsdb.Catalog:
    return xray.crossmatch(mw, algorithm=algo, how=how, suffixes=("", f"_{target}"), suffix_method="all_columns")


def algorithms_for(x: CrossmatchConfig, mws: dict[str, lsdb.Catalog]) -> dict[str, BayesianCrossmatch]:
    """One algorithm per MW catalog, built once (each reads a partition for its error scale)
    and shared by the candidate tables and the best-counterpart table."""
    return {target: algorithm_for(x, target, mw) for target, mw in mws.items()}


def candidate_tables(xray: lsdb.Catalog, mws: dict[str, lsdb.Catalog], algos: dict[str, BayesianCrossmatch]) -> dict[str, lsdb.Catalog]:
    """Per MW catalog: every (X-ray source, candidate) pair with its statistics."""
    out = {}
    for target, mw in mws.items():
        long = _suffixed(xray, mw, algos[target], target, "inner")
        out[target] = long[["source_id", "ra", "dec", f"source_id_{target}", f"ra_{target}", f"dec_{target}", *CANDIDATE_COLUMNS]]
    return out


def best_counterparts(
    x: CrossmatchConfig, xray: lsdb.Catalog, mws: dict[str, lsdb.Catalog], algos: dict[str, BayesianCrossmatch]
) -> lsdb.Catalog:
    """One row per X-ray source: its columns, the best counterpart per MW catalog with
    ``<target>_sep/p_any/p_i/n_cand``, and ``mw_conflict``."""
    chained = xray
    for target, mw in mws.items():
        joined = _suffixed(chained, mw, algos[target], target, "left")
        mw_columns, cols = list(mw.columns), list(chained.columns)
        meta = reduce_to_best(joined.meta, target, mw_columns, cols)
        chained = joined.map_partitions(reduce_to_best, target, mw_columns, cols, meta=meta)
    targets = list(mws)
    meta = chained.meta.assign(mw_conflict=pd.Series(dtype=bool))
    return chained.map_partitions(
        lambda df: df.assign(mw_conflict=flag_conflicts(df, targets, x.conflict_nsigma, x.systematic_arcsec).to_numpy()), meta=meta
    )
