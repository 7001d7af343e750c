"""Result writers: the CSV in reusable blocks, FITS columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table

from muwclass.io.writers import CsvBlock, write_csv_blocks, write_table


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "source_id": [f"2CXO J{i:06d}" for i in range(seed * 100, seed * 100 + n)],
            "ra": rng.uniform(0, 360, n),
            "note": ["=HYPERLINK(x)" if i == 0 else "ok" for i in range(n)],
            "flag": pd.array([True, None, *[False] * (n - 2)][:n], dtype="boolean"),
        }
    )


def test_blocks_copied_from_an_earlier_file_give_the_same_bytes_as_formatting_all(tmp_path):
    a, b, c = _frame(5, 1), _frame(0, 2), _frame(7, 3)
    columns = list(a.columns)
    ranges = write_csv_blocks(tmp_path / "first.csv", columns, [("0/1", a), ("0/2", b), ("0/3", c)])
    write_table(pd.concat([a, b, c], ignore_index=True), tmp_path / "whole.csv")
    assert (tmp_path / "first.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert (
        ranges["0/2"][1] == 0 and sum(r[1] for r in ranges.values()) < (tmp_path / "first.csv").stat().st_size
    )
    # a later version: pixel 0/3 changed, 0/1 copied from the first file
    c2 = _frame(4, 9)
    write_csv_blocks(
        tmp_path / "second.csv",
        columns,
        [("0/1", CsvBlock(tmp_path / "first.csv", *ranges["0/1"])), ("0/2", b), ("0/3", c2)],
    )
    write_table(pd.concat([a, b, c2], ignore_index=True), tmp_path / "expected.csv")
    assert (tmp_path / "second.csv").read_bytes() == (tmp_path / "expected.csv").read_bytes()
    assert pd.read_csv(tmp_path / "second.csv")["note"].iloc[0] == "'=HYPERLINK(x)"


def test_a_block_beyond_the_end_of_its_file_is_an_error_and_nothing_is_written(tmp_path):
    a = _frame(3, 1)
    ranges = write_csv_blocks(tmp_path / "first.csv", list(a.columns), [("0/1", a)])
    offset, length = ranges["0/1"]
    with pytest.raises(OSError, match="first.csv: shorter than"):
        write_csv_blocks(
            tmp_path / "second.csv",
            list(a.columns),
            [("0/1", CsvBlock(tmp_path / "first.csv", offset, length + 50))],
        )
    assert not (tmp_path / "second.csv").exists()


def test_fits_columns_text_categories_and_nullables(tmp_path):
    df = pd.DataFrame(
        {
            "source_id": pd.array(["a", None, "ccc"], dtype="string"),
            "Class": pd.Categorical(["AGN", "YSO", "AGN"]),
            "nh_bin": pd.Categorical([0, 2, 1]),
            "n": pd.array([1, None, 3], dtype="Int64"),
            "confident": pd.array([True, None, False], dtype="boolean"),
        }
    )
    write_table(df, tmp_path / "t.fits")
    t = Table.read(tmp_path / "t.fits", mask_invalid=False)
    assert list(t["source_id"]) == ["a", "", "ccc"] and list(t["Class"]) == ["AGN", "YSO", "AGN"]
    assert (
        list(t["nh_bin"]) == [0, 2, 1]
        and np.isnan(t["n"][1])
        and list(t["confident"]) == [True, False, False]
    )
    write_table(df.iloc[:0], tmp_path / "empty.fits")
    assert len(Table.read(tmp_path / "empty.fits")) == 0
