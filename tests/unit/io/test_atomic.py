"""Atomic publication: a reader sees the old product or the new one, never half of one."""

from __future__ import annotations

import pytest

from muwclass.io.atomic import atomic_path, point_latest, publish, read_json, write_json
from muwclass.io.layout import WorkLayout


def test_publish_swaps_a_directory_whole(tmp_path):
    final = tmp_path / "out" / "catalog"
    for content in ("first", "second"):
        partial = tmp_path / f".partial-{content}"
        partial.mkdir()
        (partial / "data.txt").write_text(content)
        publish(partial, final, "test")
        assert (final / "data.txt").read_text() == content and not partial.exists()
    assert sorted(p.name for p in final.parent.iterdir()) == ["catalog"]  # the old copy is gone


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = tmp_path / "reports" / "r.json"
    write_json(path, {"n": 1})
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text('{"n": 2, "torn')
        raise RuntimeError("killed mid-write")
    assert read_json(path) == {"n": 1} and list(path.parent.iterdir()) == [path]
    path.write_text('{"torn')
    assert read_json(path) is None and read_json(tmp_path / "absent.json") is None


def test_latest_pointer_moves_in_one_step(tmp_path):
    for version in ("v1", "v2"):
        (tmp_path / version).mkdir()
        point_latest(tmp_path, version)
        assert (tmp_path / "latest").resolve() == (tmp_path / version).resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "v1", "v2"]


def test_layout_names_every_built_path_under_its_root(tmp_path):
    layout = WorkLayout(tmp_path, synth_name="synthetic/synth")
    paths = [
        layout.catalog("gaia"), layout.staging("gaia", "0123456789abcdef"),
        layout.quarantine("gaia"), layout.import_report("gaia"), layout.candidates("gaia"), layout.downloads("gaia"),
        layout.xmatch("csc"), layout.xmatch_candidates("csc", "gaia"), layout.xmatch_work, layout.cache, layout.models,
        layout.model_index("default"), layout.evaluation("loo"), layout.classified, layout.releases, layout.field("NGC3532"),
        layout.dask, layout.crossmatch_report("csc"), layout.synth, layout.bench("x"),
    ]  # fmt: skip
    assert all(p.is_relative_to(tmp_path) for p in paths) and len(set(paths)) == len(paths)


def test_publish_replaces_only_its_own_kind_of_product(tmp_path):
    from muwclass.errors import OutputError

    final = tmp_path / "out"
    final.mkdir()
    (final / "thesis.tex").write_text("years of work")
    partial = tmp_path / ".partial"
    partial.mkdir()
    with pytest.raises(OutputError, match="files muwclass did not write"):
        publish(partial, final, "field")
    assert (final / "thesis.tex").read_text() == "years of work" and partial.is_dir()
    (final / "thesis.tex").unlink()  # an empty directory is filled
    publish(partial, final, "field")
    again = tmp_path / ".again"
    again.mkdir()
    with pytest.raises(OutputError, match="a muwclass field product"):
        publish(again, final, "release")
