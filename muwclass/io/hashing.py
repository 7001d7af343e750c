"""Content hashes: what decides that a rerun can skip work, and what a release records.

Two digests for two readers: blake2b (fast) keys the import's resume markers and caches, which
only muwclass compares; sha256 names model inputs and release inputs, which a user checks with
``sha256sum``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from muwclass.io.storage import is_object_store


def file_digest(path: Path) -> str:
    """blake2b of a file's bytes (cache keys); for an object in a store, of the checksum the
    store keeps of those bytes (S3's ETag) and the size, so that an import's skip check does
    not download every input once more just to hash it."""
    if is_object_store(path):
        info = path.fs.info(path.path)
        stamp = [info.get("ETag") or info.get("md5Hash") or info.get("etag"), info.get("size")]
        if stamp[0] is not None:
            return hashlib.blake2b(json.dumps(stamp).encode(), digest_size=16).hexdigest()
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "blake2b").hexdigest()[:32]


def content_hash(parts: list[Any], files: list[Path]) -> str:
    """Hash of settings (anything JSON-able) and of the bytes of every input file."""
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps(parts, sort_keys=True, default=str).encode())
    for f in files:
        h.update(f.name.encode())
        h.update(file_digest(f).encode())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 (not the import cache's blake2b): what a user checks with ``sha256sum``."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def hash_inputs(paths: list[Path]) -> dict[str, str]:
    """sha256 of every file under the given files/directories (sorted, relative names)."""
    out = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            out[str(f)] = file_sha256(f)
    return out
