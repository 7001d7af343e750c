"""Crossmatch each X-ray catalog with each MW catalog on Dask and write the HATS products.

Every X-ray catalog of ``crossmatch.xray`` (CSC, 3XMM, ...) is crossmatched on its own, with
its own positional errors and systematic, into its own products. For every MW catalog of
``crossmatch.targets`` the X-ray HATS catalog is crossmatched with
:class:`muwclass.crossmatch.algorithm.BayesianCrossmatch` (lsdb aligns partitions and
margins; nothing is collected in the driver, so the MW catalog's size does not matter).
Each MW catalog is crossmatched once; the result is persisted under the work layout's
``xmatch_work`` and everything else is derived from it (:mod:`muwclass.crossmatch.chain`): the
magnitude prior (learned per X-ray catalog: XMM's counterparts are not CSC's),
``hats/xmatch_<xray>_<target>_candidates`` (every candidate with its posterior) and
``hats/xmatch_<xray>`` (one row per X-ray source: best counterpart per catalog, p_any, p_i,
number of candidates, and a flag where the chosen counterparts of different catalogs disagree).
With several X-ray catalogs, the first is then linked to each other one
(:mod:`muwclass.crossmatch.xray_link`): ``links/<first>_<other>.parquet``.
"""

from __future__ import annotations

import time
from pathlib import Path

import lsdb
import pyarrow as pa

from muwclass.config.run import RunConfig
from muwclass.crossmatch.chain import crossmatch_chain
from muwclass.crossmatch.xray_link import link_config, mutual_best
from muwclass.errors import AccountingError, ConfigError
from muwclass.io.atomic import current, publish, remove_tree, worker_partial_dir, write_json, write_parquet
from muwclass.runtime.progress import console
from muwclass.runtime.sessions import dask_client


def write_catalog_atomic(catalog: lsdb.Catalog, path: Path, name: str, progress: bool = True) -> None:
    """lsdb ``write_catalog`` into a hidden folder beside ``path``, then publish it."""
    tmp = worker_partial_dir(path)
    catalog.write_catalog(tmp, catalog_name=name, progress_bar=progress, overwrite=True)
    publish(tmp, path, "hats")


def run_crossmatch(cfg: RunConfig, client=None, progress: bool = True) -> dict[str, dict]:
    """Crossmatch every X-ray catalog of ``crossmatch.xray`` and write its ``hats/xmatch_<name>``
    and candidate tables; returns the report of each, by X-ray catalog.

    ``client`` is a Dask client; without one, the run configuration's cluster is used.
    """
    x, layout = cfg.crossmatch, cfg.layout
    for key in [*x.xray, *x.targets]:
        if not current(layout.catalog(key)).exists():
            raise ConfigError(
                f"{layout.catalog(key)}: catalog '{key}' is not imported; run `muwclass import` first"
            )
    if client is None:
        with dask_client(cfg.dask, local_directory=layout.dask) as own:
            return run_crossmatch(cfg, own, progress)
    reports = {xray: crossmatch_xray(cfg, xray, progress) for xray in x.xray}
    if len(x.xray) > 1:
        main = reports[x.main_xray]
        main["links"] = {other: link_xray(cfg, x.main_xray, other, progress) for other in x.xray[1:]}
        write_json(layout.crossmatch_report(x.main_xray), main)
    return reports


def link_xray(cfg: RunConfig, left: str, right: str, progress: bool = True) -> dict:
    """Link the sources of X-ray catalogs ``left`` and ``right`` that are the same object
    (:mod:`muwclass.crossmatch.xray_link`) and write the link table; returns its summary."""
    t0 = time.perf_counter()
    x, layout = cfg.crossmatch, cfg.layout
    catalogs = {k: lsdb.read_hats(current(layout.catalog(k))) for k in (left, right)}
    result = crossmatch_chain(link_config(x, left, right), catalogs[left], {right: catalogs[right]})
    links = mutual_best(
        result.candidates[right].compute(progress_bar=progress), left, right, x.link_min_probability
    )
    write_parquet(pa.Table.from_pandas(links, preserve_index=False), layout.xray_links(left, right))
    summary = {
        "links": len(links),
        "p_match_0.5": int((links["p_match"] >= 0.5).sum()),
        "path": str(layout.xray_links(left, right)),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    console.print(
        f"{left} - {right}: {summary['p_match_0.5']:,} links with p_match >= 0.5 "
        f"({summary['links']:,} kept) -> {summary['path']}"
    )
    return summary


def crossmatch_xray(cfg: RunConfig, xray_key: str, progress: bool = True) -> dict:
    """Crossmatch one X-ray catalog with every MW catalog on the current Dask client."""
    x, layout = cfg.crossmatch.for_xray(xray_key), cfg.layout
    t0 = time.perf_counter()
    xray_dir, folded = layout.catalog(xray_key), None
    if cfg.observations.files and xray_key == cfg.crossmatch.main_xray:
        # new observations folded in first, as `muwclass update` does
        from muwclass.classification.spark_job import dataset_dir
        from muwclass.update.fold import fold_catalog
        from muwclass.update.observations import read_observations

        observations = read_observations(
            [cfg.data_dir / f for f in cfg.observations.files], cfg.observations.definition
        )
        folded = fold_catalog(
            cfg, observations, dataset_dir(current(xray_dir)).parent, layout.observed(xray_key)
        )
        xray_dir = layout.observed(xray_key)
    xray = lsdb.read_hats(current(xray_dir))
    mws = {target: lsdb.read_hats(current(layout.catalog(target))) for target in x.targets}
    work = layout.xmatch_work / xray_key
    remove_tree(work)

    def persist(catalog: lsdb.Catalog, name: str) -> lsdb.Catalog:
        t = time.perf_counter()
        catalog.write_catalog(work / name, catalog_name=name, progress_bar=progress)
        console.print(f"{xray_key} x {name}: crossmatched in {time.perf_counter() - t:.1f} s")
        return lsdb.read_hats(work / name)

    priors = None
    if cfg.observations.priors_from_release and xray_key == cfg.crossmatch.main_xray:
        from muwclass.crossmatch.mag_prior import MagPrior
        from muwclass.io.atomic import read_json
        from muwclass.release.diff import find_release

        parent = current(find_release(layout.releases, cfg.observations.priors_from_release))
        kept = (read_json(parent / "manifest.json") or {}).get("crossmatch", {}).get("mag_priors", {})
        priors = {t: MagPrior.from_dict(d) if d else None for t, d in kept.items()}
    result = crossmatch_chain(x, xray, mws, persist, cache_dir=layout.cache, priors=priors)
    for target, long in result.candidates.items():
        write_catalog_atomic(
            long,
            layout.xmatch_candidates(xray_key, target),
            f"xmatch_{xray_key}_{target}_candidates",
            progress,
        )
        console.print(
            f'{xray_key} x {target}: candidates written ({mws[target].npartitions} MW partitions, radius <= {x.max_radius_arcsec}")'
        )
    write_catalog_atomic(result.best, layout.xmatch(xray_key), f"xmatch_{xray_key}", progress)
    remove_tree(work)
    out = lsdb.read_hats(current(layout.xmatch(xray_key)))
    summary = out[["source_id", "mw_conflict", *[f"{t}_p_any" for t in x.targets]]].compute(
        progress_bar=progress
    )
    report = {
        "xray": xray_key,
        "targets": x.targets,
        "systematic_arcsec": x.systematic_of(xray_key),
        "rows": len(summary),
        "xray_rows": int(xray.hc_structure.catalog_info.total_rows),
        "with_counterpart_p_any_0.5": {
            t: int((summary[f"{t}_p_any"].fillna(0) >= 0.5).sum()) for t in x.targets
        },
        "conflicts": int(summary["mw_conflict"].sum()),
        "mag_priors": {t: p.to_dict() if p else None for t, p in result.priors.items()},
        "xray_catalog": str(xray_dir),
        "observations": [o.summary() for o in observations] if folded else [],
        "observations_folded": folded.summary() if folded else None,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if report["rows"] != report["xray_rows"]:
        raise AccountingError(
            f"crossmatch of '{xray_key}' lost X-ray sources: {report['xray_rows']} in, {report['rows']} out"
        )
    write_json(layout.crossmatch_report(xray_key), report)
    console.print(
        f"crossmatch: {len(summary):,} {xray_key} sources -> {layout.xmatch(xray_key)} ({report['seconds']} s)"
    )
    return report
