"""Every registered subcommand answers --help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from muwclass.cli import STAGES as SUBCOMMANDS
from tests.conftest import REPO


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "muwclass.cli", *args], capture_output=True, text=True, cwd=REPO
    )


def test_top_level_help_lists_subcommands():
    proc = _run("--help")
    assert proc.returncode == 0
    for name in SUBCOMMANDS:
        assert name in proc.stdout


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_subcommand_help(name):
    proc = _run(name, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "--conf" in proc.stdout and "--data-dir" in proc.stdout
