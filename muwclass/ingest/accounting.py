"""Counting every row of an import: rows in = imported + quarantined + merged duplicates.

A row never disappears silently: it is imported, quarantined with a reason, or merged into an
exact repeat of itself (counted). The import checks the identity against the HATS catalog's
own row count before anything is published, and reports the quarantine reasons by kind.
"""

from __future__ import annotations

import pandas as pd

from muwclass.errors import AccountingError


def reason_summary(reasons: pd.Series) -> dict[str, int]:
    """Counts per kind of reason (the text before the first quoted value or bracket)."""
    kinds = reasons.astype(str).str.extract(r"^([^'(\[:]+)", expand=False).str.strip()
    return {str(k): int(v) for k, v in kinds.value_counts().items()}


def check_nonempty(key: str, n_files: int, imported: int, quarantine: pd.DataFrame) -> None:
    """An import that keeps no row at all is an error, with the commonest reasons."""
    if imported == 0:
        raise AccountingError(
            f"{key}: no usable rows in {n_files} file(s); {len(quarantine)} quarantined "
            f"(see reasons: {quarantine['reason'].value_counts().head(3).to_dict()})"
        )


def check_balance(key: str, rows_in: int, staged: int, in_hats: int, quarantined: int, merged: int) -> None:
    """Every input row is accounted for, and the HATS catalog holds every staged row."""
    if in_hats != staged or rows_in != staged + quarantined + merged:
        raise AccountingError(
            f"{key}: rows in {rows_in} != imported {in_hats} (staged {staged}) "
            f"+ quarantined {quarantined} + merged duplicates {merged}"
        )
