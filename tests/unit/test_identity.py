"""Identity check scoring: the right donor wins, swaps are flagged, thin data is inconclusive."""

import numpy as np
import pysam
import pytest

from holobiont.host.identity import check_identity, load_genotypes


def cohort(n_patients=4, n_sites=200, seed=1):
    rng = np.random.default_rng(seed)
    sites = [("chr1", 1000 + 10 * i, "A", "G") for i in range(n_sites)]
    gts = {
        f"P{i}": {s: int(rng.choice([0, 1, 2], p=[0.5, 0.35, 0.15])) for s in sites}
        for i in range(n_patients)
    }
    return sites, gts


def reads_from(genotypes, sites, depth=2, n=None, seed=2, error=0.005):
    """Read allele counts drawn from a donor's genotypes at ``n`` random sites."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(sites), size=n or len(sites), replace=False)
    counts = {}
    for i in chosen:
        s = sites[i]
        p_alt = {0: error, 1: 0.5, 2: 1 - error}[genotypes[s]]
        alt = int(rng.binomial(depth, p_alt))
        counts[s] = (depth - alt, alt)
    return counts


def test_own_patient_matches():
    sites, gts = cohort()
    counts = reads_from(gts["P2"], sites, n=120)
    r = check_identity("S2", "P2", counts, gts)
    assert r.verdict == "match" and r.best_patient == "P2"
    assert r.concordance_sheet == 1.0 or r.concordance_sheet > 0.95
    assert r.llr_best_vs_sheet >= 10


def test_swap_is_flagged():
    sites, gts = cohort()
    counts = reads_from(gts["P3"], sites, n=120)  # reads of P3, sheet says P0
    r = check_identity("S0", "P0", counts, gts)
    assert r.verdict == "possible swap" and r.best_patient == "P3"
    assert r.concordance_sheet < r.concordance_best


def test_few_sites_inconclusive_and_no_reads():
    sites, gts = cohort()
    r = check_identity("S1", "P1", reads_from(gts["P1"], sites, n=5), gts)
    assert r.verdict == "inconclusive" and r.informative_sites == 5
    assert check_identity("S1", "P1", {}, gts).verdict == "no human reads"
    assert check_identity("S1", "P1", {sites[0]: (1, 0)}, {}).verdict == "no host VCF"


@pytest.mark.parametrize("seed", range(5))
def test_no_false_swap_at_low_depth(seed):
    # ~2x over 100 sites, as in the demo's stool libraries: still the right patient
    sites, gts = cohort(n_patients=8, seed=seed)
    r = check_identity("S", "P5", reads_from(gts["P5"], sites, depth=1, n=100, seed=seed), gts)
    assert r.best_patient == "P5" and r.verdict in ("match", "inconclusive")


def _vcf(path, sample, recs, blocks=()):
    """A one-sample VCF (bgzipped and indexed when ``blocks`` are given: a gVCF).

    ``recs``: (pos, ref, alt, gt, filter, dp); ``blocks``: hom-ref (start, end, min_dp)."""
    h = pysam.VariantHeader()
    h.contigs.add("chr1", length=10_000)
    h.formats.add("GT", 1, "String", "Genotype")
    h.formats.add("DP", 1, "Integer", "Depth")
    h.info.add("END", 1, "Integer", "End")
    h.info.add("MinDP", 1, "Integer", "Minimum depth of the block")
    h.filters.add("LowQual", None, None, "low")
    h.add_sample(sample)
    rows = [(pos, (ref, alt), gt, flt, dp, None) for pos, ref, alt, gt, flt, dp in recs]
    rows += [(s, ("A", "<*>"), (0, 0), None, d, e) for s, e, d in blocks]
    plain = path.with_suffix("")
    with pysam.VariantFile(str(plain), "w", header=h) as w:
        for pos, alleles, gt, flt, dp, end in sorted(rows, key=lambda r: r[0]):
            r = w.new_record(contig="chr1", start=pos - 1, alleles=alleles)
            if end is not None:
                r.stop = end
                r.info["MinDP"] = dp
            r.samples[sample]["GT"] = gt
            r.samples[sample]["DP"] = dp
            if flt:
                r.filter.add(flt)
            w.write(r)
    if not blocks:
        return plain
    return pysam.tabix_index(str(plain), preset="vcf", force=True)


def _cohort_vcfs(tmp_path):
    a = _vcf(
        tmp_path / "a.vcf",
        "A",
        [
            (100, "A", "G", (0, 1), "PASS", 20),
            (200, "C", "CT", (1, 1), "PASS", 20),  # indel: ignored
            (300, "G", "T", (1, 1), "LowQual", 2),  # filtered
        ],
    )
    b = _vcf(tmp_path / "b.vcf", "B", [(150, "T", "C", (1, 1), "PASS", 30)])
    return a, b


def test_load_genotypes_without_gvcf_measures_no_reference_site(tmp_path):
    a, b = _cohort_vcfs(tmp_path)
    sites, gts = load_genotypes({"A": a, "B": b}, {})
    assert sites == [("chr1", 100, "A", "G"), ("chr1", 150, "T", "C")]
    # absent from a VCF is not homozygous reference: without a gVCF it is not measured
    assert gts["A"] == {sites[0]: 1, sites[1]: None}
    assert gts["B"] == {sites[0]: None, sites[1]: 2}


def test_load_genotypes_gvcf_reference_blocks_and_no_coverage(tmp_path):
    a, b = _cohort_vcfs(tmp_path)
    ga = _vcf(tmp_path / "a.g.vcf", "A", [(100, "A", "G", (0, 1), None, 20)], [(140, 160, 12)])
    # B: a block with 20 reads over 90-120 (site 100); no reads at all around 150 but its
    # own call -- and patient C's library covered site 100 with 3 reads only, 150 not at all
    gb = _vcf(tmp_path / "b.g.vcf", "B", [(150, "T", "C", (1, 1), None, 30)], [(90, 120, 20)])
    c = _vcf(tmp_path / "c.vcf", "C", [])
    gc = _vcf(tmp_path / "c.g.vcf", "C", [], [(95, 105, 3)])
    sites, gts = load_genotypes({"A": a, "B": b, "C": c}, {"A": ga, "B": gb, "C": gc})
    s100, s150 = sites
    assert gts["A"] == {s100: 1, s150: 0}  # 150 inside A's 12-read block: measured 0/0
    assert gts["B"] == {s100: 0, s150: 2}
    assert gts["C"] == {s100: None, s150: None}  # 3 reads < min_depth 8; no coverage at 150
    _, low = load_genotypes({"A": a, "B": b, "C": c}, {"A": ga, "B": gb, "C": gc}, min_depth=3)
    assert low["C"] == {s100: 0, s150: None}


def test_not_measured_sites_are_left_out_of_the_comparison():
    # the sheet patient's library (a panel) measured only the first 60 of 200 sites; the stool
    # reads are theirs. Counted as hom-ref, the other 140 make their own reads look 40 %
    # discordant; left out, the sheet patient matches on the sites both measured
    sites, gts = cohort(n_patients=3, seed=4)
    counts = reads_from(gts["P1"], sites, depth=3, n=200)
    panel = {s: (g if i < 60 else None) for i, (s, g) in enumerate(gts["P1"].items())}
    as_ref = {s: (g if i < 60 else 0) for i, (s, g) in enumerate(gts["P1"].items())}
    r = check_identity("S1", "P1", counts, {**gts, "P1": panel})
    assert r.verdict == "match" and r.best_patient == "P1"
    assert r.sites_not_measured_sheet == 140 and r.concordance_sheet > 0.95
    wrong = check_identity("S1", "P1", counts, {**gts, "P1": as_ref})
    assert wrong.concordance_sheet < 0.8 and wrong.sites_not_measured_sheet == 0
    # with no site measured by both, the comparison is inconclusive
    none = {s: None for s in sites}
    assert check_identity("S1", "P1", counts, {"P1": panel, "P0": none}).verdict == "match"
    r = check_identity("S1", "P1", counts, {"P1": none, "P0": gts["P0"]})
    assert r.verdict == "inconclusive" and r.concordance_sheet is None
