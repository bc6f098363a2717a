"""The container definition (Dockerfile, made by `snakemake --containerize`) matches envs/.

`snakemake --containerize` needs conda (it asks it for the platform) and building or pulling the
image needs a registry, neither reachable here. This test rebuilds the Dockerfile the way
Snakemake 9 writes it (snakemake/deployment/containerize.py: every conda environment a rule
uses, sorted by path, each under /conda-envs/<md5 of the env file>, labelled with the SHA-256
of all of them) and checks that the committed one is exactly that, so an edit of envs/ without
regenerating the Dockerfile fails here. With --sdm conda apptainer, Snakemake looks each rule's
environment up at /conda-envs/<md5> inside the image named by `containerized:`.
"""

import hashlib
import re

import yaml

from conftest import ROOT

CONDA_ENV_PATH = "/conda-envs"


def used_envs():
    used = set()
    for smk in (ROOT / "workflow/rules").glob("*.smk"):
        for rel in re.findall(r"conda:\n\s+\"([^\"]+)\"", smk.read_text()):
            used.add((smk.parent / rel).resolve().relative_to(ROOT))
    return sorted(used, key=str)


def expected_dockerfile():
    envs = used_envs()
    envhash = hashlib.sha256()
    for env in envs:
        envhash.update((ROOT / env).read_bytes())
    lines = [
        "FROM condaforge/miniforge3:latest",
        'LABEL io.github.snakemake.containerized="true"',
        f'LABEL io.github.snakemake.conda_env_hash="{envhash.hexdigest()}"',
    ]
    create = []
    for env in envs:
        content = (ROOT / env).read_bytes()
        prefix = f"{CONDA_ENV_PATH}/{hashlib.md5(content).hexdigest()}"
        lines += ["# Conda environment:", f"#   source: {env}", f"#   prefix: {prefix}"]
        lines += [f"#   {line}" for line in content.decode().strip().split("\n")]
        lines += [f"RUN mkdir -p {prefix}", f"COPY {env} {prefix}/environment.yaml"]
        create.append(f"conda env create --prefix {prefix} --file {prefix}/environment.yaml &&")
    lines += ["", "RUN " + " \\\n    ".join([*create, "conda clean --all -y"])]
    return "\n".join(lines) + "\n"


def test_dockerfile_is_the_containerized_form_of_envs():
    assert len(used_envs()) >= 9
    assert (ROOT / "Dockerfile").read_text() == expected_dockerfile(), (
        "Dockerfile is out of date with envs/: regenerate it with "
        "`snakemake --containerize > Dockerfile` (needs conda)"
    )


def test_workflow_declares_the_image_and_the_config_names_it():
    snakefile = (ROOT / "workflow/Snakefile").read_text()
    assert re.search(r'^containerized: config\.get\("container", "([^"]+)"\)$', snakefile, re.M)
    default = re.search(r'containerized: config\.get\("container", "([^"]+)"\)', snakefile)[1]
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    assert config["container"] == default == schema["properties"]["container"]["default"]


def test_catalog_and_profile_name_the_supported_deployments():
    catalog = yaml.safe_load((ROOT / ".snakemake-workflow-catalog.yml").read_text())
    stack = catalog["usage"]["software-stack-deployment"]
    assert stack == {"conda": True, "apptainer": False, "apptainer+conda": True}
    profile = (ROOT / "workflow/profiles/slurm/config.yaml").read_text()
    assert "--sdm conda apptainer" in profile
    readme = (ROOT / "README.md").read_text()
    assert "--sdm conda apptainer" in readme and "--sdm apptainer" in readme
