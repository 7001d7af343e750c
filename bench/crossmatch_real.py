"""Crossmatch validation on real data: the training sources' published counterparts.

    python -m bench.crossmatch_real

Imports ``buildtd/CSCv2_TD_ave.csv`` and the shared Gaia/2MASS/AllWISE/CatWISE/unWISE cone
searches into ``build/bench-real``, crossmatches them (``muwclass crossmatch``) and compares
the chosen counterparts' G, J and W1 with ``td/TD_Yang2022.csv`` (within 0.01 mag beyond the
training set's printed precision). Writes bench/results/crossmatch-real.json and the list of
mismatches, bench/results/crossmatch-real-mismatches.csv.
"""

from __future__ import annotations

import argparse
import json

import lsdb
import pandas as pd
import yaml

from bench.run import RESULTS
from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.crossmatch.run_crossmatch import run_crossmatch as crossmatch
from muwclass.crossmatch.validation import photometry_recovery
from muwclass.ingest.run_import import run_import as import_catalogs
from muwclass.runtime.progress import console
from muwclass.runtime.sessions import dask_client

CATALOGS = {
    "csc": ("csc_master", "buildtd/CSCv2_TD_ave.csv"),
    "gaia": ("gaia_dr3", "buildtd/CSCv2_TD_gaia.csv"),
    "tmass": ("tmass", "buildtd/CSCv2_TD_2mass.csv"),
    "allwise": ("allwise", "buildtd/CSCv2_TD_allwise.csv"),
    "catwise": ("catwise", "buildtd/CSCv2_TD_catwise.csv"),
    "unwise": ("unwise", "buildtd/CSCv2_TD_unwise.csv"),
}
BANDS = {"Gmag": "G", "Jmag": "J", "W1mag": "W1"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work-dir", default=str(REPO_ROOT / "build" / "bench-real"))
    args = p.parse_args(argv)
    base = load_run_config(REPO_ROOT / "conf" / "default.yaml")
    conf = {
        "data_dir": str(base.data_dir),
        "work_dir": args.work_dir,
        "catalogs": {k: {"definition": d, "source": {"local": f}} for k, (d, f) in CATALOGS.items()},
        "crossmatch": base.crossmatch.model_dump() | {"targets": [k for k in CATALOGS if k != "csc"]},
    }
    path = REPO_ROOT / "build" / "bench-real.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(conf))
    cfg = load_run_config(path)
    with dask_client(cfg.dask, local_directory=cfg.layout.dask) as client:
        import_catalogs(cfg, client, progress=False)
        report = crossmatch(cfg, client, progress=False)[cfg.crossmatch.main_xray]
    x = lsdb.read_hats(cfg.layout.xmatch(cfg.crossmatch.main_xray)).compute().set_index("source_id")
    td = (
        pd.read_csv(cfg.data_dir / "td" / "TD_Yang2022.csv", dtype=str)
        .drop_duplicates("CSCv2_name")
        .set_index("CSCv2_name")
    )
    summary, mismatches = {}, []
    for td_col, ours in BANDS.items():
        r = photometry_recovery(x, td, td_col, ours)
        m = r.pop("mismatches")
        if ours == "W1":
            m["wise_from"] = x.loc[m["name"], "wise_from"].to_numpy(dtype=object, na_value=None)
        mismatches.append(m.assign(band=ours))
        summary[ours] = r
    RESULTS.mkdir(parents=True, exist_ok=True)
    table = pd.concat(mismatches, ignore_index=True)
    table.to_csv(RESULTS / "crossmatch-real-mismatches.csv", index=False)
    out = RESULTS / "crossmatch-real.json"
    out.write_text(
        json.dumps(
            {
                "crossmatch_seconds": report["seconds"],
                "recovery": summary,
                "target": 0.95,
                "wise_from": x["wise_from"].value_counts().to_dict(),
            },
            indent=2,
        )
    )
    for band, r in summary.items():
        console.print(
            f"{band}: {r['recovered']} of {r['with_value']} published values recovered ({r['fraction']:.3f})"
        )
    console.print(f"written {out} and {len(table)} mismatches to crossmatch-real-mismatches.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
