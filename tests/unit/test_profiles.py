"""The SLURM profiles name real rules and agree with each other (checked without a cluster;
tests/workflow/test_slurm_reproducible.py runs the demo through the local one)."""

import re

import yaml

from conftest import ROOT

PROFILES = ROOT / "workflow" / "profiles"


def rules():
    names = set()
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        names |= set(re.findall(r"^rule (\w+):", smk.read_text(), re.M))
    return names


def load(name):
    return yaml.safe_load((PROFILES / name / "config.yaml").read_text())


def test_groups_name_existing_rules_and_every_group_is_batched():
    known = rules()
    for name in ("slurm", "slurm-local"):
        prof = load(name)
        assert prof["executor"] == "slurm"
        assert set(prof["groups"]) <= known, set(prof["groups"]) - known
        assert set(prof["group-components"]) == set(prof["groups"].values())


def test_local_profile_is_the_cluster_profile_with_local_settings():
    cluster, local = load("slurm"), load("slurm-local")
    assert local["groups"] == cluster["groups"]
    assert local["group-components"] == cluster["group-components"]
    assert cluster["software-deployment-method"] == "conda"
    assert "software-deployment-method" not in local  # Debian tools + venv on the test machine
    assert local["slurm-status-command"] == "squeue"  # no accounting database locally
    assert cluster["rerun-incomplete"] and local["rerun-incomplete"]
