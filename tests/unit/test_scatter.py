"""Reference chunks of scattered WGS calling: every base in exactly one chunk, borders in
assembly gaps or contig ends, never inside a (padded) PGx gene."""

import pytest

from holobiont.host.scatter import (
    Contig,
    find_gaps,
    plan_chunks,
    read_plan,
    write_plan,
)


def _bases(chunks):
    """Every (contig, position) of every chunk, with the chunk it is in."""
    seen = {}
    for k, regions in enumerate(chunks):
        for name, s, e in regions:
            for p in range(s, e):
                assert (name, p) not in seen, f"{name}:{p} in two chunks"
                seen[(name, p)] = k
    return seen


def _borders(chunks):
    """(contig, position) of every border that falls inside a contig."""
    out = []
    for regions in chunks:
        name, _, end = regions[-1]
        out.append((name, end))
    return out[:-1]


CONTIGS = [
    Contig("chr1", 10_000, ((2_000, 2_500), (6_000, 6_200))),
    Contig("chr2", 4_000, ()),
    Contig("chr3", 3_000, ((0, 1_000),)),
]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 50])
def test_every_base_in_exactly_one_chunk(n):
    chunks = plan_chunks(CONTIGS, n)
    assert 1 <= len(chunks) <= n
    seen = _bases(chunks)
    assert len(seen) == sum(c.length for c in CONTIGS)
    # chunks are in genome order: a chunk's regions follow the previous chunk's
    order = [seen[(c.name, p)] for c in CONTIGS for p in range(c.length)]
    assert order == sorted(order)


def test_borders_in_gaps_when_close():
    chunks = plan_chunks([Contig("chr1", 10_000, ((4_800, 5_400),))], 2)
    assert _borders(chunks) == [("chr1", 5_100)]  # the gap's middle, not base 5,000


def test_border_never_inside_padded_gene():
    genes = {"chr2": [(1_500, 2_500)]}
    contig = [Contig("chr2", 40_000, ())]
    chunks = plan_chunks(contig, 2, genes, gene_pad=1_000)
    (border,) = _borders(chunks)
    assert not 500 < border[1] < 3_500
    assert _borders(plan_chunks(contig, 2, {"chr2": [(19_000, 21_000)]}, gene_pad=500)) == [
        ("chr2", 21_500)
    ]
    # a gap inside a gene is no border site either
    gapped = [Contig("chr2", 40_000, ((19_900, 20_100),))]
    (b,) = _borders(plan_chunks(gapped, 2, {"chr2": [(19_000, 21_000)]}, gene_pad=0))
    assert b == ("chr2", 21_000)


def test_gaps_weigh_nothing():
    # chr1 is nearly all N: its 1 kb of sequence and chr2's 1 kb make two equal chunks
    contigs = [Contig("chr1", 100_000, ((1_000, 100_000),)), Contig("chr2", 1_000, ())]
    chunks = plan_chunks(contigs, 2)
    assert [[r[0] for r in c] for c in chunks] == [["chr1"], ["chr2"]]


def test_find_gaps_and_bad_count():
    assert find_gaps("ACGT" + "N" * 150 + "AC" + "n" * 99 + "A", 100) == ((4, 154),)
    with pytest.raises(ValueError, match="n_chunks"):
        plan_chunks(CONTIGS, 0)


def test_write_plan_from_fasta(tmp_path):
    pysam = pytest.importorskip("pysam")
    seq = "ACGT" * 2_000 + "N" * 500 + "TTGCA" * 1_000
    fa = tmp_path / "ref.fa"
    fa.write_text(">chrA\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n")
    pysam.faidx(str(fa))
    genes = tmp_path / "genes.tsv"
    genes.write_text("gene\tchrom\tstart\tend\nG1\tchrZ\t100\t200\n")
    plan = write_plan(fa, genes, tmp_path / "plan.tsv", chunks=2, chunk_mb=50)
    # the border in the middle of the N run
    assert read_plan(tmp_path / "plan.tsv") == {
        "0001": [("chrA", 1, 8250)],
        "0002": [("chrA", 8251, 13500)],
    }
    assert len(plan) == 2
    # a gene at 100-200 (padded by 10 kb) keeps the border out of 1-10,200: the gap is no site
    genes.write_text("gene\tchrom\tstart\tend\nG1\tchrA\t100\t200\n")
    write_plan(fa, genes, tmp_path / "plan.tsv", chunks=2, chunk_mb=50)
    assert read_plan(tmp_path / "plan.tsv")["0001"] == [("chrA", 1, 10200)]
    # by size: 13 kb of sequence in 0.005 Mb chunks = 3 chunks wanted
    genes.write_text("gene\tchrom\tstart\tend\n")
    write_plan(fa, genes, tmp_path / "plan3.tsv", chunks=None, chunk_mb=0.005)
    assert len(read_plan(tmp_path / "plan3.tsv")) == 3
