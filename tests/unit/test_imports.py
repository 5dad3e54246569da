"""Imports inside functions only where the code location's cheap import needs them, or with a reason on the line.

Importing ``lead_scoring.definitions`` must not load scikit-learn, MLflow, Great
Expectations, matplotlib, SciPy or skops (tests/integration/test_definitions.py measures
it): the Dagster wiring imports the modules that pull them in inside its assets. Any
other import inside a function says why in a comment on its line.
"""

import ast
from pathlib import Path

from tests.unit.test_layout import MODULES, PACKAGE, imports_of

HEAVY = {"sklearn", "mlflow", "great_expectations", "matplotlib", "scipy", "skops", "psycopg2", "dbt", "threadpoolctl"}


def _top_level_imports(path: Path) -> tuple[set[str], set[str]]:
    """(package modules, third-party top-level names) imported at module level of ``path``."""
    theirs = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            theirs |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            theirs.add((node.module or "").split(".")[0])
    return imports_of(path, top_level_only=True), theirs


def _heavy() -> set[str]:
    """The package's modules whose import (at module level, transitively) loads a heavy library."""
    direct = {name: _top_level_imports(path) for name, path in MODULES.items()}
    heavy = {name for name, (_, theirs) in direct.items() if theirs & HEAVY}
    grew = True
    while grew:
        more = {name for name, (ours, _) in direct.items() if name not in heavy and ours & heavy}
        heavy |= more
        grew = bool(more)
    return heavy


def _location_path() -> set[str]:
    """The modules ``import lead_scoring.definitions`` loads (module-level imports, transitively)."""
    seen, todo = set(), ["lead_scoring.definitions"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [m for m in imports_of(MODULES[name], top_level_only=True) if m not in seen]
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(2, len(parts)) if ".".join(parts[:i]) in MODULES]
    return seen


def test_every_import_inside_a_function_is_needed_or_explained():
    heavy, location = _heavy(), _location_path()
    unexplained = []
    for name, path in MODULES.items():
        lines = path.read_text().splitlines()
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                if "#" in lines[node.lineno - 1]:
                    continue
                targets = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                ours = [t for t in targets if t.startswith("lead_scoring")]
                needed = name in location and (
                    any(t.split(".")[0] in HEAVY for t in targets)
                    or any(t in heavy or f"{t}.{a.name}" in heavy for t in ours for a in node.names)
                )
                if not needed:
                    unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not unexplained, "move these to the top of the module or say why on the line:\n" + "\n".join(unexplained)
