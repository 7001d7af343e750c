"""``muwclass crossmatch``: probabilistic crossmatch of the X-ray catalog with each MW catalog.

For every MW catalog of ``crossmatch.targets`` the X-ray HATS catalog is crossmatched with
:class:`muwclass.crossmatch.algorithm.BayesianCrossmatch` on Dask (lsdb aligns partitions and
margins; nothing is collected in the driver, so the MW catalog's size does not matter).
Writes ``hats/xmatch_<target>_candidates`` (every candidate with its posterior) and
``hats/xmatch`` (one row per X-ray source: best counterpart per catalog, p_any, p_i, number
of candidates, and a flag where the chosen counterparts of different catalogs disagree).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import lsdb
import pandas as pd

from muwclass.config import RunConfig, load_run_config
from muwclass.crossmatch.algorithm import BayesianCrossmatch
from muwclass.crossmatch.best import flag_conflicts, reduce_to_best
from muwclass.engines import dask_client
from muwclass.ingest.state import write_json_atomic
from muwclass.progress import console

CANDIDATE_COLUMNS = ["_sep_arcsec", "_lr", "_post", "_p_any", "_p_i", "_n_cand", "_density_arcsec2"]


def algorithm_for(cfg: RunConfig, target: str, mw: lsdb.Catalog) -> BayesianCrossmatch:
    """The algorithm with this run's settings; the MW error scale is read from the catalog."""
    x = cfg.crossmatch
    first = mw.partitions[0].compute() if mw.npartitions else pd.DataFrame()
    mw_err = float(first["err_maj"].quantile(0.99)) if len(first) else 0.5
    return BayesianCrossmatch(
        completeness=x.completeness_of(target),
        systematic_arcsec=x.systematic_arcsec,
        nsigma=x.nsigma,
        max_radius_arcsec=x.max_radius_arcsec,
        density_radius_arcsec=x.density_radius_arcsec,
        mw_max_error_arcsec=mw_err,
    )


def write_atomic(catalog: lsdb.Catalog, path: Path, name: str, progress: bool = True) -> None:
    """to_hats into a temp folder, then swap it into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    catalog.write_catalog(tmp, catalog_name=name, progress_bar=progress)
    old = path.with_name(f".{path.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        path.rename(old)
    tmp.rename(path)
    shutil.rmtree(old, ignore_errors=True)


def _suffixed(xray: lsdb.Catalog, mw: lsdb.Catalog, algo, target: str, how: str) -> lsdb.Catalog:
    return xray.crossmatch(mw, algorithm=algo, how=how, suffixes=("", f"_{target}"), suffix_method="all_columns")


def run(cfg: RunConfig, client, progress: bool = True) -> dict:
    x = cfg.crossmatch
    t0 = time.perf_counter()
    xray = lsdb.read_hats(cfg.hats_dir / x.xray)
    left_columns = list(xray.columns)
    chained = xray
    for target in x.targets:
        mw = lsdb.read_hats(cfg.hats_dir / target)
        algo = algorithm_for(cfg, target, mw)
        long = _suffixed(xray, mw, algo, target, "inner")
        keep = ["source_id", "ra", "dec", f"source_id_{target}", f"ra_{target}", f"dec_{target}", *CANDIDATE_COLUMNS]
        write_atomic(long[keep], cfg.hats_dir / f"xmatch_{target}_candidates", f"xmatch_{target}_candidates", progress)
        joined = _suffixed(chained, mw, algo, target, "left")
        mw_columns = list(mw.columns)
        cols = list(chained.columns)
        meta = reduce_to_best(joined.meta, target, mw_columns, cols)
        chained = joined.map_partitions(reduce_to_best, target, mw_columns, cols, meta=meta)
        console.print(f"{target}: crossmatch planned ({mw.npartitions} MW partitions, radius <= {algo.max_radius_arcsec}\")")
    meta = chained.meta.assign(mw_conflict=pd.Series(dtype=bool))
    final = chained.map_partitions(
        lambda df: df.assign(mw_conflict=flag_conflicts(df, x.targets, x.conflict_nsigma, x.systematic_arcsec).to_numpy()), meta=meta
    )
    write_atomic(final, cfg.hats_dir / "xmatch", "xmatch", progress)
    out = lsdb.read_hats(cfg.hats_dir / "xmatch")
    summary = out[["source_id", "mw_conflict", *[f"{t}_p_any" for t in x.targets]]].compute()
    report = {
        "xray": x.xray,
        "targets": x.targets,
        "rows": len(summary),
        "xray_rows": int(xray.hc_structure.catalog_info.total_rows),
        "with_counterpart_p_any_0.5": {t: int((summary[f"{t}_p_any"].fillna(0) >= 0.5).sum()) for t in x.targets},
        "conflicts": int(summary["mw_conflict"].sum()),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if report["rows"] != report["xray_rows"]:
        raise RuntimeError(f"crossmatch lost X-ray sources: {report['xray_rows']} in, {report['rows']} out")
    write_json_atomic(cfg.work_dir / "reports" / "crossmatch.json", report)
    console.print(f"crossmatch: {len(summary):,} X-ray sources -> {cfg.hats_dir / 'xmatch'} ({report['seconds']} s)")
    return report


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    cfg = load_run_config(args.conf, data_dir=args.data_dir, work_dir=args.work_dir)
    with dask_client(cfg.dask, local_directory=cfg.work_dir / "dask") as client:
        run(cfg, client, progress=not args.no_progress)
    return 0
