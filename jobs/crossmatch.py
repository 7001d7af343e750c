"""``muwclass crossmatch``: probabilistic crossmatch of the X-ray catalog with each MW catalog.

For every MW catalog of ``crossmatch.targets`` the X-ray HATS catalog is crossmatched with
:class:`muwclass.crossmatch.algorithm.BayesianCrossmatch` on Dask (lsdb aligns partitions and
margins). Writes ``hats/xmatch_<target>_candidates`` (every candidate with its posterior) and
``hats/xmatch`` (one row per X-ray source: best counterpart per catalog, p_any, p_i, number
of candidates, cross-catalog conflict flag).
"""

from __future__ import annotations

import argparse
import shutil
import time

import lsdb
import pandas as pd

from muwclass.config import RunConfig, load_run_config
from muwclass.crossmatch.algorithm import BayesianCrossmatch
from muwclass.crossmatch.best import best_per_source, flag_conflicts
from muwclass.engines import dask_client
from muwclass.ingest.state import write_json_atomic
from muwclass.progress import console


def _algorithm(cfg: RunConfig, target: str, mw: lsdb.Catalog) -> BayesianCrossmatch:
    x = cfg.crossmatch
    sample = mw.partitions[0].compute() if mw.npartitions else pd.DataFrame()
    mw_err = float(sample["err_maj"].quantile(0.99)) if len(sample) else 0.5
    return BayesianCrossmatch(
        completeness=x.completeness_of(target),
        systematic_arcsec=x.systematic_arcsec,
        nsigma=x.nsigma,
        max_radius_arcsec=x.max_radius_arcsec,
        density_radius_arcsec=x.density_radius_arcsec,
        mw_max_error_arcsec=mw_err,
    )


def _write_hats(frame: pd.DataFrame, path, name: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    lsdb.from_dataframe(frame.reset_index(drop=True), ra_column="ra", dec_column="dec", catalog_name=name).to_hats(tmp)
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)


def run(cfg: RunConfig, client, progress: bool = True) -> dict:
    x = cfg.crossmatch
    t0 = time.perf_counter()
    xray = lsdb.read_hats(cfg.hats_dir / x.xray)
    xray_df = xray.compute()
    table = xray_df.set_index("source_id")
    counts = {}
    for target in x.targets:
        mw = lsdb.read_hats(cfg.hats_dir / target)
        algo = _algorithm(cfg, target, mw)
        cands = xray.crossmatch(mw, algorithm=algo, suffixes=("", f"_{target}"), suffix_method="overlapping_columns").compute()
        cands = pd.DataFrame(cands).reset_index(drop=True)
        keep = ["source_id", "ra", "dec"] + [c for c in cands.columns if c.endswith(f"_{target}") or c.startswith("_")]
        long = cands[keep].rename(columns={"source_id": "xray_id", "ra": "xray_ra", "dec": "xray_dec"})
        long = long.rename(columns={f"{c}_{target}": c for c in ("source_id", "ra", "dec")})
        _write_hats(long, cfg.hats_dir / f"xmatch_{target}_candidates", f"xmatch_{target}_candidates")
        mw_cols = [c for c in mw.columns if c not in ("_healpix_29",)]
        best = best_per_source(cands, target, mw_cols)
        table = table.join(best, how="left")
        counts[target] = {"candidates": len(cands), "with_candidate": len(best)}
        console.print(f"{target}: {len(cands):,} candidate pairs, {len(best):,} X-ray sources with >= 1 candidate")
    table["mw_conflict"] = flag_conflicts(table, x.targets, x.conflict_nsigma, x.systematic_arcsec)
    out = table.reset_index()
    _write_hats(out, cfg.hats_dir / "xmatch", "xmatch")
    report = {"xray": x.xray, "targets": x.targets, "rows": len(out), "per_target": counts,
              "conflicts": int(out["mw_conflict"].sum()), "seconds": round(time.perf_counter() - t0, 1)}
    write_json_atomic(cfg.work_dir / "reports" / "crossmatch.json", report)
    console.print(f"crossmatch: {len(out):,} X-ray sources -> {cfg.hats_dir / 'xmatch'} ({report['seconds']} s)")
    return report


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    cfg = load_run_config(args.conf, data_dir=args.data_dir, work_dir=args.work_dir)
    with dask_client(cfg.dask, local_directory=cfg.work_dir / "dask") as client:
        run(cfg, client, progress=not args.no_progress)
    return 0
