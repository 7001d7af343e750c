"""HATS ingestion on a real Dask LocalCluster with hats-import; output read back by lsdb."""

from __future__ import annotations

import shutil
import time

import lsdb
import pandas as pd
import pytest

from muwclass.config.run import load_run_config
from muwclass.errors import AccountingError, ConfigError, InputError
from muwclass.ingest.run_import import run_import as run

FIELD = "fields/NGC3532"


@pytest.fixture
def field_conf(write_conf):
    return write_conf(
        {
            "csc": {
                "definition": "csc_master",
                "source": {"local": [f"{FIELD}/NGC3532_ave.csv", "fields/IC2395/IC2395_ave.csv"]},
            },
            "gaia": {
                "definition": "gaia_dr3",
                "source": {"local": [f"{FIELD}/NGC3532_gaia.csv", "fields/IC2395/IC2395_gaia.csv"]},
            },
        },
        **{
            "import": {
                "highest_healpix_order": 7,
                "pixel_threshold": 400,
                "margin_arcsec": 20.0,
                "chunk_rows": 1000,
            }
        },
    )


def test_import_real_field_reads_back_with_lsdb(field_conf, dask_client):
    cfg = load_run_config(field_conf)
    reports = {r["catalog"]: r for r in run(cfg, dask_client, progress=False)}
    csc = lsdb.read_hats(cfg.layout.catalog("csc"))
    got = csc.compute()
    # IC2395_ave.csv lists each of its 100 sources twice (usrid 1 and 2): merged, not lost.
    assert len(got) == reports["csc"]["imported"] == 373 + 100
    assert reports["csc"]["merged_duplicates"] == 100
    assert (
        reports["csc"]["rows_in"]
        == reports["csc"]["imported"] + reports["csc"]["quarantined"] + reports["csc"]["merged_duplicates"]
    )
    assert set(got["source_id"]).issuperset({"2CXO J110507.4-585105"})
    assert (
        csc.get_healpix_pixels() and len(csc.get_healpix_pixels()) > 1
    )  # pixel_threshold=100 splits the sky
    gaia = lsdb.read_hats(cfg.layout.catalog("gaia"))
    assert gaia.margin is not None  # MW catalogs get a margin cache for crossmatching
    g = gaia.compute()
    # One Gaia star is the nearest candidate of two NGC3532 sources; IC2395 repeats as above.
    assert len(g) == reports["gaia"]["imported"] == 372 + 100
    assert g["source_id"].is_unique
    assert g["err_maj"].max() < 0.1 and g["err_maj"].median() < 0.001  # Gaia errors: mas, stored in arcsec
    cands = pd.read_parquet(cfg.layout.candidates("gaia"))
    assert (cands.groupby("xray_id")["rank"].min() == 0).all()


def test_rerun_with_unchanged_inputs_does_no_work(field_conf, dask_client, tmp_path):
    cfg = load_run_config(field_conf)
    first = run(cfg, dask_client, progress=False)
    mtime = (cfg.layout.catalog("csc") / "collection.properties").stat().st_mtime
    t0 = time.perf_counter()
    second = run(cfg, dask_client, progress=False)
    assert all(r["skipped"] for r in second)
    assert time.perf_counter() - t0 < 5
    assert (cfg.layout.catalog("csc") / "collection.properties").stat().st_mtime == mtime
    assert [r["hash"] for r in first] == [r["hash"] for r in second]


def test_changed_input_is_reimported(write_conf, data_dir, tmp_path, dask_client):
    src = tmp_path / "ave.csv"
    shutil.copy(data_dir / FIELD / "NGC3532_ave.csv", src)
    cfg = load_run_config(write_conf({"csc": {"definition": "csc_master", "source": {"local": str(src)}}}))
    assert run(cfg, dask_client, progress=False)[0]["imported"] == 373
    lines = src.read_text().splitlines()
    src.write_text("\n".join(lines[:-10]) + "\n")
    report = run(cfg, dask_client, progress=False)[0]
    assert not report["skipped"] and report["imported"] == 363
    assert len(lsdb.read_hats(cfg.layout.catalog("csc")).compute()) == 363


def test_bad_rows_are_quarantined_and_counted(write_conf, data_dir, tmp_path, dask_client):
    raw = (data_dir / FIELD / "NGC3532_ave.csv").read_text().splitlines()
    header, rows = raw[0], raw[1:]
    cols = header.split(",")
    ira, idec, ir0 = cols.index("ra"), cols.index("dec"), cols.index("err_ellipse_r0")

    def edit(line, i, value):
        import csv
        import io

        fields = next(csv.reader([line]))
        fields[i] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(fields)
        return out.getvalue()

    bad = [
        edit(rows[0], ira, ""),  # missing coordinate
        edit(rows[1], idec, "95.0"),  # out of range
        edit(rows[2], ir0, "-0.5"),  # negative error
        edit(rows[3], idec, "minus twelve"),  # unparseable number
        "2CXO J999999.9+999999,1.0",  # malformed row (too few fields)
        edit(rows[4], ira, "166.0001"),  # duplicate id with different values
        rows[5],  # exact repeat: merged, not an error
    ]
    src = tmp_path / "messy_ave.csv"
    src.write_text("\n".join([header, *rows, *bad]) + "\n")
    cfg = load_run_config(write_conf({"csc": {"definition": "csc_master", "source": {"local": str(src)}}}))
    report = run(cfg, dask_client, progress=False)[0]
    n_in = len(rows) + len(bad)
    assert report["rows_in"] == n_in
    assert report["imported"] == len(rows)  # the spoiled copies are extra rows; originals stay
    q = pd.read_parquet(cfg.layout.quarantine("csc"))
    reasons = " | ".join(q["reason"])
    for text in (
        "missing or non-finite coordinate in column 'ra'",
        "out of range in column 'dec': 95 not in [-90, 90]",
        "negative error in column 'err_ellipse_r0'",
        "unparseable value 'minus twelve'",
        "unparseable row",
        "duplicate source_id",
    ):
        assert text in reasons
    assert report["imported"] + report["quarantined"] + report["merged_duplicates"] == n_in
    assert report["merged_duplicates"] == 1
    assert len(lsdb.read_hats(cfg.layout.catalog("csc")).compute()) == report["imported"]


def test_missing_inputs_fail_before_work(write_conf, tmp_path, dask_client):
    cfg = load_run_config(
        write_conf({"csc": {"definition": "csc_master", "source": {"local": "fields/NOPE/*.csv"}}})
    )
    with pytest.raises(ConfigError, match=r"catalogs.csc: no input file matches 'fields/NOPE/\*.csv'"):
        run(cfg, dask_client, progress=False)
    few = tmp_path / "few.csv"
    few.write_text("name,ra,dec\nx,1,2\n")
    cfg = load_run_config(write_conf({"csc": {"definition": "csc_master", "source": {"local": str(few)}}}))
    with pytest.raises(InputError, match=r"few.csv: missing column\(s\) \[.*err_ellipse_r0"):
        run(cfg, dask_client, progress=False)
    assert not (cfg.layout.catalog("csc")).exists()


def test_all_rows_bad_is_a_clear_error(write_conf, data_dir, tmp_path, dask_client):
    header = (data_dir / FIELD / "NGC3532_ave.csv").read_text().splitlines()[0]
    src = tmp_path / "allbad.csv"
    src.write_text(header + "\n" + "x," * (header.count(",")) + "\n")
    cfg = load_run_config(write_conf({"csc": {"definition": "csc_master", "source": {"local": str(src)}}}))
    with pytest.raises(AccountingError, match="no usable rows"):
        run(cfg, dask_client, progress=False)
