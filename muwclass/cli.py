"""The ``muwclass`` command: one subcommand per pipeline stage, each calling one library ``run_*``.

The parser knows every stage's arguments without importing the stage: a stage's module (and
with it lsdb, Spark or scikit-learn) is imported only when that stage runs, so ``muwclass
--help`` and ``muwclass config`` start in a fraction of a second. The scripts in ``jobs/``
(``spark-submit jobs/<stage>.py``, ``python -m jobs.<stage>``) go through :func:`run_stage`, so
the console script, spark-submit and a notebook share one path. Every
:class:`muwclass.errors.MuwclassError` is printed as one line; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

from muwclass import __version__
from muwclass.errors import MuwclassError

#: arguments every subcommand takes; they choose and locate the run configuration
COMMON = ("conf", "data_dir", "work_dir")


@dataclass(frozen=True)
class Stage:
    """A subcommand: its help, its arguments, and the library function that runs it."""

    help: str
    run: str  # "module:function", called as function(run_config, **arguments)
    add_arguments: Callable[[argparse.ArgumentParser], None]
    default_conf: str | None = None  # relative to the repository's conf/ (None: default.yaml)
    uses_models: bool = False  # validate every model block (scikit-learn's checks) before the work


def _no_progress(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")


def _scale(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"scale must be > 0, got {text}")
    return value


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _config_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-data-check", action="store_true", help="do not require the data directory to exist")


def _synth_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scale",
        type=_scale,
        default=None,
        help="fraction of the full 317,000-source sky (default: from config, 1.0)",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (default: from config, 42)")
    p.add_argument("--out", default=None, help="output directory (default: <work_dir>/synth)")
    p.add_argument(
        "--new-observations",
        type=int,
        default=0,
        help="also write N new observations (re-observed and new fields) for `muwclass update`",
    )
    p.add_argument(
        "--xmm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also write the 3XMM-like catalog beside the CSC-like one (default: from config, synth.xmm)",
    )
    _no_progress(p)


def _import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--catalog",
        action="append",
        dest="catalogs",
        metavar="NAME",
        help="import only this catalog (repeatable)",
    )
    p.add_argument("--force", action="store_true", help="re-import even if the inputs are unchanged")
    _no_progress(p)


def _train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default", help="model name from `models` (default: default)")
    p.add_argument(
        "--force", action="store_true", help="refit even if a model with the same provenance exists"
    )


def _draws(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--draws", type=int, default=None, help="Monte-Carlo draws per source (default: confidence.draws)"
    )


def _classify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--input", dest="input_path", required=True, help="table to classify (CSV, FITS, VOTable or Parquet)"
    )
    p.add_argument(
        "--output", dest="output_path", required=True, help="output table: .csv, .fits or .parquet"
    )
    p.add_argument(
        "--nh",
        type=float,  # finite and >= 0: checked by run_classify_table
        default=None,
        help="column density toward the sources (cm^-2); default: the table's nh_gal, else 0",
    )
    p.add_argument("--model", default="default", help="model name from `models`")
    p.add_argument(
        "--encoding", default="utf-8", help="text encoding of a CSV input (default: utf-8; e.g. latin-1)"
    )
    _draws(p)


def _classify_catalog_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default", help="model name from `models`")
    _draws(p)
    p.add_argument(
        "--release-version", default=None, help="release name (default: UTC time, e.g. 2026.11.25T061200)"
    )
    p.add_argument("--force", action="store_true", help="replace an existing release of the same version")
    _no_progress(p)


def _field_arguments(p: argparse.ArgumentParser) -> None:
    _draws(p)
    p.add_argument(
        "--image", default=None, help="X-ray image (FITS with WCS) for the sky map; overrides field.image"
    )
    p.add_argument("--out", default=None, help="output directory (default: <work_dir>/fields/<name>)")


def _evaluate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--folds", default=None, help="number of stratified folds, or 'loo' (default: evaluation.folds, 10)"
    )
    p.add_argument(
        "--models",
        type=_names,
        default=None,
        help="comma-separated model names from `models` (default: evaluation.models)",
    )
    p.add_argument("--out", default=None, help="output directory (default: <work_dir>/evaluation/<folds>)")
    p.add_argument(
        "--permutation-repeats",
        type=int,
        default=None,
        help="permutation-importance repeats per fold (0 = off)",
    )
    _no_progress(p)


def _diff_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("version_a", help="the earlier release (a name under <work_dir>/release, or latest)")
    p.add_argument("version_b", help="the later release")
    p.add_argument("--out", default=None, help="output directory (default: <work_dir>/diffs/<A>..<B>)")
    _no_progress(p)


def _update_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--observations",
        nargs="+",
        required=True,
        metavar="FILE",
        help="per-observation source tables, one per ObsID (ACIS Extract <obsid>_results.csv)",
    )
    p.add_argument("--from-release", default=None, help="the release to update (default: latest)")
    p.add_argument("--release-version", default=None, help="name of the new release (default: UTC time)")
    p.add_argument(
        "--definition",
        default=None,
        help="catalog definition of the tables (default: observations.definition, cxo_ae_obs: ACIS Extract)",
    )
    p.add_argument(
        "--no-astrometry", action="store_true", help="keep the observations' positions (no tie to Gaia)"
    )
    p.add_argument("--model", default="default", help="model name from `models` (the parent release's)")
    p.add_argument("--force", action="store_true", help="replace an existing release of the same version")
    _no_progress(p)


STAGES: dict[str, Stage] = {
    "config": Stage(
        "validate a run configuration and print it resolved",
        "muwclass.config.run_show:run_show",
        _config_arguments,
        uses_models=True,
    ),
    "synth": Stage(
        "write a deterministic synthetic CSC-like (and 3XMM-like) sky with Gaia/2MASS/WISE-like catalogs",
        "muwclass.synth.run_synth:run_synth",
        _synth_arguments,
        default_conf="synthetic-sky.yaml",
    ),
    "import": Stage(
        "build HATS catalogs (with margin caches) for the configured catalogs",
        "muwclass.ingest.run_import:run_import",
        _import_arguments,
    ),
    "crossmatch": Stage(
        "probabilistic crossmatch of the X-ray catalog with Gaia, 2MASS and WISE",
        "muwclass.crossmatch.run_crossmatch:run_crossmatch",
        _no_progress,
    ),
    "train": Stage(
        "fit the classifier family (one model per nH bin) and save it with its provenance",
        "muwclass.classification.run_train:run_train",
        _train_arguments,
        uses_models=True,
    ),
    "classify": Stage(
        "classify a table in either training-set format, with Monte-Carlo confidence",
        "muwclass.classification.run_classify_table:run_classify_table",
        _classify_arguments,
        uses_models=True,
    ),
    "classify-catalog": Stage(
        "classify every crossmatched source on Spark and write a versioned release",
        "muwclass.release.run_classify_catalog:run_classify_catalog",
        _classify_catalog_arguments,
        uses_models=True,
    ),
    "update": Stage(
        "fold new Chandra observations into a release: recompute only the touched partitions",
        "muwclass.update.run_update:run_update",
        _update_arguments,
        uses_models=True,
    ),
    "diff": Stage(
        "what changed between two releases, and why: new sources, classes, confidence, counterparts",
        "muwclass.release.diff:run_diff",
        _diff_arguments,
    ),
    "field": Stage(
        "classify one field in memory: table, DS9 regions, sky maps and an HTML page",
        "muwclass.field.run_field:run_field",
        _field_arguments,
        uses_models=True,
    ),
    "evaluate": Stage(
        "k-fold or leave-one-out evaluation of the configured models on Spark",
        "muwclass.evaluation.run_evaluate:run_evaluate",
        _evaluate_arguments,
        uses_models=True,
    ),
}


def stage_parser(name: str, parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The argument parser of one stage (``parser``: a subparser to fill)."""
    stage = STAGES[name]
    p = parser or argparse.ArgumentParser(prog=f"muwclass {name}", description=stage.help)
    conf_default = stage.default_conf or "default.yaml"
    p.add_argument("--conf", default=None, help=f"run configuration YAML (default: conf/{conf_default})")
    p.add_argument("--data-dir", default=None, help="data directory (overrides the file and $MUWCLASS_DATA)")
    p.add_argument("--work-dir", default=None, help="work directory for built data (default: build/)")
    stage.add_arguments(p)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="muwclass", description="Multiwavelength classification of X-ray sources on HATS catalogs."
    )
    parser.add_argument("--version", action="version", version=f"muwclass {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, stage in STAGES.items():
        stage_parser(name, sub.add_parser(name, help=stage.help, description=stage.help))
    return parser


def execute(name: str, args: argparse.Namespace):
    """Load the run configuration named by ``args`` and call the stage's library function."""
    from muwclass.config.run import CONF_DIR, load_run_config

    options = {k: v for k, v in vars(args).items() if k not in (*COMMON, "command", "no_data_check")}
    stage = STAGES[name]
    conf = args.conf or (CONF_DIR / stage.default_conf if stage.default_conf else None)
    cfg = load_run_config(
        conf,
        data_dir=args.data_dir,
        work_dir=args.work_dir,
        check_data=not getattr(args, "no_data_check", False),
    )
    from muwclass.io.products import check_writable

    if name != "config":  # on an object store: a probe object, so an unreachable store fails first
        check_writable(cfg.work_dir, "work_dir", directory=True)
    if stage.uses_models:
        from muwclass.classification.estimator import check_models

        check_models(cfg)
    module, function = stage.run.split(":")
    return getattr(importlib.import_module(module), function)(cfg, **options)


def _guarded(name: str, call: Callable[[], object]) -> int:
    try:
        call()
    except MuwclassError as exc:
        print(f"muwclass {name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"muwclass {name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from muwclass.io.storage import unreachable_store

        message = unreachable_store(exc)  # a store that went away is not a bug: one line
        if message is None:
            raise
        print(f"muwclass {name}: error: {message}", file=sys.stderr)
        return 2
    return 0


def run_stage(name: str, argv: list[str] | None = None) -> int:
    """Parse one stage's arguments (default: ``sys.argv[1:]``) and run it: the body of ``jobs/<stage>.py``."""
    args = stage_parser(name).parse_args(sys.argv[1:] if argv is None else argv)
    return _guarded(name, lambda: execute(name, args))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return _guarded(args.command, lambda: execute(args.command, args))


if __name__ == "__main__":
    raise SystemExit(main())
