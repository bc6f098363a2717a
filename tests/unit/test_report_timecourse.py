"""Change over time: a patient with several stool samples (sheet timepoints) in the reports."""

import json

import jsonschema
import pytest
from test_report import INTERACTIONS, LINEAGES, ROOT, SCHEMA, write

from holobiont.report.cohort import build_cohort_report
from holobiont.report.patient import (
    COHORT_STATISTICS,
    build_patient_report,
    render_html,
    write_report,
)

QC_HEAD = (
    "patient_id\tsample_id\tunit\tassay\tqc_tool\tread_pairs_in\tread_pairs_out\t"
    "pct_pairs_kept\tbases_in\tbases_out\tq30_rate_in\tq30_rate_out\tduplication_rate\t"
    "adapter_trimmed_reads\tstatus\n"
)
# PT: three 16S timepoints (listed out of order) with Enterococcus rising 5 -> 20 -> 40 %,
# and two shotgun timepoints; PC: one 16S and one shotgun sample.
T16 = {"PT-16S-a": "28", "PT-16S-b": "0", "PT-16S-c": "56"}
COUNTS_16S = {  # bacteroides, enterococcus, escherichia
    "PT-16S-b": (60, 5, 35),
    "PT-16S-a": (50, 20, 30),
    "PT-16S-c": (40, 40, 20),
    "PC-16S": (70, 0, 30),
}
TSG = {"PT-sg-1": "0", "PT-sg-2": "56"}


@pytest.fixture
def course(tmp_path):
    rows = [
        f"PT\t{s}\tL001\t16s\tcutadapt\t100\t98\t98.0\t1\t1\tNA\tNA\tNA\t1\tPASS\n" for s in T16
    ]
    rows += [
        f"PT\t{s}\tL001\tshotgun\tfastp\t100\t97\t97.0\t1\t1\t0.9\t0.9\t0\t1\tPASS\n" for s in TSG
    ]
    rows += ["PC\tPC-16S\tL001\t16s\tcutadapt\t100\t98\t98.0\t1\t1\tNA\tNA\tNA\t1\tPASS\n"]
    rows += ["PC\tPC-sg\tL001\tshotgun\tfastp\t100\t97\t97.0\t1\t1\t0.9\t0.9\t0\t1\tPASS\n"]
    rc = write(tmp_path / "read_counts.tsv", QC_HEAD + "".join(rows))
    ids16 = list(COUNTS_16S)
    lineages = (LINEAGES["t_bact"], LINEAGES["t_efaecium"], LINEAGES["t_ecoli"])
    asv = "taxon_id\t" + "\t".join(ids16) + "\ttaxonomy\n"
    for k, lin in enumerate(lineages):
        asv += f"a{k}\t" + "\t".join(str(COUNTS_16S[s][k]) for s in ids16) + f"\t{lin}\n"
    asv = write(tmp_path / "asv.tsv", asv)
    sg_ids = [*TSG, "PC-sg"]
    sg = "taxon_id\t" + "\t".join(sg_ids) + "\ttaxonomy\n"
    sg += "e\t0.1\t0.3\t0.0\t" + LINEAGES["t_elenta"] + "\n"
    sg += "b\t0.9\t0.7\t1.0\t" + LINEAGES["t_bact"] + "\n"
    sg = write(tmp_path / "sg.tsv", sg)
    div = {}
    for assay, ids in (("16s", ids16), ("shotgun", sg_ids)):
        d = tmp_path / "div" / assay
        d.mkdir(parents=True)
        alpha = "# alpha diversity at rarefaction depth 10\nsample_id\tshannon\tshannon_lo95\t"
        alpha += "shannon_hi95\tobserved\n"
        alpha += "".join(
            f"{s}\t{1 + k}\t{0.9 + k}\t{1.1 + k}\t{3 + k}\n" for k, s in enumerate(ids)
        )
        pcoa = "# proportion explained: PC1=0.6,PC2=0.3\nsample_id\tPC1\tPC2\n"
        pcoa += "".join(f"{s}\t{k}\t{-k}\n" for k, s in enumerate(ids))
        div[assay] = {
            "alpha": write(d / "alpha.tsv", alpha),
            "rarefaction": write(
                d / "rarefaction.tsv",
                "sample_id\tdepth\tstatus\treason\n" + "".join(f"{s}\t10\tkept\t\n" for s in ids),
            ),
            "pcoa_braycurtis": write(d / "pcoa.tsv", pcoa),
            "permanova": write(
                d / "permanova.tsv",
                "metric\tcolumn\tpseudo_F\tp_value\tsample_size\tgroups\tpermutations\t"
                "skipped_because\n",
            ),
        }
    times = {s: {"timepoint": t, "collection_date": "", "order": float(t)} for s, t in T16.items()}
    times |= {s: {"timepoint": t, "collection_date": "", "order": float(t)} for s, t in TSG.items()}
    cohort = {"16s": ["PT-16S-c", "PC-16S"], "shotgun": ["PT-sg-2", "PC-sg"]}
    kw = dict(
        read_counts=rc,
        asv_table=asv,
        species_table=sg,
        diversity=div,
        interactions=INTERACTIONS,
        pgx_drugs=ROOT / "resources/pgx/drugs.tsv",
        cohort_samples=cohort,
    )
    return kw, times


def test_timecourse_orders_timepoints_and_reports_the_latest(course):
    kw, times = course
    rep = build_patient_report("PT", timepoints=times, **kw)
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(rep)))
    tc = rep["timecourse"]["16s"]
    assert tc["samples"] == ["PT-16S-b", "PT-16S-a", "PT-16S-c"]  # 0, 28, 56
    assert [p["label"] for p in tc["timepoints"]] == ["t = 0", "t = 28", "t = 56"]
    assert tc["latest"] == rep["microbiome"]["16s"]["sample_id"] == "PT-16S-c"
    assert rep["modalities"]["16s"] == "PT-16S-c"
    # composition per timepoint = the table's shares, one genus list for every timepoint
    for p in tc["timepoints"]:
        got = {g["genus"]: g["relative"] for g in p["genera"]}
        b, e, x = COUNTS_16S[p["sample_id"]]
        assert got == pytest.approx(
            {"Bacteroides": b / 100, "Enterococcus": e / 100, "Escherichia": x / 100}
        )
        assert [g["genus"] for g in p["genera"]] == tc["genera"]
    # alpha per timepoint from alpha.tsv (no cohort placement)
    shannon = [p["alpha"][0]["value"] for p in tc["timepoints"]]
    ids16 = list(COUNTS_16S)
    assert shannon == [1 + ids16.index(s) for s in tc["samples"]]
    # drug-relevant taxa: levodopa / Enterococcus rising 5 -> 20 -> 40 %
    entero = next(
        d for d in tc["drug_rows"] if d["drug"] == "levodopa" and d["taxon"] == "Enterococcus"
    )
    assert [c["abundance"] for c in entero["timepoints"]] == pytest.approx([0.05, 0.20, 0.40])
    assert {c["status"] for c in entero["timepoints"]} == {"detected"}
    # the microbe-drug table and the key findings use the latest timepoint
    row = next(m for m in rep["interactions"]["rows"] if m["taxon"] == "Enterococcus")
    assert row["assays"]["16s"]["abundance"] == pytest.approx(0.40)
    # shotgun: two timepoints, Eggerthella lenta 10 -> 30 %, with gene evidence per timepoint
    sg = rep["timecourse"]["shotgun"]
    assert sg["samples"] == ["PT-sg-1", "PT-sg-2"]
    dig = next(d for d in sg["drug_rows"] if d["drug"] == "digoxin")
    assert [c["abundance"] for c in dig["timepoints"]] == pytest.approx([0.1, 0.3])
    assert all("gene_evidence" in c for c in dig["timepoints"])


def test_cohort_statistics_use_the_latest_timepoint(course):
    kw, times = course
    rep = build_patient_report("PT", timepoints=times, **kw)
    alpha = rep["microbiome"]["16s"]["diversity"]["alpha"][0]
    assert sorted(c["sample_id"] for c in alpha["cohort"]) == ["PC-16S", "PT-16S-c"]
    assert alpha["percentile"] == 25.0  # PT-16S-c (3) below PC-16S (4): mid-rank of 2
    pcoa = rep["microbiome"]["16s"]["diversity"]["pcoa"]["points"]
    assert sorted(p["sample_id"] for p in pcoa) == ["PC-16S", "PT-16S-c"]
    assert rep["methods"]["cohort_statistics"] == COHORT_STATISTICS
    other = build_patient_report("PC", timepoints=times, **kw)
    assert "timecourse" not in other
    assert len(other["microbiome"]["16s"]["diversity"]["alpha"][0]["cohort"]) == 2
    assert "one sample per patient: the latest timepoint" in other["methods"]["cohort_statistics"]
    html = render_html(other)
    assert "<h2>Change over time</h2>" not in html
    assert "Cohort statistics use one sample per patient: the latest timepoint" in html


def test_timecourse_html_section(course):
    kw, times = course
    html = render_html(build_patient_report("PT", timepoints=times, **kw))
    assert html.count("<h2>Change over time</h2>") == 1
    section = html.split("<h2>Change over time</h2>", 1)[1].split("<h2>", 1)[0]
    assert section.index("t = 0") < section.index("t = 28") < section.index("t = 56 (latest)")
    assert (
        '<td><i>Enterococcus</i></td><td class="num">5.0 %</td><td class="num">20.0 %</td><td class="num">40.0 %</td>'
        in section
    )
    assert "cohort statistics use one sample per patient: the latest timepoint" in section
    findings = html.split("<h2>Key findings</h2>", 1)[1].split("<h2>", 1)[0]
    assert "use the latest timepoint, t = 56 (library PT-16S-c)" in findings


def test_one_sample_patient_looks_as_before(course, tmp_path):
    # a cohort without follow-up: the new arguments change nothing in a report
    kw, times = course
    kw = dict(kw, cohort_samples={"16s": list(COUNTS_16S), "shotgun": [*TSG, "PC-sg"]})
    with_args = build_patient_report("PC", timepoints=times, **kw)
    kw.pop("cohort_samples")
    without = build_patient_report("PC", **kw)
    assert with_args == without
    assert "cohort_statistics" not in without["methods"]


def test_several_samples_without_timepoints_is_an_error(course):
    kw, _ = course
    with pytest.raises(ValueError, match="has 3 16s samples .* no timepoint"):
        build_patient_report("PT", **kw)


def test_cohort_report_uses_one_sample_per_patient(course, tmp_path):
    kw, times = course
    paths = []
    for pid in ("PT", "PC"):
        paths.append(tmp_path / f"{pid}.json")
        write_report(
            build_patient_report(pid, timepoints=times, **kw), paths[-1], tmp_path / f"{pid}.html"
        )
    c = build_cohort_report(paths, diversity=kw["diversity"], tables={"16s": kw["asv_table"]})
    m = c["microbiome"]["16s"]
    assert sorted(s["sample_id"] for s in m["composition"]["samples"]) == ["PC-16S", "PT-16S-c"]
    values = [v["sample_id"] for g in m["alpha"][0]["groups"] for v in g["values"]]
    assert sorted(values) == ["PC-16S", "PT-16S-c"]
    points = [p["sample_id"] for p in m["pcoa"]["braycurtis"]["points"]]
    assert sorted(points) == ["PC-16S", "PT-16S-c"]


def test_timecourse_bars_show_every_legend_entry(course):
    # each timepoint's bar names every genus of the shared list inside its own drawing
    import re

    kw, times = course
    html = render_html(build_patient_report("PT", timepoints=times, **kw))
    section = html.split("<h2>Change over time</h2>", 1)[1].split("<h2>", 1)[0]
    svgs = re.findall(r'<svg width="(\d+)".*?</svg>', section, flags=re.S)
    bars = re.findall(r"<svg .*?</svg>", section, flags=re.S)
    assert len(bars) == 3 + 2  # one per profiled timepoint
    for width, svg in zip(svgs, bars, strict=True):
        xs = [float(x) for x in re.findall(r'<text x="([\d.]+)"', svg)]
        assert xs and max(xs) < int(width)
    assert all("Enterococcus" in b for b in bars[:3])
