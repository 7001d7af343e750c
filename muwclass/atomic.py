"""Publishing a finished directory in one step, so readers never see a half-written one."""

from __future__ import annotations

import os
import shutil
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
