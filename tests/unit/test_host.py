"""Host helpers: reference naming/build checks and the PharmCAT-ready VCF."""

import gzip

import pysam
import pytest

from conftest import ROOT
from holobiont.host.variants import (
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


def write_dict(fasta, assembly: str | None = "GRCh38", lengths: dict | None = None):
    """A sequence dictionary beside ``fasta`` (``x.fa`` -> ``x.dict``), as samtools dict -a."""
    with pysam.FastaFile(str(fasta)) as fa:
        contigs = lengths or dict(zip(fa.references, fa.lengths, strict=True))
    tag = f"\tAS:{assembly}" if assembly else ""
    lines = ["@HD\tVN:1.6"] + [f"@SQ\tSN:{c}\tLN:{n}{tag}" for c, n in contigs.items()]
    path = fasta.with_suffix(".dict")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_declared_grch38_subset_confirmed_by_bases_passes(tmp_path, capsys):
    fa = write_fasta(tmp_path / "ok.fa", {"chr13": chr13_with({p.pos: p.ref for p in NUDT15})})
    write_dict(fa)
    res = check_reference(fa, CATALOG, min_confirming_positions=len(NUDT15))
    assert res["build"] == "GRCh38"
    assert res["build_evidence"] == (
        f"declared AS:GRCh38 in ok.dict, confirmed by the bases at {len(NUDT15)} PGx catalog"
        " positions"
    )
    assert res["build_by_lengths"]["unrecognised_primary_contigs"] == {"chr13": len(chr13_with({}))}
    assert res["checked_positions"] == len(NUDT15) and res["mismatches"] == []
    assert "CYP2C19" in res["genes_without_contig"] and "NUDT15" not in res["genes_without_contig"]
    err = capsys.readouterr().err
    assert "CYP2C19 will be not callable" in err and "ok.fa: GRCh38 (declared AS:GRCh38" in err


def test_declared_subset_with_too_few_confirming_bases_is_refused(tmp_path):
    fa = write_fasta(tmp_path / "few.fa", {"chr13": chr13_with({p.pos: p.ref for p in NUDT15})})
    write_dict(fa)
    n = len(NUDT15)  # fewer confirming positions than required (default 10; here n + 1)
    with pytest.raises(
        ReferenceError, match=rf"too little could be checked.* at {n} PGx .*least {n + 1}"
    ):
        check_reference(fa, CATALOG, min_confirming_positions=n + 1)


def test_subset_without_declaration_is_refused(tmp_path):
    fa = write_fasta(tmp_path / "sub.fa", {"chr13": chr13_with({p.pos: p.ref for p in NUDT15})})
    with pytest.raises(
        ReferenceError,
        match=r"cannot tell the build .*chr13 \(\d[\d,]* bp\) have the length of no known build"
        r".*no sequence dictionary sub.dict",
    ):
        check_reference(fa, CATALOG, min_confirming_positions=1)
    write_dict(fa, assembly=None)
    with pytest.raises(ReferenceError, match="sub.dict has no AS"):
        check_reference(fa, CATALOG, min_confirming_positions=1)
    write_dict(fa, lengths={"chr13": 5})
    with pytest.raises(ReferenceError, match="other contigs or lengths than the FASTA index"):
        check_reference(fa, CATALOG, min_confirming_positions=1)


def test_declared_subset_without_any_catalog_position_checks_nothing_and_fails(tmp_path):
    # the GIAB chr22 slice case: real GRCh38 sequence, declared, but no PGx gene in it
    fa = write_fasta(tmp_path / "slice.fa", {"chr22": "ACGT" * 10_000})
    write_dict(fa)
    with pytest.raises(ReferenceError, match=r"nothing could be checked .* at 0 PGx catalog"):
        check_reference(fa, CATALOG)


def test_declared_other_build_is_refused(tmp_path):
    fa = write_fasta(tmp_path / "h.fa", {"chr13": chr13_with({p.pos: p.ref for p in NUDT15})})
    write_dict(fa, assembly="hg19")
    with pytest.raises(ReferenceError, match=r"declared GRCh37/hg19 \(declared AS:hg19"):
        check_reference(fa, CATALOG, min_confirming_positions=1)


def _n_contigs(tmp_path, name, contigs: dict[str, int]):
    """A FASTA of all-N contigs of the given lengths (full chromosome lengths, ~50 MB)."""
    path = tmp_path / name
    with open(path, "w") as fh:
        for c, n in contigs.items():
            fh.write(f">{c}\n")
            line = "N" * 60 + "\n"
            fh.write(line * (n // 60))
            if n % 60:
                fh.write("N" * (n % 60) + "\n")
    pysam.faidx(str(path))
    return path


def test_hg19_chr20_is_refused_naming_the_build(tmp_path):
    # the case that passed before: no PGx position on chr20, so no base was compared
    fa = _n_contigs(tmp_path, "hg19_chr20.fa", {"chr20": 63_025_520})
    with pytest.raises(
        ReferenceError,
        match=r"hg19_chr20.fa is GRCh37/hg19, not GRCh38: contig chr20 is 63,025,520 bp.*"
        r"GRCh38's is 64,444,167 bp",
    ):
        check_reference(fa, CATALOG)


def test_grch38_by_lengths_passes_and_ensembl_names_are_refused_with_the_build(tmp_path):
    fa = _n_contigs(tmp_path, "g38.fa", {"chr21": 46_709_983, "chrM": 16_569, "chrEBV": 171_823})
    res = check_reference(fa, CATALOG)
    assert res["build"] == "GRCh38" and res["checked_positions"] == 0
    assert res["build_evidence"].startswith("contig names and lengths: 1 primary contigs")
    assert res["build_by_lengths"]["ambiguous_contigs"] == ["chrM"]  # 16,569 in every build
    ens = _n_contigs(tmp_path, "ens.fa", {"21": 46_709_983})
    with pytest.raises(ReferenceError, match="no contig named 'chr...'.*lengths are GRCh38's"):
        check_reference(ens, CATALOG)


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


def test_pharmcat_vcf_same_from_soft_masked_calls(tmp_path):
    # bcftools copies the reference's case: on a soft-masked reference the calls at the
    # catalog positions read 'a' > 'G', 'aggagtc' > 'a' (call_pgx_sites upper-cases them, and
    # the PharmCAT-ready VCF must not depend on it either)
    indel = next(p for p in NUDT15 if len(p.ref) > 1)
    deletion = next(a for a in indel.alts if len(a) < len(indel.ref))
    snv = next(p for p in NUDT15 if len(p.ref) == 1)
    records = [
        (indel.pos, (indel.ref, deletion), (0, 1), (12, 13)),
        (snv.pos, (snv.ref, snv.alts[0]), (1, 1), (0, 20)),
    ]
    soft = [(pos, (a[0].lower(), a[1][0].lower() + a[1][1:]), gt, ad) for pos, a, gt, ad in records]
    assert soft[0][1][0].islower()
    fa = write_fasta(tmp_path / "ref.fa", {"chr13": chr13_with({p.pos: p.ref for p in NUDT15})})
    bodies = []
    for name, recs in (("upper", records), ("soft", soft)):
        calls = _calls_vcf(tmp_path / f"{name}.vcf", recs)
        out = tmp_path / f"{name}.pc.vcf.gz"
        counts = pharmcat_ready_vcf(calls, CATALOG, fa, out, sample="P01", min_depth=8)
        assert counts["called_alt"] == 2
        with gzip.open(out, "rt") as fh:
            bodies.append([x for x in fh if not x.startswith("#")])
    assert bodies[0] == bodies[1]
