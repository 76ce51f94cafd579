"""The README is a short front page and the docs behind it are reachable and whole: every relative link
in README.md and docs/ points at a file that exists and, where it names a section, at a heading that
exists (GitHub's anchors); every page of docs/ is linked from the README."""

from __future__ import annotations

import re
from pathlib import Path

from builders import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"```.*?```", re.S)


def links(page: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8")))


def anchors(page: Path) -> set[str]:
    """GitHub's anchor of each heading: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"(?m)^#{1,6} (.+)$", FENCE.sub("", page.read_text(encoding="utf-8")))
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_the_readme_is_a_short_front_page():
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) <= 250


def test_every_relative_link_reaches_its_file_and_section():
    broken = []
    for page in PAGES:
        for target in links(page):
            if re.match(r"[a-z]+://", target) or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            destination = (page.parent / path).resolve() if path else page
            if not destination.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
                broken.append(f"{page.name}: {target} (no such section)")
    assert broken == []


def test_every_page_of_the_docs_is_linked_from_the_readme():
    linked = {(REPO / target.partition("#")[0]).resolve() for target in links(REPO / "README.md")}
    assert [page.name for page in PAGES[1:] if page.resolve() not in linked] == []


def test_every_environment_variable_the_code_reads_is_in_the_readme_and_explained():
    read = set(re.findall(r"ABLATION_[A-Z_]+", " ".join(p.read_text(encoding="utf-8") for p in (REPO / "ablation_pipeline").rglob("*.py"))))
    readme, cli = ((REPO / name).read_text(encoding="utf-8") for name in ("README.md", "docs/cli.md"))
    assert len(read) >= 9
    assert sorted(name for name in read if f"`{name}`" not in readme or f"`{name}`" not in cli) == []


def test_every_yaml_block_of_the_docs_is_a_valid_spec_or_part_of_one():
    """Each ```yaml block (a whole spec, or sections of one laid over a minimal spec) passes the spec's own
    loader and schema: a documented `units: {on: input}` once failed as YAML 1.1 read the key `on` as True."""
    from ablation_pipeline.spec.loading import load_yaml, parse_spec

    base = {"name": "doc", "data": {"source": "x.csv", "target": "y"}, "model": {"estimator": "Ridge"},
            "ablations": [{"features": "each"}]}
    checked = 0
    for page in PAGES:
        for block in re.findall(r"```ya?ml\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            snippet = load_yaml(block, page.name)
            if "type" in snippet:  # a dg component's defs.yaml, not a spec
                continue
            parse_spec({**base, **snippet})
            checked += 1
    assert checked >= 8
