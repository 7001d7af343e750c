"""Run configuration: one validated object built before any work starts.

A run configuration (``conf/*.yaml``) says where the data and the work directory are, how
to reach the engines (Spark, Dask) and which catalogs and training set a run uses. It is
validated when loaded so that a typo or a missing file fails in the first second, with the
offending key or path in the message, rather than half an hour into a Spark job.
"""

from __future__ import annotations

import math
import os
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from upath import UPath

from muwclass.errors import ConfigError, OutputError
from muwclass.io.layout import WorkLayout
from muwclass.io.products import check_name
from muwclass.io.storage import is_url, location

REPO_ROOT = Path(__file__).resolve().parents[2]
CONF_DIR = REPO_ROOT / "conf"
DEFAULT_CONF = CONF_DIR / "default.yaml"
DATA_ENV = "MUWCLASS_DATA"
WORK_ENV = "MUWCLASS_WORK"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SparkConfig(_Strict):
    master: str = "local[*]"
    app_name: str = "muwclass"
    conf: dict[str, str] = Field(default_factory=dict)


class DaskConfig(_Strict):
    scheduler: str | None = None  # address of a running scheduler; None = LocalCluster
    n_workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=1)
    threads_per_worker: int = Field(default=1, ge=1)
    memory_limit: str = "auto"
    dashboard: bool = False
    # environment of LocalCluster workers, over Dask's and muwclass's malloc defaults
    worker_env: dict[str, str] = Field(default_factory=dict)


class SourceOverride(_Strict):
    """Replaces the data source of a catalog definition for one run (e.g. synthetic files)."""

    local: str | list[str] | None = None
    tap: str | None = None
    hats: str | None = None
    format: Literal["csv", "fits", "votable", "parquet", "candidates"] | None = None
    cone: tuple[float, float, float] | None = None  # ra, dec, radius (deg) for tap/hats


class NhMapSelection(_Strict):
    """An all-sky HEALPix map of the Galactic N_H in FITS (HI4PI's NHI_HPX.fits; the synthetic
    sky's nh_map.fits) giving ``nh_gal`` to the sources of a catalog that has none (3XMM)."""

    file: str  # relative to data_dir; {synth_dir} and {work_dir} name the run's own files
    column: str = "NHI"
    unit: str = "cm-2"  # of the map's values (astropy unit)

    @field_validator("unit")
    @classmethod
    def _column_density(cls, v: str) -> str:
        from astropy import units as u

        try:
            u.Unit(v).to(u.cm**-2)
        except (ValueError, u.UnitsError):
            raise ValueError(f"unit {v!r} is not a column density (e.g. 'cm-2')") from None
        return v


class CatalogSelection(_Strict):
    definition: str  # name of a catalogs/<definition>.yaml
    source: SourceOverride | None = None
    nh_map: NhMapSelection | None = None
    margin_arcsec: float | None = Field(default=None, gt=0)
    # rows per HEALPix partition for this catalog (default: import.pixel_threshold). The X-ray
    # catalog's partitions are the unit an incremental update recomputes: small ones keep an
    # update of one observation small (conf/synthetic-sky.yaml)
    pixel_threshold: int | None = Field(default=None, ge=10)


class ImportConfig(_Strict):
    highest_healpix_order: int = Field(default=7, ge=0, le=19)
    pixel_threshold: int = Field(default=3_000_000, ge=10)
    margin_arcsec: float = Field(default=30.0, gt=0)
    chunk_rows: int = Field(default=2_000_000, ge=1000)


class SynthConfig(_Strict):
    scale: float = Field(default=1.0, gt=0)
    seed: int = 42
    out: str = "synth"  # relative to work_dir
    xmm: bool = False  # also the 3XMM-like catalog (muwclass.synth.xmm)


class CrossmatchConfig(_Strict):
    """Probabilistic crossmatch of the X-ray catalog with each MW catalog."""

    # The X-ray catalogs, each crossmatched into its own products (WorkLayout.xmatch(name)); the
    # first is the one field mode, new observations and the release are about. One name or a list.
    xray: list[str] = Field(default_factory=lambda: ["csc"], min_length=1)
    targets: list[str] = Field(default_factory=lambda: ["gaia", "tmass", "allwise"])
    completeness: float | dict[str, float] = 0.8  # prior that a counterpart is in the catalog
    # added in quadrature to the X-ray 1-sigma error: one value, or one per X-ray catalog (3XMM's
    # SC_POSERR already includes its systematic)
    systematic_arcsec: float | dict[str, float] = 0.3  # a catalog a mapping leaves out: 0.3
    nsigma: float = Field(default=5.0, gt=0)
    max_radius_arcsec: float = Field(default=15.0, gt=0)
    density_radius_arcsec: float = Field(default=30.0, gt=0)
    conflict_nsigma: float = Field(default=5.0, gt=0)
    # Magnitude prior (NWAY): per MW catalog the magnitude whose counterpart/field distribution
    # multiplies the likelihood ratio ({} = positions only); learned from the data each run.
    mag_prior: dict[str, str] = Field(default_factory=lambda: {"gaia": "G", "tmass": "J", "allwise": "W1"})
    mag_prior_range: tuple[float, float] = (4.0, 24.0)
    mag_prior_step: float = Field(default=0.5, gt=0)
    mag_prior_pseudo_counts: float = Field(default=20.0, ge=0)  # shrinks sparse bins towards ratio 1
    mag_prior_iterations: int = Field(default=3, ge=1)  # refits of the counterpart histogram
    # One survey's photometry from several catalogs, in the order of ``targets`` (MUWCLASS:
    # AllWISE, else CatWISE, else unWISE): the first whose counterpart lies within the X-ray
    # 95% radius (accept_xray_scale x 1-sigma) combined with accept_mw_scale x the MW error.
    photometry_fallback: dict[str, list[str]] = Field(
        default_factory=lambda: {"wise": ["allwise", "catwise", "unwise"]}
    )
    accept_xray_scale: float = Field(default=2.447746830680816, gt=0)
    accept_mw_scale: float = Field(default=2.0, gt=0)
    # With several X-ray catalogs, the first is linked to each other one (crossmatch.xray_link):
    # the prior that its source has a partner there, and the least posterior a link is kept with
    link_completeness: float = Field(default=0.5, gt=0, lt=1)
    link_min_probability: float = Field(default=0.1, ge=0, le=1)

    @field_validator("xray", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _range_ordered(self) -> CrossmatchConfig:
        if len(set(self.xray)) != len(self.xray):
            raise ValueError(f"xray names a catalog twice: {self.xray}")
        values = (
            self.systematic_arcsec.values()
            if isinstance(self.systematic_arcsec, dict)
            else [self.systematic_arcsec]
        )
        if any(not (math.isfinite(v) and v >= 0) for v in values):
            raise ValueError(f"systematic_arcsec must be finite and >= 0, got {self.systematic_arcsec}")
        lo, hi = self.mag_prior_range
        if not lo + self.mag_prior_step <= hi:
            raise ValueError(
                f"mag_prior_range must span at least one mag_prior_step, got {list(self.mag_prior_range)}"
            )
        return self

    @property
    def main_xray(self) -> str:
        """The X-ray catalog field mode, new observations and the release are about."""
        return self.xray[0]

    def systematic_of(self, xray: str) -> float:
        s = self.systematic_arcsec
        return float(s.get(xray, 0.3) if isinstance(s, dict) else s)  # CSC 2.x astrometry

    def for_xray(self, xray: str) -> CrossmatchConfig:
        """This configuration as the crossmatch of one X-ray catalog uses it."""
        return self.model_copy(update={"xray": [xray], "systematic_arcsec": self.systematic_of(xray)})

    def completeness_of(self, target: str) -> float:
        c = self.completeness.get(target, 0.8) if isinstance(self.completeness, dict) else self.completeness
        if not 0 < c < 1:
            raise ConfigError(f"crossmatch.completeness for '{target}' must be in (0, 1), got {c}")
        return c


class OversamplingConfig(_Strict):
    """Rare classes are grown inside training folds only (an imblearn Pipeline step).

    Off by default: on TD_Yang2022 a class-weighted forest with a prior shift beats the
    published recipe (physical + SMOTE, model ``muwclass2022`` in conf/default.yaml) in
    balanced accuracy at a third of the fitting time (README, "Model choice and quality").
    """

    physical: bool = False  # new instances drawn from the measurement errors of real members
    physical_fraction: float = Field(
        default=0.25, ge=0, le=1
    )  # grow each class to this fraction of the largest
    smote: bool = False  # then SMOTE in feature space up to smote_fraction of the largest class
    smote_fraction: float = Field(default=1.0, gt=0, le=1)
    smote_k_neighbors: int = Field(default=5, ge=1)


class ModelConfig(_Strict):
    """One classifier: features, oversampling and estimator, all reproducible from this block."""

    classes: str = "default"  # a class scheme of muwclass.classification.classes
    # options of muwclass.classification.features.FeatureSet; the default recipe (README "Model
    # choice and quality"): the poster's nine colours and the column density toward the source
    features: dict[str, Any] = Field(default_factory=lambda: {"colours": "poster", "nh": True})
    estimator: Literal["random_forest", "extra_trees", "hist_gradient_boosting"] = "random_forest"
    params: dict[str, Any] = Field(default_factory=dict)  # passed to the scikit-learn estimator
    oversampling: OversamplingConfig = OversamplingConfig()
    # Shift probabilities from the training prior towards equal priors (0 = none, 1 = full).
    prior_power: float = Field(default=0.45, ge=0.0, le=1.0)
    # Extra factors on the shifted prior of named classes (absent = 1): the rare classes users
    # search for lose close calls to their look-alikes (CV to stars, LMXB to NS and HMXB), and
    # YSO, the second largest class, gives up to the boosted ones less than the shift alone
    # takes (YSO -> HM-STAR, LM-STAR, CV). Power and factors together are the operating point,
    # chosen on 10- and 20-fold CV (README "Model choice and quality").
    prior_boost: dict[str, float] = Field(default_factory=lambda: {"CV": 2.25, "LMXB": 1.5, "YSO": 1.3})
    # Probability calibration inside the fit: "oob_temperature" fits a temperature on the
    # random forest's out-of-bag probabilities (estimator.PriorShift); "none" leaves them;
    # unset = oob_temperature for a random forest with bootstrap, none otherwise.
    calibration: Literal["none", "oob_temperature"] | None = None
    random_state: int = 42
    # Field-specific absorption correction: one model per nH bin (cm^-2); [] = a single model.
    nh_bin_edges: list[float] = Field(default_factory=lambda: [3e21, 1e22, 3e22])
    absorb_classes: list[str] = Field(default_factory=lambda: ["AGN"])
    absorb_photon_index: float = 2.0  # power law assumed for the absorbed classes' X-ray spectra
    nh_per_ebv: float = Field(default=6.851e21, gt=0)  # Guever & Oezel 2009 with R_V = 3.1

    @model_validator(mode="after")
    def _edges_increasing(self) -> ModelConfig:
        edges = self.nh_bin_edges
        if any(not math.isfinite(e) or e <= 0 for e in edges) or any(b <= a for a, b in pairwise(edges)):
            raise ValueError(f"nh_bin_edges must be finite, positive and increasing (cm^-2), got {edges}")
        if not math.isfinite(self.absorb_photon_index):
            raise ValueError(f"absorb_photon_index must be finite, got {self.absorb_photon_index}")
        bad = {c: f for c, f in self.prior_boost.items() if not (math.isfinite(f) and f > 0)}
        if bad:
            raise ValueError(f"prior_boost factors must be finite and > 0, got {bad}")
        if self.calibration == "oob_temperature" and not self.has_out_of_bag:
            raise ValueError(
                "calibration oob_temperature needs a random_forest with bootstrap (out-of-bag rows)"
            )
        return self

    @property
    def has_out_of_bag(self) -> bool:
        return self.estimator == "random_forest" and self.params.get("bootstrap") is not False

    @property
    def calibrated(self) -> bool:
        """Whether the fit calibrates on out-of-bag votes (explicitly, or by default for a forest)."""
        return self.calibration == "oob_temperature" or (self.calibration is None and self.has_out_of_bag)


class ConfidenceConfig(_Strict):
    """Monte-Carlo classification confidence."""

    draws: int = Field(default=100, ge=1)  # draws of each source within errors and counterparts
    seed: int = 42


class EvaluationConfig(_Strict):
    folds: int | Literal["loo"] = 10
    seed: int = 42
    permutation_repeats: int = Field(default=5, ge=0)  # 0 = impurity importances only
    # Monte-Carlo draws per held-out source (as `confidence.draws` in a catalog): the confidence
    # CT of every source, to measure the accuracy of the confident ones; 0 = skip
    draws: int = Field(default=100, ge=0)
    # A second labelled set (relative to data_dir) for the generalisation test: train on the
    # training set, test on this set's sources that are not in it, and the reverse; null = skip
    external_set: str | None = None
    models: list[str] = Field(
        default_factory=lambda: ["default"]
    )  # names in `models`, scored on the same folds


class FieldConfig(_Strict):
    """One field for ``muwclass field``: where it is, which nH, what to draw."""

    name: str = Field(min_length=1)  # a directory name under <work_dir>/fields
    ra: float | None = Field(default=None, ge=0, lt=360)  # centre (deg); default: mean of the X-ray sources
    dec: float | None = Field(default=None, ge=-90, le=90)
    radius_arcmin: float | None = Field(default=None, gt=0)  # keep X-ray sources within; null = all
    # Column density toward the field (cm^-2) for the absorption correction; null = the
    # median Galactic nH (nh_gal) of the field's X-ray sources.
    nh: float | None = Field(default=None, ge=0)
    image: str | None = None  # X-ray image (FITS with a celestial WCS) for the sky map background
    model: str = "default"
    min_probability: float = Field(default=0.7, gt=0, lt=1)  # DS9 circles for Class_prob above this
    mw_margin_arcmin: float = Field(default=1.0, ge=0)  # MW cone = field radius + this (remote fetches)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        try:
            return check_name(name, "field name")
        except OutputError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _centre(self) -> FieldConfig:
        if (self.ra is None) != (self.dec is None):
            raise ValueError("give both 'ra' and 'dec' of the field centre, or neither")
        if self.radius_arcmin is not None and self.ra is None:
            raise ValueError("'radius_arcmin' needs the field centre 'ra' and 'dec'")
        return self


class ObservationsConfig(_Strict):
    """New Chandra observations folded into the X-ray catalog (``muwclass update``, or a full
    run that lists them under ``files``: the same result, README "muwclass update")."""

    # per-observation tables relative to data_dir, folded in by `muwclass crossmatch` of a full run
    files: list[str] = Field(default_factory=list)
    definition: str = "cxo_ae_obs"  # catalogs/<definition>.yaml reads them
    astrometry: bool = True  # tie each observation to Gaia first (refused below min_matches)
    min_matches: int = Field(default=5, ge=1)
    match_radius_arcsec: float = Field(default=1.5, gt=0)
    # the magnitude priors of this release are used instead of fitting new ones (a full run
    # that must equal an update of that release; an update always keeps its parent's)
    priors_from_release: str | None = None


class RunConfig(_Strict):
    """Everything a run needs to know; paths are resolved at load time."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    data_dir: Path | UPath
    work_dir: Path | UPath
    # fsspec options of URL paths (s3fs: endpoint_url, key, secret, client_kwargs, ...). A value
    # may reference an environment variable as ${NAME}: it is kept as written here (so a
    # manifest's copy of the configuration never holds a secret) and resolved into the paths
    # only (muwclass.io.storage). Without options s3fs reads the environment and ~/.aws.
    storage_options: dict[str, Any] = Field(default_factory=dict)
    # POSIX scratch for Dask spill and hats-import's intermediate files (WorkLayout.scratch):
    # default under a local work_dir, or the driver's temporary directory for an object store
    scratch_dir: Path | None = None
    catalogs_dir: Path = REPO_ROOT / "catalogs"
    spark: SparkConfig = SparkConfig()
    dask: DaskConfig = DaskConfig()
    catalogs: dict[str, CatalogSelection]
    training_set: str = "td/TD_Yang2022.csv"
    # CSC properties of the training sources: their own Galactic nH (`nh_gal`, 1e20 cm^-2)
    # is the starting point of the absorption correction. null = assume no own absorption.
    training_nh: str | None = "buildtd/CSCv2_TD_ave.csv"
    import_: ImportConfig = Field(default=ImportConfig(), alias="import")
    synth: SynthConfig = SynthConfig()
    crossmatch: CrossmatchConfig = CrossmatchConfig()
    models: dict[str, ModelConfig] = Field(default_factory=lambda: {"default": ModelConfig()})
    evaluation: EvaluationConfig = EvaluationConfig()
    confidence: ConfidenceConfig = ConfidenceConfig()
    observations: ObservationsConfig = ObservationsConfig()
    field: FieldConfig | None = None  # `muwclass field` only
    source_file: Path | None = None

    @field_serializer("data_dir", "work_dir")
    def _path_as_text(self, path: Path | UPath) -> str:
        # upath's own pydantic serializer writes the storage options, credentials included,
        # into every dump (the release manifest's copy of the configuration): only the URL.
        return str(path)

    @model_validator(mode="after")
    def _check_paths(self) -> RunConfig:
        if not self.catalogs:
            raise ValueError("'catalogs' is empty: a run needs at least one catalog")
        if "default" not in self.models:
            raise ValueError(f"'models' must define a 'default' model (it defines {sorted(self.models)})")
        unknown = [m for m in self.evaluation.models if m not in self.models]
        if unknown:
            raise ValueError(
                f"evaluation.models names {unknown}, not defined under 'models' ({sorted(self.models)})"
            )
        return self

    def model(self, name: str = "default") -> ModelConfig:
        if name not in self.models:
            raise ConfigError(
                f"no model '{name}' under 'models' in {self.source_file} (defined: {sorted(self.models)})"
            )
        return self.models[name]

    @property
    def layout(self) -> WorkLayout:
        """Every path this run builds under ``work_dir``."""
        return WorkLayout(self.work_dir, self.synth.out, self.scratch_dir)


def format_validation_error(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "<top level>"
        if e["type"] == "extra_forbidden":
            lines.append(f"  unknown key '{key}'")
        elif e["type"] == "missing":
            lines.append(f"  missing required key '{key}'")
        elif isinstance(e.get("input"), (dict, list)):
            lines.append(f"  key '{key}': {e['msg'].removeprefix('Value error, ')}")
        else:
            lines.append(f"  key '{key}': {e['msg'].removeprefix('Value error, ')} (got {e.get('input')!r})")
    return "\n".join(lines)


def _resolve(base: Path, value: str | Path, storage_options: dict | None = None, where: str = "") -> Path:
    """Local paths resolve against the repository; URLs (s3://, https://) stay URLs."""
    text = os.path.expandvars(str(value))
    if is_url(text):
        return location(text, storage_options, where)
    p = Path(text).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _merge(base: dict, over: dict) -> dict:
    """``over`` on top of ``base``: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """A configuration file as a mapping, with ``extends: <file>`` (relative to this file)
    merged underneath, so a field configuration only states what differs from a base run."""
    if not path.is_file():
        where = f" (extended by {seen[-1]})" if seen else ""
        raise ConfigError(f"configuration file not found: {path}{where}")
    try:
        raw: Any = yaml.safe_load(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save it as UTF-8"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at top level, got {type(raw).__name__}")
    base = raw.pop("extends", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise ConfigError(f"{path}: key 'extends' must be a file name, got {base!r}")
    parent = (path.parent / base).resolve()
    if parent in seen or parent == path.resolve():
        raise ConfigError(f"{path}: key 'extends': {parent} extends itself")
    return _merge(_read_yaml(parent, (*seen, path.resolve())), raw)


def load_run_config(
    path: str | Path | None = None,
    data_dir: str | Path | None = None,
    work_dir: str | Path | None = None,
    check_data: bool = True,
) -> RunConfig:
    """Load and validate a run configuration.

    Precedence for the data directory: ``data_dir`` argument (command line), then the
    ``MUWCLASS_DATA`` environment variable, then the file. Relative paths are resolved
    against the repository root so that commands work from any current directory.
    """
    path = Path(path) if path else DEFAULT_CONF
    raw = _read_yaml(path)
    if data_dir is not None:
        raw["data_dir"] = str(data_dir)
    elif os.environ.get(DATA_ENV):
        raw["data_dir"] = os.environ[DATA_ENV]
    if work_dir is not None:
        raw["work_dir"] = str(work_dir)
    elif os.environ.get(WORK_ENV):
        raw["work_dir"] = os.environ[WORK_ENV]
    for key in ("data_dir", "work_dir"):
        if key not in raw:
            raise ConfigError(f"{path}: missing required key '{key}'")
        if not isinstance(raw[key], (str, Path)):
            raise ConfigError(f"{path}: key '{key}' must be a path string, got {raw[key]!r}")
        options = raw.get("storage_options") or {}
        if not isinstance(options, dict):
            raise ConfigError(f"{path}: key 'storage_options' must be a mapping, got {options!r}")
        raw[key] = _resolve(REPO_ROOT, raw[key], options, str(path))
    if raw.get("scratch_dir"):
        raw["scratch_dir"] = _resolve(REPO_ROOT, raw["scratch_dir"])
        if is_url(str(raw["scratch_dir"])):
            raise ConfigError(
                f"{path}: key 'scratch_dir' must be a local or shared POSIX path, got {raw['scratch_dir']}"
            )
    if "catalogs_dir" in raw:
        raw["catalogs_dir"] = _resolve(REPO_ROOT, raw["catalogs_dir"])
    raw["source_file"] = path.resolve()
    try:
        cfg = RunConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(format_validation_error(path, err)) from None
    if check_data and not cfg.data_dir.exists():
        raise ConfigError(
            f"{path}: data_dir does not exist: {cfg.data_dir} "
            f"(set it in the file, with --data-dir, or with ${DATA_ENV})"
        )
    if check_data and not (cfg.data_dir / cfg.training_set).exists():
        raise ConfigError(f"{path}: key 'training_set': no file {cfg.data_dir / cfg.training_set}")
    if not cfg.catalogs_dir.is_dir():
        raise ConfigError(f"{path}: catalogs_dir does not exist: {cfg.catalogs_dir}")
    for name, sel in cfg.catalogs.items():
        definition = cfg.catalogs_dir / f"{sel.definition}.yaml"
        if not definition.is_file():
            raise ConfigError(f"{path}: key 'catalogs.{name}.definition': no catalog definition {definition}")
    for key in [*cfg.crossmatch.xray, *cfg.crossmatch.targets]:
        if key not in cfg.catalogs and "crossmatch" in raw:
            raise ConfigError(
                f"{path}: key 'crossmatch': catalog '{key}' is not under 'catalogs' ({sorted(cfg.catalogs)})"
            )
    return cfg
