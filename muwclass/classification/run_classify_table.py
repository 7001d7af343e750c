"""Classify a user's table in process (no Spark), with Monte-Carlo confidence (``muwclass classify``).

The table follows either shared training-set format (``TD_Yang2022.csv`` or
``CSC_TD_11042023_MW.csv`` columns; labels not needed) as CSV, FITS, VOTable or Parquet. The
output keeps the input's identifier and position columns and adds ``P_<class>``,
``e_P_<class>``, ``Class``, ``Class_prob``, ``CT``, ``confident``, ``outlier_score`` and the
model's ``nh_bin``. The model family is trained first if no model with the same provenance exists.

Every input row is accounted for: rows in = classified + quarantined + merged exact repeats.
Rows the shared row rules (:mod:`muwclass.ingest.row_rules`: text in a numeric cell, no id,
position out of range, absurd or infinite values, negative errors), an unparseable line, a
repeated id with different values, or the lack of any X-ray flux keep from classification go to
``<output>_quarantine.csv`` with the file, the 1-based data row and the reason. The input is
never written: an output (or its quarantine file) that is the input, or an existing file that
is not an earlier output of this command, is refused before any work; both files are written
under a temporary name and renamed into place, so a killed run leaves the previous file or none.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.table import Table

from muwclass.classification.absorption import NH_GAL_UNIT
from muwclass.classification.family import load_family
from muwclass.classification.predict import RESULT_COLUMNS, classify_rows, resolve_draws
from muwclass.classification.training_set import FORMATS, detect_format, to_internal
from muwclass.config.run import RunConfig
from muwclass.errors import AccountingError, ConfigError, InputError, MuwclassError, OutputError
from muwclass.ingest.dedup import repeated_rows
from muwclass.ingest.row_rules import row_reasons, unparseable_reasons
from muwclass.io.products import check_writable
from muwclass.io.readers import guess_format, native_columns, read_whole
from muwclass.io.writers import WRITERS, write_table
from muwclass.runtime.progress import console

#: the first columns of this command's quarantine file (earlier versions began with ``input_row``)
QUARANTINE_HEAD = ("file", "row", "reason")
_LEGACY_QUARANTINE_HEAD = ("input_row",)


def run_classify_table(
    cfg: RunConfig,
    input_path: str | Path,
    output_path: str | Path,
    nh: float | None = None,
    model: str = "default",
    draws: int | None = None,
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Classify the table ``input_path`` into ``output_path`` (+ ``<output>_quarantine.csv``); returns the result."""
    source, out = Path(input_path), Path(output_path)
    qpath = quarantine_path(out)
    check_outputs(source, out, qpath)
    draws = resolve_draws(cfg.confidence.draws, draws)
    if nh is not None and not (math.isfinite(nh) and nh >= 0):
        raise ConfigError(f"--nh must be a finite column density >= 0 cm^-2, got {nh}")
    whole = read_whole(source, encoding=encoding)
    raw = whole.frame
    if raw.empty and not whole.bad:
        raise InputError(f"{source}: no rows to classify")
    fmt = detect_format(list(raw.columns), str(source))
    mapping = FORMATS[fmt][1]
    df = to_internal(raw, str(source), require_label=False)
    if nh is None and "nh_gal" in raw:
        df["nh_gal"] = pd.to_numeric(raw["nh_gal"], errors="coerce")
    numeric = [c for k, c in mapping.items() if k not in ("source_id", "label")] + ["nh_gal"] * (nh is None)
    reasons = unparseable_reasons(raw, numeric)
    rules = row_reasons(df, mapping)
    reasons = np.where(pd.isna(reasons), rules, reasons)
    merged, clash = repeated_rows(raw, [mapping["source_id"]])
    merged &= df["source_id"].str.strip().fillna("").ne("").to_numpy()  # a missing id is no repeat
    reasons = np.where(
        pd.isna(reasons) & clash,
        [
            f"repeated {mapping['source_id']} {v!r} with different values (first occurrence kept)"
            for v in raw[mapping["source_id"]]
        ],
        reasons,
    )
    keep_rows = ~merged
    column_density = _column_density(df, nh)

    t0 = time.perf_counter()
    family = load_family(cfg, model)
    classified, quarantine = classify_rows(
        df.loc[keep_rows],
        family,
        column_density[keep_rows],
        draws,
        cfg.confidence.seed,
        reasons=pd.Series(reasons, index=df.index)[keep_rows],
    )
    ids = [c for c in _identity_columns(fmt) if c in raw.columns]
    result = pd.concat([raw.loc[classified.index, ids], classified.drop(columns=df.columns)], axis=1)
    rejected = pd.concat(
        [
            pd.DataFrame(
                {"file": str(source), "row": whole.row[quarantine.index], "reason": quarantine["reason"]}
            ).join(raw.loc[quarantine.index], rsuffix="_input"),
            pd.DataFrame(
                {"file": str(source), "row": [b[0] for b in whole.bad], "reason": [b[1] for b in whole.bad]}
            ),
        ],
        ignore_index=True,
    ).sort_values("row", kind="stable")
    n_in = len(raw) + len(whole.bad)
    if len(result) + len(rejected) + int(merged.sum()) != n_in:  # pragma: no cover - accounting guard
        raise AccountingError(
            f"{source}: rows in {n_in} != classified {len(result)} + quarantined {len(rejected)} + merged {int(merged.sum())}"
        )
    if len(rejected):
        write_table(rejected, qpath)
    elif qpath.exists():
        qpath.unlink()  # an earlier run's (check_outputs recognised it): it would describe other rows
    write_table(result, out)
    _summary(result, len(rejected), int(merged.sum()), qpath, out, time.perf_counter() - t0)
    _warn_missing_nh(classified, nh)
    return result


def quarantine_path(out: Path) -> Path:
    """Where the rows of ``out`` that could not be classified go."""
    return out.with_name(f"{out.stem}_quarantine.csv")


def check_outputs(source: Path, out: Path, qpath: Path) -> None:
    """Refuse, before any work, outputs that would destroy the input or a file this command did
    not write, and outputs that cannot be written."""
    if out.suffix.lower() not in WRITERS:
        raise ConfigError(f"--output {out}: use one of {sorted(WRITERS)}")
    if not source.is_file():
        raise InputError(f"input file not found: {source}")
    for path, what in ((out, "--output"), (qpath, f"the quarantine file of --output {out}")):
        if path.exists() and os.path.samefile(path, source):
            raise OutputError(
                f"{what} {path} is the input file: choose another --output (the input is never written)"
            )
        check_writable(path, what)
        if path.exists() and not _own_output(path, RESULT_COLUMNS if path == out else QUARANTINE_HEAD):
            raise OutputError(
                f"{what} {path} exists and was not written by `muwclass classify`: refusing to overwrite it "
                "(choose another --output, or move the file away)"
            )


def _own_output(path: Path, columns: tuple[str, ...]) -> bool:
    """Whether ``path`` is an earlier output of this command, by its columns."""
    try:
        present = native_columns(path, guess_format(path))
    except (MuwclassError, OSError, ValueError):
        return False
    if columns == QUARANTINE_HEAD:
        head = tuple(present[:3])
        return head == QUARANTINE_HEAD or (head[:1] == _LEGACY_QUARANTINE_HEAD and "reason" in present)
    return set(columns) <= set(present)


def _column_density(df: pd.DataFrame, nh: float | None) -> np.ndarray:
    """nH (cm^-2) per row: ``--nh``, else the table's ``nh_gal``, else 0 (the lowest-nH model)."""
    if nh is not None:
        return np.full(len(df), nh)
    if "nh_gal" in df:
        return df["nh_gal"].to_numpy(dtype=float, na_value=np.nan) * NH_GAL_UNIT
    return np.zeros(len(df))


def _warn_missing_nh(classified: pd.DataFrame, nh: float | None) -> None:
    if nh is not None:
        return
    # the default model also reads the column density as a feature (log_nh): without it the
    # rare classes lose most (generalisation test, README "Model choice and quality")
    unknown = "and without the column density the model reads as a feature (pass --nh)"
    if "nh_gal" not in classified:
        console.print(
            f"[yellow]no --nh and no nh_gal column: classified with the lowest-nH model {unknown}[/]"
        )
        return
    missing = int(classified["nh_gal"].isna().sum())
    if missing:
        console.print(
            f"[yellow]{missing} row(s) without an nh_gal value were classified with the lowest-nH model {unknown}[/]"
        )


def _identity_columns(fmt: str) -> list[str]:
    mapping = FORMATS[fmt][1]
    return [mapping[k] for k in ("source_id", "ra", "dec") if k in mapping]


def _summary(
    result: pd.DataFrame, n_quarantined: int, n_merged: int, qpath: Path, out: Path, seconds: float
) -> None:
    table = Table(title=f"{len(result)} sources classified in {seconds:.1f} s -> {out}")
    for col in ("class", "sources", "confident (CT >= 2)"):
        table.add_column(col, justify="right")
    for cls, group in result.groupby("Class"):
        table.add_row(str(cls), str(len(group)), str(int(group["confident"].sum())))
    console.print(table)
    if n_merged:
        console.print(f"{n_merged} exact repeat(s) of an earlier row (same id, same values) merged into it")
    if n_quarantined:
        console.print(f"[yellow]{n_quarantined} row(s) could not be classified: reasons in {qpath}[/]")
