"""The `AblationStudy` Dagster component: a study declared as a `defs.yaml` instance, with the path of
a study spec (relative to the defs.yaml) or the spec inline, scaffolded with `dg scaffold defs` and
checked with `dg check yaml` (the attributes, an inline study field by field against the spec's JSON
Schema; what only the data can tell, such as feature names, when the definitions load). Its
definitions are built by the same code as the studies folder's (location.study_definitions)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import dagster as dg
from pydantic import Field, WithJsonSchema, model_validator

from ..errors import AblationError
from ..pipeline.paths import StudyPaths
from ..pipeline.setup import plan_study
from ..spec.json_schema import study_json_schema
from ..spec.loading import load_spec, parse_spec
from .broken import BrokenStudy
from .location import study_definitions


class AblationStudy(dg.Component, dg.Model, dg.Resolvable):
    """One ablation study: a study spec file (`spec`, relative to this defs.yaml) or the spec inline
    (`study`: the same fields as a study YAML file: name, data, model, evaluation, ablations, ...)."""

    spec: str | None = Field(default=None, description="path of a study spec, relative to this defs.yaml")
    study: Annotated[dict[str, Any] | None, WithJsonSchema(study_json_schema())] = Field(
        default=None, description="the study spec inline (checked field by field by `dg check yaml`)")

    @model_validator(mode="after")
    def _one_source(self) -> AblationStudy:
        if (self.spec is None) == (self.study is None):
            raise ValueError("give exactly one of spec (the path of a study spec) or study (the spec inline)")
        return self

    def source(self, folder: Path) -> Path:
        """Where the study is declared: its spec file, or this component's defs.yaml."""
        return (folder / self.spec).resolve() if self.spec is not None else folder / "defs.yaml"

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return self.definitions(Path(context.path))

    def definitions(self, folder: Path) -> dg.Definitions:
        """The study's definitions, as the studies folder builds them; one that cannot be loaded is one
        asset carrying its error."""
        source = self.source(folder)
        try:
            loaded = load_spec(source) if self.spec is not None else parse_spec(self.study, source)
            return study_definitions([plan_study(loaded, StudyPaths.resolved().result_cache())], [])
        except (AblationError, OSError) as exc:
            return study_definitions([], [BrokenStudy(source, str(exc), name=folder.name)])
