"""The import on an object store: inputs read from and HATS collections, reports and the
quarantine written to a real S3-compatible server (moto, a separate process), by a real Dask
LocalCluster whose workers reach the store themselves; read back with lsdb."""

from __future__ import annotations

import lsdb
import pytest
import yaml

from muwclass.config.run import load_run_config
from muwclass.ingest.run_import import run_import
from muwclass.io.atomic import current, generations, read_json
from tests.object_store import SECRET, s3_server, upload_tree

pytestmark = [pytest.mark.dask, pytest.mark.slow]

FIELDS = ("NGC3532", "IC2395")


@pytest.fixture
def s3_conf(tmp_path, data_dir, monkeypatch):
    with s3_server(tmp_path) as server:
        for field in FIELDS:
            upload_tree(server, data_dir / "fields" / field, f"s3://muwclass/inputs/fields/{field}")
        upload_tree(server, data_dir / "td", "s3://muwclass/inputs/td")
        monkeypatch.setenv("MUW_S3_SECRET", SECRET)
        conf = {
            "data_dir": "s3://muwclass/inputs",
            "work_dir": "s3://muwclass/work",
            "storage_options": server.storage_options("${MUW_S3_SECRET}"),
            "dask": {"n_workers": 2, "threads_per_worker": 1, "memory_limit": "4GiB"},
            "catalogs": {
                "csc": {
                    "definition": "csc_master",
                    "source": {"local": [f"fields/{f}/{f}_ave.csv" for f in FIELDS]},
                },
                "gaia": {
                    "definition": "gaia_dr3",
                    "source": {"local": [f"fields/{f}/{f}_gaia.csv" for f in FIELDS]},
                },
            },
            "import": {"highest_healpix_order": 7, "pixel_threshold": 400, "margin_arcsec": 20.0},
        }
        path = tmp_path / "run.yaml"
        path.write_text(yaml.safe_dump(conf))
        yield path


def test_import_writes_hats_on_the_object_store(s3_conf, dask_client):
    cfg = load_run_config(s3_conf)
    reports = {r["catalog"]: r for r in run_import(cfg, dask_client, progress=False)}
    assert reports["csc"]["imported"] == 373 + 100 and reports["csc"]["merged_duplicates"] == 100
    csc_dir = cfg.layout.catalog("csc")
    assert [g.name for g in generations(csc_dir)] == [current(csc_dir).relative_to(csc_dir).parts[0]]
    got = lsdb.read_hats(current(csc_dir)).compute()
    assert len(got) == 473
    gaia = lsdb.read_hats(current(cfg.layout.catalog("gaia")))
    assert gaia.margin is not None
    assert read_json(cfg.layout.import_report("csc"))["imported"] == 473
    again = {r["catalog"]: r for r in run_import(cfg, dask_client, progress=False)}
    assert again["csc"]["skipped"] and again["gaia"]["skipped"]
    # a forced rebuild of the same inputs goes to a new generation, the published one untouched
    before = current(csc_dir)
    run_import(cfg, dask_client, catalogs=["csc"], force=True, progress=False)
    assert current(csc_dir) != before and [g.name for g in generations(csc_dir)] == [
        current(csc_dir).parent.name
    ]
    assert len(lsdb.read_hats(current(csc_dir)).compute()) == 473
