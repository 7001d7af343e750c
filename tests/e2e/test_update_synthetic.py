"""`muwclass update` on a small synthetic sky with known truth: its new observations
(re-observed fields with variable sources, fields never observed before) are matched to the
right master sources, and v1 + update equals a full run that folds them in."""

from __future__ import annotations

import json

import pandas as pd

from muwclass.config.run import load_run_config
from muwclass.crossmatch.run_crossmatch import run_crossmatch
from muwclass.ingest.run_import import run_import
from muwclass.synth.sky import generate_sky
from tests.e2e.test_update import _muwclass, _table, small_run

SKY = "synth"


def _conf(path, data_dir, work, **extra):
    sky = work / SKY
    catalogs = {
        key: {"definition": definition, "source": {"local": f"{sky}/{folder}/*.parquet", "format": "parquet"}}
        for key, definition, folder in (
            ("csc", "csc_master", "csc_master"),
            ("gaia", "gaia_dr3", "gaia"),
            ("tmass", "tmass", "tmass"),
            ("allwise", "allwise", "allwise"),
        )
    }
    # fields spread over several HEALPix pixels (the Gaia-like catalog needs 100,000 per pixel)
    return small_run(path, data_dir, work, catalogs, **{"import": {"pixel_threshold": 100000}}, **extra)


def test_synthetic_update_matches_truth_and_equals_a_full_run(tmp_path, data_dir, dask_client):
    work = tmp_path / "work"
    summary = generate_sky(
        work / SKY, scale=0.005, seed=7, data_dir=data_dir, progress=False, new_observations=4
    )
    observations = [str(work / SKY / p) for p in summary["new_observations"]]
    assert len(observations) == 4
    conf = _conf(tmp_path / "run.yaml", data_dir, work)
    cfg = load_run_config(conf)
    run_import(cfg, dask_client, progress=False)
    run_crossmatch(cfg, dask_client, progress=False)
    done = _muwclass("classify-catalog", "--conf", conf, "--release-version", "v1", "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    args = ["--definition", "csc_per_obs", "--no-astrometry", "--no-progress"]
    done = _muwclass(
        "update", "--conf", conf, "--observations", *observations, "--release-version", "v2", *args
    )
    assert done.returncode == 0, done.stderr[-3000:]
    v2 = cfg.layout.releases / "v2"
    manifest = json.loads((v2 / "manifest.json").read_text())
    assert 0 < len(manifest["update"]["pixels_recomputed"]) < manifest["update"]["pixels_total"]

    # the truth: re-observed sources go to their own master source, a new field's are new
    matches = pd.read_csv(v2 / "update_matches.csv", dtype={"detection": str})
    truth = pd.read_parquet(work / SKY / "new_observations" / "truth.parquet")
    both = matches.merge(truth, on=["obsid", "detection"], validate="one_to_one")
    assert len(both) == len(matches) == len(truth)
    seen = both.loc[~both["new_field"]]
    assert (seen["match_class"] != "new").all()
    simple = seen.loc[seen["match_class"] == "simple"]
    assert len(simple) >= 0.95 * len(seen) and (simple["master_id"] == simple["name"]).all()
    assert (both.loc[both["new_field"], "match_class"] == "new").all()
    t1, t2 = _table(cfg.layout.releases / "v1"), _table(v2)
    assert len(t2) == len(t1) + int(both["new_field"].sum())

    # a full run with the same observations (and v1's priors) gives the same release
    full = _conf(
        tmp_path / "full.yaml",
        data_dir,
        work,
        observations={
            "files": observations,
            "definition": "csc_per_obs",
            "astrometry": False,
            "priors_from_release": "v1",
        },
    )
    run_crossmatch(load_run_config(full), dask_client, progress=False)
    done = _muwclass("classify-catalog", "--conf", full, "--release-version", "full", "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    b = _table(cfg.layout.releases / "full")
    exact = [c for c in t2.columns if c != "outlier_score"]
    pd.testing.assert_frame_equal(t2[exact], b[exact])
    pd.testing.assert_series_equal(t2["outlier_score"], b["outlier_score"], rtol=1e-12)
