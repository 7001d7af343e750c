"""Classes and properties of synthetic X-ray sources, drawn from the real training set.

Each synthetic source copies a random training source of its class (fluxes, variability,
magnitudes, which counterparts exist) with noise, so the synthetic sky has the feature
distributions, and the missing-counterpart patterns, of the real one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CLASSES = ("AGN", "YSO", "LM-STAR", "HM-STAR", "NS", "CV", "LMXB", "HMXB")
# Class mix inside the Galactic plane (|b| < 10) and away from it.
MIX_PLANE = {"AGN": 0.20, "YSO": 0.20, "LM-STAR": 0.35, "HM-STAR": 0.08, "NS": 0.04, "CV": 0.07, "LMXB": 0.03, "HMXB": 0.03}
MIX_HIGH = {"AGN": 0.75, "YSO": 0.03, "LM-STAR": 0.15, "HM-STAR": 0.01, "NS": 0.02, "CV": 0.03, "LMXB": 0.005, "HMXB": 0.005}

FLUX_COLS = ("Fs", "Fm", "Fh", "Fb")
MAG_COLS = ("Gmag", "BPmag", "RPmag", "Jmag", "Hmag", "Kmag", "W1mag", "W2mag", "W3mag")


def load_training(data_dir: Path) -> pd.DataFrame:
    path = data_dir / "td" / "TD_Yang2022.csv"
    if not path.is_file():
        raise FileNotFoundError(f"synthetic sky needs the training set {path}")
    td = pd.read_csv(path)
    return td[td["True_Class"].isin(CLASSES)].reset_index(drop=True)


def draw_sources(rng: np.random.Generator, td: pd.DataFrame, in_plane: np.ndarray) -> pd.DataFrame:
    """One row per source: class and noisy copies of a training source's properties."""
    n = len(in_plane)
    classes = np.empty(n, dtype=object)
    for mask, mix in ((in_plane, MIX_PLANE), (~in_plane, MIX_HIGH)):
        p = np.array(list(mix.values()))
        classes[mask] = rng.choice(list(mix), size=int(mask.sum()), p=p / p.sum())
    by_class = {c: np.flatnonzero(td["True_Class"].to_numpy() == c) for c in CLASSES}
    pick = np.empty(n, dtype=np.int64)
    for c in CLASSES:
        m = classes == c
        pick[m] = rng.choice(by_class[c], size=int(m.sum()))
    src = td.iloc[pick].reset_index(drop=True)
    out = pd.DataFrame({"Class": classes})
    scale = 10 ** rng.normal(0, 0.1, n)
    for c in FLUX_COLS:
        out[c] = src[c].to_numpy() * scale * 10 ** rng.normal(0, 0.05, n)
        out[f"e_{c}"] = src[f"e_{c}"].to_numpy() * scale
    for c in MAG_COLS:
        out[c] = src[c].to_numpy() + rng.normal(0, 0.05, n)
        out[f"e_{c}"] = src[f"e_{c}"].to_numpy()
    out["P_intra"] = src["P_intra"].to_numpy()
    out["P_inter"] = src["P_inter"].to_numpy()
    out["snr"] = np.clip(src["CSCv2_S/N"].to_numpy() * 10 ** rng.normal(0, 0.1, n), 1.0, None)
    return out
