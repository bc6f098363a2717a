"""Dry-runs of each config branch and early stops on bad sheets (Snakemake, no tools run).

As in atlas's dryrun tests, empty FASTQ files stand in for real ones: a dry-run only needs
them to exist. The rules a branch must (and must not) schedule are asserted from the job table.
"""

import re
import shutil

import pytest

from conftest import run_snakemake, write_sheet

pytestmark = pytest.mark.workflow

ASSAY_ROWS = {
    "host": [
        ("P01", "P01-host", "host_wgs", "L001"),
        ("P01", "P01-host", "host_wgs", "L002"),
        ("P02", "P02-host", "host_panel", "1"),
    ],
    "16s": [("P01", "P01-16S", "16s", "1"), ("P02", "P02-16S", "16s", "1")],
    "shotgun": [("P01", "P01-sg", "shotgun", "1"), ("P02", "P02-sg", "shotgun", "1")],
}


def sheet_for(tmp_path, branches):
    rows = []
    for b in branches:
        for patient, sample, assay, unit in ASSAY_ROWS[b]:
            paths = []
            for r in (1, 2):
                p = tmp_path / "reads" / f"{sample}_{unit}_R{r}.fastq.gz"
                p.parent.mkdir(exist_ok=True)
                p.touch()
                paths.append(str(p))
            rows.append(
                {
                    "patient_id": patient,
                    "sample_id": sample,
                    "assay": assay,
                    "unit": unit,
                    "fastq_1": paths[0],
                    "fastq_2": paths[1],
                    "group": "A",
                }
            )
    return write_sheet(tmp_path / "samples.tsv", rows, extra_cols=("group",))


def job_counts(stdout: str) -> dict[str, int]:
    table = stdout.split("Job stats:")[1]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


@pytest.mark.parametrize(
    ("branches", "expected", "absent"),
    [
        (
            ["host"],
            {
                "check_fastq": 3,
                "fastp": 3,
                "merge_units": 2,
                "multiqc": 1,
                "multiqc_custom_content": 1,
            },
            ["cutadapt_16s", "export_qiime2_taxonomy", "export_shotgun_profiles", "diamond_blastx"],
        ),
        (
            ["16s"],
            {"check_fastq": 2, "cutadapt_16s": 2, "merge_units": 2, "export_qiime2_taxonomy": 1},
            ["fastp", "multiqc_custom_content", "export_shotgun_profiles"],
        ),
        (
            ["shotgun"],
            {
                "check_fastq": 2,
                "fastp": 2,
                "merge_units": 2,
                "export_shotgun_profiles": 1,
                "multiqc_custom_content": 1,
                "gene_reference": 1,
                "diamond_makedb": 1,
                "diamond_blastx": 2,
                "gene_abundance": 1,
            },
            ["cutadapt_16s", "export_qiime2_taxonomy"],
        ),
        (
            ["host", "16s", "shotgun"],
            {
                "check_fastq": 7,
                "fastp": 5,
                "cutadapt_16s": 2,
                "merge_units": 6,
                "qc_summary": 1,
                "export_qiime2_taxonomy": 1,
                "export_shotgun_profiles": 1,
                "multiqc_custom_content": 1,
            },
            [],
        ),
    ],
    ids=["host-only", "16s-only", "shotgun-only", "all-assays"],
)
def test_dry_run_branch(tmp_path, branches, expected, absent):
    sheet = sheet_for(tmp_path, branches)
    res = run_snakemake(tmp_path / "run", "-n", "--quiet", "rules", config={"samples": sheet})
    assert res.returncode == 0, res.stderr
    counts = job_counts(res.stdout)
    for rule, n in expected.items():
        assert counts.get(rule) == n, (rule, counts)
    for rule in absent:
        assert rule not in counts


@pytest.mark.parametrize(("choice", "built"), [("greengenes_13_8", True), ("demo", False)])
def test_16s_reference_choice(tmp_path, choice, built):
    """greengenes_13_8 schedules its build (once) into amplicon.sintax_cache; the demo
    reference (keyword) is used as it is."""
    sheet = sheet_for(tmp_path, ["16s"])
    overrides = {"samples": str(sheet), "amplicon": {"sintax_cache": str(tmp_path / "cache")}}
    if choice:
        overrides["references"] = {"sintax_16s": choice}
    res = run_snakemake(tmp_path / "run", "-n", "--quiet", "rules", overrides=overrides)
    assert res.returncode == 0, res.stderr
    counts = job_counts(res.stdout)
    assert counts.get("amplicon_greengenes_reference") == (1 if built else None), counts
    assert counts.get("amplicon_sintax") == 1


def test_extra_16s_references_are_classified_beside_the_main_one(tmp_path):
    """amplicon.extra_references: one SINTAX classification, taxonomy table and QIIME 2 export
    per item (keyword or path, named after the file), the Greengenes build only when listed;
    two items of one name stop the run."""
    from conftest import ROOT

    sheet = sheet_for(tmp_path, ["16s"])
    mine = tmp_path / "silva_138.fasta"
    shutil.copy(ROOT / "resources/demo/data/reference/16s_sintax.fasta", mine)
    cache = str(tmp_path / "cache")
    for extra, built in (([str(mine), "greengenes_13_8"], 1), ([str(mine)], None)):
        overrides = {
            "samples": str(sheet),
            "amplicon": {"sintax_cache": cache, "extra_references": extra},
        }
        res = run_snakemake(tmp_path / "run", "-n", "--quiet", "rules", overrides=overrides)
        assert res.returncode == 0, res.stderr
        counts = job_counts(res.stdout)
        for rule in ("amplicon_sintax_extra", "amplicon_taxonomy_extra"):
            assert counts.get(rule) == len(extra), (rule, counts)
        assert counts.get("export_qiime2_taxonomy_extra") == len(extra)
        assert counts.get("amplicon_greengenes_reference") == built
        assert counts.get("amplicon_sintax") == 1
    res = run_snakemake(
        tmp_path / "run",
        "results/16s/taxonomy_silva_138.tsv",
        "results/exports/16s/taxonomy_silva_138_qiime2.tsv",
        "-n",
        overrides={"samples": str(sheet), "amplicon": {"extra_references": [str(mine)]}},
    )
    assert res.returncode == 0, res.stderr
    twice = {"samples": str(sheet), "amplicon": {"extra_references": [str(mine), "x/silva_138.fa"]}}
    res = run_snakemake(tmp_path / "run", "-n", overrides=twice)
    assert res.returncode != 0 and "gives the name 'silva_138'" in res.stdout + res.stderr


def test_no_protein_reference_means_no_gene_search(tmp_path):
    sheet = sheet_for(tmp_path, ["shotgun"])
    res = run_snakemake(
        tmp_path / "run",
        "-n",
        "--quiet",
        "rules",
        overrides={"samples": str(sheet), "shotgun": {"genes": {"proteins": ""}}},
    )
    assert res.returncode == 0, res.stderr
    counts = job_counts(res.stdout)
    assert counts.get("patient_report") == 2  # the reports say "not measured"
    for rule in ("gene_reference", "diamond_makedb", "diamond_blastx", "gene_abundance"):
        assert rule not in counts


def test_missing_protein_reference_is_named(tmp_path):
    sheet = sheet_for(tmp_path, ["shotgun"])
    missing = tmp_path / "nowhere.faa"
    res = run_snakemake(
        tmp_path / "run",
        "-n",
        overrides={"samples": str(sheet), "shotgun": {"genes": {"proteins": str(missing)}}},
    )
    assert res.returncode != 0
    assert f"config shotgun.genes.proteins: {missing} is not a file" in res.stdout + res.stderr


def test_validation_can_be_switched_off(tmp_path):
    sheet = sheet_for(tmp_path, ["16s"])
    res = run_snakemake(
        tmp_path / "run",
        "-n",
        "--quiet",
        "rules",
        overrides={"samples": str(sheet), "qc": {"validate_fastq": False}},
    )
    assert res.returncode == 0, res.stderr
    assert "check_fastq" not in job_counts(res.stdout)


@pytest.mark.parametrize("phase", [True, False])
def test_host_phase_switches_read_backed_phasing(tmp_path, phase):
    sheet = sheet_for(tmp_path, ["host"])
    res = run_snakemake(
        tmp_path / "run",
        "-n",
        "--quiet",
        "rules",
        overrides={"samples": str(sheet), "host": {"phase": phase}},
    )
    assert res.returncode == 0, res.stderr
    counts = job_counts(res.stdout)
    assert counts.get("phase_host") == (2 if phase else None), counts  # one per host sample
    assert counts["pharmcat_vcf"] == 2


def test_bad_sheet_stops_before_any_job(tmp_path):
    sheet = sheet_for(tmp_path, ["host", "16s"])
    text = sheet.read_text().replace("\t16s\t", "\tamplicon\t", 1)
    sheet.write_text(text)
    workdir = tmp_path / "run"
    res = run_snakemake(workdir, config={"samples": sheet})
    assert res.returncode != 0
    assert "line 5, column 'assay': 'amplicon' is not a known assay" in res.stderr
    assert "Nothing was run" in res.stderr
    assert not (workdir / "results").exists()


def test_bad_config_value_stops(tmp_path):
    sheet = sheet_for(tmp_path, ["16s"])
    res = run_snakemake(
        tmp_path / "run",
        "-n",
        overrides={"samples": str(sheet), "qc": {"fastp": {"length_required": -5}}},
    )
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "qc.fastp.length_required = -5: must be at least 1" in out


def test_misspelt_config_key_stops(tmp_path):
    sheet = sheet_for(tmp_path, ["16s"])
    res = run_snakemake(
        tmp_path / "run",
        "-n",
        overrides={"samples": str(sheet), "diversity": {"rarefaction_dpeth": 5000}},
    )
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "diversity: unknown key(s) rarefaction_dpeth" in out
    assert "rarefaction_depth" in out  # the known keys are listed
