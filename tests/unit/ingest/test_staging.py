"""The import's workers called directly, without Dask: staging one file, its resume marker,
the duplicate reduce step and the accounting checks."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from muwclass.config.catalog_definition import load_catalog_definition
from muwclass.config.run import REPO_ROOT, load_run_config
from muwclass.errors import AccountingError
from muwclass.ingest import accounting
from muwclass.ingest.arguments import plan_import
from muwclass.ingest.dedup import resolve_duplicates
from muwclass.ingest.resume_plan import ImportResumePlan
from muwclass.ingest.staging import stage_file, staged_files

FIELD = "fields/NGC3532/NGC3532_ave.csv"


def _edit(line: str, index: int, value: str) -> str:
    fields = next(csv.reader([line]))
    fields[index] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


@pytest.fixture
def csc_files(data_dir, tmp_path):
    """Two CSC files: the first 20 real sources, and 5 more with one repeat, one conflict, one bad row."""
    header, *rows = (data_dir / FIELD).read_text().splitlines()
    dec = header.split(",").index("dec")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("\n".join([header, *rows[:20]]) + "\n")
    extra = [*rows[20:23], rows[0], _edit(rows[1], dec, "-12.5"), _edit(rows[30], dec, "95")]
    second.write_text("\n".join([header, *extra]) + "\n")
    return first, second


def test_stage_file_counts_every_row_and_resumes_from_its_marker(csc_files, tmp_path):
    definition = load_catalog_definition("csc_master", REPO_ROOT / "catalogs")
    staging = tmp_path / "staging"
    counts = stage_file(1, csc_files[1], "csv", definition, staging, chunk_rows=1000)
    assert counts["rows_in"] == 6 and counts["quarantined"] == 1 and counts["staged"] == 5
    names = staged_files(staging, 1)
    quarantine = pd.read_parquet(names["quarantine"])
    assert "out of range" in quarantine["reason"].iloc[0] and quarantine["row"].iloc[0] == 6
    assert len(pd.read_parquet(names["part"])) == 5
    # A rerun finds the marker and does not touch the staged files (resume after a kill).
    mtime = names["part"].stat().st_mtime_ns
    assert stage_file(1, csc_files[1], "csv", definition, staging, chunk_rows=1000) == counts
    assert names["part"].stat().st_mtime_ns == mtime


def test_duplicates_across_files_are_merged_or_quarantined(csc_files, write_conf):
    files = [str(f) for f in csc_files]
    cfg = load_run_config(write_conf({"csc": {"definition": "csc_master", "source": {"local": files}}}))
    args = plan_import(cfg, "csc")
    plan = ImportResumePlan.of(args)
    counts = [
        stage_file(i, f, fmt, args.definition, plan.staging, 1000)
        for i, (f, fmt) in enumerate(zip(args.files, args.formats, strict=True))
    ]
    parts, quarantine, merged = resolve_duplicates(args, plan.staging, counts)
    assert merged == 1  # rows[0] again, identical
    assert len(quarantine) == 1 and "duplicate source_id" in quarantine["reason"].iloc[0]
    kept = sum(len(pd.read_parquet(p)) for p in parts)
    rows_in = sum(c["rows_in"] for c in counts)
    quarantined = len(quarantine) + sum(c["quarantined"] for c in counts)
    assert kept == 20 + 3 and rows_in == kept + quarantined + merged
    accounting.check_balance("csc", rows_in, kept, kept, quarantined, merged)
    with pytest.raises(AccountingError, match="rows in 26 != imported 22"):
        accounting.check_balance("csc", rows_in, kept, kept - 1, quarantined, merged)


def test_resume_plan_is_keyed_by_inputs_and_settings(csc_files, write_conf):
    cfg = load_run_config(
        write_conf({"csc": {"definition": "csc_master", "source": {"local": str(csc_files[0])}}})
    )
    args = plan_import(cfg, "csc")
    plan = ImportResumePlan.of(args)
    assert plan.digest == ImportResumePlan.of(plan_import(cfg, "csc")).digest
    assert plan.staging.parent == cfg.layout.root / "staging" / "csc"
    assert plan.finished_report() is None  # nothing published yet
    csc_files[0].write_text(csc_files[0].read_text() + "\n")  # same rows, other bytes: redo
    assert ImportResumePlan.of(plan_import(cfg, "csc")).digest != plan.digest
    args.highest_order += 1
    assert ImportResumePlan.of(args).digest != plan.digest


def test_an_import_without_usable_rows_is_an_accounting_error():
    quarantine = pd.DataFrame({"reason": ["missing or NaN coordinate"] * 3})
    with pytest.raises(AccountingError, match="no usable rows in 1 file"):
        accounting.check_nonempty("csc", 1, 0, quarantine)
    assert accounting.reason_summary(
        pd.Series(["negative error 'x'", "negative error 'y'", "out of range: dec"])
    ) == {
        "negative error": 2,
        "out of range": 1,
    }


def test_a_map_fills_only_the_column_densities_a_catalog_does_not_give(tmp_path):
    import numpy as np

    from muwclass.ingest.arguments import NhMapFile
    from muwclass.ingest.staging import nh_gal_from_map
    from muwclass.io.healpix_map import write_healpix_map

    write_healpix_map(tmp_path / "nh.fits", np.full(12 * 4**2, 3.0e21), "NHI", "cm-2")
    rows = pd.DataFrame({"ra": [10.0, 20.0, 30.0], "dec": [0.0, 5.0, -5.0], "nh_gal": [1.5, np.nan, 2.0]})
    filled = nh_gal_from_map(rows, NhMapFile(tmp_path / "nh.fits", "NHI", "cm-2"))
    assert filled["nh_gal"].tolist() == [1.5, 30.0, 2.0]  # 1e20 cm^-2; the catalog's own values kept
    assert rows["nh_gal"].isna().sum() == 1  # the input is not changed
    no_column = nh_gal_from_map(
        rows.drop(columns="nh_gal"), NhMapFile(tmp_path / "nh.fits", "NHI", "1e20 cm-2")
    )
    # a map in units of 1e20 cm^-2 is taken as it is (float32 in the file)
    assert no_column["nh_gal"].tolist() == pytest.approx([3e21] * 3, rel=1e-6)
