"""Both shared training sets in one internal schema (the names of :mod:`muwclass.config.schema`).

``TD_Yang2022.csv`` (the paper's table) and ``CSC_TD_11042023_MW.csv`` (raw CSC names, no
broad band) differ in column names and content; features and models only ever see the
internal names, so either file (or a user's table in either format) trains the same code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from muwclass.classification.absorption import NH_GAL_UNIT
from muwclass.classification.classes import apply_scheme
from muwclass.errors import InputError
from muwclass.io.storage import as_path

MAGS = ("G", "BP", "RP", "J", "H", "K", "W1", "W2", "W3")

#: format name -> (columns that identify it, internal name -> file column)
FORMATS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "yang2022": (
        ("CSCv2_name", "Fb"),
        {
            "source_id": "CSCv2_name",
            "ra": "CSCv2_RA",
            "dec": "CSCv2_DEC",
            "pos_err": "CSCv2_PU",
            "significance": "CSCv2_S/N",
            **{f"flux_{b}": f"F{b}" for b in "smhb"},
            **{f"e_flux_{b}": f"e_F{b}" for b in "smhb"},
            "var_intra_prob": "P_intra",
            "var_inter_prob": "P_inter",
            **{m: f"{m}mag" for m in MAGS},
            **{f"e_{m}": f"e_{m}mag" for m in MAGS},
            "parallax": "Plx",
            "e_parallax": "e_Plx",
            "pm": "PM",
            "rgeo": "rgeo",
            "label": "True_Class",
        },
    ),
    "csc2023": (
        ("name", "Fcsc_s"),
        {
            "source_id": "name",
            "ra": "ra",
            "dec": "dec",
            "significance": "significance",
            **{f"flux_{b}": f"Fcsc_{b}" for b in "smh"},
            **{f"e_flux_{b}": f"e_Fcsc_{b}" for b in "smh"},
            "var_intra_prob": "var_intra_prob",
            "var_inter_prob": "var_inter_prob",
            "powlaw_gamma": "powlaw_gamma_mean",
            **{m: f"{m}mag" for m in MAGS},
            **{f"e_{m}": f"e_{m}mag" for m in MAGS},
            "parallax_over_error": "RPlx",
            "pm": "PM",
            "rgeo": "rgeo",
            "ruwe": "ruwe",
            "label": "Class",
        },
    ),
}


def detect_format(columns: list[str], source: str) -> str:
    for name, (marker, _) in FORMATS.items():
        if set(marker) <= set(columns):
            return name
    wanted = "; ".join(f"{n}: {list(m)}" for n, (m, _) in FORMATS.items())
    raise InputError(f"{source}: not a known training-set format (needs the columns of one of {wanted})")


def to_internal(raw: pd.DataFrame, source: str, require_label: bool = True) -> pd.DataFrame:
    """Rename a table in either shared format to internal names; derive what one format lacks."""
    fmt = detect_format(list(raw.columns), source)
    mapping = FORMATS[fmt][1]
    missing = [c for k, c in mapping.items() if c not in raw.columns and (k != "label" or require_label)]
    if missing:
        raise InputError(f"{source}: {fmt}-format table lacks columns {missing}")
    df = pd.DataFrame({k: raw[c] for k, c in mapping.items() if c in raw.columns})
    for col in df.columns:
        if col not in ("source_id", "label"):
            df[col] = pd.to_numeric(df[col], errors="coerce")
    df["source_id"] = df["source_id"].astype("string")
    if "flux_b" not in df:  # csc2023 has no broad band: 0.5-7 keV = soft + medium + hard
        df["flux_b"] = df[["flux_s", "flux_m", "flux_h"]].sum(axis=1, min_count=3)
        df["e_flux_b"] = np.sqrt((df[["e_flux_s", "e_flux_m", "e_flux_h"]] ** 2).sum(axis=1, min_count=3))
    if "parallax_over_error" not in df and "parallax" in df:
        df["parallax_over_error"] = df["parallax"] / df["e_parallax"].where(df["e_parallax"] > 0)
    df.attrs["format"] = fmt
    return df


def load_training_set(path: Path, scheme: str = "default") -> pd.DataFrame:
    """The training set at ``path`` in internal names, ``label`` mapped by the class scheme."""
    path = as_path(path)
    if not path.is_file():
        raise InputError(f"training set {path} does not exist")
    try:
        with path.open("rb") as source:
            raw = pd.read_csv(source, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as CSV ({exc})") from None
    if raw.empty:
        raise InputError(f"{path}: no rows")
    df = to_internal(raw, str(path))
    labels, keep = apply_scheme(df["label"], scheme, str(path))
    df = df.loc[keep].reset_index(drop=True)
    df["label"] = labels
    return df


def attach_galactic_nh(td: pd.DataFrame, path: Path | None) -> pd.DataFrame:
    """Add ``nh_gal`` (cm^-2) to training sources from a CSC table with ``name`` and ``nh_gal``.

    CSC gives nh_gal in 1e20 cm^-2. Sources absent from the table get NaN, which the
    absorption correction treats as no own absorption.
    """
    out = td.copy()
    if path is None:
        out["nh_gal"] = np.nan
        return out
    path = as_path(path)
    if not path.is_file():
        raise InputError(f"training_nh table {path} does not exist")
    with path.open("rb") as source:
        csc = pd.read_csv(source, usecols=lambda c: c in ("name", "nh_gal"), low_memory=False)
    if not {"name", "nh_gal"} <= set(csc.columns):
        raise InputError(f"{path}: needs columns name and nh_gal")
    nh = (
        csc.assign(name=csc["name"].astype("string").str.strip())
        .drop_duplicates("name")
        .set_index("name")["nh_gal"]
    )
    out["nh_gal"] = out["source_id"].str.strip().map(nh).astype(float).to_numpy() * NH_GAL_UNIT
    return out
