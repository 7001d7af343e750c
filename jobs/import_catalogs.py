"""``muwclass import``: build HATS catalogs (with margins) for every configured catalog.

run(): stage every input file on Dask (map), merge/quarantine duplicate ids, hats-import
the staged Parquet into a partial collection, publish it atomically, and write the
quarantine table and an accounting report. Unchanged inputs (same content hash) are skipped.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import hats
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from distributed import as_completed

from muwclass.config import RunConfig, load_run_config
from muwclass.engines import dask_client
from muwclass.ingest.arguments import ImportTask
from muwclass.ingest.dedup import find_duplicates, split_duplicates, without_rows
from muwclass.atomic import publish
from muwclass.ingest.hats_build import build_collection
from muwclass.ingest.remote_inputs import plan_catalog
from muwclass.ingest.staging import stage_file, staged_files
from muwclass.ingest.state import content_hash, read_json, write_json_atomic
from muwclass.mapping import QUARANTINE_COLUMNS
from muwclass.progress import console, progress_bar


class AccountingError(RuntimeError):
    """Rows went missing: input rows != imported + quarantined + merged duplicates."""


def task_hash(task: ImportTask) -> str:
    d = task.definition
    settings = [
        d.model_dump(mode="json", exclude={"definition_file"}),
        task.formats,
        task.margin_arcsec,
        task.highest_order,
        task.pixel_threshold,
        *task.extra_hash,
    ]
    return content_hash(settings, task.files)


def _stage_all(task: ImportTask, staging: Path, client, progress: bool) -> list[dict]:
    futures = [
        client.submit(stage_file, i, f, fmt, task.definition, staging, task.chunk_rows, key=f"stage-{task.key}-{i}-{staging.name}", pure=False)
        for i, (f, fmt) in enumerate(zip(task.files, task.formats))
    ]
    results: list[dict] = []
    with progress_bar(progress) as bar:
        t = bar.add_task(f"stage {task.key}", total=len(futures))
        for fut in as_completed(futures):
            results.append(fut.result())
            bar.advance(t)
    return sorted(results, key=lambda r: r["index"])


def _resolve_duplicates(task: ImportTask, staging: Path, counts: list[dict]) -> tuple[list[Path], pd.DataFrame, int]:
    """Final list of parts to import, duplicate quarantine rows, number of merged repeats."""
    names = {c["index"]: staged_files(staging, c["index"]) for c in counts if c["staged"]}
    parts = [(c["index"], names[c["index"]]["part"], names[c["index"]]["rows"], c["file"]) for c in counts if c["staged"]]
    dups = find_duplicates(parts, task.unique_key)
    merged, conflicting = split_duplicates(dups, {i: p for i, p, _, _ in parts})
    quarantine = pd.DataFrame(
        {
            "catalog": task.definition.name,
            "file": conflicting["file"].astype(str).to_numpy() if len(conflicting) else [],
            "row": conflicting["row"].astype("int64").to_numpy() if len(conflicting) else [],
            "source_id": conflicting["source_id"].astype(str).to_numpy() if len(conflicting) else [],
            "reason": [
                f"duplicate {'/'.join(task.unique_key)} {r.source_id!r} with different values (first seen in {r.first_file} row {r.first_row})"
                for r in conflicting.itertuples()
            ],
            "raw": "",
        },
        columns=QUARANTINE_COLUMNS,
    )
    final: list[Path] = []
    for index, part, _, _ in parts:
        drop = dups.loc[dups["part"] == index, "pos"].to_numpy() if len(dups) else np.empty(0, int)
        final.append(without_rows(part, drop) if len(drop) else part)
    return final, quarantine, len(merged)


def reason_summary(reasons: pd.Series) -> dict[str, int]:
    """Counts per kind of reason (the text before the first quoted value or bracket)."""
    kinds = reasons.astype(str).str.extract(r"^([^'(\[:]+)", expand=False).str.strip()
    return {str(k): int(v) for k, v in kinds.value_counts().items()}


def import_catalog(task: ImportTask, client, force: bool = False, progress: bool = True) -> dict:
    """Import one catalog; returns its accounting report."""
    t0 = time.perf_counter()
    digest = task_hash(task)
    previous = read_json(task.report_path)
    if not force and previous and previous.get("hash") == digest and (task.hats_dir / "collection.properties").exists():
        console.print(f"[green]{task.key}[/]: inputs unchanged (hash {digest[:12]}), nothing to do")
        return {**previous, "skipped": True}
    staging = task.staging_dir(digest)
    counts = _stage_all(task, staging, client, progress)
    rows_in = sum(c["rows_in"] for c in counts)
    parts, dup_quarantine, merged = _resolve_duplicates(task, staging, counts)
    quarantine_frames = [pq.read_table(staged_files(staging, c["index"])["quarantine"]).to_pandas() for c in counts]
    quarantine = pd.concat([*quarantine_frames, dup_quarantine], ignore_index=True).astype(
        {c: ("int64" if c == "row" else "string") for c in QUARANTINE_COLUMNS}
    )
    imported_rows = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
    if imported_rows == 0:
        raise AccountingError(
            f"{task.key}: no usable rows in {len(task.files)} file(s); {len(quarantine)} quarantined "
            f"(see reasons: {quarantine['reason'].value_counts().head(3).to_dict()})"
        )
    partial_root = task.partial_dir(digest)
    collection = build_collection(
        task.key, parts, partial_root, client, task.definition.sort_column,
        task.highest_order, task.pixel_threshold, task.margin_arcsec, progress,
    )
    catalog = hats.read_hats(collection)
    hats_rows = int(catalog.main_catalog.catalog_info.total_rows)
    if hats_rows != imported_rows or rows_in != imported_rows + len(quarantine) + merged:
        raise AccountingError(
            f"{task.key}: rows in {rows_in} != imported {hats_rows} (staged {imported_rows}) "
            f"+ quarantined {len(quarantine)} + merged duplicates {merged}"
        )
    publish(collection, task.hats_dir)
    task.quarantine_path.parent.mkdir(parents=True, exist_ok=True)
    quarantine.to_parquet(task.quarantine_path, index=False)
    if all(fmt == "candidates" for fmt in task.formats):
        _write_candidates(task)
    report = {
        "catalog": task.key,
        "definition": task.definition.name,
        "hash": digest,
        "files": [str(f) for f in task.files],
        "rows_in": rows_in,
        "imported": hats_rows,
        "quarantined": len(quarantine),
        "merged_duplicates": merged,
        "cones_without_candidate": sum(c["no_record"] for c in counts),
        "positional_error_defaulted": sum(c.get("err_defaulted", 0) for c in counts),
        "quarantine_reasons": reason_summary(quarantine["reason"]),
        "hats_path": str(task.hats_dir),
        "quarantine_path": str(task.quarantine_path),
        "margin_arcsec": task.margin_arcsec,
        "partitions": len(catalog.main_catalog.get_healpix_pixels()),
        "seconds": round(time.perf_counter() - t0, 2),
        "skipped": False,
    }
    write_json_atomic(task.report_path, report)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(partial_root, ignore_errors=True)
    if report["positional_error_defaulted"]:
        console.print(
            f"[yellow]warning[/]: {task.key}: {report['positional_error_defaulted']:,} rows have no positional error; "
            f"using the default {task.definition.position_error.default} arcsec (1 sigma) of {task.definition.definition_file}"
        )
    console.print(
        f"[green]{task.key}[/]: {rows_in:,} rows in = {hats_rows:,} imported + {len(quarantine):,} quarantined"
        f" + {merged:,} merged duplicates ({report['partitions']} partitions, {report['seconds']} s)"
    )
    return report


def _write_candidates(task: ImportTask) -> None:
    """The long candidate table of cone-search files (used to validate the crossmatch)."""
    from muwclass.candidates import candidate_table

    from muwclass.mapping import map_column

    layout = task.definition.source.candidates
    ids_of = lambda frame: map_column(frame, task.definition, "source_id")  # noqa: E731
    table = pd.concat([candidate_table(f, layout, ids_of) for f in task.files], ignore_index=True)
    task.candidates_path.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(task.candidates_path, index=False)


def run(cfg: RunConfig, client, keys: list[str] | None = None, force: bool = False, progress: bool = True) -> list[dict]:
    """Import the given (default: all) catalogs of a run configuration."""
    keys = keys or list(cfg.catalogs)
    tasks = [plan_catalog(cfg, key) for key in keys]  # plan everything first: bad config or inputs fail before any work
    return [import_catalog(t, client, force=force, progress=progress) for t in tasks]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalog", action="append", dest="catalogs", metavar="NAME", help="import only this catalog (repeatable)")
    p.add_argument("--force", action="store_true", help="re-import even if the inputs are unchanged")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    cfg = load_run_config(args.conf, data_dir=args.data_dir, work_dir=args.work_dir)
    with dask_client(cfg.dask, local_directory=cfg.work_dir / "dask") as client:
        reports = run(cfg, client, keys=args.catalogs, force=args.force, progress=not args.no_progress)
    total_in = sum(r["rows_in"] for r in reports)
    total_q = sum(r["quarantined"] for r in reports)
    console.print(f"imported {len(reports)} catalog(s) into {cfg.hats_dir}: {total_in:,} rows in, {total_q:,} quarantined")
    return 0


if __name__ == "__main__":
    from muwclass.cli import main as cli_main

    raise SystemExit(cli_main(["import", *__import__("sys").argv[1:]]))
