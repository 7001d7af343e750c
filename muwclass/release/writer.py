"""A versioned, self-describing release of the classified catalog, written atomically.

``build/release/<version>/`` holds the classified catalog as HATS (``hats/``, ``lsdb.read_hats``),
FITS and CSV, the X-ray master sources it was made from (``sources/``, HATS: the state an
incremental update starts from), the quarantine table, the most unusual confident sources, ``manifest.json`` (inputs
with hashes, models with provenance, configuration, code version, row counts, timings), a
model card and plots. Everything is written into a hidden partial directory that is renamed
into place at the end; the ``latest`` symlink moves only after that, so a crashed run leaves
the previous release untouched and no half-written version.

Both HATS tables are partitioned like the X-ray catalog (its HEALPix pixels, passed in as
:class:`ReleasePartitions`), so an incremental update rewrites only the pixels it touched and
hard-links the others from its parent version (:mod:`muwclass.io.hats_pixels`). The
whole-table CSV is written pixel by pixel with each pixel's byte range in the manifest
(``classified_csv_blocks``), so that an update copies the untouched pixels' rows from its
parent's CSV instead of formatting 317,000 rows again (9.7 s at scale 1.0).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from hats.pixel_math import HealpixPixel

from muwclass.errors import ReleaseError
from muwclass.io.atomic import partial_dir, point_latest, publish, read_json
from muwclass.io.hats_pixels import HEALPIX, catalog_files, pixel_key, with_spatial_index, write_pixel_catalog
from muwclass.io.products import published
from muwclass.io.storage import link_or_copy, parquet_rows
from muwclass.io.writers import CsvBlock, csv_header, write_csv_blocks, write_table
from muwclass.release.index_page import write_index
from muwclass.release.model_card import EVALUATION_FILES
from muwclass.release.xray_links import link_summary, link_table, links_file

UNUSUAL_TOP = 25
#: manifest key: each pixel's byte range in ``classified.csv`` (see :func:`write_csv_blocks`)
CSV_BLOCKS = "classified_csv_blocks"


@dataclass
class OtherCatalog:
    """Another X-ray catalog's classified rows in a release (3XMM beside CSC): ``hats_<name>/``,
    partitioned like that catalog, and its link pairs with the main catalog (the columns of
    :func:`muwclass.crossmatch.xray_link.mutual_best`)."""

    pixels: list[HealpixPixel]
    classified: pd.DataFrame  # rows of the pixels not in ``shared``
    main: str  # the name of the release's main X-ray catalog (CSC)
    links: pd.DataFrame  # columns ``main``, the other's name, and PAIR_COLUMNS
    shared: dict[HealpixPixel, Path] = field(default_factory=dict)  # from the parent version

    @property
    def rows(self) -> int:
        return len(self.classified) + sum(parquet_rows(f) for f in self.shared.values())


@dataclass
class ReleasePartitions:
    """The pixels of a release's HATS tables and what it shares with its parent version."""

    pixels: list[HealpixPixel]
    sources: pd.DataFrame  # X-ray master rows of the pixels not in shared_sources
    shared_sources: dict[HealpixPixel, Path] = field(default_factory=dict)
    shared_classified: dict[HealpixPixel, Path] = field(default_factory=dict)
    parent: Path | None = None  # the release the shared partitions come from
    others: dict[str, OtherCatalog] = field(default_factory=dict)  # by catalog name

    def parent_csv_blocks(self, columns: list[str]) -> dict[str, CsvBlock]:
        """The shared pixels' rows in the parent's ``classified.csv``, by pixel key (none when
        the parent recorded no blocks or its columns differ)."""
        if self.parent is None:
            return {}
        csv = self.parent / "classified.csv"
        ranges = (read_json(self.parent / "manifest.json") or {}).get(CSV_BLOCKS, {})
        header = csv_header(columns)
        if not ranges or not csv.is_file():
            return {}
        with csv.open("rb") as f:
            if f.read(len(header)) != header:
                return {}
        keys = {pixel_key(p) for p in self.shared_classified}
        keys |= {other_key(name, p) for name, o in self.others.items() for p in o.shared}
        return {k: CsvBlock(csv, *r) for k, r in ranges.items() if k in keys}

    @classmethod
    def covering(cls, rows: pd.DataFrame) -> ReleasePartitions:
        """The order-0 pixels holding ``rows`` (tables without an X-ray catalog behind them)."""
        index = with_spatial_index(rows)[HEALPIX].to_numpy(np.int64) >> (2 * 29)
        return cls([HealpixPixel(0, int(p)) for p in np.unique(index)], rows.iloc[:0])


def other_key(catalog: str, pixel: HealpixPixel) -> str:
    """How the manifest's CSV blocks name a pixel of another X-ray catalog: ``xmm:order/pixel``."""
    return f"{catalog}:{pixel_key(pixel)}"


def unusual_sources(classified: pd.DataFrame, top: int = UNUSUAL_TOP) -> pd.DataFrame:
    """Confident classifications that are farthest from every training class."""
    confident = classified[classified["confident"].fillna(False).astype(bool)]
    return confident.sort_values("outlier_score", ascending=False).head(top)


def write_release(
    release_root: Path,
    version: str,
    classified: pd.DataFrame,
    quarantine: pd.DataFrame,
    manifest: dict,
    model_card: str,
    force: bool = False,
    evaluation: Path | None = None,
    partitions: ReleasePartitions | None = None,
    extras: dict[str, pd.DataFrame] | None = None,
) -> Path:
    """Write ``release_root/version`` atomically and point ``latest`` at it; return its path.
    ``evaluation``: the directory of the evaluation the model card describes (its metrics and
    plots are copied into ``evaluation/``). ``classified`` holds the rows of the pixels not
    shared from a parent (``partitions``; all rows for a release of its own). ``extras``: more
    tables, by file name (``.csv``, ``.parquet``), e.g. an update's diff against its parent."""
    partitions = partitions or ReleasePartitions.covering(classified)
    n_classified = sum(parquet_rows(f) for f in partitions.shared_classified.values()) + len(classified)
    n_classified += sum(o.rows for o in partitions.others.values())
    n_in = manifest["rows"]["in"]
    if n_classified + len(quarantine) != n_in:
        raise ReleaseError(
            f"rows in {n_in} != classified {n_classified} + quarantined {len(quarantine)}: not releasing"
        )
    final = release_root / version
    if published(final) and not force:
        raise ReleaseError(f"release {final} exists (choose another --release-version or pass --force)")
    release_root.mkdir(parents=True, exist_ok=True)
    partial = partial_dir(final)
    t0 = time.perf_counter()
    classified, csv_blocks, links = _write_tables(partial, version, classified, quarantine, partitions)
    manifest = {**manifest, **({"links": links} if links else {})}
    _write_plots(partial, classified)
    (partial / "model_card.md").write_text(model_card)
    for name, table in (extras or {}).items():
        if name.endswith(".parquet"):
            table.to_parquet(partial / name, index=False)
        else:
            write_table(table, partial / name)
    if evaluation is not None:
        (partial / "evaluation").mkdir()
        for name in EVALUATION_FILES:
            if (evaluation / name).is_file():
                link_or_copy(evaluation / name, partial / "evaluation" / name)
    diff = (extras or {}).get("diff.parquet")
    write_index(
        partial, {**manifest, "version": version}, classified, unusual_sources(classified), model_card, diff
    )
    manifest = {
        **manifest,
        "files": sorted(p.name for p in partial.iterdir()),
        "release_write_seconds": round(time.perf_counter() - t0, 2),
        CSV_BLOCKS: csv_blocks,
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    publish(partial, final, "release")
    point_latest(release_root, version)
    return final


def _write_tables(
    out: Path, version: str, classified: pd.DataFrame, quarantine: pd.DataFrame, partitions: ReleasePartitions
) -> tuple[pd.DataFrame, dict[str, list[int]], dict[str, dict]]:
    """The HATS tables, then the whole classified table (shared pixels included, then the other
    X-ray catalogs' rows) as FITS and CSV, in pixel order, and the link tables; returns that
    whole table, the CSV's byte range of each pixel (the shared pixels' CSV rows are copied from
    the parent's file) and the link tables' summaries."""
    properties = {"muwclass_release_version": version}
    write_pixel_catalog(
        out / "hats", "muwclass", partitions.pixels, classified, partitions.shared_classified, properties
    )
    if len(partitions.sources) or partitions.shared_sources:
        write_pixel_catalog(
            out / "sources",
            "sources",
            partitions.pixels,
            partitions.sources,
            partitions.shared_sources,
            properties,
        )
    frames = {pixel_key(p): pq.read_table(f).to_pandas() for p, f in catalog_files(out / "hats").items()}
    main = pd.concat(frames.values(), ignore_index=True)
    links = {}
    for name, other in partitions.others.items():
        write_pixel_catalog(
            out / f"hats_{name}", name, other.pixels, other.classified, other.shared, properties
        )
        own = {
            other_key(name, p): pq.read_table(f).to_pandas()
            for p, f in catalog_files(out / f"hats_{name}").items()
        }
        frames.update(own)
        table = link_table(other.links, other.main, name, main, pd.concat(own.values(), ignore_index=True))
        table.to_parquet(out / links_file(other.main, name), index=False)
        write_table(table, (out / links_file(other.main, name)).with_suffix(".csv"))
        links[name] = link_summary(table)
    whole = pd.concat(frames.values(), ignore_index=True)
    columns = [c for c in whole.columns if c != HEALPIX]
    reused = partitions.parent_csv_blocks(columns)
    csv_blocks = write_csv_blocks(
        out / "classified.csv", columns, ((k, reused.get(k, frame)) for k, frame in frames.items())
    )
    write_table(whole[columns], out / "classified.fits")
    write_table(quarantine, out / "quarantine.csv")
    write_table(unusual_sources(whole), out / "unusual.csv")
    return whole, csv_blocks, links


def _write_plots(out: Path, classified: pd.DataFrame) -> None:
    from muwclass.io.figures import class_counts, ct_distribution, galactic_sky_map

    class_counts(classified, out / "class_counts.png")
    galactic_sky_map(classified, out / "sky_map_galactic.png")
    ct_distribution(classified, out / "ct_distribution.png")
