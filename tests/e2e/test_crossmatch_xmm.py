"""Both X-ray catalogs of the synthetic sky crossmatched with Gaia/2MASS/WISE, each with its own
errors: every source accounted for, XMM's counterparts found as reliably as CSC's although its
larger errors bring more candidates per source, and the CSC-3XMM link table right against the
truth and the same both ways."""

from __future__ import annotations

import lsdb
import pandas as pd

from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.crossmatch.chain import crossmatch_chain
from muwclass.crossmatch.run_crossmatch import run_crossmatch
from muwclass.crossmatch.validation import against_truth
from muwclass.crossmatch.xray_link import link_config, mutual_best
from muwclass.ingest.run_import import run_import
from muwclass.io.atomic import current
from muwclass.synth.run_synth import run_synth


def test_csc_and_3xmm_crossmatched_each_with_its_own_errors(tmp_path, data_dir, dask_client):
    cfg = load_run_config(
        REPO_ROOT / "conf" / "synthetic-sky-xmm.yaml", work_dir=tmp_path / "work", data_dir=data_dir
    )
    sky = run_synth(cfg, scale=0.003, seed=8, progress=False)
    imported = {r["catalog"]: r for r in run_import(cfg, dask_client, progress=False)}
    # the native 3XMM layout, read by the real catalog definition: nothing lost or quarantined
    assert imported["xmm"]["rows_in"] == sky["rows"]["xmm"] == imported["xmm"]["imported"]
    xmm_rows = lsdb.read_hats(current(cfg.layout.catalog("xmm"))).compute()
    assert xmm_rows["source_id"].str.startswith("3XMM J").all()
    assert (xmm_rows["flux_b"] > 0).all() and (xmm_rows["flux_s"] > 0).all()  # EPIC -> CSC bands
    assert 0.005 < xmm_rows["flag_extent"].mean() < 0.08 and xmm_rows["err_maj"].median() < 3
    reports = run_crossmatch(cfg, dask_client, progress=False)
    assert list(reports) == ["csc", "xmm"]
    assert reports["xmm"]["systematic_arcsec"] == 0.0 and reports["csc"]["systematic_arcsec"] == 0.3
    found = {}
    for xray, truth_file in (("csc", "truth.parquet"), ("xmm", "xmm_truth.parquet")):
        best = lsdb.read_hats(cfg.layout.xmatch(xray)).compute().set_index("source_id")
        assert reports[xray]["rows"] == len(best) == reports[xray]["xray_rows"]
        truth = pd.read_parquet(cfg.layout.synth / truth_file).set_index("name")
        assert len(best) == len(truth)
        found[xray] = (best, truth, against_truth(best, truth, cfg.crossmatch.targets))
        assert cfg.layout.xmatch_candidates(xray, "gaia").exists()
    (csc, _, q_csc), (xmm, xmm_truth, q_xmm) = found["csc"], found["xmm"]
    # the same physical sources (XMM pointed at a Chandra field): 1-2" errors bring more candidates
    same = xmm_truth["csc_name"].dropna()
    n_xmm = xmm.loc[same.index, "gaia_n_cand"].mean()
    n_csc = csc.loc[same.to_numpy(), "gaia_n_cand"].mean()
    assert len(same) > 100 and n_xmm > 1.5 * n_csc, (n_xmm, n_csc)
    for q in (q_csc, q_xmm):
        for target in ("gaia", "allwise"):
            point = q[target]["at_p_any_0.5"]
            assert point["completeness"] > 0.85 and point["false_rate"] < 0.08, (target, point)

    # the link table: the same objects in CSC and 3XMM, each linked at most once on either side
    links = pd.read_parquet(cfg.layout.xray_links("csc", "xmm"))
    assert reports["csc"]["links"]["xmm"]["links"] == len(links)
    assert links["csc"].is_unique and links["xmm"].is_unique
    assert links["csc"].isin(csc.index).all() and links["xmm"].isin(xmm.index).all()
    confident = links.loc[links["p_match"] >= 0.5]
    right = confident["csc"].to_numpy() == same.reindex(confident["xmm"]).to_numpy()
    assert right.sum() > 0.97 * len(same) and right.mean() > 0.98, (right.sum(), len(same), right.mean())
    # and both ways: linking 3XMM to CSC finds the same pairs
    back = mutual_best(
        crossmatch_chain(
            link_config(cfg.crossmatch, "xmm", "csc"),
            lsdb.read_hats(current(cfg.layout.catalog("xmm"))),
            {"csc": lsdb.read_hats(current(cfg.layout.catalog("csc")))},
        )
        .candidates["csc"]
        .compute(),
        "xmm",
        "csc",
        0.5,
    )
    there = set(zip(confident["csc"], confident["xmm"], strict=True))
    again = set(zip(back["csc"], back["xmm"], strict=True))
    assert len(there ^ again) <= 0.02 * len(there), sorted(there ^ again)[:5]
