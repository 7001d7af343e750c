"""Fitted models on disk, each with its provenance, addressed by a hash of that provenance.

A model's id is a hash of everything that determines it (training-set content, model
configuration, nH of the absorption correction, feature list, library versions), so a rerun
with the same inputs finds and reuses the model instead of refitting it, and a release can
name exactly which model classified it.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import joblib

from muwclass import __version__
from muwclass.errors import ModelError
from muwclass.io.atomic import current, partial_dir, publish
from muwclass.io.storage import as_path

VERSIONED_PACKAGES = ("scikit-learn", "imbalanced-learn", "numpy", "pandas", "scipy")
MODEL_FILE = "model.joblib"
#: provenance keys that describe a fit's outcome, not its inputs (not part of the id)
FIT_RESULTS = ("created", "fit_seconds", "model_id", "training_rows", "features", "classes")
PROVENANCE_FILE = "provenance.json"


def package_versions() -> dict[str, str]:
    """Versions that change a fitted model's behaviour (pickles are not portable across them)."""
    out = {"muwclass": __version__, "python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[name] = "absent"
    return out


def model_id(provenance: dict) -> str:
    """Short stable hash of the parts of the provenance that determine the fitted model."""
    keyed = {k: provenance[k] for k in sorted(provenance) if k not in FIT_RESULTS}
    return hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode()).hexdigest()[:16]


def save_model(pipeline, provenance: dict, models_dir: Path) -> Path:
    """Write ``models_dir/<id>/`` (pipeline + provenance) atomically; return the directory."""
    mid = model_id(provenance)
    final = models_dir / mid
    tmp = partial_dir(final)
    joblib.dump(pipeline, tmp / MODEL_FILE, compress=3)
    record = {**provenance, "model_id": mid, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (tmp / PROVENANCE_FILE).write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    publish(tmp, final, "model")
    return current(final)


def find_model(models_dir: Path, provenance: dict) -> Path | None:
    """The saved model with this provenance, if one exists and is complete."""
    path = current(models_dir / model_id(provenance))
    return path if (path / MODEL_FILE).is_file() and (path / PROVENANCE_FILE).is_file() else None


def load_model(path: Path):
    """(pipeline, provenance) from a model directory, refusing pickles of other library versions."""
    path = as_path(path)
    if not (path / MODEL_FILE).is_file():
        raise ModelError(f"{path}: no {MODEL_FILE} (not a model directory; run `muwclass train`)")
    provenance = json.loads((path / PROVENANCE_FILE).read_text())
    saved, now = provenance.get("packages", {}), package_versions()
    stale = {k: (saved.get(k), now[k]) for k in VERSIONED_PACKAGES if saved.get(k) != now[k]}
    if stale:
        raise ModelError(
            f"{path}: model was fitted with other library versions {stale}; rerun `muwclass train`"
        )
    with (path / MODEL_FILE).open("rb") as pickled:
        return joblib.load(pickled), provenance
