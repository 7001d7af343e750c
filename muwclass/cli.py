"""The ``muwclass`` command: one subcommand per pipeline stage, each a thin job.

Subcommands are registered only once they work. Known failure types (configuration,
input, remote source, accounting) are printed as one clear line, not a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from muwclass import __version__

# name -> (module with add_arguments/main, one-line help)
SUBCOMMANDS = {
    "config": ("jobs.show_config", "validate a run configuration and print it resolved"),
    "synth": ("jobs.synth_sky", "write a deterministic synthetic CSC-like sky (X-ray + Gaia/2MASS/WISE-like)"),
    "import": ("jobs.import_catalogs", "build HATS catalogs (with margin caches) for the configured catalogs"),
    "crossmatch": ("jobs.crossmatch", "probabilistic crossmatch of the X-ray catalog with Gaia, 2MASS and WISE"),
    "train": ("jobs.train", "fit the classifier family (one model per nH bin) and save it with its provenance"),
    "classify": ("jobs.classify_table", "classify a table in either training-set format, with Monte-Carlo confidence"),
    "classify-catalog": ("jobs.classify_catalog", "classify every crossmatched source on Spark and write a versioned release"),
    "field": ("jobs.field", "classify one field in memory: table, DS9 regions, sky maps and an HTML page"),
    "evaluate": ("jobs.evaluate", "k-fold or leave-one-out evaluation of the configured models on Spark"),
}


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--conf", default=None, help="run configuration YAML (default: conf/default.yaml)")
    p.add_argument("--data-dir", default=None, help="data directory (overrides the file and $MUWCLASS_DATA)")
    p.add_argument("--work-dir", default=None, help="work directory for built data (default: build/)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="muwclass",
        description="Multiwavelength classification of X-ray sources on HATS catalogs.",
    )
    parser.add_argument("--version", action="version", version=f"muwclass {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in SUBCOMMANDS.items():
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=help_text, description=(mod.__doc__ or help_text).strip())
        _common(p)
        mod.add_arguments(p)
        p.set_defaults(_module=mod)
    return parser


def _known_errors() -> tuple[type[BaseException], ...]:
    from muwclass.classes import LabelError
    from muwclass.config import ConfigError
    from muwclass.cross_validation import FoldError
    from muwclass.features import FeatureError
    from muwclass.field_data import FieldError
    from muwclass.readers import InputError
    from muwclass.release import ReleaseError

    errors: list[type[BaseException]] = [ConfigError, InputError, LabelError, FeatureError, FoldError, ReleaseError, FieldError]
    try:
        from jobs.import_catalogs import AccountingError
        from muwclass.remote import RemoteSourceError

        errors += [AccountingError, RemoteSourceError]
    except ImportError:  # pragma: no cover - optional pieces
        pass
    return tuple(errors)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._module.main(args) or 0)
    except _known_errors() as exc:
        print(f"muwclass {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"muwclass {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
