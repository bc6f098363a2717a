"""Standard exports (holobiont.microbiome.exports), each read back by the library that owns its format
where one is installed (biom-format, MultiQC), else by a parser written from the format's
specification (QIIME 2 taxonomy TSV, taxpasta's wide table, CAMI profiling 0.9.1,
MetaPhlAn-style table); the Bracken-corrected report against the real est_abundance.py."""

import re
import shutil
import subprocess
import sys

import biom
import pandas as pd
import pytest

from conftest import SHARED
from holobiont.core.table import RANKS, FeatureTable, write_biom
from holobiont.microbiome.amplicon import parse_sintax
from holobiont.microbiome.bracken import estimate_abundance, parse_kraken_report, read_kraken_report
from holobiont.microbiome.exports import (
    CAMI_RANKS,
    QIIME2_COLUMNS,
    TAXPASTA_COLUMNS,
    Profile,
    bracken_report_lines,
    multiqc_human_fraction,
    multiqc_identity,
    multiqc_pgx_coverage,
    multiqc_species,
    qiime2_taxonomy,
    write_bracken_report,
    write_cami_profile,
    write_mpa_table,
    write_qiime2_taxonomy,
    write_taxpasta,
)
from holobiont.microbiome.shotgun import Taxonomy

BRACKEN = SHARED / "tools" / "bracken"
requires_bracken = pytest.mark.skipif(
    not (BRACKEN / "src" / "est_abundance.py").is_file(),
    reason="../shared/tools/bracken is absent (Bracken source, GPL: not redistributed)",
)

# --------------------------------------------------------------------------- QIIME 2 taxonomy

SINTAX = "\n".join(
    [
        # confident to genus (cutoff 0.8): the genus confidence is the lowest kept
        "asv1;size=9\td:Bacteria(1.00),p:Firmicutes(0.99),c:Bacilli(0.97),o:Lactobacillales"
        "(0.95),f:Enterococcaceae(0.90),g:Enterococcus(0.85),s:faecalis(0.40)\t+\t",
        # confident to phylum only
        "asv2;size=5\td:Bacteria(0.95),p:Bacteroidota(0.81),c:Bacteroidia(0.60)\t+\t",
        # SINTAX called a domain, below the cutoff: Unassigned with that confidence
        "asv3;size=3\td:Bacteria(0.42),p:Firmicutes(0.20)\t+\t",
        # no call at all: Unassigned, confidence not measured
        "asv4;size=2\t*\t\t",
    ]
)
QIIME_TAXON = re.compile(r"^(Unassigned|[a-z]__[^;\t]*(; [a-z]__[^;\t]*)*)$")


def sintax_taxonomy(tmp_path):
    path = tmp_path / "sintax.tsv"
    path.write_text(SINTAX + "\n")
    return parse_sintax(path, 0.8, ["asv1", "asv2", "asv3", "asv4"])


def read_qiime2_taxonomy(path):
    """QIIME 2 TSVTaxonomyFormat's rules: header 'Feature ID<TAB>Taxon' (+ columns), unique IDs,
    a Taxon on every line; Confidence a float in [0, 1] or empty."""
    lines = path.read_text().splitlines()
    assert tuple(lines[0].split("\t")) == QIIME2_COLUMNS
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(r) == 3 for r in rows)
    ids = [r[0] for r in rows]
    assert len(set(ids)) == len(ids) and all(ids)
    for _, taxon, conf in rows:
        assert QIIME_TAXON.match(taxon), taxon
        assert conf == "" or 0.0 <= float(conf) <= 1.0
    return {r[0]: (r[1], None if r[2] == "" else float(r[2])) for r in rows}


def test_qiime2_taxonomy_confident_lineage_and_lowest_rank_confidence(tmp_path):
    tax = sintax_taxonomy(tmp_path)
    tax.to_csv(tmp_path / "taxonomy.tsv", sep="\t", index=False)
    assert write_qiime2_taxonomy(tmp_path / "taxonomy.tsv", tmp_path / "q.tsv") == 4
    back = read_qiime2_taxonomy(tmp_path / "q.tsv")
    assert back["asv1"] == (
        "d__Bacteria; p__Firmicutes; c__Bacilli; o__Lactobacillales; f__Enterococcaceae; "
        "g__Enterococcus",
        0.85,
    )
    assert back["asv2"] == ("d__Bacteria; p__Bacteroidota", 0.81)
    assert back["asv3"] == ("Unassigned", 0.42)
    assert back["asv4"] == ("Unassigned", None)  # not measured, not 0


def test_qiime2_taxonomy_strain_rank_confidence():
    conf = {f"{r}_confidence": 0.99 for r in RANKS} | {"strain_confidence": 0.81}
    lineage = "d__B; p__P; c__C; o__O; f__F; g__G; s__S; t__T"
    q = qiime2_taxonomy(pd.DataFrame([{"asv": "a", "lineage": lineage, **conf}]))
    assert q.to_dict("records") == [{"Feature ID": "a", "Taxon": lineage, "Confidence": 0.81}]


def test_qiime2_taxonomy_names_missing_columns():
    with pytest.raises(ValueError, match="genus_confidence"):
        qiime2_taxonomy(pd.DataFrame({"asv": ["a"], "lineage": ["d__B"]}))


def test_qiime2_taxonomy_agrees_with_the_biom_observation_metadata(tmp_path):
    """The BIOM table carries the same confident lineage (biom-format reads it back)."""
    tax = sintax_taxonomy(tmp_path)
    tax.to_csv(tmp_path / "taxonomy.tsv", sep="\t", index=False)
    write_qiime2_taxonomy(tmp_path / "taxonomy.tsv", tmp_path / "q.tsv")
    lineage = dict(zip(tax.asv, tax.lineage, strict=True))
    table = FeatureTable([[9, 5, 3, 2]], ["s1"], list(lineage), lineage)
    write_biom(table, tmp_path / "t.biom")
    loaded = biom.load_table(str(tmp_path / "t.biom"))
    q = read_qiime2_taxonomy(tmp_path / "q.tsv")
    for asv in loaded.ids(axis="observation"):
        md = loaded.metadata(asv, axis="observation")
        assert "; ".join(md["taxonomy"]) == q[asv][0]


# --------------------------------------------------------------------------- shotgun profiles

NODES = [
    ("1", "1", "no rank", "root"),
    ("131567", "1", "no rank", "cellular organisms"),
    ("2", "131567", "superkingdom", "Bacteria"),
    ("1224", "2", "phylum", "Pseudomonadota"),
    ("1236", "1224", "class", "Gammaproteobacteria"),
    ("91347", "1236", "order", "Enterobacterales"),
    ("543", "91347", "family", "Enterobacteriaceae"),
    ("561", "543", "genus", "Escherichia"),
    ("562", "561", "species", "Escherichia coli"),
    ("620", "543", "genus", "Shigella"),
    ("623", "620", "species", "Shigella flexneri"),
    # a species whose genus sits directly under the phylum (no class/order/family)
    ("1239", "2", "phylum", "Bacillota"),
    ("1350", "1239", "genus", "Enterococcus"),
    ("1351", "1350", "species", "Enterococcus faecalis"),
]


@pytest.fixture
def taxonomy(tmp_path):
    (tmp_path / "nodes.dmp").write_text(
        "".join(f"{t}\t|\t{p}\t|\t{r}\t|\n" for t, p, r, _ in NODES)
    )
    (tmp_path / "names.dmp").write_text(
        "".join(f"{t}\t|\t{n}\t|\t\t|\tscientific name\t|\n" for t, _, _, n in NODES)
    )
    return Taxonomy.from_dir(tmp_path)


def profiles():
    names = {"562": "Escherichia coli", "623": "Shigella flexneri", "1351": "Enterococcus faecalis"}
    return [
        Profile("s1", {"562": 600, "623": 300, "1351": 100}, names),
        Profile("s2", {"562": 50, "1351": 150, "99999": 50}, {**names, "99999": "Unknown sp."}),
        Profile("s3", {}, {}),  # every taxon below the Bracken threshold
    ]


def parse_cami(path):
    """CAMI profiling format 0.9.1 (bioboxes rfc data-format/profiling.mkd)."""
    header, rows, columns = {}, [], None
    for line in path.read_text().splitlines():
        if line.startswith("@@"):
            columns = line[2:].split("\t")
        elif line.startswith("@"):
            key, _, value = line[1:].partition(":")
            header[key] = value
        elif line.strip():
            rows.append(dict(zip(columns, line.split("\t"), strict=True)))
    assert columns == ["TAXID", "RANK", "TAXPATH", "TAXPATHSN", "PERCENTAGE"]
    return header, rows


def test_cami_profile_parses_back_with_consistent_taxpaths(taxonomy, tmp_path):
    out = tmp_path / "s1.profile"
    n = write_cami_profile(profiles()[0], taxonomy, out, taxonomy_id="test")
    header, rows = parse_cami(out)
    assert header["SampleID"] == "s1" and header["Version"] == "0.9.1"
    assert header["Ranks"].split("|") == list(CAMI_RANKS)
    assert len(rows) == n
    by_taxid = {r["TAXID"]: r for r in rows}
    per_rank = {}
    for r in rows:
        depth = CAMI_RANKS.index(r["RANK"])
        path, names = r["TAXPATH"].split("|"), r["TAXPATHSN"].split("|")
        assert len(path) == len(names) == depth + 1
        assert path[-1] == r["TAXID"]
        # each ancestor on the path is itself a row of its rank, at least as abundant
        for d, (t, name) in enumerate(zip(path[:-1], names[:-1], strict=True)):
            assert (t == "") == (name == "")
            if t:
                assert by_taxid[t]["RANK"] == CAMI_RANKS[d]
                assert by_taxid[t]["TAXPATH"].split("|") == path[: d + 1]
                assert float(by_taxid[t]["PERCENTAGE"]) >= float(r["PERCENTAGE"]) - 1e-9
        per_rank[r["RANK"]] = per_rank.get(r["RANK"], 0.0) + float(r["PERCENTAGE"])
    # tolerance: six decimals per row
    assert all(total <= 100.0 + 1e-4 for total in per_rank.values()), per_rank
    assert per_rank["species"] == pytest.approx(100.0, abs=1e-4)
    assert per_rank["superkingdom"] == pytest.approx(100.0, abs=1e-4)
    # E. faecalis has no class/order/family: those ranks sum to 90 %, its path has gaps
    assert per_rank["family"] == pytest.approx(90.0, abs=1e-4)
    assert by_taxid["1351"]["TAXPATH"] == "2|1239||||1350|1351"
    assert by_taxid["543"]["PERCENTAGE"] == "90.000000"


def test_cami_sample_without_estimates_has_no_rows(taxonomy, tmp_path):
    out = tmp_path / "s3.profile"
    assert write_cami_profile(profiles()[2], taxonomy, out) == 0
    header, rows = parse_cami(out)
    assert header["SampleID"] == "s3" and rows == []


def test_mpa_table(taxonomy, tmp_path):
    out = tmp_path / "mpa.tsv"
    write_mpa_table(profiles(), taxonomy, out)
    df = pd.read_csv(out, sep="\t", index_col="clade_name", keep_default_na=False)
    assert list(df.columns) == ["s1", "s2", "s3"]
    assert (df["s3"] == "").all()  # no estimates: undefined, not 0
    s1 = df["s1"].astype(float)
    species = [c for c in df.index if c.split("|")[-1].startswith("s__")]
    assert s1[species].sum() == pytest.approx(100.0, abs=1e-4)
    assert s1["k__Bacteria|p__Pseudomonadota|c__Gammaproteobacteria|o__Enterobacterales|"
              "f__Enterobacteriaceae|g__Shigella|s__Shigella_flexneri"] == 30.0  # fmt: skip
    assert s1["k__Bacteria|p__Bacillota|g__Enterococcus"] == 10.0
    # every clade's parent clade is a row with at least its abundance
    for clade in df.index:
        parent = clade.rpartition("|")[0]
        if parent:
            assert (df.loc[parent, ["s1", "s2"]].astype(float)
                    >= df.loc[clade, ["s1", "s2"]].astype(float) - 1e-9).all()  # fmt: skip
    # s2: a taxid the taxonomy lacks stays a species clade of its own (20 %)
    assert df.loc["s__Unknown_sp.", "s2"] == 20.0
    assert df.loc["s__Unknown_sp.", "s1"] == 0.0


def test_taxpasta_wide_table_matches_the_documented_schema(taxonomy, tmp_path):
    """taxpasta 0.7's WideObservationTable: taxonomy_id then optional name / rank / lineage
    then one non-negative integer column per sample; taxids unique."""
    out = tmp_path / "taxpasta.tsv"
    assert write_taxpasta(profiles(), taxonomy, out) == 4
    df = pd.read_csv(out, sep="\t", keep_default_na=False)
    assert tuple(df.columns[:4]) == TAXPASTA_COLUMNS
    assert list(df.columns[4:]) == ["s1", "s2", "s3"]
    assert df.taxonomy_id.is_unique and df.taxonomy_id.dtype.kind == "i"
    for s in ("s1", "s2", "s3"):
        assert df[s].dtype.kind == "i" and (df[s] >= 0).all()
    row = df.set_index("taxonomy_id").loc[562]
    assert (row["name"], row["rank"]) == ("Escherichia coli", "species")
    assert row.lineage == (
        "cellular organisms;Bacteria;Pseudomonadota;Gammaproteobacteria;Enterobacterales;"
        "Enterobacteriaceae;Escherichia;Escherichia coli"
    )
    assert (row.s1, row.s2, row.s3) == (600, 50, 0)
    unknown = df.set_index("taxonomy_id").loc[99999]
    assert (unknown["name"], unknown["rank"], unknown.lineage) == ("Unknown sp.", "", "")


# --------------------------------------------------------------------------- Bracken report


def run_est_abundance(tmp_path, report, kmer_distrib, level, threshold):
    out = tmp_path / f"bracken_{level}_{threshold}"
    res = subprocess.run(
        [sys.executable, str(BRACKEN / "src" / "est_abundance.py"), "-i", str(report),
         "-k", str(kmer_distrib), "-o", f"{out}.tsv", "--out-report", f"{out}.report",
         "-l", level, "-t", str(threshold)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    with open(f"{out}.report") as fh:
        return fh.read()


@requires_bracken
@pytest.mark.parametrize(("level", "threshold"), [("S", 10), ("G", 10), ("S", 100)])
def test_bracken_report_equals_est_abundance_on_brackens_sample_data(tmp_path, level, threshold):
    """Bracken's own example (Kraken 1 report, 75-mer distribution): byte-identical."""
    report = tmp_path / "sample_test.report"
    shutil.copy(BRACKEN / "sample_data" / "sample_test.report", report)
    kmer = BRACKEN / "sample_data" / "sample_kmer_distr_75mers.txt"
    expected = run_est_abundance(tmp_path, report, kmer, level, threshold)
    parsed = read_kraken_report(report)
    result = estimate_abundance(parsed, kmer, level=level, threshold=threshold)
    write_bracken_report(parsed, result, tmp_path / "ours.report")
    ours = (tmp_path / "ours.report").read_text()
    assert ours.count("\n") > 100
    assert ours == expected


def test_bracken_report_by_hand():
    # root 5 direct > Bacteria > genus G (20 direct) > A (30, strain 10), B (10); genus H > C (5)
    lines = [
        "10.0\t10\t10\tU\t0\tunclassified",
        "90.0\t80\t5\tR\t1\troot",
        "90.0\t75\t0\tD\t2\t  Bacteria",
        "70.0\t70\t20\tG\t10\t    Genus G",
        "40.0\t40\t30\tS\t11\t      G alpha",
        "10.0\t10\t10\tS1\t111\t        G alpha strain",
        "10.0\t10\t10\tS\t12\t      G beta",
        "5.0\t5\t5\tG\t20\t    Genus H",
        "5.0\t5\t5\tS\t21\t      H gamma",
    ]
    report = parse_kraken_report(lines)
    # genus reads go to alpha:beta 3:1 by their direct reads (self fraction 1), root reads none
    distrib = {"10": {"11": 0.5, "12": 0.5}}
    result = estimate_abundance(report, distrib, level="S", threshold=10)
    out = bracken_report_lines(report, result)
    # H gamma (5 < threshold) and its genus are dropped; alpha 40 + 15 = 55, beta 10 + 5 = 15
    assert out == [
        "100.00\t70\t0\tR\t1\troot",
        "100.00\t70\t0\tD\t2\t  Bacteria",
        "100.00\t70\t0\tG\t10\t    Genus G",
        "78.57\t55\t55\tS\t11\t      G alpha",
        "21.43\t15\t15\tS\t12\t      G beta",
    ]
    empty = estimate_abundance(report, distrib, level="S", threshold=1000)
    assert bracken_report_lines(report, empty) == []


# --------------------------------------------------------------------------- MultiQC


def write_inputs(tmp_path):
    cov = {}
    for s, depth in (("P1-host", 30.5), ("P2-host", 7.0)):
        cov[s] = tmp_path / f"{s}.pgx_coverage.tsv"
        cov[s].write_text(
            "gene\tpositions\tpositions_covered\tmin_depth\tmedian_depth\tmean_depth\tcallable\n"
            f"CYP2C19\t10\t10\t20\t30\t{depth}\tTrue\n"
            + ("DPYD\t5\t5\t20\t25\t25.0\tTrue\n" if s == "P1-host" else "")
        )
    (tmp_path / "identity.tsv").write_text(
        "sample_id\tsheet_patient\tinformative_sites\thuman_reads_at_sites\tbest_patient\t"
        "concordance_sheet\tconcordance_best\tllr_best_vs_sheet\tverdict\n"
        "P1-stool\tP1\t40\t120\tP1\t0.99\t0.99\t0.0\tmatch\n"
        "P3-stool\tP3\t0\t0\tNA\tNA\tNA\tNA\tno host VCF\n"
    )
    (tmp_path / "host_fraction.tsv").write_text(
        "sample_id\tpatient_id\tread_pairs\thuman_pairs\tmicrobial_pairs\thuman_fraction\n"
        "P1-stool\tP1\t1000\t50\t950\t0.05\nP3-stool\tP3\t800\t0\t800\t0.0\n"
    )
    return cov


def test_multiqc_custom_content_files(tmp_path):
    cov = write_inputs(tmp_path)
    assert multiqc_pgx_coverage(cov, tmp_path / "pgx_coverage_mqc.tsv") == 2
    text = (tmp_path / "pgx_coverage_mqc.tsv").read_text()
    assert "# plot_type: table" in text
    body = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    assert body[0] == ["Sample", "CYP2C19", "DPYD"]
    assert body[2] == ["P2-host", "7.0", ""]  # DPYD not measured for P2: empty, not 0
    assert multiqc_identity(tmp_path / "identity.tsv", tmp_path / "identity_mqc.tsv") == 2
    assert "P3-stool\tP3\tNA\tno host VCF" in (tmp_path / "identity_mqc.tsv").read_text()
    n = multiqc_human_fraction(tmp_path / "host_fraction.tsv", tmp_path / "human_fraction_mqc.tsv")
    assert n == 2
    assert multiqc_species(profiles(), tmp_path / "species_mqc.tsv", top=2) == 3
    rows = [
        line.split("\t")
        for line in (tmp_path / "species_mqc.tsv").read_text().splitlines()
        if not line.startswith("#")
    ]
    assert rows[0] == ["Sample", "Escherichia coli (562)", "Enterococcus faecalis (1351)", "other"]
    assert rows[1] == ["s1", "600", "100", "300"] and rows[3] == ["s3", "", "", ""]


@pytest.mark.skipif(shutil.which("multiqc") is None, reason="multiqc is not installed")
def test_multiqc_reads_the_custom_content(tmp_path):
    """The real MultiQC finds every section and writes its data (multiqc_data.json)."""
    cov = write_inputs(tmp_path)
    mqc = tmp_path / "mqc"
    mqc.mkdir()
    multiqc_pgx_coverage(cov, mqc / "pgx_coverage_mqc.tsv")
    multiqc_identity(tmp_path / "identity.tsv", mqc / "identity_mqc.tsv")
    multiqc_human_fraction(tmp_path / "host_fraction.tsv", mqc / "human_fraction_mqc.tsv")
    multiqc_species(profiles(), mqc / "species_mqc.tsv")
    res = subprocess.run(
        ["multiqc", "--no-ansi", "--force", "--outdir", str(tmp_path / "out"), str(mqc)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    data = multiqc_data(tmp_path / "out" / "multiqc_data")
    assert set(data) >= set(MQC_SECTIONS.values()), sorted(data)
    pgx = data["holobiont_pgx_coverage_table"]
    assert pgx.loc["P1-host", "CYP2C19"] == 30.5 and pd.isna(pgx.loc["P2-host", "DPYD"])
    identity = data["holobiont_identity_table"]
    assert identity.loc["P3-stool", "verdict"] == "no host VCF"
    assert pd.isna(identity.loc["P3-stool", "concordance_sheet"])  # NA, not 0
    human = data["holobiont_human_fraction_plot"]
    assert human.loc["P1-stool"].tolist() == [50, 950]
    species = data["holobiont_species_plot"]
    assert species.loc["s1", "Escherichia coli (562)"] == 600
    assert species.loc["s3"].isna().all()  # no estimates: no bar, not zeros


#: section id of each custom-content file -> id of the data MultiQC writes for it
MQC_SECTIONS = {
    "holobiont_pgx_coverage": "holobiont_pgx_coverage_table",
    "holobiont_identity": "holobiont_identity_table",
    "holobiont_human_fraction": "holobiont_human_fraction_plot",
    "holobiont_species": "holobiont_species_plot",
}


def multiqc_data(folder):
    """MultiQC's data files of our sections (multiqc_<plot id>.txt), as DataFrames."""
    out = {}
    for path in folder.glob("multiqc_holobiont_*.txt"):
        key = path.stem.removeprefix("multiqc_")
        out[key] = pd.read_csv(path, sep="\t", index_col=0, na_values=["NA", ""])
    return out
