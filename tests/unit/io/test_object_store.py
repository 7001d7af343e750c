"""Publishing on a real S3-compatible server (moto, a separate process on 127.0.0.1): the
generation protocol of muwclass.io.atomic, the upload of single files, the ``latest`` pointer,
credentials kept out of everything printed, and a clear error when the store is down."""

from __future__ import annotations

import json

import pytest

from muwclass.config.run import load_run_config
from muwclass.errors import ConfigError, OutputError, StorageError
from muwclass.io.atomic import (
    atomic_path,
    current,
    generations,
    latest_version,
    partial_dir,
    point_latest,
    publish,
    read_json,
    worker_partial_dir,
    write_json,
)
from muwclass.io.products import MARKER, check_output_directory
from muwclass.io.storage import is_object_store, location
from tests.object_store import SECRET, s3_server


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with s3_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def root(s3, request, monkeypatch):
    monkeypatch.setenv("MUW_TEST_SECRET", SECRET)
    options = {**s3.storage_options("${MUW_TEST_SECRET}")}
    return location(f"s3://muwclass/{request.node.name}", options, "test")


def _build(final, text, by_workers=False):
    partial = worker_partial_dir(final) if by_workers else partial_dir(final)
    (partial / "data.txt").write_text(text)
    return partial


def test_publish_names_the_generation_last_and_drops_the_previous(root):
    final = root / "product"
    assert is_object_store(final)
    first = _build(final, "one", by_workers=True)
    assert current(final) == final  # nothing published yet: no generation is current
    publish(first, final, "model")
    assert (current(final) / "data.txt").read_text() == "one"
    second = _build(final, "two", by_workers=True)
    assert (current(final) / "data.txt").read_text() == "one"  # built, not yet committed
    publish(second, final, "model")
    assert (current(final) / "data.txt").read_text() == "two"
    assert [g.name for g in generations(final)] == [second.name]
    third = _build(final, "three")  # built on the driver's scratch, uploaded by publish
    assert not is_object_store(third)
    publish(third, final, "model")
    assert (current(final) / "data.txt").read_text() == "three" and len(generations(final)) == 1
    assert not third.exists()
    assert json.loads((final / MARKER).read_text())["kind"] == "model"


def test_a_crashed_run_leaves_the_previous_generation_and_the_next_run_cleans_up(root):
    final = root / "product"
    publish(_build(final, "good"), final, "hats")
    crashed = _build(final, "half", by_workers=True)  # a run killed before publish
    assert (current(final) / "data.txt").read_text() == "good"
    publish(_build(final, "next"), final, "hats")
    names = [g.name for g in generations(final)]
    assert crashed.name not in names and len(names) == 1
    assert (current(final) / "data.txt").read_text() == "next"


def test_publish_refuses_a_prefix_it_did_not_write(root):
    final = root / "theirs"
    (final / "notes.txt").write_text("a user's object")
    with pytest.raises(OutputError, match="objects muwclass did not write"):
        publish(_build(final, "x"), final, "release")
    assert (final / "notes.txt").read_text() == "a user's object"
    other = root / "other-kind"
    publish(_build(other, "x"), other, "model")
    with pytest.raises(OutputError, match="a muwclass model product"):
        publish(_build(other, "y"), other, "release")


def test_single_files_are_uploaded_whole_or_not_at_all(root):
    target = root / "reports" / "r.json"
    write_json(target, {"a": 1})
    assert read_json(target) == {"a": 1}
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("torn")
        raise RuntimeError("killed mid-write")
    assert read_json(target) == {"a": 1}


def test_latest_pointer_is_one_object(root):
    assert latest_version(root) is None
    point_latest(root, "v1")
    point_latest(root, "v2")
    assert latest_version(root) == "v2"


def test_storage_options_reference_the_environment_and_never_hold_the_secret(s3, tmp_path, monkeypatch):
    conf = tmp_path / "run.yaml"
    conf.write_text(
        "data_dir: s3://muwclass/inputs\nwork_dir: s3://muwclass/work\n"
        f"storage_options: {{endpoint_url: '{s3.endpoint}', key: k, secret: '${{MUW_TEST_SECRET}}'}}\n"
        "catalogs: {csc: {definition: csc_master, source: {local: 'x.csv'}}}\n"
    )
    monkeypatch.delenv("MUW_TEST_SECRET", raising=False)
    with pytest.raises(ConfigError, match=r"storage_options.secret' references \$\{MUW_TEST_SECRET\}"):
        load_run_config(conf, check_data=False)
    monkeypatch.setenv("MUW_TEST_SECRET", SECRET)
    cfg = load_run_config(conf, check_data=False)
    assert cfg.work_dir.storage_options["secret"] == SECRET
    shown = cfg.model_dump_json() + str(cfg.work_dir) + repr(cfg.work_dir) + str(cfg.layout.hats)
    assert SECRET not in shown and "${MUW_TEST_SECRET}" in cfg.model_dump_json()


def test_a_store_that_is_down_is_one_line_naming_the_endpoint(tmp_path):
    from tests.object_store import S3Server

    down = S3Server(tmp_path / "moto.log")  # never started: nothing listens on its port
    path = location(
        "s3://muwclass/work/release",
        {**down.storage_options(), "config_kwargs": {"retries": {"max_attempts": 1}}},
    )
    with pytest.raises(StorageError) as err:
        check_output_directory(path, "release", "release directory")
    message = str(err.value)
    assert down.endpoint in message and "\n" not in message and SECRET not in message


def test_an_unreachable_store_is_recognised_through_wrapping_exceptions():
    from botocore.exceptions import EndpointConnectionError

    from muwclass.io.storage import unreachable_store

    cause = EndpointConnectionError(endpoint_url="http://127.0.0.1:19000/bucket/work/x.parquet")
    try:
        try:
            raise cause
        except EndpointConnectionError as exc:
            raise RuntimeError("Some mapping stages failed") from exc
    except RuntimeError as wrapped:
        message = unreachable_store(wrapped)
    assert message.startswith("the object store at http://127.0.0.1:19000 does not answer")
    # a Spark task's failure arrives as text only
    spark = Exception(
        'org.apache.spark.api.python.PythonException: ... Could not connect to the endpoint URL: "http://10.0.0.5:9000/b/k"'
    )
    assert "http://10.0.0.5:9000" in unreachable_store(spark)
    assert unreachable_store(ValueError("a bug")) is None
