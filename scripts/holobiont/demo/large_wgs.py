"""A larger WGS-like host sample for benchmarks (opt-in; the default demo is unchanged).

The demo's reference holds ~50 kb of sequence in windows around the PGx genes. Here the windows
are widened by ``flank`` bases on each side (``flank=100_000`` gives several Mb), drawn by the
same generator with the GRCh38 bases fixed at every PGx catalog position (so the host-reference
check passes), and one patient of the demo cohort (P03 by default, a WGS patient) gets planted
PGx alleles and private SNPs and 2x150 reads at ``coverage``-fold over the whole sequence::

    python -m holobiont.demo --large-wgs-flank 100000 --out /tmp/large_wgs

writes ``reference/demo_grch38.fa.gz`` (+ .fai, .gzi, .dict, pgx_targets.bed),
``reads/<patient>-host_L001_R{1,2}.fastq.gz`` and a one-row ``samples.tsv``.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import generate as gen
from . import host as hst
from . import reads as rd
from .files import write_text
from .pgx_sites import load_alleles, load_genes, load_sites, resources_dir


def generate_large_wgs(
    out: str | Path,
    *,
    flank: int = 100_000,
    coverage: float = 30.0,
    patient: str = "P03",
    seed: int = gen.Params.seed,
) -> dict:
    """Write the reference, reads and sheet of one WGS-like sample into ``out``."""
    out = Path(out)
    (out / "reference").mkdir(parents=True, exist_ok=True)
    (out / "reads").mkdir(parents=True, exist_ok=True)
    res = resources_dir()
    sites, genes, alleles = load_sites(res), load_genes(res), load_alleles(res)
    patients = gen.load_cohort(res)
    cohort = {p.patient_id: p for p in patients}
    # the default demo's design (with the catalog-planted genes), wider windows
    panel, plants, catalog_bases = gen.design_panel(
        res, sites, genes, patients, gen.rng_for(seed, f"large-wgs-reference:{flank}"), flank=flank
    )
    sequence = int(sum(len(s) for s in panel.sequences))
    pool = hst.private_snp_pool(
        panel,
        sites,
        gen.rng_for(seed, "large-wgs-snp-pool"),
        n_sites=max(330, sequence // 2000),
        avoid=catalog_bases,
    )
    pt = cohort[patient]
    genome = gen.design_genome(
        pt, sites, alleles, pool, panel, gen.rng_for(seed, "large-wgs-gt"), plants
    )
    info = hst.write_reference(panel, out / "reference")
    sample = gen.sample_id(patient, "host")
    pairs = hst.simulate_host_library(
        gen.rng_for(seed, f"large-wgs-reads:{sample}"),
        genome,
        sample,
        1,
        rd.library_index(sample),
        coverage,
    )
    f1, f2 = (out / f"reads/{sample}_L001_R{r}.fastq.gz" for r in (1, 2))
    rd.write_fastq_pair(str(f1), str(f2), pairs, rd.library_index(sample))
    write_text(
        out / "samples.tsv",
        "patient_id\tsample_id\tassay\tunit\tfastq_1\tfastq_2\tgroup\tsex\tpgx_outside_calls\n"
        f"{patient}\t{sample}\thost_wgs\tL001\t{f1.resolve()}\t{f2.resolve()}\t{pt.group}"
        f"\t{pt.sex}\t\n",
    )
    info.update(flank=flank, coverage=coverage, patient=patient, pairs=len(pairs))
    write_text(out / "large_wgs_info.json", json.dumps(info, indent=2) + "\n")
    return info
