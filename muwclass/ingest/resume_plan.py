"""What one catalog's import has already done: a rerun skips, a killed run resumes.

The plan is keyed by a content hash of the import's settings and of every input file's bytes.
A finished import leaves its accounting report (with that hash) beside the published HATS
collection: the same hash again means nothing to do. A killed import leaves per-file markers in
its staging directory (written last and atomically by :func:`muwclass.ingest.staging.stage_file`)
and hats-import's own resume files in its scratch directory; both are named by the hash, so a
rerun with the same inputs picks them up and one with other inputs starts clean.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from muwclass.ingest.arguments import ImportArguments
from muwclass.io.atomic import current, partial_path, read_json, remove_tree, write_json
from muwclass.io.hashing import content_hash
from muwclass.io.storage import is_object_store

IMPORT_LOGIC_VERSION = "2"  # bump when staging/import logic changes the output


@dataclass(frozen=True)
class ImportResumePlan:
    """Where one import's intermediate files live, and whether its result is already there."""

    args: ImportArguments
    digest: str

    @classmethod
    def of(cls, args: ImportArguments) -> ImportResumePlan:
        return cls(args, content_hash([IMPORT_LOGIC_VERSION, *args.settings()], args.files))

    @property
    def staging(self) -> Path:
        """Staged Parquet parts and per-file markers."""
        return self.args.layout.staging(self.args.key, self.digest)

    @functools.cached_property
    def partial(self) -> Path:
        """Where hats-import builds the collection: named by the hash, beside the published
        collection (inside it, as a generation, on an object store: muwclass.io.atomic). A
        forced rebuild of the very generation that is published gets a new name, so that
        readers keep the published one until the new one is complete."""
        final, token = self.args.hats_dir, self.digest[:16]
        if is_object_store(final) and current(final).path.startswith(partial_path(final, token).path):
            token = f"{token}-{os.getpid()}"
        return partial_path(final, token)

    @property
    def scratch(self) -> Path:
        """hats-import's intermediate files and resume plan (POSIX, named by the hash)."""
        return self.args.layout.import_scratch(self.args.key, self.digest)

    def finished_report(self) -> dict | None:
        """The report of a finished import of exactly these inputs, if its collection exists."""
        previous = read_json(self.args.report_path)
        done = previous and previous.get("hash") == self.digest
        return previous if done and (current(self.args.hats_dir) / "collection.properties").exists() else None

    def mark_done(self, report: dict) -> None:
        """Record the finished import (written last: a kill before it means redo), then drop
        the intermediate files."""
        write_json(self.args.report_path, {**report, "hash": self.digest})
        remove_tree(self.staging)
        remove_tree(self.scratch)
        if not is_object_store(self.partial):  # on an object store it is the published generation
            remove_tree(self.partial)
