"""Structural checks of the conda environments (HPC path): conda channels are unreachable here,
so `--sdm conda` cannot run in CI; instead every rule must point at an existing, fully pinned
environment file."""

import re

import pytest
import yaml

from conftest import ROOT

RULE_FILES = sorted((ROOT / "workflow" / "rules").glob("*.smk"))
ENV_FILES = sorted((ROOT / "envs").glob("*.yaml"))


def rule_blocks():
    for smk in RULE_FILES:
        text = smk.read_text()
        parts = re.split(r"^rule (\w+):\n", text, flags=re.M)
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
