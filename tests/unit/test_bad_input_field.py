"""`muwclass field` on bad input: broken X-ray images, survey files that lost rows, odd source ids.

Each test builds its input in tmp_path (small synthetic FITS files, truncated copies of the
shared NGC3532 files); the shared data is only read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from astropy.coordinates import SkyCoord
from astropy.io import fits
from regions import Regions

import muwclass.field.run_field as run_field_module
from muwclass.config.run import load_run_config
from muwclass.errors import FieldError
from muwclass.field.data import MIN_SURVEY_COVERAGE, load_field
from muwclass.field.plots import load_image, projection
from muwclass.field.regions import ds9_tag, field_regions, write_regions
from muwclass.field.run_field import classify_and_write
from tests.conftest import REPO

FIELDS = REPO / "conf" / "fields"
SMALL = {"models": {"default": {"params": {"n_estimators": 20}}}, "confidence": {"draws": 8}}
NGC3532 = "fields/NGC3532/NGC3532"


# ---------------------------------------------------------------- 1. --image


def _celestial_header(shape: tuple[int, ...]) -> fits.Header:
    """A header for ``shape`` (numpy order) with a 2-D RA/Dec TAN WCS and no other axis keywords."""
    header = fits.PrimaryHDU(np.zeros(shape)).header
    header.update(
        CTYPE1="RA---TAN",
        CTYPE2="DEC--TAN",
        CRVAL1=166.29,
        CRVAL2=-58.8366,
        CRPIX1=shape[-1] / 2,
        CRPIX2=shape[-2] / 2,
        CDELT1=-0.001,
        CDELT2=0.001,
    )
    return header


def _image(tmp_path, name: str, data: np.ndarray, header: fits.Header | None = None):
    path = tmp_path / name
    fits.PrimaryHDU(data, header=header if header is not None else _celestial_header(data.shape)).writeto(
        path
    )
    return path


def _good_image(tmp_path):
    wcs = projection(SkyCoord(166.29, -58.8366, unit="deg"), 12.0)
    image = np.random.default_rng(1).poisson(1.0, (200, 300)).astype(float)
    return _image(tmp_path, "good.fits", image, wcs.to_header())


def _one_line_error(path, match: str) -> str:
    with pytest.raises(FieldError, match=match) as err:
        load_image(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    return message


@pytest.mark.parametrize("keep", ["first 5000 bytes", "half the data unit"])
def test_truncated_image_fails_in_load_image(tmp_path, keep):
    good = _good_image(tmp_path).read_bytes()
    cut = tmp_path / "cut.fits"
    cut.write_bytes(good[:5000] if keep == "first 5000 bytes" else good[: 2880 + (len(good) - 2880) // 2])
    message = _one_line_error(cut, r"cut.fits: not a readable FITS image")
    assert "truncated" in message


def test_image_cut_only_in_its_final_padding_is_still_read(tmp_path):
    good = _good_image(tmp_path)
    padded = tmp_path / "padded.fits"
    padded.write_bytes(good.read_bytes()[:-8])  # the last block's padding, not the pixels
    with pytest.warns(UserWarning, match="truncated"):
        data, wcs = load_image(padded)
    assert np.array_equal(data, fits.getdata(good)) and wcs.pixel_shape == (300, 200)


def test_cube_of_several_planes_with_a_2d_wcs_fails(tmp_path):
    header = _celestial_header((3, 40, 50))
    assert header["NAXIS"] == 3 and "CTYPE3" not in header and "WCSAXES" not in header
    cube = _image(tmp_path, "cube.fits", np.ones((3, 40, 50)), header)
    _one_line_error(cube, r"cube.fits: a 3-D cube of shape \(3, 40, 50\)")


@pytest.mark.parametrize("third_axis", [None, "ENERGY"])
def test_cube_with_one_plane_gives_that_plane_and_a_matching_wcs(tmp_path, third_axis):
    header = _celestial_header((1, 40, 50))
    if third_axis:
        header.update(CTYPE3=third_axis, CRVAL3=1.0, CRPIX3=1.0, CDELT3=1.0)
    plane = np.arange(2000.0).reshape(40, 50)
    data, wcs = load_image(_image(tmp_path, "cube1.fits", plane[None], header))
    assert data.shape == (40, 50) and np.array_equal(data, plane)
    assert wcs.naxis == 2 and wcs.has_celestial and wcs.pixel_shape == (50, 40)
    assert wcs.array_shape == data.shape


def test_celestial_axes_off_the_image_plane_fail(tmp_path):
    header = fits.PrimaryHDU(np.zeros((1, 40, 50))).header
    header.update(
        CTYPE1="ENERGY", CTYPE2="RA---TAN", CTYPE3="DEC--TAN", CRVAL2=166.29, CRVAL3=-58.8, CDELT2=-1e-3
    )
    header.update(CDELT3=1e-3, CRPIX2=20.0, CRPIX3=1.0)
    path = _image(tmp_path, "axes.fits", np.ones((1, 40, 50)), header)
    _one_line_error(path, r"axes.fits: the celestial WCS axes are FITS axes 2 and 3")


@pytest.mark.parametrize("fill", [np.nan, np.inf])
def test_image_without_a_finite_pixel_fails(tmp_path, fill):
    path = _image(tmp_path, "blank.fits", np.full((40, 50), fill))
    _one_line_error(path, r"blank.fits: the image has no finite pixel")


def test_cli_reports_a_truncated_image_in_one_line(tmp_path):
    cut = tmp_path / "cut.fits"
    cut.write_bytes(_good_image(tmp_path).read_bytes()[:5000])
    conf = FIELDS / "NGC3532.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "muwclass.cli", "field", "--conf", str(conf), "--work-dir", str(tmp_path)]
        + ["--image", str(cut)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cut.fits: not a readable FITS image" in lines[0], done.stderr
    assert not (tmp_path / "fields").exists()  # failed before any work


# ------------------------------------------------- 2. survey files that lost rows


def _field_with_cut_gaia(tmp_path, data_dir, keep: str):
    """NGC3532 with its Gaia cone-search file cut (copies in tmp_path; shared data only read)."""
    d = tmp_path / "in"
    d.mkdir()
    for survey in ("ave", "2mass", "allwise"):
        shutil.copyfile(data_dir / f"{NGC3532}_{survey}.csv", d / f"NGC3532_{survey}.csv")
    text = (data_dir / f"{NGC3532}_gaia.csv").read_bytes()
    header_end = text.index(b"\n") + 1
    gaia = d / "NGC3532_gaia.csv"
    gaia.write_bytes(text[: len(text) // 2] if keep == "half" else text[:header_end])
    local = {
        key: {"definition": definition, "source": {"local": str(d / f"NGC3532_{suffix}.csv")}}
        for key, definition, suffix in (
            ("csc", "csc_master", "ave"),
            ("gaia", "gaia_dr3", "gaia"),
            ("tmass", "tmass", "2mass"),
            ("allwise", "allwise", "allwise"),
        )
    }
    conf = tmp_path / "field.yaml"
    conf.write_text(
        yaml.safe_dump(
            {"extends": str(FIELDS / "NGC3532.yaml"), "data_dir": str(data_dir), "catalogs": local, **SMALL}
        )
    )
    return load_run_config(conf, work_dir=tmp_path / "work"), gaia


@pytest.mark.parametrize(
    ("keep", "says"),
    [
        ("half", r"has rows for only 1\d\d of the 373 X-ray sources"),
        ("header", "has no row for any of the 373"),
    ],
)
def test_survey_file_that_lost_rows_is_reported(tmp_path, data_dir, keep, says):
    cfg, gaia = _field_with_cut_gaia(tmp_path, data_dir, keep)
    cats = load_field(cfg)
    assert len(cats.xray) == 373  # the X-ray side is intact
    (warning,) = cats.warnings
    assert warning.startswith("catalog 'gaia': ") and str(gaia) in warning
    assert pd.Series([warning]).str.contains(says).all(), warning
    assert "\n" not in warning


@pytest.mark.parametrize("field", ["NGC3532", "IC2395", "IC2395_CXO", "3FGLJ1306.4-6043"])
def test_intact_shared_fields_get_no_warning(tmp_path, field):
    cats = load_field(load_run_config(FIELDS / f"{field}.yaml", work_dir=tmp_path / "work"))
    assert cats.warnings == []


def test_coverage_threshold_separates_cut_files_from_intact_ones():
    # an intact file covers 100%; a file cut in half ~50%; AllWISE has a candidate for 68% of
    # NGC3532's sources (a file listing only those must not be flagged)
    assert 0.5 < MIN_SURVEY_COVERAGE < 0.68


@pytest.mark.slow
def test_lost_rows_warned_in_terminal_summary_json_and_page(tmp_path, data_dir, monkeypatch):
    cfg, gaia = _field_with_cut_gaia(tmp_path, data_dir, "half")
    printed: list[str] = []
    original = run_field_module.console.print
    monkeypatch.setattr(
        run_field_module.console, "print", lambda *a, **k: (printed.extend(map(str, a)), original(*a, **k))
    )
    report = classify_and_write(cfg, 4, tmp_path / "out")
    (warning,) = report["warnings"]
    assert "catalog 'gaia'" in warning and str(gaia) in warning
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["warnings"] == [warning]
    page = (tmp_path / "out" / "index.html").read_text()
    assert "Warnings" in page and str(gaia) in page and "has rows for only" in page
    assert any(p.startswith("[yellow]warning: catalog 'gaia'") and str(gaia) in p for p in printed)


@pytest.mark.slow
def test_intact_field_run_has_an_empty_warning_list(tmp_path, data_dir):
    conf = tmp_path / "field.yaml"
    conf.write_text(
        yaml.safe_dump({"extends": str(FIELDS / "NGC3532.yaml"), "data_dir": str(data_dir), **SMALL})
    )
    report = classify_and_write(load_run_config(conf, work_dir=tmp_path / "work"), 4, tmp_path / "out")
    assert report["warnings"] == []
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["warnings"] == []
    assert "Warnings" not in (tmp_path / "out" / "index.html").read_text()


# ------------------------------------------------------------ 3. DS9 region tags

UNSAFE_IDS = [
    "2CXO J111455.5-585213",  # an ordinary id: kept as is
    "a{b",
    "a}b",
    "tag={x}",
    "line\nbreak",
    "carriage\rreturn",
    "tab\there",
    "nul\x00byte",
    "esc\x1bape",
    "semi;colon",
    "sep\u2028arator",
    "nel\x85",
    "caf\u00e9",
    "",
]


def test_region_tags_of_unsafe_ids_keep_one_region_per_source(tmp_path):
    n = len(UNSAFE_IDS)
    classified = pd.DataFrame(
        {
            "source_id": [*UNSAFE_IDS, "not drawn}\n"],
            "ra": np.linspace(166.2, 166.4, n + 1),
            "dec": np.full(n + 1, -58.83),
            "Class": ["AGN"] * (n + 1),
            "Class_prob": [0.9] * n + [0.5],
            "CT": [3.0] * (n + 1),
            "significance": [5.0] * (n + 1),
        }
    )
    path = write_regions(field_regions(classified, 0.7, 30.0), tmp_path / "odd.reg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the parser warns about lines it cannot read
        back = Regions.read(str(path), format="ds9")
    assert len(back) == n
    tags = [r.meta.get("tag", [""])[0] for r in back]
    assert tags == [ds9_tag(s) for s in UNSAFE_IDS]
    assert tags[0] == UNSAFE_IDS[0] and tags[1:4] == ["a_b", "a_b", "tag=_x_"]
    assert all(ch.isprintable() and ch.isascii() and ch not in "{};" for t in tags for ch in t)
    lines = path.read_text().splitlines()
    assert sum(line.startswith("circle(") for line in lines) == n
    assert [round(r.center.ra.deg, 6) for r in back] == [round(x, 6) for x in classified["ra"][:n]]
