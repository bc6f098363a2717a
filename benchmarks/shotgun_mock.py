"""Accuracy of the shotgun stage on the KMCP 15-genome mock community (../shared, not copied).

The pipeline's own rules do everything: ``kraken2_library`` + ``kraken2_build_db`` build a Kraken 2
database from the 15 RefSeq genomes (``refs/``) and the custom taxdump (``taxdump-custom/``),
``bracken_build`` its Bracken distribution, and the shotgun path (fastp, host removal, kraken2,
Bracken re-estimation, species table) runs on the simulated 2x150 reads (``sim_reads/``, 174,542
pairs). The species table is compared with the gold standard ``mock.gs.tsv``:

- **precision / recall** of the species detected (estimated reads > 0 after Bracken's
  threshold) against the 15 gold-standard species;
- **L1 abundance error** = sum |estimated - gold| of the relative abundances. ``mock.gs.tsv``
  gives *depth* (genome-copy) abundances, so the Bracken read estimates are divided by the
  genome length of each species (summed from ``refs/``, what any user has) and re-closed first;
  the read-fraction L1 against the simulated read pairs (``mock_sim.truth_readpairs.tsv``) is
  reported too.

The database holds exactly the 15 mock genomes (a closed world), so every possible false
positive is a mock species: precision can only drop through a species with zero truth, of which
this mock has none. ``mock.gs.tsv``'s taxids (assembly-level, absent from the taxdump) are not
used; species are matched by name to the taxdump, whose seqid2taxid map is written into the
work directory.

Usage::

    python benchmarks/shotgun_mock.py [--workdir DIR] [--cores N] [--step N] [--pairs N]
        [--skip-run] [--json OUT]

``--step`` is ``shotgun.bracken.step`` (default 10 here; 1 = every window, as bracken-build);
``--pairs N`` subsamples the first N read pairs. The work directory (default
``$TMPDIR/holobiont-shotgun-mock``) is kept.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from _pipeline import run_snakemake  # noqa: E402

from holobiont.core.table import read_tsv  # noqa: E402
from holobiont.microbiome.shotgun import Taxonomy, genome_files  # noqa: E402

MOCK = ROOT.parent / "shared" / "data" / "shotgun_mock15"
DEMO = ROOT / "resources" / "demo" / "data"
SAMPLE = "MOCK15"
TARGETS = {"precision": 0.95, "recall": 0.95, "l1": 0.10}


def write_seqid2taxid(out: Path, taxonomy: Taxonomy) -> dict[str, dict]:
    """seqid<TAB>taxid for every sequence of refs/, the taxid found by species name."""
    by_name = {name: taxid for taxid, name in taxonomy.name.items()}
    species = {}
    for line in (MOCK / "taxonomy.tsv").read_text().splitlines()[1:]:
        f = line.split("\t")
        species[f[0]] = f[-1]
    genomes = {}
    with open(out, "w") as fh:
        for path in genome_files(MOCK / "refs"):
            gid = Path(path).name.removesuffix(".fa.gz")
            taxid = by_name[species[gid]]
            length = 0
            with gzip.open(path, "rt") as fa:
                for line in fa:
                    if line.startswith(">"):
                        fh.write(f"{line[1:].split()[0]}\t{taxid}\n")
                    else:
                        length += len(line.strip())
            genomes[gid] = {"species": species[gid], "taxid": taxid, "length": length}
    return genomes


def subsample(src: Path, dst: Path, pairs: int) -> None:
    with gzip.open(src, "rt") as fin, gzip.open(dst, "wt") as fout:
        for i, line in enumerate(fin):
            if i >= 4 * pairs:
                break
            fout.write(line)


def run_pipeline(workdir: Path, overrides: dict, cores: int) -> float:
    """The project Snakefile's shotgun outputs in ``workdir``; the wall time (s)."""
    targets = [
        f"results/shotgun/{f}"
        for f in ("species_reads.tsv", "species_relative.tsv", "host_fraction.tsv")
    ]
    return run_snakemake(workdir, targets, overrides, cores)


def benchmark_seconds(workdir: Path, name: str) -> float | None:
    path = workdir / "logs" / "benchmarks" / name
    if not path.exists():
        return None
    return float(path.read_text().splitlines()[1].split("\t")[0])


def evaluate(workdir: Path, genomes: dict[str, dict], pairs_used: dict[str, int] | None) -> dict:
    table = read_tsv(workdir / "results" / "shotgun" / "species_reads.tsv").to_frame()
    est_reads = table.loc[SAMPLE]
    est_reads = est_reads[est_reads > 0].astype(float)
    gold = {}
    for line in (MOCK / "mock.gs.tsv").read_text().splitlines()[1:]:
        f = line.split("\t")
        g = genomes[f[0]]
        gold[g["taxid"]] = float(f[7]) / 100
    length = {}
    for g in genomes.values():
        length[g["taxid"]] = length.get(g["taxid"], 0) + g["length"]
    detected, truth = set(est_reads.index), set(gold)
    tp = len(detected & truth)
    precision = tp / len(detected) if detected else float("nan")
    recall = tp / len(truth)
    depth = {t: est_reads[t] / length[t] for t in detected}
    total_depth = sum(depth.values())
    est_abund = {t: d / total_depth for t, d in depth.items()}
    taxa = detected | truth
    l1 = sum(abs(est_abund.get(t, 0.0) - gold.get(t, 0.0)) for t in taxa)
    # read fractions vs the simulated read pairs
    truth_pairs = pairs_used or {}
    total_pairs = sum(truth_pairs.values())
    read_truth = {genomes[g]["taxid"]: n / total_pairs for g, n in truth_pairs.items()}
    read_est = est_reads / est_reads.sum()
    l1_reads = sum(abs(read_est.get(t, 0.0) - read_truth.get(t, 0.0)) for t in taxa)
    # Kraken 2 alone: the species' clade counts in the report, without re-estimation
    bracken = (workdir / "results" / "shotgun" / "bracken" / f"{SAMPLE}.bracken.tsv").read_text()
    kraken = {}
    for line in bracken.splitlines()[1:]:
        f = line.split("\t")
        kraken[f[1]] = float(f[3])
    k_depth = {t: n / length[t] for t, n in kraken.items() if t in length}
    k_total = sum(k_depth.values())
    l1_kraken = sum(abs(k_depth.get(t, 0.0) / k_total - gold.get(t, 0.0)) for t in taxa)
    names = {g["taxid"]: g["species"] for g in genomes.values()}
    per_species = [
        {
            "species": names.get(t, t),
            "gold_abundance": gold.get(t, 0.0),
            "estimated_abundance": est_abund.get(t, 0.0),
            "true_read_fraction": read_truth.get(t, 0.0),
            "estimated_read_fraction": float(read_est.get(t, 0.0)),
            "estimated_reads": float(est_reads.get(t, 0.0)),
        }
        for t in sorted(taxa, key=lambda t: -gold.get(t, 0.0))
    ]
    return {
        "tp": tp,
        "fp": len(detected - truth),
        "fn": len(truth - detected),
        "precision": precision,
        "recall": recall,
        "l1": l1,
        "l1_read_fraction": l1_reads,
        "l1_kraken_only": l1_kraken,
        "reads_moved_by_bracken": float(est_reads.sum() - sum(kraken.values())),
        "per_species": per_species,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "holobiont-shotgun-mock",
        help="work directory (kept; default: %(default)s)",
    )
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--step", type=int, default=10, help="shotgun.bracken.step (default 10)")
    ap.add_argument("--pairs", type=int, help="use only the first N read pairs")
    ap.add_argument("--skip-run", action="store_true", help="evaluate existing results only")
    ap.add_argument("--json", type=Path, help="write all figures as JSON here")
    args = ap.parse_args(argv)
    if not MOCK.exists():
        raise SystemExit(f"{MOCK} is absent (../shared developer data): cannot run")
    host = DEMO / "reference" / "demo_grch38.fa.gz"
    if not host.exists():
        raise SystemExit("the demo host reference is missing; run `make demo-data` first")
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    taxonomy = Taxonomy.from_dir(MOCK / "taxdump-custom")
    genomes = write_seqid2taxid(workdir / "seqid2taxid.map", taxonomy)
    reads = [MOCK / "sim_reads" / f"mock_sim_R{r}.fastq.gz" for r in (1, 2)]
    truth_pairs = {}
    for line in (MOCK / "sim_reads" / "mock_sim.truth_readpairs.tsv").read_text().splitlines()[1:]:
        gid, _, n = line.split("\t")
        truth_pairs[gid] = int(n)
    if args.pairs:
        subs = [workdir / f"mock_sub_R{r}.fastq.gz" for r in (1, 2)]
        if not args.skip_run:
            for src, dst in zip(reads, subs, strict=True):
                subsample(src, dst, args.pairs)
        reads = subs
        truth_pairs = {g: 0 for g in truth_pairs}
        with gzip.open(reads[0], "rt") as fh:
            for i, line in enumerate(fh):
                if i % 4 == 0:
                    truth_pairs[line[1:].split("|")[0]] += 1
    sheet = workdir / "samples.tsv"
    sheet.write_text(
        "patient_id\tsample_id\tassay\tunit\tfastq_1\tfastq_2\n"
        f"M15\t{SAMPLE}\tshotgun\tL001\t{reads[0]}\t{reads[1]}\n"
    )
    project = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    overrides = {
        "samples": str(sheet),
        "references": {k: str(ROOT / v) for k, v in project["references"].items()},
        # the simulated reads copy IUPAC codes (R, Y, ...) of some genomes, which the FASTQ
        # check rejects as non-bases; fastp and kraken2 treat them as N
        "qc": {"validate_fastq": False},
        "shotgun": {
            "kraken2_db": "",
            "build_db": {
                "genomes": str(MOCK / "refs"),
                "taxonomy": str(MOCK / "taxdump-custom"),
                "seqid2taxid": str(workdir / "seqid2taxid.map"),
            },
            "bracken": {"step": args.step},
        },
    }
    wall = None if args.skip_run else run_pipeline(workdir, overrides, args.cores)
    res = evaluate(workdir, genomes, truth_pairs)
    host_tsv = (workdir / "results" / "shotgun" / "host_fraction.tsv").read_text().splitlines()
    host_row = dict(zip(host_tsv[0].split("\t"), host_tsv[1].split("\t"), strict=True))
    timing = {
        name: benchmark_seconds(workdir, f"{name}.tsv")
        for name in ("kraken2_build_db", "bracken_build", f"kraken2/{SAMPLE}")
    }
    report = {
        "step": args.step,
        "pairs": sum(truth_pairs.values()),
        "wall_s": wall,
        "rule_seconds": timing,
        "host": host_row,
        **res,
        "targets": TARGETS,
    }
    print(
        f"{SAMPLE}: {report['pairs']} pairs, bracken step {args.step}, wall {wall and round(wall)} s"
    )
    print(f"rule seconds: {timing}")
    print(f"host removal: {host_row['human_pairs']} of {host_row['read_pairs']} pairs removed")
    print(f"{'species':28} {'gold':>8} {'est':>8} {'reads':>8} {'est.reads':>9}")
    for r in res["per_species"]:
        print(
            f"{r['species']:28} {r['gold_abundance']:8.5f} {r['estimated_abundance']:8.5f} "
            f"{r['true_read_fraction']:8.5f} {r['estimated_read_fraction']:9.5f}"
        )
    ok = (
        res["precision"] >= TARGETS["precision"]
        and res["recall"] >= TARGETS["recall"]
        and res["l1"] <= TARGETS["l1"]
    )
    print(
        f"TP {res['tp']} FP {res['fp']} FN {res['fn']}; precision {res['precision']:.4f}, recall "
        f"{res['recall']:.4f}, L1 (depth abundance vs mock.gs.tsv) {res['l1']:.4f}, L1 (read "
        f"fractions vs simulated pairs) {res['l1_read_fraction']:.4f}; Kraken 2 alone "
        f"(no re-estimation) L1 {res['l1_kraken_only']:.4f}, {res['reads_moved_by_bracken']:.0f} "
        "reads moved down to species by the re-estimation: "
        f"targets {'met' if ok else 'MISSED'}"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
