"""The classification pipeline: physical oversampling -> features -> SMOTE -> estimator.

An imblearn ``Pipeline`` so that both samplers act only when fitting (inside training folds),
never when predicting. Its input is internal-schema rows with errors, so the same fitted
object classifies a catalog, a field or Monte-Carlo draws of them.
"""

from __future__ import annotations

import warnings

import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier

from muwclass.classification.classes import scheme_mapping
from muwclass.classification.features import FeatureSet, FeatureTransformer
from muwclass.classification.oversampling import physical_sampler
from muwclass.config.run import ModelConfig, RunConfig
from muwclass.errors import ConfigError, LabelError

ESTIMATORS = {
    "random_forest": RandomForestClassifier,
    "extra_trees": ExtraTreesClassifier,
    "hist_gradient_boosting": HistGradientBoostingClassifier,
}
#: Defaults per estimator; ``model.params`` overrides them. n_jobs=1: parallelism is Spark's.
DEFAULT_PARAMS = {
    "random_forest": {
        # 45 trees: the leave-one-out (2941 fits) must stay under 30 minutes on two cores and
        # took 32.0 min with 60 trees on a slow day. 10-fold over 16 fresh seeds does not tell 45
        # from 60 trees: balanced accuracy 0.785 vs 0.784, every per-class floor met in 5 of 16
        # runs for both, a fit 0.83 s vs 1.05 s (README "Model choice and quality")
        "n_estimators": 45,
        # 30% of the 42 features tried at each split (sqrt: 15%) and splits by entropy: 10-fold
        # balanced accuracy 0.780 -> 0.792 (5 seeds; sd 0.014 -> 0.004), CV recall 0.62 -> 0.64,
        # LMXB 0.46 -> 0.51, NS 0.74 -> 0.76 (README "Model choice and quality")
        "max_features": 0.3,
        "criterion": "entropy",
        "class_weight": "balanced_subsample",
        "n_jobs": 1,
    },
    "extra_trees": {"n_estimators": 300, "n_jobs": 1},
    "hist_gradient_boosting": {"max_iter": 300, "learning_rate": 0.08, "early_stopping": False},
}


def estimator_params(cfg: ModelConfig) -> dict:
    """The parameters the estimator is built with: :data:`DEFAULT_PARAMS` under ``model.params``.
    Part of a fitted model's provenance and of an evaluation's record, so that a change of the
    defaults is a different model (a model block alone did not say that the default forest
    changed, and its stored fits and evaluations were taken as the new default's)."""
    return {**DEFAULT_PARAMS[cfg.estimator], **cfg.params, "random_state": cfg.random_state}


def make_estimator(cfg: ModelConfig):
    cls = ESTIMATORS[cfg.estimator]
    try:
        return cls(**estimator_params(cfg))
    except TypeError as exc:
        raise ConfigError(f"model.params for {cfg.estimator}: {exc}") from None


def check_models(run: RunConfig) -> None:
    """Every model block of the run builds: known feature options, a legal oversampling setup,
    estimator parameters the estimator accepts with the right types (scikit-learn's own
    parameter validation, which otherwise runs only at ``fit``). Called before any work."""
    for name, cfg in run.models.items():
        where = f"{run.source_file}: models.{name}"
        try:
            try:
                scheme_classes = {c for c in scheme_mapping(cfg.classes).values() if c}
            except LabelError as exc:
                raise ValueError(f"classes: {exc}") from None  # the key, as for every other check
            unknown = sorted(set(cfg.prior_boost) - scheme_classes)
            if unknown:
                raise ValueError(
                    f"prior_boost names {unknown}, not classes of scheme '{cfg.classes}' {sorted(scheme_classes)}"
                )
            FeatureSet.from_config(cfg.features)
            pipeline = build_pipeline(cfg)
            estimator = pipeline.steps[-1][1]
            estimator = getattr(estimator, "estimator", estimator)  # inside PriorShift
            estimator._validate_params()  # scikit-learn's type and range checks of every parameter
        except (ValueError, TypeError) as exc:  # InvalidParameterError is both
            raise ConfigError(f"{where}: {' '.join(str(exc).split())}") from None


def build_pipeline(cfg: ModelConfig) -> Pipeline:
    """An unfitted pipeline for ``cfg`` (cloned per fold by the cross-validation)."""
    steps = []
    over = cfg.oversampling
    if over.physical:
        steps.append(("physical", physical_sampler(over.physical_fraction, cfg.random_state)))
    features = dict(cfg.features)
    if over.smote:
        features.setdefault("fill", "sentinel")
        if features["fill"] != "sentinel":
            raise ValueError(
                "model.features.fill must be 'sentinel' with SMOTE (SMOTE cannot interpolate NaN)"
            )
    steps.append(("features", FeatureTransformer(features)))
    if over.smote:
        steps.append(
            (
                "smote",
                AdaptiveSMOTE(
                    sampling_strategy=_smote_strategy(over.smote_fraction),
                    k_neighbors=over.smote_k_neighbors,
                    random_state=cfg.random_state,
                ),
            )
        )
    estimator = make_estimator(cfg)
    if cfg.prior_power or cfg.prior_boost or cfg.calibrated:
        estimator = PriorShift(estimator, cfg.prior_power, cfg.calibrated, cfg.prior_boost or None)
    steps.append(("model", estimator))
    return Pipeline(steps)


#: temperatures tried by the out-of-bag calibration (a grid: the Brier score of a forest's
#: out-of-bag probabilities can have two local minima, and a bounded scalar search on the
#: log-loss jumped between T = 0.65 and T = 2.2 from one training fold to the next)
TEMPERATURES = np.geomspace(0.3, 3.0, 49)


class PriorShift(ClassifierMixin, BaseEstimator):
    """Probabilities divided by (class frequency in the training data) ** power, renormalised,
    then optionally sharpened or softened by a temperature fitted on out-of-bag predictions.

    A forest's probabilities carry the training prior, so rare classes lose every close
    call. power = 1 is the full correction to equal priors (maximises recall of rare classes
    at a large cost in accuracy); intermediate powers trade the two (Saerens et al. 2002 prior
    shift, with the target prior between the training one and uniform).

    ``boost`` multiplies the shifted prior of named classes further: the rare classes users
    search for (CV, LMXB) lose close calls to their look-alikes even at power 0.5.

    A forest's averaged votes are also under-confident: on TD_Yang2022 (10-fold) the top-class
    probability of the default model was right more often than it said (expected calibration
    error 0.054). With ``calibrate``, p ** (1 / T) (renormalised) with the T that minimises
    the Brier score of the forest's own out-of-bag probabilities of its training rows: no
    extra fit, no held-out data, and only inside the fit, so cross-validation stays honest.
    It does not change which class is on top. Measured: calibration error 0.054 -> 0.012 at
    T ~ 0.67, same accuracy.
    """

    def __init__(
        self, estimator, power: float = 0.5, calibrate: bool = False, boost: dict[str, float] | None = None
    ):
        self.estimator = estimator
        self.power = power
        self.calibrate = calibrate
        self.boost = boost

    def fit(self, X, y):
        y = np.asarray(y, dtype=object)
        estimator = clone(self.estimator)
        if self.calibrate:
            estimator.set_params(oob_score=True)
        with warnings.catch_warnings():  # rows without out-of-bag votes are left out below
            warnings.filterwarnings("ignore", message="Some inputs do not have OOB scores")
            self.estimator_ = estimator.fit(X, y)
        self.classes_ = self.estimator_.classes_
        frequency = np.array([(y == c).mean() for c in self.classes_])
        boost = dict(self.boost or {})  # a boosted class absent from this fit (held out) is skipped
        self.weights_ = frequency ** -float(self.power) * np.array(
            [boost.get(str(c), 1.0) for c in self.classes_]
        )
        self.temperature_ = 1.0
        if self.calibrate:
            # a row that was in every tree's bootstrap has no out-of-bag vote: left out
            oob = self.estimator_.oob_decision_function_
            voted = np.isfinite(oob).all(axis=1) & (oob.sum(axis=1) > 0)
            shifted = self._shift(oob[voted])
            onehot = y[voted, None] == self.classes_[None, :]
            brier = [np.mean(np.sum((_temper(shifted, t) - onehot) ** 2, axis=1)) for t in TEMPERATURES]
            self.temperature_ = float(TEMPERATURES[int(np.argmin(brier))])
        return self

    def _shift(self, p: np.ndarray) -> np.ndarray:
        p = p * self.weights_
        return p / p.sum(axis=1, keepdims=True)

    def predict_proba(self, X) -> np.ndarray:
        return _temper(self._shift(self.estimator_.predict_proba(X)), self.temperature_)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    @property
    def feature_importances_(self) -> np.ndarray:
        return self.estimator_.feature_importances_


class AdaptiveSMOTE(SMOTE):
    """SMOTE whose neighbour count shrinks to fit the smallest class of the training data.

    A rare class can have fewer members than ``k_neighbors`` + 1 in a training fold (LMXB,
    HMXB in small folds); plain SMOTE then fails deep inside scikit-learn. Here k becomes
    (smallest class - 1); a class with a single member is a clear error.
    """

    def _fit_resample(self, X, y):
        classes, counts = np.unique(y, return_counts=True)
        smallest = int(counts.min())
        if smallest < 2:
            raise ValueError(
                f"SMOTE needs at least 2 training sources per class; {classes[counts.argmin()]} has {smallest}"
            )
        requested = self.k_neighbors
        self.k_neighbors = min(int(requested), smallest - 1)
        try:
            return super()._fit_resample(X, y)
        finally:
            self.k_neighbors = requested


def _temper(p: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities raised to 1 / temperature and renormalised (T < 1 sharpens)."""
    if temperature == 1.0:
        return p
    q = np.power(p, 1.0 / temperature)
    return q / q.sum(axis=1, keepdims=True)


def estimator_features(pipe: Pipeline, X) -> np.ndarray:
    """The feature matrix the final estimator sees for ``X`` at predict time (samplers skipped)."""
    for _, step in pipe.steps[:-1]:
        if hasattr(step, "transform") and not hasattr(step, "fit_resample"):
            X = step.transform(X)
    return X


def estimator_feature_names(pipe: Pipeline) -> list[str] | None:
    """Names of the columns the final estimator sees (None if no step names them)."""
    for _, step in reversed(pipe.steps[:-1]):
        if hasattr(step, "get_feature_names_out") and not hasattr(step, "fit_resample"):
            return [str(n) for n in step.get_feature_names_out()]
    return None


class _smote_strategy:
    """SMOTE target: every class up to ``fraction`` x the largest class (a picklable callable)."""

    def __init__(self, fraction: float):
        self.fraction = fraction

    def __call__(self, y: np.ndarray) -> dict:
        classes, counts = np.unique(y, return_counts=True)
        target = int(np.ceil(self.fraction * counts.max()))
        return {c: max(int(n), target) for c, n in zip(classes, counts, strict=True)}

    def __repr__(self) -> str:
        return f"smote_strategy({self.fraction})"
