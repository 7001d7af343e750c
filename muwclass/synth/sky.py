"""The synthetic CSC-like sky: plan the fields, build them batch by batch, stream to Parquet.

Fields are generated in batches of ``FIELDS_PER_BATCH``; batch ``i`` draws from its own stream
``default_rng([seed, 1, i])`` and the field plan from ``default_rng([seed, 0])``, so the same
(seed, scale) gives byte-identical files and memory stays bounded by one batch. The output is
written next to ``out_dir`` and renamed into place at the end: a sky appears whole or not at all.
"""

from __future__ import annotations

import json
import math
import shutil
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from muwclass import __version__
from muwclass.io.atomic import partial_dir, publish
from muwclass.runtime.progress import progress_bar
from muwclass.synth import xmm as xmm_sky
from muwclass.synth.batch import build_batch
from muwclass.synth.fields import plan_fields
from muwclass.synth.nh_map import write_nh_map
from muwclass.synth.observations import write_new_observations
from muwclass.synth.population import load_training
from muwclass.synth.writer import RollingWriter

FULL_SOURCES = 317_000
FULL_FIELDS = 3_000
FIELDS_PER_BATCH = 60  # part of the determinism contract: changing it changes the bytes
FIRST_GAIA_RUNNING_NUMBER = 1
MAX_PENDING_WRITES = 2  # batches waiting for the writer thread: bounds memory
CATALOGS = ("csc_master", "csc_per_obs", "gaia", "tmass", "allwise")
#: the truth of each X-ray catalog of the sky (class, true counterparts), one row per source
#: ``name``, by the catalog's key in the synthetic-sky configurations
TRUTH_FILES = {"csc": "truth.parquet", "xmm": "xmm_truth.parquet"}


def sky_size(scale: float) -> tuple[int, int]:
    """(fields, X-ray master sources) at ``scale``: 3,000 and 317,000 at 1.0, at least 1 each."""
    try:
        ok = math.isfinite(float(scale)) and float(scale) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    n_fields = max(1, int(round(FULL_FIELDS * scale)))
    return n_fields, max(n_fields, int(round(FULL_SOURCES * scale)))


def _write_batch(writers: dict[str, RollingWriter], tables: dict[str, pa.Table]) -> None:
    for k in CATALOGS:
        writers[k].write(tables[k])


def read_truth(sky: Path, xray: str) -> pd.DataFrame:
    """The truth of X-ray catalog ``xray`` (``csc``, ``xmm``) of the sky in ``sky``, by ``name``."""
    return pd.read_parquet(Path(sky) / TRUTH_FILES[xray]).set_index("name")


def _write_truth(parts: list[pa.Table], path: Path) -> None:
    """One file; pandas metadata so pandas reads nullable Int64 / string (Gaia IDs > 2^53)."""
    df = _truth_frame(parts)
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, compression="snappy")


def _add_xmm(
    staging: Path,
    writers: dict[str, RollingWriter],
    csc_truth: list[pa.Table],
    fields,
    td,
    scale: float,
    seed: int,
    next_gaia: int,
    bar,
) -> dict:
    """Write the 3XMM-like catalog of the sky into ``staging`` (:mod:`muwclass.synth.xmm`): XMM's
    detections of CSC sources in the fields it points at, then XMM-only fields batch by batch,
    whose MW rows go to the MW ``writers``. Returns its summary."""
    master = pd.read_parquet(staging / "csc_master")
    truth = _truth_frame(csc_truth)
    shared, shared_truth, pointings = xmm_sky.shared_detections(
        np.random.default_rng([seed, 4]), fields, master, truth
    )
    out = RollingWriter(staging / "xmm")
    out.write(xmm_sky.xmm_table(shared, xmm_sky.FIRST_SRCID))
    truths = [shared_truth]
    n_fields, n_sources = xmm_sky.xmm_size(scale)
    n_own = max(1, n_fields - len(pointings))
    own = xmm_sky.plan_own_fields(
        np.random.default_rng([seed, 3]), fields, n_own, max(n_own, n_sources - len(shared.names))
    )
    task = bar.add_task("synthetic 3XMM (XMM-only fields)", total=n_own)
    first_field = len(pointings)
    for i, start in enumerate(range(0, n_own, xmm_sky.FIELDS_PER_BATCH)):
        batch = np.arange(start, min(start + xmm_sky.FIELDS_PER_BATCH, n_own))
        built = xmm_sky.build_own_batch(
            np.random.default_rng([seed, 5, i]), own, batch, td, next_gaia, first_field
        )
        next_gaia += built.tables["gaia"].num_rows
        out.write(xmm_sky.xmm_table(built.detected, xmm_sky.FIRST_SRCID + out.total))
        for k in ("gaia", "tmass", "allwise"):
            writers[k].write(built.tables[k])
        truths.append(built.truth.cast(truths[0].schema))
        bar.advance(task, len(batch))
    out.close()
    _write_truth(truths, staging / TRUTH_FILES["xmm"])
    table = pd.concat([pointings, xmm_sky.own_fields_table(own, first_field)], ignore_index=True)
    table.to_parquet(staging / "xmm_fields.parquet", index=False)
    nh_map = write_nh_map(staging, [fields, own])
    return {
        "rows": out.total,
        "files": [p.relative_to(staging).as_posix() for p in out.files],
        "fields": len(table),
        "fields_on_csc": len(pointings),
        "csc_sources_detected": len(shared.names),
        "truth": TRUTH_FILES["xmm"],
        "fields_table": "xmm_fields.parquet",
        "nh_map": nh_map,
    }


def _truth_frame(parts: list[pa.Table]) -> pd.DataFrame:
    table = pa.concat_tables(parts)
    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype(), pa.string(): pd.StringDtype()}.get)


def generate_sky(
    out_dir: Path,
    scale: float = 1.0,
    seed: int = 42,
    data_dir: Path = Path("../shared/muwclass-data"),
    progress: bool = True,
    new_observations: int = 0,
    xmm: bool = False,
) -> dict:
    """Write the synthetic sky to ``out_dir`` (replacing it) and return a summary.

    Layout: ``csc_master/``, ``csc_per_obs/``, ``gaia/``, ``tmass/``, ``allwise/`` (Parquet parts),
    ``truth.parquet``, ``fields.parquet``, ``new_observations/`` (``new_observations`` tables
    for incremental updates, :mod:`muwclass.synth.observations`) and ``manifest.json`` (the
    summary without ``out_dir``). With ``xmm``, also the 3XMM-like catalog
    (:mod:`muwclass.synth.xmm`): ``xmm/``, ``xmm_truth.parquet``, ``xmm_fields.parquet``,
    ``nh_map.fits`` (:mod:`muwclass.synth.nh_map`), and
    the MW rows of its own fields appended to ``gaia/``, ``tmass/``, ``allwise/``.
    """
    n_fields, n_sources = sky_size(scale)
    scale = float(scale)
    out_dir = Path(out_dir)
    td = load_training(Path(data_dir))
    fields = plan_fields(np.random.default_rng([seed, 0]), n_fields, n_sources)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = partial_dir(out_dir)
    writers = {k: RollingWriter(staging / k) for k in CATALOGS}
    truth: list[pa.Table] = []
    next_gaia = FIRST_GAIA_RUNNING_NUMBER
    starts = range(0, n_fields, FIELDS_PER_BATCH)
    try:
        # One writer thread: Parquet encoding (which releases the GIL) of batch i overlaps the
        # generation of batch i + 1; files are still written strictly in batch order.
        with (
            progress_bar(progress) as bar,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-writer") as pool,
        ):
            task = bar.add_task("synthetic sky (fields)", total=n_fields)
            pending: deque[Future] = deque()
            for i, start in enumerate(starts):
                batch = np.arange(start, min(start + FIELDS_PER_BATCH, n_fields))
                built = build_batch(np.random.default_rng([seed, 1, i]), fields, batch, td, next_gaia)
                next_gaia += built.gaia_rows
                pending.append(pool.submit(_write_batch, writers, built.tables))
                truth.append(built.tables["truth"])
                while len(pending) > MAX_PENDING_WRITES:
                    pending.popleft().result()
                bar.advance(task, len(batch))
            while pending:
                pending.popleft().result()
            xmm_summary = {}
            if xmm:
                writers["csc_master"].close()  # read back: XMM detects some of its sources
                xmm_summary = _add_xmm(staging, writers, truth, fields, td, scale, seed, next_gaia, bar)
        for w in writers.values():
            w.close()
        _write_truth(truth, staging / TRUTH_FILES["csc"])
        pq.write_table(fields.table(), staging / "fields.parquet", compression="snappy")
        observations = write_new_observations(staging, new_observations, seed)
        summary = {
            "seed": seed,
            "scale": scale,
            "fields": n_fields,
            "fields_in_plane": int(fields.in_plane.sum()),
            "rows": {k: writers[k].total for k in CATALOGS},
            "truth_rows": sum(t.num_rows for t in truth),
            "files": {k: [p.relative_to(staging).as_posix() for p in writers[k].files] for k in CATALOGS},
            "truth": TRUTH_FILES["csc"],
            "fields_table": "fields.parquet",
            "new_observations": [p.relative_to(staging).as_posix() for p in observations],
            "version": __version__,
        }
        if xmm:
            summary["rows"]["xmm"] = xmm_summary.pop("rows")
            summary["files"]["xmm"] = xmm_summary.pop("files")
            summary["xmm"] = xmm_summary
        (staging / "manifest.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        publish(staging, out_dir, "synth")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {**summary, "out_dir": str(out_dir)}
