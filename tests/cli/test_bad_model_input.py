"""Bad input when a study brings its own model: from `ablation validate` and from `ablation run`, one
line each naming the spec and the field, exit code 2, nothing written, nothing untrusted imported."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from bad_input_cases import classification_frame, classification_spec, invoke, lines_of, nothing_written, reg, study

pytest.importorskip("lightgbm")

USER_MODULE = """
from sklearn.linear_model import Ridge

def make_model(alpha=1.0):
    return Ridge(alpha=alpha)

def broken(alpha=1.0):
    raise ValueError("alpha must be positive")

def returns_text():
    return "Ridge"

NOT_CALLABLE = 3
"""


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """`badlib.models` importable, and a marker module whose import would write a file."""
    package = tmp_path / "code" / "badlib"
    package.mkdir(parents=True)
    (package / "__init__.py").touch()
    (package / "models.py").write_text(textwrap.dedent(USER_MODULE))
    marker = tmp_path / "imported"
    (tmp_path / "code" / "sideeffect.py").write_text(f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\nclass M: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path / "code"))
    monkeypatch.setenv("ABLATION_TRUSTED_MODULES", "badlib,lightgbm")
    yield marker
    for name in ("sideeffect", "badlib", "badlib.models"):
        sys.modules.pop(name, None)


CASES = [
    pytest.param({"estimator": "sideeffect.M"}, None, ("model.estimator", "'sideeffect.M' is in module 'sideeffect', which this project "
                                                       "does not trust", "ABLATION_TRUSTED_MODULES"), id="untrusted"),
    pytest.param({"estimator": "badlib.models.Rigde"}, None, ("model.estimator", "module 'badlib.models' has no 'Rigde'",
                                                              "did you mean 'Ridge'?"), id="missing-name"),
    pytest.param({"factory": "badlib.models:NOT_CALLABLE"}, None, ("model.factory", "is not callable"), id="not-callable"),
    pytest.param({"factory": "badlib.models:broken"}, None, ("model.factory", "raised ValueError: alpha must be positive"),
                 id="factory-raises"),
    pytest.param({"factory": "badlib.models:returns_text"}, None, ("model.factory", "returned str, which is not an estimator"),
                 id="not-an-estimator"),
    pytest.param({"estimator": "lightgbm.LGBMClassifier"}, None,
                 ("model.estimator", "LGBMClassifier is a classifier, not a regressor; the task is regression"),
                 id="classifier-for-regression"),
    pytest.param({"estimator": "lightgbm.LGBMRegressor"}, "classification",
                 ("model.estimator", "LGBMRegressor is a regressor, not a classifier"), id="regressor-for-classes"),
    pytest.param({"factory": "badlib.models:make_model", "params": {"alpah": 2}}, None,
                 ("model.factory", "make_model(**params) raised TypeError"), id="unknown-param"),
    pytest.param({"estimator": "Ridge", "early_stopping": {"rounds": 5}}, None,
                 ("model.early_stopping", "Ridge takes no validation set"), id="early-stopping"),
    pytest.param({"estimator": "Ridge", "preprocessing": "none"}, None,
                 ("model.preprocessing", "none hands Ridge the data as read, with categorical columns (city)"), id="none-categories"),
]


@pytest.mark.parametrize(("model", "task", "expected"), CASES)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_model_that_cannot_serve_is_one_line(tmp_path: Path, user_module, model, task, expected, command) -> None:
    if task == "classification":
        path = study(tmp_path, {**classification_spec(), "model": model}, classification_frame())
    else:
        path = study(tmp_path, reg(model=model))
    lines = lines_of(invoke(command, path, *(("--results-dir", tmp_path / "results") if command == "run" else ())))
    assert len(lines) == 1, lines
    field, *words = expected
    assert lines[0].startswith(f"error: {path}: {field}: "), lines[0]
    assert all(word in lines[0] for word in words), lines[0]
    nothing_written(tmp_path)
    assert not user_module.exists() and "sideeffect" not in sys.modules  # the untrusted module was never imported
