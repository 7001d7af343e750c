"""The catalogs of one field, read into memory in the internal schema.

``muwclass field`` works on a few hundred X-ray sources and the MW stars around them, so it
skips HATS files on disk: each configured catalog (local files, or a TAP/HATS cone fetched
once into the work directory) goes through the same column mapping and row checks as
``muwclass import``. Bad rows and conflicting repeats of an id are kept with a reason;
exact repeats (the same source reached twice) are merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.coordinates import SkyCoord

from muwclass.config.run import FieldConfig, RunConfig, SourceOverride
from muwclass.errors import ConfigError, FieldError
from muwclass.ingest.dedup import same_row
from muwclass.ingest.mapping import QUARANTINE_COLUMNS
from muwclass.ingest.remote_inputs import plan_catalog
from muwclass.ingest.staging import mapped_chunks


@dataclass
class FieldCatalogs:
    xray: pd.DataFrame  # X-ray sources of the field, internal schema
    mw: dict[str, pd.DataFrame]  # MW catalog key -> rows, internal schema
    quarantine: pd.DataFrame  # QUARANTINE_COLUMNS: rows that could not be used, with reasons
    outside: int  # X-ray sources dropped because they lie outside the field radius
    merged: dict[str, int]  # catalog key -> exact repeats of a row merged into the first one
    centre: SkyCoord
    radius_arcmin: float


def with_field_cones(cfg: RunConfig) -> RunConfig:
    """Remote catalogs without a cone get the field's: its radius for the X-ray catalog,
    plus ``mw_margin_arcmin`` for the MW catalogs (counterparts of sources at the edge)."""
    f = field_config(cfg)
    keys = [cfg.crossmatch.xray, *cfg.crossmatch.targets]
    catalogs = dict(cfg.catalogs)
    for key in keys:
        src = catalogs[key].source
        if src is None or not (src.tap or src.hats) or src.cone is not None:
            continue
        if f.ra is None or f.radius_arcmin is None:
            raise ConfigError(
                f"{cfg.source_file}: catalogs.{key} is fetched from a remote service: give field.ra, field.dec and field.radius_arcmin"
            )
        radius = f.radius_arcmin + (0 if key == cfg.crossmatch.xray else f.mw_margin_arcmin)
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


def read_catalog(cfg: RunConfig, key: str) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(rows in the internal schema, quarantined rows, merged exact repeats) of one catalog."""
    task = plan_catalog(cfg, key)
    goods, bads = [], []
    for path, fmt in zip(task.files, task.formats, strict=True):
        for _chunk, good, bad in mapped_chunks(path, fmt, task.definition, task.chunk_rows):
            goods.append(good.assign(_file=str(path)))
            bads.append(bad)
    rows = pd.concat(goods, ignore_index=True) if goods else pd.DataFrame(columns=["source_id", "_file"])
    n_read = len(rows)
    rows, conflicts = merge_repeats(rows, task.unique_key, task.definition.name)
    quarantine = (
        pd.concat([*bads, conflicts], ignore_index=True) if bads or len(conflicts) else _no_quarantine()
    )
    return rows.drop(columns="_file"), quarantine, n_read - len(rows) - len(conflicts)


def merge_repeats(rows: pd.DataFrame, key: list[str], catalog: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Repeats of an id: merged when their values match the first occurrence (the import's
    rule, :func:`muwclass.ingest.dedup.same_row`), else quarantined (first one kept)."""
    repeat = rows.duplicated(subset=key, keep="first").to_numpy()
    group = rows.groupby(key, sort=False, dropna=False).ngroup().to_numpy()
    first_of = dict(zip(group[~repeat], np.flatnonzero(~repeat), strict=True))
    values = rows[[c for c in rows.columns if c != "_file"]].to_numpy(dtype=object)
    clash = np.zeros(len(rows), dtype=bool)
    for pos in np.flatnonzero(repeat):
        clash[pos] = not same_row(values[pos], values[first_of[group[pos]]])
    conflicts = pd.DataFrame(
        {
            "catalog": catalog,
            "file": rows.loc[clash, "_file"].astype(str),
            "row": -1,
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
    xray, quarantine, merged = read_catalog(cfg, cfg.crossmatch.xray)
    repeats = {cfg.crossmatch.xray: merged}
    if xray.empty:
        raise FieldError(
            f"field {f.name}: no usable X-ray sources in catalog '{cfg.crossmatch.xray}' ({len(quarantine)} quarantined)"
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
    mw, bad = {}, [quarantine]
    for key in cfg.crossmatch.targets:
        mw[key], q, repeats[key] = read_catalog(cfg, key)
        bad.append(q)
    return FieldCatalogs(xray, mw, pd.concat(bad, ignore_index=True), outside, repeats, centre, radius)


def _centre(coords: SkyCoord) -> SkyCoord:
    """Mean direction of the sources (safe across RA = 0/360)."""
    x, y, z = coords.cartesian.xyz.value.mean(axis=1)
    return SkyCoord(
        np.degrees(np.arctan2(y, x)) % 360 * u.deg, np.degrees(np.arctan2(z, np.hypot(x, y))) * u.deg
    )
