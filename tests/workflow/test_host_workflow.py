"""Host stage with the real tools on a tiny synthetic genome: both aligners recover planted
SNVs and indels with upper-case alleles on a soft-masked reference, and a library left empty by
QC yields explicit "not callable" PGx results, not a crash."""

import gzip
import json

import numpy as np
import pandas as pd
import pysam
import pytest

from conftest import run_snakemake, write_sheet

pytestmark = [pytest.mark.workflow]

COMP = str.maketrans("ACGT", "TGCA")


#: Soft-masked (lower-case) part of the reference, as repeats are in GRCh38 FASTAs.
MASKED = (8000, 14_000)


def _free_indel_site(ref, rng, taken, lo, hi):
    """A 1-based anchor position whose 3 bp deletion and 'ACG'-like insertion have one
    left-aligned spelling (no shift possible), away from the other planted variants."""
    while True:
        p = int(rng.integers(lo, hi))
        if any(abs(p - t) < 60 for t in taken):
            continue
        a, nxt = ref[p - 1], ref[p : p + 4]
        if a != nxt[2] and nxt[0] != nxt[3]:  # deletion of ref[p:p+3] cannot move
            return p


def simulate(tmp_path, n_pairs=3000, seed=7):
    """A 20 kb reference 'chrT' soft-masked over MASKED, a diploid sample with 12 planted SNVs
    and, in the masked part, a 3 bp deletion and a 3 bp insertion; 2x150 error-free reads."""
    rng = np.random.default_rng(seed)
    ref = "".join(rng.choice(list("ACGT"), 20_000))
    shown = ref[: MASKED[0]] + ref[MASKED[0] : MASKED[1]].lower() + ref[MASKED[1] :]
    fasta = tmp_path / "ref.fa"
    fasta.write_text(
        ">chrT\n" + "\n".join(shown[i : i + 60] for i in range(0, len(ref), 60)) + "\n"
    )
    positions = sorted(rng.choice(np.arange(1000, 19_000), 12, replace=False).tolist())
    truth, haps = {}, [list(ref), list(ref)]
    for i, pos in enumerate(positions):
        alt = rng.choice([b for b in "ACGT" if b != ref[pos - 1]])
        gt = (1, 1) if i % 3 == 0 else (0, 1)
        for h, allele in enumerate(gt):
            if allele:
                haps[h][pos - 1] = alt
        truth[pos] = (ref[pos - 1], alt, gt)
    # indels in the masked part (haplotype lists hold one string per reference base)
    d = _free_indel_site(ref, rng, positions, MASKED[0] + 100, MASKED[1] - 100)
    haps[0][d : d + 3] = ["", "", ""]  # heterozygous deletion of the 3 bases after d
    truth[d] = (ref[d - 1 : d + 3], ref[d - 1], (0, 1))
    n = _free_indel_site(ref, rng, [*positions, d], MASKED[0] + 100, MASKED[1] - 100)
    x, y = [b for b in "ACGT" if b not in (ref[n - 1], ref[n])][:2]
    ins = x + y + x  # differs from the bases on both sides: it cannot shift
    for h in (0, 1):  # homozygous insertion after n
        haps[h][n - 1] += ins
    truth[n] = (ref[n - 1], ref[n - 1] + ins, (1, 1))
    haps = ["".join(h) for h in haps]
    reads = tmp_path / "reads"
    reads.mkdir()
    r1p, r2p = reads / "T1_R1.fastq.gz", reads / "T1_R2.fastq.gz"
    with gzip.open(r1p, "wt") as r1, gzip.open(r2p, "wt") as r2:
        for i in range(n_pairs):
            hap = haps[i % 2]
            start = int(rng.integers(0, len(hap) - 400))
            frag = hap[start : start + int(rng.integers(300, 400))]
            a, b = frag[:150], frag[-150:].translate(COMP)[::-1]
            r1.write(f"@T:{i} 1:N:0:A\n{a}\n+\n{'F' * 150}\n")
            r2.write(f"@T:{i} 2:N:0:A\n{b}\n+\n{'F' * 150}\n")
    # a library whose every read is shorter than the host minimum length (host libraries get
    # adapter trimming only, with fastp's 15 bp minimum): empty after QC
    e1p, e2p = reads / "E1_R1.fastq.gz", reads / "E1_R2.fastq.gz"
    with gzip.open(e1p, "wt") as e1, gzip.open(e2p, "wt") as e2:
        for i in range(200):
            e1.write(f"@E:{i} 1:N:0:A\n{ref[i : i + 12]}\n+\n{'F' * 12}\n")
            e2.write(f"@E:{i} 2:N:0:A\n{ref[i + 40 : i + 52]}\n+\n{'F' * 12}\n")
    rows = [
        {
            "patient_id": "T1",
            "sample_id": "T1-host",
            "assay": "host_wgs",
            "unit": "1",
            "fastq_1": r1p,
            "fastq_2": r2p,
        },
        {
            "patient_id": "E1",
            "sample_id": "E1-host",
            "assay": "host_wgs",
            "unit": "1",
            "fastq_1": e1p,
            "fastq_2": e2p,
        },
    ]
    return write_sheet(tmp_path / "samples.tsv", rows), fasta, truth


@pytest.mark.parametrize("aligner", ["minimap2", "bwa"])
def test_host_calls_planted_snvs_and_handles_empty_library(tmp_path, aligner):
    sheet, fasta, truth = simulate(tmp_path)
    run = tmp_path / "run"
    res = run_snakemake(
        run,
        overrides={
            "samples": str(sheet),
            "references": {"host_fasta": str(fasta)},
            "host": {"aligner": aligner, "check_reference": False},
        },
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    with pysam.VariantFile(str(run / "results/host/vcf/T1-host.vcf.gz")) as vf:
        assert list(vf.header.samples) == ["T1"]
        calls = {
            r.pos: (r.ref, r.alts[0], tuple(sorted(r.samples[0]["GT"])))
            for r in vf
            if "PASS" in r.filter
        }
    # exact: every planted SNV and indel, right genotype, nothing else; alleles upper case
    # although the reference is soft-masked there (no 'a' > 'aCT')
    assert calls == truth
    with pysam.AlignmentFile(str(run / "results/host/bam/T1-host.bam")) as bam:
        rg = bam.header.to_dict()["RG"][0]
        assert rg["ID"] == "T1-host" and rg["SM"] == "T1"
        assert bam.header.to_dict()["PG"][0]["ID"] == (
            "minimap2" if aligner == "minimap2" else "bwa"
        )
    # the empty library: QC says FAIL, the host stage completes and says "not callable"
    qc = pd.read_csv(run / "results/qc/read_counts.tsv", sep="\t")
    assert qc.set_index("sample_id").loc["E1-host", "status"] == "FAIL"
    pgx = json.loads((run / "results/host/pgx/E1-host.pgx.json").read_text())
    assert pgx["genes"] and all(
        g["status"] == "no_data" and not g["callable"] for g in pgx["genes"]
    )
    cov = pd.read_csv(run / "results/host/coverage/E1-host.pgx_coverage.tsv", sep="\t")
    assert (cov.positions_covered == 0).all() and (~cov.callable).all()
