"""Exports of the demo run (fixture ``demo_run``, conftest): the FHIR bundle of every patient
(rule patient_fhir) and the run diff (python -m holobiont.rundiff, rule run_diff)."""

import json
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, requires_demo, run_snakemake

pytestmark = [pytest.mark.workflow, requires_demo]


def _genotypes(bundle):
    from holobiont.fhir import PROFILE

    out = {}
    for e in bundle["entry"]:
        r = e["resource"]
        if PROFILE["genotype"] in r.get("meta", {}).get("profile", []):
            out[r["component"][0]["valueCodeableConcept"]["text"]] = r
    return out


def test_demo_fhir_bundles_validate_and_follow_the_reports(demo_run):
    from fhir.resources.R4B.bundle import Bundle

    from holobiont.fhir import patient_bundle

    run, sheet, _ = demo_run
    for patient in sorted(sheet.patient_id.unique()):
        report = json.loads((run / f"results/reports/{patient}.json").read_text())
        bundle = json.loads((run / f"results/reports/{patient}.fhir.json").read_text())
        Bundle.model_validate(bundle)
        assert bundle == patient_bundle(report), patient
        genos = _genotypes(bundle)
        genes = report["host"].get("genes", [])
        assert set(genos) == {g["gene"] for g in genes}, patient
        for g in genes:
            obs = genos[g["gene"]]
            if g["status"] != "called":  # not measured: no value, a reason
                assert "valueCodeableConcept" not in obs and "dataAbsentReason" in obs
            elif g["diplotype"]:
                assert obs["valueCodeableConcept"]["text"] == f"{g['gene']} {g['diplotype']}"
        ids = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
        assert ids == [
            {
                "resourceType": "Patient",
                "identifier": [{"system": "urn:holobiont:patient_id", "value": patient}],
            }
        ]
    # the sheet's outside calls (CYP2D6 and HLA-B of P01) keep their source
    p01 = _genotypes(json.loads((run / "results/reports/P01.fhir.json").read_text()))
    assert p01["CYP2D6"]["method"]["text"] == "outside call: P01.tsv"
    assert p01["CYP2D6"]["valueCodeableConcept"]["text"] == "CYP2D6 *1/*4"
    assert p01["HLA-B"]["method"]["text"] == "outside call: P01.tsv"
    assert "CYP2D6" not in _genotypes(
        json.loads((run / "results/reports/P02.fhir.json").read_text())
    )


def test_demo_fhir_bundles_are_offline_and_pseudonymous(demo_run):
    # the only URIs are the code systems, profiles and extensions the bundle uses (no link to
    # fetch), and nothing of the sheet's paths reaches a bundle
    from conftest import IDENTIFYING_DIR

    run, sheet, sheet_path = demo_run
    allowed = {
        "http://hl7.org/fhir/uv/genomics-reporting/",
        "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact",
        "http://loinc.org",
        "http://www.genenames.org/geneId",
        "http://terminology.hl7.org/CodeSystem/",
    }
    bundles = sorted((run / "results/reports").glob("*.fhir.json"))
    assert len(bundles) == sheet.patient_id.nunique()
    for path in bundles:
        text = path.read_text()
        assert IDENTIFYING_DIR not in text and str(sheet_path.parent) not in text, path
        assert str(ROOT) not in text and "fastq" not in text.lower(), path
        for uri in re.findall(r"https?://[^\s\"]+", text):
            assert any(uri.startswith(a) for a in allowed), (path, uri)


def _earlier_run(run, tmp_path):
    """A copy of the demo's patient JSONs as an "earlier run": P01's CYP2C19 call and one
    guidance differ, and one more patient (PX) had a report then."""
    old = tmp_path / "earlier" / "results" / "reports"
    old.mkdir(parents=True)
    for f in (run / "results/reports").glob("*.json"):
        if f.name != "cohort.json" and not f.name.endswith(".fhir.json"):
            shutil.copy(f, old / f.name)
    p01 = json.loads((old / "P01.json").read_text())
    gene = next(g for g in p01["host"]["genes"] if g["drugs"] and g["phenotype"] != "Indeterminate")
    was = dict(phenotype=gene["phenotype"], guidance=gene["drugs"][0]["guidance"])
    gene["phenotype"] = "Indeterminate"
    gene["drugs"][0]["guidance"] = "an earlier catalog's text"
    (old / "P01.json").write_text(json.dumps(p01))
    px = dict(p01, patient_id="PX")
    (old / "PX.json").write_text(json.dumps(px))
    return old.parent.parent, gene, was


def test_demo_run_diff_command(demo_run, tmp_path):
    run, _, _ = demo_run
    earlier, gene, was = _earlier_run(run, tmp_path)
    out = tmp_path / "changes.tsv"
    cmd = [sys.executable, "-m", "holobiont.rundiff", str(earlier), str(run), "--out", str(out)]
    res = subprocess.run(
        cmd, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "scripts")}
    )
    assert res.returncode == 0, res.stderr
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    drug = gene["drugs"][0]
    tail = f" [{drug['classification']}]" if drug["classification"] else ""
    assert rows == [
        ["patient", "domain", "item", "old", "new"],
        ["P01", "phenotype", gene["gene"], "Indeterminate", was["phenotype"]],
        [
            "P01",
            "guidance",
            f"{gene['gene']} / {drug['drug']}",
            "an earlier catalog's text" + tail,
            " ".join(was["guidance"].split()) + tail,
        ],
        ["PX", "patient", "report", "present", "absent"],
    ]
    assert res.stdout.strip() == "3 changed conclusion(s) for 2 patient(s)"
    same = subprocess.run(
        [sys.executable, "-m", "holobiont.rundiff", str(run), str(run), "--out", str(out)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "scripts")},
    )
    assert same.stdout.strip() == "no change" and out.read_text().count("\n") == 1


def test_demo_run_diff_rule(demo_run, tmp_path):
    # rule run_diff itself, on copies of the demo's patient JSONs (only that rule may run)
    run, _, sheet_path = demo_run
    earlier, gene, _ = _earlier_run(run, tmp_path)
    new = tmp_path / "new"
    (new / "results/reports").mkdir(parents=True)
    for f in (run / "results/reports").glob("*.json"):
        shutil.copy(f, new / "results/reports" / f.name)
    res = run_snakemake(
        new,
        "results/reports/changes.tsv",
        "--allowed-rules",
        "run_diff",
        config={"samples": sheet_path},
        overrides={"report": {"compare_with": str(earlier)}},
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    rows = (new / "results/reports/changes.tsv").read_text().splitlines()
    assert len(rows) == 4 and rows[1].startswith(f"P01\tphenotype\t{gene['gene']}\t")
    assert "3 changed conclusion(s)" in (new / "logs/reports/changes.log").read_text()


def test_compare_with_that_is_not_a_folder_stops_naming_the_key(demo_sheet, tmp_path):
    missing = tmp_path / "no_such_run"
    res = run_snakemake(
        tmp_path / "run",
        "-n",
        config={"samples": demo_sheet[0]},
        overrides={"report": {"compare_with": str(missing)}},
    )
    assert res.returncode != 0
    assert f"config report.compare_with: {missing} is not a folder" in res.stdout + res.stderr
