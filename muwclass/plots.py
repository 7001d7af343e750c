"""Figures users look at, written as PNG files (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def reliability_diagram(
    curves: dict[str, dict],
    path: Path,
    title: str,
    xlabel: str = "posterior of the chosen counterpart (bin mean)",
    ylabel: str = "fraction that is the true counterpart",
) -> Path:
    """One line per curve: observed right fraction vs mean probability per bin."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    for name, r in curves.items():
        ax.plot(r["mean_p"], r["true_fraction"], marker="o", label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, xlim=(0, 1), ylim=(0, 1), title=title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def threshold_curves(curves: dict[str, dict], path: Path, title: str) -> Path:
    """Completeness and false-match rate against the p_any threshold."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, c in curves.items():
        line = ax.plot(c["threshold"], c["completeness"], label=f"{name} completeness")[0]
        ax.plot(c["threshold"], c["false_rate"], ls="--", color=line.get_color(), label=f"{name} false-match rate")
    ax.set(xlabel="p_any threshold", ylabel="fraction", ylim=(0, 1.02), title=title)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def confusion_matrices(counts: "pd.DataFrame", normalised: "pd.DataFrame", path: Path, title: str) -> Path:  # noqa: F821
    """Counts and row-normalised confusion matrices side by side, as in Yang et al. (2022)."""
    import numpy as np

    classes = list(counts.index)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.8))
    for ax, m, fmt, name in ((axes[0], counts, "{:.0f}", "counts"), (axes[1], normalised, "{:.2f}", "fraction of the true class")):
        values = m.to_numpy(dtype=float)
        shade = values / values.sum(axis=1, keepdims=True).clip(min=1e-12) if name == "counts" else values
        ax.imshow(shade, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(classes)):
            for j in range(len(classes)):
                ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", fontsize=7, color="white" if shade[i, j] > 0.6 else "black")
        ax.set(xticks=np.arange(len(classes)), yticks=np.arange(len(classes)), xlabel="predicted class", ylabel="true class", title=name)
        ax.set_xticklabels(classes, rotation=45, ha="right")
        ax.set_yticklabels(classes)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def feature_importances(per_fold: dict[str, "pd.DataFrame"], path: Path, title: str, top: int = 25) -> Path:  # noqa: F821
    """Box plot of each feature's importance across folds, one panel per importance kind."""
    kinds = [k for k, v in per_fold.items() if v is not None and len(v)]
    fig, axes = plt.subplots(1, len(kinds), figsize=(6 * len(kinds), 0.28 * top + 1.5), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        table = per_fold[kind]
        order = table.mean().sort_values(ascending=True).index[-top:]
        ax.boxplot([table[c].to_numpy() for c in order], vert=False, showfliers=False)
        ax.set_yticks(range(1, len(order) + 1))
        ax.set_yticklabels(order, fontsize=7)
        ax.set(xlabel=f"{kind} importance (spread across {len(table)} folds)", title=kind)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
