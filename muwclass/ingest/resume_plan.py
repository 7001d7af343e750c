"""What one catalog's import has already done: a rerun skips, a killed run resumes.

The plan is keyed by a content hash of the import's settings and of every input file's bytes.
A finished import leaves its accounting report (with that hash) beside the published HATS
collection: the same hash again means nothing to do. A killed import leaves per-file markers in
its staging directory (written last and atomically by :func:`muwclass.ingest.staging.stage_file`)
and hats-import's own resume files in its partial directory; both are named by the hash, so a
rerun with the same inputs picks them up and one with other inputs starts clean.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from muwclass.ingest.arguments import ImportArguments
from muwclass.io.atomic import read_json, write_json
from muwclass.io.hashing import content_hash

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

    @property
    def partial(self) -> Path:
        """hats-import's working collection (its own resume plan lives inside)."""
        return self.args.layout.import_partial(self.args.key, self.digest)

    def finished_report(self) -> dict | None:
        """The report of a finished import of exactly these inputs, if its collection exists."""
        previous = read_json(self.args.report_path)
        done = previous and previous.get("hash") == self.digest
        return previous if done and (self.args.hats_dir / "collection.properties").exists() else None

    def mark_done(self, report: dict) -> None:
        """Record the finished import (written last: a kill before it means redo), then drop
        the intermediate files."""
        write_json(self.args.report_path, {**report, "hash": self.digest})
        shutil.rmtree(self.staging, ignore_errors=True)
        shutil.rmtree(self.partial, ignore_errors=True)
