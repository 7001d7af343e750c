"""Run configuration: defaults load, and every kind of mistake names its key or path."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from muwclass.config.run import DEFAULT_CONF, load_run_config
from muwclass.errors import ConfigError
from tests.conftest import REPO


def test_default_conf_loads_with_shared_data(data_dir):
    cfg = load_run_config(DEFAULT_CONF, data_dir=data_dir)
    assert cfg.data_dir == data_dir
    assert cfg.work_dir == REPO / "build"
    assert cfg.spark.master == "local[*]"
    assert {"csc", "gaia", "tmass", "allwise"} <= set(cfg.catalogs)


def test_env_overrides_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("MUWCLASS_DATA", str(tmp_path))
    assert load_run_config(DEFAULT_CONF, check_data=False).data_dir == tmp_path


def test_cli_argument_beats_env(monkeypatch, tmp_path, data_dir):
    monkeypatch.setenv("MUWCLASS_DATA", str(tmp_path))
    assert load_run_config(DEFAULT_CONF, data_dir=data_dir).data_dir == data_dir


def _conf(tmp_path, **changes):
    raw = yaml.safe_load(DEFAULT_CONF.read_text())
    raw.update(changes)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_unknown_key_is_named(tmp_path, data_dir):
    with pytest.raises(ConfigError, match=r"unknown key 'sparkk'"):
        load_run_config(_conf(tmp_path, sparkk={"master": "x"}), data_dir=data_dir)


def test_unknown_nested_key_is_named(tmp_path, data_dir):
    with pytest.raises(ConfigError, match=r"unknown key 'dask.n_worker'"):
        load_run_config(_conf(tmp_path, dask={"n_worker": 2}), data_dir=data_dir)


def test_wrong_type_is_named(tmp_path, data_dir):
    with pytest.raises(ConfigError, match=r"key 'dask.n_workers'"):
        load_run_config(_conf(tmp_path, dask={"n_workers": "many"}), data_dir=data_dir)


def test_one_or_several_xray_catalogs_each_with_its_systematic(tmp_path, data_dir):
    one = load_run_config(DEFAULT_CONF, data_dir=data_dir).crossmatch
    assert one.xray == ["csc"] and one.main_xray == "csc" and one.systematic_of("csc") == 0.3
    two = load_run_config(REPO / "conf" / "synthetic-sky-xmm.yaml", data_dir=data_dir).crossmatch
    assert two.xray == ["csc", "xmm"] and two.main_xray == "csc"
    view = two.for_xray("xmm")
    assert view.main_xray == "xmm" and view.systematic_arcsec == 0.0 and two.systematic_of("csc") == 0.3
    with pytest.raises(ConfigError, match=r"key 'crossmatch'.*xray names a catalog twice"):
        load_run_config(_conf(tmp_path, crossmatch={"xray": ["csc", "csc"]}), data_dir=data_dir)
    with pytest.raises(ConfigError, match=r"key 'crossmatch'.*systematic_arcsec must be finite and >= 0"):
        load_run_config(_conf(tmp_path, crossmatch={"systematic_arcsec": {"csc": -1}}), data_dir=data_dir)


def test_missing_data_dir_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"data_dir does not exist: .*nowhere"):
        load_run_config(DEFAULT_CONF, data_dir=tmp_path / "nowhere")


def test_missing_catalog_definition_is_named(tmp_path, data_dir):
    path = _conf(tmp_path, catalogs={"gaia": {"definition": "gaia_dr99"}})
    with pytest.raises(ConfigError, match=r"catalogs.gaia.definition.*gaia_dr99.yaml"):
        load_run_config(path, data_dir=data_dir)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_run_config(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("data_dir: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_run_config(bad)


def test_cli_reports_config_error_in_one_line(tmp_path, data_dir):
    path = _conf(tmp_path, dask={"n_worker": 2})
    proc = subprocess.run(
        [sys.executable, "-m", "muwclass.cli", "config", "--conf", str(path), "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 2
    assert "unknown key 'dask.n_worker'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "conf",
    ["default.yaml", "synthetic-sky.yaml", "synthetic-sky-xmm.yaml", "cluster.yaml", "cluster-local.yaml"],
)
def test_shipped_configs_validate(conf, data_dir, monkeypatch):
    monkeypatch.setenv("MUWCLASS_S3_KEY", "k")  # the cluster configurations reference them
    monkeypatch.setenv("MUWCLASS_S3_SECRET", "s")
    cluster = conf.startswith("cluster")
    cfg = load_run_config(
        REPO / "conf" / conf, data_dir=None if cluster else data_dir, check_data=not cluster
    )
    assert cfg.catalogs


def test_missing_training_set_is_named(tmp_path, data_dir):
    with pytest.raises(ConfigError, match=r"key 'training_set': no file .*td/nope.csv"):
        load_run_config(_conf(tmp_path, training_set="td/nope.csv"), data_dir=data_dir)


def test_default_dask_cluster_is_sized_to_the_machine(data_dir):
    import os

    assert load_run_config(DEFAULT_CONF, data_dir=data_dir).dask.n_workers == os.cpu_count()
