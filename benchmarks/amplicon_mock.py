"""Accuracy of the 16S stage: simulated V4 mocks of known composition through the pipeline.

Three benchmarks, each running the real tools (cutadapt, vsearch, MAFFT, FastTree) through
Snakemake in its own work directory:

``zymo``
    ZymoBIOMICS Microbial Community Standard D6300: the 46 16S copies of its 8 bacteria
    (Zymo reference v2, ``ZymoBiomicsAll.fasta`` of ../shared/data/16s_zymo_mock_refs, from the
    chkMocks package) at Zymo's theoretical 16S composition (protocol table, "16S only":
    P. aeruginosa 4.2 %, E. coli 10.1 %, S. enterica 10.4 %, L. fermentum 18.4 %,
    E. faecalis 9.9 %, S. aureus 15.5 %, L. monocytogenes 14.1 %, B. subtilis 17.4 %), each
    species' share split evenly over its copies. Identical V4 copies are one expected
    sequence: 9 expected ASVs (S. enterica carries a second V4 variant on 1 of its 7 copies).
``mc3``
    The MC3 mock of the same folder (``MIBPhylotypes.fasta`` and
    ``TheoreticalCompositionMIBMocks.csv``, column MC3; described there as Karstens et al. 2019,
    mSystems): 55 phylotypes, 51 distinct V4 sequences, 0.58-8.7 % each. The two single ``N``
    bases in the V4 of two phylotypes are replaced by a seeded random base.
``demo``
    The embedded demo cohort's seven 16S libraries against its truth
    (``resources/demo/data/truth/16s_composition.tsv``).

Mock reads are simulated with the demo's simulator (:mod:`holobiont.demo.amplicon`, in-silico
PCR with 515F/806R and 2x250 MiSeq-like reads with calibrated substitution errors): 3
libraries of 10,000 pairs per mock, 1 % of the pairs two-parent chimeras of the three most
abundant templates (as in the demo). Mock SINTAX references are built in the work directory
from the mock's own sequences and taxonomy (a curated database that contains the mock's
species), never copied into the repository.

Figures: expected sequences recovered exactly as ASVs, spurious ASVs (those that are no
expected sequence; chimeras that survive count here), chimeras removed, and per library the
Bray-Curtis dissimilarity to the truth: at the ASV level (exact sequences) against the
theoretical composition and against the pairs actually simulated (the pipeline's own error,
without the multinomial sampling noise), and at the genus level against the theoretical
composition (genera from SINTAX; reads of ASVs without a genus stay a bucket of their own).
Usage::

    python benchmarks/amplicon_mock.py [--only zymo|mc3|demo] [--workdir DIR] [--cores N]
        [--pairs N] [--skip-run] [--json OUT] [--strict]

Targets: every expected ASV recovered, at most 1 spurious ASV per run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from _pipeline import run_snakemake, write_sheet  # noqa: E402

from holobiont.core.table import parse_lineage, read_tsv  # noqa: E402
from holobiont.demo import amplicon as amp  # noqa: E402
from holobiont.demo import reads as rd  # noqa: E402
from holobiont.microbiome.amplicon import read_fasta  # noqa: E402

#: ../shared beside the project; HOLOBIONT_SHARED points elsewhere (a worktree)
MOCKS = (
    Path(os.environ.get("HOLOBIONT_SHARED", ROOT.parent / "shared")) / "data" / "16s_zymo_mock_refs"
)
DEMO = ROOT / "resources" / "demo" / "data"
RANK_LETTERS = "dpcofgs"
#: ZymoBIOMICS D6300 theoretical 16S composition (%), Zymo protocol, "16S only" column.
ZYMO_16S = {
    "Pseudomonas.aeruginosa": 4.2,
    "Escherichia.coli": 10.1,
    "Salmonella.enterica": 10.4,
    "Lactobacillus.fermentum": 18.4,
    "Enterococcus.faecalis": 9.9,
    "Staphylococcus.aureus": 15.5,
    "Listeria.monocytogenes": 14.1,
    "Bacillus.subtilis": 17.4,
}
OUTPUTS = [
    "results/16s/asv_table.tsv",
    "results/16s/asv_seqs.fasta",
    "results/16s/taxonomy.tsv",
    "results/16s/tree.nwk",
    "results/16s/read_tracking.tsv",
]


# --------------------------------------------------------------------------------------------
# running the pipeline


def run_pipeline(workdir: Path, overrides: dict, cores: int) -> float:
    """The project Snakefile's 16S outputs in ``workdir``; the wall time (s)."""
    return run_snakemake(workdir, list(OUTPUTS), overrides, cores)


def overrides_for(sheet: Path, sintax: Path) -> dict:
    return {
        "samples": str(sheet),
        "references": {
            "host_fasta": str(DEMO / "reference" / "demo_grch38.fa.gz"),
            "targets_bed": str(DEMO / "reference" / "pgx_targets.bed"),
            "pgx_catalog": str(ROOT / "resources" / "pgx"),
            "sintax_16s": str(sintax),
        },
    }


# --------------------------------------------------------------------------------------------
# mocks


class Template:
    """One 16S template of a mock: its V4 product, expected read fraction and lineage."""

    def __init__(self, name: str, product: str, fraction: float, lineage: list[str]):
        self.name = name
        self.product = product
        self.amplicon = product[len(amp.PRIMER_F) : len(product) - len(amp.PRIMER_R)]
        self.fraction = fraction
        self.lineage = lineage  # domain .. species, names without spaces

    @property
    def genus(self) -> str:
        return self.lineage[5]


def _resolve_iupac(seq: str, rng: np.random.Generator) -> str:
    return "".join(c if c in "ACGT" else str(rng.choice(list("ACGT"))) for c in seq)


def _clean(name: str) -> str:
    return name.strip().replace(" ", "_").replace(",", "_")


def load_zymo(rng: np.random.Generator) -> list[Template]:
    recs = read_fasta(MOCKS / "inst" / "extdata" / "ZymoBiomicsAll.fasta")
    per_species: dict[str, int] = defaultdict(int)
    for label, _ in recs:
        per_species[label.rstrip(";").split(";")[6]] += 1
    if set(per_species) != set(ZYMO_16S):
        raise SystemExit(f"unexpected species in ZymoBiomicsAll.fasta: {sorted(per_species)}")
    out = []
    for i, (label, seq) in enumerate(recs):
        lineage = [_clean(x) for x in label.rstrip(";").split(";")]
        species = label.rstrip(";").split(";")[6]
        prod = amp.in_silico_pcr(seq)
        if prod is None:
            raise SystemExit(f"no V4 product for Zymo copy {i} ({species})")
        frac = ZYMO_16S[species] / 100.0 / per_species[species]
        out.append(Template(f"zymo{i + 1}", _resolve_iupac(prod.product, rng), frac, lineage))
    return out


def load_mc3(rng: np.random.Generator) -> list[Template]:
    with open(MOCKS / "inst" / "extdata" / "TheoreticalCompositionMIBMocks.csv") as fh:
        comp = {r["Species"]: float(r["MC3"]) for r in csv.DictReader(fh)}
    total = sum(comp.values())
    out = []
    for label, seq in read_fasta(MOCKS / "inst" / "extdata" / "MIBPhylotypes.fasta"):
        parts = label.rstrip(";").split(";")
        prod = amp.in_silico_pcr(seq)
        if prod is None:
            raise SystemExit(f"no V4 product for MC3 phylotype {parts[-1]}")
        lineage = [_clean(x) for x in parts]
        frac = comp[parts[-1]] / total
        out.append(Template(_clean(parts[-1]), _resolve_iupac(prod.product, rng), frac, lineage))
    return out


def write_sintax_db(templates: list[Template], path: Path) -> Path:
    """SINTAX reference of the mock's own amplicons (one record per template)."""
    with open(path, "w") as fh:
        for t in templates:
            tax = ",".join(f"{r}:{n}" for r, n in zip(RANK_LETTERS, t.lineage, strict=False))
            fh.write(f">{t.name};tax={tax};\n{t.amplicon}\n")
    return path


def simulate_library(
    templates: list[Template], sample: str, n_pairs: int, seed: int, out: Path
) -> tuple[Path, Path, dict[str, int], list[str]]:
    """2x250 pairs of ``templates`` (multinomial at their fractions) plus 1 % chimeras.

    Returns the FASTQ paths, the pairs simulated per amplicon and the chimeric amplicons.
    """
    rng = np.random.default_rng(seed)
    x = np.array([t.fraction for t in templates])
    n_chim = int(round(0.01 * n_pairs))
    top = [templates[i] for i in np.argsort(-x, kind="stable")[:3]]
    members = {t.amplicon for t in templates}
    chimeras: list[tuple[str, str]] = []  # (amplicon, product)
    while len(chimeras) < 2:
        a, b = rng.choice(len(top), size=2, replace=False)
        pa, pb = top[a], top[b]
        bp = int(rng.integers(80, 180))
        chim = amp.make_chimera(pa.amplicon, pb.amplicon, bp)
        if chim in members or any(c == chim for c, _ in chimeras):
            continue
        f_site = pa.product[: len(amp.PRIMER_F)]
        r_site = pb.product[len(pb.product) - len(amp.PRIMER_R) :]
        chimeras.append((chim, f_site + chim + r_site))
    counts = rng.multinomial(n_pairs - n_chim, x / x.sum())
    chim_counts = [n_chim // 2, n_chim - n_chim // 2]
    prods = [t.product for t in templates] + [p for _, p in chimeras]
    all_counts = np.concatenate([counts, chim_counts]).astype(np.int64)
    names = rd.read_names(rng, sample, 1, int(all_counts.sum()))
    index = rd.library_index(sample)
    pairs = amp.simulate_amplicon_pairs(rng, prods, all_counts, 250, names, index)
    r1, r2 = out / f"{sample}_R1.fastq.gz", out / f"{sample}_R2.fastq.gz"
    rd.write_fastq_pair(str(r1), str(r2), pairs, index)
    simulated: dict[str, int] = defaultdict(int)
    for t, c in zip(templates, counts.tolist(), strict=True):
        simulated[t.amplicon] += c
    return r1, r2, dict(simulated), [c for c, _ in chimeras]


# --------------------------------------------------------------------------------------------
# evaluation


def bray_curtis(p: dict[str, float], q: dict[str, float]) -> float:
    """Bray-Curtis dissimilarity of two compositions (each closed to 1 first)."""
    sp, sq = sum(p.values()), sum(q.values())
    if sp == 0 or sq == 0:
        return 1.0
    keys = set(p) | set(q)
    return 1.0 - sum(min(p.get(k, 0.0) / sp, q.get(k, 0.0) / sq) for k in keys)


def evaluate(
    run: Path,
    expected: dict[str, dict[str, float]],
    expected_genus: dict[str, dict[str, float]],
    chimeras: set[str],
    simulated: dict[str, dict[str, int]],
) -> dict:
    """Compare the pipeline's ASVs with the truth.

    ``expected`` is ``{sample: {amplicon: fraction}}``, ``expected_genus`` the same by genus
    (a V4 sequence shared by templates of two genera counts for both); ``chimeras`` the
    simulated chimeric amplicons; ``simulated`` the pairs simulated per amplicon, to which the
    ASV counts are also compared (pipeline error without the multinomial sampling noise).
    """
    seqs = dict(read_fasta(run / "results/16s/asv_seqs.fasta"))
    found = set(seqs.values())
    members = {a for comp in expected.values() for a in comp}
    table = read_tsv(run / "results/16s/asv_table.tsv")
    genus_sintax = {a: parse_lineage(lin).get("genus", "unassigned") for a, lin in
                    table.taxonomy.items()}  # fmt: skip
    per_sample = {}
    for i, s in enumerate(table.sample_ids):
        obs_seq: dict[str, float] = defaultdict(float)
        obs_genus: dict[str, float] = defaultdict(float)
        for j, a in enumerate(table.taxa):
            n = float(table.counts[i, j])
            obs_seq[seqs[a]] += n
            obs_genus[genus_sintax.get(a, "unassigned")] += n
        truth_genus = expected_genus[s]
        per_sample[s] = {
            "reads_in_table": int(table.counts[i].sum()),
            "bray_curtis_asv": round(bray_curtis(obs_seq, expected[s]), 4),
            "bray_curtis_asv_simulated": round(bray_curtis(obs_seq, simulated[s]), 4),
            "bray_curtis_genus": round(bray_curtis(obs_genus, truth_genus), 4),
        }
    missed = sorted(members - found)
    return {
        "expected": len(members),
        "recovered": len(members & found),
        "missed": [max(c.get(a, 0) for c in expected.values()) for a in missed],
        "asvs": len(found),
        "spurious": len(found - members),
        "spurious_chimeras": len((found - members) & chimeras),
        "chimeras_simulated": len(chimeras),
        "chimeras_removed": len(chimeras - found),
        "samples": per_sample,
    }


def bench_mock(name: str, workdir: Path, cores: int, pairs: int, skip_run: bool) -> dict:
    if not MOCKS.exists():
        raise SystemExit(f"{MOCKS} is absent (../shared developer data): cannot run {name}")
    rng = np.random.default_rng(20251121)
    templates = load_zymo(rng) if name == "zymo" else load_mc3(rng)
    workdir.mkdir(parents=True, exist_ok=True)
    reads = workdir / "reads"
    reads.mkdir(exist_ok=True)
    sintax = write_sintax_db(templates, workdir / f"{name}_sintax.fasta")
    rows, expected, expected_genus, simulated, chimeras = [], {}, {}, {}, set()
    fractions: dict[str, float] = defaultdict(float)
    genera: dict[str, float] = defaultdict(float)
    for t in templates:
        fractions[t.amplicon] += t.fraction
        genera[t.genus] += t.fraction
    for k in range(3):
        sample = f"{name.upper()}-rep{k + 1}"
        r1, r2, simulated[sample], chim = simulate_library(
            templates, sample, pairs, 1000 + k, reads
        )
        chimeras |= set(chim)
        expected[sample] = dict(fractions)
        expected_genus[sample] = dict(genera)
        rows.append(
            {
                "patient_id": f"{name.upper()}{k + 1}",
                "sample_id": sample,
                "assay": "16s",
                "unit": "1",
                "fastq_1": r1,
                "fastq_2": r2,
            }
        )
    sheet = write_sheet(workdir / "samples.tsv", rows)
    wall = None if skip_run else run_pipeline(workdir, overrides_for(sheet, sintax), cores)
    res = evaluate(workdir, expected, expected_genus, chimeras, simulated)
    res.update(
        {"templates": len(templates), "pairs_per_library": pairs, "wall_s": wall and round(wall)}
    )
    return res


def bench_demo(workdir: Path, cores: int, skip_run: bool) -> dict:
    if not (DEMO / "samples.tsv").exists():
        raise SystemExit("demo cohort not generated; run `make demo-data`")
    rows = []
    with open(DEMO / "samples.tsv") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["assay"] == "16s":
                r["fastq_1"], r["fastq_2"] = str(ROOT / r["fastq_1"]), str(ROOT / r["fastq_2"])
                rows.append(r)
    workdir.mkdir(parents=True, exist_ok=True)
    sheet = write_sheet(workdir / "samples.tsv", rows)
    sintax = DEMO / "reference" / "16s_sintax.fasta"
    wall = None if skip_run else run_pipeline(workdir, overrides_for(sheet, sintax), cores)
    expected: dict[str, dict[str, float]] = defaultdict(dict)
    simulated: dict[str, dict[str, int]] = defaultdict(dict)
    expected_genus: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    chimeras = set()
    with open(DEMO / "truth" / "16s_composition.tsv") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["is_chimera"] == "true":
                chimeras.add(r["amplicon"])
                continue
            expected[r["sample_id"]][r["amplicon"]] = float(r["expected_fraction"])
            simulated[r["sample_id"]][r["amplicon"]] = int(r["reads_simulated"])
            genus = parse_lineage(r["taxonomy"])["genus"].strip("[]")
            expected_genus[r["sample_id"]][genus] += float(r["expected_fraction"])
    res = evaluate(workdir, expected, expected_genus, chimeras, simulated)
    # counts against the reads simulated per member
    seqs = dict(read_fasta(workdir / "results/16s/asv_seqs.fasta"))
    by_seq = {v: k for k, v in seqs.items()}
    table = read_tsv(workdir / "results/16s/asv_table.tsv")
    worst = 0.0
    worst_abs = 0
    for i, s in enumerate(table.sample_ids):
        for a, n in simulated[s].items():
            got = int(table.counts[i, table.taxa.index(by_seq[a])]) if a in by_seq else 0
            worst_abs = max(worst_abs, abs(got - n))
            worst = max(worst, abs(got - n) / n)
    res.update(
        {
            "max_count_error_reads": worst_abs,
            "max_count_error_rel": round(worst, 4),
            "wall_s": wall and round(wall),
        }
    )
    return res


def print_result(name: str, res: dict) -> None:
    print(f"\n== {name}")
    print(
        f"expected sequences recovered: {res['recovered']}/{res['expected']}; "
        f"ASVs: {res['asvs']}; spurious: {res['spurious']} "
        f"(of which surviving chimeras: {res['spurious_chimeras']}); chimeras removed: "
        f"{res['chimeras_removed']}/{res['chimeras_simulated']}"
    )
    for m in res["missed"]:
        print(f"  missed: a sequence of expected fraction {m:.4f}")
    print(f"{'sample':<16} {'reads':>7} {'BC(ASV)':>8} {'BC(ASV,sim)':>11} {'BC(genus)':>9}")
    for s, r in res["samples"].items():
        print(
            f"{s:<16} {r['reads_in_table']:>7} {r['bray_curtis_asv']:>8.4f} "
            f"{r['bray_curtis_asv_simulated']:>11.4f} {r['bray_curtis_genus']:>9.4f}"
        )
    if "max_count_error_reads" in res:
        print(
            f"largest count error vs reads simulated: {res['max_count_error_reads']} reads "
            f"({100 * res['max_count_error_rel']:.2f} %)"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["zymo", "mc3", "demo"], help="run one benchmark only")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "holobiont-amplicon-mock",
        help="work directories go here (kept)",
    )
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=10_000, help="read pairs per mock library")
    ap.add_argument("--skip-run", action="store_true", help="evaluate existing results only")
    ap.add_argument("--json", type=Path, help="write all figures as JSON here")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    names = [args.only] if args.only else ["zymo", "mc3", "demo"]
    results = {}
    for name in names:
        wd = args.workdir / name
        if name == "demo":
            results[name] = bench_demo(wd, args.cores, args.skip_run)
        else:
            results[name] = bench_mock(name, wd, args.cores, args.pairs, args.skip_run)
        print_result(name, results[name])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    missed = [n for n, r in results.items() if r["recovered"] < r["expected"] or r["spurious"] > 1]
    if missed:
        print(f"\nTargets missed by: {', '.join(missed)}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
