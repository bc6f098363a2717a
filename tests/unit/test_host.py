"""Host helpers: reference naming/build checks and the PharmCAT-ready VCF."""

import gzip

import pysam
import pytest

from conftest import ROOT
from holobiont.host import (
    ReferenceError,
    check_reference,
    pgx_coverage,
    pharmcat_ready_vcf,
    positions_file,
)
from holobiont.pgx import load_catalog

CATALOG = load_catalog(ROOT / "resources" / "pgx")
NUDT15 = [p for p in CATALOG.positions() if p.gene == "NUDT15"]


def write_fasta(path, contigs: dict[str, str]):
    with open(path, "w") as fh:
        for name, seq in contigs.items():
            fh.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                fh.write(seq[i : i + 60] + "\n")
    pysam.faidx(str(path))
    return path


def chr13_with(bases: dict[int, str], length: int | None = None) -> str:
    """chr13 prefix long enough for NUDT15, N everywhere except the given 1-based positions."""
    length = length or max(p.pos + len(p.ref) for p in NUDT15) + 10
    seq = bytearray(b"N" * length)
    for pos, ref in bases.items():
        seq[pos - 1 : pos - 1 + len(ref)] = ref.encode()
    return seq.decode()


def test_reference_without_chr_names_is_refused(tmp_path):
    fa = write_fasta(tmp_path / "ens.fa", {"13": "ACGT" * 10, "X": "ACGT" * 10})
    with pytest.raises(ReferenceError, match="no contig named 'chr...'.*it has 13, X"):
        check_reference(fa, CATALOG)


def test_reference_of_another_build_is_refused(tmp_path):
    # every NUDT15 catalog position carries a base that differs from GRCh38's
    flip = {"A": "C", "C": "G", "G": "T", "T": "A"}
    bases = {p.pos: "".join(flip[b] for b in p.ref) for p in NUDT15}
    fa = write_fasta(tmp_path / "hg19.fa", {"chr13": chr13_with(bases)})
    n = len(NUDT15)
    with pytest.raises(ReferenceError, match=rf"does not look like GRCh38: {n} of {n} .*GRCh37"):
        check_reference(fa, CATALOG)


def test_grch38_bases_pass_and_missing_contigs_are_listed(tmp_path, capsys):
    fa = write_fasta(tmp_path / "ok.fa", {"chr13": chr13_with({p.pos: p.ref for p in NUDT15})})
    res = check_reference(fa, CATALOG)
    assert res["checked_positions"] == len(NUDT15) and res["mismatches"] == []
    assert "CYP2C19" in res["genes_without_contig"] and "NUDT15" not in res["genes_without_contig"]
    assert "CYP2C19 will be not callable" in capsys.readouterr().err


def test_positions_file_sorted_unique(tmp_path):
    n = positions_file(CATALOG, tmp_path / "pos.tsv")
    rows = [line.split("\t") for line in (tmp_path / "pos.tsv").read_text().splitlines()]
    assert n == len(rows) == len({(p.chrom, p.pos) for p in CATALOG.positions()})
    chroms = [r[0] for r in rows]
    assert chroms.index("chr1") < chroms.index("chr10")  # natural, not lexical, order


def _calls_vcf(path, records):
    header = pysam.VariantHeader()
    header.contigs.add("chr13", length=50_000_000)
    header.formats.add("GT", 1, "String", "Genotype")
    header.formats.add("AD", "R", "Integer", "Allelic depths")
    header.add_sample("S")
    with pysam.VariantFile(str(path), "w", header=header) as w:
        for pos, alleles, gt, ad in records:
            r = w.new_record(contig="chr13", start=pos - 1, alleles=alleles)
            r.samples["S"]["GT"] = gt
            r.samples["S"]["AD"] = ad
            w.write(r)
    return path


def test_pharmcat_vcf_has_every_position_with_ref_alt_and_no_calls(tmp_path):
    by_pos = {p.pos: p for p in NUDT15}
    indel = next(p for p in NUDT15 if len(p.ref) > 1)  # AGGAGTC deletion/insertion site
    snvs = [p for p in NUDT15 if len(p.ref) == 1]
    calls = _calls_vcf(
        tmp_path / "calls.vcf",
        [
            # indel site: covered, only a reference SNV-style record -> 0/0 for the indel too
            (indel.pos, (indel.ref[0], "<*>"), (0, 0), (30, 0)),
            # an SNV site: heterozygous alt
            (snvs[0].pos, (snvs[0].ref, snvs[0].alts[0]), (0, 1), (15, 14)),
            # an SNV site with too little depth -> ./.
            (snvs[1].pos, (snvs[1].ref, "<*>"), (0, 0), (3, 0)),
            # snvs[2] absent from the calls (no reads) -> ./.
        ],
    )
    fa = write_fasta(tmp_path / "ref.fa", {"chr13": chr13_with({p.pos: p.ref for p in NUDT15})})
    out = tmp_path / "pc.vcf.gz"
    counts = pharmcat_ready_vcf(calls, CATALOG, fa, out, sample="P01", min_depth=8)
    # every other NUDT15 position has no reads: no call, never 0/0
    n = len(NUDT15)
    assert counts == {"positions": n, "called_ref": 1, "called_alt": 1, "no_call": n - 2}
    with pysam.VariantFile(str(out)) as vf:
        assert list(vf.header.samples) == ["P01"]
        recs = {r.pos: r for r in vf}
    assert set(recs) == set(by_pos)
    for pos, r in recs.items():
        assert r.ref == by_pos[pos].ref and tuple(r.alts) == tuple(by_pos[pos].alts)
    assert recs[indel.pos].samples["P01"]["GT"] == (0, 0)
    assert recs[snvs[0].pos].samples["P01"]["GT"] == (0, 1)
    assert recs[snvs[1].pos].samples["P01"]["GT"] == (None, None)
    assert "LowDepth" in recs[snvs[1].pos].filter
    assert recs[snvs[2].pos].samples["P01"]["GT"] == (None, None)
    assert (tmp_path / "pc.vcf.gz.tbi").exists()
    with gzip.open(out, "rt") as fh:
        assert "##contig=<ID=chr13" in fh.read()


def test_pharmcat_vcf_deletion_called_in_minimal_form(tmp_path):
    indel = next(p for p in NUDT15 if len(p.ref) > 1)
    deletion = next(a for a in indel.alts if len(a) < len(indel.ref))
    calls = _calls_vcf(
        tmp_path / "calls.vcf",
        [
            (indel.pos, (indel.ref, deletion), (1, 1), (0, 25)),
        ],
    )
    fa = write_fasta(tmp_path / "ref.fa", {"chr13": chr13_with({p.pos: p.ref for p in NUDT15})})
    out = tmp_path / "pc.vcf.gz"
    pharmcat_ready_vcf(calls, CATALOG, fa, out, sample="P01", min_depth=8)
    with pysam.VariantFile(str(out)) as vf:
        rec = next(r for r in vf if r.pos == indel.pos)
    alt_index = list(rec.alts).index(deletion) + 1
    assert rec.samples["P01"]["GT"] == (alt_index, alt_index)


def test_positions_beyond_a_partial_contig_have_no_reads(tmp_path):
    # a demo-style reference: chr1 is only 1 kb long, far short of DPYD / CACNA1S positions
    header = {
        "HD": {"VN": "1.6"},
        "SQ": [{"SN": "chr1", "LN": 1000}, {"SN": "chr13", "LN": 60_000_000}],
    }
    bam = tmp_path / "empty.bam"
    with pysam.AlignmentFile(str(bam), "wb", header=header):
        pass
    pysam.index(str(bam))
    rows = {r["gene"]: r for r in pgx_coverage(bam, CATALOG, tmp_path / "cov.tsv")}
    assert rows["DPYD"]["positions_covered"] == 0 and rows["CACNA1S"]["positions_covered"] == 0
    fa = write_fasta(tmp_path / "ref.fa", {"chr1": "A" * 1000, "chr13": chr13_with({})})
    calls = _calls_vcf(tmp_path / "calls.vcf", [])
    out = tmp_path / "pc.vcf.gz"
    counts = pharmcat_ready_vcf(calls, CATALOG, fa, out, sample="P01", min_depth=8)
    assert counts["positions"] == len(NUDT15)  # nothing written beyond chr1's end
