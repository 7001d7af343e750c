"""Figures users look at, written as PNG files (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def reliability_diagram(curves: dict[str, dict], path: Path, title: str) -> Path:
    """One line per catalog: observed right fraction vs mean posterior per bin."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    for name, r in curves.items():
        ax.plot(r["mean_p"], r["true_fraction"], marker="o", label=name)
    ax.set(xlabel="posterior of the chosen counterpart (bin mean)", ylabel="fraction that is the true counterpart", xlim=(0, 1), ylim=(0, 1), title=title)
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
