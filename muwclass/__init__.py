"""muwclass: multiwavelength machine-learning classification of X-ray sources.

The public API a notebook user calls, re-exported flat (as ``lsdb.read_hats``)::

    import muwclass
    cfg = muwclass.load_run_config("conf/default.yaml")
    muwclass.run_import(cfg); muwclass.run_crossmatch(cfg)
    family = muwclass.load_family(cfg)
    release = muwclass.run_classify_catalog(cfg, release_version="mine")

Names are resolved on first use (PEP 562), so ``import muwclass`` and the ``muwclass --help``
command do not import lsdb, Spark or scikit-learn until a stage needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from muwclass.errors import (
    AccountingError,
    ConfigError,
    FeatureError,
    FieldError,
    FoldError,
    InputError,
    LabelError,
    ModelError,
    MuwclassError,
    ReleaseError,
    RemoteSourceError,
)

__version__ = "0.1.0"

#: public name -> module that defines it
_LAZY = {
    "RunConfig": "muwclass.config.run",
    "load_run_config": "muwclass.config.run",
    "WorkLayout": "muwclass.io.layout",
    "dask_client": "muwclass.runtime.sessions",
    "spark_session": "muwclass.runtime.sessions",
    "run_synth": "muwclass.synth.run_synth",
    "generate_sky": "muwclass.synth.sky",
    "run_import": "muwclass.ingest.run_import",
    "run_crossmatch": "muwclass.crossmatch.run_crossmatch",
    "BayesianCrossmatch": "muwclass.crossmatch.algorithm",
    "crossmatch_chain": "muwclass.crossmatch.chain",
    "run_train": "muwclass.classification.run_train",
    "ModelFamily": "muwclass.classification.family",
    "load_family": "muwclass.classification.family",
    "classify_rows": "muwclass.classification.predict",
    "to_model_input": "muwclass.classification.inputs",
    "run_classify_table": "muwclass.classification.run_classify_table",
    "run_classify_catalog": "muwclass.release.run_classify_catalog",
    "run_evaluate": "muwclass.evaluation.run_evaluate",
    "run_field": "muwclass.field.run_field",
}

__all__ = [
    "AccountingError",
    "ConfigError",
    "FeatureError",
    "FieldError",
    "FoldError",
    "InputError",
    "LabelError",
    "ModelError",
    "MuwclassError",
    "ReleaseError",
    "RemoteSourceError",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'muwclass' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, eagerly
    from muwclass.classification.family import ModelFamily, load_family
    from muwclass.classification.inputs import to_model_input
    from muwclass.classification.predict import classify_rows
    from muwclass.classification.run_classify_table import run_classify_table
    from muwclass.classification.run_train import run_train
    from muwclass.config.run import RunConfig, load_run_config
    from muwclass.crossmatch.algorithm import BayesianCrossmatch
    from muwclass.crossmatch.chain import crossmatch_chain
    from muwclass.crossmatch.run_crossmatch import run_crossmatch
    from muwclass.evaluation.run_evaluate import run_evaluate
    from muwclass.field.run_field import run_field
    from muwclass.ingest.run_import import run_import
    from muwclass.io.layout import WorkLayout
    from muwclass.release.run_classify_catalog import run_classify_catalog
    from muwclass.runtime.sessions import dask_client, spark_session
    from muwclass.synth.run_synth import run_synth
    from muwclass.synth.sky import generate_sky
