"""Staged Parquet -> HATS collection (catalog + default margin) with hats-import.

The collection is built in a partial directory named by the content hash (so a killed
build resumes in place through hats-import's own resume plan) and moved into its final
place only when complete, so readers never see a half-written catalog.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import hats.pixel_math.healpix_shim as hp
from hats.pixel_math.sparse_histogram import SparseHistogram
from hats_import.collection.arguments import CollectionArguments
from hats_import.pipeline import pipeline_with_client

WRITE_KWARGS = {"compression": "zstd", "compression_level": 3}


def build_collection(
    name: str,
    parts: list[Path],
    partial_root: Path,
    scratch: Path,
    client,
    sort_column: str,
    highest_order: int,
    pixel_threshold: int,
    margin_arcsec: float | None,
    progress: bool = True,
) -> Path:
    """Run hats-import into ``partial_root/name`` with its intermediate files in ``scratch``
    (POSIX: muwclass.io.layout.WorkLayout.scratch); returns the collection path."""
    partial_root.mkdir(parents=True, exist_ok=True)
    discard_torn_histograms(scratch, highest_order)
    args = CollectionArguments(
        # hats defaults to zstd level 15, which made the reduce stage CPU-bound (about 4x
        # slower on 2 cores); level 3 files are ~10% larger.
        write_table_kwargs=WRITE_KWARGS,
        output_artifact_name=name,
        output_path=partial_root,
        tmp_dir=scratch,
        resume=True,
        progress_bar=progress,
        simple_progress_bar=not os.isatty(2),
    ).catalog(
        input_file_list=list(parts),  # UPaths keep their storage options
        file_reader="parquet",
        ra_column="ra",
        dec_column="dec",
        sort_columns=sort_column,
        highest_healpix_order=highest_order,
        pixel_threshold=pixel_threshold,
    )
    if margin_arcsec:
        args = args.add_margin(margin_threshold=margin_arcsec, is_default=True)
    with warnings.catch_warnings():
        # hats-import's margin step reads the margin catalog's partition list before it has
        # written partition_info.csv, and hats then warns that it computes it from the files
        # (a few pixels here): noise once per catalog, not a problem of the user's input
        warnings.filterwarnings("ignore", message="Computing partitions from catalog parquet files")
        pipeline_with_client(args, client)
    return partial_root / name


def discard_torn_histograms(tmp_dir: Path, highest_order: int) -> list[Path]:
    """Delete histogram files a kill left half-written, so hats-import recomputes them.

    hats-import treats any ``map_<i>.npz`` as a finished mapping stage and writes the
    combined histogram in place, so a SIGKILL during either write makes every later
    resume fail (``EOFError: No data left in file``) instead of redoing that one step.
    """
    removed = []
    for path in tmp_dir.rglob("*_histograms/*.npz"):
        try:
            SparseHistogram.from_file(path)
        except Exception:  # noqa: BLE001 - any unreadable file is a torn write
            path.unlink()
            removed.append(path)
    full_bytes = 8 * hp.order2npix(highest_order)
    for path in tmp_dir.rglob("*_mapping_histogram.npz"):
        if path.stat().st_size != full_bytes:
            # The partial histograms it was built from may be gone: map again.
            path.unlink()
            (path.parent / "mapping_done").unlink(missing_ok=True)
            removed.append(path)
    return removed
