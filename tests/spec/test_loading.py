"""Reading a spec: safe YAML only, within bounds (size, nesting, alias expansion, no duplicate keys, a
regular file), and every problem as one line naming the file and the field."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import yaml

from ablation_pipeline.errors import SpecError
from ablation_pipeline.spec import loading
from ablation_pipeline.spec.loading import MAX_DEPTH, MAX_NODES, MAX_SPEC_BYTES, load_spec, load_yaml, parse_spec

from builders import STUDIES, linear_frame, small_spec, write_study


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
    spec = small_spec(evaluation={"foldz": 3}, statistics={"alpha": 2}, data={"target": "y"})
    with pytest.raises(SpecError) as caught:
        parse_spec(spec)
    assert str(caught.value).splitlines() == [
        "<spec>: data: give exactly one of source (a data file or sklearn:<name>) or asset (a Dagster asset key)",
        "<spec>: evaluation.foldz: unknown key 'foldz'; did you mean 'folds'? "
        "(allowed: folds, repeats, max_repeats, seed, metrics, groups, holdout, order)",
        "<spec>: statistics.alpha: Input should be less than 1, got 2",
    ]


# ---------------------------------------------------------------- the loader's bounds

BOMB = "".join(["root:\n", "  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
                *(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 9))])


def refusal(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        load_yaml(text, "s.yaml")
    return str(caught.value)


@pytest.mark.timeout(10)
def test_an_alias_bomb_is_refused_in_milliseconds():
    assert len(BOMB) < 800
    started = time.perf_counter()
    assert refusal(BOMB) == "s.yaml: YAML aliases expand to more than 100,000 nodes; a study spec does not need that"
    assert time.perf_counter() - started < 0.5


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("text", "message"), [
    ("a: &a [*a]\n", "YAML alias on line 1 refers to a node that contains it; a study spec cannot be recursive"),
    ("a: &a {b: *a}\n", "YAML alias on line 1 refers to a node that contains it; a study spec cannot be recursive"),
    ("x: " + "[" * 80 + "]" * 80 + "\n", f"YAML nested more than {MAX_DEPTH} levels deep (line 1); a study spec does not need that"),
    ("a: &a " + "[" * 40 + "1" + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n",
     f"YAML aliases nest more than {MAX_DEPTH} levels deep; a study spec does not need that"),
])
def test_recursion_depth_and_size_are_bounded(text, message):
    assert refusal(text) == f"s.yaml: {message}"


def test_plain_yaml_is_bounded_too(monkeypatch):
    monkeypatch.setattr(loading, "MAX_NODES", 1000)  # the real bound, 100,000 nodes, takes seconds to parse
    assert refusal("[" + ", ".join(["1"] * 1000) + "]\n") == "s.yaml: YAML has more than 1,000 nodes; a study spec does not need that"
    assert load_yaml("[" + ", ".join(["1"] * 998) + "]\n", "s.yaml") == [1] * 998
    assert MAX_NODES == 100_000


def test_aliases_within_bounds_load_as_safe_load_does():
    text = "base: &b {lr: 0.01, epochs: 3}\na: *b\nb: {<<: *b, epochs: 5}\nlist: &l [1, 2]\nagain: [*l, *l]\n"
    assert load_yaml(text, "s.yaml") == yaml.safe_load(text)


@pytest.mark.parametrize("path", sorted(STUDIES.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_example_studies_load_exactly_as_with_safe_load(path):
    text = path.read_text(encoding="utf-8")
    assert load_yaml(text, str(path)) == yaml.safe_load(text)


@pytest.mark.parametrize(("text", "lines"), [
    ("a: 1\nb: 2\na: 3\n", ["a: key 'a' is given twice (lines 1 and 3)"]),
    ("e:\n  folds: 3\n  folds: 5\nl:\n  - {m: 1, m: 2}\n", ["e.folds: key 'folds' is given twice (lines 2 and 3)",
                                                          "l[0].m: key 'm' is given twice (line 5, columns 6 and 12)"]),
    ("1: a\n0x1: b\n", ["1: key '1' is given twice (lines 1 and 2)"]),  # the same key once resolved
])
def test_duplicate_keys_are_refused_with_their_lines(text, lines):
    assert refusal(text).splitlines() == [f"s.yaml: {line}; YAML would keep only the last, so give it once" for line in lines]


def test_keys_yaml_reads_as_booleans_stay_names_and_values_stay_booleans():
    loaded = load_yaml("units: {on: input, dim: -1}\nkwargs: {yes: 1, Off: 2, 'true': 3}\nflag: on\nother: no\n", "s.yaml")
    assert loaded == {"units": {"on": "input", "dim": -1}, "kwargs": {"yes": 1, "Off": 2, "true": 3}, "flag": True, "other": False}


@pytest.mark.parametrize(("written", "hint"), [
    ("features: [2019, x]", "features: expected 'each', 'groups', 'clusters' or a list of feature/group names and [feature, ...] "
                            "lists, got 2019 (YAML reads 2019 as a number: quote the name, '2019')"),
    ("features: [[x, no]]", "got ['x', False] (YAML reads yes/no/on/off/true/false as booleans: quote a name such as 'no')"),
    ("layers: [0]", "layers: expected 'each' or a list of layer names, got 0 (YAML reads 0 as a number: quote the name, '0')"),
])
def test_a_name_yaml_reads_as_a_number_or_a_boolean_says_to_quote_it(tmp_path, written, hint):
    text = "name: q\ndata: {source: data.csv, target: y}\nmodel: {estimator: Ridge}\n"
    path = write_study(tmp_path, text + f"ablations:\n  - {{{written}, mode: zero}}\n", linear_frame())
    with pytest.raises(SpecError, match="s: expected") as caught:
        load_spec(path)
    assert str(caught.value).endswith(hint)


def test_merge_keys_may_be_overridden():
    assert load_yaml("b: &b {x: 1, y: 2}\nc: {<<: *b, x: 3}\n", "s.yaml")["c"] == {"x": 3, "y": 2}


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("make", "kind"), [
    (os.mkfifo, "a FIFO"),
    (lambda p: p.mkdir(), "a directory"),
    (lambda p: p.symlink_to("/dev/zero"), "a character device"),
])
def test_a_path_that_is_not_a_regular_file_is_refused_without_reading(tmp_path, make, kind):
    path = tmp_path / "spec.yaml"
    make(path)
    with pytest.raises(SpecError, match=rf"^{re.escape(str(path))}: not a regular file \({kind}\); a study spec is a YAML file$"):
        load_spec(path)


@pytest.mark.timeout(10)
def test_size_is_checked_before_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: 8 GiB that would take minutes to read
        handle.truncate(8 << 30)
    with pytest.raises(SpecError, match=rf"^{re.escape(str(path))}: 8,589,934,592 bytes; a study spec is at most 256 KiB$"):
        load_spec(path)
    path.write_text("name: x\n" + "#" * MAX_SPEC_BYTES)
    with pytest.raises(SpecError, match="a study spec is at most 256 KiB"):
        load_spec(path)
    path.write_text("x" * (MAX_SPEC_BYTES - 10))
    with pytest.raises(SpecError, match="expected a mapping of study fields at the top level, got str"):
        load_spec(path)  # just under the limit: read and parsed


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(SpecError, match=r"nope.yaml: file not found$"):
        load_spec(tmp_path / "nope.yaml")
    (tmp_path / "latin.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(SpecError, match=r"latin.yaml: not a UTF-8 text file$"):
        load_spec(tmp_path / "latin.yaml")


def test_the_spec_layer_imports_no_heavy_library():
    """Loading and validating a spec, a schedule and a network included, needs none of them."""
    code = ("import sys\nfrom ablation_pipeline.spec.loading import load_yaml, parse_spec\n"
            "spec = parse_spec(load_yaml('name: t\\ndata: {source: x.csv, target: y}\\nmodel: {network: {layers: "
            "[{name: o, type: Linear, output: true}]}}\\nablations: [{features: each}]\\n"
            "schedule: {cron: \"0 3 * * mon-fri\", timezone: Europe/Paris}\\n', 't.yaml'))\n"
            "print(sorted(m for m in ('dagster', 'torch', 'pandas', 'sklearn') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_a_spec_without_a_model_is_refused_before_anything_runs(tmp_path):
    """The model may come from code (`run_study(..., estimator=...)`); without it, planning says so in one line."""
    from ablation_pipeline.pipeline.setup import plan_study

    spec = small_spec()
    del spec["model"]
    with pytest.raises(SpecError) as caught:
        plan_study(load_spec(write_study(tmp_path, spec, linear_frame())))
    assert str(caught.value).splitlines() == [
        f"{tmp_path / 'small.yaml'}: model: give one of estimator (a class), factory (module:function) or network (torch "
        "layers); from Python, run_study(..., estimator=...) may give the estimator instead"]
