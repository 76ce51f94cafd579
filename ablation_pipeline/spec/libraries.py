"""Which libraries a spec's model names, and their installed versions, found without importing them:
part of what identifies a study's results (a LightGBM upgrade refits; an unrelated package's does not)."""

from __future__ import annotations

from functools import cache
from importlib import metadata

from .schema import StudySpec

DISTRIBUTIONS = {"sklearn": "scikit-learn"}  # import names whose distribution is named otherwise


@cache
def distribution_version(root: str) -> str | None:
    """The installed version of the distribution that provides the import name `root`, found without
    importing it; None for a module of the project's own."""
    try:
        return metadata.version(DISTRIBUTIONS.get(root, root))
    except metadata.PackageNotFoundError:
        names = metadata.packages_distributions().get(root)
        return metadata.version(names[0]) if names else None


def named_libraries(spec: StudySpec) -> dict[str, str] | None:
    """The installed version of each library the spec's model names (scikit-learn for a short name; torch
    for a declared network); None when a name is a module of the project's own."""
    model = spec.model
    roots = ["torch"] if model.network is not None else []
    for name in (model.estimator, model.factory):
        if name:
            roots.append(name.split(":")[0].split(".")[0] if ("." in name or ":" in name) else "sklearn")
    found = {}
    for root in roots:
        version = distribution_version(root)
        if version is None:
            return None
        found[root] = version
    return found
