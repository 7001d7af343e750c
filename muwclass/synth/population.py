"""Classes and properties of synthetic X-ray sources, drawn from the real training set.

Each synthetic source copies a random training source of its class (fluxes, variability,
Gaia/2MASS/WISE magnitudes and which of them exist, parallax, proper motion) with noise, so the
synthetic sky has the feature distributions and the missing-counterpart patterns of the real
one, and a classifier trained on the real set meets familiar inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from muwclass.errors import InputError

CLASSES = ("AGN", "YSO", "LM-STAR", "HM-STAR", "NS", "CV", "LMXB", "HMXB")
# Class mix inside the Galactic plane (|b| < 10) and away from it: stars and YSOs crowd the
# plane, AGN dominate the high-latitude sky (and are still seen through the plane).
MIX_PLANE = {
    "AGN": 0.22,
    "YSO": 0.22,
    "LM-STAR": 0.30,
    "HM-STAR": 0.08,
    "NS": 0.04,
    "CV": 0.07,
    "LMXB": 0.03,
    "HMXB": 0.04,
}
MIX_HIGH = {
    "AGN": 0.78,
    "YSO": 0.03,
    "LM-STAR": 0.13,
    "HM-STAR": 0.005,
    "NS": 0.015,
    "CV": 0.03,
    "LMXB": 0.005,
    "HMXB": 0.005,
}

BANDS = ("s", "m", "h", "b")
MAGS = ("G", "BP", "RP", "J", "H", "K", "W1", "W2", "W3")
GAIA_MAGS, TMASS_MAGS, WISE_MAGS = MAGS[:3], MAGS[3:6], MAGS[6:]
FLUX_DEX, FLUX_BAND_DEX, MAG_NOISE = 0.1, 0.03, 0.05


@dataclass(frozen=True)
class TrainingSet:
    """The training table as plain arrays, plus the row indices of each class."""

    columns: dict[str, np.ndarray]
    rows_of: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.columns["Class"])


def load_training(data_dir: Path) -> TrainingSet:
    """TD_Yang2022.csv, joined to the CSC power-law index of the same sources (buildtd)."""
    path = Path(data_dir) / "td" / "TD_Yang2022.csv"
    if not path.is_file():
        raise InputError(f"synthetic sky needs the training set {path}")
    td = pd.read_csv(path)
    td = td[td["True_Class"].isin(CLASSES)].reset_index(drop=True)
    ave = Path(data_dir) / "buildtd" / "CSCv2_TD_ave.csv"
    gamma = np.full(len(td), np.nan)
    if ave.is_file():
        g = (
            pd.read_csv(ave, usecols=["name", "powlaw_gamma_mean"])
            .drop_duplicates("name")
            .set_index("name")["powlaw_gamma_mean"]
        )
        gamma = td["CSCv2_name"].map(g).to_numpy(dtype=np.float64)
    cols: dict[str, np.ndarray] = {"Class": td["True_Class"].to_numpy(dtype=object), "gamma": gamma}
    for c in (
        [f"F{b}" for b in BANDS]
        + [f"e_F{b}" for b in BANDS]
        + ["P_intra", "P_inter", "CSCv2_S/N", "Plx", "e_Plx", "PM"]
    ):
        cols[c] = td[c].to_numpy(dtype=np.float64)
    for m in MAGS:
        cols[m] = td[f"{m}mag"].to_numpy(dtype=np.float64)
        cols[f"e_{m}"] = td[f"e_{m}mag"].to_numpy(dtype=np.float64)
    rows_of = {c: np.flatnonzero(cols["Class"] == c) for c in CLASSES}
    return TrainingSet(columns=cols, rows_of=rows_of)


def draw_classes(rng: np.random.Generator, in_plane: np.ndarray) -> np.ndarray:
    """Class index (into CLASSES) of each source, from the plane or high-latitude mix."""
    p_plane = np.array([MIX_PLANE[c] for c in CLASSES])
    p_high = np.array([MIX_HIGH[c] for c in CLASSES])
    u = rng.uniform(size=len(in_plane))
    cum = np.where(in_plane[:, None], np.cumsum(p_plane / p_plane.sum()), np.cumsum(p_high / p_high.sum()))
    return np.minimum((u[:, None] > cum).sum(axis=1), len(CLASSES) - 1)


def pick_rows(rng: np.random.Generator, td: TrainingSet, class_index: np.ndarray) -> np.ndarray:
    """A random training row of each source's class (vectorised over sources)."""
    sizes = np.array([len(td.rows_of[c]) for c in CLASSES])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    flat = np.concatenate([td.rows_of[c] for c in CLASSES])
    return flat[
        starts[class_index] + (rng.uniform(size=len(class_index)) * sizes[class_index]).astype(np.int64)
    ]


def draw_sources(rng: np.random.Generator, td: TrainingSet, in_plane: np.ndarray) -> dict[str, np.ndarray]:
    """One entry per source: class, and noisy copies of a training source's properties.

    Fluxes move together by ``FLUX_DEX`` (a source a bit nearer or farther) plus a little per
    band, so X-ray colours stay those of the class; magnitudes get ``MAG_NOISE``; NaNs (no
    counterpart in that catalog, no parallax, single observation) are kept as they are.
    """
    n = len(in_plane)
    cls = draw_classes(rng, in_plane)
    row = pick_rows(rng, td, cls)
    c = td.columns
    out: dict[str, np.ndarray] = {
        "Class": np.asarray(CLASSES, dtype=object)[cls],
        "class_index": cls,
        "td_row": row,
    }
    shift = 10 ** rng.normal(0.0, FLUX_DEX, n)
    for b in BANDS:
        out[f"F{b}"] = c[f"F{b}"][row] * shift * 10 ** rng.normal(0.0, FLUX_BAND_DEX, n)
        out[f"e_F{b}"] = c[f"e_F{b}"][row] * shift
    out["snr_td"] = c["CSCv2_S/N"][row] * np.sqrt(shift)  # S/N in the training source's own observation
    out["P_intra"] = c["P_intra"][row]
    out["P_inter"] = c["P_inter"][row]
    out["gamma"] = c["gamma"][row] + rng.normal(0.0, 0.1, n)
    for m in MAGS:
        out[m] = c[m][row] + rng.normal(0.0, MAG_NOISE, n)
        out[f"e_{m}"] = c[f"e_{m}"][row]
    out["Plx"] = c["Plx"][row]
    out["e_Plx"] = c["e_Plx"][row]
    out["PM"] = c["PM"][row] * 10 ** rng.normal(0.0, 0.05, n)
    out["has_gaia"] = np.isfinite(np.column_stack([out[m] for m in GAIA_MAGS])).any(axis=1)
    out["has_tmass"] = np.isfinite(np.column_stack([out[m] for m in TMASS_MAGS])).any(axis=1)
    out["has_allwise"] = np.isfinite(np.column_stack([out[m] for m in WISE_MAGS])).any(axis=1)
    return out
