"""Field-specific absorption: how a training source would look behind more gas and dust.

Pure functions over the shared lookup tables (``tables/`` of the data directory):

* ``abs_Fcsc_<band>.csv`` - energy-flux transmission of the CSC bands for a power law of
  photon index Gamma (columns) behind nH = row x 1e21 cm^-2 (tbabs);
* ``extinction_MWbands.csv`` - ``<band>mag_cor`` = -A_band at E(B-V) (step 0.1);
* ``tbabs.data`` - the cross-sections, to recompute a band factor for any spectrum.

Extra absorption from a source's own Galactic column to the field's column multiplies X-ray
fluxes (and their errors) by T(nH_field) / T(nH_own) and adds A(E_field) - A(E_own) to
magnitudes, so a training AGN at high latitude looks as it would in the field's direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.interpolate import RegularGridInterpolator

from muwclass.errors import InputError
from muwclass.io.storage import as_path

BANDS_KEV = {"s": (0.5, 1.2), "m": (1.2, 2.0), "h": (2.0, 7.0), "b": (0.5, 7.0)}
MAG_BANDS = ("G", "BP", "RP", "J", "H", "K", "W1", "W2", "W3")
NH_TABLE_UNIT = 1e21  # cm^-2 per row step of abs_Fcsc_*
NH_GAL_UNIT = 1e20  # cm^-2: CSC gives nh_gal in 1e20 cm^-2
#: Guever & Oezel (2009): N_H = 2.21e21 A_V cm^-2, with R_V = 3.1 -> 6.86e21 E(B-V).
NH_PER_EBV = 2.21e21 * 3.1


@dataclass(frozen=True)
class AbsorptionTables:
    """The lookup tables, as interpolators on their native grids."""

    flux: dict[str, RegularGridInterpolator]  # band -> T(nH [1e21 cm^-2], Gamma)
    nh_max: float  # cm^-2, the table's upper edge
    gamma_range: tuple[float, float]
    ebv: np.ndarray
    extinction: dict[str, np.ndarray]  # magnitude band -> A_band(ebv) >= 0


def load_absorption_tables(data_dir: Path) -> AbsorptionTables:
    """Read ``tables/`` of the data directory; name the file that is missing or malformed."""
    tables = as_path(data_dir) / "tables"
    flux = {}
    for band in BANDS_KEV:
        path = tables / f"abs_Fcsc_{band}.csv"
        frame = _read(path, "nH")
        nh = frame["nH"].to_numpy(dtype=float)
        gamma = np.array([float(c) for c in frame.columns[1:]])
        values = frame.iloc[:, 1:].to_numpy(dtype=float)
        if not (np.all(np.diff(nh) > 0) and np.all(np.diff(gamma) > 0)) or np.isnan(values).any():
            raise InputError(f"{path}: nH rows and photon-index columns must increase and values be finite")
        flux[band] = RegularGridInterpolator((nh, gamma), values)
    path = tables / "extinction_MWbands.csv"
    ext = _read(path, "ebv", [f"{b}mag_cor" for b in MAG_BANDS])
    return AbsorptionTables(
        flux=flux,
        nh_max=float(nh[-1]) * NH_TABLE_UNIT,
        gamma_range=(float(gamma[0]), float(gamma[-1])),
        ebv=ext["ebv"].to_numpy(dtype=float),
        extinction={b: -ext[f"{b}mag_cor"].to_numpy(dtype=float) for b in MAG_BANDS},
    )


def _read(path: Path, first: str, needed: list[str] = ()) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"absorption table {path} does not exist")
    with as_path(path).open("rb") as source:
        frame = pd.read_csv(source)
    missing = [c for c in (first, *needed) if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing columns {missing}")
    return frame


def flux_transmission(
    tables: AbsorptionTables, band: str, nh: np.ndarray, gamma: np.ndarray | float
) -> np.ndarray:
    """Fraction of a band's unabsorbed energy flux left behind ``nh`` cm^-2 (bilinear in the table)."""
    nh = np.clip(np.nan_to_num(np.asarray(nh, dtype=float), nan=0.0), 0.0, tables.nh_max) / NH_TABLE_UNIT
    gamma = np.clip(np.asarray(gamma, dtype=float), *tables.gamma_range)
    nh, gamma = np.broadcast_arrays(nh, gamma)
    return tables.flux[band](np.column_stack([nh.ravel(), gamma.ravel()])).reshape(nh.shape)


def extinction(tables: AbsorptionTables, band: str, ebv: np.ndarray) -> np.ndarray:
    """A_band (mag) at E(B-V), linear in the table (and linear beyond its end)."""
    ebv = np.clip(np.nan_to_num(np.asarray(ebv, dtype=float), nan=0.0), 0.0, None)
    slope = tables.extinction[band][-1] / tables.ebv[-1]
    return np.where(ebv <= tables.ebv[-1], np.interp(ebv, tables.ebv, tables.extinction[band]), slope * ebv)


def nh_to_ebv(nh: np.ndarray | float, nh_per_ebv: float = NH_PER_EBV) -> np.ndarray:
    return np.asarray(nh, dtype=float) / nh_per_ebv


def tbabs_transmission(tbabs_path: Path, band: str, nh: float, gamma: float, n_energies: int = 400) -> float:
    """Band energy-flux transmission from the tbabs cross-sections (flat response).

    An independent route to the ``abs_Fcsc`` numbers: integrate E * E^-Gamma * exp(-nH sigma(E))
    over the band on a log grid, divided by the same without absorption.
    """
    grid = np.loadtxt(tbabs_path, max_rows=2)
    lo, hi = BANDS_KEV[band]
    energy = np.geomspace(lo, hi, n_energies)
    sigma = np.interp(np.log(energy), np.log(grid[0]), grid[1]) * 1e-22  # cm^2 per H atom
    weight = energy ** (1.0 - gamma) * energy  # energy flux per log-energy step
    return float(
        np.trapezoid(weight * np.exp(-nh * sigma), np.log(energy)) / np.trapezoid(weight, np.log(energy))
    )


def absorb(
    df: pd.DataFrame,
    nh_target: float | np.ndarray,
    tables: AbsorptionTables,
    gamma: float,
    nh_per_ebv: float = NH_PER_EBV,
) -> pd.DataFrame:
    """A copy of ``df`` seen through ``nh_target`` (one value, or one per row): extra column
    over each row's own ``nh_gal``, which becomes the new total (and so does ``nh``, the
    column-density feature, where the frame has it and it is known).

    Rows whose own column already exceeds the target are left as they are (absorption cannot
    be undone reliably from band fluxes). ``nh_gal`` missing = 0.
    """
    out = df.copy()
    own = out["nh_gal"].to_numpy(dtype=float) if "nh_gal" in out else np.zeros(len(out))
    own = np.nan_to_num(own, nan=0.0)
    target = np.maximum(own, nh_target)
    out["nh_gal"] = target
    if "nh" in out:  # an unknown column stays unknown: a known one for absorbed AGN only would give them away
        out["nh"] = np.where(np.isnan(out["nh"].to_numpy(dtype=float)), np.nan, target)
    for band in BANDS_KEV:
        if f"flux_{band}" not in out:
            continue
        factor = flux_transmission(tables, band, target, gamma) / flux_transmission(tables, band, own, gamma)
        out[f"flux_{band}"] = out[f"flux_{band}"] * factor
        if f"e_flux_{band}" in out:
            out[f"e_flux_{band}"] = out[f"e_flux_{band}"] * factor
    ebv_own, ebv_target = nh_to_ebv(own, nh_per_ebv), nh_to_ebv(target, nh_per_ebv)
    for band in MAG_BANDS:
        if band in out:
            out[band] = out[band] + extinction(tables, band, ebv_target) - extinction(tables, band, ebv_own)
    return out


def absorb_training_set(
    td: pd.DataFrame,
    nh_target: float,
    tables: AbsorptionTables,
    classes: list[str],
    gamma: float = 2.0,
    nh_per_ebv: float = NH_PER_EBV,
    nh_range: tuple[float, float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """The training set with only ``classes`` (extragalactic: AGN) absorbed to ``nh_target``,
    or, with ``nh_range``, each to its own column drawn log-uniformly in [lo, hi) (seeded).

    Galactic classes stay as observed: their own absorption is part of what they are, and
    they sit at every distance along the line of sight. A model used for a whole nH bin is
    trained with its AGN spread over the bin: with the column density as a feature, AGN all at
    one column would teach the trees that AGN exist at that value only.
    """
    mask = td["label"].isin(classes).to_numpy()
    out = td.copy()
    if mask.any():
        target: float | np.ndarray = nh_target
        if nh_range is not None:
            lo, hi = np.log10(nh_range[0]), np.log10(nh_range[1])
            target = 10 ** np.random.default_rng(seed).uniform(lo, hi, int(mask.sum()))
        absorbed = absorb(td.loc[mask], target, tables, gamma, nh_per_ebv)
        for column in ("nh_gal", "nh"):
            if column in absorbed:
                out[column] = out[column].astype(float)
        out.loc[mask] = absorbed
    return out
