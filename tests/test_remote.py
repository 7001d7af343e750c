"""Remote sources for real: pyvo against a TAP service on 127.0.0.1, lsdb over HTTP."""

from __future__ import annotations

import socket

import lsdb
import numpy as np
import pandas as pd
import pytest

from muwclass.remote import RemoteSourceError, cone_adql, read_remote_hats, tap_query
from tests.servers import angular_sep_deg, file_server, tap_server


@pytest.fixture(scope="module")
def stars() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 3000
    return pd.DataFrame(
        {
            "source_id": np.arange(n, dtype=np.int64) + 10**15,
            "ra": rng.uniform(150, 152, n),
            "dec": rng.uniform(-31, -29, n),
            "phot_g_mean_mag": rng.uniform(12, 21, n),
        }
    )


def test_tap_cone_query_returns_exactly_the_rows_in_the_cone(stars):
    with tap_server({"gaiadr3.gaia_source": stars}) as (url, handler):
        adql = cone_adql("gaiadr3.gaia_source", "ra", "dec", 151.0, -30.0, 0.25)
        got = tap_query(url, adql)
    expect = stars[angular_sep_deg(stars.ra, stars.dec, 151.0, -30.0) <= 0.25]
    assert 50 < len(got) == len(expect)
    assert sorted(got["source_id"]) == sorted(expect["source_id"])
    assert got["source_id"].dtype.kind == "i" and got["ra"].dtype.kind == "f"
    assert any(r.endswith("/tap/sync") for r in handler.requests_seen)


def test_tap_columns_and_top(stars):
    with tap_server({"t": stars}) as (url, _):
        got = tap_query(url, "SELECT TOP 7 source_id, phot_g_mean_mag FROM t")
    assert list(got.columns) == ["source_id", "phot_g_mean_mag"] and len(got) == 7


def test_tap_errors_name_the_url_and_query(stars):
    with tap_server({"t": stars}) as (url, _):
        with pytest.raises(RemoteSourceError, match=rf"TAP service {url} failed for query \[SELECT \* FROM nope\].*nope"):
            tap_query(url, "SELECT * FROM nope")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/tap"
    with pytest.raises(RemoteSourceError, match=f"TAP service {closed} failed"):
        tap_query(closed, "SELECT * FROM t", timeout=5)


def test_remote_hats_over_http_equals_local(stars, tmp_path, dask_client):
    from hats_import.catalog.arguments import ImportArguments
    from hats_import.pipeline import pipeline_with_client

    src = tmp_path / "stars.parquet"
    stars.to_parquet(src)
    args = ImportArguments(
        output_artifact_name="stars", output_path=tmp_path / "hats", input_file_list=[str(src)],
        file_reader="parquet", ra_column="ra", dec_column="dec", pixel_threshold=1000,
        highest_healpix_order=7, progress_bar=False,
    )
    pipeline_with_client(args, dask_client)
    local = lsdb.read_hats(tmp_path / "hats" / "stars")
    with file_server(tmp_path / "hats") as url:
        remote = read_remote_hats(f"{url}/stars")
        assert remote.get_healpix_pixels() == local.get_healpix_pixels()
        pd.testing.assert_frame_equal(remote.compute(), local.compute())
        cone_remote = remote.cone_search(151.0, -30.0, 900).compute()
        cone_local = local.cone_search(151.0, -30.0, 900).compute()
        pd.testing.assert_frame_equal(cone_remote, cone_local)
        assert len(cone_local) > 50
        (tmp_path / "hats" / "notacatalog").mkdir()
        with pytest.raises(RemoteSourceError, match=f"cannot open remote HATS catalog {url}/notacatalog"):
            read_remote_hats(f"{url}/notacatalog")
