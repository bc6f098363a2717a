"""Structural checks of the conda environments (HPC path): conda channels are unreachable here,
so `--sdm conda` cannot run in CI; instead every rule must point at an existing, fully pinned
environment file."""

import ast
import re
import shlex
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

RULE_FILES = sorted((ROOT / "workflow" / "rules").glob("*.smk"))
ENV_FILES = sorted((ROOT / "envs").glob("*.yaml"))


def rule_blocks():
    for smk in RULE_FILES:
        text = smk.read_text()
        parts = re.split(r"^(?:rule|checkpoint) (\w+):\n", text, flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            yield smk, name, body


def test_there_are_rules_and_envs():
    assert len(list(rule_blocks())) >= 6
    assert len(ENV_FILES) >= 4


@pytest.mark.parametrize(
    ("smk", "name", "body"),
    list(rule_blocks()),
    ids=lambda x: x if isinstance(x, str) and len(x) < 40 else "",
)
def test_every_rule_has_a_conda_env_that_exists(smk, name, body):
    m = re.search(r"^    conda:\n\s+\"([^\"]+)\"", body, flags=re.M)
    assert m, f"rule {name} in {smk.name} has no conda: directive"
    env = (smk.parent / m.group(1)).resolve()
    assert env.parent == (ROOT / "envs").resolve() and env.exists(), env


@pytest.mark.parametrize("env", ENV_FILES, ids=lambda p: p.name)
def test_env_is_pinned(env):
    spec = yaml.safe_load(env.read_text())
    assert spec["channels"][:2] == ["conda-forge", "bioconda"]
    assert "nodefaults" in spec["channels"]
    deps = spec["dependencies"]
    assert deps, "empty environment"
    for dep in deps:
        assert isinstance(dep, str), dep
        assert re.fullmatch(r"(conda-forge|bioconda)::[a-z0-9_.-]+=[0-9][0-9a-z.]*", dep), (
            f"{env.name}: '{dep}' is not channel::name=version"
        )


def test_every_env_is_used():
    used = {
        (smk.parent / m).resolve()
        for smk in RULE_FILES
        for m in re.findall(r"conda:\n\s+\"([^\"]+)\"", smk.read_text())
    }
    unused = [e.name for e in ENV_FILES if e.resolve() not in used]
    assert not unused, f"environments no rule uses: {unused}"


# ---------------------------------------------------------------------------------------------
# Completeness: every command a rule's shell runs and every Python package its script imports
# (transitively through holobiont) is provided by the rule's environment.
# ---------------------------------------------------------------------------------------------
#: command -> conda package that provides it
COMMAND_PACKAGES = {
    "fastp": "fastp",
    "cutadapt": "cutadapt",
    "multiqc": "multiqc",
    "minimap2": "minimap2",
    "bwa": "bwa",
    "samtools": "samtools",
    "bcftools": "bcftools",
    "tabix": "htslib",
    "vsearch": "vsearch",
    "mafft": "mafft",
    "FastTree": "fasttree",
    "kraken2": "kraken2",
    "kraken2-build": "kraken2",
    "diamond": "diamond",
    "python": "python",
    "whatshap": "whatshap",
}
#: POSIX tools of every Linux node (not provided by conda environments), and shell builtins
SYSTEM_COMMANDS = {
    "awk", "cat", "cp", "grep", "head", "ln", "mkdir", "mv", "realpath", "rm", "sort",
    "touch", "echo", "printf", "test", "[", ":", "true", "cd", "gzip", "tee", "mkfifo",
    "mktemp", "trap", "wait", "{", "}",
}  # fmt: skip
#: Python module (top-level import name) -> conda package
MODULE_PACKAGES = {
    "numpy": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "yaml": "pyyaml",
    "jsonschema": "jsonschema",
    "biom": "biom-format",
    "h5py": "h5py",
    "pysam": "pysam",
    "skbio": "scikit-bio",
    "qiime_default_reference": "qiime-default-reference",
    "jinja2": "jinja2",
    "markupsafe": "markupsafe",
}
#: PyPI distribution (importlib.metadata) -> conda package
DISTRIBUTION_PACKAGES = {**MODULE_PACKAGES, "PyYAML": "pyyaml"}
del DISTRIBUTION_PACKAGES["yaml"], DISTRIBUTION_PACKAGES["biom"], DISTRIBUTION_PACKAGES["skbio"]
del DISTRIBUTION_PACKAGES["qiime_default_reference"]
DISTRIBUTION_PACKAGES.update({"biom-format": "biom-format", "scikit-bio": "scikit-bio"})
DISTRIBUTION_PACKAGES.update({"Jinja2": "jinja2", "MarkupSafe": "markupsafe"})
#: commands that holobiont functions run themselves (subprocess): module -> {function: commands}
#: (a shim that calls the function needs them in its rule's environment)
SUBPROCESS_COMMANDS = {
    "holobiont.microbiome.bracken": {"build_kmer_distrib": {"kraken2"}},
    "holobiont.host.vcfcompare": {"load_variants": {"bcftools"}, "compare_vcfs": {"bcftools"}},
    "holobiont.report.pdf": {"write_patient_pdf": {"chromium"}, "pdf_text": {"pdftotext"}},
}
#: Commands no conda channel provides, taken from the node (PATH): Chromium, which prints the
#: PDF reports, is in neither conda-forge nor bioconda; tools/install.sh installs the Debian
#: package and the container image has it. holobiont.report.pdf stops with a message naming config
#: report.pdf when it is missing. (pdftotext: tests only.)
NODE_COMMANDS = {"chromium", "pdftotext"}

SCRIPTS = ROOT / "scripts"


def env_packages(env_path):
    """{conda package: version} of an environment file."""
    spec = yaml.safe_load(Path(env_path).read_text())
    return dict(dep.split("::", 1)[1].split("=", 1) for dep in spec["dependencies"])


def rule_env(smk, body):
    m = re.search(r"^    conda:\n\s+\"([^\"]+)\"", body, flags=re.M)
    return (smk.parent / m.group(1)).resolve()


def shell_commands(cmd):
    """Command words of a shell command line (pipelines, lists, subshells, $(...))."""
    found = set()
    for inner in re.findall(r"\$\(([^()]*)\)", cmd):  # command substitutions (not nested)
        found |= shell_commands(inner)
    cmd = re.sub(r"\$\(([^()]*)\)", "SUBST", cmd)
    lex = shlex.shlex(cmd, posix=True, punctuation_chars="|&;()<>")
    lex.whitespace_split = True
    at_command, after_paren = True, False
    for tok in lex:
        if tok in ("|", "||", "&&", ";", "(", "if", "then", "elif", "else", "do", "while", "!"):
            at_command, after_paren = True, False
            continue
        if tok in ("fi", "done"):
            continue
        if tok == ")":
            at_command, after_paren = False, True
            continue
        if at_command and not after_paren:
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", tok):  # VAR=value prefix
                continue
            found.add(tok)
        at_command = False
    return found


def test_shell_command_words_are_found():
    cmd = (
        "(printf '%s' \"$(fastp --version 2>&1 | grep -m1 x)\") > v.yml && (minimap2 -t 2 a b"
        " | samtools sort -) 2> log && pairs=$(samtools view -c f) && LC_ALL=C sort x > y;"
        " if [ -s f ]; then FastTree -nt f > t; else : > t; fi"
    )
    assert shell_commands(cmd) == {
        "printf", "fastp", "grep", "minimap2", "samtools", "sort", "[", "FastTree", ":",
    }  # fmt: skip


@pytest.fixture(scope="module")
def dry_run_commands(tmp_path_factory, demo_sheet):
    """{rule: shell commands} of every job of `snakemake -n -p --forceall` on the demo, for
    each aligner (bwa_index and bwa run only with host.aligner = bwa; run_diff only with
    report.compare_with set and host_cohort_vcf only with host.cohort_vcf, both with bwa)."""
    if not (ROOT / "resources/demo/data/samples.tsv").exists():
        pytest.skip("demo cohort not generated; run `make demo-data`")
    from conftest import DEMO_RUN, run_snakemake

    per_rule = {}
    earlier_run = tmp_path_factory.mktemp("earlier_run")
    for aligner in ("minimap2", "bwa"):
        run = tmp_path_factory.mktemp(f"dry_{aligner}")
        compare_with = str(earlier_run) if aligner == "bwa" else None
        res = run_snakemake(
            run,
            "-n",
            "-p",
            "--forceall",
            config={"samples": demo_sheet[0]},
            overrides={
                **DEMO_RUN,  # the demo's amplicon.extra_references (amplicon_sintax_extra)
                # host.cohort_vcf (host_cohort_vcf) and run_diff only in the bwa dry run
                "host": {"aligner": aligner, "cohort_vcf": aligner == "bwa"},
                "report": {"compare_with": compare_with},
            },
        )
        assert res.returncode == 0, res.stderr[-3000:]
        rule = None
        for line in (res.stdout + res.stderr).splitlines():
            m = re.match(r"^(?:local)?(?:rule|checkpoint) (\w+):$", line)
            if m:
                rule = m.group(1)
            elif line.startswith("Shell command: ") and rule:
                per_rule.setdefault(rule, []).append(line.removeprefix("Shell command: "))
    return per_rule


def shell_rules():
    return [(smk, name, body) for smk, name, body in rule_blocks() if "    shell:\n" in body]


def test_every_shell_rule_ran_in_a_dry_run(dry_run_commands):
    missing = {name for _, name, _ in shell_rules()} - set(dry_run_commands)
    assert not missing, f"shell rules no dry-run showed: {missing}"


@pytest.mark.parametrize(
    ("smk", "name", "body"),
    shell_rules(),
    ids=lambda x: x if isinstance(x, str) and len(x) < 40 else "",
)
def test_rule_env_provides_every_command_its_shell_runs(dry_run_commands, smk, name, body):
    provided = set(env_packages(rule_env(smk, body)))
    commands = set().union(*(shell_commands(c) for c in dry_run_commands[name]))
    unknown = commands - SYSTEM_COMMANDS - set(COMMAND_PACKAGES)
    assert not unknown, f"rule {name} runs {unknown}: add them to COMMAND_PACKAGES"
    missing = {
        c: COMMAND_PACKAGES[c]
        for c in commands - SYSTEM_COMMANDS
        if COMMAND_PACKAGES[c] not in provided
    }
    assert not missing, f"{rule_env(smk, body).name} lacks what rule {name} runs: {missing}"


def module_file(module):
    parts = module.split(".")
    path = SCRIPTS.joinpath(*parts)
    if path.with_suffix(".py").exists():
        return path.with_suffix(".py")
    if (path / "__init__.py").exists():
        return path / "__init__.py"
    return None


def script_imports(path, seen=None):
    """(third-party top-level modules, holobiont modules) imported by a script, transitively
    through the holobiont package (function-level imports included)."""
    seen = set() if seen is None else seen
    third, own = set(), set()
    tree = ast.parse(Path(path).read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    for name in names:
        top = name.split(".")[0]
        if top == "holobiont":
            for mod in {name, ".".join(name.split(".")[:2]), "holobiont"}:
                f = module_file(mod)
                if f is not None and mod not in seen:
                    seen.add(mod)
                    own.add(mod)
                    t, o = script_imports(f, seen)
                    third |= t
                    own |= o
        elif top not in sys.stdlib_module_names and top != "__future__":
            third.add(top)
    return third, own


def script_rules():
    out = []
    for smk, name, body in rule_blocks():
        m = re.search(r"^    script:\n(?:\s+#.*\n)*\s+\"([^\"]+)\"", body, flags=re.M)
        if m:
            out.append((smk, name, body, (smk.parent / m.group(1)).resolve()))
    return out


def test_there_are_script_rules():
    assert len(script_rules()) >= 15


@pytest.mark.parametrize(
    ("smk", "name", "body", "script"),
    script_rules(),
    ids=lambda x: x if isinstance(x, str) and len(x) < 40 else "",
)
def test_rule_env_provides_every_package_its_script_imports(smk, name, body, script):
    env = rule_env(smk, body)
    provided = set(env_packages(env))
    assert "python" in provided, f"{env.name} has no python, but rule {name} runs a script"
    third, own = script_imports(script)
    unknown = third - set(MODULE_PACKAGES)
    assert not unknown, f"{script.name} imports {unknown}: add them to MODULE_PACKAGES"
    missing = {m: MODULE_PACKAGES[m] for m in third if MODULE_PACKAGES[m] not in provided}
    assert not missing, f"{env.name} lacks what rule {name} imports: {missing}"
    shim = script.read_text()
    for mod in own:
        if re.search(r"^import subprocess", module_file(mod).read_text(), flags=re.M):
            assert mod in SUBPROCESS_COMMANDS, f"{mod} runs commands: list them here"
        for function, commands in SUBPROCESS_COMMANDS.get(mod, {}).items():
            if re.search(rf"\b{function}\(", shim):
                for command in commands - NODE_COMMANDS:
                    assert COMMAND_PACKAGES[command] in provided, (
                        f"{env.name} lacks {command}, which {mod}.{function} runs (rule {name})"
                    )


def test_provenance_records_exactly_the_python_env_packages():
    from holobiont.pipeline.provenance import PYTHON_PACKAGES

    recorded = {DISTRIBUTION_PACKAGES[p] for p in PYTHON_PACKAGES}
    assert recorded == set(env_packages(ROOT / "envs/python.yaml")) - {"python"}


def test_python_envs_pin_the_versions_of_requirements_lock():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            lock[name.lower().replace("_", "-")] = version
    pypi = {v: k for k, v in DISTRIBUTION_PACKAGES.items()}
    for env in ENV_FILES:
        for pkg, version in env_packages(env).items():
            name = pypi.get(pkg, pkg).lower()
            if pkg != "python" and name in lock and "python" in env_packages(env):
                assert version == lock[name], f"{env.name}: {pkg}={version}, lock {lock[name]}"
