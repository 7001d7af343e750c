"""Classify every crossmatched source on Spark: Arrow batches through the broadcast model family.

The fitted family (one pipeline + outlier model per nH bin) is broadcast once; each task runs
:func:`muwclass.classification.predict.classify_rows` on whole Arrow record batches with ``mapInPandas``
(vectorised predictions over Monte-Carlo draws, no per-row Python). Classified and
quarantined rows leave in one pass, told apart by ``status``. Draws are seeded per source, so
the numbers do not depend on how Spark splits the data.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from muwclass.classification.family import ModelFamily
from muwclass.classification.inputs import required_columns, to_model_input
from muwclass.classification.predict import classify_rows

HEALPIX = "_healpix_29"
ROWS_PER_TASK = 20_000  # rows classified together: the unit of work and of load balancing
ARROW_BATCH_ROWS = 10_000  # rows per Arrow batch handed back to the JVM


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
    catalog = Path(catalog)
    if (catalog / "dataset").is_dir():
        return catalog / "dataset"
    props = catalog / "collection.properties"
    if props.is_file():
        for line in props.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "hats_primary_table_url" and (catalog / value.strip() / "dataset").is_dir():
                return catalog / value.strip() / "dataset"
    return None


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
    for name, kind in output_columns(family.classes):
        if kind == "string":
            # plain Python strings: a pandas string column built by concatenation (the nH bins'
            # parts of one batch) is a chunked Arrow array, which Spark's Arrow writer rejects
            text = out[name].astype(object)
            out[name] = text.where(pd.notna(text), None).map(lambda v: v if v is None else str(v))
    return out[columns]


def classify_on_spark(
    spark, dataset: Path, family: ModelFamily, draws: int, seed: int, out_dir: Path, progress: bool = True
) -> dict[str, float]:
    """Classify a HATS ``dataset`` directory into Parquet under ``out_dir/status=...``.

    Returns rows in, tasks and job seconds; the caller reads the two outputs and checks that
    rows in = classified + quarantined.
    """
    from muwclass.runtime.sessions import spark_job_progress

    schema = output_columns(family.classes)
    names = [n for n, _ in schema]
    ddl = ", ".join(f"`{n}` {t}" for n, t in schema)
    source = spark.read.option("recursiveFileLookup", "true").parquet(str(dataset))
    # Only the columns classification reads or writes out travel through the shuffle and Arrow.
    source = source.select(*required_columns(source.columns, family.feature_sets, keep=names))
    # HATS partitions are few and large for small catalogs (one file = one task): spread the
    # rows over every core, in HEALPix ranges so a task holds neighbouring sources. That keeps
    # most tasks within one or two nH bins (one predict_proba per draw and bin: round-robin
    # rows needed every bin in every task) and gives the output HATS's spatial order. Results
    # do not depend on the split (draws are seeded per source).
    n_in = source.count()  # from Parquet footers: cheap
    tasks = task_count(n_in, spark.sparkContext.defaultParallelism)
    source = (
        source.repartitionByRange(tasks, HEALPIX) if HEALPIX in source.columns else source.repartition(tasks)
    )
    shared = spark.sparkContext.broadcast((family, draws, seed, names))

    def run(batches):
        # The whole task (~20k rows) in one call: each Monte-Carlo draw is one predict_proba
        # per nH bin, whose fixed cost (80 trees, feature pipeline) would otherwise be paid
        # once per 10k-row Arrow batch, doubling the calls.
        fam, n_draws, sd, cols = shared.value
        frames = [pdf for pdf in batches if len(pdf)]
        if frames:
            out = classify_batch(pd.concat(frames, ignore_index=True), fam, n_draws, sd, cols)
            for start in range(0, len(out), ARROW_BATCH_ROWS):
                yield out.iloc[start : start + ARROW_BATCH_ROWS]

    result = source.mapInPandas(run, ddl)
    t0 = time.perf_counter()
    with spark_job_progress(
        spark, f"classifying {n_in} sources ({draws} draws each)", tasks, enabled=progress
    ):
        result.write.mode("overwrite").partitionBy("status").parquet(str(out_dir))
    shared.unpersist()
    return {"rows_in": int(n_in), "tasks": tasks, "job_seconds": round(time.perf_counter() - t0, 2)}


def read_outputs(out_dir: Path, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(classified, quarantined) rows of :func:`classify_on_spark`'s output; a quarantine with
    no rows keeps its header (Spark writes no partition for no rows)."""

    def read(status: str) -> pd.DataFrame:
        path = out_dir / f"status={status}"
        return pd.read_parquet(path) if path.exists() else pd.DataFrame()

    classified, quarantine = read("classified"), read("quarantined")
    if quarantine.columns.empty:
        quarantine = pd.DataFrame(
            columns=list(
                dict.fromkeys([*(classified.columns if len(classified.columns) else columns), "reason"])
            )
        )
    return classified, quarantine
