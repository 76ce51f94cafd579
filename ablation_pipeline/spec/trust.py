"""Which modules a study spec may name code from. A spec never chooses that: the owner of the project
that holds the studies does, outside every spec, and whoever runs the command may add to it.

- `[tool.ablation_pipeline] trusted_modules = ["lightgbm", "mypkg.models"]` in the `pyproject.toml`
  nearest above the spec file (the project that holds the studies);
- `ABLATION_TRUSTED_MODULES=lightgbm,mypkg.models` in the environment of the command;
- scikit-learn, always.

They add up; none removes another's. A name is trusted when one of these is a whole dotted prefix of
its module (`mypkg.models` trusts `mypkg.models.nets`, never `mypkg.models_old` or `mypkg`), and the
object it resolves to must itself come from a trusted module (an alias a trusted module re-exports
from elsewhere is judged by where it lives: Hydra's advisory GHSA-37p2-j732-x8pj). Nothing is
imported before that check (`ablations.imports` does the importing)."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecError

ENV = "ABLATION_TRUSTED_MODULES"
VARIANTS_ENV = "ABLATION_MAX_VARIANTS"
MAX_VARIANTS = 1000  # variants a study may plan unless the project raises it: a 5,000-column `features: each` is a typo
ALWAYS = ("sklearn",)
MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
MAX_PYPROJECT_BYTES = 1 << 20


@dataclass(frozen=True)
class Trust:
    """The trusted module prefixes and where each came from (for the messages that name the setting)."""

    modules: tuple[str, ...] = ALWAYS
    pyproject: Path | None = None  # the project file that was read, if any
    max_variants: int = MAX_VARIANTS  # how many variants a study of this project may plan

    def too_many(self, count: int, where: str) -> str:
        """One line: a plan of `count` variants is over the project's bound, and how to raise it."""
        place = f"[tool.ablation_pipeline] max_variants in {self.pyproject}" if self.pyproject else \
            "[tool.ablation_pipeline] max_variants in the project's pyproject.toml"
        return f"{where}: {count} variants, more than the {self.max_variants} a study may plan here; raise {place}, or {VARIANTS_ENV}"

    def allows(self, module: str) -> bool:
        """Whether `module` is one of the trusted modules or inside one (whole dotted prefixes only)."""
        return any(module == prefix or module.startswith(prefix + ".") for prefix in self.modules)

    def refusal(self, name: str, where: str) -> str:
        """One line: `name` is not trusted, and the setting that would trust it."""
        module = name.split(":", 1)[0].rsplit(".", 1)[0] if ":" not in name else name.split(":", 1)[0]
        root = module.split(".")[0]
        project = f"the pyproject.toml of the project that holds the study ({self.pyproject})" if self.pyproject \
            else "a pyproject.toml beside or above the study"
        return (f"{where}: '{name}' is in module '{module}', which this project does not trust; a spec may name code only "
                f"from trusted modules ({', '.join(self.modules)}): add '{root}' to [tool.ablation_pipeline] trusted_modules "
                f"in {project}, or to {ENV} for this command")

    def identity(self) -> list[str]:
        return sorted(self.modules)


def project_trust(spec_path: Path | None) -> Trust:
    """The trust of the project holding a spec (found upward from its folder, or from the working
    folder for a spec given as a mapping), plus the environment's."""
    start = (spec_path.parent if spec_path else Path.cwd()).resolve()
    pyproject = next((folder / "pyproject.toml" for folder in (start, *start.parents) if (folder / "pyproject.toml").is_file()), None)
    settings = _settings(pyproject) if pyproject is not None else {}
    modules = [*ALWAYS, *_listed(settings, pyproject), *_from_environment()]
    return Trust(tuple(dict.fromkeys(modules)), pyproject, _max_variants(settings, pyproject))


def _settings(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            text = handle.read(MAX_PYPROJECT_BYTES + 1)
        if len(text) > MAX_PYPROJECT_BYTES:
            raise SpecError(f"{path}: larger than {MAX_PYPROJECT_BYTES} bytes; not read for [tool.ablation_pipeline]")
        settings = tomllib.loads(text.decode("utf-8")).get("tool", {}).get("ablation_pipeline", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: cannot be read for [tool.ablation_pipeline] trusted_modules ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    return settings if isinstance(settings, dict) else {}


def _listed(settings: dict, path: Path | None) -> list[str]:
    listed = settings.get("trusted_modules", [])
    if not isinstance(listed, list) or not all(isinstance(m, str) and MODULE.fullmatch(m) for m in listed):
        raise SpecError(f"{path}: [tool.ablation_pipeline] trusted_modules: expected a list of dotted module names such as "
                        f"[\"lightgbm\", \"mypkg.models\"], got {listed!r}")
    return list(listed)


def _max_variants(settings: dict, path: Path | None) -> int:
    given = os.environ.get(VARIANTS_ENV) or settings.get("max_variants", MAX_VARIANTS)
    try:
        bound = int(given)
    except (TypeError, ValueError):
        bound = 0
    if bound < 1:
        where = VARIANTS_ENV if os.environ.get(VARIANTS_ENV) else f"{path}: [tool.ablation_pipeline] max_variants"
        raise SpecError(f"{where}: expected a whole number of variants, at least 1, got {given!r}")
    return bound


def _from_environment() -> list[str]:
    listed = [m.strip() for m in os.environ.get(ENV, "").split(",") if m.strip()]
    bad = [m for m in listed if not MODULE.fullmatch(m)]
    if bad:
        raise SpecError(f"{ENV}: '{bad[0]}' is not a dotted module name (expected e.g. lightgbm,mypkg.models)")
    return listed
