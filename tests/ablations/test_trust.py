"""Code a spec may name: only from modules the project trusts (its pyproject.toml, the environment, and
scikit-learn), matched by whole dotted prefixes, aliases judged by where they live, nothing untrusted
ever imported; estimators of other libraries and factories checked without scikit-learn's private
validation, every refusal one line."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ablation_pipeline.ablations.estimators import make_estimator
from ablation_pipeline.errors import SpecError
from ablation_pipeline.spec.model import ModelSpec
from ablation_pipeline.spec.trust import Trust, project_trust
from ablation_pipeline.vocabulary import Task

REG, CLS = Task.REGRESSION, Task.CLASSIFICATION


def test_prefixes_match_whole_dotted_names_only():
    trust = Trust(("sklearn", "mypkg.models"))
    assert trust.allows("mypkg.models") and trust.allows("mypkg.models.nets")
    assert not trust.allows("mypkg") and not trust.allows("mypkg.models_old") and not trust.allows("mypkg.modelsx.nets")
    assert not trust.allows("sklearnx") and trust.allows("sklearn.linear_model")


def test_the_projects_pyproject_and_the_environment_add_up(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.ablation_pipeline]\ntrusted_modules = ["lightgbm", "mypkg.models"]\n')
    (tmp_path / "studies").mkdir()
    spec = tmp_path / "studies" / "s.yaml"
    assert project_trust(spec).modules == ("sklearn", "lightgbm", "mypkg.models")
    monkeypatch.setenv("ABLATION_TRUSTED_MODULES", "xgboost, mypkg.models")
    trust = project_trust(spec)
    assert trust.modules == ("sklearn", "lightgbm", "mypkg.models", "xgboost") and trust.pyproject == tmp_path / "pyproject.toml"


@pytest.mark.parametrize(("text", "message"), [
    ('[tool.ablation_pipeline]\ntrusted_modules = "lightgbm"\n', "expected a list of dotted module names"),
    ('[tool.ablation_pipeline]\ntrusted_modules = ["light gbm"]\n', "expected a list of dotted module names"),
    ("[tool.ablation_pipeline\n", "cannot be read for [tool.ablation_pipeline] trusted_modules (TOMLDecodeError"),
])
def test_a_bad_trust_setting_is_one_line_naming_the_file(tmp_path, text, message):
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(SpecError) as caught:
        project_trust(tmp_path / "s.yaml")
    assert str(caught.value).startswith(f"{tmp_path / 'pyproject.toml'}: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def _module(folder, name: str, body: str) -> None:
    path = folder.joinpath(*name.split("."))
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in [p for p in path.parents if p != folder and folder in p.parents]:
        (parent / "__init__.py").touch()
    path.with_suffix(".py").write_text(textwrap.dedent(body))


def test_an_untrusted_module_is_never_imported(tmp_path):
    """An import audit hook in a fresh process sees every import: naming an untrusted module (whose import
    would write a file) refuses in one line that names the setting, and the module is never imported."""
    marker = tmp_path / "imported"
    _module(tmp_path / "code", "evil_models", f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\nclass M: pass\n")
    code = textwrap.dedent(f"""
        import sys
        seen = []
        sys.addaudithook(lambda event, args: seen.append(args[0]) if event == "import" else None)
        sys.path.insert(0, {str(tmp_path / 'code')!r})
        from ablation_pipeline.ablations.estimators import make_estimator
        from ablation_pipeline.errors import SpecError
        from ablation_pipeline.spec.model import ModelSpec
        from ablation_pipeline.vocabulary import Task
        for model in ({{"estimator": "evil_models.M"}}, {{"estimator": "evil_models:M"}}, {{"estimator": "evil_models.sub.M"}},
                      {{"network": {{"module": "evil_models:M"}}}}):
            try:
                make_estimator(ModelSpec(**model), Task.REGRESSION, "s.yaml")
            except SpecError as exc:
                print(str(exc))
        print("IMPORTED" if any(m.startswith("evil_models") for m in seen) else "NOT IMPORTED")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    assert lines[-1] == "NOT IMPORTED" and not marker.exists(), done.stderr
    assert len(lines) == 5 and all("which this project does not trust" in line and "ABLATION_TRUSTED_MODULES" in line
                                   for line in lines[:4])
    assert "model.network.module" in lines[3]


def test_an_alias_is_judged_by_where_it_lives(tmp_path, monkeypatch):
    """A trusted module that re-exports something from an untrusted one does not make it trusted; one
    re-exporting scikit-learn's Ridge names a trusted class."""
    _module(tmp_path, "shop.models", "from os import system\nfrom sklearn.linear_model import Ridge\nfrom shop_other import Gadget\n")
    _module(tmp_path, "shop_other", "class Gadget:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    trust = Trust(("sklearn", "shop.models"))
    assert type(make_estimator(ModelSpec(estimator="shop.models:Ridge"), REG, "s", trust)).__name__ == "Ridge"
    for name, message in (("shop.models:Gadget", "is shop_other.Gadget under another name"),
                          ("shop.models:system", "is posix.system under another name"),
                          ("shop.models:Missing", "module 'shop.models' has no 'Missing'")):
        with pytest.raises(SpecError) as caught:
            make_estimator(ModelSpec(estimator=name), REG, "s", trust)
        assert message in str(caught.value) and "\n" not in str(caught.value)


def _models_module(tmp_path, monkeypatch) -> Trust:
    _module(tmp_path, "userlib.models", """
        from sklearn.base import BaseEstimator, RegressorMixin
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        class Strict(RegressorMixin, BaseEstimator):
            def __init__(self, depth=3):
                self.depth = depth
            def fit(self, X, y):
                return self
            def predict(self, X):
                return X[:, 0]

        class NoPredict:
            def fit(self, X, y): return self
            def get_params(self, deep=True): return {}
            def set_params(self, **p): return self

        def make_model(alpha=1.0):
            return make_pipeline(StandardScaler(), Ridge(alpha=alpha))

        def make_classifier():
            return LogisticRegression()

        def broken(alpha=1.0):
            raise ValueError("alpha must be positive")

        def not_an_estimator():
            return 42

        VALUE = 3
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    return Trust(("sklearn", "userlib"))


def test_factories_and_classes_of_a_trusted_module(tmp_path, monkeypatch):
    trust = _models_module(tmp_path, monkeypatch)
    model = make_estimator(ModelSpec(factory="userlib.models:make_model", params={"alpha": 3.0}), REG, "s", trust)
    assert model.steps[-1][1].alpha == 3.0
    assert make_estimator(ModelSpec(estimator="userlib.models.Strict", params={"depth": 5}), REG, "s", trust).depth == 5


@pytest.mark.parametrize(("model", "task", "message"), [
    ({"estimator": "userlib.models.Strict", "params": {"dept": 5}}, REG,
     "s: model.params.dept: unknown parameter of Strict; did you mean 'depth'?"),
    ({"estimator": "userlib.models.NoPredict"}, REG, "s: model.estimator: NoPredict is not an estimator: it has no predict (the "
     "scikit-learn estimator API: fit, predict, get_params, set_params; subclassing sklearn.base.BaseEstimator gives the last two)"),
    ({"estimator": "userlib.models.VALUE"}, REG, "s: model.estimator: 'userlib.models.VALUE' is not a class"),
    ({"factory": "userlib.models:VALUE"}, REG, "s: model.factory: 'userlib.models:VALUE' is not callable"),
    ({"factory": "userlib.models:broken", "params": {"alpha": -1}}, REG,
     "s: model.factory: userlib.models:broken(**params) raised ValueError: alpha must be positive"),
    ({"factory": "userlib.models:not_an_estimator"}, REG,
     "s: model.factory: userlib.models:not_an_estimator returned int, which is not an estimator"),
    ({"factory": "userlib.models:make_classifier"}, REG,
     "s: model.factory: LogisticRegression is a classifier, not a regressor; the task is regression"),
    ({"factory": "userlib.models:make_model", "params": {"alpah": 1}}, REG,
     "s: model.factory: userlib.models:make_model(**params) raised TypeError"),
    ({"estimator": "userlib.nowhere.Model"}, REG, "s: model.estimator: module 'userlib.nowhere' cannot be imported"),
])
def test_what_a_trusted_module_cannot_serve_is_one_line(tmp_path, monkeypatch, model, task, message):
    trust = _models_module(tmp_path, monkeypatch)
    with pytest.raises(SpecError) as caught:
        make_estimator(ModelSpec(**model), task, "s", trust)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_foreign_classifier_for_a_regression_target():
    pytest.importorskip("lightgbm")
    with pytest.raises(SpecError) as caught:
        make_estimator(ModelSpec(estimator="lightgbm.LGBMClassifier"), REG, "s", Trust(("sklearn", "lightgbm")))
    assert str(caught.value) == "s: model.estimator: LGBMClassifier is a classifier, not a regressor; the task is regression"
    booster = make_estimator(ModelSpec(estimator="lightgbm.LGBMRegressor", params={"verbose": -1, "anything_it_takes": 1}),
                             REG, "s", Trust(("sklearn", "lightgbm")))
    assert booster.get_params()["anything_it_takes"] == 1  # a **kwargs constructor accepts what it accepts
