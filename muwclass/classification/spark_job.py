"""Classify every crossmatched source on Spark: Arrow batches through the broadcast model family.

The fitted family (one pipeline + outlier model per nH bin) is broadcast once; each task runs
:func:`muwclass.classification.predict.classify_rows` on whole Arrow record batches with ``mapInPandas``
(vectorised predictions over Monte-Carlo draws, no per-row Python). Classified and
quarantined rows leave in one pass, told apart by ``status``. Draws are seeded per source, so
the numbers do not depend on how Spark splits the data.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from muwclass.classification.family import ModelFamily
from muwclass.classification.inputs import required_columns, to_model_input
from muwclass.classification.predict import classify_rows
from muwclass.io.atomic import remove_tree, write_parquet
from muwclass.io.storage import is_url, parquet_rows, parquet_schema, read_parquet, readable

HEALPIX = "_healpix_29"
ROWS_PER_TASK = 20_000  # rows classified together: the unit of work and of load balancing


def task_count(n_rows: int, cores: int) -> int:
    """Tasks of about ``ROWS_PER_TASK`` rows, a multiple of the cores (an odd count on 2 cores
    leaves one core idle for the whole last wave), at least two per core; one per core when
    that one wave holds at most ``ROWS_PER_TASK`` rows per task (an update's few thousand rows:
    a task has a fixed cost of ~0.9 s, its draws' predict calls, measured on 700-2,900 rows)."""
    if n_rows <= ROWS_PER_TASK * cores:
        return cores
    waves = -(-max(1, round(n_rows / ROWS_PER_TASK)) // cores)
    return max(2, waves) * cores


def warm_up(spark) -> None:
    """Start a Python worker on every core and import the classifier in it (the workers are
    reused), so that a small job that follows pays neither: run it where the wait is hidden,
    as :func:`muwclass.runtime.sessions.spark_session_started_early` does."""
    cores = spark.sparkContext.defaultParallelism

    def imported(batches):
        import muwclass.classification.predict  # noqa: F401  (the import is the point)

        yield from batches

    spark.range(cores, numPartitions=cores).mapInPandas(imported, "id long").collect()


def dataset_dir(catalog: Path) -> Path | None:
    """The Parquet dataset of a HATS catalog or of a collection's primary catalog."""
    if (catalog / "dataset").is_dir():
        return catalog / "dataset"
    props = catalog / "collection.properties"
    if props.is_file():
        for line in props.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "hats_primary_table_url" and (catalog / value.strip() / "dataset").is_dir():
                return catalog / value.strip() / "dataset"
    return None


#: Arrow type of each Spark SQL type name :func:`output_columns` uses
ARROW_TYPES = {
    "string": pa.string(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "bigint": pa.int64(),
    "int": pa.int32(),
}


def output_columns(classes: list[str]) -> list[tuple[str, str]]:
    """(name, Spark SQL type) of every output column, in order."""
    cols = [
        ("source_id", "string"),
        ("ra", "double"),
        ("dec", "double"),
        ("significance", "double"),
        ("nh_gal", "double"),
        ("flux_b", "double"),
        ("var_intra_prob", "double"),  # with flux and position: what `muwclass diff` compares
        ("var_inter_prob", "double"),
        ("G", "double"),
        ("J", "double"),
        ("W1", "double"),
        ("gaia_source_id", "string"),
        ("mw_conflict", "boolean"),
        ("flag_quality", "boolean"),  # the X-ray catalog's summary flag (3XMM SC_SUM_FLAG >= 3)
        (HEALPIX, "bigint"),
    ]
    cols += [(f"P_{c}", "double") for c in classes] + [(f"e_P_{c}", "double") for c in classes]
    cols += [
        ("Class", "string"),
        ("Class_prob", "double"),
        ("CT", "double"),
        ("confident", "boolean"),
        ("outlier_score", "double"),
        ("nh_bin", "int"),
        ("status", "string"),
        ("reason", "string"),
    ]
    return cols


def classify_batch(
    pdf: pd.DataFrame, family: ModelFamily, draws: int, seed: int, columns: list[str]
) -> pd.DataFrame:
    """One batch of crossmatch rows -> output rows (classified and quarantined)."""
    rows = to_model_input(pdf)
    classified, quarantine = classify_rows(rows, family, rows["nh"].to_numpy(), draws, seed)
    parts = [classified.assign(status="classified", reason=None), quarantine.assign(status="quarantined")]
    out = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if len(pdf)
        else pd.DataFrame(columns=columns)
    )
    for c in columns:
        if c not in out:
            out[c] = None
    if "flag_quality" not in pdf:
        # a catalog without a summary quality flag (CSC) flags no source: False, not a column
        # of nulls that Arrow would type as null in the release's HATS tables
        out["flag_quality"] = False
    for name, kind in output_columns(family.classes):
        if kind == "string":
            # plain Python strings: a pandas string column built by concatenation (the nH bins'
            # parts of one batch) is a chunked Arrow array, which Spark's Arrow writer rejects
            text = out[name].astype(object)
            out[name] = text.where(pd.notna(text), None).map(lambda v: v if v is None else str(v))
    return out[columns]


@dataclass(frozen=True)
class Slice:
    """Rows ``[start, stop)`` of one Parquet partition file (a URL or a local path)."""

    file: str
    start: int
    stop: int


def plan_slices(dataset: Path, tasks_for) -> list[list[Slice]]:
    """The dataset's rows cut into tasks of consecutive rows, in HEALPix order.

    ``tasks_for(n_rows)`` says how many tasks. Files are taken in the order of their pixels'
    first spatial index (HATS files hold their rows sorted by it), so a task holds neighbouring
    sources: most tasks then fall within one or two nH bins (one ``predict_proba`` per draw and
    bin: rows spread round-robin needed every bin in every task), and the outputs keep HATS's
    spatial order. Results do not depend on the cut (draws are seeded per source)."""
    files = sorted(dataset.rglob("*.parquet"), key=_first_spatial_index)
    rows = [parquet_rows(f) for f in files]
    total = sum(rows)
    tasks = tasks_for(total)
    per_task = max(1, -(-total // tasks))
    plan: list[list[Slice]] = [[]]
    room = per_task
    for f, n in zip(files, rows, strict=True):
        start = 0
        while start < n:
            take = min(room, n - start)
            plan[-1].append(Slice(str(f), start, start + take))
            start += take
            room -= take
            if room == 0:
                plan.append([])
                room = per_task
    return [t for t in plan if t]


def _first_spatial_index(file: Path) -> tuple[int, str]:
    """Sort key: a HATS partition by its pixel's first spatial index; any other Parquet file
    (an update's one-file crossmatch) after them, by name."""
    if not file.name.startswith("Npix="):
        return (1 << 62, file.name)
    order = int(file.parent.parent.name.removeprefix("Norder="))
    pixel = int(file.name.removeprefix("Npix=").removesuffix(".parquet"))
    return (pixel << (2 * (29 - order)), "")


def read_slice(piece: Slice, columns: list[str], storage_options: dict) -> pd.DataFrame:
    """The rows of one slice, reading only the row groups it overlaps and only ``columns``."""
    import pyarrow.parquet as pq

    path = _worker_path(piece.file, storage_options)
    with readable(path) as source:
        pf = pq.ParquetFile(source)
        present = [c for c in columns if c in pf.schema_arrow.names]
        groups, first, offset = [], None, 0
        for g in range(pf.metadata.num_row_groups):
            n = pf.metadata.row_group(g).num_rows
            if offset < piece.stop and offset + n > piece.start:
                groups.append(g)
                first = offset if first is None else first
            offset += n
        table = pf.read_row_groups(groups, columns=present) if groups else pa.table({})
    return table.slice(piece.start - (first or 0), piece.stop - piece.start).to_pandas()


def _worker_path(text: str, storage_options: dict) -> Path:
    # options arrive resolved (the broadcast): build the path without resolving them again
    from upath import UPath

    return UPath(text, **storage_options) if is_url(text) else Path(text)


def write_task_output(
    out: pd.DataFrame, out_dir: Path, task: int, types: list[tuple[str, str]]
) -> dict[str, int]:
    """One task's rows as ``out_dir/status=<status>/part-<task>.parquet``, each file written
    whole (a retried task rewrites the same names with the same rows), with the column types of
    :func:`output_columns`; returns the counts."""

    schema = pa.schema([(n, ARROW_TYPES[t]) for n, t in types if n != "status"])
    counts = {}
    for status in ("classified", "quarantined"):
        part = out[out["status"] == status]
        counts[status] = len(part)
        if len(part):
            table = pa.Table.from_pandas(part[schema.names], schema=schema, preserve_index=False)
            write_parquet(table, out_dir / f"status={status}" / f"part-{task:05d}.parquet")
    return counts


def classify_on_spark(
    spark, dataset: Path, family: ModelFamily, draws: int, seed: int, out_dir: Path, progress: bool = True
) -> dict[str, float]:
    """Classify a HATS ``dataset`` directory into Parquet under ``out_dir/status=...``.

    The Python workers read their slices of the dataset and write their outputs themselves,
    through fsspec (:mod:`muwclass.io.storage`): a local or shared path and an object store are
    the same to them, while Spark's own readers would need Hadoop's S3 connector (``s3a``,
    jars pyspark does not ship) and its credentials configured a second time. Spark schedules,
    retries a failed task (its outputs have fixed names, so a retry replaces them) and broadcasts
    the family. Returns rows in, tasks and job seconds; the caller reads the two outputs and
    checks that rows in = classified + quarantined.
    """
    from muwclass.runtime.sessions import spark_job_progress

    types = output_columns(family.classes)
    names = [n for n, _ in types]
    cores = spark.sparkContext.defaultParallelism
    plan = plan_slices(dataset, lambda n: task_count(n, cores))
    n_in = sum(p.stop - p.start for task in plan for p in task)
    options = dict(getattr(dataset, "storage_options", {}))  # a local Path has none
    first = next((p.file for task in plan for p in task), None)
    available = parquet_schema(_worker_path(first, options)).names if first else []
    # Only the columns classification reads or writes out are read at all.
    columns = required_columns(available, family.feature_sets, keep=names)
    shared = spark.sparkContext.broadcast((family, draws, seed, types, columns, options, str(out_dir)))
    # one task per Spark partition (parallelize cuts a list into equal slices)
    tasks = [(i, json.dumps([asdict(p) for p in task])) for i, task in enumerate(plan)]
    jobs = spark.createDataFrame(
        spark.sparkContext.parallelize(tasks, max(1, len(tasks))), "task int, slices string"
    )

    def run(batches):
        # The whole task (~20k rows) in one call: each Monte-Carlo draw is one predict_proba
        # per nH bin, whose fixed cost (the forest, the feature pipeline) would be paid again for
        # every smaller batch.
        fam, n_draws, sd, out_types, read_columns, opts, out = shared.value
        out_names = [n for n, _ in out_types]
        out_root = _worker_path(out, opts)
        for pdf in batches:
            for task, slices in zip(pdf["task"], pdf["slices"], strict=True):
                pieces = [read_slice(Slice(**p), read_columns, opts) for p in json.loads(slices)]
                rows = pd.concat(pieces, ignore_index=True)
                counts = {"classified": 0, "quarantined": 0}
                if len(rows):
                    result = classify_batch(rows, fam, n_draws, sd, out_names)
                    counts = write_task_output(result, out_root, int(task), out_types)
                yield pd.DataFrame(
                    {"task": [int(task)], "rows": [len(rows)], **{k: [v] for k, v in counts.items()}}
                )

    remove_tree(out_dir)
    t0 = time.perf_counter()
    with spark_job_progress(
        spark, f"classifying {n_in} sources ({draws} draws each)", len(plan), enabled=progress
    ):
        # collect(), not toPandas(): under toPandas's Arrow path a failed task also goes out as a
        # Python warning carrying the worker's whole traceback (a store outage in CI printed one
        # above the CLI's one-line error); the counts are one row per task either way
        counts = jobs.mapInPandas(run, "task int, rows long, classified long, quarantined long")
        done = pd.DataFrame([tuple(r) for r in counts.collect()], columns=counts.columns)
    shared.unpersist()
    if len(done) != len(plan) or int(done["rows"].sum()) != n_in:
        raise RuntimeError(f"classification tasks returned {int(done['rows'].sum())} of {n_in} rows")
    return {"rows_in": int(n_in), "tasks": len(plan), "job_seconds": round(time.perf_counter() - t0, 2)}


def read_outputs(out_dir: Path, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(classified, quarantined) rows of :func:`classify_on_spark`'s output; a quarantine with
    no rows keeps its header (a task writes no file for a status it has no rows of)."""

    def read(status: str) -> pd.DataFrame:
        parts = sorted((out_dir / f"status={status}").glob("part-*.parquet"), key=lambda p: p.name)
        return (
            pd.concat([read_parquet(p).to_pandas() for p in parts], ignore_index=True)
            if parts
            else pd.DataFrame()
        )

    classified, quarantine = read("classified"), read("quarantined")
    if quarantine.columns.empty:
        quarantine = pd.DataFrame(
            columns=list(
                dict.fromkeys([*(classified.columns if len(classified.columns) else columns), "reason"])
            )
        )
    return classified, quarantine
