"""`muwclass field` on the real NGC3532 field: table, DS9 regions, sky maps, HTML, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from regions import Regions

from muwclass.config.run import load_run_config
from muwclass.errors import ConfigError, FieldError
from muwclass.field.data import merge_repeats
from muwclass.field.plots import load_image, projection
from muwclass.field.regions import CLASS_COLOURS, MAX_WIDTH
from muwclass.field.run_field import classify_and_write as run
from tests.browser import chromium, render, selftest  # noqa: F401 - chromium is a fixture
from tests.conftest import REPO

FIELD_CONF = REPO / "conf" / "fields" / "NGC3532.yaml"
SMALL = {"models": {"default": {"params": {"n_estimators": 20}}}, "confidence": {"draws": 8}}


@pytest.fixture
def field_conf(tmp_path, data_dir):
    """A field configuration extending a shipped one, with a small model and few draws."""

    def _write(field: dict | None = None, extends=FIELD_CONF, **extra):
        conf = {
            "extends": str(extends),
            "data_dir": str(data_dir),
            "work_dir": str(tmp_path / "work"),
            **SMALL,
            **extra,
        }
        if field:
            conf["field"] = field
        path = tmp_path / "field.yaml"
        path.write_text(yaml.safe_dump(conf))
        return path

    return _write


def _png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_ngc3532_end_to_end(field_conf, data_dir, chromium):  # noqa: F811
    conf = field_conf()
    done = subprocess.run(
        [sys.executable, "-m", "muwclass.cli", "field", "--conf", str(conf)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    cfg = load_run_config(conf)
    out = cfg.layout.field("NGC3532")
    n_in = len(pd.read_csv(data_dir / "fields/NGC3532/NGC3532_ave.csv"))

    # the table: every source, in CSV and FITS, with classes and confidence
    csv = pd.read_csv(out / "NGC3532_classified.csv")
    fits_table = Table.read(out / "NGC3532_classified.fits")
    report = json.loads((out / "summary.json").read_text())
    assert len(csv) == len(fits_table) == report["classified"] == n_in and report["quarantined"] == 0
    assert csv["source_id"].is_unique and set(csv["source_id"]) == {
        str(s).strip() for s in fits_table["source_id"]
    }
    probs = csv[[f"P_{c}" for c in ("AGN", "CV", "HM-STAR", "HMXB", "LM-STAR", "LMXB", "NS", "YSO")]]
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    assert (csv["Class_prob"] == probs.max(axis=1)).all()
    assert csv["gaia_p_any"].notna().sum() > 300  # counterparts came through the crossmatch
    assert report["nh_from"].startswith("median nh_gal") and 5e21 < report["nh_cm2"] < 2e22

    # the region file: one circle per source above 70%, read back with `regions`
    regions = Regions.read(str(out / "NGC3532.reg"), format="ds9")
    drawn = csv[csv["Class_prob"] > 0.7].reset_index(drop=True)
    assert len(regions) == len(drawn) == report["circles"] > 10
    for region, row in zip(regions, drawn.itertuples(), strict=True):
        assert region.meta["text"] == row.Class
        assert region.visual["edgecolor"] == CLASS_COLOURS[row.Class]
        assert (
            region.visual["linewidth"] == min(MAX_WIDTH, max(1, round(row.CT)))
            if np.isfinite(row.CT)
            else MAX_WIDTH
        )
        assert abs(region.center.ra.deg - row.ra) < 1e-6 and abs(region.center.dec.deg - row.dec) < 1e-6
    radii = np.array([r.radius.to_value("arcsec") for r in regions])
    sig = drawn["significance"].to_numpy()
    free = (radii > radii.min()) & (radii < radii.max())  # not clipped: proportional to significance
    assert np.allclose(radii[free] / sig[free], radii[free][0] / sig[free][0])

    # the images and the page
    for png in ("NGC3532_classes.png", "NGC3532_confidence.png"):
        w, h = _png_size(out / png)
        assert w > 500 and h > 500
    page = (out / "index.html").read_text()
    assert "NGC3532_classes.png" in page and "NGC3532_confidence.png" in page
    assert page.count("<tr>") == n_in + 1 + len(report["classes"]) and "sortable" in page
    dom, console = render(chromium, out / "index.html")  # a real browser: no errors, the table sorts
    assert console == []
    lowest, highest = selftest(dom)
    assert lowest == csv.loc[csv["ra"].idxmin(), "source_id"].strip()
    assert highest == csv.loc[csv["ra"].idxmax(), "source_id"].strip()
    # the terminal summary
    assert "LM-STAR" in done.stderr and "confident" in done.stderr


def test_x_ray_image_as_background_and_an_image_without_wcs(field_conf, tmp_path):
    cfg = load_run_config(field_conf())
    wcs = projection(SkyCoord(166.29, -58.8366, unit="deg"), 12.0)
    image = np.random.default_rng(1).poisson(1.0, (800, 800)).astype(float)
    good = tmp_path / "xray.fits"
    fits.PrimaryHDU(image, header=wcs.to_header()).writeto(good)
    data, got = load_image(good)
    assert data.shape == (800, 800) and got.has_celestial
    report = run(cfg, 4, tmp_path / "with_image", (data, got))
    assert _png_size(tmp_path / "with_image" / "NGC3532_classes.png")[0] > 500 and report["classified"] == 373

    bare = tmp_path / "bare.fits"
    fits.PrimaryHDU(image).writeto(bare)
    with pytest.raises(FieldError, match="bare.fits: the image has no celestial WCS"):
        load_image(bare)
    done = subprocess.run(
        [sys.executable, "-m", "muwclass.cli", "field", "--conf", str(field_conf()), "--image", str(bare)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "no celestial WCS" in done.stderr and "Traceback" not in done.stderr


def test_a_field_without_x_ray_sources_is_a_clear_error(field_conf):
    cfg = load_run_config(field_conf({"name": "empty", "ra": 10.0, "dec": 10.0, "radius_arcmin": 5.0}))
    with pytest.raises(FieldError, match=r"field empty: none of the 373 X-ray sources lies within 5.0'"):
        run(cfg, 4, cfg.layout.field("empty"))
    assert not cfg.layout.field("empty").exists()


def test_sources_without_any_counterpart_are_classified_from_x_rays(field_conf, tmp_path):
    # MW catalogs of another field: no star near any NGC3532 source
    other = {
        k: {"definition": d, "source": {"local": f"fields/IC2395/IC2395_{f}.csv"}}
        for k, d, f in (
            ("gaia", "gaia_dr3", "gaia"),
            ("tmass", "tmass", "2mass"),
            ("allwise", "allwise", "allwise"),
        )
    }
    cfg = load_run_config(field_conf(catalogs=other))
    report = run(cfg, 4, tmp_path / "lonely")
    assert report["classified"] == report["without_counterpart"] == 373
    table = pd.read_csv(tmp_path / "lonely" / "NGC3532_classified.csv")
    assert table["G"].isna().all() and table["Class"].notna().all()


def test_configuration_mistakes_name_the_key_or_file(field_conf, tmp_path):
    missing = field_conf(
        catalogs={"gaia": {"definition": "gaia_dr3", "source": {"local": "fields/NGC3532/nope_gaia.csv"}}}
    )
    with pytest.raises(
        ConfigError, match=r"catalogs.gaia: no input file matches 'fields/NGC3532/nope_gaia.csv'"
    ):
        run(load_run_config(missing), 4, tmp_path / "x")
    with pytest.raises(ConfigError, match="configuration file not found: .*absent.yaml"):
        load_run_config(field_conf(extends=tmp_path / "absent.yaml"))
    plain = subprocess.run(
        [sys.executable, "-m", "muwclass.cli", "field", "--conf", str(REPO / "conf" / "default.yaml")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert plain.returncode == 2 and "no 'field' block" in plain.stderr
    with pytest.raises(ConfigError, match="give both 'ra' and 'dec'"):
        load_run_config(field_conf({"name": "x", "ra": 10.0, "dec": None}))
    no_nh = field_conf({"name": "IC2395x"}, extends=REPO / "conf" / "fields" / "IC2395.yaml")
    cfg = load_run_config(no_nh)
    cfg = cfg.model_copy(update={"field": cfg.field.model_copy(update={"nh": None})})
    with pytest.raises(
        ConfigError, match="has no nh_gal: give the Galactic column density toward the field as field.nh"
    ):
        run(cfg, 4, tmp_path / "y")


def _native_candidates(data_dir, definition: str, path: str) -> pd.DataFrame:
    """The MW rows of a shared candidate file with the service's native column names."""
    from muwclass.config.catalog_definition import load_catalog_definition
    from muwclass.ingest.candidates import read_candidate_records

    d = load_catalog_definition(definition)
    frame = pd.concat([c.frame for c in read_candidate_records(data_dir / path, d.source.candidates, 10_000)])
    frame = (
        frame[[c for c in d.readable_columns() if c in frame.columns]]
        .drop_duplicates()
        .reset_index(drop=True)
    )
    for c in frame.columns:
        try:
            frame[c] = pd.to_numeric(frame[c])
        except (ValueError, TypeError):
            frame[c] = frame[c].astype(str)
    return frame


def test_field_fetched_from_tap_services_matches_the_local_files(field_conf, data_dir, tmp_path):
    """The remote path of HESS J1809-193 / NGC 7160, against a TAP service on 127.0.0.1
    serving the NGC3532 tables: the field's cones are asked for and give the local result."""
    from tests.servers import tap_server

    tables = {
        "csc2.master_source": pd.read_csv(data_dir / "fields/NGC3532/NGC3532_ave.csv"),
        "I/355/gaiadr3": _native_candidates(data_dir, "gaia_dr3", "fields/NGC3532/NGC3532_gaia.csv"),
        "II/246/out": _native_candidates(data_dir, "tmass", "fields/NGC3532/NGC3532_2mass.csv"),
        "II/328/allwise": _native_candidates(data_dir, "allwise", "fields/NGC3532/NGC3532_allwise.csv"),
    }
    field = {"name": "cone", "ra": 166.29, "dec": -58.8366, "radius_arcmin": 4.0}
    local = load_run_config(field_conf(field))
    expected = run(local, 4, tmp_path / "local")
    with tap_server(tables) as (url, handler):
        remote_conf = field_conf(field, extends=REPO / "conf" / "fields" / "NGC7160.yaml")
        cfg = load_run_config(remote_conf)
        cfg = cfg.model_copy(
            update={
                "catalogs": {
                    k: v.model_copy(update={"source": v.source.model_copy(update={"tap": url})})
                    for k, v in cfg.catalogs.items()
                    if k in ("csc", "gaia", "tmass", "allwise")
                }
            }
        )
        got = run(cfg, 4, tmp_path / "remote")
        queries = [q["QUERY"] for q in handler.queries]
    assert len(queries) == 4 and all("CIRCLE('ICRS', 166.29, -58.8366, 0.0" in q for q in queries)
    assert (
        sum("0.0666" in q for q in queries) == 1 and sum("0.0833" in q for q in queries) == 3
    )  # X-ray r; MW r + 1'
    assert got["classified"] == expected["classified"] > 20 and expected["outside_radius"] == 373 - 109
    a = pd.read_csv(tmp_path / "local" / "cone_classified.csv").set_index("source_id").sort_index()
    b = pd.read_csv(tmp_path / "remote" / "cone_classified.csv").set_index("source_id").sort_index()
    assert list(a.index) == list(b.index)
    # same rows in, same counterparts and classes (densities differ only at the MW cone's edge)
    same_gaia = (a["gaia_source_id"] == b["gaia_source_id"]) | (
        a["gaia_source_id"].isna() & b["gaia_source_id"].isna()
    )
    assert same_gaia.mean() > 0.95
    assert (a["Class"] == b["Class"]).mean() > 0.9


def test_repeated_ids_merge_when_their_values_match_else_quarantine():
    rows = pd.DataFrame(
        {
            "source_id": ["a", "a", "b", "a", "b"],
            "flux_b": [1.0e-14, 1.0e-14, 2.0e-14, 1.5e-14, 2.000001e-14],  # last: same to print precision
            "_file": ["f1", "f2", "f1", "f2", "f2"],
        }
    )
    kept, conflicts = merge_repeats(rows, ["source_id"], "csc_master")
    assert list(kept["source_id"]) == ["a", "b"] and list(kept["_file"]) == ["f1", "f1"]
    assert list(conflicts["source_id"]) == ["a"] and list(conflicts["file"]) == ["f2"]
    assert (
        conflicts["reason"].iloc[0] == "duplicate source_id 'a' with different values (first occurrence kept)"
    )
