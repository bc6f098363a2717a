"""QIIME-style 16S references -> SINTAX format (holobiont.microbiome.sintax_ref), on tiny made-up inputs
in each convention (Greengenes 13_8, Greengenes2 / GTDB, SILVA 138 and 132), and the converted
file read back by the real ``vsearch --sintax``."""

import hashlib
import json
import random
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from holobiont.microbiome.sintax_ref import (
    convert,
    parse_taxonomy,
    read_taxonomy_tsv,
    sintax_header,
)

GG = "k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Ruminococcaceae"


@pytest.mark.parametrize(
    ("taxonomy", "tax"),
    [
        # Greengenes 13_8: k__ is the domain, empty g__/s__ give no g:/s:, brackets dropped,
        # a species epithet gets its genus
        (
            f"{GG}; g__; s__",
            "d:Bacteria,p:Firmicutes,c:Clostridia,o:Clostridiales,f:Ruminococcaceae",
        ),
        (f"{GG}; g__[Ruminococcus]; s__gnavus", None),
        (
            "k__Bacteria; p__Proteobacteria; c__Gammaproteobacteria; o__Enterobacteriales; "
            "f__Enterobacteriaceae; g__Escherichia; s__coli",
            "d:Bacteria,p:Proteobacteria,c:Gammaproteobacteria,o:Enterobacteriales,"
            "f:Enterobacteriaceae,g:Escherichia,s:Escherichia_coli",
        ),
        # GTDB / Greengenes2: d__, no spaces after ';', binomial species with a space
        (
            "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Lachnospirales;f__Lachnospiraceae;"
            "g__Blautia_A;s__Blautia_A obeum",
            "d:Bacteria,p:Firmicutes_A,c:Clostridia,o:Lachnospirales,f:Lachnospiraceae,"
            "g:Blautia_A,s:Blautia_A_obeum",
        ),
        # Greengenes2 with empty genus and species
        (
            "d__Bacteria; p__Bacteroidota; c__Bacteroidia; o__Bacteroidales; f__; g__; s__",
            "d:Bacteria,p:Bacteroidota,c:Bacteroidia,o:Bacteroidales",
        ),
        # SILVA 138 (QIIME 2 release): placeholder genus and species are no names; a family
        # under an unknown order is kept
        (
            "d__Bacteria; p__Firmicutes; c__Clostridia; o__uncultured; f__Ruminococcaceae; "
            "g__uncultured; s__uncultured_bacterium",
            "d:Bacteria,p:Firmicutes,c:Clostridia,f:Ruminococcaceae",
        ),
        (
            "d__Bacteria; p__Proteobacteria; c__Gammaproteobacteria; o__Enterobacterales; "
            "f__Enterobacteriaceae; g__Escherichia-Shigella; s__Escherichia_coli",
            "d:Bacteria,p:Proteobacteria,c:Gammaproteobacteria,o:Enterobacterales,"
            "f:Enterobacteriaceae,g:Escherichia-Shigella,s:Escherichia-Shigella_Escherichia_coli",
        ),
        (
            "d__Bacteria; p__Bacteroidota; c__Bacteroidia; o__Bacteroidales; f__Bacteroidaceae; "
            "g__Bacteroides; s__Bacteroides_sp.",
            "d:Bacteria,p:Bacteroidota,c:Bacteroidia,o:Bacteroidales,f:Bacteroidaceae,"
            "g:Bacteroides",
        ),
        # SILVA 132: numbered levels
        (
            "D_0__Bacteria;D_1__Firmicutes;D_2__Bacilli;D_3__Lactobacillales;"
            "D_4__Enterococcaceae;D_5__Enterococcus;D_6__Ambiguous_taxa",
            "d:Bacteria,p:Firmicutes,c:Bacilli,o:Lactobacillales,f:Enterococcaceae,g:Enterococcus",
        ),
        # a reserved character in a name
        (
            "d__Bacteria; p__Firmicutes; g__Clostridium sensu stricto, 1",
            "d:Bacteria,p:Firmicutes,g:Clostridium_sensu_stricto_1",
        ),
    ],
)
def test_header_of_each_convention(taxonomy, tax):
    if tax is None:  # the bracket case, spelled out
        tax = (
            "d:Bacteria,p:Firmicutes,c:Clostridia,o:Clostridiales,f:Ruminococcaceae,"
            "g:Ruminococcus,s:Ruminococcus_gnavus"
        )
    assert sintax_header("X1", taxonomy) == f"X1;tax={tax};"


def test_empty_genus_never_becomes_a_genus():
    ranks = parse_taxonomy(f"{GG}; g__; s__bromii")
    assert "genus" not in ranks and ranks["species"] == "bromii"
    header = sintax_header("X", f"{GG}; g__; s__bromii")
    assert ",g:" not in header and ",s:" not in header  # no species without its genus


@pytest.mark.parametrize("text", ["Unassigned", "", "k__; p__", "d__uncultured"])
def test_no_rank_at_all_gives_no_header(text):
    assert sintax_header("X", text) is None


@pytest.mark.parametrize(
    ("text", "match"),
    [("Bacteria; Firmicutes", "not rank__name"), ("x__Bacteria", "unknown rank"),
     ("d__A; k__B", "twice")],
)  # fmt: skip
def test_bad_taxonomy_is_named(text, match):
    with pytest.raises(ValueError, match=match):
        parse_taxonomy(text)


def test_bad_sequence_id_is_refused():
    with pytest.raises(ValueError, match="sequence ID"):
        sintax_header("a;b", "d__Bacteria")


def write_inputs(tmp_path, taxonomy_lines, fasta_text):
    fa, tsv = tmp_path / "seqs.fasta", tmp_path / "tax.tsv"
    fa.write_text(fasta_text)
    tsv.write_text("".join(f"{line}\n" for line in taxonomy_lines))
    return fa, tsv


_RNG = random.Random(7)
SEQ_A = "".join(_RNG.choice("ACGT") for _ in range(300))
SEQ_B = "".join(_RNG.choice("ACGT") for _ in range(300))


def test_convert_files_and_record(tmp_path):
    fa, tsv = write_inputs(
        tmp_path,
        [
            "Feature ID\tTaxon\tConfidence",  # QIIME 2 export header
            "a\td__Bacteria; p__Firmicutes; g__Enterococcus; s__faecalis\t0.99",
            "b\tUnassigned\t1.0",
            "c\td__Bacteria; p__Bacteroidota; g__; s__",
            "z\td__Bacteria",  # no sequence
        ],
        f">a some description\n{SEQ_A[:60].lower()}\n{SEQ_A[60:]}\n>b\n{SEQ_B}\n"
        f">c\n{SEQ_B.replace('T', 'U')[:50]}--..\n",
    )
    out = tmp_path / "ref.fasta"
    record = convert(fa, tsv, out, tmp_path / "ref.json", source={"name": "toy"})
    lines = out.read_text().splitlines()
    assert lines == [
        ">a;tax=d:Bacteria,p:Firmicutes,g:Enterococcus,s:Enterococcus_faecalis;",
        SEQ_A,
        ">c;tax=d:Bacteria,p:Bacteroidota;",
        SEQ_B[:50],
    ]
    assert record["sequences_in"] == 3 and record["written"] == 2 and record["no_rank"] == 1
    assert record["with_genus"] == 1 and record["with_species"] == 1
    assert record["taxonomy_without_sequence"] == 1
    assert json.loads((tmp_path / "ref.json").read_text()) == record
    assert record["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert record["inputs"]["fasta"]["sha256"] == hashlib.sha256(fa.read_bytes()).hexdigest()
    assert record["source"] == {"name": "toy"}


def test_convert_stops_on_a_sequence_without_taxonomy_and_writes_nothing(tmp_path):
    fa, tsv = write_inputs(tmp_path, ["a\td__Bacteria"], f">a\n{SEQ_A}\n>b\n{SEQ_B}\n")
    out = tmp_path / "ref.fasta"
    with pytest.raises(ValueError, match="1 sequence.*no line in.*e.g. b"):
        convert(fa, tsv, out)
    assert not out.exists() and not list(tmp_path.glob("ref.fasta.tmp*"))


def test_taxonomy_tsv_errors_name_the_line(tmp_path):
    p = tmp_path / "t.tsv"
    p.write_text("a\td__B\na\td__C\n")
    with pytest.raises(ValueError, match="line 2.*twice"):
        read_taxonomy_tsv(p)
    p.write_text("a d__B\n")
    with pytest.raises(ValueError, match="line 1"):
        read_taxonomy_tsv(p)


def test_command_line_script(tmp_path):
    fa, tsv = write_inputs(tmp_path, ["a\tk__Bacteria; g__[Prevotella]"], f">a\n{SEQ_A}\n")
    out = tmp_path / "o.fasta"
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts/sintax_reference.py"), "--fasta", str(fa),
         "--taxonomy", str(tsv), "--out", str(out), "--name", "toy", "--version", "1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert out.read_text().startswith(">a;tax=d:Bacteria,g:Prevotella;\n")
    assert json.loads((tmp_path / "o.fasta.json").read_text())["source"]["version"] == "1"
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts/sintax_reference.py"), "--fasta", str(fa),
         "--taxonomy", str(tmp_path / "missing.tsv"), "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert res.returncode != 0 and "missing.tsv" in res.stderr


@pytest.mark.skipif(shutil.which("vsearch") is None, reason="vsearch not on PATH")
def test_vsearch_sintax_reads_the_converted_reference(tmp_path):
    """The real SINTAX classifies a query against the converted file; a reference whose only
    genus-less records match never yields a genus."""
    fa, tsv = write_inputs(
        tmp_path,
        ["a\tk__Bacteria; p__Firmicutes; g__Enterococcus; s__faecalis",
         "b\tk__Bacteria; p__Bacteroidetes; g__; s__"],
        f">a\n{SEQ_A}\n>b\n{SEQ_B}\n",
    )  # fmt: skip
    ref = tmp_path / "ref.fasta"
    convert(fa, tsv, ref)
    query = tmp_path / "q.fasta"
    query.write_text(f">qa\n{SEQ_A}\n>qb\n{SEQ_B}\n")
    out = tmp_path / "sintax.tsv"
    subprocess.run(
        ["vsearch", "--sintax", str(query), "--db", str(ref), "--tabbedout", str(out),
         "--sintax_cutoff", "0.8", "--randseed", "1", "--threads", "1"],
        check=True, capture_output=True,
    )  # fmt: skip
    got = {ln.split("\t")[0]: ln.split("\t")[1] for ln in out.read_text().splitlines()}
    assert "g:Enterococcus" in got["qa"] and "s:Enterococcus_faecalis" in got["qa"]
    assert "p:Bacteroidetes" in got["qb"] and "g:" not in got["qb"]


def test_greengenes_13_8_build_from_the_package(tmp_path):
    """The real Greengenes 13_8 97 % set of qiime-default-reference (about 10 s): every OTU
    written, the record names the package version and the checksums, and an OTU whose
    Greengenes genus is empty (`g__`) has no genus in the database."""
    qdr = pytest.importorskip("qiime_default_reference")
    import importlib.metadata

    from holobiont.microbiome.sintax_ref import build_greengenes_13_8

    out = tmp_path / "gg.fasta"
    version = importlib.metadata.version("qiime-default-reference")
    rec = build_greengenes_13_8(
        qdr.get_reference_sequences(), qdr.get_reference_taxonomy(), version, out,
        tmp_path / "gg.json",
    )  # fmt: skip
    assert rec["sequences_in"] == rec["written"] == 99322 and rec["no_rank"] == 0
    assert 0 < rec["with_species"] < rec["with_genus"] < rec["written"]
    assert rec["source"]["package_version"] == version
    assert rec["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert json.loads((tmp_path / "gg.json").read_text()) == rec
    taxonomy = read_taxonomy_tsv(qdr.get_reference_taxonomy())
    no_genus = next(k for k, t in taxonomy.items() if "; g__; " in t)
    with open(out) as fh:
        header = next(line for line in fh if line.startswith(f">{no_genus};"))
    assert ",g:" not in header and header.startswith(f">{no_genus};tax=d:")
