"""The Python steps run with exactly the packages of their conda environment.

conda channels are unreachable here, so ``--sdm conda`` cannot run in CI. Instead a venv is
built from the PyPI equivalents of each environment file that has Python (envs/python.yaml,
envs/kraken2.yaml, envs/greengenes.yaml), at the versions the file pins (transitive
dependencies pinned as in requirements.lock), and every Python step of the demo is run again in it: the shim the rule
runs, with the inputs, params and config Snakemake gave it in the demo run (read from the
scripts Snakemake kept), writing to a fresh folder. Each must succeed and write the same bytes
as in the demo run. The venv is isolated (``python -I``; neither Snakemake nor the project's
.venv is importable) and cached by the content of the environment file and the lock.
"""

import ast
import hashlib
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from conftest import ROOT, requires_demo

pytestmark = [pytest.mark.workflow, requires_demo]

#: conda package -> PyPI distribution, where the names differ
CONDA_TO_PYPI = {"pyyaml": "PyYAML"}
#: conda packages of command-line tools, not Python packages: the steps find them on the PATH
#: (Debian packages here), as in the environment's bin/
TOOLS = {"kraken2"}
CACHE = Path(os.environ.get("HOLOBIONT_ENV_CACHE", Path.home() / ".cache" / "holobiont" / "envs"))


def env_requirements(env):
    """(python version, [pypi==version]) of a conda environment file."""
    spec = yaml.safe_load(env.read_text())
    pins = dict(dep.split("::", 1)[1].split("=", 1) for dep in spec["dependencies"])
    python = pins.pop("python")
    return python, [
        f"{CONDA_TO_PYPI.get(name, name)}=={v}"
        for name, v in sorted(pins.items())
        if name not in TOOLS
    ]


def build_venv(env):
    python, reqs = env_requirements(env)
    lock = ROOT / "requirements.lock"
    digest = hashlib.sha256(env.read_bytes() + lock.read_bytes()).hexdigest()[:16]
    venv = CACHE / f"{env.stem}-{digest}"
    if not (venv / ".complete").exists():
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        res = subprocess.run(
            [str(venv / "bin/pip"), "install", "--quiet", "--disable-pip-version-check",
             "-c", str(lock), *reqs],
            capture_output=True, text=True,
        )  # fmt: skip
        assert res.returncode == 0, f"pip install {reqs} failed:\n{res.stderr[-3000:]}"
        (venv / ".complete").write_text("\n".join(reqs) + "\n")
    py = venv / "bin/python"
    version = subprocess.run(
        [str(py), "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert version == python, f"{env.name} pins python {python}, the venv has {version}"
    return py


@pytest.fixture(scope="module")
def venvs():
    return {
        name: build_venv(ROOT / "envs" / f"{name}.yaml")
        for name in ("python", "kraken2", "greengenes")
    }


def rule_scripts():
    """{rule: (env name, shim path)} of every rule with a script: directive."""
    out = {}
    for smk in sorted((ROOT / "workflow/rules").glob("*.smk")):
        parts = re.split(r"^(?:rule|checkpoint) (\w+):\n", smk.read_text(), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            script = re.search(r"^    script:\n(?:\s+#.*\n)*\s+\"([^\"]+)\"", body, flags=re.M)
            conda = re.search(r"^    conda:\n\s+\"([^\"]+)\"", body, flags=re.M)
            if script:
                out[name] = (
                    Path(conda.group(1)).stem,
                    (smk.parent / script.group(1)).resolve(),
                )
    return out


def plain(value):
    """Snakemake's containers as builtins: a Namedlist becomes ("__nl__", items, names)."""
    from snakemake.iocontainers import Namedlist

    if isinstance(value, Namedlist):
        return (
            "__nl__",
            [plain(v) for v in value],
            {k: plain(getattr(value, k)) for k in value.keys()},  # noqa: SIM118 (items iterate)
        )
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, SimpleNamespace):
        return SimpleNamespace(**{k: plain(v) for k, v in vars(value).items()})
    return value


def moved(value, prefix):
    """Output and log paths of a plain Namedlist, under ``prefix``."""
    tag, items, names = value
    move = lambda p: p if os.path.isabs(p) else str(prefix / p)  # noqa: E731
    return (
        tag,
        [move(p) for p in items],
        {k: [move(p) for p in v[1]] if isinstance(v, tuple) else move(v) for k, v in names.items()},
    )


def kept_jobs(run):
    """{rule: the Snakemake object of one job} from the scripts the demo run kept."""
    jobs = {}
    for path in sorted((run / ".snakemake/scripts").glob("tmp*.py")):
        m = re.search(
            r"pickle\.loads\((b(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"))\)", path.read_text()
        )
        if m:
            smk = pickle.loads(ast.literal_eval(m.group(1)))
            jobs.setdefault(smk.rule, smk)
    return jobs


DRIVER = r'''
import os, pickle, runpy, sys

class NL(list):
    """Snakemake's Namedlist as the shims use it: items, attributes, .get, [name]."""
    def __init__(self, items, names):
        super().__init__(items)
        self._names = names
    def __getattr__(self, name):
        try:
            return self.__dict__["_names"][name]
        except KeyError:
            raise AttributeError(name) from None
    def __getitem__(self, key):
        return self._names[key] if isinstance(key, str) else super().__getitem__(key)
    def get(self, key, default=None):
        return self._names.get(key, default)
    def keys(self):
        return self._names.keys()

def build(v):
    if isinstance(v, tuple) and len(v) == 3 and v[0] == "__nl__":
        return NL([build(x) for x in v[1]], {k: build(x) for k, x in v[2].items()})
    if isinstance(v, list):
        return [build(x) for x in v]
    if isinstance(v, dict):
        return {k: build(x) for k, x in v.items()}
    return v

with open(sys.argv[1], "rb") as fh:
    payload = pickle.load(fh)
from types import SimpleNamespace
snakemake = SimpleNamespace(**{k: build(v) for k, v in payload["attrs"].items()})
for path in list(snakemake.output) + list(snakemake.log):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
sys.path.insert(0, payload["scripts"])
if payload["imports_only"]:  # the job's inputs are gone (temp): its imports, at least
    import ast
    tree = ast.parse(open(payload["script"]).read())
    tree.body = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    exec(compile(tree, payload["script"], "exec"), {"snakemake": snakemake})
else:
    runpy.run_path(payload["script"], init_globals={"snakemake": snakemake}, run_name="__main__")
'''


#: Script rules the demo run does not run: {rule: where their step is tested}. (The
#: Greengenes 13_8 build, envs/greengenes.yaml, runs: amplicon.extra_references of the demo.)
NOT_IN_DEMO: dict[str, str] = {}


def test_venv_is_isolated(venvs):
    for module in ("snakemake", "skbio"):
        res = subprocess.run(
            [str(venvs["python"]), "-I", "-c", f"import {module}"], capture_output=True
        )
        assert res.returncode != 0, f"{module} is importable in the venv of envs/python.yaml"


def test_every_python_step_runs_in_the_venv_of_its_env(venvs, demo_run, tmp_path):
    run = demo_run[0]
    jobs = kept_jobs(run)
    scripts = rule_scripts()
    # every rule with a script ran in the demo (check_host_reference ... cohort_report), but
    # the ones the demo's config does not choose, each with where its step is tested instead
    assert set(scripts) - set(jobs) == set(NOT_IN_DEMO), set(scripts) - set(jobs)
    scripts = {r: v for r, v in scripts.items() if r not in NOT_IN_DEMO}
    (tmp_path / "driver.py").write_text(DRIVER)
    failed, skipped = {}, []
    for rule, (env, shim) in sorted(scripts.items()):
        smk = jobs[rule]
        out = tmp_path / rule
        attrs = {
            k: plain(getattr(smk, k))
            for k in ("input", "params", "wildcards", "resources", "config")
        }
        attrs.update(threads=smk.threads, rule=rule, scriptdir=str(shim.parent))
        attrs["output"] = moved(plain(smk.output), out)
        attrs["log"] = moved(plain(smk.log), out)
        # temp() inputs (pharmcat_vcf: sites VCF, kraken2_report: raw report) are gone by now
        imports_only = not all((run / p).exists() for p in attrs["input"][1])
        payload = tmp_path / f"{rule}.pickle"
        payload.write_bytes(pickle.dumps({
            "attrs": attrs, "script": str(shim), "scripts": str(ROOT / "scripts"),
            "imports_only": imports_only,
        }))  # fmt: skip
        res = subprocess.run(
            [str(venvs[env]), "-I", str(tmp_path / "driver.py"), str(payload)],
            cwd=run, capture_output=True, text=True,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )  # fmt: skip
        if res.returncode != 0:  # the shims send their tracebacks to their log
            logs = "".join(Path(f).read_text() for f in attrs["log"][1] if Path(f).exists())
            failed[rule] = (res.stderr + logs)[-1500:]
            continue
        if imports_only:
            skipped.append(rule)
            continue
        for original in plain(smk.output)[1]:
            new = out / original
            assert new.exists(), f"{rule} did not write {original} in the venv"
            if (run / original).is_file():
                assert new.read_bytes() == (run / original).read_bytes(), (
                    f"{rule}: {original} differs from the demo run's"
                )
    # only steps whose every job reads a temp() file are limited to their imports
    assert set(skipped) <= {"pharmcat_vcf", "kraken2_report"}, skipped
    assert not failed, "\n\n".join(
        f"{rule} ({scripts[rule][0]}.yaml):\n{e}" for rule, e in failed.items()
    )
