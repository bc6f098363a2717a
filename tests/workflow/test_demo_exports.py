"""Exports of the demo run (fixture ``demo_run``, conftest): the FHIR bundle of every patient
(rule patient_fhir), the run diff (python -m holobiont.report.rundiff, rule run_diff), the extra 16S
classification (amplicon.extra_references: Greengenes 13_8), the databases' checksums in
results/provenance/databases.json and the reports' methods, and the cohort report's gene
evidence and genus bars."""

import hashlib
import json
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from conftest import DEMO, ROOT, requires_demo, run_snakemake
from holobiont.microbiome.amplicon import read_fasta

pytestmark = [pytest.mark.workflow, requires_demo]


def _genotypes(bundle):
    from holobiont.report.fhir import PROFILE

    out = {}
    for e in bundle["entry"]:
        r = e["resource"]
        if PROFILE["genotype"] in r.get("meta", {}).get("profile", []):
            out[r["component"][0]["valueCodeableConcept"]["text"]] = r
    return out


def test_demo_fhir_bundles_validate_and_follow_the_reports(demo_run):
    from fhir.resources.R4B.bundle import Bundle

    from holobiont.report.fhir import patient_bundle

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
    cmd = [
        sys.executable,
        "-m",
        "holobiont.report.rundiff",
        str(earlier),
        str(run),
        "--out",
        str(out),
    ]
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
        [sys.executable, "-m", "holobiont.report.rundiff", str(run), str(run), "--out", str(out)],
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


def _true_genus(taxonomy: str) -> str:
    """Genus of a truth lineage (Greengenes, ``g__[Ruminococcus]`` without the brackets)."""
    m = re.search(r"g__([^;]*)", taxonomy)
    return m.group(1).strip().strip("[]") if m else ""


def test_demo_greengenes_classification_beside_the_main_one(demo_run):
    """The demo config's amplicon.extra_references [greengenes_13_8]: the ASVs are also
    classified against the full Greengenes 13_8 97 % set (99,322 OTUs, built in the run),
    written beside the main (demo reference) taxonomy, which the tables keep.

    Truth: resources/demo/data/truth (16s_asvs.fasta: every member's amplicon;
    16s_composition.tsv: its Greengenes 13_8 lineage). Measured on the demo run: the 26 ASVs
    are all exact truth amplicons; Greengenes gives 23 of 26 their true genus at the 0.8 cutoff
    (88 %), 3 no confident genus (Escherichia, Roseburia, Coprococcus: V4 shared with other
    genera of the full set) and none a wrong genus; it names 19 of the 22 true genera. The
    main (demo) reference: 26 of 26. Tolerance: at least 22 of 26 ASVs and 18 genera, no
    wrong genus; the main taxonomy keeps every true genus."""
    run, _, _ = demo_run
    cutoff = yaml.safe_load((ROOT / "config/config.yaml").read_text())["amplicon"]["sintax_cutoff"]
    main = pd.read_csv(run / "results/16s/taxonomy.tsv", sep="\t", dtype=str, keep_default_na=False)
    gg = pd.read_csv(
        run / "results/16s/taxonomy_greengenes_13_8.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    assert list(gg.columns) == list(main.columns) and gg.asv.tolist() == main.asv.tolist()
    member = {seq: label.split()[0] for label, seq in read_fasta(DEMO / "truth/16s_asvs.fasta")}
    comp = pd.read_csv(DEMO / "truth/16s_composition.tsv", sep="\t", dtype=str)
    genus_of = {
        r.otu_id: _true_genus(r.taxonomy) for r in comp.itertuples() if r.is_chimera == "false"
    }
    asv_seq = {
        label.split(";")[0]: seq for label, seq in read_fasta(run / "results/16s/asv_seqs.fasta")
    }
    truth = {a: genus_of[member[asv_seq[a]]] for a in gg.asv}  # every ASV is a true member
    got = dict(zip(gg.asv, gg.genus, strict=True))
    right = [a for a in truth if got[a] == truth[a]]
    wrong = [a for a in truth if got[a] and got[a] != truth[a]]
    assert len(right) >= 22 and not wrong, (len(right), [(truth[a], got[a]) for a in wrong])
    assert len(set(got.values()) & set(truth.values())) >= 18
    assert dict(zip(main.asv, main.genus, strict=True)) == truth  # the main results unchanged
    # the unconfident top hit is kept apart: an ASV without a genus may show one there only
    for r in gg.itertuples():
        assert (r.genus == "") or float(r.genus_confidence) >= cutoff
    # QIIME 2 taxonomy export of it, read back: the same lineages
    q = pd.read_csv(
        run / "results/exports/16s/taxonomy_greengenes_13_8_qiime2.tsv",
        sep="\t",
        dtype=str,
        keep_default_na=False,
    )
    assert list(q.columns) == ["Feature ID", "Taxon", "Confidence"]
    assert q["Feature ID"].tolist() == gg.asv.tolist()
    assert q.Taxon.tolist() == gg.lineage.tolist()
    assert (pd.to_numeric(q.Confidence[q.Taxon != "Unassigned"]) >= cutoff).all()


def test_demo_databases_checksum_the_extra_16s_and_protein_references(demo_run):
    """databases.json and every report's methods: SHA-256 of the main and the Greengenes 16S
    references (equal to its build record, which provenance.json keeps) and of the protein
    reference of the gene-level evidence (shotgun.genes.proteins)."""
    run, sheet, _ = demo_run
    dbs = {
        d["role"]: d for d in json.loads((run / "results/provenance/databases.json").read_text())
    }

    def sha(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()

    built = run / "resources/cache/16s/greengenes_13_8_97_sintax.fasta"
    record = json.loads(built.with_name(built.name + ".json").read_text())
    expected = {
        "16S taxonomy (vsearch SINTAX)": sha(DEMO / "reference/16s_sintax.fasta"),
        "16S taxonomy, extra reference greengenes_13_8 (vsearch SINTAX)": record["sha256"],
        "Gene-level evidence (DIAMOND blastx protein reference)": sha(
            DEMO / "reference/shotgun_genes.faa"
        ),
    }
    for role, digest in expected.items():
        assert dbs[role]["files"] == [{"file": dbs[role]["name"], "sha256": digest}], role
    assert sha(built) == record["sha256"]
    prov = json.loads((run / "results/provenance/provenance.json").read_text())
    extra = prov["references"]["sintax_16s_extra"]["greengenes_13_8"]
    assert (extra["choice"], extra["sha256"], extra["build"]) == (
        "greengenes_13_8",
        sha(built),
        record,
    )
    assert (
        "results/16s/taxonomy_greengenes_13_8.tsv"
        in dbs["16S taxonomy, extra reference greengenes_13_8 (vsearch SINTAX)"]["note"]
    )
    for patient in sorted(sheet.patient_id.unique()):
        report = json.loads((run / f"results/reports/{patient}.json").read_text())
        assert report["methods"]["databases"] == list(dbs.values()), patient
        html = (run / f"results/reports/{patient}.html").read_text()
        assert all(digest in html for digest in expected.values()), patient


def test_demo_cohort_report_gene_evidence_and_genus_parts(demo_run):
    """cohort.json: per shotgun library the read pairs of every gene equal
    results/shotgun/genes/gene_abundance.tsv (detected from shotgun.genes.min_pairs); P07 (no
    shotgun library) is "not measured". The genus bars: the top genera, "other genera" and
    "unassigned at genus" (the collapsed table's unassigned) add up to 1 per sample."""
    from holobiont.core.table import closure, collapse, read_tsv
    from holobiont.microbiome.genes import read_abundance

    run, sheet, _ = demo_run
    doc = json.loads((run / "results/reports/cohort.json").read_text())
    ge = doc["microbiome"]["shotgun"]["gene_evidence"]
    table = read_abundance(run / "results/shotgun/genes/gene_abundance.tsv")
    sg = sheet[sheet.assay == "shotgun"].drop_duplicates("sample_id")
    shotgun = dict(zip(sg.patient_id, sg.sample_id, strict=True))
    assert [s["patient_id"] for s in ge["samples"]] == sorted(sheet.patient_id.unique())
    assert ge["genes"] == sorted({g for rows in table.values() for g in rows})
    for s in ge["samples"]:
        if s["patient_id"] not in shotgun:
            assert (s["status"], s["reason"]) == ("not measured", "no shotgun library")
            continue
        rows = table[shotgun[s["patient_id"]]]
        assert s["sample_id"] == shotgun[s["patient_id"]] and s["status"] == "measured"
        got = {
            g: (c["read_pairs"], c["detected"])
            for g, c in zip(ge["genes"], s["genes"], strict=True)
        }
        assert got == {g: (r["read_pairs"], r["detected"]) for g, r in rows.items()}
        assert s["detected"] == [g for g in ge["genes"] if rows[g]["detected"]]
    assert "not measured" in {s["status"] for s in ge["samples"]}  # P07
    html = (run / "results/reports/cohort.html").read_text()
    assert "<b>Drug-metabolism genes</b>" in html and "no shotgun library" in html
    for assay, path in (("16s", "results/16s/asv_table.tsv"), ("shotgun", None)):
        comp = doc["microbiome"][assay]["composition"]
        for s in comp["samples"]:
            assert sum(s["relative"]) + s["other"] + s["unassigned"] == pytest.approx(1.0)
        if path:
            genus = collapse(read_tsv(run / path), "genus")
            rel = closure(genus.counts.astype(float))
            k = genus.taxa.index("unassigned") if "unassigned" in genus.taxa else None
            for s in comp["samples"]:
                i = genus.sample_ids.index(s["sample_id"])
                assert s["unassigned"] == pytest.approx(0.0 if k is None else rel[i, k])
    assert "other genera" in html and "unassigned at genus" in html
