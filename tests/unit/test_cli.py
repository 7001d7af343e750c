"""The ``muwclass`` command and the ``jobs/`` scripts: help, light start-up, one-line errors."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import muwclass
from muwclass import errors
from muwclass.cli import STAGES
from tests.conftest import REPO

HEAVY = ("lsdb", "pyspark", "sklearn", "dask", "hats", "pandas")
JOBS = {
    "show_config": "config",
    "synth": "synth",
    "import_catalogs": "import",
    "crossmatch": "crossmatch",
    "train": "train",
    "classify": "classify",
    "classify_catalog": "classify-catalog",
    "field": "field",
    "evaluate": "evaluate",
    "diff": "diff",
}


def _run(*args, module: str = "muwclass.cli"):
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=REPO)


def test_top_level_help_lists_subcommands():
    proc = _run("--help")
    assert proc.returncode == 0
    for name in STAGES:
        assert name in proc.stdout


@pytest.mark.parametrize("name", sorted(STAGES))
def test_subcommand_help(name):
    proc = _run(name, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "--conf" in proc.stdout and "--data-dir" in proc.stdout


def test_help_and_the_public_api_import_no_engine():
    """``muwclass --help`` builds every stage's parser and ``import muwclass`` gives the API,
    without importing lsdb, Spark, scikit-learn, Dask or pandas."""
    code = (
        "import sys, muwclass, muwclass.cli as c; c.build_parser(); "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_stage_names_an_existing_run_function():
    for name, stage in STAGES.items():
        module, function = stage.run.split(":")
        fn = getattr(__import__(module, fromlist=[function]), function)
        assert next(iter(inspect.signature(fn).parameters)) == "cfg", name


def test_public_api_resolves():
    for name in muwclass.__all__:
        assert getattr(muwclass, name) is not None
    with pytest.raises(AttributeError):
        muwclass.not_a_name  # noqa: B018


def test_every_error_is_a_muwclass_error():
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert len(classes) >= 10 and all(issubclass(c, errors.MuwclassError) for c in classes)


@pytest.mark.parametrize("job", sorted(JOBS))
def test_jobs_are_thin_scripts_with_the_stage_arguments(job):
    text = (REPO / "jobs" / f"{job}.py").read_text()
    assert f'run_stage("{JOBS[job]}")' in text and len(text.splitlines()) < 15
    proc = _run("--help", module=f"jobs.{job}")
    assert proc.returncode == 0 and "--conf" in proc.stdout, proc.stderr


def test_a_user_mistake_is_one_line_from_the_command_and_from_a_job(tmp_path, data_dir):
    missing = tmp_path / "nope.yaml"
    for proc in (
        _run("config", "--conf", str(missing)),
        _run("--conf", str(missing), module="jobs.show_config"),
    ):
        assert proc.returncode == 2
        assert proc.stderr.strip() == f"muwclass config: error: configuration file not found: {missing}"
    # a stage whose input was never built says which command to run first
    proc = _run("crossmatch", "--work-dir", str(tmp_path / "empty"), "--data-dir", str(data_dir))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        "is not imported; run `muwclass import` first" in proc.stderr
        and len(proc.stderr.strip().splitlines()) == 1
    )
