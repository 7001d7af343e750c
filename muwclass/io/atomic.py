"""Atomic writes: readers see the old file or directory, or the new one, never half of one.

On a local or shared POSIX file system every product of muwclass is written under a hidden
temporary name beside its final path and renamed into place when complete (a rename within one
file system is atomic). A kill at any moment leaves either the previous product or the new one,
plus at most a hidden leftover that the next run removes. Directories (HATS catalogs, models,
releases, field products) are built in :func:`partial_dir` and put in place by :func:`publish`,
which replaces only our own products (:mod:`muwclass.io.products`); single files (markers,
reports, staged Parquet parts, downloads, result tables) go through :func:`atomic_path`; a
release's ``latest`` pointer through :func:`point_latest`.

An object store (:func:`muwclass.io.storage.is_object_store`) has no rename, and copying a
catalog to rename it would double its cost. There a directory product ``P`` holds generations:
each run builds ``P/g-<token>/``, and the product marker ``P/.muwclass-product``, one small
object written last, names the complete generation. Writing one object is atomic on S3 (a
multipart upload appears only when it completes), so the marker is the commit: a run killed
before it leaves the previous generation current and readers (:func:`current`) never see a
half-written one; the next publish deletes every generation the marker does not name. Single
files are written to the driver's scratch and uploaded as one object; ``latest`` is a small
object naming the version, replaced last.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from muwclass.io.products import GENERATION_PREFIX, MARKER, check_replaceable, mark_product
from muwclass.io.storage import as_path, is_object_store, storage_error


def partial_path(final: Path, token: str) -> Path:
    """Where :func:`partial_dir` builds the next ``final`` under the name ``token``."""
    if is_object_store(final):
        return final / f"{GENERATION_PREFIX}{token}"
    return final.with_name(f".{final.name}.partial-{token}")


def partial_dir(final: Path) -> Path:
    """An empty directory to build the next ``final`` in, for :func:`publish`: beside it on a
    local file system; on the driver's scratch when ``final`` is on an object store (the driver
    writes these products with local-file libraries; :func:`publish` uploads them).

    Its name carries this process's id, and a leftover of that name is removed first; so are
    the partials of ``final`` that processes no longer running left behind (a crashed run's;
    on an object store :func:`publish` removes them). A resumable build (hats-import's) names
    its own with :func:`partial_path` and a content hash instead, to find it again.

    Every sibling is swept, not only ``final``'s: a release killed while writing ``v3`` leaves
    ``.v3.partial-*``, which no later run of ``v3`` may ever come to clean."""
    token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    if is_object_store(final):
        return Path(tempfile.mkdtemp(prefix=f"muwclass-{final.name}-{token}-"))
    partial = partial_path(final, token)
    for stale in final.parent.glob(".*.partial-*"):
        owner = _OWNER.fullmatch(stale.name.rsplit(".partial-", 1)[1])
        if owner and not _running(int(owner.group(1))):
            shutil.rmtree(stale, ignore_errors=True)
    remove_tree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    return partial


def worker_partial_dir(final: Path) -> Path:
    """Like :func:`partial_dir`, for a product that Dask workers write (lsdb's
    ``write_catalog``): on an object store a new generation inside ``final`` itself, which every
    worker reaches and :func:`publish` commits without copying."""
    if is_object_store(final):
        return partial_path(final, f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
    return partial_dir(final)


_OWNER = re.compile(r"(\d{1,9})(?:-[0-9a-f]{8})?")  # a pid (and a random suffix)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_tree(path: Path) -> None:
    """Delete ``path`` and everything under it, if it exists (a leftover of ours)."""
    if is_object_store(path):
        if path.fs.exists(path.path):
            path.fs.rm(path.path, recursive=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def publish(partial: Path, final: Path, kind: str) -> None:
    """Put a finished directory in place of ``final`` in one step and mark it as our ``kind``.

    Refuses (before touching anything) when ``final`` holds something that is not our product
    of that kind (:func:`muwclass.io.products.check_replaceable`). On a local file system an
    existing product is swapped with the new one atomically (Linux
    ``renameat2(RENAME_EXCHANGE)``), so ``final`` names a complete product at every instant; the
    old one is then deleted. Where the exchange is unavailable (another OS, some network file
    systems) two renames are used, with a window of microseconds in which ``final`` does not
    exist. On an object store ``partial`` is a generation inside ``final`` (:func:`partial_dir`)
    and the marker naming it is written last (module docstring).
    """
    if is_object_store(final):
        if not is_object_store(partial):  # built on the driver's scratch: upload it first
            mark_product(partial, kind)
            generation = partial_path(final, f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
            try:
                final.fs.put(str(partial), generation.path, recursive=True)
            except Exception as exc:  # noqa: BLE001 - fsspec back ends raise their own types
                raise storage_error(final, exc, f"uploading {final}") from None
            shutil.rmtree(partial, ignore_errors=True)
            partial = generation
        _publish_generation(partial, final, kind)
        return
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


def _publish_generation(partial: Path, final: Path, kind: str) -> None:
    # ``partial`` is a generation, or a folder inside one (hats-import writes its collection
    # into a folder named after the catalog): the marker records the path below ``final``.
    relative = partial.path.removeprefix(final.path.rstrip("/") + "/")
    if relative == partial.path or not relative.startswith(GENERATION_PREFIX):
        raise ValueError(f"{partial} is not in a generation of {final}: build it in partial_dir({final})")
    check_replaceable(final, kind, "output")
    mark_product(partial, kind)
    mark_product(final, kind, generation=relative.rstrip("/"))  # the commit
    kept = relative.split("/")[0]
    for stale in generations(final):
        if stale.name != kept:
            remove_tree(stale)


def generations(final: Path) -> list[Path]:
    """The generation folders under an object-store product (current, previous, leftovers)."""
    try:
        entries = list(final.iterdir())
    except FileNotFoundError:
        return []
    return [e for e in entries if e.name.startswith(GENERATION_PREFIX)]


def current(product: Path) -> Path:
    """Where the content of a published directory product is: ``product`` itself on a local
    file system, its current generation on an object store (``product`` itself when it was
    written in place, without generations)."""
    if not is_object_store(product):
        return product
    try:
        generation = json.loads((product / MARKER).read_text()).get("generation")
    except (FileNotFoundError, ValueError, AttributeError):
        return product
    return product / generation if generation else product


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
    the same file never share a temporary file. For an object-store ``path`` the temporary file
    is on the driver's scratch and is uploaded as one object (atomic) at the end."""
    if is_object_store(path):
        with tempfile.TemporaryDirectory(prefix="muwclass-upload-") as scratch:
            tmp = Path(scratch) / path.name
            yield tmp
            path.fs.put_file(str(tmp), path.path)
        return
    path = as_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_parquet(table, path: Path, **kwargs) -> None:
    """A :class:`pyarrow.Table` as the Parquet file ``path``, appearing whole or not at all: on
    an object store serialised in memory and written as one object, else through
    :func:`atomic_path` (a retried Spark task or a rerun rewrites it the same)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if is_object_store(path):
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer, **kwargs)
        path.fs.pipe_file(path.path, buffer.getvalue().to_pybytes())
        return
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, **kwargs)


def write_json(path: Path, payload: dict) -> None:
    """A JSON file (sorted keys, anything unknown as ``str``) written atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str))


def read_json(path: Path) -> dict | None:
    """A JSON file written by :func:`write_json`, or None when it is absent or torn."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


#: on an object store, the ``latest`` pointer is an object holding the version's name
LATEST_OBJECT_KEY = "version"


def point_latest(root: Path, version: str, name: str = "latest") -> None:
    """Point ``root/name`` at ``version`` in one step, moved last by a release: a symlink
    replaced by a rename on a local file system, one small JSON object on an object store."""
    if is_object_store(root):
        write_json(root / name, {LATEST_OBJECT_KEY: version, "written": time.time()})
        return
    tmp = root / f".{name}-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(version)
    os.replace(tmp, root / name)


def latest_version(root: Path, name: str = "latest") -> str | None:
    """The version ``root/name`` points at (:func:`point_latest`), or None without a pointer."""
    pointer = root / name
    if is_object_store(root):
        return (read_json(pointer) or {}).get(LATEST_OBJECT_KEY)
    return os.readlink(pointer) if pointer.is_symlink() else None
