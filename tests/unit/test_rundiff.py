"""Run diff (holobiont.report.rundiff): every changed conclusion of two runs' patient reports."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from holobiont.report.rundiff import (
    COLUMNS,
    Change,
    RunDiffError,
    diff_runs,
    read_changes,
    write_changes,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "workflow/schemas/patient_report.schema.json").read_text())
ASSAY = {"status": "detected", "abundance": 0.01}


def gene(name, diplotype, phenotype, drugs=(), status="called", score=None):
    return {
        "gene": name,
        "status": status,
        "diplotype": diplotype,
        "phenotype": phenotype,
        "activity_score": score,
        "confidence": "high",
        "light": "green",
        "source": "vcf",
        "missing_positions": [],
        "notes": [],
        "drugs": [
            {"drug": d, "guidance": g, "classification": "CPIC level A", "pmid": "1"}
            for d, g in drugs
        ],
        "coverage": {},
    }


def base_report(patient="P01"):
    doc = {
        "report_version": "1",
        "patient_id": patient,
        "metadata": {"group": "A"},
        "modalities": {
            "host": f"{patient}-host",
            "16s": f"{patient}-16S",
            "shotgun": "not sequenced",
        },
        "libraries": [
            {"sample_id": f"{patient}-host", "assay": "host_panel", "units": ["L001"]},
            {"sample_id": f"{patient}-16S", "assay": "16s", "units": ["L001"]},
        ],
        "qc": [
            {
                "sample_id": f"{patient}-16S",
                "unit": "L001",
                "assay": "16s",
                "qc_tool": "cutadapt",
                "read_pairs_in": 100,
                "read_pairs_out": 98,
                "status": "PASS",
            }
        ],
        "host": {
            "catalog_version": "2.1.0",
            "genes": [
                gene(
                    "CYP2C19",
                    "*1/*2",
                    "Intermediate Metabolizer",
                    [("clopidogrel", "Use an alternative.")],
                ),
                gene("DPYD", "Reference/Reference", "Normal Metabolizer", score=2.0),
            ],
        },
        "microbiome": {
            "16s": {"status": "profiled", "sample_id": f"{patient}-16S", "genera": []},
            "shotgun": {"status": "not sequenced"},
        },
        "interactions": {
            "min_abundance": 0.001,
            "rows": [
                {
                    "drug": "digoxin",
                    "rank": "species",
                    "taxon": "Eggerthella lenta",
                    "gene_enzyme": "cgr2",
                    "effect": "inactivation",
                    "evidence": "x",
                    "reference": "x",
                    "pmid": "1",
                    "status": "detected",
                    "assays": {
                        "16s": ASSAY,
                        "shotgun": {"status": "not sequenced", "abundance": None},
                    },
                    "host_pgx": [],
                }
            ],
        },
        "identity": [
            {
                "sample_id": f"{patient}-16S",
                "verdict": "match",
                "best_patient": patient,
                "informative_sites": 300,
            }
        ],
        "provenance": {},
        # methods and document header: not compared by the run diff, minimal valid content
        "methods": {
            "tools": {},
            "reference": None,
            "pgx_catalog": None,
            "not_assessed": [],
            "databases": [],
            "thresholds": [],
        },
        "document": {
            "report_id": f"HB-{patient}",
            "report_date": "",
            "date_source": "not set",
            "laboratory": "",
            "accreditation": "",
            "sign_off": [],
            "disclaimer": "",
        },
    }
    jsonschema.validate(doc, SCHEMA)
    return doc


def write_run(folder, reports):
    d = folder / "results" / "reports"
    d.mkdir(parents=True)
    for r in reports:
        (d / f"{r['patient_id']}.json").write_text(json.dumps(r))
    # files of the reports folder that are not patient reports are ignored
    (d / "cohort.json").write_text(json.dumps({"patients": []}))
    (d / "P01.fhir.json").write_text(json.dumps({"resourceType": "Bundle"}))
    return folder


def test_unchanged_runs_give_an_empty_table_with_its_header(tmp_path):
    old = write_run(tmp_path / "old", [base_report("P01"), base_report("P02")])
    new = write_run(tmp_path / "new", [base_report("P01"), base_report("P02")])
    assert diff_runs(old, new) == []
    out = tmp_path / "changes.tsv"
    res = subprocess.run(
        [sys.executable, "-m", "holobiont.report.rundiff", str(old), str(new), "--out", str(out)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "scripts")},
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "no change"
    assert out.read_text() == "\t".join(COLUMNS) + "\n"
    assert read_changes(out) == []


def test_every_domain_change_is_listed(tmp_path):
    old = base_report("P01")
    new = copy.deepcopy(old)
    genes = new["host"]["genes"]
    genes[0]["diplotype"] = "*2/*2"  # diplotype
    genes[0]["phenotype"] = "Poor Metabolizer"  # phenotype
    genes[0]["drugs"][0]["guidance"] = "Avoid clopidogrel."  # guidance
    genes[1]["activity_score"] = 1.5  # activity score
    new["interactions"]["rows"][0]["status"] = "not detected"  # microbe-drug flag
    new["qc"][0]["status"] = "FAIL"  # QC verdict
    new["qc"][0]["reason"] = "too few reads"
    new["identity"][0]["verdict"] = "mismatch"  # identity verdict
    new["identity"][0]["best_patient"] = "P09"
    new["microbiome"]["16s"] = {"status": "not measured", "sample_id": "P01-16S", "reason": "QC"}
    jsonschema.validate(new, SCHEMA)
    rows = diff_runs(write_run(tmp_path / "a", [old]), write_run(tmp_path / "b", [new]))
    assert rows == [
        Change("P01", "diplotype", "CYP2C19", "*1/*2", "*2/*2"),
        Change("P01", "phenotype", "CYP2C19", "Intermediate Metabolizer", "Poor Metabolizer"),
        Change("P01", "activity score", "DPYD", "2", "1.5"),
        Change(
            "P01",
            "guidance",
            "CYP2C19 / clopidogrel",
            "Use an alternative. [CPIC level A]",
            "Avoid clopidogrel. [CPIC level A]",
        ),
        Change("P01", "microbiome", "16s", "profiled", "not measured"),
        Change(
            "P01", "microbe-drug", "digoxin / Eggerthella lenta (cgr2)", "detected", "not detected"
        ),
        Change("P01", "QC verdict", "P01-16S / L001", "PASS", "FAIL: too few reads"),
        Change(
            "P01",
            "identity verdict",
            "P01-16S",
            "match (best match P01)",
            "mismatch (best match P09)",
        ),
    ]


def test_gene_not_called_and_items_present_on_one_side(tmp_path):
    old = base_report("P01")
    new = copy.deepcopy(old)
    d = new["host"]["genes"][1]
    d.update(status="no_data", diplotype="", phenotype="not called")
    new["host"]["genes"][0]["drugs"].append(
        {"drug": "citalopram", "guidance": "Consider a 50% reduction.", "classification": ""}
    )
    new["modalities"]["host"] = "not sequenced"
    rows = diff_runs(write_run(tmp_path / "a", [old]), write_run(tmp_path / "b", [new]))
    assert Change("P01", "diplotype", "DPYD", "Reference/Reference", "not called (no_data)") in rows
    assert Change("P01", "phenotype", "DPYD", "Normal Metabolizer", "not called") in rows
    assert (
        Change("P01", "guidance", "CYP2C19 / citalopram", "absent", "Consider a 50% reduction.")
        in rows
    )
    assert Change("P01", "modality", "host", "P01-host", "not sequenced") in rows


def test_patient_added_and_removed(tmp_path):
    old = write_run(tmp_path / "old", [base_report("P01"), base_report("P02")])
    new = write_run(tmp_path / "new", [base_report("P02"), base_report("P03")])
    rows = diff_runs(old, new)
    assert rows == [
        Change("P01", "patient", "report", "present", "absent"),
        Change("P03", "patient", "report", "absent", "present"),
    ]
    out = tmp_path / "c.tsv"
    write_changes(rows, out)
    assert read_changes(out) == rows
    assert out.read_text().splitlines()[1] == "P01\tpatient\treport\tpresent\tabsent"


def test_reports_folder_can_be_given_directly_and_tabs_are_cleaned(tmp_path):
    old = base_report("P01")
    new = copy.deepcopy(old)
    new["host"]["genes"][0]["drugs"][0]["guidance"] = "Line one.\n\tLine two."
    a = write_run(tmp_path / "a", [old]) / "results" / "reports"
    b = write_run(tmp_path / "b", [new]) / "results"
    rows = diff_runs(a, b)
    assert [r.new for r in rows] == ["Line one. Line two. [CPIC level A]"]
    out = tmp_path / "c.tsv"
    write_changes(rows, out)
    assert read_changes(out) == rows


def test_folder_without_reports_is_an_error_naming_it(tmp_path):
    good = write_run(tmp_path / "good", [base_report()])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RunDiffError, match="empty: no patient report"):
        diff_runs(empty, good)
    with pytest.raises(RunDiffError, match="missing: no such folder"):
        diff_runs(good, tmp_path / "missing")
    bad = tmp_path / "bad" / "results" / "reports"
    bad.mkdir(parents=True)
    (bad / "P01.json").write_text("{not json")
    with pytest.raises(RunDiffError, match="P01.json: not valid JSON"):
        diff_runs(good, tmp_path / "bad")
