"""Fit the model family: one pipeline per nH bin, training AGN absorbed to the bin's column.

Training AGN sit mostly at high Galactic latitude; a source in the plane is seen through far
more gas and dust. Each nH bin gets its own model trained on a copy of the training set whose
AGN are absorbed (X-ray fluxes and magnitudes) to columns spread over the bin (log-uniform,
centred on the bin's representative column), so every source is classified by a model that
has seen AGN as they would look in its direction.
Models are reused when their provenance (data hash, config, nH, versions) is unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from muwclass.classification.absorption import absorb_training_set, load_absorption_tables
from muwclass.classification.estimator import build_pipeline, estimator_feature_names, estimator_params
from muwclass.classification.features import FeatureSet
from muwclass.classification.model_store import find_model, load_model, package_versions, save_model
from muwclass.classification.outliers import OUTLIER_FEATURES, OutlierModel
from muwclass.classification.training_set import attach_galactic_nh, load_training_set
from muwclass.config.run import ModelConfig, RunConfig
from muwclass.io.hashing import file_sha256
from muwclass.runtime.progress import console


@dataclass
class FittedModel:
    """What ``muwclass train`` saves per nH bin: the classifier and the outlier model."""

    pipeline: object
    outliers: OutlierModel

    @property
    def classes_(self) -> np.ndarray:
        return self.pipeline.classes_


@dataclass(frozen=True)
class NhBin:
    """A half-open nH interval [lo, hi) in cm^-2 and the column its model is trained at."""

    index: int
    lo: float
    hi: float

    @property
    def representative(self) -> float:
        """Geometric centre; the first bin (from 0) adds no absorption, the last trains at 3 x its lower edge."""
        if self.lo <= 0:
            return 0.0
        if not np.isfinite(self.hi):
            return self.lo * 3.0
        return float(np.sqrt(self.lo * self.hi))

    @property
    def spread(self) -> tuple[float, float]:
        """The columns a bin's absorbed training AGN are spread over: the bin itself, and for
        the open last bin [lo, 9 lo), whose geometric centre is the representative 3 lo."""
        return (self.lo, self.hi if np.isfinite(self.hi) else 9.0 * self.lo)

    @property
    def label(self) -> str:
        return f"nh{self.index}"


def nh_bins(edges: list[float]) -> list[NhBin]:
    """Bins from increasing edges; an empty list means one bin with no absorption correction."""
    full = [0.0, *[float(e) for e in edges], float("inf")]
    if any(b <= a for a, b in pairwise(full)):
        raise ValueError(f"model.nh_bin_edges must be positive and increasing, got {edges}")
    return [NhBin(i, lo, hi) for i, (lo, hi) in enumerate(pairwise(full))]


def bin_index(nh: np.ndarray, bins: list[NhBin]) -> np.ndarray:
    """Index of the bin of each nH (cm^-2); NaN nH goes to the first bin (no extra absorption)."""
    edges = np.array([b.hi for b in bins[:-1]])
    nh = np.nan_to_num(np.asarray(nh, dtype=float), nan=0.0)
    return np.searchsorted(edges, nh, side="right")


def provenance(
    cfg: RunConfig,
    name: str,
    model_cfg: ModelConfig,
    nh: float | None,
    training_sha: str,
    nh_range: tuple[float, float] | None = None,
) -> dict:
    return {
        "model": name,
        "model_config": model_cfg.model_dump(),
        "estimator_params": estimator_params(model_cfg),
        "training_set": cfg.training_set,
        "training_nh": cfg.training_nh,
        "training_sha256": training_sha,
        "nh_target": nh,
        "nh_range": list(nh_range) if nh_range else None,
        "packages": package_versions(),
    }


def training_sha(cfg: RunConfig) -> str:
    """Content hash of the training set (and of the table giving its own nH)."""
    sha = file_sha256(cfg.data_dir / cfg.training_set)
    if cfg.training_nh:
        sha += "+" + file_sha256(cfg.data_dir / cfg.training_nh)
    return sha


def fit_model(
    cfg: RunConfig,
    name: str,
    nh: float | None,
    label: str,
    force: bool = False,
    sha: str | None = None,
    nh_range: tuple[float, float] | None = None,
) -> Path:
    """Fit (or reuse) model ``name`` with the training set absorbed to ``nh`` (None = as
    observed), or spread over ``nh_range`` (an nH bin); return its directory. The training
    set is read only when a fit is needed."""
    model_cfg = cfg.model(name)
    prov = provenance(cfg, name, model_cfg, nh, sha or training_sha(cfg), nh_range)
    found = None if force else find_model(cfg.layout.models, prov)
    if found:
        console.print(f"model {name} ({label}, nH={nh or 0:.2g}): reusing {found.name}")
        return found
    data = training_frame(cfg, name)
    if FeatureSet.from_config(model_cfg.features).nh and data["nh"].isna().all():
        console.print(
            f"[yellow]model {name} reads the column density (features.nh) but the training set has none "
            "(set training_nh): the feature will be empty[/]"
        )
    if nh is not None:
        tables = load_absorption_tables(cfg.data_dir)
        data = absorb_training_set(
            data,
            nh,
            tables,
            model_cfg.absorb_classes,
            model_cfg.absorb_photon_index,
            model_cfg.nh_per_ebv,
            nh_range,
            model_cfg.random_state,
        )
    t0 = time.perf_counter()
    pipe = build_pipeline(model_cfg).fit(data, data["label"].to_numpy(dtype=object))
    prov.update(
        fit_seconds=round(time.perf_counter() - t0, 2), training_rows=len(data), classes=list(pipe.classes_)
    )
    prov["features"] = estimator_feature_names(pipe)
    outliers = OutlierModel().fit(data, data["label"].to_numpy(dtype=object))
    path = save_model(FittedModel(pipe, outliers), prov, cfg.layout.models)
    console.print(
        f"model {name} ({label}, nH={nh or 0:.2g}): fitted in {prov['fit_seconds']:.1f} s -> {path}"
    )
    return path


@dataclass(frozen=True)
class ModelFamily:
    """The one type of a model family: a fitted classifier + outlier model per nH bin index,
    each model's provenance and directory, and the bins. This is what ``muwclass train`` fits,
    what classification takes, and what the Spark job broadcasts."""

    models: dict[int, FittedModel]
    provenance: dict[int, dict]
    paths: dict[int, Path]
    bins: list[NhBin]

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in next(iter(self.models.values())).classes_]

    @property
    def feature_sets(self) -> list[FeatureSet]:
        """The feature sets the family's classifiers and outlier models compute."""
        return [m.pipeline.named_steps["features"].feature_set_ for m in self.models.values()] + [
            OUTLIER_FEATURES
        ]

    @classmethod
    def load(cls, paths: dict[int, Path], bins: list[NhBin]) -> ModelFamily:
        """Load the saved models of each bin (refusing pickles of other library versions)."""
        loaded = {i: load_model(p) for i, p in paths.items()}
        return cls(
            {i: m for i, (m, _) in loaded.items()}, {i: p for i, (_, p) in loaded.items()}, dict(paths), bins
        )


def load_family(cfg: RunConfig, name: str = "default", force: bool = False) -> ModelFamily:
    """Fit (or reuse) one model of ``name`` per nH bin and load the family."""
    bins = nh_bins(cfg.model(name).nh_bin_edges)
    sha = training_sha(cfg)
    paths = {
        b.index: fit_model(cfg, name, b.representative, b.label, force, sha, b.spread)
        if len(bins) > 1 and b.lo > 0
        else fit_model(cfg, name, None, b.label, force, sha)
        for b in bins
    }
    return ModelFamily.load(paths, bins)


def field_family(cfg: RunConfig, name: str, nh: float) -> ModelFamily:
    """A one-model family for one field: the training set absorbed to the field's own nH
    (two significant digits, so fields along similar sight lines share a model)."""
    nh = float(f"{nh:.2g}")
    return ModelFamily.load({0: fit_model(cfg, name, nh if nh > 0 else None, "field")}, nh_bins([]))


def training_frame(cfg: RunConfig, name: str = "default", path: str | None = None) -> pd.DataFrame:
    """The training set (or another labelled set, ``path`` relative to ``data_dir``) in the
    internal schema, with the model's class scheme and each source's own nH."""
    td = load_training_set(cfg.data_dir / (path or cfg.training_set), scheme=cfg.model(name).classes)
    td = attach_galactic_nh(td, cfg.data_dir / cfg.training_nh if cfg.training_nh else None)
    return td.assign(nh=td["nh_gal"])  # the column-density feature's input, as at classification
