"""The work directory's layout: every path muwclass builds is named here, and only here.

A run writes everything under one work directory (``build/`` by default, ``work_dir`` in the
run configuration). Stages find each other's products through this object (the crossmatch
reads the import's HATS catalogs, the release reads the crossmatch), so a path is spelled once:
moving a product means changing one property, and a reader cannot drift from its writer.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from muwclass.io.storage import is_object_store


@dataclass(frozen=True)
class WorkLayout:
    """Named paths under a work directory ``root`` (nothing is created here)."""

    root: Path
    synth_name: str = "synth"  # the synthetic sky's folder, relative to root (``synth.out``)
    scratch_root: Path | None = None  # ``scratch_dir`` of the run configuration

    @property
    def scratch(self) -> Path:
        """POSIX scratch: Dask's spill space and hats-import's intermediate files, whose resume
        plan hats-import writes with the built-in ``open`` (a local or shared mount, never an
        object store). Under ``root`` when that is local; else ``scratch_dir``, by default the
        driver's temporary directory (enough for a cluster on this host; a cluster of several
        hosts names a shared mount)."""
        if self.scratch_root is not None:
            return self.scratch_root
        if not is_object_store(self.root):
            return self.root
        return (
            Path(tempfile.gettempdir())
            / "muwclass-scratch"
            / hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
        )

    # --- import -------------------------------------------------------------------------
    @property
    def hats(self) -> Path:
        """HATS catalogs (one collection per imported catalog, and the crossmatch's)."""
        return self.root / "hats"

    def catalog(self, key: str) -> Path:
        """The HATS collection of one imported catalog."""
        return self.hats / key

    def import_scratch(self, key: str, digest: str) -> Path:
        """hats-import's intermediate files of one import (its ``tmp_dir``, with its resume plan)."""
        return self.scratch / "import_tmp" / f"{key}-{digest[:16]}"

    def staging(self, key: str, digest: str) -> Path:
        """Staged Parquet parts and per-file resume markers of one import."""
        return self.root / "staging" / key / digest[:16]

    def quarantine(self, key: str) -> Path:
        return self.root / "quarantine" / f"{key}.parquet"

    def import_report(self, key: str) -> Path:
        """Accounting report; its content hash says whether a rerun has anything to do."""
        return self.reports / f"import_{key}.json"

    def candidates(self, key: str) -> Path:
        """Long candidate table of a cone-search input (crossmatch validation)."""
        return self.root / "candidates" / f"{key}.parquet"

    def downloads(self, key: str) -> Path:
        """Cached rows fetched from a TAP service or a remote HATS catalog."""
        return self.root / "downloads" / key

    # --- crossmatch ---------------------------------------------------------------------
    def xmatch(self, xray: str) -> Path:
        """One row per source of the X-ray catalog ``xray`` with its best counterparts."""
        return self.hats / f"xmatch_{xray}"

    def observed(self, key: str) -> Path:
        """The X-ray catalog ``key`` with the configured new observations folded in."""
        return self.hats / f"{key}_observed"

    @property
    def update_work(self) -> Path:
        """Scratch of ``muwclass update``: the touched pixels' crossmatch and classification."""
        return self.root / "update_work"

    def xmatch_candidates(self, xray: str, target: str) -> Path:
        """Every candidate in one MW catalog of the sources of one X-ray catalog, with its posterior."""
        return self.hats / f"xmatch_{xray}_{target}_candidates"

    def xray_links(self, left: str, right: str) -> Path:
        """Which sources of X-ray catalogs ``left`` and ``right`` are the same object."""
        return self.root / "links" / f"{left}_{right}.parquet"

    @property
    def xmatch_work(self) -> Path:
        """The persisted left joins the crossmatch derives everything from (removed at the end)."""
        return self.hats / ".xmatch_work"

    @property
    def cache(self) -> Path:
        """Derived values worth keeping between runs (MW magnitude histograms)."""
        return self.root / "cache"

    # --- models, evaluation, release ----------------------------------------------------
    @property
    def models(self) -> Path:
        return self.root / "models"

    def model_index(self, name: str) -> Path:
        """Which model directory serves each nH bin of model ``name`` (written by train)."""
        return self.models / f"{name}.json"

    def evaluation(self, folds: int | str) -> Path:
        return self.root / "evaluation" / str(folds)

    @property
    def classified(self) -> Path:
        """Spark's output before the release is written from it."""
        return self.root / "classified"

    @property
    def releases(self) -> Path:
        """Versioned releases and the ``latest`` pointer."""
        return self.root / "release"

    @property
    def diffs(self) -> Path:
        """``muwclass diff`` products, one directory per pair of releases."""
        return self.root / "diffs"

    def field(self, name: str) -> Path:
        """Products of ``muwclass field`` for one field."""
        return self.root / "fields" / name

    # --- engines, reports, synthetic sky ------------------------------------------------
    @property
    def dask(self) -> Path:
        """Dask workers' spill and scratch space."""
        return self.scratch / "dask"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def crossmatch_report(self, xray: str) -> Path:
        """The crossmatch report of one X-ray catalog (its magnitude priors, counts, timing)."""
        return self.reports / f"crossmatch_{xray}.json"

    @property
    def synth(self) -> Path:
        return self.root / self.synth_name

    def bench(self, name: str) -> Path:
        """Scratch of a benchmark."""
        return self.root / "bench" / name
