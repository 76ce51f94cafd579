"""The study spec as one self-contained JSON Schema: pydantic's schema with every `$ref` written out
in place, so it can be embedded under another schema's property (the AblationStudy component's
`study`, which `dg check yaml` validates) without its `$defs` being lost on the way."""

from __future__ import annotations

from functools import cache
from typing import Any

from .schema import StudySpec


@cache
def study_json_schema() -> dict[str, Any]:
    schema = StudySpec.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                named = definitions[node["$ref"].rsplit("/", 1)[-1]]
                return {**inline(named), **inline({k: v for k, v in node.items() if k != "$ref"})}
            node = {key: inline(value) for key, value in node.items()}
            if "prefixItems" in node and "items" not in node:  # a fixed-length tuple; maxItems bounds it already
                node["items"] = {}  # Dagster's sample-YAML writer expects `items` on every array
            return node
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return inline(schema)
