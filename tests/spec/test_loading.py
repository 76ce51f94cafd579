"""Reading a spec: safe YAML only, and every problem as one line naming the file and the field."""

from __future__ import annotations

import pytest

from ablation_pipeline.errors import SpecError
from ablation_pipeline.spec.loading import load_spec, parse_spec

from builders import small_spec, write_study


def test_a_valid_spec_remembers_where_it_was_read_from(tmp_path):
    path = write_study(tmp_path, small_spec())
    spec = load_spec(path)
    assert spec.path == path and spec.base_dir == tmp_path and spec.label == str(path)


@pytest.mark.parametrize(("text", "message"), [
    ("name: [unclosed\n", "YAML syntax error (line 2, column 1)"),
    ("- just\n- a list\n", "expected a mapping of study fields at the top level, got list"),
    ("name: x\n!!python/object/apply:os.system ['touch pwned']\n", "YAML syntax error"),
])
def test_bad_yaml_is_one_line_naming_the_file(tmp_path, text, message):
    path = write_study(tmp_path, text, name="bad.yaml")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "pwned").exists()


def test_every_schema_problem_is_its_own_line_with_its_field_path():
    spec = small_spec(evaluation={"foldz": 3}, statistics={"alpha": 2})
    del spec["model"]
    with pytest.raises(SpecError) as caught:
        parse_spec(spec)
    assert str(caught.value).splitlines() == [
        "<spec>: evaluation.foldz: unknown key 'foldz'; did you mean 'folds'? (allowed: folds, repeats, seed, metrics)",
        "<spec>: model: required field is missing",
        "<spec>: statistics.alpha: Input should be less than 1, got 2",
    ]
