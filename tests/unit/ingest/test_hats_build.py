"""Torn hats-import resume files (a SIGKILL mid-write) are discarded, not trusted."""

from __future__ import annotations

import numpy as np
from hats.pixel_math.sparse_histogram import SparseHistogram

from muwclass.ingest.hats_build import discard_torn_histograms


def test_torn_histograms_are_removed_and_good_ones_kept(tmp_path):
    hist_dir = tmp_path / "gaia" / "intermediate" / "row_count_histograms"
    hist_dir.mkdir(parents=True)
    good = hist_dir / "map_0.npz"
    SparseHistogram(np.array([3]), np.array([7]), 2).to_file(good)
    torn = hist_dir / "map_1.npz"
    torn.write_bytes(good.read_bytes()[:10])
    empty = hist_dir / "map_2.npz"
    empty.write_bytes(b"")
    combined = tmp_path / "gaia" / "intermediate" / "row_count_mapping_histogram.npz"
    combined.write_bytes(b"\0" * 100)
    done = combined.parent / "mapping_done"
    done.touch()

    removed = discard_torn_histograms(tmp_path, highest_order=2)

    assert sorted(p.name for p in removed) == ["map_1.npz", "map_2.npz", "row_count_mapping_histogram.npz"]
    assert good.exists() and not torn.exists() and not empty.exists()
    assert not combined.exists() and not done.exists()


def test_complete_combined_histogram_is_kept(tmp_path):
    combined = tmp_path / "row_count_mapping_histogram.npz"
    combined.write_bytes(np.zeros(12 * 4**2, dtype=np.int64).tobytes())
    assert discard_torn_histograms(tmp_path, highest_order=2) == []
    assert combined.exists()
