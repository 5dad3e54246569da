"""The layout holds: no import circles in the package, and the Dagster-free cores stay free of Dagster."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "lead_scoring"
CORES = ("ml", "quality", "monitoring", "reporting", "simulator", "flat", "crm", "warehouse")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path, top_level_only: bool = False) -> set[str]:
    """Every module of the package ``path`` imports, at the top or inside a function (or at the top only)."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    if top_level_only:
        tree = ast.Module(body=[n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], type_ignores=[])
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
                   for n in ast.walk(block)}  # annotations only: never imported at run time
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in MODULES}
    return found


def test_the_package_has_no_import_circles():
    graph = {name: imports_of(path) - {name} for name, path in MODULES.items()}
    circles, state = [], {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                circles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_the_cores_do_not_import_dagster():
    offenders = []
    for name, path in MODULES.items():
        if name.split(".")[1:2] and name.split(".")[1] in CORES:
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                targets = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                if any(t.split(".")[0] in ("dagster", "dagster_dbt") or t.startswith(("lead_scoring.defs", "lead_scoring.platform", "lead_scoring.app", "lead_scoring.definitions")) for t in targets):
                    offenders.append(f"{name}:{node.lineno}")
    assert not offenders, f"a core imports Dagster wiring: {offenders}"
