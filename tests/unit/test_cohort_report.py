"""Cohort report: aggregation of patient reports, group statistics, schema, offline HTML."""

import json

import jsonschema
import numpy as np
import pytest
from test_report import FASTQ, READ_NAME, ROOT, inputs, write

from holobiont.report.cohort import build_cohort_report, render_cohort_html
from holobiont.report.patient import build_patient_report, write_report
from holobiont.report.templating import PRINT_SCRIPT

SCHEMA = json.loads((ROOT / "workflow/schemas/cohort_report.schema.json").read_text())


@pytest.fixture
def cohort(tmp_path):
    pa, pb = inputs(tmp_path)
    pb["metadata"] = {"group": "B"}
    paths = []
    for pid, kw in (("PA", pa), ("PB", pb)):
        rep = build_patient_report(pid, **kw)
        paths.append(tmp_path / f"{pid}.json")
        write_report(rep, paths[-1], tmp_path / f"{pid}.html")
    div = {}
    for assay, files in pa["diversity"].items():
        perm = write(
            tmp_path / "div" / assay / "permanova.tsv",
            "metric\tcolumn\tpseudo_F\tp_value\tsample_size\tgroups\tpermutations\t"
            "skipped_because\nbraycurtis\tgroup\t4.2\t0.01\t3\t2\t99\t\n"
            "braycurtis\tsex\tNA\tNA\t3\t1\t\tonly one group\n",
        )
        div[assay] = {
            "alpha": files["alpha"],
            "rarefaction": files["rarefaction"],
            "permanova": perm,
            "pcoa_braycurtis": files["pcoa_braycurtis"],
        }
    rep = build_cohort_report(
        paths, diversity=div, tables={"16s": pa["asv_table"], "shotgun": pa["species_table"]}
    )
    return rep, [json.loads(p.read_text()) for p in paths]


def test_schema_and_groups(cohort):
    rep, _ = cohort
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(rep)))
    assert rep["group_by"] == "group"
    assert [(p["patient_id"], p["group"]) for p in rep["patients"]] == [("PA", "A"), ("PB", "B")]


def test_pgx_matrix_and_counts(cohort):
    rep, _ = cohort
    pgx = rep["pgx"]
    assert pgx["genes"] == ["DPYD", "UGT1A1"]
    assert pgx["not_sequenced"] == ["PB"]  # PB has no host library
    (pa,) = pgx["patients"]
    assert pa["calls"][0] == {
        "diplotype": "Reference/c.2846A>T",
        "phenotype": "Intermediate Metabolizer",
        "light": "amber",
    }
    assert pa["calls"][1]["light"] == "grey"
    assert {"gene": "DPYD", "phenotype": "Intermediate Metabolizer", "n": 1} in (
        pgx["phenotype_counts"]
    )


def test_alpha_by_group_summaries(cohort):
    rep, _ = cohort
    (shannon,) = rep["microbiome"]["16s"]["alpha"]
    # alpha.tsv of the fixture: PA-16S=1, PB-16S=2, PC-16S=3; PC is in no patient report
    groups = {g["group"]: g for g in shannon["groups"]}
    assert set(groups) == {"A", "B", "all"}
    assert groups["A"]["values"] == [{"sample_id": "PA-16S", "value": 1.0}]
    assert groups["B"]["median"] == 2.0 and groups["B"]["n"] == 1
    assert groups["all"]["min"] == groups["all"]["max"] == 3.0


def test_composition_closes_and_uses_one_genus_order(cohort):
    rep, _ = cohort
    comp = rep["microbiome"]["16s"]["composition"]
    # 16S fixture counts: Bacteroides 50/0/10, Enterococcus 30/5/10, Escherichia 20/95/10
    assert comp["genera"][0] == "Escherichia"  # highest mean relative abundance
    for s in comp["samples"]:
        assert sum(s["relative"]) + s["other"] + s["unassigned"] == pytest.approx(1.0, abs=1e-9)
    pa = next(s for s in comp["samples"] if s["sample_id"] == "PA-16S")
    got = dict(zip(comp["genera"], pa["relative"], strict=True))
    assert got == pytest.approx({"Escherichia": 0.2, "Bacteroides": 0.5, "Enterococcus": 0.3})


def test_interactions_agree_with_patient_reports(cohort):
    rep, patients = cohort
    for e in rep["interactions"]:
        for p in patients:
            row = next(
                m
                for m in p["interactions"]["rows"]
                if (m["drug"], m["taxon"], m["gene_enzyme"])
                == (e["drug"], e["taxon"], e["gene_enzyme"])
            )
            assert e["status"][p["patient_id"]] == row["status"]
        assert e["detected_in"] == sorted(p for p, s in e["status"].items() if s == "detected")
    counts = [len(e["detected_in"]) for e in rep["interactions"]]
    assert counts == sorted(counts, reverse=True)


def test_permanova_and_findings_in_html(cohort):
    rep, _ = cohort
    html = render_cohort_html(rep)
    assert "communities differ by <b>group</b>" in html  # p = 0.01 < 0.05
    assert "only one group" in html  # a skipped test keeps its reason
    assert "PB-16S L001 failed read QC" in html
    assert html.count("<svg") >= 6  # composition, PCoA and alpha plots of both assays
    # the cards count patients per modality (a follow-up's samples are not counted apart)
    n16 = sum(p["modalities"]["16s"] != "not sequenced" for p in rep["patients"])
    assert f"Patients with 16S<br><b>{n16}</b>" in html and "16S libraries" not in html


def test_html_offline_and_pseudonymous(cohort):
    rep, _ = cohort
    html = render_cohort_html(rep)
    for text in (html, json.dumps(rep)):
        assert "http://" not in text and "https://" not in text
        assert FASTQ not in text and "/secret" not in text
        assert READ_NAME not in text
    assert html.count("<script") == 1 and f"<script>{PRINT_SCRIPT}</script>" in html
    assert "src=" not in html


def test_unknown_group_column_is_an_error(cohort, tmp_path):
    with pytest.raises(ValueError, match="group_by column 'diet'"):
        build_cohort_report([tmp_path / "PA.json"], group_by="diet")
    assert np.isfinite(cohort[0]["microbiome"]["16s"]["permanova"][0]["pseudo_F"])


def test_cohort_without_enough_samples_for_diversity(tmp_path):
    """A cohort whose diversity has no kept sample still gets a report (found by CI: the
    shotgun-only test cohort keeps no sample at the rarefaction depth)."""
    pa, _ = inputs(tmp_path)
    rep = build_patient_report("PA", **pa)
    write_report(rep, tmp_path / "PA.json", tmp_path / "PA.html")
    d = tmp_path / "empty"
    d.mkdir()
    files = {
        "alpha": write(
            d / "alpha.tsv", "# alpha diversity at rarefaction depth 1000\nsample_id\tshannon\n"
        ),
        "rarefaction": write(
            d / "rarefaction.tsv",
            "sample_id\tdepth\tstatus\treason\nPA-sg\t50\tdropped\tbelow 1000\n",
        ),
        "permanova": write(
            d / "permanova.tsv",
            "metric\tcolumn\tpseudo_F\tp_value\tsample_size\tgroups\tpermutations\tskipped_because\n"
            "braycurtis\tgroup\tNA\tNA\t1\tNA\tNA\tfewer than 3 samples\n",
        ),
        "pcoa_braycurtis": write(d / "pcoa.tsv", "# proportion explained: \nsample_id\tPC1\tPC2\n"),
    }
    cohort = build_cohort_report(
        [tmp_path / "PA.json"],
        diversity={"shotgun": files},
        tables={"shotgun": pa["species_table"]},
    )
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(cohort)))
    sg = cohort["microbiome"]["shotgun"]
    assert sg["alpha"] == [] and sg["pcoa"]["braycurtis"]["points"] == []
    assert sg["dropped"] == [{"sample_id": "PA-sg", "reason": "below 1000"}]
    html = render_cohort_html(cohort)
    assert "fewer than two samples reached the rarefaction depth" in html
    assert "PA-sg left out of shotgun metagenome diversity: below 1000" in html
    # a skipped PERMANOVA (NA cells, as diversity.py writes them) keeps its reason
    assert sg["permanova"][0]["groups"] is None and sg["permanova"][0]["sample_size"] == 1
    assert "fewer than 3 samples" in html


def test_sample_without_reads_is_listed_not_drawn(tmp_path):
    """A library with no reads (failed QC, nothing after primer trimming) has no composition
    in the cohort plot: it is listed as not measured, never a bar of zeros."""
    from holobiont.report.cohort import _composition

    table = tmp_path / "asv.tsv"
    table.write_text(
        "taxon_id\tA\tB\tC\ttaxonomy\n"
        "t1\t10\t0\t5\td__Bacteria; g__Bacteroides\n"
        "t2\t30\t0\t5\td__Bacteria; g__Prevotella\n"
    )
    comp = _composition(table, top=5)
    assert [s["sample_id"] for s in comp["samples"]] == ["A", "C"]
    assert comp["not_measured"] == ["B"]


# --- run diff section (issue 16 item 6; config report.compare_with)
def _changes_tsv(path, rows):
    from holobiont.report.rundiff import Change, write_changes

    write_changes([Change(*r) for r in rows], path)
    return path


def test_what_changed_section_lists_every_change_per_patient(cohort, tmp_path):
    _, reports = cohort
    paths = [tmp_path / f"{r['patient_id']}.json" for r in reports]
    tsv = _changes_tsv(
        tmp_path / "changes.tsv",
        [
            ("PA", "phenotype", "CYP2C19", "Normal Metabolizer", "Intermediate Metabolizer"),
            ("PA", "guidance", "CYP2C19 / clopidogrel", "use label dose", "use <alternative>"),
            ("PB", "microbe-drug", "digoxin / Eggerthella lenta", "not detected", "detected"),
        ],
    )
    rep = build_cohort_report(
        paths, changes=tsv, compare_with="/runs/2026-11-catalog-1.2/results/reports"
    )
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(rep)))
    ch = rep["changes"]
    assert ch["previous_run"] == "2026-11-catalog-1.2"  # the folder's name, never its path
    assert ch["count"] == 3
    assert [(p["patient_id"], len(p["changes"])) for p in ch["patients"]] == [("PA", 2), ("PB", 1)]
    html = render_cohort_html(rep)
    assert "<h2>What changed since 2026-11-catalog-1.2</h2>" in html
    assert "/runs/" not in html
    section = html.split("<h2>What changed since", 1)[1].split("<h2>", 1)[0]
    assert "3 changed conclusions for 2 patients" in section
    assert section.count("<tr>") == 1 + 3  # header + one row per change
    assert '<td rowspan="2"><b>PA</b></td><td>phenotype</td><td>CYP2C19</td>' in section
    assert "<td>Normal Metabolizer</td><td><b>Intermediate Metabolizer</b></td>" in section
    assert "use &lt;alternative&gt;" in section  # escaped
    assert "<td>digoxin / Eggerthella lenta</td><td>not detected</td><td><b>detected</b>" in section
    assert "No conclusion changed" not in section


def test_what_changed_section_says_no_change(cohort, tmp_path):
    _, reports = cohort
    paths = [tmp_path / f"{r['patient_id']}.json" for r in reports]
    tsv = _changes_tsv(tmp_path / "changes.tsv", [])
    rep = build_cohort_report(paths, changes=tsv, compare_with="old-run")
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(rep)))
    assert rep["changes"] == {"previous_run": "old-run", "count": 0, "patients": []}
    html = render_cohort_html(rep)
    assert "<h2>What changed since old-run</h2>" in html
    assert "No conclusion changed" in html
    # without compare_with the report has no such section (and its JSON no such key)
    plain = build_cohort_report(paths)
    assert "changes" not in plain
    assert "What changed since" not in render_cohort_html(plain)


def test_composition_keeps_unassigned_apart_from_other_genera(tmp_path):
    """Reads without a confident genus ("unassigned") and the genera outside the top N
    ("other") are two parts of each bar, with their own legend entries."""
    from holobiont.report.cohort import _composition, svg_composition

    table = tmp_path / "asv.tsv"
    table.write_text(
        "taxon_id\tA\tB\ttaxonomy\n"
        "t1\t50\t10\td__Bacteria; g__Bacteroides\n"
        "t2\t20\t10\td__Bacteria; g__Prevotella\n"
        "t3\t10\t0\td__Bacteria; g__Blautia\n"
        "t4\t20\t80\td__Bacteria; p__Firmicutes\n"  # no confident genus
    )
    comp = _composition(table, top=1)
    assert comp["genera"] == ["Bacteroides"]  # "unassigned" is never a top genus
    a, b = comp["samples"]
    assert [*a["relative"], a["other"], a["unassigned"]] == pytest.approx([0.5, 0.3, 0.2])
    assert [*b["relative"], b["other"], b["unassigned"]] == pytest.approx([0.1, 0.1, 0.8])
    for s in comp["samples"]:
        s.update(patient_id=s["sample_id"], group="g")
    svg = svg_composition(comp)
    assert "B: unassigned at genus 80.0 %" in svg and "B: other genera 10.0 %" in svg
    assert ">other genera</text>" in svg and ">unassigned at genus</text>" in svg
    assert "other / unassigned" not in svg


def test_gene_evidence_per_shotgun_library(tmp_path):
    """Per shotgun library: read pairs of every gene and which are detected; "not measured"
    (with the reason) for a library without gene evidence, a gene the protein reference lacks
    and a patient without a shotgun library."""
    from holobiont.microbiome.genes import gene_abundance, write_abundance

    pa, pb = inputs(tmp_path)
    ref = [{"gene": g, "length_aa": 500} for g in ("cgr2", "gus", "cdd", "preTA")]
    write_abundance(
        gene_abundance("PA-sg", {"cgr2": 12, "gus": 3}, 100_000, ref, min_pairs=4),
        tmp_path / "genes.tsv",
    )
    reports = {
        "PA": build_patient_report(
            "PA", **pa, gene_abundance=tmp_path / "genes.tsv", genes_configured=True
        ),
        "PB": build_patient_report("PB", **pb, genes_configured=True),
        # the same library in a run without a protein reference, posing as patient PC
        "PC": {**build_patient_report("PA", **pa), "patient_id": "PC"},
    }
    paths = []
    for pid, rep in reports.items():
        paths.append(tmp_path / f"{pid}.json")
        write_report(rep, paths[-1], tmp_path / f"{pid}.html")
    rep = build_cohort_report(paths, tables={"shotgun": pa["species_table"]})
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(rep)))
    ge = rep["microbiome"]["shotgun"]["gene_evidence"]
    assert ge["min_pairs"] == 4
    assert [s["patient_id"] for s in ge["samples"]] == ["PA", "PB", "PC"]
    a, b, c = ge["samples"]
    assert b == {"sample_id": "", "patient_id": "PB", "status": "not measured",
                 "reason": "no shotgun library"}  # fmt: skip
    cells = dict(zip(ge["genes"], a["genes"], strict=True))
    assert (a["status"], a["detected"]) == ("measured", ["cgr2"])
    assert cells["cgr2"] == {"read_pairs": 12, "rpm": 120.0, "detected": True}
    assert cells["gus"]["read_pairs"] == 3 and not cells["gus"]["detected"]  # below min_pairs
    assert cells["tyrDC"] is None  # no tyrDC protein in the reference: not measured
    assert c["status"] == "not measured" and "genes" not in c
    assert c["reason"] == "no protein reference configured (shotgun.genes.proteins)"
    html = render_cohort_html(rep)
    assert "<b>Drug-metabolism genes</b>" in html and "(at least 4 read pairs)" in html
    assert f"<td>1 of {len(ge['genes'])}</td>" in html
    assert "● 12</td>" in html and "· 3</td>" in html
    assert "not measured: no protein reference configured" in html
    assert '<td class="ns" colspan="7">not measured: no shotgun library</td>' in html
    assert 'title="120 RPM (per million microbial read pairs)">● 12</td>' in html
