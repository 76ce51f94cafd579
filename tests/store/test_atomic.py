"""Atomic writes: a reader, or a crash, never sees half a file."""

from __future__ import annotations

import pytest

from ablation_pipeline.store import atomic


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "result.csv"
    atomic.atomic_write_text(target, "old\n")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        atomic.atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["result.csv"]
    monkeypatch.undo()
    atomic.atomic_write_text(target, "new\n")
    assert target.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["result.csv"]
