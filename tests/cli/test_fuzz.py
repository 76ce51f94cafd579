"""`ablation validate` is the gate, checked by a seeded fuzzer: each case mutates a valid study (its spec,
its data file, or both) one to three times, and then either `validate` refuses it in one line per
problem (exit 2, nothing written, no traceback), or `run` succeeds. Never a traceback, never a failure
after fitting that `validate` could have seen. The case count is bounded for CI (ABLATION_FUZZ_CASES
raises it); every case is reproducible from its seed, which a failure names."""

from __future__ import annotations

import copy
import os
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from bad_input_cases import ANSI, invoke, regression_frame, regression_spec

CASES = int(os.environ.get("ABLATION_FUZZ_CASES", "48"))
ODD_TEXT = ["", " ", "年龄", "a\x00b", "=cmd()", "\ud800", "x" * 300, "../../etc", "NaN", "-1", "1e999", "[1]", "{a: 1}"]
ODD_VALUES = [None, -1, 0, 1.5, 10**9, float("nan"), True, [], {}, ["a"], {"k": "v"}, "auto", "each"]


def mutate_spec(spec: dict, rng: random.Random) -> str:
    """One change to the spec: a value replaced by an odd one, a key dropped, renamed or added."""
    path, parent, key = _pick(spec, rng)
    choice = rng.randrange(5)
    if choice == 0 and isinstance(parent, dict):
        parent.pop(key, None)
        return f"dropped {path}"
    if choice == 1 and isinstance(parent, dict):
        parent[key + rng.choice(["s", "_", "X"])] = parent.pop(key)
        return f"renamed {path}"
    if choice == 2 and isinstance(parent, dict):
        parent[rng.choice(["extra", "sead", "fold"])] = rng.choice(ODD_VALUES)
        return f"added a key beside {path}"
    value = rng.choice(ODD_TEXT) if choice == 3 else rng.choice(ODD_VALUES)
    parent[key] = value
    return f"{path} = {value!r}"


def _pick(node, rng: random.Random, path: str = ""):
    """A random leaf or branch of the spec: (its path, its parent, its key)."""
    parent, key = None, None
    while isinstance(node, (dict, list)) and node:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = rng.choice(keys)
        parent, path = node, f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
        if rng.random() < 0.35:
            break
        node = node[key]
    return path, parent, key


def mutate_data(frame: pd.DataFrame, rng: random.Random) -> tuple[pd.DataFrame, str]:
    """One change to the data: missing values, a column dropped or renamed oddly, odd cells, few rows."""
    frame = frame.copy()
    column = rng.choice(list(frame.columns))
    choice = rng.randrange(8)
    if choice == 0:
        frame.loc[rng.sample(range(len(frame)), 3), column] = np.nan
        return frame, f"missing values in {column}"
    if choice == 1:
        return frame.drop(columns=column), f"dropped column {column}"
    if choice == 2:
        return frame.rename(columns={column: rng.choice(ODD_TEXT[1:4] + ["Y", "a b"])}), f"renamed column {column}"
    if choice == 3 and len(frame):  # (an earlier change may have left no rows)
        frame[column] = frame[column].astype(object)
        frame.loc[rng.randrange(len(frame)), column] = rng.choice(["x" * 200_000, "1,2", "\x00", "inf", "年"])
        return frame, f"an odd cell in {column}"
    if choice == 4:
        return frame.head(rng.choice([0, 1, 2, 5])), "few rows"
    if choice == 5:
        frame[column] = 1.0
        return frame, f"{column} constant"
    if choice == 6:  # what only a Parquet file holds (written as one, below)
        frame[column] = [rng.choice([[0.5, 1.0], {"k": 1}, b"\x00"])] * len(frame)
        return frame, f"cells no model takes in {column}"
    frame[f"{column}_copy"] = frame[column]
    return frame, f"a copy of {column}"


def case(seed: int) -> tuple[dict, pd.DataFrame, list[str]]:
    rng = random.Random(seed)
    spec, frame = regression_spec(), regression_frame()
    spec["ablations"] = [{"features": "each", "mode": "drop"}, {"features": ["c"], "mode": "permute", "permutations": 2}]
    spec["statistics"] = {"simplify": False}
    changes = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.6:
            changes.append(mutate_spec(spec, rng))
        else:
            frame, change = mutate_data(frame, rng)
            changes.append(change)
    return spec, frame, changes


def write(folder: Path, spec: dict, frame: pd.DataFrame) -> Path:
    """The data as CSV, or as Parquet when a cell is a list, dict or bytes; the spec as UTF-8, or with YAML's
    escapes where it holds text UTF-8 cannot encode (a lone surrogate: a file anyone can write)."""
    folder.mkdir(parents=True)
    if any(isinstance(cell, (list, dict, bytes)) for column in frame.columns for cell in frame[column].head(1)):
        frame.to_parquet(folder / "data.parquet", index=False)
        if isinstance(spec.get("data"), dict) and spec["data"].get("source") == "data.csv":
            spec["data"]["source"] = "data.parquet"
    else:
        frame.to_csv(folder / "data.csv", index=False)
    path = folder / "study.yaml"
    try:
        path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    except UnicodeEncodeError:
        path.write_text(yaml.safe_dump(spec, allow_unicode=False, sort_keys=False), encoding="ascii")
    return path


@pytest.mark.slow
def test_validate_refuses_in_one_line_or_run_succeeds(tmp_path):
    outcomes = {"refused": 0, "ran": 0}
    for seed in range(CASES):
        spec, frame, changes = case(seed)
        folder = tmp_path / f"case{seed}"
        try:
            path = write(folder, copy.deepcopy(spec), frame)
        except (UnicodeEncodeError, yaml.YAMLError):
            continue  # not a file anyone could write
        where = f"case {seed} ({'; '.join(changes)})"
        checked = invoke("validate", path)
        output = ANSI.sub("", checked.output)
        assert "Traceback" not in output, f"{where}: validate raised\n{output}"
        assert checked.exit_code in (0, 2), f"{where}: validate exit {checked.exit_code}\n{output}"
        if checked.exit_code == 2:
            lines = [line for line in ANSI.sub("", checked.stderr).splitlines() if line.strip()]
            assert lines and all(re.match(r"error: \S", line) for line in lines), f"{where}: not one line per problem\n{output}"
            assert not (folder / "results").exists()
            outcomes["refused"] += 1
            continue
        ran = invoke("run", path, "--results-dir", folder / "results")
        output = ANSI.sub("", ran.output)
        assert "Traceback" not in output, f"{where}: run raised after validate accepted it\n{output}"
        assert ran.exit_code == 0, f"{where}: run failed after validate accepted it (exit {ran.exit_code})\n{output}"
        outcomes["ran"] += 1
    assert outcomes["refused"] > CASES // 4 and outcomes["ran"] > 0, outcomes  # the fuzzer reaches both sides
