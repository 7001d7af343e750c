"""Atomic writes: readers see the old file or directory, or the new one, never half of one.

Every product of muwclass is written under a hidden temporary name beside its final path and
renamed into place when complete (a rename within one file system is atomic). A kill at any
moment leaves either the previous product or the new one, plus at most a hidden leftover that
the next run removes. Directories (HATS catalogs, models, releases, field products) go through
:func:`publish`; single files (markers, reports, staged Parquet parts, downloads) through
:func:`atomic_path`; a release's ``latest`` pointer through :func:`point_latest`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def publish(partial: Path, final: Path) -> None:
    """Swap a finished directory into place: old copy aside, rename, then delete old."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(partial, final)
    if old.exists():
        shutil.rmtree(old)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` when the block ends
    without an error, removed when it fails. The name carries the pid, so two processes writing
    the same file never share a temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: Path, payload: dict) -> None:
    """A JSON file (sorted keys, anything unknown as ``str``) written atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str))


def read_json(path: Path) -> dict | None:
    """A JSON file written by :func:`write_json`, or None when it is absent or torn."""
    try:
        return json.loads(Path(path).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def point_latest(root: Path, version: str, name: str = "latest") -> None:
    """Point the symlink ``root/name`` at ``version`` in one rename (moved last by a release)."""
    tmp = root / f".{name}-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(version)
    os.replace(tmp, root / name)
