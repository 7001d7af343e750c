"""Classify rows in the internal schema with the nH-keyed model family and Monte-Carlo confidence.

The engine-free core shared by ``muwclass classify`` (a user's table, in process) and the
Spark catalog job (the same function inside ``mapInPandas``): split usable rows from rows
that go to quarantine with a reason, pick each source's model by its nH bin, and add
``P_<class>``, ``e_P_<class>``, ``Class``, ``Class_prob``, ``CT`` and ``outlier_score``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from muwclass.classification.confidence import confidence_table, monte_carlo_proba
from muwclass.classification.family import ModelFamily, bin_index
from muwclass.classification.features import unusable_rows
from muwclass.errors import ConfigError
from muwclass.ingest.row_rules import row_reasons

RESULT_COLUMNS = ("Class", "Class_prob", "CT", "confident", "outlier_score", "nh_bin")


def resolve_draws(configured: int, requested: int | None) -> int:
    """Monte-Carlo draws: ``--draws`` when given, else the configuration's; at least 1."""
    draws = configured if requested is None else requested
    if draws < 1:
        raise ConfigError(f"--draws must be >= 1, got {draws}")
    return draws


def quarantine_reasons(df: pd.DataFrame) -> pd.Series:
    """Why each row cannot be classified ('' = it can): the shared row rules
    (:mod:`muwclass.ingest.row_rules`: id, position, ranges), then no usable X-ray flux."""
    rules = pd.Series(row_reasons(df), index=df.index, dtype=object)
    reason = unusable_rows(df)
    return rules.where(rules.notna(), reason)


def classify_rows(
    df: pd.DataFrame,
    family: ModelFamily,
    nh: np.ndarray,
    draws: int,
    seed: int,
    reasons: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(classified rows with result columns, quarantined rows with ``reason``), rows in = out.

    ``nh`` (cm^-2, one per row of ``df``) picks each row's model and is the column density
    the models' ``log_nh`` feature sees.

    ``reasons`` (indexed like ``df``; None or '' = no objection) are the caller's own findings,
    e.g. text in a numeric cell of the input; they come before :func:`quarantine_reasons`.
    """
    reason = quarantine_reasons(df)
    if reasons is not None:
        given = reasons.reindex(df.index)
        reason = given.where(given.notna() & (given != ""), reason)
    bad = reason != ""
    quarantine = df.loc[bad].assign(reason=reason[bad])
    good = df.loc[~bad]
    good_nh = np.asarray(nh, dtype=float)[~bad.to_numpy()]
    which = bin_index(good_nh, family.bins)
    # the column density that picks the model is also the one its ``log_nh`` feature sees
    inputs = good.assign(nh=good_nh)
    parts = []
    for b in sorted(set(which)):
        rows = inputs.iloc[np.flatnonzero(which == b)]
        model = family.models[int(b)]
        mean, std = monte_carlo_proba(model.pipeline, rows, draws, seed)
        table = confidence_table(mean, std, [str(c) for c in model.classes_])
        table.index = rows.index
        table["outlier_score"] = model.outliers.score(rows, table["Class_prob"].to_numpy())
        table["nh_bin"] = int(b)
        parts.append(table)
    result = pd.concat(parts) if parts else pd.DataFrame(columns=list(RESULT_COLUMNS))
    classified = pd.concat([good, result.reindex(good.index)], axis=1)
    if len(classified) + len(quarantine) != len(df):  # pragma: no cover - accounting guard
        raise AssertionError(
            f"rows in {len(df)} != classified {len(classified)} + quarantined {len(quarantine)}"
        )
    return classified, quarantine
