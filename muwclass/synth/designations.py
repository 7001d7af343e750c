"""Position-based source designations (CSC, 3XMM, 2MASS, AllWISE), built as fixed-width bytes.

Real catalogs name sources after their truncated sexagesimal position, so the synthetic ones do
too: parsers, joins and regexes meet the real formats. Characters are assembled column by column
in a (n, width) uint8 array, so millions of names cost a few vectorised integer operations.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from muwclass.synth.geometry import ARCSEC

_ZERO = ord("0")


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (_ZERO + (values[:, None] // powers) % 10).astype(np.uint8)


def _const(text: str, n: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(text.encode("ascii"), dtype=np.uint8), (n, len(text)))


def _field(units: np.ndarray, decimals: int, dots: bool, n: int) -> list[np.ndarray]:
    """Characters of a sexagesimal value given in units of 10^-decimals seconds."""
    q = 10**decimals
    whole = units // q
    parts = [_digits(whole // 3600, 2), _digits((whole // 60) % 60, 2), _digits(whole % 60, 2)]
    if decimals:
        parts += ([_const(".", n)] if dots else []) + [_digits(units % q, decimals)]
    return parts


def sexagesimal(
    ra: np.ndarray, dec: np.ndarray, prefix: str, ra_decimals: int, dec_decimals: int, dots: bool
) -> np.ndarray:
    """``prefix + HHMMSS[.s..] +/- DDMMSS[.s..]`` with truncated (not rounded) fields, bytes dtype."""
    ra, dec = np.asarray(ra, dtype=np.float64), np.asarray(dec, dtype=np.float64)
    n = len(ra)
    ra_units = np.clip(
        np.floor(ra / 15.0 * 3600.0 * 10**ra_decimals).astype(np.int64), 0, 24 * 3600 * 10**ra_decimals - 1
    )
    dec_units = np.clip(
        np.floor(np.abs(dec) * 3600.0 * 10**dec_decimals).astype(np.int64), 0, 90 * 3600 * 10**dec_decimals
    )
    sign = np.where(dec < 0, ord("-"), ord("+")).astype(np.uint8)[:, None]
    parts = [
        _const(prefix, n),
        *_field(ra_units, ra_decimals, dots, n),
        sign,
        *_field(dec_units, dec_decimals, dots, n),
    ]
    chars = np.ascontiguousarray(np.concatenate(parts, axis=1))
    return chars.view(f"S{chars.shape[1]}").ravel()


def csc(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """'2CXO JHHMMSS.s+DDMMSS' (CSC 2.x)."""
    return sexagesimal(ra, dec, "2CXO J", 1, 0, dots=True)


def tmass(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """'HHMMSSss+DDMMSSs' (2MASS PSC designation, VizieR column _2MASS)."""
    return sexagesimal(ra, dec, "", 2, 1, dots=False)


def allwise(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """'JHHMMSS.ss+DDMMSS.s' (AllWISE designation)."""
    return sexagesimal(ra, dec, "J", 2, 1, dots=True)


def xmm(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """'3XMM JHHMMSS.s+DDMMSS' (3XMM IAUNAME)."""
    return sexagesimal(ra, dec, "3XMM J", 1, 0, dots=True)


# Size of the smallest Dec step of each designation: nudging a duplicate by one step renames it.
DEC_STEP_DEG = {"csc": ARCSEC, "tmass": 0.1 * ARCSEC, "allwise": 0.1 * ARCSEC, "xmm": ARCSEC}
NAMERS = {"csc": csc, "tmass": tmass, "allwise": allwise, "xmm": xmm}


def duplicated(names: np.ndarray) -> np.ndarray:
    """True for every occurrence of a name after its first."""
    _, first = np.unique(names, return_index=True)
    dup = np.ones(len(names), bool)
    dup[first] = False
    return dup


def unique_names(kind: str, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Designations of ``kind`` made unique by nudging later duplicates one Dec step north
    (south above +89 deg); returns (names, dec) with the nudged declinations.

    Duplicates need two sources within ~0.1-1 arcsec: a handful per million rows.
    """
    dec = np.array(dec, dtype=np.float64, copy=True)
    names = NAMERS[kind](ra, dec)
    step = DEC_STEP_DEG[kind]
    for _ in range(100):
        dup = duplicated(names)
        if not dup.any():
            return names, dec
        dec[dup] += np.where(dec[dup] > 89.0, -step, step)
        names[dup] = NAMERS[kind](ra[dup], dec[dup])
    raise RuntimeError(f"could not make {kind} designations unique")


def to_arrow(names: np.ndarray) -> pa.Array:
    """Fixed-width ASCII bytes -> arrow string array (no per-row Python objects)."""
    return pa.array(names, type=pa.binary()).cast(pa.string())
