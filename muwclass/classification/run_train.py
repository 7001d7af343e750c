"""Fit the model family (one pipeline per nH bin) and save it with its provenance.

Models land in ``<work_dir>/models/<model id>/`` (``model.joblib`` + ``provenance.json``:
training-set hashes, model configuration, nH of the absorption correction, feature list,
package versions); ``models/<name>.json`` says which model serves each nH bin. A model with the
same provenance is reused unless ``force``.
"""

from __future__ import annotations

from muwclass.classification.family import ModelFamily, load_family
from muwclass.config.run import RunConfig
from muwclass.io.atomic import write_json
from muwclass.runtime.progress import console


def run_train(cfg: RunConfig, model: str = "default", force: bool = False) -> ModelFamily:
    """Fit (or reuse) model ``model``'s family and write its index; returns the family."""
    family = load_family(cfg, model, force=force)
    index = cfg.layout.model_index(model)
    write_json(index, {str(k): v.name for k, v in family.paths.items()})
    console.print(f"model family '{model}': {len(family.paths)} nH bin(s), index {index}")
    return family
