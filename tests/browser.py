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


def _installed() -> str | None:
    return next(filter(None, map(shutil.which, NAMES)), None)


def find_chromium() -> tuple[str | None, str]:
    """(the browser's path or None, why it is missing)."""
    found = _installed()
    if found:
        return found, ""
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return None, "not installed, and apt-get cannot install it here (needs root)"
    # both pytest workers may get here at once: the second waits for dpkg's lock instead of failing
    done = subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=900", "install", "-y", "-q", "chromium"],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
    )
    found = _installed()
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("E:")]
    return found, f"not installed, and apt-get install chromium failed: {' '.join(errors) or done.returncode}"


@pytest.fixture(scope="session")
def chromium() -> str:
    binary, why = find_chromium()
    if binary is None:
        pytest.skip(f"no chromium: {why}")
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
