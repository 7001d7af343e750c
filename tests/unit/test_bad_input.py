"""Bad input, as a hostile new user gives it: every case of issue 19 reproduced and pinned.

Each case names what went wrong before the fix. The rule they check together: a command
never destroys data it did not write, never crashes with a traceback on a user's mistake
(a one-line error naming the file/row/column, or a quarantine row with a reason), and never
silently changes a result. Add new cases here. The field-mode cases (images, truncated
cone searches, region tags) are in ``test_bad_input_field.py``.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from muwclass.classification.estimator import check_models
from muwclass.classification.family import load_family
from muwclass.classification.run_classify_table import run_classify_table
from muwclass.config.catalog_definition import load_catalog_definition
from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.errors import ConfigError, InputError, MuwclassError, OutputError
from muwclass.field.run_field import run_field
from muwclass.ingest.mapping import map_chunk
from muwclass.io.atomic import _exchange, publish
from muwclass.io.readers import read_chunks
from muwclass.io.writers import write_table
from muwclass.release.run_classify_catalog import check_release_target
from muwclass.synth.run_synth import run_synth

MODEL = {"default": {"params": {"n_estimators": 10}, "nh_bin_edges": [1e22]}}
ROWS = 24


def _conf(directory: Path, data_dir: Path, **extra) -> Path:
    conf = {
        "data_dir": str(data_dir),
        "work_dir": str(directory / "work"),
        "catalogs": {"csc": {"definition": "csc_master"}},
        "models": MODEL,
        "confidence": {"draws": 4},
        **extra,
    }
    path = directory / "run.yaml"
    path.write_text(yaml.safe_dump(conf))
    return path


@pytest.fixture(scope="module")
def cfg(tmp_path_factory, data_dir):
    """A run configuration with a small fitted family (trained once for the module)."""
    cfg = load_run_config(_conf(tmp_path_factory.mktemp("bad_input"), data_dir))
    load_family(cfg)
    return cfg


@pytest.fixture(scope="module")
def table(data_dir) -> pd.DataFrame:
    """ROWS real training sources in the TD_Yang2022 layout, as text (as a CSV holds them)."""
    full = pd.read_csv(data_dir / "td" / "TD_Yang2022.csv", dtype=str, keep_default_na=False)
    return full.drop(columns="True_Class").sample(ROWS, random_state=3).reset_index(drop=True)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _classify(cfg, source: Path, out: Path, **options):
    """The classification, its quarantine file (or None) and the input's bytes after the run."""
    before = source.read_bytes()
    result = run_classify_table(cfg, source, out, **options)
    assert source.read_bytes() == before  # the input is never written
    qpath = out.with_name(f"{out.stem}_quarantine.csv")
    return result, (pd.read_csv(qpath) if qpath.exists() else None)


# --- 1-3: data loss ----------------------------------------------------------------------------


def test_1_output_that_is_the_input_is_refused(cfg, table, tmp_path):
    source = _write(table, tmp_path / "t.csv")
    before = source.read_bytes()
    with pytest.raises(OutputError, match="is the input file"):
        run_classify_table(cfg, source, source)
    link = tmp_path / "link.csv"  # the same file under another name
    link.hardlink_to(source)
    with pytest.raises(OutputError, match="is the input file"):
        run_classify_table(cfg, source, link)
    assert source.read_bytes() == before


def test_2_quarantine_file_that_is_the_input_is_refused(cfg, table, tmp_path):
    source = _write(table, tmp_path / "mydata_quarantine.csv")
    before = source.read_bytes()
    with pytest.raises(OutputError, match="quarantine file .* is the input file"):
        run_classify_table(cfg, source, tmp_path / "mydata.csv")
    assert source.read_bytes() == before and not (tmp_path / "mydata.csv").exists()


def test_3_existing_files_are_replaced_only_when_they_are_our_outputs(cfg, table, tmp_path):
    source = _write(table.assign(Fb=["abc"] + list(table["Fb"][1:])), tmp_path / "t.csv")
    mine = tmp_path / "notes.csv"
    mine.write_text("my,own\n1,2\n")
    with pytest.raises(OutputError, match="not written by `muwclass classify`"):
        run_classify_table(cfg, source, mine)
    assert mine.read_text() == "my,own\n1,2\n"
    foreign_quarantine = tmp_path / "out_quarantine.csv"
    foreign_quarantine.write_text("a,b\n")
    with pytest.raises(OutputError, match="out_quarantine.csv exists and was not written"):
        run_classify_table(cfg, source, tmp_path / "out.csv")
    foreign_quarantine.unlink()
    out = tmp_path / "out.csv"
    _, quarantine = _classify(cfg, source, out)
    assert len(quarantine) == 1
    clean = _write(table, tmp_path / "clean.csv")
    _, quarantine = _classify(cfg, clean, out)  # our own output and quarantine: replaced, stale one removed
    assert quarantine is None and len(pd.read_csv(out)) == ROWS


def test_3_directories_and_names_muwclass_did_not_make_are_left_alone(cfg, tmp_path, data_dir):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    field_cfg = load_run_config(REPO_ROOT / "conf/fields/NGC3532.yaml", work_dir=tmp_path / "work")
    with pytest.raises(OutputError, match="files muwclass did not write"):
        run_field(field_cfg, out=precious)
    with pytest.raises(OutputError, match="files muwclass did not write"):
        run_synth(cfg, scale=0.001, out=precious, progress=False)
    assert [p.name for p in precious.iterdir()] == ["thesis.tex"]
    for name in ("/some/dir", "../../x", ".", "a/b", ".."):
        conf = tmp_path / "field.yaml"
        conf.write_text(
            yaml.safe_dump({"extends": str(REPO_ROOT / "conf/fields/NGC3532.yaml"), "field": {"name": name}})
        )
        with pytest.raises(ConfigError, match="field name .* is not a valid name"):
            load_run_config(conf)
    releases = tmp_path / "release"
    for version in ("../evil", "/abs/dir", "a/b", "latest", ".hidden"):
        with pytest.raises(OutputError):
            check_release_target(releases, version, force=True)
    (releases / "v1").mkdir(parents=True)
    (releases / "v1" / "data.txt").write_text("not a release")
    with pytest.raises(OutputError, match="files muwclass did not write"):
        check_release_target(releases, "v1", force=True)
    assert check_release_target(releases, "v2", force=False) == "v2"


# --- 4-8: crashes --------------------------------------------------------------------------


def test_4_absurd_magnitudes_are_quarantined_not_fatal(cfg, table, tmp_path):
    bad = table.copy()
    bad.loc[0, "Gmag"] = "1e300"
    bad.loc[1, "e_Gmag"] = "1e300"
    bad.loc[2, "W1mag"] = "-1e300"
    result, quarantine = _classify(cfg, _write(bad, tmp_path / "t.csv"), tmp_path / "o.csv")
    assert len(result) == ROWS - 3
    assert quarantine["row"].tolist() == [1, 2, 3]
    assert quarantine["reason"].tolist() == [
        "out of range in column 'Gmag': 1e+300 not in [-10, 40]",
        "out of range in column 'e_Gmag': 1e+300 not in [0, 10]",
        "out of range in column 'W1mag': -1e+300 not in [-10, 40]",
    ]
    assert set(quarantine["file"]) == {str(tmp_path / "t.csv")}


def test_5_undecodable_bytes_and_overlong_lines_are_one_line_errors(cfg, table, tmp_path):
    latin = tmp_path / "latin.csv"  # a note column in Latin-1, as some archives export
    latin.write_bytes(table.assign(note="Bj\xf6rk").to_csv(index=False).encode("latin-1"))
    with pytest.raises(InputError, match=r"latin.csv: CSV parse error: .*--encoding latin-1"):
        run_classify_table(cfg, latin, tmp_path / "o.csv")
    result, _ = _classify(cfg, latin, tmp_path / "o.csv", encoding="latin-1")
    assert len(result) == ROWS
    header = tmp_path / "header.csv"
    header.write_bytes(b"CSCv2_name,F\xe9b\n1,2\n")
    with pytest.raises(InputError, match=r"header.csv: line 1: byte 0xe9 at position 12 is not valid utf-8"):
        run_classify_table(cfg, header, tmp_path / "o2.csv")
    long = tmp_path / "long.csv"
    long.write_text("x" * (2 << 20) + "\n")
    with pytest.raises(InputError, match="line 1 .* is longer than"):
        run_classify_table(cfg, long, tmp_path / "o3.csv")
    wide = tmp_path / "wide.csv"  # one header field over the csv module's 131,072-character limit
    wide.write_text('"' + "x" * 200_000 + '",b\n1,2\n')
    with pytest.raises(InputError, match=r"wide.csv: line 1 \(the header\): field larger than field limit"):
        run_classify_table(cfg, wide, tmp_path / "o4.csv")
    conf = tmp_path / "run.yaml"
    conf.write_bytes(b"data_dir: .\nwork_dir: build\n# caf\xe9\n")
    with pytest.raises(ConfigError, match=r"run.yaml: line 3: not UTF-8 text \(byte 0xe9\)"):
        load_run_config(conf)


def test_5_a_catalog_definition_names_its_files_encoding(tmp_path, data_dir):
    from muwclass.ingest.staging import mapped_chunks

    header, *lines = (data_dir / "fields/NGC3532/NGC3532_ave.csv").read_text().splitlines()
    frame = pd.read_csv(io.StringIO("\n".join([header, *lines[:5]])), dtype=str, keep_default_na=False)
    frame.loc[0, "name"] = "2CXO J111455.5-585213 (\u00e9toile)"
    source = tmp_path / "latin_ave.csv"
    source.write_bytes(frame.to_csv(index=False).encode("latin-1"))
    definition = load_catalog_definition("csc_master", REPO_ROOT / "catalogs")
    with pytest.raises(InputError, match="latin_ave.csv: CSV parse error: .*--encoding latin-1"):
        list(mapped_chunks(source, "csv", definition, 1000))
    latin = definition.model_copy(
        update={"source": definition.source.model_copy(update={"encoding": "latin-1"})}
    )
    (_, good, bad), *_ = list(mapped_chunks(source, "csv", latin, 1000))
    assert len(good) == 5 and bad.empty and good["source_id"].iloc[0].endswith("(\u00e9toile)")


def test_6_unwritable_outputs_fail_before_any_work(cfg, table, tmp_path):
    source = _write(table, tmp_path / "t.csv")
    (tmp_path / "adir.csv").mkdir()
    (tmp_path / "afile").write_text("")
    cases = {
        tmp_path / "adir.csv": "is a directory",
        tmp_path / "afile" / "o.csv": "afile is a file",
        Path("/proc/muwclass-o.csv"): "cannot write there",
    }
    for out, message in cases.items():
        with pytest.raises(OutputError, match=message):
            run_classify_table(cfg, source, out)
    field_cfg = load_run_config(REPO_ROOT / "conf/fields/NGC3532.yaml", work_dir=tmp_path / "w")
    with pytest.raises(OutputError, match="afile is a file"):
        run_field(field_cfg, out=tmp_path / "afile" / "field")


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"nh_bin_edges": [1e22, 3e21]}, "nh_bin_edges must be finite, positive and increasing"),
        ({"nh_bin_edges": [-1.0]}, "nh_bin_edges must be finite, positive and increasing"),
        ({"params": {"n_trees": 10}}, "n_trees"),
        (
            {"params": {"n_estimators": "many"}},
            "'n_estimators' parameter of RandomForestClassifier must be an int",
        ),
        ({"params": {"max_depth": -2}}, "'max_depth' parameter"),
        ({"features": {"colors": "all"}}, r"unknown keys \['colors'\]"),
    ],
)
def test_7_model_blocks_are_validated_before_any_work(tmp_path, data_dir, model, message):
    conf = _conf(tmp_path, data_dir, models={"default": model})
    with pytest.raises(ConfigError, match=message):
        check_models(load_run_config(conf))


def test_7_muwclass_config_reports_a_bad_model_block_in_one_line(tmp_path, data_dir):
    conf = _conf(tmp_path, data_dir, models={"default": {"params": {"n_estimators": "many"}}})
    done = subprocess.run(
        [sys.executable, "-m", "muwclass.cli", "config", "--conf", str(conf)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "models.default" in done.stderr


# --- 9-13: silently changed results ------------------------------------------------------------


def test_9_text_in_a_numeric_cell_is_quarantined_by_classify_and_import_alike(cfg, table, tmp_path, data_dir):
    bad = table.copy()
    bad.loc[0, "Fb"] = "abc"
    bad.loc[1, "Gmag"] = "bright"
    bad.loc[2, "Gmag"] = "nan"  # a missing value, not an error
    result, quarantine = _classify(cfg, _write(bad, tmp_path / "t.csv"), tmp_path / "o.csv")
    assert quarantine["reason"].tolist() == [
        "unparseable value 'abc' in column 'Fb'",
        "unparseable value 'bright' in column 'Gmag'",
    ]
    assert len(result) == ROWS - 2
    # the import (and the field, which maps its files the same way) gives the same reason
    assert _import_reasons(data_dir, tmp_path, {"significance": "abc"}) == [
        "unparseable value 'abc' in column 'significance'"
    ]


def _import_reasons(data_dir: Path, tmp_path: Path, edits: dict[str, str]) -> list[str]:
    """Quarantine reasons of the import's mapping for one real CSC row with ``edits``."""
    csv_path = tmp_path / "one_ave.csv"
    frame = pd.read_csv(
        data_dir / "fields/NGC3532/NGC3532_ave.csv", dtype=str, keep_default_na=False, nrows=1
    )
    frame.assign(**edits).to_csv(csv_path, index=False)
    definition = load_catalog_definition("csc_master", REPO_ROOT / "catalogs")
    _, quarantined = map_chunk(next(read_chunks(csv_path, "csv")), definition, str(csv_path))
    return quarantined["reason"].tolist()


def test_10_infinite_values_are_quarantined_in_any_column(data_dir, tmp_path):
    """An infinite angle used to become NaN silently (np.mod), an infinite index any number."""
    assert _import_reasons(data_dir, tmp_path, {"err_ellipse_ang": "inf"}) == [
        "infinite value in column 'err_ellipse_ang'"
    ]
    assert _import_reasons(data_dir, tmp_path, {"powlaw_gamma_mean": "-inf"}) == [
        "infinite value in column 'powlaw_gamma_mean'"
    ]


def test_10_positions_and_errors_out_of_range_are_quarantined(cfg, table, tmp_path):
    bad = table.copy()
    for i, ra in enumerate(("400", "-10", "inf")):
        bad.loc[i, "CSCv2_RA"] = ra
    bad.loc[3, "e_Fb"] = "-1e-15"
    bad.loc[4, "e_Gmag"] = "-0.1"
    _, quarantine = _classify(cfg, _write(bad, tmp_path / "t.csv"), tmp_path / "o.csv")
    assert quarantine["reason"].tolist() == [
        "out of range in column 'CSCv2_RA': 400 not in [0, 360)",
        "out of range in column 'CSCv2_RA': -10 not in [0, 360)",
        "missing or non-finite coordinate in column 'CSCv2_RA'",
        "negative error in column 'e_Fb': -1e-15",
        "negative error in column 'e_Gmag': -0.1",
    ]


def test_12_repeated_ids_and_bad_column_densities(cfg, table, tmp_path, capsys):
    rows = pd.concat([table, table.iloc[[0]], table.iloc[[1]].assign(Fb="1e-13")], ignore_index=True)
    result, quarantine = _classify(cfg, _write(rows, tmp_path / "t.csv"), tmp_path / "o.csv")
    assert len(result) == ROWS and result["CSCv2_name"].is_unique  # the exact repeat merged
    assert quarantine["row"].tolist() == [ROWS + 2]
    assert (
        quarantine["reason"].iloc[0].startswith("repeated CSCv2_name")
        and "different values" in quarantine["reason"].iloc[0]
    )
    assert "1 exact repeat(s)" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="--nh must be a finite column density"):
        run_classify_table(cfg, tmp_path / "t.csv", tmp_path / "o.csv", nh=float("nan"))
    with_nh = table.assign(nh_gal=["x", "-5", ""] + ["20"] * (ROWS - 3))
    result, quarantine = _classify(cfg, _write(with_nh, tmp_path / "nh.csv"), tmp_path / "nh_out.csv")
    assert quarantine["reason"].tolist() == [
        "unparseable value 'x' in column 'nh_gal'",
        "out of range in column 'nh_gal': -5 not in [0, 1e+06]",
    ]
    assert "1 row(s) without an nh_gal value" in capsys.readouterr().err


def test_13_table_writes_are_atomic(tmp_path):
    path = tmp_path / "out.csv"
    write_table(pd.DataFrame({"a": [1, 2]}), path)

    class Boom:
        def __str__(self):
            raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed mid-write"):
        write_table(pd.DataFrame({"a": [3, Boom()]}), path)
    assert path.read_text() == "a\n1\n2\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# --- 14-16: smaller -------------------------------------------------------------------------


def test_14_csv_cells_that_a_spreadsheet_would_run_are_quoted(tmp_path):
    path = write_table(
        pd.DataFrame(
            {"id": ['=HYPERLINK("x")', "+1+2", "@SUM(A1)", "-0.5", "2CXO J1"], "x": [-1.0, 2, 3, 4, 5]}
        ),
        tmp_path / "t.csv",
    )
    back = pd.read_csv(path, dtype=str)
    assert back["id"].tolist() == ['\'=HYPERLINK("x")', "'+1+2", "'@SUM(A1)", "-0.5", "2CXO J1"]
    assert back["x"].tolist() == ["-1", "2", "3", "4", "5"]


def test_16_publish_swaps_in_one_step(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("new")
    (b / "f").write_text("old")
    assert _exchange(a, b) and (b / "f").read_text() == "new" and (a / "f").read_text() == "old"
    renames = []
    real = __import__("os").replace
    monkeypatch.setattr("muwclass.io.atomic.os.replace", lambda *x: renames.append(x) or real(*x))
    final = tmp_path / "final"
    for content in ("v1", "v2"):
        partial = tmp_path / f".partial-{content}"
        partial.mkdir()
        (partial / "f").write_text(content)
        publish(partial, final, "test")
    assert (final / "f").read_text() == "v2" and len(renames) == 1  # only the first: a plain rename


# --- the property: random corruption never gives a traceback, a lost row or a touched input ----

CORRUPTIONS = ["abc", "", "nan", "1e300", "-1e300", "-1", "inf", "-inf", "=cmd()", "1,2", '"', "\u00e9", "0"]


def test_random_corruptions_never_lose_a_row_or_crash(cfg, table, tmp_path_factory):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    columns = list(table.columns)
    cells = st.tuples(st.integers(0, ROWS - 1), st.sampled_from(columns), st.sampled_from(CORRUPTIONS))
    repeats = st.lists(st.integers(0, ROWS - 1), max_size=3)

    # derandomize: the same examples in every CI run (a red CI must mean a regression, not luck);
    # explore with more examples and random seeds by hand (400 + 300 found nothing more).
    @settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(edits=st.lists(cells, max_size=12), repeated=repeats, cut=st.booleans())
    def check(edits, repeated, cut):
        work = tmp_path_factory.mktemp("prop")
        frame = table.copy()
        for row, col, value in edits:
            frame.loc[row, col] = value
        frame = pd.concat([frame, frame.iloc[repeated]], ignore_index=True)
        text = frame.to_csv(index=False)
        if cut:  # the last line cut short, as by a full disk
            text = text[: text.rstrip("\n").rfind(",")]
        source = work / "in.csv"
        source.write_bytes(text.encode("utf-8"))
        n_lines = len(text.rstrip("\n").split("\n")) - 1
        out = work / "out.csv"
        try:
            result, quarantine = _classify(cfg, source, out)
        except MuwclassError as exc:  # a clear one-line refusal is allowed; a traceback is not
            assert "\n" not in str(exc)
            assert not out.exists()
            return
        written = pd.read_csv(out, dtype=str, keep_default_na=False)
        n_quarantined = 0 if quarantine is None else len(quarantine)
        merged = n_lines - len(written) - n_quarantined
        assert len(written) == len(result) and 0 <= merged <= len(repeated)
        assert sorted(p.name for p in work.iterdir() if p.name.startswith(".")) == []

    check()


def test_random_corruptions_in_the_import_staging(data_dir, tmp_path_factory):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from muwclass.ingest.staging import stage_file

    definition = load_catalog_definition("csc_master", REPO_ROOT / "catalogs")
    header, *lines = (data_dir / "fields/NGC3532/NGC3532_ave.csv").read_text().splitlines()
    base = pd.read_csv(io.StringIO("\n".join([header, *lines[:15]])), dtype=str, keep_default_na=False)
    columns = sorted(set(definition.readable_columns()) & set(base.columns))
    cells = st.tuples(st.integers(0, len(base) - 1), st.sampled_from(columns), st.sampled_from(CORRUPTIONS))

    @settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(edits=st.lists(cells, max_size=10))
    def check(edits):
        work = tmp_path_factory.mktemp("stage")
        frame = base.copy()
        for row, col, value in edits:
            frame.loc[row, col] = value
        source = work / "in.csv"
        frame.to_csv(source, index=False)
        before = source.read_bytes()
        counts = stage_file(0, source, "csv", definition, work / "staging", chunk_rows=1000)
        assert counts["rows_in"] == len(base) == counts["staged"] + counts["quarantined"]
        assert source.read_bytes() == before

    check()


def _command(*args) -> subprocess.CompletedProcess:
    """``muwclass ARGS`` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "muwclass.cli", *map(str, args)], capture_output=True, text=True
    )


def test_no_traceback_from_the_command_line(tmp_path, data_dir, table):
    """The command, as a user runs it: one line on stderr, exit code 2."""
    conf = _conf(tmp_path, data_dir)
    source = _write(table, tmp_path / "t.csv")
    for args in (
        ["--input", source, "--output", source],
        ["--input", source, "--output", tmp_path / "afile" / "x.csv", "--nh", "nan"],
    ):
        done = _command("classify", "--conf", conf, *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert np.all(source.read_bytes() == table.to_csv(index=False).encode())


def test_6_a_work_dir_that_cannot_be_written_stops_every_stage_at_once(tmp_path, data_dir):
    (tmp_path / "afile").write_text("")
    conf = _conf(tmp_path, data_dir)
    done = _command("import", "--conf", conf, "--work-dir", tmp_path / "afile" / "w")
    assert done.returncode == 2 and "work_dir" in done.stderr and "afile is a file" in done.stderr


def _xmm_conf(tmp_path: Path, data_dir: Path, nh_map: dict) -> Path:
    """A run of one small 3XMM-DR8 file whose N_H comes from ``nh_map``."""
    from astropy.table import Table

    n = 5
    Table(
        {
            "IAUNAME": [f"3XMM J{i:06d}.0+000000" for i in range(n)],
            "SC_RA": np.linspace(10, 11, n),
            "SC_DEC": np.linspace(-5, -4, n),
            "SC_POSERR": np.ones(n),
            **{f"SC_EP_{b}_FLUX{e}": np.full(n, 1e-14) for b in (2, 3, 4, 5) for e in ("", "_ERR")},
        }
    ).write(tmp_path / "3xmm.fits")
    xmm = {"definition": "xmm_dr8", "source": {"local": str(tmp_path / "3xmm.fits")}, "nh_map": nh_map}
    return _conf(tmp_path, data_dir, catalogs={"xmm": xmm})


@pytest.mark.parametrize(
    ("nh_map", "make", "message"),
    [
        ({"file": "nh.fits", "unit": "mag"}, False, "unit 'mag' is not a column density"),
        ({"file": "nh.fits"}, False, "catalogs.xmm.nh_map"),
        ({"file": "nh.fits"}, True, "nh.fits: no binary table: not a HEALPix map"),
    ],
)
def test_20_an_nh_map_that_cannot_give_nh_stops_the_import_in_one_line(
    tmp_path, data_dir, nh_map, make, message
):
    if make:
        fits_path = tmp_path / "nh.fits"
        from astropy.io import fits

        fits.PrimaryHDU(np.zeros(4)).writeto(fits_path)
    nh_map = {**nh_map, "file": str(tmp_path / nh_map["file"])}
    done = _command("import", "--conf", _xmm_conf(tmp_path, data_dir, nh_map))
    said = " ".join(done.stderr.split())
    assert done.returncode == 2 and "Traceback" not in done.stderr and message in said, done.stderr
    assert not (tmp_path / "work" / "hats").exists()
