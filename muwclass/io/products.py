"""What a command may create, replace or delete: its own products, and nothing else.

The safety rule (README, "Input rules and what a command may write"): a command creates its outputs; it
replaces or deletes a path only when that path is a product muwclass wrote, recognised by the
marker file :data:`MARKER` that :func:`muwclass.io.atomic.publish` puts into every published
directory (or, for products of earlier versions without the marker, by the file that kind of
product always holds). Single-file outputs (``muwclass classify``) are recognised by their
columns. Everything a user names on the command line or in a configuration (a field name, a
release version, an output path) is checked here before any work starts, so a typo costs a
second, not the run.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path

from muwclass.errors import OutputError
from muwclass.io.storage import as_path, is_object_store, storage_error

#: the file in every directory muwclass publishes: {"kind": ..., "written": ...}
MARKER = ".muwclass-product"
#: prefix of a generation's folder inside a product on an object store (muwclass.io.atomic)
GENERATION_PREFIX = "g-"
#: products written before the marker existed, recognised by the file they always hold
LEGACY_SIGNATURES = {
    "release": ("manifest.json",),
    "field": ("summary.json",),
    "synth": ("manifest.json",),
    "model": ("provenance.json",),
    "evaluation": ("metrics.json",),
    "hats": ("properties", "hats.properties", "collection.properties"),
}
#: a name that becomes one path component: letters, digits, '.', '_', '+', '-'; not '.' or '..'
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def check_name(value: str, what: str) -> str:
    """``value`` if it is safe as one path component (no separator, not absolute, no ``..``)."""
    if not isinstance(value, str) or not _NAME.fullmatch(value) or ".." in value:
        raise OutputError(
            f"{what} {value!r} is not a valid name: use letters, digits, '.', '_', '+' and '-' "
            "(it becomes a directory name: no '/', no '..', not starting with '.' or '-')"
        )
    return value


def mark_product(directory: Path, kind: str, generation: str | None = None) -> None:
    """Write the marker that lets a later run recognise ``directory`` as its own ``kind`` (on an
    object store it also names the current ``generation``: :mod:`muwclass.io.atomic`)."""
    payload = {"kind": kind, "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if generation:
        payload["generation"] = generation
    (directory / MARKER).write_text(json.dumps(payload) + "\n")


def published(path: Path) -> bool:
    """Whether a product was published at ``path`` (on an object store, where a crashed first
    run can leave objects under the prefix, only once its marker is written)."""
    return (path / MARKER).exists() if is_object_store(path) else path.exists()


def product_kind(directory: Path) -> str | None:
    """The kind of muwclass product ``directory`` is by its marker, or None without one."""
    try:
        return json.loads((directory / MARKER).read_text())["kind"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_product(directory: Path, kind: str) -> bool:
    """Whether ``directory`` is our product of ``kind`` (by its marker, or by the file an
    unmarked one of an earlier version always holds)."""
    found = product_kind(directory)
    if found is not None:
        return found == kind
    return any((directory / n).is_file() for n in LEGACY_SIGNATURES.get(kind, ()))


def check_replaceable(path: Path, kind: str, what: str) -> None:
    """Refuse to replace ``path`` unless it is absent, an empty directory, or our ``kind`` of
    product (on an object store: or only generations of ours, left by a first run that crashed)."""
    if is_object_store(path):
        entries = list(path.iterdir()) if path.exists() else []
        if all(e.name.startswith(GENERATION_PREFIX) for e in entries) or is_product(path, kind):
            return
        found = product_kind(path)
        holds = f"a muwclass {found} product" if found else "objects muwclass did not write"
        raise OutputError(f"{what} {path} holds {holds}: refusing to replace it (choose another prefix)")
    path = as_path(path)
    if not (path.exists() or path.is_symlink()):
        return
    if path.is_symlink() or not path.is_dir():
        kind_of = "a symbolic link" if path.is_symlink() else "a file"
        raise OutputError(
            f"{what} {path} is {kind_of}, not a directory muwclass wrote: refusing to replace it"
        )
    if not any(path.iterdir()):
        return
    if not is_product(path, kind):
        found = product_kind(path)
        holds = f"a muwclass {found} product" if found else "files muwclass did not write"
        raise OutputError(
            f"{what} {path} holds {holds}: refusing to replace it (choose another path, or move it away)"
        )


def check_output_directory(path: Path, kind: str, what: str) -> None:
    """Before any work: ``path`` can be written as a directory and holds nothing but an earlier
    ``kind`` product (:func:`check_writable`, :func:`check_replaceable`)."""
    check_writable(path, what, directory=True)
    check_replaceable(path, kind, what)


def check_writable(path: Path, what: str, directory: bool = False) -> None:
    """Fail before any work when ``path`` cannot be written: it is a directory where a file is
    wanted (or the reverse), a parent is a file, or the nearest existing parent is read-only.
    On an object store: a probe object can be written and deleted under ``path``."""
    if is_object_store(path):
        _probe_object_store(path if directory else path.parent, path, what)
        return
    path = as_path(path)
    if path.exists():
        if directory and not path.is_dir():
            raise OutputError(f"{what} {path} is a file, not a directory")
        if not directory and path.is_dir():
            raise OutputError(f"{what} {path} is a directory, not a file name")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{what} {path}: {parent} is a file, so nothing can be written under it")
    # A real probe, not os.access: root passes every permission check but still cannot write
    # on a read-only or virtual file system (/proc, a read-only mount).
    try:
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".muwclass-probe-"):
            pass
        if path.is_file():
            with open(path, "ab"):
                pass
    except OSError as exc:
        raise OutputError(f"{what} {path}: cannot write there ({exc.strerror or exc})") from None


def _probe_object_store(directory: Path, path: Path, what: str) -> None:
    probe = directory / f".muwclass-probe-{os.getpid()}-{time.time_ns()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except Exception as exc:  # noqa: BLE001 - fsspec back ends raise their own types
        raise storage_error(path, exc, f"{what} {path}: cannot write there") from None
