"""The `AblationStudy` Dagster component: a study declared as a `defs.yaml` instance, with the path of
a study spec (relative to the defs.yaml) or the spec inline, scaffolded with `dg scaffold defs` and
checked with `dg check yaml` (the attributes, an inline study field by field against the spec's JSON
Schema; what only the data can tell, such as feature names, when the definitions load). Its
definitions are built by the same code as the studies folder's (location.study_definitions)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any

import dagster as dg
from dagster.components.resolved.base import derive_model_type, resolve_fields
from dagster.components.scaffold.scaffold import ScaffoldRequest, scaffold_with
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from ..errors import AblationError, did_you_mean
from ..pipeline.facts import ColumnsUnknownError
from ..pipeline.paths import StudyPaths
from ..pipeline.setup import plan_study
from ..spec.json_schema import study_json_schema
from ..spec.loading import load_spec, parse_spec
from .broken import BrokenStudy
from .location import study_definitions
from .upstream import pending_study_definitions

TEMPLATE = """type: {type_name}

# One ablation study. Give exactly one of `spec` (a study YAML file) or `study` (the spec inline).
# Every field of a study is in docs/spec.md of ablation_pipeline; `dg check yaml` checks them.
attributes:
  # spec: ../../../studies/my_study.yaml   # a study spec file, relative to this defs.yaml
  study:
    name: {name}                         # also the asset group and key prefix
    data:
      source: sklearn:diabetes             # a CSV or Parquet file relative to this defs.yaml, or a bundled data set
      # asset: penguins_clean              # or, instead of source, a DataFrame asset of this project (its lineage,
      #                                    # staleness and, with schedule.on_data_change, eager re-runs follow it)
      target: target
      # features: [age, sex, bmi]          # the features (default: every column but the target); listed, a study of
      #                                    # an asset shows its variants before the asset was ever materialized
    model:
      estimator: Ridge                     # a scikit-learn class, or one from a module the project trusts
      params: {{alpha: 1.0}}
    evaluation:
      folds: 5
      repeats: 2                           # or auto: each variant takes repeats until its verdict is settled
      metrics: [rmse, r2]                  # the first is primary
      # groups: patient_id                 # rows that belong together never on both sides of a split
    ablations:
      - features: each                     # every feature: drop__age, drop__sex, ...
        mode: drop                         # refit without it; permute, mean, noise, conditional, ...
  # results_dir: ../../../results          # results root (default: ABLATION_RESULTS_DIR, else <project>/data/results)
  # cache_dir: ../../../cache              # where fits are kept (default: ABLATION_CACHE_DIR, else <project>/data/cache)
"""


class AblationStudyScaffolder(dg.Scaffolder):
    """`dg scaffold defs ... AblationStudy NAME` writes a study that validates and loads as it is (a small
    study on a bundled data set), every field commented."""

    def scaffold(self, request: ScaffoldRequest) -> None:
        if request.scaffold_format != "yaml":
            dg.scaffold_component(request)
            return
        name = "".join(c if c.isalnum() else "_" for c in Path(request.target_path).name.lower()).strip("_") or "study"
        (Path(request.target_path) / "defs.yaml").write_text(TEMPLATE.format(type_name=request.type_name, name=name))


@cache
def _lenient_model(component: type) -> type[BaseModel]:
    """One class per component type, however often dg asks for it."""
    derived = derive_model_type(component)
    config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})
    return type(derived.__name__, (derived,), {"model_config": config, "__module__": __name__})


@scaffold_with(AblationStudyScaffolder)
class AblationStudy(dg.Component, dg.Model, dg.Resolvable):
    """One ablation study: a study spec file (`spec`, relative to this defs.yaml) or the spec inline
    (`study`: the same fields as a study YAML file: name, data, model, evaluation, ablations, ...).

    `dg check yaml` refuses what does not fit (an unknown attribute, a field of the study out of range);
    when the definitions load, anything wrong with an instance (no source, a misspelt attribute, a missing
    file) is one asset carrying its error, so the user's other assets and studies load and run."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})

    spec: str | None = Field(default=None, description="path of a study spec, relative to this defs.yaml")
    study: Annotated[dict[str, Any] | None, WithJsonSchema(study_json_schema())] = Field(
        default=None, description="the study spec inline (checked field by field by `dg check yaml`)")
    results_dir: str | None = Field(default=None, description="results root, relative to this defs.yaml "
                                                              "(default: ABLATION_RESULTS_DIR, else the project's data/results)")
    cache_dir: str | None = Field(default=None, description="where fits are kept, relative to this defs.yaml "
                                                            "(default: ABLATION_CACHE_DIR, else the project's data/cache)")

    @classmethod
    def model(cls) -> type[BaseModel]:
        """The attributes' model as dg derives it, except that an unknown attribute is kept for `problem` to
        name (one asset carrying it) instead of failing the whole code location; its JSON Schema, which
        `dg check yaml` applies, still refuses it."""
        return _lenient_model(cls)

    @classmethod
    def resolve_from_model(cls, context, model: BaseModel) -> AblationStudy:
        return cls(**resolve_fields(model, cls, context), **(model.model_extra or {}))

    def problem(self) -> str | None:
        """What keeps this instance from naming one study, in a line; None when nothing does."""
        extra = sorted(self.model_extra or {})
        if extra:
            known = list(type(self).model_fields)
            return f"unknown attribute '{extra[0]}'{did_you_mean(extra[0], known)} (allowed: {', '.join(known)})"
        if (self.spec is None) == (self.study is None):
            return "give exactly one of spec (the path of a study spec) or study (the spec inline)"
        return None

    def source(self, folder: Path) -> Path:
        """Where the study is declared: its spec file, or this component's defs.yaml."""
        return (folder / self.spec).resolve() if self.spec is not None else folder / "defs.yaml"

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return self.definitions(Path(context.path))

    def paths(self, folder: Path) -> StudyPaths:
        """The results root and cache: this instance's attributes (relative to its defs.yaml), else the
        environment's, else `data/results` and `data/cache` of the project that holds the instance."""
        project = next((p for p in folder.resolve().parents if (p / "pyproject.toml").is_file()), folder)
        return StudyPaths.of_project(project, folder / self.results_dir if self.results_dir else None,
                                     folder / self.cache_dir if self.cache_dir else None)

    def definitions(self, folder: Path) -> dg.Definitions:
        """The study's definitions, as the studies folder builds them; one that cannot be loaded is one
        asset carrying its error."""
        problem = self.problem()
        if problem is not None:
            return study_definitions([], [BrokenStudy(folder / "defs.yaml", f"{folder / 'defs.yaml'}: attributes: {problem}",
                                                      name=folder.name)])
        source = self.source(folder)
        try:
            loaded = load_spec(source) if self.spec is not None else parse_spec(self.study, source)
            paths = self.paths(folder)
            return study_definitions([plan_study(loaded, paths.result_cache())], [], paths)
        except ColumnsUnknownError as exc:  # an upstream asset not read yet: its dataset step, which reads it
            return pending_study_definitions(loaded, str(exc), paths)
        except (AblationError, OSError) as exc:
            return study_definitions([], [BrokenStudy(source, str(exc), name=folder.name)])
        except Exception as exc:  # noqa: BLE001  (whatever else fails, the user's other definitions must load)
            return study_definitions([], [BrokenStudy(source, f"{source}: could not load the study: {type(exc).__name__}: {exc}",
                                                      name=folder.name)])
