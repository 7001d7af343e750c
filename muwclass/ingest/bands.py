"""X-ray band conversion (e.g. 3XMM EPIC bands -> CSC soft/medium/hard/broad).

The classifier is trained on CSC band fluxes. Another mission's band fluxes are
redistributed under a power-law spectrum: each native band contributes the fraction of its
energy flux that falls inside the target band, and any part of the target band no native
band covers is extrapolated with the same power law.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from muwclass.config.catalog_definition import BandConversion


def powerlaw_energy_flux(e1: float, e2: float, photon_index: float) -> float:
    """Integral of E * E**-Gamma dE from e1 to e2 (arbitrary normalisation)."""
    if e2 <= e1:
        return 0.0
    k = 2.0 - photon_index
    if abs(k) < 1e-9:
        return float(np.log(e2 / e1))
    return float((e2**k - e1**k) / k)


def band_weights(
    source_bands: dict[str, tuple[float, float]],
    target: tuple[float, float],
    photon_index: float,
) -> dict[str, float]:
    """Weight of each native band flux in one target band flux."""
    t1, t2 = target
    covered = 0.0
    weights: dict[str, float] = {}
    for name, (s1, s2) in source_bands.items():
        lo, hi = max(s1, t1), min(s2, t2)
        part = powerlaw_energy_flux(lo, hi, photon_index)
        if part > 0:
            weights[name] = part / powerlaw_energy_flux(s1, s2, photon_index)
            covered += part
    if not weights:
        raise ValueError(f"no native band overlaps the target band {target} keV")
    # Non-overlapping native bands assumed; extrapolate the uncovered part of the target.
    merged = _union_length(source_bands.values(), target, photon_index)
    total = powerlaw_energy_flux(t1, t2, photon_index)
    scale = total / merged if merged > 0 else 1.0
    return {k: w * scale for k, w in weights.items()}


def _union_length(bands, target, photon_index) -> float:
    t1, t2 = target
    pieces = sorted((max(a, t1), min(b, t2)) for a, b in bands if min(b, t2) > max(a, t1))
    total, cur_lo, cur_hi = 0.0, None, None
    for lo, hi in pieces:
        if cur_hi is None or lo > cur_hi:
            if cur_hi is not None:
                total += powerlaw_energy_flux(cur_lo, cur_hi, photon_index)
            cur_lo, cur_hi = lo, hi
        else:
            cur_hi = max(cur_hi, hi)
    if cur_hi is not None:
        total += powerlaw_energy_flux(cur_lo, cur_hi, photon_index)
    return total


def convert_band_fluxes(
    frame: pd.DataFrame, conv: BandConversion
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """CSC-band fluxes and errors (``flux_s``, ``e_flux_s`` ...) from native band columns."""
    n = len(frame)
    values: dict[str, np.ndarray] = {}
    bad = np.zeros(n, bool)
    for col in list(conv.source_bands) + list(conv.source_errors.values()):
        v = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        present = (
            frame[col].notna().to_numpy()
            & (frame[col].astype("string").str.strip() != "").fillna(False).to_numpy()
        )
        bad |= np.isnan(v) & present
        values[col] = v
    out: dict[str, np.ndarray] = {}
    for target, rng in conv.target_bands.items():
        w = band_weights(conv.source_bands, tuple(rng), conv.photon_index)
        flux = np.zeros(n)
        var = np.zeros(n)
        for name, weight in w.items():
            flux = flux + weight * values[name]
            err_col = conv.source_errors.get(name)
            if err_col:
                var = var + (weight * values[err_col]) ** 2
        out[f"flux_{target}"] = flux
        out[f"e_flux_{target}"] = np.sqrt(var) if conv.source_errors else np.full(n, np.nan)
    return out, bad
