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
    # the same batches and the same rules' threads set, sized for an 8-CPU test node
    assert set(local["group-components"]) == set(cluster["group-components"])
    assert set(local["set-threads"]) == set(cluster["set-threads"])
    assert local["set-resource-scopes"] == cluster["set-resource-scopes"] == {"_cores": "local"}
    assert cluster["software-deployment-method"] == "conda"
    assert "software-deployment-method" not in local  # Debian tools + venv on the test machine
    assert local["slurm-status-command"] == "squeue"  # no accounting database locally
    assert cluster["rerun-incomplete"] and local["rerun-incomplete"]


def threaded_rules():
    """Rules whose threads come from config (threads_of), by config key."""
    found = {}
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        parts = re.split(r"^(?:rule|checkpoint) (\w+):\n", smk.read_text(), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            m = re.search(r'^    threads: threads_of\("(\w+)"\)', body, flags=re.M)
            if m:
                found[name] = m.group(1)
    return found


def test_every_configurable_rule_gets_cluster_threads_and_config_keys_exist():
    threaded = threaded_rules()
    assert {"align_host", "shotgun_host_align", "kraken2", "fastp", "bracken_build"} <= set(
        threaded
    )
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert set(threaded.values()) == set(config["threads"])
    for name in ("slurm", "slurm-local"):
        prof = load(name)
        assert set(prof["set-threads"]) == set(threaded), name


def test_kraken2_build_db_reserves_the_threads_it_builds_with():
    # kraken2-build runs with shotgun.build_db.threads whatever the job gets (hash.k2d's bytes
    # depend on it), so the job reserves exactly that count and no profile overrides it
    smk = (ROOT / "workflow" / "rules" / "shotgun.smk").read_text()
    body = re.split(r"^rule kraken2_build_db:\n", smk, flags=re.M)[1].split("\nrule ")[0]
    key = 'lookup(dpath="shotgun/build_db/threads", within=config)'
    assert f"    threads: {key}" in body
    assert f"build_threads={key}" in body and "--threads {params.build_threads}" in body
    assert "kraken2_build_db" not in threaded_rules()
    for name in ("slurm", "slurm-local"):
        assert "kraken2_build_db" not in load(name)["set-threads"], name


def test_one_job_never_asks_for_more_cpus_than_a_slurm_job_has():
    for name in ("slurm", "slurm-local"):
        prof = load(name)
        threads = prof["set-threads"]
        assert max(threads.values()) <= prof["cores"], name
        # side by side, the components of a group job: each chain's heaviest rule
        for group, n in prof["group-components"].items():
            heaviest = max(threads.get(r, 1) for r, g in prof["groups"].items() if g == group)
            if group == "host_sample":  # the chains that must run side by side, undivided
                assert n * heaviest <= prof["cores"], (name, group, n, heaviest)
