"""What changed between two releases, and why (``muwclass diff VERSION_A VERSION_B``).

Sources are matched by their X-ray identifier. A source is listed when it is new, removed,
changed class, crossed the confidence threshold CT = 2 (either way), or changed its Gaia
counterpart; each listed source carries the reasons that its inputs give: a new or changed
flux, a moved position, a new counterpart or new optical/IR photometry, or, when none of its
inputs changed, the model (a retrained family or other draws). Only columns both releases
hold are compared, so releases of different versions of the code can be diffed.

Writes ``diff.parquet`` and ``diff.csv`` (one row per listed source: the change kinds, the
reasons, class, probability and CT before and after) and ``summary.json`` (counts per kind and
the class transitions) to ``<work_dir>/diffs/<A>..<B>/``, published atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from muwclass.classification.confidence import CONFIDENT_CT
from muwclass.config.run import RunConfig
from muwclass.errors import ReleaseError
from muwclass.io.atomic import current, latest_version, partial_dir, publish
from muwclass.io.products import check_name, check_output_directory, is_product
from muwclass.io.storage import is_object_store, location
from muwclass.io.writers import write_table
from muwclass.runtime.progress import console

#: change kinds, in the order they are listed
KINDS = ("new", "removed", "class", "confidence", "counterpart")
#: a source moved when its position changed by more than this (arcsec)
MOVED_ARCSEC = 0.1
#: a measured value changed when it differs by more than this fraction
RELATIVE = 1e-6
FLUX_COLUMNS = ("flux_b", "flux_s", "flux_m", "flux_h", "significance")
PHOTOMETRY_COLUMNS = ("G", "BP", "RP", "J", "H", "K", "W1", "W2", "W3")
VARIABILITY_COLUMNS = ("var_intra_prob", "var_inter_prob")
KEPT = ("Class", "Class_prob", "CT")


def read_release(path: Path) -> pd.DataFrame:
    """The classified table of a release, from its HATS catalog (``lsdb.read_hats``)."""
    import lsdb

    frame = pd.DataFrame(lsdb.read_hats(current(path) / "hats").compute()).reset_index()
    return frame.drop(columns=[c for c in ("_healpix_29", "index") if c in frame])


def counterpart_columns(columns) -> list[str]:
    """The identifier columns of the chosen MW counterparts (``gaia_source_id``, ...)."""
    return sorted(c for c in columns if c.endswith("_source_id") and c != "source_id" and "_alt_" not in c)


def release_diff(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """One row per source that is new, removed or changed (see the module text)."""
    for name, frame in (("first", old), ("second", new)):
        repeated = frame["source_id"].duplicated()
        if repeated.any():
            raise ReleaseError(
                f"the {name} release repeats source_id {frame.loc[repeated, 'source_id'].iloc[0]!r}"
            )
    both = old.merge(new, on="source_id", how="outer", suffixes=("_a", "_b"), indicator=True)
    in_a, in_b = both["_merge"] != "right_only", both["_merge"] != "left_only"
    common = in_a & in_b
    kinds = {k: np.zeros(len(both), dtype=bool) for k in KINDS}
    kinds["new"] = (~in_a).to_numpy()
    kinds["removed"] = (~in_b).to_numpy()
    kinds["class"] = (common & (both["Class_a"].astype(str) != both["Class_b"].astype(str))).to_numpy()
    confident_a = pd.to_numeric(both["CT_a"], errors="coerce") >= CONFIDENT_CT
    confident_b = pd.to_numeric(both["CT_b"], errors="coerce") >= CONFIDENT_CT
    kinds["confidence"] = (common & (confident_a != confident_b)).to_numpy()
    ids = [c for c in counterpart_columns(old.columns) if c in new.columns]
    new_counterpart = np.zeros(len(both), dtype=bool)
    for c in ids:
        new_counterpart |= _differs_text(both[f"{c}_a"], both[f"{c}_b"])
    kinds["counterpart"] = (common & new_counterpart).to_numpy()

    reasons = {
        "new flux": _changed(both, [c for c in FLUX_COLUMNS if c in old and c in new]),
        "new variability": _changed(both, [c for c in VARIABILITY_COLUMNS if c in old and c in new]),
        "new position": _moved(both),
        "new counterpart": new_counterpart,
        "new photometry": _changed(both, [c for c in PHOTOMETRY_COLUMNS if c in old and c in new]),
    }
    listed = np.any(list(kinds.values()), axis=0)
    out = pd.DataFrame({"source_id": both["source_id"]})
    out["ra"] = both["ra_b"].where(in_b, both["ra_a"]) if "ra_a" in both else np.nan
    out["dec"] = both["dec_b"].where(in_b, both["dec_a"]) if "dec_a" in both else np.nan
    out["change"] = _join({k: v for k, v in kinds.items()}, len(both))
    why = _join(reasons, len(both))
    why = np.where(kinds["new"], "new source", np.where(kinds["removed"], "not in the second release", why))
    out["reason"] = np.where(why == "", "model (no input changed)", why)
    for c in KEPT:
        out[f"{c}_a"] = both[f"{c}_a"]
        out[f"{c}_b"] = both[f"{c}_b"]
    return out.loc[listed].sort_values("source_id").reset_index(drop=True)


def summarize(diff: pd.DataFrame) -> dict:
    """Counts per change kind and per class transition (the terminal summary and summary.json)."""
    counts = {k: int(diff["change"].str.split(";").apply(lambda parts, k=k: k in parts).sum()) for k in KINDS}
    moved = diff[diff["change"].str.contains("class")]
    transitions = (
        moved.groupby(["Class_a", "Class_b"]).size().sort_values(ascending=False)
        if len(moved)
        else pd.Series(dtype=int)
    )
    return {
        "listed": len(diff),
        "changes": counts,
        "class_transitions": {f"{a} -> {b}": int(n) for (a, b), n in transitions.items()},
    }


def run_diff(
    cfg: RunConfig, version_a: str, version_b: str, out: Path | None = None, progress: bool = True
) -> Path:
    """Compare releases ``version_a`` and ``version_b`` (names under the release directory,
    or ``latest``); write the diff; return its directory."""
    paths = [find_release(cfg.layout.releases, v) for v in (version_a, version_b)]
    names = [p.name for p in paths]
    final = location(out, cfg.storage_options) if out else cfg.layout.diffs / f"{names[0]}..{names[1]}"
    check_output_directory(final, "diff", "--out")
    with console.status(f"reading releases {names[0]} and {names[1]}"):
        old, new = (read_release(p) for p in paths)
    diff = release_diff(old, new)
    summary = {"first": names[0], "second": names[1], "rows": [len(old), len(new)], **summarize(diff)}
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_dir(final)
    diff.to_parquet(partial / "diff.parquet", index=False)
    write_table(diff, partial / "diff.csv")
    (partial / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    publish(partial, final, "diff")
    print_summary(summary, final)
    return final


def find_release(root: Path, version: str) -> Path:
    """The directory of release ``version`` (or ``latest``) under ``root``, checked to be a
    release (its content is :func:`muwclass.io.atomic.current` of it)."""
    if is_object_store(root):
        name = latest_version(root) if version == "latest" else check_name(version, "release version")
        path = root / name if name else None
        if path is None or not is_product(path, "release"):
            raise ReleaseError(f"no release {version!r} in {root}")
        return path
    path = root / check_name(version, "release version")
    if not path.is_dir():
        known = (
            sorted(
                p.name
                for p in root.iterdir()
                if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
            )
            if root.is_dir()
            else []
        )
        raise ReleaseError(f"no release {version!r} in {root} (releases: {', '.join(known) or 'none'})")
    path = path.resolve()
    if not is_product(path, "release"):
        raise ReleaseError(f"{path} is not a muwclass release (no marker, no manifest.json)")
    return path


def _changed(both: pd.DataFrame, columns: list[str]) -> np.ndarray:
    out = np.zeros(len(both), dtype=bool)
    for c in columns:
        a = pd.to_numeric(both[f"{c}_a"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        b = pd.to_numeric(both[f"{c}_b"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            moved = np.abs(a - b) > RELATIVE * np.maximum(np.abs(a), np.abs(b))
        out |= moved | (np.isnan(a) != np.isnan(b))
    return out & both["_merge"].eq("both").to_numpy()


def _moved(both: pd.DataFrame) -> np.ndarray:
    if not {"ra_a", "ra_b", "dec_a", "dec_b"} <= set(both.columns):
        return np.zeros(len(both), dtype=bool)
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    a, b = (
        SkyCoord(
            both[f"ra_{s}"].to_numpy(dtype=float) * u.deg, both[f"dec_{s}"].to_numpy(dtype=float) * u.deg
        )
        for s in ("a", "b")
    )
    return np.nan_to_num(a.separation(b).arcsec, nan=0.0) > MOVED_ARCSEC


def _differs_text(a: pd.Series, b: pd.Series) -> np.ndarray:
    a, b = a.astype("string").str.strip(), b.astype("string").str.strip()
    return ((a != b) | (a.isna() != b.isna())).fillna(False).to_numpy(dtype=bool)


def _join(flags: dict[str, np.ndarray], n: int) -> np.ndarray:
    """';'-joined names of the flags set in each row ('' where none)."""
    out = np.full(n, "", dtype=object)
    for name, flag in flags.items():
        flag = np.asarray(flag, dtype=bool)
        out[flag] = np.where(out[flag] == "", name, out[flag] + ";" + name)
    return out


def print_summary(summary: dict, where: Path) -> None:
    """The counts per change and the commonest class transitions, as a table in the terminal."""
    from rich.table import Table

    table = Table(
        title=f"{summary['first']} -> {summary['second']}: {summary['listed']} sources listed ({where})"
    )
    table.add_column("change")
    table.add_column("sources", justify="right")
    for kind, n in summary["changes"].items():
        table.add_row(kind, str(n))
    console.print(table)
    top = list(summary["class_transitions"].items())[:10]
    if top:
        console.print("class transitions: " + ", ".join(f"{t} ({n})" for t, n in top))
