"""Catalog definitions: where a catalog comes from and how its columns map to ours.

One YAML file per input catalog in ``catalogs/``. Keeping survey knowledge (column names,
units, error conventions, epochs, band definitions) in data rather than code means a new
survey or a new data release is a new YAML file, reviewed like any other change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from muwclass.config.run import format_validation_error
from muwclass.config.schema import ALL_COLUMNS
from muwclass.errors import ConfigError

Format = Literal["csv", "fits", "votable", "parquet", "candidates"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CandidateLayout(_Strict):
    """The shared cone-search layout: one row per X-ray source, nearest record suffixed."""

    suffix: str  # e.g. "_gaia": stripped from column names to get native names
    separations: str  # column holding the list of all candidate separations (arcsec)
    xray_row: str = "_q"  # 1-based row of the X-ray source in the companion X-ray file
    xray_file_suffix: str = "_ave.csv"  # companion X-ray file: <prefix><xray_file_suffix>


class TapSource(_Strict):
    url: str
    table: str
    ra_column: str
    dec_column: str
    columns: list[str] | None = None
    query: str | None = None  # full ADQL; overrides the generated cone query


class Source(_Strict):
    """Where the rows come from. ``local`` globs are relative to the data directory."""

    format: Format = "csv"
    encoding: str = "utf-8"  # of text (CSV) files, e.g. latin-1 for catalogs exported that way
    local: list[str] = Field(default_factory=list)
    candidates: CandidateLayout | None = None
    tap: TapSource | None = None
    hats: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Source:
        if self.format == "candidates" and self.candidates is None:
            raise ValueError("format 'candidates' needs a 'candidates' layout block")
        if not (self.local or self.tap or self.hats):
            raise ValueError("a source needs at least one of 'local', 'tap', 'hats'")
        return self


class ColumnSpec(_Strict):
    """A native column (or constant) feeding one internal column."""

    from_: str | list[str] | None = Field(default=None, alias="from")  # a list: first present wins
    value: float | str | None = None  # constant when the catalog has no such column
    # an error given as a confidence interval [low, high] (ACIS Extract flux limits): half its width
    interval: tuple[str, str] | None = None
    unit: str | None = None  # native unit, converted to the internal one
    format: Literal["number", "sexagesimal", "mjd", "isot", "time", "bool", "string"] = "number"
    default: float | None = None  # used where the native value is missing
    optional: bool = False  # the native column may be absent from a file: use default/NaN
    extract: str | None = None  # regex with one group applied to text (e.g. digits of a name)
    # Catalogs that give fluxes (unWISE: Vega nanomaggies): mag = zero_point - 2.5 log10(flux);
    # a flux error with ``flux_column`` becomes the magnitude error 2.5/ln10 x error / flux.
    mag_zero_point: float | None = None
    flux_column: str | None = None
    offset: float = 0.0  # added after conversion (e.g. unWISE -> AllWISE W1 -0.004)
    # a flag from a number: true where the native value exceeds this (3XMM SC_EXTENT > 0)
    above: float | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        if sum(x is not None for x in (self.from_, self.value, self.interval)) != 1:
            raise ValueError("give exactly one of 'from' (a native column), 'value' or 'interval'")
        return self


class PositionError(_Strict):
    """How to turn the native positional error into a 1-sigma ellipse in arcsec."""

    # counts_offaxis: Chandra ACIS sources without a fitted error (ACIS Extract tables): the
    # 95% radius of Kim et al. 2007 (ApJS 169, 401, eq. 5) from net counts and off-axis angle
    model: Literal["ellipse", "radec", "circle", "counts_offaxis", "none"]
    major: str | None = None  # ellipse: semi-major; radec: sigma RA*; circle: radius
    minor: str | None = None  # ellipse: semi-minor; radec: sigma Dec
    pa: str | None = None  # ellipse position angle column (deg E of N)
    counts: str | None = None  # counts_offaxis: net counts column
    offaxis: str | None = None  # counts_offaxis: off-axis angle column (arcmin)
    unit: str = "arcsec"
    level: Literal["1sigma", "68%", "90%", "95%"] = "1sigma"
    scale: float = Field(default=1.0, gt=0)  # e.g. unWISE pixel errors -> arcsec (2.75)
    default: float = Field(default=1.0, gt=0)  # 1-sigma arcsec where the error is missing
    systematic: float = Field(default=0.0, ge=0)  # 1-sigma arcsec added in quadrature

    @model_validator(mode="after")
    def _needs(self) -> PositionError:
        need = {
            "ellipse": ("major", "minor", "pa"),
            "radec": ("major", "minor"),
            "circle": ("major",),
            "counts_offaxis": ("counts", "offaxis"),
        }
        missing = [k for k in need.get(self.model, ()) if getattr(self, k) is None]
        if missing:
            raise ValueError(f"model '{self.model}' needs {missing}")
        return self


class BandConversion(_Strict):
    """Native X-ray bands -> CSC bands assuming an absorbed-free power law."""

    photon_index: float = 1.7
    source_bands: dict[str, tuple[float, float]]  # native flux column -> (emin, emax) keV
    source_errors: dict[str, str] = Field(default_factory=dict)  # flux column -> error column
    target_bands: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {"s": (0.5, 1.2), "m": (1.2, 2.0), "h": (2.0, 7.0), "b": (0.5, 7.0)}
    )


class CatalogDefinition(_Strict):
    name: str
    title: str
    kind: Literal["xray_master", "xray_detection", "mw"]
    epoch: float | None = None  # default epoch (decimal year) of positions
    source: Source
    columns: dict[str, str | ColumnSpec]
    position_error: PositionError
    bands: BandConversion | None = None
    sort_column: str = "source_id"
    definition_file: Path | None = None

    @model_validator(mode="after")
    def _check_columns(self) -> CatalogDefinition:
        unknown = sorted(set(self.columns) - set(ALL_COLUMNS))
        if unknown:
            raise ValueError(f"unknown internal column(s) {unknown}; known: {sorted(ALL_COLUMNS)}")
        for need in ("source_id", "ra", "dec"):
            if need not in self.columns:
                raise ValueError(f"columns must map '{need}'")
        if self.epoch is None and "epoch" not in self.columns:
            raise ValueError("give a default 'epoch' or map the 'epoch' column")
        return self

    def spec(self, internal: str) -> ColumnSpec:
        """The column spec of one internal column, with plain strings expanded."""
        s = self.columns[internal]
        return ColumnSpec.model_validate({"from": s}) if isinstance(s, str) else s

    def readable_columns(self) -> list[str]:
        """Every native column the mapping may read, alternatives and optional ones included
        (used to prune what is read from wide files)."""
        cols: list[str] = list(self.native_columns())
        for k in self.columns:
            src = self.spec(k).from_
            cols += [src] if isinstance(src, str) else list(src or [])
            cols += list(self.spec(k).interval or ())
        return sorted(set(cols))

    def native_columns(self) -> list[str]:
        """Every native column the mapping reads (to check inputs and prune reads)."""
        cols = [self.spec(k).from_ for k in self.columns if not self.spec(k).optional]
        cols = [c for c in cols if isinstance(c, str)]  # alternatives are checked per file
        cols += [c for k in self.columns if not self.spec(k).optional for c in self.spec(k).interval or ()]
        cols += [self.spec(k).flux_column for k in self.columns if not self.spec(k).optional]
        pe = self.position_error
        cols += [pe.major, pe.minor, pe.pa, pe.counts, pe.offaxis]
        if self.bands:
            cols += list(self.bands.source_bands) + list(self.bands.source_errors.values())
        return sorted({c for c in cols if c})


def load_catalog_definition(name_or_path: str | Path, catalogs_dir: Path | None = None) -> CatalogDefinition:
    """Load ``catalogs/<name>.yaml`` (or an explicit path) and validate it."""
    from muwclass.config.run import REPO_ROOT

    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = (catalogs_dir or REPO_ROOT / "catalogs") / f"{name_or_path}.yaml"
    if not path.is_file():
        raise ConfigError(f"catalog definition not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at top level")
    raw["definition_file"] = path
    try:
        return CatalogDefinition.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(format_validation_error(path, err)) from None
