"""`muwclass import` from a TAP service and from a remote HATS catalog, both on 127.0.0.1."""

from __future__ import annotations

import lsdb
import numpy as np
import pandas as pd
import pytest

from muwclass.config.catalog_definition import load_catalog_definition
from muwclass.config.run import load_run_config
from muwclass.errors import ConfigError
from muwclass.ingest.candidates import read_candidate_records
from muwclass.ingest.run_import import run_import as run
from tests.servers import angular_sep_deg, file_server, tap_server

CONE = (166.25, -58.80, 0.08)  # inside the NGC3532 field


@pytest.fixture(scope="module")
def gaia_native(data_dir) -> pd.DataFrame:
    """Real Gaia DR3 records of the NGC3532 field, with VizieR's native column names."""
    d = load_catalog_definition("gaia_dr3")
    cols = d.native_columns() + ["DR3Name"]
    chunks = read_candidate_records(data_dir / "fields/NGC3532/NGC3532_gaia.csv", d.source.candidates, 10_000)
    frame = pd.concat([c.frame for c in chunks])[cols].drop_duplicates("DR3Name").reset_index(drop=True)
    for c in cols:
        if c != "DR3Name":
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame


def _expected_ids(frame: pd.DataFrame) -> set[str]:
    inside = angular_sep_deg(frame.RA_ICRS, frame.DE_ICRS, CONE[0], CONE[1]) <= CONE[2]
    return set(frame.loc[inside, "DR3Name"].str.extract(r"(\d+)$", expand=False))


def test_import_from_tap_service(write_conf, gaia_native, dask_client):
    with tap_server({"I/355/gaiadr3": gaia_native}) as (url, handler):
        cfg = load_run_config(
            write_conf({"gaia": {"definition": "gaia_dr3", "source": {"tap": url, "cone": list(CONE)}}})
        )
        report = run(cfg, dask_client, progress=False)[0]
    got = lsdb.read_hats(cfg.layout.catalog("gaia")).compute()
    assert set(got["source_id"]) == _expected_ids(gaia_native)
    assert 20 < report["imported"] == len(got) and report["quarantined"] == 0
    assert np.allclose(got["err_maj"].median(), gaia_native["e_RA_ICRS"].median() / 1000, rtol=0.5)


def test_import_from_remote_hats(write_conf, gaia_native, tmp_path, dask_client):
    from hats_import.catalog.arguments import ImportArguments
    from hats_import.pipeline import pipeline_with_client

    src = tmp_path / "gaia_native.parquet"
    gaia_native.to_parquet(src)
    pipeline_with_client(
        ImportArguments(
            output_artifact_name="gaia_native",
            output_path=tmp_path / "served",
            input_file_list=[str(src)],
            file_reader="parquet",
            ra_column="RA_ICRS",
            dec_column="DE_ICRS",
            progress_bar=False,
        ),
        dask_client,
    )
    with file_server(tmp_path / "served") as url:
        cfg = load_run_config(
            write_conf(
                {
                    "gaia": {
                        "definition": "gaia_dr3",
                        "source": {"hats": f"{url}/gaia_native", "cone": list(CONE)},
                    }
                }
            )
        )
        run(cfg, dask_client, progress=False)
    got = lsdb.read_hats(cfg.layout.catalog("gaia")).compute()
    assert set(got["source_id"]) == _expected_ids(gaia_native)


def test_tap_import_without_cone_or_query_is_a_config_error(write_conf, dask_client):
    cfg = load_run_config(
        write_conf({"gaia": {"definition": "gaia_dr3", "source": {"tap": "http://127.0.0.1:9/tap"}}})
    )
    with pytest.raises(ConfigError, match=r"catalogs.gaia.source: a TAP import needs 'cone"):
        run(cfg, dask_client, progress=False)
