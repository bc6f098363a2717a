"""The simulated host benchmark's truth is complete by construction: applying the truth VCF
to the reference (bcftools consensus) gives back exactly the two haplotypes the reads are
simulated from, and the planted indels sit in homopolymers and tandem repeats."""

import importlib.util
import subprocess

import pysam
import pytest

from conftest import ROOT, SHARED, requires_shared

pytestmark = [requires_shared]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    spec = importlib.util.spec_from_file_location(
        "host_simulated", ROOT / "benchmarks" / "host_simulated.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path_factory.mktemp("truth")
    info = mod.build_truth(out)
    return mod, out, info


def test_truth_vcf_spells_both_haplotypes(bench, tmp_path):
    mod, out, info = bench
    genome = mod.GIAB / "genome.fasta"
    assert genome.is_relative_to(SHARED)
    for h in (1, 2):
        res = subprocess.run(
            ["bcftools", "consensus", "-H", str(h), "-f", str(genome), str(out / "truth.vcf.gz")],
            capture_output=True,
            text=True,
            check=True,
        )
        consensus = "".join(res.stdout.splitlines()[1:]).upper()
        with pysam.FastaFile(str(out / f"hap{h}.fa")) as fa:
            assert consensus == fa.fetch(f"hap{h}")


def test_planted_indels_are_in_repeats_and_spaced(bench):
    mod, out, info = bench
    assert info["giab_records"] == 81 and info["giab_alleles_left_out"] == 1  # the '*' allele
    assert info["planted_homopolymer_indels"] >= 25 and info["planted_str_indels"] >= 25
    with pysam.FastaFile(str(mod.GIAB / "genome.fasta")) as fa:
        ref = fa.fetch("chr22").upper()
    with pysam.VariantFile(str(out / "truth.vcf.gz")) as vf:
        recs = list(vf)
    planted = [r for r in recs if r.info["ORIGIN"] in ("HP", "STR")]
    for r in planted:
        motif = r.alts[0][1:] if len(r.alts[0]) > 1 else r.ref[1:]
        after = ref[r.pos : r.pos + 3 * len(motif)]
        assert after.startswith(motif * (3 if r.info["ORIGIN"] == "STR" else 1)), r
        if r.info["ORIGIN"] == "HP":
            assert len(set(motif)) == 1 and ref[r.pos : r.pos + 6] == motif[0] * 6, r
    starts = sorted(r.pos for r in recs)
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 1
