"""The catalogs of one field, read into memory in the internal schema.

``muwclass field`` works on a few hundred X-ray sources and the MW stars around them, so it
skips HATS files on disk: each configured catalog (local files, or a TAP/HATS cone fetched
once into the work directory) goes through the same column mapping and row checks as
``muwclass import``. Bad rows and conflicting repeats of an id are kept with a reason;
exact repeats (the same source reached twice) are merged.

The shared Gaia/2MASS/WISE files of a field are cone searches around its X-ray sources, one
row per X-ray source (``_q`` = its row in the companion ``<F>_ave.csv``), written even when the
search found nothing. Such a file that has rows for far fewer of the field's X-ray sources has
lost rows (cut short, header only): the sources without a row would silently get no
counterpart in that survey, so :func:`survey_coverage_warnings` turns it into a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.coordinates import SkyCoord

from muwclass.config.run import FieldConfig, RunConfig, SourceOverride
from muwclass.errors import ConfigError, FieldError, InputError
from muwclass.ingest.arguments import ImportArguments
from muwclass.ingest.candidates import companion_xray_file
from muwclass.ingest.dedup import repeated_rows
from muwclass.ingest.mapping import QUARANTINE_COLUMNS
from muwclass.ingest.remote_inputs import plan_catalog
from muwclass.ingest.staging import mapped_chunks
from muwclass.io.readers import read_csv_chunks
from muwclass.io.storage import as_path

#: A survey whose per-X-ray-source file (``format: candidates``) has rows for fewer than this
#: fraction of the field's X-ray sources gets a warning. An intact file has one row per X-ray
#: source, even without a candidate, so it covers 100%. 60% sits well above what a file cut in
#: half (~50%) or holding only its header (0%) covers, and well below 100% so that a file
#: written with only the sources that have a candidate is not flagged (in the shared fields
#: AllWISE finds a candidate for just 68-79% of the X-ray sources, Gaia and 2MASS for > 90%).
MIN_SURVEY_COVERAGE = 0.6

#: bookkeeping columns of the rows read here (not compared when merging repeats)
_BOOKKEEPING = ("_file", "_row")


@dataclass
class FieldCatalogs:
    xray: pd.DataFrame  # X-ray sources of the field, internal schema
    mw: dict[str, pd.DataFrame]  # MW catalog key -> rows, internal schema
    quarantine: pd.DataFrame  # QUARANTINE_COLUMNS: rows that could not be used, with reasons
    outside: int  # X-ray sources dropped because they lie outside the field radius
    merged: dict[str, int]  # catalog key -> exact repeats of a row merged into the first one
    centre: SkyCoord
    radius_arcmin: float
    warnings: list[str] = dataclass_field(default_factory=list)  # e.g. a survey file that lost rows
    # source_id -> _file, _row: where each X-ray source was read (names quarantined sources)
    xray_origin: pd.DataFrame = dataclass_field(default_factory=pd.DataFrame)


def with_field_cones(cfg: RunConfig) -> RunConfig:
    """Remote catalogs without a cone get the field's: its radius for the X-ray catalog,
    plus ``mw_margin_arcmin`` for the MW catalogs (counterparts of sources at the edge)."""
    f = field_config(cfg)
    keys = [cfg.crossmatch.main_xray, *cfg.crossmatch.targets]
    catalogs = dict(cfg.catalogs)
    for key in keys:
        src = catalogs[key].source
        if src is None or not (src.tap or src.hats) or src.cone is not None:
            continue
        if f.ra is None or f.radius_arcmin is None:
            raise ConfigError(
                f"{cfg.source_file}: catalogs.{key} is fetched from a remote service: give field.ra, field.dec and field.radius_arcmin"
            )
        radius = f.radius_arcmin + (0 if key == cfg.crossmatch.main_xray else f.mw_margin_arcmin)
        cone = SourceOverride.model_validate({**src.model_dump(), "cone": (f.ra, f.dec, radius / 60)})
        catalogs[key] = catalogs[key].model_copy(update={"source": cone})
    return cfg.model_copy(update={"catalogs": catalogs})


def field_config(cfg: RunConfig) -> FieldConfig:
    """The run's ``field`` block; a configuration without one is not a field configuration."""
    if cfg.field is None:
        raise ConfigError(
            f"{cfg.source_file}: no 'field' block (name, ra, dec, radius_arcmin, ...): "
            "`muwclass field` needs a field configuration (see conf/fields/)"
        )
    return cfg.field


@dataclass
class _CatalogRead:
    task: ImportArguments
    rows: pd.DataFrame  # internal schema, repeats merged
    quarantine: pd.DataFrame
    merged: int
    origin: pd.DataFrame  # source_id, _file (resolved path), _row (1-based data row) of every usable row


def read_catalog(cfg: RunConfig, key: str) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(rows in the internal schema, quarantined rows, merged exact repeats) of one catalog."""
    got = _read_catalog(cfg, key)
    return got.rows, got.quarantine, got.merged


def _read_catalog(cfg: RunConfig, key: str) -> _CatalogRead:
    """One catalog read and mapped, with the file and data row of each usable row (before
    repeats are merged; -1 when a reader does not number its rows)."""
    task = plan_catalog(cfg, key)
    goods, bads = [], []
    for path, fmt in zip(task.files, task.formats, strict=True):
        for chunk, good, bad in mapped_chunks(path, fmt, task.definition, task.chunk_rows):
            keep = ~pd.Series(chunk.row).isin(bad["row"]).to_numpy()
            rows = chunk.row[keep] if int(keep.sum()) == len(good) else np.full(len(good), -1)
            goods.append(good.assign(_file=str(as_path(path).resolve()), _row=rows))
            bads.append(bad)
    rows = (
        pd.concat(goods, ignore_index=True) if goods else pd.DataFrame(columns=["source_id", *_BOOKKEEPING])
    )
    origin = rows[["source_id", *_BOOKKEEPING]].copy()
    n_read = len(rows)
    rows, conflicts = merge_repeats(rows, task.unique_key, task.definition.name)
    quarantine = (
        pd.concat([*bads, conflicts], ignore_index=True) if bads or len(conflicts) else _no_quarantine()
    )
    merged = n_read - len(rows) - len(conflicts)
    return _CatalogRead(task, rows.drop(columns=list(_BOOKKEEPING)), quarantine, merged, origin)


def merge_repeats(rows: pd.DataFrame, key: list[str], catalog: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Repeats of an id: merged when their values match the first occurrence (the import's
    rule, :func:`muwclass.ingest.dedup.same_row`), else quarantined (first one kept)."""
    exact, clash = repeated_rows(rows.drop(columns=[c for c in _BOOKKEEPING if c in rows]), key)
    repeat = exact | clash
    conflicts = pd.DataFrame(
        {
            "catalog": catalog,
            "file": rows.loc[clash, "_file"].astype(str),
            "row": rows.loc[clash, "_row"].astype("int64") if "_row" in rows else -1,
            "source_id": rows.loc[clash, "source_id"].astype(str),
            "reason": [
                f"duplicate {'/'.join(key)} {s!r} with different values (first occurrence kept)"
                for s in rows.loc[clash, "source_id"]
            ],
            "raw": "",
        }
    )
    return rows.loc[~repeat].reset_index(drop=True), conflicts


def _no_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "string") for c in QUARANTINE_COLUMNS})


def load_field(cfg: RunConfig) -> FieldCatalogs:
    """All catalogs of the field; X-ray sources cut to the field radius when one is given."""
    f = field_config(cfg)
    cfg = with_field_cones(cfg)
    x = _read_catalog(cfg, cfg.crossmatch.main_xray)
    xray, quarantine, repeats = x.rows, x.quarantine, {cfg.crossmatch.main_xray: x.merged}
    if xray.empty:
        raise FieldError(
            f"field {f.name}: no usable X-ray sources in catalog '{cfg.crossmatch.main_xray}' ({len(quarantine)} quarantined)"
        )
    coords = SkyCoord(xray["ra"].to_numpy(float) * u.deg, xray["dec"].to_numpy(float) * u.deg)
    centre = _centre(coords) if f.ra is None else SkyCoord(f.ra * u.deg, f.dec * u.deg)
    sep = centre.separation(coords).arcmin
    outside = 0
    if f.radius_arcmin is not None:
        inside = sep <= f.radius_arcmin
        outside = int((~inside).sum())
        xray = xray.loc[inside].reset_index(drop=True)
        if xray.empty:
            raise FieldError(
                f"field {f.name}: none of the {outside} X-ray sources lies within {f.radius_arcmin}' of "
                f"({f.ra:.4f}, {f.dec:.4f}); check field.ra/dec/radius_arcmin"
            )
    radius = f.radius_arcmin if f.radius_arcmin is not None else float(np.max(sep))
    mw, bad, warnings = {}, [quarantine], []
    for key in cfg.crossmatch.targets:
        got = _read_catalog(cfg, key)
        mw[key], repeats[key] = got.rows, got.merged
        bad.append(got.quarantine)
        warnings += survey_coverage_warnings(key, got, xray["source_id"], x.origin)
    origin = x.origin.drop_duplicates("source_id").set_index("source_id")
    return FieldCatalogs(
        xray, mw, pd.concat(bad, ignore_index=True), outside, repeats, centre, radius, warnings, origin
    )


def survey_coverage_warnings(
    key: str, got: _CatalogRead, field_ids: pd.Series, xray_origin: pd.DataFrame
) -> list[str]:
    """A warning when an MW catalog delivers no rows, or when its per-X-ray-source files
    (``format: candidates``: one row per X-ray source, ``_q`` = the source's row in the
    companion X-ray file) have rows for fewer than :data:`MIN_SURVEY_COVERAGE` of the field's
    X-ray sources. Files whose companion is not a file of the field's X-ray catalog (``_q``
    then points elsewhere) are not judged."""
    task = got.task
    names = ", ".join(str(p) for p in task.files)
    field = set(field_ids.astype(str))  # never empty: load_field stops on a field without sources
    covered: set[str] = set()
    judged = False
    for path, fmt in zip(task.files, task.formats, strict=True):
        layout = task.definition.source.candidates
        if fmt != "candidates" or layout is None:
            continue
        try:
            companion = str(companion_xray_file(as_path(path), layout).resolve())
        except InputError:
            continue
        rows_of = xray_origin[xray_origin["_file"] == companion]
        if rows_of.empty:
            continue
        judged = True
        q = [
            pd.to_numeric(c.frame[layout.xray_row], errors="coerce")
            for c in read_csv_chunks(as_path(path), task.chunk_rows)
            if layout.xray_row in c.frame.columns
        ]
        q = pd.concat(q).dropna() if q else pd.Series(dtype=float)
        covered |= set(rows_of.loc[rows_of["_row"].isin(q), "source_id"].astype(str))
    if judged:  # an intact file may hold no candidate at all: then it still covers every source
        n, total = len(field & covered), len(field)
        if n == 0:
            return [
                f"catalog '{key}': {names} has no row for any of the {total} X-ray sources of the field "
                f"(empty or header only?): no {key} counterparts"
            ]
        if n < MIN_SURVEY_COVERAGE * total:
            return [
                f"catalog '{key}': {names} has rows for only {n} of the {total} X-ray sources of the field "
                f"({n / total:.0%}; an intact cone-search file has one per source), it looks truncated: "
                f"{total - n} sources get no {key} counterpart"
            ]
        return []
    if got.rows.empty:
        return [f"catalog '{key}': {names} delivered no rows: no {key} counterparts in this field"]
    return []


def _centre(coords: SkyCoord) -> SkyCoord:
    """Mean direction of the sources (safe across RA = 0/360)."""
    x, y, z = coords.cartesian.xyz.value.mean(axis=1)
    return SkyCoord(
        np.degrees(np.arctan2(y, x)) % 360 * u.deg, np.degrees(np.arctan2(z, np.hypot(x, y))) * u.deg
    )
