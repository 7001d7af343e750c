"""HATS catalogs written pixel by pixel, so that versions can share partitions.

A release and its incremental updates keep one partitioning (the X-ray catalog's HEALPix
pixels, as the import chose them): an update rewrites the pixels it touched and hard-links
every other partition file from the previous version (no copies; a hard link survives the
removal of the version it came from). The catalog-level files are then regenerated through the
hats API, as hats-import's reduce stage does: ``partition_info.csv``
(:class:`hats.catalog.PartitionInfo`), ``dataset/_metadata`` and ``_common_metadata``
(:func:`hats.io.write_parquet_metadata`, from the Parquet footers of all partitions, linked or
written) and ``hats.properties`` (:class:`hats.catalog.TableProperties`, with our extra keys such
as the release version). ``hats.io.validation.is_valid_catalog(strict=True)`` and
``lsdb.read_hats`` accept the result (tests/unit/io/test_hats_pixels.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from hats.catalog import PartitionInfo, TableProperties
from hats.io import paths, write_parquet_metadata
from hats.pixel_math import HealpixPixel
from hats.pixel_math.spatial_index import SPATIAL_INDEX_COLUMN, compute_spatial_index

from muwclass.io.atomic import write_parquet
from muwclass.io.storage import as_path, link_or_copy, parquet_rows, parquet_schema

HEALPIX = SPATIAL_INDEX_COLUMN  # "_healpix_29"


def with_spatial_index(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its ``_healpix_29`` column (computed from ra/dec where absent)."""
    if HEALPIX in frame:
        return frame
    return frame.assign(
        **{HEALPIX: compute_spatial_index(frame["ra"].to_numpy(float), frame["dec"].to_numpy(float))}
    )


def pixel_index(healpix29: np.ndarray, pixels: list[HealpixPixel]) -> np.ndarray:
    """Position in ``pixels`` of the pixel holding each spatial index; -1 = in none of them."""
    healpix29 = np.asarray(healpix29, dtype=np.int64)
    out = np.full(len(healpix29), -1, dtype=np.int64)
    for order in sorted({p.order for p in pixels}):
        at_order = {p.pixel: i for i, p in enumerate(pixels) if p.order == order}
        parent = healpix29 >> (2 * (29 - order))
        hit = np.array([at_order.get(int(v), -1) for v in parent], dtype=np.int64) if len(parent) else out[:0]
        out = np.where((out < 0) & (hit >= 0), hit, out)
    return out


def pixel_key(pixel: HealpixPixel) -> str:
    """``order/pixel``: how manifests name a pixel."""
    return f"{pixel.order}/{pixel.pixel}"


def catalog_files(catalog_dir: Path) -> dict[HealpixPixel, Path]:
    """Partition file of every pixel of a HATS catalog."""
    info = PartitionInfo.read_from_dir(catalog_dir)
    return {p: as_path(paths.pixel_catalog_file(catalog_dir, p)) for p in info.get_healpix_pixels()}


def write_pixel_catalog(
    catalog_dir: Path,
    name: str,
    pixels: list[HealpixPixel],
    rows: pd.DataFrame,
    shared: Mapping[HealpixPixel, Path] | None = None,
    extra_properties: dict[str, str] | None = None,
) -> int:
    """Write a HATS catalog of ``pixels`` into the new directory ``catalog_dir``.

    Pixels in ``shared`` are hard-linked from those files (one schema); every other pixel gets
    its rows of ``rows`` (sorted by spatial index, cast to the shared files' schema). A row outside every
    pixel is a ValueError (the caller decides what such rows are). Returns the total row count.
    """
    shared = dict(shared or {})
    rows = (
        with_spatial_index(rows) if len(rows) else rows.assign(**{HEALPIX: np.array([], np.int64)})
    ).reset_index(drop=True)
    where = pixel_index(rows[HEALPIX].to_numpy(), pixels)
    if (where < 0).any():
        raise ValueError(f"{int((where < 0).sum())} rows lie outside every pixel of catalog {name!r}")
    in_shared = np.isin(where, [i for i, p in enumerate(pixels) if p in shared])
    if in_shared.any():
        raise ValueError(f"{int(in_shared.sum())} rows fall in pixels that are shared from another version")
    # the shared files fix the schema (written by hats-import or lsdb); new rows are cast to it
    first = next(iter(shared.values()), None)
    schema = (
        parquet_schema(first) if first else pa.Schema.from_pandas(rows, preserve_index=False)
    ).remove_metadata()
    total = 0
    for i, pixel in enumerate(pixels):
        target = as_path(paths.pixel_catalog_file(catalog_dir, pixel))
        target.parent.mkdir(parents=True, exist_ok=True)
        if pixel in shared:
            if not parquet_schema(shared[pixel]).remove_metadata().equals(schema):
                raise ValueError(
                    f"{shared[pixel]}: its columns differ from {first}'s; cannot share it in {name!r}"
                )
            link_or_copy(shared[pixel], target)
            total += parquet_rows(target)
            continue
        part = rows.iloc[np.flatnonzero(where == i)].sort_values(HEALPIX, kind="stable")
        part = part[[c for c in schema.names if c in part] + [c for c in part if c not in schema.names]]
        try:
            table = pa.Table.from_pandas(part, schema=schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError) as exc:
            raise ValueError(f"rows of pixel {pixel} do not fit the columns of {name!r}: {exc}") from None
        write_parquet(table, target)
        total += len(part)
    PartitionInfo.from_healpix(pixels).write_to_file(catalog_path=catalog_dir)
    write_parquet_metadata(catalog_dir)
    properties = TableProperties(
        catalog_name=name,
        catalog_type="object",
        total_rows=total,
        ra_column="ra",
        dec_column="dec",
        healpix_column=HEALPIX,
        healpix_order=29,
        npix_suffix=".parquet",
        **(extra_properties or {}),
    )
    properties.to_properties_file(catalog_dir)
    return total
