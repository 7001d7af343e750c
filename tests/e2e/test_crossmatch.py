"""`muwclass crossmatch` on the real engines: real training-set counterparts and synthetic truth."""

from __future__ import annotations

import lsdb
import numpy as np
import pandas as pd

from muwclass.config.run import load_run_config
from muwclass.crossmatch.run_crossmatch import run_crossmatch as crossmatch
from muwclass.crossmatch.validation import photometry_recovery
from muwclass.ingest.run_import import run_import as import_catalogs
from muwclass.synth import generate_sky


def test_real_training_sources_recover_published_gaia_counterparts(write_conf, data_dir, dask_client):
    cfg = load_run_config(
        write_conf(
            {
                "csc": {"definition": "csc_master", "source": {"local": "buildtd/CSCv2_TD_ave.csv"}},
                "gaia": {"definition": "gaia_dr3", "source": {"local": "buildtd/CSCv2_TD_gaia.csv"}},
                "tmass": {"definition": "tmass", "source": {"local": "buildtd/CSCv2_TD_2mass.csv"}},
                "allwise": {"definition": "allwise", "source": {"local": "buildtd/CSCv2_TD_allwise.csv"}},
                "catwise": {"definition": "catwise", "source": {"local": "buildtd/CSCv2_TD_catwise.csv"}},
                "unwise": {"definition": "unwise", "source": {"local": "buildtd/CSCv2_TD_unwise.csv"}},
            },
            crossmatch={
                "xray": "csc",
                "targets": ["gaia", "tmass", "allwise", "catwise", "unwise"],
                "completeness": 0.75,
            },
        )
    )
    import_catalogs(cfg, dask_client, progress=False)
    report = crossmatch(cfg, dask_client, progress=False)["csc"]
    x = lsdb.read_hats(cfg.layout.xmatch("csc")).compute().set_index("source_id")
    assert report["rows"] == len(x) == 3012
    raw = (
        pd.read_csv(data_dir / "td/TD_Yang2022.csv", dtype=str)
        .drop_duplicates("CSCv2_name")
        .set_index("CSCv2_name")
    )
    g = photometry_recovery(x, raw, "Gmag", "G")
    assert g["with_value"] > 2000 and g["fraction"] >= 0.99  # measured 0.9991 (2 of 2215 differ)
    with_g = raw.index[pd.to_numeric(raw["Gmag"], errors="coerce").notna()].intersection(x.index)
    assert x.loc[with_g, "gaia_p_any"].median() > 0.9
    # TD_Yang2022 prints magnitudes to the precision of their errors (16.9 +- 0.1):
    # photometry_recovery compares after rounding ours the same way.
    assert photometry_recovery(x, raw, "Jmag", "J")["fraction"] >= 0.99  # measured 0.998
    # WISE: AllWISE where its counterpart is accepted, else CatWISE, else unWISE (MUWCLASS)
    w1 = photometry_recovery(x, raw, "W1mag", "W1")
    assert w1["fraction"] >= 0.95, w1["mismatches"].head(10)  # measured 0.979 (46 of 2227 differ)
    assert set(x["wise_from"].dropna()) == {"allwise", "catwise", "unwise"}
    cands = lsdb.read_hats(cfg.layout.xmatch_candidates("csc", "gaia")).compute()
    assert {"source_id", "source_id_gaia", "_post", "_p_any", "_p_i", "_n_cand"} <= set(cands.columns)
    assert len(cands) >= x["gaia_source_id"].notna().sum()


def test_synthetic_truth_completeness_and_false_matches(tmp_path, write_conf, data_dir, dask_client):
    work = tmp_path / "work"
    generate_sky(work / "synth", scale=0.003, seed=11, data_dir=data_dir, progress=False)
    conf = write_conf(
        {
            "csc": {
                "definition": "csc_master",
                "source": {"local": "{synth_dir}/csc_master/*.parquet", "format": "parquet"},
            },
            "tmass": {
                "definition": "tmass",
                "source": {"local": "{synth_dir}/tmass/*.parquet", "format": "parquet"},
            },
        },
        crossmatch={"xray": "csc", "targets": ["tmass"], "completeness": 0.6},
    )
    cfg = load_run_config(conf)
    import_catalogs(cfg, dask_client, progress=False)
    crossmatch(cfg, dask_client, progress=False)
    x = lsdb.read_hats(cfg.layout.xmatch("csc")).compute().set_index("source_id")
    truth = pd.read_parquet(work / "synth" / "truth.parquet").set_index("name").loc[x.index]
    ok = x["tmass_source_id"].astype(str).to_numpy() == truth["tmass_2MASS"].astype(str).to_numpy()
    sel = (x["tmass_p_any"].fillna(0) >= 0.5).to_numpy()
    has = truth["tmass_2MASS"].notna().to_numpy()
    completeness = (sel & ok).sum() / has.sum()
    false_rate = (sel & ~ok).sum() / sel.sum()
    # Regression bounds (issue 4 targets 0.98 / 0.02; measured 0.98 / 0.02 at scale 0.01 for 2MASS)
    assert completeness >= 0.95 and false_rate <= 0.05, (completeness, false_rate)
    assert np.isfinite(x["tmass_p_i"].dropna()).all()
