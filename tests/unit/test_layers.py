"""The layout is the architecture: each package of ``sessions_lib`` imports only from its own layer
or the layers below it, and the library never imports ``pipelines``.

Data flows readers -> ingest -> store -> catalog <- inference; the api, surfaces and cli sit on top.
"""

import ast
from pathlib import Path

import pytest

LIBRARY = Path(__file__).parents[2] / "sessions_lib"

# Layer of each top-level part of the library; a module may import its own layer or a lower one.
LAYERS = {
    "errors": 0,
    "model": 1,
    "queries": 1,
    "readers": 2,
    "catalog": 2,
    "client": 3,
    "store": 4,
    "ingest": 5,
    "inference": 5,
    "api": 6,
    "surfaces": 7,
    "cli": 8,
}


def part_of(module: str) -> str | None:
    """``sessions_lib.store.files`` -> ``store``; the package itself (the public face) -> None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "sessions_lib" and len(parts) > 1 else None


def imports_of(path: Path) -> set[str]:
    """Every module the file imports, at any depth (lazy imports inside functions count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


MODULES = sorted(p for p in LIBRARY.rglob("*.py") if p != LIBRARY / "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIBRARY)))
def test_modules_import_only_their_layer_or_below(path: Path):
    own = path.relative_to(LIBRARY).parts[0].removesuffix(".py")
    assert own in LAYERS, f"{own} has no layer: place it in LAYERS"
    upward = sorted(
        module
        for module in imports_of(path)
        if module.split(".")[0] == "pipelines"
        or ((part := part_of(module)) is not None and LAYERS.get(part, -1) > LAYERS[own])
    )
    assert upward == [], f"{path.relative_to(LIBRARY)} ({own}, layer {LAYERS[own]}) imports {upward}"


def test_the_library_imports_nothing_of_itself_through_its_public_face():
    """Inside the library, names come from their defining module, not ``from sessions_lib import``:
    the public face is for users, and importing it from inside would hide a layer's dependencies."""
    offenders = [str(path.relative_to(LIBRARY)) for path in MODULES if "sessions_lib" in imports_of(path)]
    assert offenders == []
