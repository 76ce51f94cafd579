"""Error helpers: field paths and 'did you mean' hints."""

from __future__ import annotations

from ablation_pipeline.errors import field_path


def test_field_path_formatting():
    assert field_path(("ablations", 2, "features", 0, 1)) == "ablations[2].features[0][1]"
    assert field_path(()) == "(top level)"
