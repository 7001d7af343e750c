"""Content hashes and completion markers: a rerun skips, a killed run resumes.

Markers are written atomically (temp file + rename), so a kill at any moment leaves either
the old marker or the new one, never a torn file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

IMPORT_LOGIC_VERSION = "1"  # bump when staging/import logic changes the output


def file_digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "blake2b").hexdigest()[:32]


def content_hash(parts: list[Any], files: list[Path]) -> str:
    """Hash of the settings (JSON-able) and the bytes of every input file."""
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps([IMPORT_LOGIC_VERSION, *parts], sort_keys=True, default=str).encode())
    for f in files:
        h.update(f.name.encode())
        h.update(file_digest(f).encode())
    return h.hexdigest()


def write_json_atomic(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str))
    os.replace(tmp, path)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
