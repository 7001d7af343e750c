"""Figures users look at, written as PNG files (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

if TYPE_CHECKING:
    import pandas as pd


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


def reliability_grid(curves: dict[str, dict], path: Path, title: str, xlabel: str, ylabel: str) -> Path:
    """One small reliability panel per curve (e.g. per class; its ``members`` in the title),
    marker area growing with the square root of the sources in the bin."""
    n = len(curves)
    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(2.6 * cols, 2.6 * rows), sharex=True, sharey=True, squeeze=False
    )
    for ax, (name, r) in zip(axes.flat, curves.items(), strict=False):
        ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
        ax.plot(r["mean_p"], r["true_fraction"], color="tab:blue", lw=1)
        area = [6 + 40 * (c / max(r["count"])) ** 0.5 for c in r["count"]]
        ax.scatter(r["mean_p"], r["true_fraction"], s=area, zorder=3)
        ax.set(xlim=(0, 1), ylim=(0, 1), title=f"{name} ({r['members']})" if "members" in r else name)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    return _save(fig, path, title)


def threshold_curves(curves: dict[str, dict], path: Path, title: str) -> Path:
    """Completeness and false-match rate against the p_any threshold."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, c in curves.items():
        line = ax.plot(c["threshold"], c["completeness"], label=f"{name} completeness")[0]
        ax.plot(
            c["threshold"], c["false_rate"], ls="--", color=line.get_color(), label=f"{name} false-match rate"
        )
    ax.set(xlabel="p_any threshold", ylabel="fraction", ylim=(0, 1.02), title=title)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def confusion_matrices(counts: pd.DataFrame, normalised: pd.DataFrame, path: Path, title: str) -> Path:
    """Counts and row-normalised confusion matrices side by side, as in Yang et al. (2022)."""
    import numpy as np

    classes = list(counts.index)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.8))
    for ax, m, fmt, name in (
        (axes[0], counts, "{:.0f}", "counts"),
        (axes[1], normalised, "{:.2f}", "fraction of the true class"),
    ):
        values = m.to_numpy(dtype=float)
        shade = values / values.sum(axis=1, keepdims=True).clip(min=1e-12) if name == "counts" else values
        ax.imshow(shade, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(classes)):
            for j in range(len(classes)):
                ax.text(
                    j,
                    i,
                    fmt.format(values[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if shade[i, j] > 0.6 else "black",
                )
        ax.set(
            xticks=np.arange(len(classes)),
            yticks=np.arange(len(classes)),
            xlabel="predicted class",
            ylabel="true class",
            title=name,
        )
        ax.set_xticklabels(classes, rotation=45, ha="right")
        ax.set_yticklabels(classes)
    return _save(fig, path, title)


def feature_importances(per_fold: dict[str, pd.DataFrame], path: Path, title: str, top: int = 25) -> Path:
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


def class_counts(classified: pd.DataFrame, path: Path) -> Path:
    """Bar chart of sources per class, confident ones highlighted."""
    counts = classified.groupby("Class").agg(
        all=("Class", "size"), confident=("confident", lambda s: int(s.fillna(False).astype(bool).sum()))
    )
    fig, ax = plt.subplots(figsize=(7, 4))
    x = range(len(counts))
    ax.bar(x, counts["all"], color="0.75", label="all")
    ax.bar(x, counts["confident"], color="tab:blue", label="confident (CT >= 2)")
    ax.set_xticks(list(x), counts.index, rotation=30)
    ax.set_yscale("log")
    return _save_counts(fig, ax, path)


def galactic_sky_map(classified: pd.DataFrame, path: Path) -> Path:
    """Aitoff map in Galactic coordinates of the confidently classified sources, by class."""
    import numpy as np
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    confident = classified[classified["confident"].fillna(False).astype(bool)]
    fig = plt.figure(figsize=(9, 5))
    ax = fig.add_subplot(111, projection="aitoff")
    for cls, g in confident.groupby("Class"):
        gal = SkyCoord(g["ra"].to_numpy() * u.deg, g["dec"].to_numpy() * u.deg).galactic
        lon = -np.radians(gal.l.wrap_at(180 * u.deg).deg)  # longitude increasing to the left
        ax.scatter(lon, np.radians(gal.b.deg), s=6, label=f"{cls} ({len(g)})")
    ax.set_xticks(np.radians([-150, -120, -90, -60, -30, 0, 30, 60, 90, 120, 150]))
    ax.set_xticklabels(["150", "120", "90", "60", "30", "0", "330", "300", "270", "240", "210"])
    ax.grid(True, alpha=0.3)
    ax.set_title(
        f"confident classifications (CT >= 2): {len(confident)} of {len(classified)}, Galactic", pad=20
    )
    ax.legend(loc="lower right", fontsize=7, markerscale=2, bbox_to_anchor=(1.12, -0.05))
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def ct_distribution(classified: pd.DataFrame, path: Path) -> Path:
    """Histogram of the classification confidence CT, the CT = 2 threshold marked."""
    import numpy as np

    ct = classified["CT"].astype(float).replace(np.inf, np.nan).dropna()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(np.log10(ct.clip(lower=1e-3)), bins=50, color="tab:blue")
    ax.axvline(np.log10(2.0), color="k", ls="--", label="CT = 2")
    ax.set_xlabel("log10 CT")
    return _save_counts(fig, ax, path)


def _save_counts(fig, ax, path: Path) -> Path:
    ax.set_ylabel("sources")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _save(fig, path: Path, title: str, dpi: int = 120) -> Path:
    """Title the figure, write it as PNG and free it."""
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def changes_sky_map(diff: pd.DataFrame, path: Path, title: str) -> Path:
    """RA/Dec of the sources an update changed, one colour per kind of change (a source with
    several kinds is drawn under the first: new, class, confidence, counterpart)."""
    import numpy as np

    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    first = diff["change"].astype(str).str.split(";").str[0]
    for kind, marker in (
        ("new", "*"),
        ("class", "o"),
        ("confidence", "s"),
        ("counterpart", "^"),
        ("removed", "x"),
    ):
        g = diff[first == kind]
        if len(g):
            ax.scatter(g["ra"], g["dec"], s=28, marker=marker, label=f"{kind} ({len(g)})")
    if len(diff):
        dec = np.radians(float(np.nanmedian(diff["dec"])))
        ax.set_aspect(1.0 / max(np.cos(dec), 0.05))
    ax.invert_xaxis()  # east to the left, as on the sky
    ax.set(xlabel="RA (deg)", ylabel="Dec (deg)")
    ax.grid(True, alpha=0.3)
    if len(diff):
        ax.legend(fontsize=8)
    return _save(fig, path, title, dpi=110)


def scaling_plot(runs: list[dict], stages: tuple[str, ...], path: Path, title: str, targets: dict) -> Path:
    """How a chain's cost grows with the sky: per stage, the wall time per X-ray source (flat
    is linear growth) and the peak RSS, and the whole chain's minutes, against the scale
    (``runs``: one dict per scale with ``scale``, ``xray_sources``, ``chain_seconds``,
    ``peak_rss_gib`` and ``stages[stage]['seconds' | 'peak_rss_gib']``)."""
    scales = [r["scale"] for r in runs]
    fig, (per_source, memory, chain) = plt.subplots(1, 3, figsize=(14, 4.4))
    for s in stages:
        per_source.plot(
            scales,
            [1e6 * r["stages"][s]["seconds"] / r["xray_sources"] for r in runs],
            marker="o",
            label=s,
        )
        memory.plot(scales, [r["stages"][s]["peak_rss_gib"] for r in runs], marker="o", label=s)
    per_source.set(xlabel="scale", ylabel="wall time per X-ray source (µs)", title="time per source")
    per_source.set_ylim(bottom=0)
    memory.axhline(targets["peak_rss_gib_max"], color="grey", ls="--", lw=1, label="limit")
    memory.set(xlabel="scale", ylabel="peak RSS during the stage (GiB)", title="memory", ylim=(0, None))
    chain.plot(scales, [r["chain_seconds"] / 60 for r in runs], marker="o", color="black", label="chain")
    chain.axhline(targets["chain_minutes_max"], color="grey", ls="--", lw=1, label="target at 1.0")
    for r in runs:
        chain.annotate(f"{r['xray_sources']:,}", (r["scale"], r["chain_seconds"] / 60), fontsize=7)
    chain.set(xlabel="scale", ylabel="minutes", title="whole chain (X-ray sources marked)", ylim=(0, None))
    for ax in (per_source, memory, chain):
        ax.legend(fontsize=7)
    return _save(fig, path, title)
