"""The package layout names the architecture, and imports point one way.

Subpackages in layers, lowest first; a module may import its own subpackage and any lower layer,
never a higher one. The numpy core (``holobiont.core``) is the bottom: it imports nothing else of
ours, so it can be installed and used alone.
"""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "scripts" / "holobiont"

#: unit -> layer; a unit is a subpackage or a top-level module of holobiont
LAYERS = {
    "core": 0,
    "atomic": 1,
    "_resources": 1,
    "pgx": 2,
    "host": 3,
    "microbiome": 3,
    "report": 4,
    "pipeline": 5,
    "demo": 6,
    "cli": 6,
    "__main__": 7,
    "__init__": 7,
}


def unit_of(module: str) -> str:
    """'holobiont.core.table' -> 'core'; 'holobiont' -> '__init__'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, own: str, is_package: bool = False) -> set[str]:
    """Every holobiont module that `source` (the text of module `own`) imports; relative
    imports resolved, ``from holobiont import x`` counted as module ``holobiont.x`` when x is
    one."""
    package = own if is_package else own.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "holobiont"}
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            if mod == "holobiont":
                for a in node.names:
                    sub = PKG / a.name
                    is_module = sub.is_dir() or sub.with_suffix(".py").exists()
                    out.add(f"holobiont.{a.name}" if is_module else "holobiont")
            elif mod.split(".")[0] == "holobiont":
                out.add(mod)
    return out


def upward_imports(own: str, imported: set[str]) -> list[str]:
    unit = unit_of(own)
    return sorted(
        m
        for m in imported
        if unit_of(m) not in (unit, "__init__") and LAYERS[unit_of(m)] >= LAYERS[unit]
    )


SOURCES = sorted(PKG.rglob("*.py"))


def imports_of(path: Path) -> set[str]:
    return imported_modules(path.read_text(), module_name(path), path.name == "__init__.py")


def test_every_unit_has_a_layer():
    units = {unit_of(module_name(p)) for p in SOURCES}
    assert units == set(LAYERS), f"add new subpackages/modules to LAYERS: {units ^ set(LAYERS)}"


def test_only_shared_plumbing_stays_at_the_top():
    assert {p.stem for p in PKG.glob("*.py")} == {
        "__init__",
        "__main__",
        "_resources",
        "atomic",
        "cli",
    }


@pytest.mark.parametrize("path", SOURCES, ids=module_name)
def test_imports_point_down_the_layers(path):
    own = module_name(path)
    assert upward_imports(own, imports_of(path)) == [], f"{own} imports a higher layer"


def test_core_imports_nothing_else_of_ours():
    core = [p for p in SOURCES if unit_of(module_name(p)) == "core"]
    assert len(core) >= 7
    foreign = {(module_name(p), m) for p in core for m in imports_of(p) if unit_of(m) != "core"}
    assert foreign == set()


def test_the_checker_reports_an_upward_import():
    """Not vacuous: upward, relative and `from holobiont import` imports are all resolved."""
    src = "from holobiont.report import patient\nfrom . import alpha\nfrom .. import atomic\n"
    found = imported_modules(src, "holobiont.core.table")
    assert found == {"holobiont.report", "holobiont.core", "holobiont.atomic"}
    assert upward_imports("holobiont.core.table", found) == ["holobiont.atomic", "holobiont.report"]
    assert upward_imports("holobiont.report.cohort", found) == []
