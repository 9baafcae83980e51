"""The folders tell the architecture: stages import no caller, rooms stay small, docs agree."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "offer_render"
STAGES = ("template", "merge", "resources", "layout", "raster", "encode")
CALLERS = ("api", "cli", "batch", "preview", "lint", "service", "pool")
MAX_MODULE_LINES = 550


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_fonts" not in p.parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_no_caller(stage: str) -> None:
    # Arrange
    callers = tuple(f"offer_render.{c}" for c in CALLERS)
    # Act
    upward = {
        f"{path.relative_to(REPO)} imports {name}"
        for path in (PACKAGE / stage).rglob("*.py")
        for name in _imports(path)
        if name == "offer_render.api" or name.startswith(callers)
    }
    # Assert
    assert not upward


@pytest.mark.parametrize("caller", ["batch", "preview", "lint", "service", "pool"])
def test_only_the_command_line_imports_the_command_line(caller: str) -> None:
    folder = PACKAGE / caller
    upward = {
        f"{path.relative_to(REPO)} imports {name}"
        for path in (folder.rglob("*.py") if folder.is_dir() else ())
        for name in _imports(path) if name.startswith("offer_render.cli")
    }
    assert not upward


def test_no_module_is_a_big_room() -> None:
    sizes = {str(p.relative_to(REPO)): len(p.read_text(encoding="utf-8").splitlines())
             for p in _modules()}
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_every_module_opens_with_a_one_sentence_docstring() -> None:
    missing = [str(p.relative_to(REPO)) for p in _modules()
               if not (ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or "").strip()]
    assert missing == []


def test_the_readme_stage_table_names_real_packages_and_front_doors() -> None:
    # Arrange: rows such as | template | `offer_render/template` | `read_inputs` | ...
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\w+) \| `offer_render/(\w+)` \| `(\w+)` \|", readme, re.M)
    # Act / Assert: every stage is listed, in pipeline order, and its front door exists
    assert [row[0] for row in rows] == list(STAGES)
    for stage, package, door in rows:
        assert package == stage
        module = importlib.import_module(f"offer_render.{package}")
        assert callable(getattr(module, door, None)), f"offer_render.{package}.{door}"


def test_docs_cite_nothing_a_clone_does_not_have() -> None:
    # The product spec and design notes live outside the repository; the README and the
    # docstrings say what a reader needs.
    files = [REPO / "README.md", *_modules(), *(REPO / "tests").rglob("*.py"),
             *(REPO / "benchmarks").glob("*.py")]
    cited = [str(p.relative_to(REPO)) for p in files if p != Path(__file__)
             and re.search(r"\bSPEC\b(?! =)|DESIGN\.md", p.read_text(encoding="utf-8"))]
    assert cited == []
