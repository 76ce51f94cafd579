"""The one place a spec's names become code: a class or factory named as `package.module.Name` or
`package.module:Name`, imported only when the project trusts its module (`spec.trust`), and accepted
only when the object it names lives in a trusted module too (an alias is judged by its real home).
One name, one attribute: `module:a.b` walks nothing. A module of the project's own is found from the
folder that holds its pyproject.toml (as pytest finds a project's modules), after the installed ones."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from ..errors import SpecError, did_you_mean
from ..spec.libraries import distribution_version
from ..spec.trust import MODULE, Trust


def split_name(name: str, where: str) -> tuple[str, str]:
    """'pkg.mod:Name' or 'pkg.mod.Name' -> ('pkg.mod', 'Name'), refused in one line when malformed."""
    module, _, attribute = name.partition(":") if ":" in name else name.rpartition(".")
    if not module or not MODULE.fullmatch(module) or not attribute.isidentifier():
        raise SpecError(f"{where}: '{name}' is not a name of code (expected package.module.Name or package.module:Name)")
    return module, attribute


def ship_by_value(module: Any) -> None:
    """A module of the project's own (no installed distribution) travels with the fits it defines: the fold
    workers (started, and kept, before the project's folder was on the path) and a Dask cluster's get its
    classes by value instead of importing it."""
    import cloudpickle  # what joblib's workers and Dask unpickle with

    cloudpickle.register_pickle_by_value(module)


def trusted_object(name: str, trust: Trust, where: str) -> Any:
    """The object `name` names, imported from a trusted module; every refusal is one line naming the
    setting to change. Nothing untrusted is ever imported."""
    module_name, attribute = split_name(name, where)
    if not trust.allows(module_name):
        raise SpecError(trust.refusal(name, where))
    if trust.pyproject is not None and str(trust.pyproject.parent) not in sys.path:
        sys.path.append(str(trust.pyproject.parent))  # last: an installed package of the same name wins
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SpecError(f"{where}: module '{module_name}' cannot be imported ({type(exc).__name__}: {exc}); is it installed "
                        "in this environment?") from None
    except Exception as exc:  # a trusted module that fails as it loads is the owner's to fix, in one line
        raise SpecError(f"{where}: module '{module_name}' failed as it was imported ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if distribution_version(module_name.split(".")[0]) is None:
        ship_by_value(module)
    found = getattr(module, attribute, None)
    if found is None:
        names = [n for n in dir(module) if not n.startswith("_")]
        raise SpecError(f"{where}: module '{module_name}' has no '{attribute}'{did_you_mean(attribute, names)}")
    if not callable(found):
        return found  # a plain value is nothing to run: the caller says what it needed instead
    home = getattr(found, "__module__", None) or ""
    if not trust.allows(home):
        raise SpecError(f"{where}: '{name}' is {home or 'something'}.{attribute} under another name, and this project does not "
                        f"trust module '{home}': name it by its own module if that is meant, and trust that module")
    return found
