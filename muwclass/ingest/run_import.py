"""Import every configured catalog into HATS: stage on Dask, resolve duplicates, hats-import.

``run_import`` only plans, submits and waits: each input file is staged by a Dask task
(:func:`muwclass.ingest.staging.stage_file`), duplicate ids are merged or quarantined
(:mod:`muwclass.ingest.dedup`), hats-import builds a partial collection
(:mod:`muwclass.ingest.hats_build`) which is published atomically once the accounting
(:mod:`muwclass.ingest.accounting`) holds, and the quarantine table and an accounting report are
written. Unchanged inputs (same content hash) are skipped; a killed import resumes
(:class:`muwclass.ingest.resume_plan.ImportResumePlan`).
"""

from __future__ import annotations

import time

import hats
import pandas as pd
from distributed import as_completed
from hats.catalog.dataset.collection_properties import CollectionProperties

from muwclass.config.run import RunConfig
from muwclass.ingest import accounting
from muwclass.ingest.arguments import ImportArguments
from muwclass.ingest.dedup import resolve_duplicates
from muwclass.ingest.hats_build import build_collection
from muwclass.ingest.mapping import QUARANTINE_COLUMNS
from muwclass.ingest.remote_inputs import plan_catalog
from muwclass.ingest.resume_plan import ImportResumePlan
from muwclass.ingest.staging import stage_file, staged_files
from muwclass.io.atomic import atomic_path, publish
from muwclass.io.storage import parquet_rows, read_parquet
from muwclass.runtime.progress import console, progress_bar
from muwclass.runtime.sessions import dask_client


def _stage_all(args: ImportArguments, plan: ImportResumePlan, client, progress: bool) -> list[dict]:
    futures = [
        client.submit(
            stage_file,
            i,
            f,
            fmt,
            args.definition,
            plan.staging,
            args.chunk_rows,
            args.nh_map,
            key=f"stage-{args.key}-{i}-{plan.staging.name}",
            pure=False,
        )
        for i, (f, fmt) in enumerate(zip(args.files, args.formats, strict=True))
    ]
    results: list[dict] = []
    with progress_bar(progress) as bar:
        t = bar.add_task(f"stage {args.key}", total=len(futures))
        for fut in as_completed(futures):
            results.append(fut.result())
            bar.advance(t)
    return sorted(results, key=lambda r: r["index"])


def import_catalog(args: ImportArguments, client, force: bool = False, progress: bool = True) -> dict:
    """Import one catalog; returns its accounting report."""
    t0 = time.perf_counter()
    plan = ImportResumePlan.of(args)
    previous = None if force else plan.finished_report()
    if previous:
        console.print(f"[green]{args.key}[/]: inputs unchanged (hash {plan.digest[:12]}), nothing to do")
        return {**previous, "skipped": True}
    counts = _stage_all(args, plan, client, progress)
    rows_in = sum(c["rows_in"] for c in counts)
    parts, dup_quarantine, merged = resolve_duplicates(args, plan.staging, counts)
    quarantine_frames = [
        read_parquet(staged_files(plan.staging, c["index"])["quarantine"]).to_pandas() for c in counts
    ]
    quarantine = pd.concat([*quarantine_frames, dup_quarantine], ignore_index=True).astype(
        {c: ("int64" if c == "row" else "string") for c in QUARANTINE_COLUMNS}
    )
    staged_rows = sum(parquet_rows(p) for p in parts)
    accounting.check_nonempty(args.key, len(args.files), staged_rows, quarantine)
    collection = build_collection(
        args.key,
        parts,
        plan.partial,
        plan.scratch,
        client,
        args.definition.sort_column,
        args.highest_order,
        args.pixel_threshold,
        args.margin_arcsec,
        progress,
    )
    # the primary catalog itself: hats.read_hats of the collection logs a root-logger warning
    # ("Looking for catalog - found collection.") that every import printed
    primary = CollectionProperties.read_from_dir(collection).hats_primary_table_url
    main_catalog = hats.read_hats(collection / primary)
    hats_rows = int(main_catalog.catalog_info.total_rows)
    accounting.check_balance(args.key, rows_in, staged_rows, hats_rows, len(quarantine), merged)
    publish(collection, args.hats_dir, "hats")
    with atomic_path(args.quarantine_path) as tmp:
        quarantine.to_parquet(tmp, index=False)
    if all(fmt == "candidates" for fmt in args.formats):
        _write_candidates(args)
    report = {
        "catalog": args.key,
        "definition": args.definition.name,
        "files": [str(f) for f in args.files],
        "rows_in": rows_in,
        "imported": hats_rows,
        "quarantined": len(quarantine),
        "merged_duplicates": merged,
        "cones_without_candidate": sum(c["no_record"] for c in counts),
        "positional_error_defaulted": sum(c.get("err_defaulted", 0) for c in counts),
        "quarantine_reasons": accounting.reason_summary(quarantine["reason"]),
        "hats_path": str(args.hats_dir),
        "quarantine_path": str(args.quarantine_path),
        "margin_arcsec": args.margin_arcsec,
        "partitions": len(main_catalog.get_healpix_pixels()),
        "seconds": round(time.perf_counter() - t0, 2),
        "skipped": False,
    }
    plan.mark_done(report)
    if report["positional_error_defaulted"]:
        console.print(
            f"[yellow]warning[/]: {args.key}: {report['positional_error_defaulted']:,} rows have no positional error; "
            f"using the default {args.definition.position_error.default} arcsec (1 sigma) of {args.definition.definition_file}"
        )
    console.print(
        f"[green]{args.key}[/]: {rows_in:,} rows in = {hats_rows:,} imported + {len(quarantine):,} quarantined"
        f" + {merged:,} merged duplicates ({report['partitions']} partitions, {report['seconds']} s)"
    )
    return {**report, "hash": plan.digest}


def _write_candidates(args: ImportArguments) -> None:
    """The long candidate table of cone-search files (used to validate the crossmatch)."""
    from muwclass.ingest.candidates import candidate_table
    from muwclass.ingest.mapping import map_column

    layout = args.definition.source.candidates

    def ids_of(frame: pd.DataFrame) -> pd.Series:
        return map_column(frame, args.definition, "source_id")

    table = pd.concat([candidate_table(f, layout, ids_of) for f in args.files], ignore_index=True)
    with atomic_path(args.candidates_path) as tmp:
        table.to_parquet(tmp, index=False)


def run_import(
    cfg: RunConfig, client=None, catalogs: list[str] | None = None, force: bool = False, progress: bool = True
) -> list[dict]:
    """Import the given (default: all) catalogs of a run configuration; one report each.

    ``client`` is a Dask client; without one, the run configuration's cluster is used
    (``dask.scheduler``, else a LocalCluster for this call).
    """
    keys = catalogs or list(cfg.catalogs)
    plans = [
        plan_catalog(cfg, key) for key in keys
    ]  # plan everything first: bad config or inputs fail before any work
    if client is None:
        with dask_client(cfg.dask, local_directory=cfg.layout.dask) as own:
            reports = [import_catalog(a, own, force=force, progress=progress) for a in plans]
    else:
        reports = [import_catalog(a, client, force=force, progress=progress) for a in plans]
    total_in = sum(r["rows_in"] for r in reports)
    total_q = sum(r["quarantined"] for r in reports)
    console.print(
        f"imported {len(reports)} catalog(s) into {cfg.layout.hats}: {total_in:,} rows in, {total_q:,} quarantined"
    )
    return reports
