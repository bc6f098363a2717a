"""The API reference: numpydoc docstrings with Examples, run as doctests and rendered by pdoc.

``holobiont.API_MODULES`` names the modules of the reference. Their Examples run as doctests
in every ``pytest`` run (pyproject.toml: ``--doctest-modules`` and the module files in
``testpaths``); this file checks that the two lists agree, that every public function and class
of those modules documents its parameters and has a runnable example, and builds the HTML
reference with pdoc (``make api-docs`` does the same into ``build/api``).
"""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
import tomllib

import pytest

import holobiont
from conftest import ROOT

MODULES = [importlib.import_module(name) for name in holobiont.API_MODULES]


def _public(module):
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


def test_every_api_module_runs_its_examples_as_doctests():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in config["addopts"].split()
    files = {
        (ROOT / "scripts" / (m.replace(".", "/") + ".py")).relative_to(ROOT).as_posix()
        for m in holobiont.API_MODULES
    }
    assert files <= set(config["testpaths"]), files - set(config["testpaths"])


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_public_api_has_numpydoc_sections_and_examples(module):
    assert module.__doc__ and module.__all__
    problems = []
    for name, obj in _public(module):
        doc = inspect.getdoc(obj) or ""
        if ">>>" not in doc.split("Examples\n--------", 1)[-1] or "Examples\n--------" not in doc:
            problems.append(f"{name}: no Examples section with >>>")
        if inspect.isfunction(obj):
            params = [p for p in inspect.signature(obj).parameters if p not in ("self",)]
            if params and "Parameters\n----------" not in doc:
                problems.append(f"{name}: no Parameters section")
            for p in params:
                if not re.search(rf"^{p}\b.*:", doc, re.M) and f"{p} :" not in doc:
                    problems.append(f"{name}: parameter {p!r} not documented")
            returns_none = inspect.signature(obj).return_annotation in (None, "None")
            if "Returns\n-------" not in doc and not returns_none:
                problems.append(f"{name}: no Returns section")
        elif "Attributes\n----------" not in doc and "Parameters\n----------" not in doc:
            problems.append(f"{name}: class without Attributes or Parameters")
    assert not problems, problems


def test_pdoc_builds_the_reference_with_every_public_name(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "pdoc", "-d", "numpy", "-o", str(tmp_path), *holobiont.API_MODULES],
        capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    index = (tmp_path / "index.html").read_text()
    for module in MODULES:
        page = tmp_path / (module.__name__.replace(".", "/") + ".html")
        assert page.is_file(), page
        html = page.read_text()
        assert module.__name__ in index
        for name, _ in _public(module):
            assert f'id="{name}"' in html, f"{module.__name__}.{name} missing from {page.name}"
        # numpydoc sections rendered as sections, examples as code
        assert "<h6" in html and "&gt;&gt;&gt;" in html, page.name
