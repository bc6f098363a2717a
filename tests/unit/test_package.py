"""``pip install .`` gives an importable package and a working ``holobiont`` command.

A wheel is built from a copy of the files the package is made of (pyproject.toml, README,
LICENSE, scripts/holobiont, the committed resources), with pip and the build backend that
pyproject.toml names (isolated build), and installed without dependencies into a fresh venv.
The fresh venv sees the project venv's third-party packages through a path file (their
``.pth`` files are not processed, so an editable holobiont there stays invisible): what runs is
the wheel's copy. The declared runtime dependencies are checked separately: each is pinned in
requirements.lock at a version it accepts, and every third-party module the package imports
belongs to a declared dependency.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import ROOT

PACKAGE = ROOT / "scripts" / "holobiont"
pytestmark = pytest.mark.package


def _copy_sources(dest: Path) -> None:
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "data")  # resources/demo/data
    shutil.copytree(PACKAGE, dest / "scripts" / "holobiont", ignore=ignore)
    shutil.copytree(ROOT / "resources", dest / "resources", ignore=ignore)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("package")
    src, dist, venv = tmp / "src", tmp / "dist", tmp / "venv"
    src.mkdir()
    _copy_sources(src)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    res = subprocess.run(
        [*pip, "wheel", "--no-deps", "--quiet", "-w", str(dist), str(src)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    wheel = next(dist.glob("holobiont-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    res = subprocess.run(
        [*pip, "--python", str(py), "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # the project venv's third-party packages (numpy, scipy, ...), after the venv's own
    (Path(site) / "zz_project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return {"wheel": wheel, "venv": venv, "site": Path(site), "env": env, "tmp": tmp}


def _run(installed, *argv, **kw):
    return subprocess.run(
        argv, capture_output=True, text=True, env=installed["env"], cwd=installed["tmp"], **kw
    )


def test_wheel_holds_the_package_and_the_committed_tables(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    modules = {n for n in names if n.startswith("holobiont/") and n.endswith(".py")}
    expected = {
        "holobiont/" + p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert modules == expected
    assert not [n for n in names if re.match(r"[^/]+\.py$", n)], "a script shim was packaged"
    data = "holobiont-0.1.0.data/data/share/holobiont/resources/"
    for table in ("pgx/alleles.tsv", "demo/pgx_sites.tsv", "genome_builds/primary_contigs.tsv"):
        assert data + table in names
    # the report templates and their stylesheet (holobiont.report.templating)
    templates = {
        "holobiont/" + p.relative_to(PACKAGE).as_posix()
        for p in (PACKAGE / "report" / "templates").iterdir()
    }
    assert templates and templates <= set(names), templates - set(names)


def test_installed_command_runs_from_the_fresh_venv(installed, tmp_path):
    venv = installed["venv"]
    res = _run(installed, str(venv / "bin" / "holobiont"), "--help")
    assert res.returncode == 0, res.stderr
    assert "diversity" in res.stdout and "pgx-catalog" in res.stdout
    code = (
        "import holobiont, holobiont.pgx.catalog as c, holobiont.host.genome_build as g; "
        "print(holobiont.__file__); print(c.DEFAULT_CATALOG); print(g.TABLE.is_file())"
    )
    res = _run(installed, str(venv / "bin" / "python"), "-c", code)
    assert res.returncode == 0, res.stderr
    module, catalog, table_ok = res.stdout.split("\n")[:3]
    assert Path(module).is_relative_to(installed["site"])  # the wheel's copy, not scripts/
    assert Path(catalog) == venv / "share" / "holobiont" / "resources" / "pgx"
    assert table_ok == "True"
    # a real run: the default (installed) PGx catalog and the numpy core
    vcf = tmp_path / "t.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
        "chr6\t18138997\trs1800460\tC\tT\t.\tPASS\t.\tGT\t0/1\n"
    )
    res = _run(installed, str(venv / "bin" / "holobiont"), "pgx", str(vcf), "--gene", "TPMT")
    assert res.returncode == 0, res.stderr
    assert '"gene": "TPMT"' in res.stdout
    table = tmp_path / "t.tsv"
    table.write_text("taxon_id\ts1\ts2\nA\t1\t0\nB\t3\t2\n")
    res = _run(
        installed, str(venv / "bin" / "holobiont"), "diversity", str(table),
        "--alpha", "observed", "--beta", "braycurtis", "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "o" / "alpha.tsv").read_text() == "sample_id\tobserved\ns1\t2.0\ns2\t1.0\n"


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins


def _declared() -> list[Requirement]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"]]


def test_declared_dependencies_are_pinned_in_the_lock_at_accepted_versions():
    pins = _lock()
    for req in _declared():
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{req.name} is declared in pyproject.toml but not in the lock"
        assert req.specifier.contains(pins[name]), f"lock pins {name}=={pins[name]}, not {req}"


def test_every_third_party_import_of_the_package_is_a_declared_dependency():
    declared = {re.sub(r"[-_.]+", "-", r.name).lower() for r in _declared()}
    dists = importlib.metadata.packages_distributions()
    stdlib = set(sys.stdlib_module_names)
    missing = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in stdlib or top in ("holobiont", "__future__"):
                    continue
                owners = {re.sub(r"[-_.]+", "-", d).lower() for d in dists.get(top, [top])}
                if not owners & declared:
                    missing.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
