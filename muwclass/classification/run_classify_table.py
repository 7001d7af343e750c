"""Classify a user's table in process (no Spark), with Monte-Carlo confidence (``muwclass classify``).

The table follows either shared training-set format (``TD_Yang2022.csv`` or
``CSC_TD_11042023_MW.csv`` columns; labels not needed) as CSV, FITS, VOTable or Parquet. The
output keeps the input's identifier and position columns and adds ``P_<class>``,
``e_P_<class>``, ``Class``, ``Class_prob``, ``CT``, ``confident``, ``outlier_score`` and the
model's ``nh_bin``. Rows that cannot be classified go to ``<output>_quarantine.csv`` with a
reason. The model family is trained first if no model with the same provenance exists.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.table import Table

from muwclass.classification.absorption import NH_GAL_UNIT
from muwclass.classification.family import load_family
from muwclass.classification.predict import classify_rows, resolve_draws
from muwclass.classification.training_set import FORMATS, detect_format, to_internal
from muwclass.config.run import RunConfig
from muwclass.errors import ConfigError, InputError
from muwclass.io.readers import read_table
from muwclass.io.writers import WRITERS, write_table
from muwclass.runtime.progress import console


def run_classify_table(
    cfg: RunConfig,
    input_path: str | Path,
    output_path: str | Path,
    nh: float | None = None,
    model: str = "default",
    draws: int | None = None,
) -> pd.DataFrame:
    """Classify the table ``input_path`` into ``output_path`` (+ ``<output>_quarantine.csv``); returns the result."""
    out = Path(output_path)
    if out.suffix.lower() not in WRITERS:
        raise ConfigError(f"--output {out}: use one of {sorted(WRITERS)}")
    draws = resolve_draws(cfg.confidence.draws, draws)
    raw = read_table(Path(input_path))
    if raw.empty:
        raise InputError(f"{input_path}: no rows to classify")
    fmt = detect_format(list(raw.columns), str(input_path))
    df = to_internal(raw, str(input_path), require_label=False)
    column_density = _column_density(raw, nh)

    t0 = time.perf_counter()
    family = load_family(cfg, model)
    classified, quarantine = classify_rows(df, family, column_density, draws, cfg.confidence.seed)
    keep = [c for c in _identity_columns(fmt) if c in raw.columns]
    result = pd.concat([raw.loc[classified.index, keep], classified.drop(columns=df.columns)], axis=1)
    write_table(result, out)
    qpath = out.with_name(f"{out.stem}_quarantine.csv")
    if len(quarantine):
        raw.loc[quarantine.index].assign(reason=quarantine["reason"]).to_csv(qpath, index_label="input_row")
    elif qpath.exists():
        qpath.unlink()
    _summary(result, len(quarantine), qpath, out, time.perf_counter() - t0)
    return result


def _column_density(raw: pd.DataFrame, nh: float | None) -> np.ndarray:
    if nh is not None:
        if nh < 0:
            raise ConfigError(f"--nh must be >= 0 cm^-2, got {nh}")
        return np.full(len(raw), nh)
    if "nh_gal" in raw:
        return pd.to_numeric(raw["nh_gal"], errors="coerce").to_numpy(dtype=float) * NH_GAL_UNIT
    console.print("no --nh and no nh_gal column: classifying with the lowest-nH model")
    return np.zeros(len(raw))


def _identity_columns(fmt: str) -> list[str]:
    mapping = FORMATS[fmt][1]
    return [mapping[k] for k in ("source_id", "ra", "dec") if k in mapping]


def _summary(result: pd.DataFrame, n_quarantined: int, qpath: Path, out: Path, seconds: float) -> None:
    table = Table(title=f"{len(result)} sources classified in {seconds:.1f} s -> {out}")
    for col in ("class", "sources", "confident (CT >= 2)"):
        table.add_column(col, justify="right")
    for cls, group in result.groupby("Class"):
        table.add_row(str(cls), str(len(group)), str(int(group["confident"].sum())))
    console.print(table)
    if n_quarantined:
        console.print(f"{n_quarantined} row(s) could not be classified: reasons in {qpath}")
