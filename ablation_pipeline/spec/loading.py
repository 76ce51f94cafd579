"""Read a study spec from YAML and validate it; every problem becomes one line `file: field: message`.

The YAML is read with `yaml.safe_load` semantics (no tags that build objects), by a loader that also
refuses what a spec never needs and what would choke whoever reads it: a path that is not a regular
file (reading a FIFO blocks, /dev/zero never ends), a file over `MAX_SPEC_BYTES`, nesting deeper than
`MAX_DEPTH`, aliases that expand to more than `MAX_NODES` nodes (a 700-byte "billion laughs" expands
to 10^9) and a key given twice in one mapping (YAML would silently keep the last). A plain key that YAML 1.1
reads as a boolean (`on`, `off`, `yes`, `no`) stays its text: a spec's keys are names (`units: {on: input}`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import SpecError, field_path
from .messages import describe_errors, shown
from .schema import StudySpec

# The largest example spec is under 2 KB. PyYAML's pure-Python reader (kept: its messages name the
# offending character) takes ~3 s for 256 KiB of the densest YAML, so this also bounds the time.
MAX_SPEC_BYTES = 256 * 1024
# Nodes once aliases are expanded: a real spec has a few hundred; a 256 KiB file of plain YAML stays below.
MAX_NODES = 100_000
# Nesting levels, aliases followed: a real spec has fewer than 10 (model.network.layers[0].args.x[0]).
MAX_DEPTH = 64
_MERGE = "tag:yaml.org,2002:merge"
_BOOL, _STR = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:str"
_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class _Refused(Exception):
    """A YAML document the loader will not construct; `lines` are `field: message` or plain messages."""

    def __init__(self, *lines: str) -> None:
        super().__init__(*lines)
        self.lines = lines


class SpecLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that bounds nesting while composing; `load` then checks the composed graph
    (expansion, recursion, duplicate keys) before constructing anything from it."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise _Refused(f"YAML nested more than {MAX_DEPTH} levels deep (line {line}); a study spec does not need that")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def load(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _Graph().measure(node)
        duplicates = self._checked_keys(node)
        if duplicates:
            raise _Refused(*duplicates)
        return self.construct_document(node)

    def _checked_keys(self, root: Node) -> list[str]:
        """`field: message` for every key given twice in one mapping, each shared node walked once; a plain
        key YAML 1.1 would read as a boolean is retagged as the text it is."""
        lines: list[str] = []
        seen: set[int] = set()
        stack: list[tuple[Node, tuple[Any, ...]]] = [(root, ())]
        while stack:
            node, where = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, SequenceNode):
                stack += [(child, (*where, i)) for i, child in enumerate(node.value)]
            elif isinstance(node, MappingNode):
                first: dict[Any, Any] = {}
                for key_node, value_node in node.value:
                    if key_node.tag == _MERGE or not isinstance(key_node, ScalarNode):
                        continue
                    if key_node.tag == _BOOL and key_node.style is None:
                        key_node.tag = _STR
                    key = self.construct_object(key_node, deep=True)
                    mark = key_node.start_mark
                    if key in first:
                        earlier = first[key]
                        place = f"lines {earlier.line + 1} and {mark.line + 1}" if earlier.line != mark.line else \
                            f"line {mark.line + 1}, columns {earlier.column + 1} and {mark.column + 1}"
                        lines.append(f"{field_path((*where, str(key)))}: key '{key}' is given twice ({place}); "
                                     "YAML would keep only the last, so give it once")
                    else:
                        first[key] = mark
                    stack.append((value_node, (*where, str(key))))
        return sorted(lines)


class _Graph:
    """Sizes and heights of a composed YAML graph with aliases followed, memoized per node so that
    measuring a bomb costs what its text costs, not what it expands to."""

    def __init__(self) -> None:
        self.sizes: dict[int, tuple[int, int]] = {}
        self.open: set[int] = set()
        self.aliased = False

    def measure(self, node: Node, level: int = 1) -> tuple[int, int]:
        """(nodes, height) of `node` once expanded; refuses past MAX_NODES, MAX_DEPTH or a cycle."""
        known = self.sizes.get(id(node))
        if known is not None:
            self.aliased = True
        elif id(node) in self.open:
            raise _Refused(f"YAML alias on line {node.start_mark.line + 1} refers to a node that contains it; "
                           "a study spec cannot be recursive")
        else:
            self.open.add(id(node))
            children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else \
                node.value if isinstance(node, SequenceNode) else []
            size, height = 1, 1
            for child in children:
                child_size, child_height = self.measure(child, level + 1)
                size, height = size + child_size, max(height, child_height + 1)
                if size > MAX_NODES:
                    what = "YAML aliases expand to" if self.aliased else "YAML has"
                    raise _Refused(f"{what} more than {MAX_NODES:,} nodes; a study spec does not need that")
            self.open.discard(id(node))
            known = self.sizes[id(node)] = (size, height)
        if level - 1 + known[1] > MAX_DEPTH:
            raise _Refused(f"YAML aliases nest more than {MAX_DEPTH} levels deep; a study spec does not need that")
        return known


def read_spec_text(path: Path) -> str:
    """The spec's text, if `path` is a regular file of at most MAX_SPEC_BYTES in UTF-8. The type is
    checked before opening (a FIFO or device is never opened) and again on the opened descriptor."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SpecError(f"{path}: file not found") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror}") from None
    _require_regular_and_small(path, info)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO swapped in after stat: no wait
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror}") from None
    with os.fdopen(descriptor, "rb") as handle:
        _require_regular_and_small(path, os.fstat(descriptor))
        raw = handle.read(MAX_SPEC_BYTES + 1)
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"{path}: more than {MAX_SPEC_BYTES:,} bytes; a study spec is at most {MAX_SPEC_BYTES // 1024} KiB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a UTF-8 text file") from None


def _require_regular_and_small(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _FILE_KINDS if test(info.st_mode)), "not a file")
        raise SpecError(f"{path}: not a regular file ({kind}); a study spec is a YAML file")
    if info.st_size > MAX_SPEC_BYTES:
        raise SpecError(f"{path}: {info.st_size:,} bytes; a study spec is at most {MAX_SPEC_BYTES // 1024} KiB")


def load_yaml(text: str, label: str) -> Any:
    """`yaml.safe_load(text)` within the loader's bounds; every problem is a SpecError `label: ...`."""
    loader = SpecLoader(text)
    try:
        return loader.load()
    except _Refused as refused:
        raise SpecError("\n".join(f"{label}: {line}" for line in refused.lines)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{label}: YAML syntax error{where}: {problem}") from None
    finally:
        loader.dispose()


def load_spec(source: str | Path | dict) -> StudySpec:
    """Read and validate a YAML spec (or a mapping of its fields, relative paths then from the working
    folder); every problem becomes one line `file: field: message`."""
    if isinstance(source, dict):
        return parse_spec(source)
    path = Path(source)
    return parse_spec(load_yaml(read_spec_text(path), str(path)), path)


def _unwritable_text(value: Any, where: tuple = ()):
    """Every key or text of the spec that UTF-8 cannot encode (a YAML "\\ud800" escape): the report,
    written at the very end, would fail on it after every fit."""
    if isinstance(value, str):
        if not value.isascii() and not _encodes(value):
            yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not _encodes(key):
                yield where, key
            yield from _unwritable_text(item, (*where, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _unwritable_text(item, (*where, i))


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_spec(raw: Any, path: Path | None = None) -> StudySpec:
    """Validate an already-parsed mapping (used by load_spec and by tests)."""
    label = str(path) if path else "<spec>"
    if not isinstance(raw, dict):
        raise SpecError(f"{label}: expected a mapping of study fields at the top level, got {type(raw).__name__}")
    unwritable = list(_unwritable_text(raw))
    if unwritable:
        raise SpecError("\n".join(f"{label}: {field_path(where)}: {shown(text, 60)} holds a lone surrogate ('\\ud800'-style "
                                  "escape), which no file can store; remove it" for where, text in unwritable))
    try:
        return StudySpec.model_validate({**raw, "path": path})
    except ValidationError as exc:
        raise SpecError("\n".join(f"{label}: {line}" for line in describe_errors(exc, StudySpec))) from None
