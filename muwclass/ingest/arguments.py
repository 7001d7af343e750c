"""What one catalog import will do, resolved and checked before any work starts.

:func:`plan_import` turns a run configuration's catalog into :class:`ImportArguments`: its
definition, the input files (globs expanded, every file's columns checked against the
definition) and the import settings. A typo in a column or a missing file fails here, before a
Dask worker starts.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path

from muwclass.config.catalog_definition import CatalogDefinition, load_catalog_definition
from muwclass.config.run import CatalogSelection, RunConfig
from muwclass.errors import ConfigError
from muwclass.ingest.mapping import check_columns
from muwclass.io.hashing import file_digest
from muwclass.io.healpix_map import load_healpix_map
from muwclass.io.layout import WorkLayout
from muwclass.io.readers import guess_format, native_columns
from muwclass.io.storage import is_object_store


@dataclass(frozen=True)
class NhMapFile:
    """A resolved :class:`~muwclass.config.run.NhMapSelection`: where ``nh_gal`` comes from."""

    path: Path
    column: str
    unit: str

    @property
    def to_nh_gal(self) -> float:
        """Factor from the map's unit to ``nh_gal``'s (1e20 cm^-2)."""
        from astropy import units as u

        return u.Unit(self.unit).to(1e20 * u.cm**-2)


@dataclass
class ImportArguments:
    """One catalog's import: its definition, its input files in a fixed order, where output goes."""

    key: str  # name of the catalog in the run configuration, e.g. "gaia"
    definition: CatalogDefinition
    files: list[Path]
    formats: list[str]
    layout: WorkLayout
    margin_arcsec: float | None
    highest_order: int
    pixel_threshold: int
    chunk_rows: int
    selection: CatalogSelection | None = None
    extra_hash: list = field(default_factory=list)
    nh_map: NhMapFile | None = None  # fills nh_gal where the catalog gives none

    @property
    def unique_key(self) -> list[str]:
        """Detections repeat a master id once per observation; everything else is unique."""
        return ["source_id", "obsid"] if self.definition.kind == "xray_detection" else ["source_id"]

    @property
    def hats_dir(self) -> Path:
        """The published HATS collection."""
        return self.layout.catalog(self.key)

    @property
    def quarantine_path(self) -> Path:
        return self.layout.quarantine(self.key)

    @property
    def report_path(self) -> Path:
        return self.layout.import_report(self.key)

    @property
    def candidates_path(self) -> Path:
        return self.layout.candidates(self.key)

    def settings(self) -> list:
        """Everything besides the input bytes that decides the import's output."""
        return [
            self.definition.model_dump(mode="json", exclude={"definition_file"}),
            self.formats,
            self.margin_arcsec,
            self.highest_order,
            self.pixel_threshold,
            *self.extra_hash,
        ]


def resolve_local_files(
    patterns: list[str], data_dir: Path, where: str, placeholders: dict | None = None
) -> list[Path]:
    """Expand globs relative to the data directory; a pattern that matches nothing is an error.

    ``{work_dir}`` and ``{synth_dir}`` in a pattern name the run's own built files."""
    files: list[Path] = []
    for pat in patterns:
        pat = pat.format(**(placeholders or {}))
        if is_object_store(data_dir) and not Path(pat).is_absolute():
            hits = sorted(data_dir.glob(pat), key=str)
        else:
            full = pat if Path(pat).is_absolute() else str(data_dir / pat)
            hits = sorted(Path(p) for p in glob.glob(full))
        if not hits:
            raise ConfigError(f"{where}: no input file matches '{pat}' (looked in {data_dir})")
        files += [h for h in hits if h not in files]
    return files


def plan_import(
    cfg: RunConfig, key: str, local_files: list[Path] | None = None, local_format: str | None = None
) -> ImportArguments:
    """Build and check the import task of one configured catalog.

    ``local_files`` (of ``local_format``) replace the definition's files, e.g. after a
    remote download.
    """
    if key not in cfg.catalogs:
        raise ConfigError(
            f"{cfg.source_file}: no catalog '{key}' under 'catalogs' (have {sorted(cfg.catalogs)})"
        )
    sel = cfg.catalogs[key]
    d = load_catalog_definition(sel.definition, cfg.catalogs_dir)
    fmt = local_format or d.source.format
    if local_files is None:
        patterns = d.source.local
        if sel.source is not None and sel.source.local is not None:
            patterns = [sel.source.local] if isinstance(sel.source.local, str) else sel.source.local
        if sel.source is not None and sel.source.format:
            fmt = sel.source.format
        local_files = resolve_local_files(
            patterns,
            cfg.data_dir,
            f"catalogs.{key}",
            {"work_dir": cfg.work_dir, "synth_dir": cfg.layout.synth},
        )
    formats = []
    for f in local_files:
        # A CSV-default definition still reads a FITS/VOTable/Parquet file a run points it at.
        ffmt = guess_format(f) if fmt == "csv" and not f.name.lower().endswith((".csv", ".txt")) else fmt
        formats.append(ffmt)
        cols = native_columns(f, ffmt, d.source.encoding)
        if ffmt == "candidates":
            cols = [
                c[: -len(d.source.candidates.suffix)] if c.endswith(d.source.candidates.suffix) else c
                for c in cols
            ]
        check_columns(cols, d, str(f))
    nh_map = None
    if sel.nh_map is not None:
        (path,) = resolve_local_files(
            [sel.nh_map.file],
            cfg.data_dir,
            f"catalogs.{key}.nh_map",
            {"work_dir": cfg.work_dir, "synth_dir": cfg.layout.synth},
        )
        nh_map = NhMapFile(path, sel.nh_map.column, sel.nh_map.unit)
        load_healpix_map(str(path), nh_map.column)  # a bad map fails here, before any worker starts
    # a margin cache for every crossmatch target: the MW catalogs, and an X-ray catalog that is
    # linked to the main one (3XMM to CSC), whose pairs across a partition edge would be lost
    # without it (lsdb warns "Right catalog does not have a margin cache")
    target = d.kind == "mw" or key in cfg.crossmatch.xray[1:]
    margin = sel.margin_arcsec if sel.margin_arcsec else (cfg.import_.margin_arcsec if target else None)
    return ImportArguments(
        key=key,
        definition=d,
        files=list(local_files),
        formats=formats,
        layout=cfg.layout,
        margin_arcsec=margin,
        highest_order=cfg.import_.highest_healpix_order,
        pixel_threshold=sel.pixel_threshold or cfg.import_.pixel_threshold,
        chunk_rows=cfg.import_.chunk_rows,
        selection=sel,
        extra_hash=[nh_map.column, nh_map.unit, file_digest(nh_map.path)] if nh_map else [],
        nh_map=nh_map,
    )
