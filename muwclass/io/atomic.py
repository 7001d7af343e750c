"""Atomic writes: readers see the old file or directory, or the new one, never half of one.

Every product of muwclass is written under a hidden temporary name beside its final path and
renamed into place when complete (a rename within one file system is atomic). A kill at any
moment leaves either the previous product or the new one, plus at most a hidden leftover that
the next run removes. Directories (HATS catalogs, models, releases, field products) go through
:func:`publish`, which replaces only our own products (:mod:`muwclass.io.products`); single
files (markers, reports, staged Parquet parts, downloads, result tables) through
:func:`atomic_path`; a release's ``latest`` pointer through :func:`point_latest`.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from muwclass.io.products import check_replaceable, mark_product


def publish(partial: Path, final: Path, kind: str) -> None:
    """Put a finished directory in place of ``final`` in one step and mark it as our ``kind``.

    Refuses (before touching anything) when ``final`` holds something that is not our product
    of that kind (:func:`muwclass.io.products.check_replaceable`). An existing product is
    swapped with the new one atomically (Linux ``renameat2(RENAME_EXCHANGE)``), so ``final``
    names a complete product at every instant; the old one is then deleted. Where the
    exchange is unavailable (another OS, some network file systems) two renames are used,
    with a window of microseconds in which ``final`` does not exist.
    """
    check_replaceable(final, kind, "output")
    mark_product(partial, kind)
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if not final.exists():
        os.replace(partial, final)
        return
    if _exchange(partial, final):
        shutil.rmtree(partial)  # now holds the previous product
        return
    os.replace(final, old)
    os.replace(partial, final)
    shutil.rmtree(old)


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False when the system or file system cannot."""
    libc = _libc()
    renameat2 = getattr(libc, "renameat2", None) if libc is not None else None
    if renameat2 is None:
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@functools.cache
def _libc():
    if sys.platform != "linux":
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


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
