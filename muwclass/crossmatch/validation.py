"""How good is a crossmatch, judged against known true counterparts (pure numpy).

Completeness and false-match rate as a function of the ``p_any`` threshold, and the
reliability of the posteriors: among chosen counterparts with ``p`` in a bin, the fraction
that are right should be close to the bin's mean ``p``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def threshold_curve(
    p_any: np.ndarray, correct: np.ndarray, has_truth: np.ndarray, thresholds: np.ndarray
) -> dict[str, list[float]]:
    """Completeness = right matches kept / sources with a true counterpart;
    false-match rate = wrong matches kept / matches kept."""
    p_any = np.nan_to_num(np.asarray(p_any, float), nan=0.0)
    correct, has_truth = np.asarray(correct, bool), np.asarray(has_truth, bool)
    comp, false = [], []
    for t in thresholds:
        kept = p_any >= t
        comp.append(float((kept & correct).sum() / max(has_truth.sum(), 1)))
        false.append(float((kept & ~correct).sum() / max(kept.sum(), 1)))
    return {"threshold": [float(t) for t in thresholds], "completeness": comp, "false_rate": false}


def reliability(p: np.ndarray, correct: np.ndarray, bins: int = 10) -> dict[str, list[float]]:
    """Mean predicted probability and observed right fraction per probability bin."""
    p = np.asarray(p, float)
    ok = ~np.isnan(p)
    p, correct = p[ok], np.asarray(correct, bool)[ok]
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    mean_p, frac, count = [], [], []
    for b in range(bins):
        m = which == b
        count.append(int(m.sum()))
        mean_p.append(float(p[m].mean()) if m.any() else float("nan"))
        frac.append(float(correct[m].mean()) if m.any() else float("nan"))
    return {"bin_low": edges[:-1].tolist(), "mean_p": mean_p, "true_fraction": frac, "count": count}


def best_operating_point(curve: dict[str, list[float]], max_false_rate: float) -> dict[str, float]:
    """The threshold with the highest completeness whose false-match rate is within the limit."""
    ok = [i for i, f in enumerate(curve["false_rate"]) if f <= max_false_rate]
    if not ok:
        return {"threshold": float("nan"), "completeness": 0.0, "false_rate": float("nan")}
    i = max(ok, key=lambda j: curve["completeness"][j])
    return {k: curve[k][i] for k in ("threshold", "completeness", "false_rate")}


#: the synthetic sky's truth column of each MW catalog's true counterpart
TRUTH_COLUMN = {"gaia": "gaia_Source", "tmass": "tmass_2MASS", "allwise": "allwise_AllWISE"}
THRESHOLDS = np.round(np.linspace(0.05, 0.99, 48), 3)


def against_truth(best: pd.DataFrame, truth: pd.DataFrame, targets: list[str]) -> dict[str, dict]:
    """Per MW catalog: completeness / false-match curve over the ``p_any`` threshold, posterior
    reliability, and the operating points at <= 2% false matches and at p_any >= 0.5.

    ``best`` is a crossmatch's one-row-per-X-ray-source table indexed by source name, ``truth``
    the synthetic sky's truth of the same sources (``TRUTH_COLUMN``) indexed the same way.
    """
    truth = truth.loc[best.index]
    half = int(np.argmin(np.abs(THRESHOLDS - 0.5)))
    out = {}
    for target in targets:
        true_id = truth[TRUTH_COLUMN[target]].astype("string").to_numpy(dtype=object, na_value=None)
        chosen = best[f"{target}_source_id"].astype("string").to_numpy(dtype=object, na_value=None)
        has = np.array([t is not None for t in true_id])
        correct = np.array([c is not None and c == t for c, t in zip(chosen, true_id, strict=True)])
        curve = threshold_curve(
            best[f"{target}_p_any"].to_numpy(float, na_value=np.nan), correct, has, THRESHOLDS
        )
        post = (best[f"{target}_p_any"] * best[f"{target}_p_i"]).to_numpy(float, na_value=np.nan)
        out[target] = {
            "curve": curve,
            "reliability": reliability(post, correct),
            "sources_with_true_counterpart": int(has.sum()),
            "at_false_rate_2pct": best_operating_point(curve, 0.02),
            "at_p_any_0.5": {k: curve[k][half] for k in ("threshold", "completeness", "false_rate")},
        }
    return out


def photometry_recovery(
    ours: pd.DataFrame, published: pd.DataFrame, column: str, our_column: str, tolerance: float = 0.01
) -> dict:
    """How many published magnitudes our counterparts reproduce.

    ``ours`` and ``published`` are indexed by X-ray source name; ``published`` holds the
    catalogue as printed (strings), which rounds a magnitude to the precision of its error
    (16.9 +- 0.1): agreement is within ``tolerance`` beyond that rounding. Returns the counts,
    the fraction and the mismatches (name, published value, ours).
    """
    common = published.index.intersection(ours.index)
    text = published.loc[common, column]
    theirs = pd.to_numeric(text, errors="coerce").to_numpy(float)
    decimals = text.str.split(".").str[1].str.len().fillna(0).to_numpy(float)
    mine = pd.to_numeric(ours.loc[common, our_column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    has = ~np.isnan(theirs)
    with np.errstate(invalid="ignore"):
        same = np.abs(mine - theirs) <= 0.5 * 10.0**-decimals + tolerance + 1e-9
    bad = has & ~same
    mismatches = pd.DataFrame(
        {"name": common[bad], f"published_{column}": theirs[bad], f"ours_{our_column}": mine[bad]}
    )
    n = int(has.sum())
    return {
        "with_value": n,
        "recovered": int((has & same).sum()),
        "fraction": float((has & same).sum() / max(n, 1)),
        "mismatches": mismatches,
    }
