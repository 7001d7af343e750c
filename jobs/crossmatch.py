"""``muwclass crossmatch``: probabilistic crossmatch of the X-ray catalog with each MW catalog.

For every MW catalog of ``crossmatch.targets`` the X-ray HATS catalog is crossmatched with
:class:`muwclass.crossmatch.algorithm.BayesianCrossmatch` on Dask (lsdb aligns partitions and
margins; nothing is collected in the driver, so the MW catalog's size does not matter).
Each MW catalog is crossmatched once; the result is written to ``hats/.xmatch_work/`` and
everything else is derived from it (:mod:`muwclass.crossmatch.chain`): the magnitude prior,
``hats/xmatch_<target>_candidates`` (every candidate with its posterior) and ``hats/xmatch``
(one row per X-ray source: best counterpart per catalog, p_any, p_i, number of candidates,
and a flag where the chosen counterparts of different catalogs disagree).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import lsdb

from muwclass.atomic import publish
from muwclass.config import RunConfig, load_run_config
from muwclass.crossmatch.chain import crossmatch_chain
from muwclass.engines import dask_client
from muwclass.ingest.state import write_json_atomic
from muwclass.progress import console


def write_atomic(catalog: lsdb.Catalog, path: Path, name: str, progress: bool = True) -> None:
    """to_hats into a temp folder, then swap it into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    catalog.write_catalog(tmp, catalog_name=name, progress_bar=progress)
    publish(tmp, path)


def run(cfg: RunConfig, client, progress: bool = True) -> dict:
    x = cfg.crossmatch
    t0 = time.perf_counter()
    xray = lsdb.read_hats(cfg.hats_dir / x.xray)
    mws = {target: lsdb.read_hats(cfg.hats_dir / target) for target in x.targets}
    work = cfg.hats_dir / ".xmatch_work"
    shutil.rmtree(work, ignore_errors=True)

    def persist(catalog: lsdb.Catalog, name: str) -> lsdb.Catalog:
        t = time.perf_counter()
        catalog.write_catalog(work / name, catalog_name=name, progress_bar=progress)
        console.print(f"{name}: crossmatched in {time.perf_counter() - t:.1f} s")
        return lsdb.read_hats(work / name)

    result = crossmatch_chain(x, xray, mws, persist, cache_dir=cfg.work_dir / "cache")
    for target, long in result.candidates.items():
        write_atomic(long, cfg.hats_dir / f"xmatch_{target}_candidates", f"xmatch_{target}_candidates", progress)
        console.print(f"{target}: candidates written ({mws[target].npartitions} MW partitions, radius <= {x.max_radius_arcsec}\")")
    write_atomic(result.best, cfg.hats_dir / "xmatch", "xmatch", progress)
    shutil.rmtree(work, ignore_errors=True)
    out = lsdb.read_hats(cfg.hats_dir / "xmatch")
    summary = out[["source_id", "mw_conflict", *[f"{t}_p_any" for t in x.targets]]].compute()
    report = {
        "xray": x.xray,
        "targets": x.targets,
        "rows": len(summary),
        "xray_rows": int(xray.hc_structure.catalog_info.total_rows),
        "with_counterpart_p_any_0.5": {t: int((summary[f"{t}_p_any"].fillna(0) >= 0.5).sum()) for t in x.targets},
        "conflicts": int(summary["mw_conflict"].sum()),
        "mag_priors": {t: p.to_dict() if p else None for t, p in result.priors.items()},
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
