"""Remote sources for real: pyvo against a TAP service on 127.0.0.1, lsdb over HTTP."""

from __future__ import annotations

import lsdb
import numpy as np
import pandas as pd
import pytest
from astropy.coordinates import SkyCoord

from muwclass.errors import RemoteSourceError
from muwclass.io.remote import cone_adql, read_remote_hats, tap_query
from tests.servers import closed_port_url, file_server, tap_server

TABLE = "gaiadr3.gaia_source"
CONE = (151.0, -30.0, 0.25)


@pytest.fixture(scope="module")
def stars() -> pd.DataFrame:
    """Gaia-like rows on a 2x2 deg patch, with the dtypes a real query returns."""
    rng = np.random.default_rng(7)
    n = 3000
    return pd.DataFrame(
        {
            "source_id": np.arange(n, dtype=np.int64) + 10**15,
            "designation": [f"Gaia DR3 {i}" for i in range(n)],
            "ra": rng.uniform(150, 152, n),
            "dec": rng.uniform(-31, -29, n),
            "phot_g_mean_mag": rng.uniform(12, 21, n).astype(np.float32),
            "parallax": np.where(rng.random(n) < 0.1, np.nan, rng.normal(1, 0.5, n)),
            "n_obs": rng.integers(5, 500, n).astype(np.int32),
            "duplicated_source": rng.random(n) < 0.05,
        }
    )


@pytest.fixture(scope="module")
def tap(stars):
    """The TAP service (base URL, handler) serving ``stars`` as gaiadr3.gaia_source."""
    with tap_server({TABLE: stars}) as served:
        yield served


def _in_cone(frame: pd.DataFrame, ra: float, dec: float, radius: float) -> pd.DataFrame:
    centre = SkyCoord(ra, dec, unit="deg")
    return frame[
        SkyCoord(frame.ra.to_numpy(), frame.dec.to_numpy(), unit="deg").separation(centre).deg <= radius
    ]


def test_cone_adql_is_the_standard_form():
    assert cone_adql("t", "RA", "DE", 10, -5.5, 0.1, ["a", "b"]) == (
        "SELECT a, b FROM t WHERE 1=CONTAINS(POINT('ICRS', RA, DE), CIRCLE('ICRS', 10.0, -5.5, 0.1))"
    )
    assert cone_adql("t", "ra", "dec", 1, 2, 3).startswith("SELECT * FROM t WHERE")
    for bad in [(360, 0, 1), (0, 91, 1), (0, 0, 0), (0, 0, -1)]:
        with pytest.raises(ValueError, match="bad cone"):
            cone_adql("t", "ra", "dec", *bad)


def test_tap_cone_query_returns_exactly_the_rows_in_the_cone(stars, tap):
    url, handler = tap
    handler.requests_seen.clear()
    got = tap_query(url, cone_adql(TABLE, "ra", "dec", *CONE))
    expect = _in_cone(stars, *CONE)
    assert 50 < len(expect) < len(stars)
    pd.testing.assert_frame_equal(
        got.sort_values("source_id").reset_index(drop=True), expect.reset_index(drop=True), check_exact=True
    )
    assert handler.requests_seen == ["POST /tap/sync"]  # all pyvo's run_sync sends
    sent = handler.queries[-1]
    assert sent["REQUEST"] == "doQuery" and sent["LANG"] == "ADQL" and "MAXREC" not in sent


def test_tap_columns_top_and_maxrec(stars, tap):
    url, _ = tap
    got = tap_query(url, f"SELECT TOP 7 source_id, phot_g_mean_mag FROM {TABLE}")
    assert list(got.columns) == ["source_id", "phot_g_mean_mag"] and len(got) == 7
    assert got.dtypes.tolist() == [np.dtype("int64"), np.dtype("float32")]

    got = tap_query(url, cone_adql(TABLE, "ra", "dec", *CONE, columns=["designation", "dec"]))
    assert list(got.columns) == ["designation", "dec"]
    assert sorted(got.designation) == sorted(_in_cone(stars, *CONE).designation)

    # truncation at the caller's maxrec is what was asked for
    assert len(tap_query(url, f"SELECT * FROM {TABLE}", maxrec=25)) == 25


def test_tap_result_cut_by_the_service_limit_is_an_error(stars):
    with tap_server({TABLE: stars}, limit=100) as (url, _):
        with pytest.raises(
            RemoteSourceError, match=rf"TAP service {url} truncated .* at 100 rows \(service limit\)"
        ):
            tap_query(url, f"SELECT * FROM {TABLE}")
        with pytest.raises(RemoteSourceError, match="at 100 rows .*maxrec=500"):
            tap_query(url, f"SELECT * FROM {TABLE}", maxrec=500)
        assert len(tap_query(url, f"SELECT * FROM {TABLE}", maxrec=100)) == 100
        assert len(tap_query(url, cone_adql(TABLE, "ra", "dec", 151.0, -30.0, 0.05))) < 100


def test_tap_errors_name_the_url_and_query(tap):
    url, _ = tap
    with pytest.raises(
        RemoteSourceError, match=r"TAP service .* failed for query \[SELECT \* FROM nope\]"
    ) as err:
        tap_query(url, "SELECT * FROM nope")
    assert url in str(err.value) and "table 'nope' does not exist" in str(err.value)
    assert "\n" not in str(err.value) and err.value.__cause__ is None and err.value.__suppress_context__

    # the server refuses what it cannot evaluate instead of ignoring it
    with pytest.raises(RemoteSourceError, match="unsupported WHERE clause"):
        tap_query(url, f"SELECT * FROM {TABLE} WHERE phot_g_mean_mag < 15")

    closed = closed_port_url("/tap")
    with pytest.raises(
        RemoteSourceError, match=rf"TAP service {closed} failed for query \[SELECT \* FROM t\]"
    ):
        tap_query(closed, "SELECT * FROM t", timeout=5)


def test_tap_url_that_is_not_a_tap_service(tmp_path):
    with (
        file_server(tmp_path) as url,
        pytest.raises(
            RemoteSourceError, match=rf"TAP service {url}/tap failed for query \[SELECT \* FROM t\]: \d{{3}} "
        ),
    ):
        tap_query(f"{url}/tap", "SELECT * FROM t", timeout=5)


@pytest.fixture(scope="module")
def stars_hats(stars, tmp_path_factory, dask_client):
    """``stars`` imported with hats-import into <tmp>/hats/stars; returns <tmp>/hats."""
    from hats_import.catalog.arguments import ImportArguments
    from hats_import.pipeline import pipeline_with_client

    tmp = tmp_path_factory.mktemp("remote_hats")
    src = tmp / "stars.parquet"
    stars.to_parquet(src)
    args = ImportArguments(
        output_artifact_name="stars",
        output_path=tmp / "hats",
        input_file_list=[str(src)],
        file_reader="parquet",
        ra_column="ra",
        dec_column="dec",
        pixel_threshold=1000,
        highest_healpix_order=7,
        progress_bar=False,
    )
    pipeline_with_client(args, dask_client)
    (tmp / "hats" / "notacatalog").mkdir()
    (tmp / "hats" / "notacatalog" / "stars.parquet").write_bytes(src.read_bytes())
    return tmp / "hats"


def test_remote_hats_over_http_equals_local(stars, stars_hats):
    local = lsdb.read_hats(stars_hats / "stars")
    assert len(local.get_healpix_pixels()) > 1  # the comparison covers several partitions
    with file_server(stars_hats) as url:
        remote = read_remote_hats(f"{url}/stars")
        assert remote.get_healpix_pixels() == local.get_healpix_pixels()
        whole = remote.compute()
        pd.testing.assert_frame_equal(whole, local.compute())
        assert sorted(whole.source_id) == sorted(stars.source_id)

        cone_remote = remote.cone_search(CONE[0], CONE[1], CONE[2] * 3600).compute()
        pd.testing.assert_frame_equal(
            cone_remote, local.cone_search(CONE[0], CONE[1], CONE[2] * 3600).compute()
        )
        assert sorted(cone_remote.source_id) == sorted(_in_cone(stars, *CONE).source_id)

        # columns and search_filter go through to lsdb.read_hats
        narrow = read_remote_hats(
            f"{url}/stars",
            columns=["source_id", "phot_g_mean_mag"],
            search_filter=lsdb.ConeSearch(ra=CONE[0], dec=CONE[1], radius_arcsec=CONE[2] * 3600),
        )
        assert len(narrow.get_healpix_pixels()) < len(local.get_healpix_pixels())
        got = narrow.compute()
        assert {"source_id", "phot_g_mean_mag"} <= set(got.columns) and "designation" not in got.columns
        assert sorted(got.source_id) == sorted(cone_remote.source_id)


def test_remote_hats_errors_name_the_url(stars_hats):
    with file_server(stars_hats) as url:
        for name in ["notacatalog", "missing"]:
            with pytest.raises(
                RemoteSourceError, match=rf"cannot open remote HATS catalog {url}/{name}: not a HATS catalog"
            ):
                read_remote_hats(f"{url}/{name}")
    closed = closed_port_url("/stars")
    with pytest.raises(
        RemoteSourceError, match=rf"cannot open remote HATS catalog {closed}: server unreachable"
    ):
        read_remote_hats(closed)
