"""A real headless browser for the offline HTML pages: Debian's ``chromium``, installed with
apt-get when it is missing and this machine allows it (root, a Debian mirror); otherwise the
tests that need it are skipped with the reason."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    found = next((shutil.which(n) for n in NAMES if shutil.which(n)), None)
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "chromium"],
        capture_output=True,
        timeout=900,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
    )
    return next((shutil.which(n) for n in NAMES if shutil.which(n)), None)


@pytest.fixture(scope="session")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip(
            "no chromium: not installed, and apt-get cannot install it here (needs root and a Debian mirror)"
        )
    return binary


def render(binary: str, page: Path) -> tuple[str, list[str]]:
    """(the DOM after the page's scripts ran with ``#selftest``, the console messages)."""
    done = subprocess.run(
        [
            binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            f"{page.resolve().as_uri()}#selftest",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def selftest(dom: str) -> list:
    """What the page's self-test wrote: first rows after sorting up and down, visible rows after filtering."""
    m = re.search(r'<pre id="selftest">(.*?)</pre>', dom, re.S)
    assert m, "the page's self-test did not run"
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
