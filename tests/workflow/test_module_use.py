"""Holobiont used as other workflows use it: as a Snakemake module of a throwaway workflow, and
deployed with snakedeploy from a local clone. Each dry-runs the demo cohort to its final
reports, from a folder of its own (the module's paths must not depend on the working directory
or on the importing workflow's folder)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, requires_demo, snakemake_command

pytestmark = [pytest.mark.workflow, requires_demo]

FINAL = "results/reports/cohort.html"


def dry_run(workdir, snakefile, sheet):
    """`snakemake -n` of ``snakefile`` in ``workdir`` on the demo, with the demo references
    (absolute: the demo data is generated into the project, not committed in a clone)."""
    cmd, env = snakemake_command(
        workdir,
        "-n",
        config={"samples": sheet},
        overrides={
            "shotgun": {
                "build_db": {
                    "genomes": str(ROOT / "resources/demo/data/reference/shotgun_genomes"),
                    "taxonomy": str(ROOT / "resources/demo/data/reference/taxonomy"),
                    "seqid2taxid": str(ROOT / "resources/demo/data/reference/seqid2taxid.map"),
                },
                "genes": {
                    "proteins": str(ROOT / "resources/demo/data/reference/shotgun_genes.faa")
                },
            }
        },
    )
    cmd[cmd.index("--snakefile") + 1] = str(snakefile)
    res = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = res.stdout + res.stderr
    for rule in ("align_host", "kraken2", "amplicon_denoise", "provenance", "cohort_report"):
        assert f"rule {rule}:" in out, f"the dry-run plans no {rule} job"
    assert FINAL in out
    return out


def test_module_with_use_rule_star_dry_runs_the_demo(tmp_path, demo_sheet):
    wf = tmp_path / "other_workflow"
    (wf / "workflow").mkdir(parents=True)
    snakefile = wf / "workflow" / "Snakefile"
    snakefile.write_text(
        f"""configfile: "{ROOT / "config" / "config.yaml"}"


module holobiont:
    snakefile:
        "{ROOT / "workflow" / "Snakefile"}"
    config:
        config


use rule * from holobiont
"""
    )
    out = dry_run(wf, snakefile, demo_sheet[0])
    assert f"Snakefile: {snakefile}" in out  # the throwaway workflow ran, not the project's


def test_snakedeploy_of_a_local_clone_dry_runs_the_demo(tmp_path, demo_sheet):
    clone = tmp_path / "holobiont"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    dest = tmp_path / "deployed"
    snakedeploy = Path(sys.executable).parent / "snakedeploy"
    branch = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "--abbrev-ref", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()  # a local source is used as it is checked out
    res = subprocess.run(
        [str(snakedeploy), "deploy-workflow", str(clone), str(dest)]
        + ["--branch", branch, "--name", "holobiont"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    # snakedeploy copied the config and the licence, and wrote the module declaration
    assert (dest / "config" / "config.yaml").read_text() == (
        ROOT / "config" / "config.yaml"
    ).read_text()
    assert (dest / "LICENSE").exists()
    snakefile = dest / "workflow" / "Snakefile"
    text = snakefile.read_text()
    assert "module holobiont:" in text and "use rule * from holobiont" in text
    # a local source is declared relative to the clone ("workflow/Snakefile"): the clone's
    # path goes there, as the README tells (a github(...) source cannot work, see common.smk)
    assert '"workflow/Snakefile"' in text
    snakefile.write_text(text.replace('"workflow/Snakefile"', f'"{clone}/workflow/Snakefile"'))
    dry_run(dest, snakefile, demo_sheet[0])
    shutil.rmtree(clone)
