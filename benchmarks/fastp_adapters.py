"""Reads lost to fastp per genome on the 15-genome shotgun mock, old vs new adapter settings
(not part of the suite).

Truth: the simulated 2x150 pairs of ``../shared/data/shotgun_mock15/sim_reads`` (KMCP mock, 15
RefSeq genomes, no adapters were simulated); every read name starts with its genome's assembly
accession (``GCF_...|contig|pos|strand|n/1``), so the pairs in and out of fastp are counted per
genome exactly. Both runs use the pipeline's own shotgun fastp options
(:func:`holobiont.pipeline.qc.fastp_options` with ``config/config.yaml``'s ``qc.fastp``):

- **old**: ``shotgun_adapter_detection: detect`` (``--detect_adapter_for_pe``, the former
  default);
- **new**: ``shotgun_adapter_detection: overlap`` (fastp's paired-end overlap analysis only).

Printed per genome (with species and GC): pairs in, pairs lost in each run (%), and the spread
max - min of the loss across genomes. ``--pairs N`` takes every k-th pair for about N pairs (the
reads are sorted by genome; the issue's observation was on 20,000 pairs).

Usage::

    python benchmarks/fastp_adapters.py [--pairs N] [--threads N] [--workdir DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from holobiont.pipeline.qc import fastp_options  # noqa: E402

SHARED = Path(os.environ.get("HOLOBIONT_SHARED", ROOT.parent / "shared"))
MOCK = SHARED / "data" / "shotgun_mock15"


def genome_of(name: str) -> str:
    return name[1:].split("|", 1)[0]


def count_pairs(r1: Path, limit: int | None = None) -> Counter[str]:
    counts: Counter[str] = Counter()
    with gzip.open(r1, "rt") as fh:
        for i, line in enumerate(fh):
            if i % 4 == 0:
                if limit is not None and i // 4 >= limit:
                    break
                counts[genome_of(line)] += 1
    return counts


def subsample(src: Path, dst: Path, every: int) -> None:
    """Every `every`-th pair (the mock's reads are sorted by genome)."""
    with gzip.open(src, "rt") as fin, gzip.open(dst, "wt", compresslevel=1) as fout:
        for i, line in enumerate(fin):
            if (i // 4) % every == 0:
                fout.write(line)


def gc_of_genomes() -> dict[str, float]:
    out = {}
    for path in sorted((MOCK / "refs").glob("*.fa.gz")):
        gc = n = 0
        with gzip.open(path, "rt") as fh:
            for line in fh:
                if not line.startswith(">"):
                    s = line.strip().upper()
                    gc += s.count("G") + s.count("C")
                    n += len(s)
        out[path.name.removesuffix(".fa.gz")] = gc / n
    return out


def run_fastp(r1: Path, r2: Path, out: Path, options: str, threads: int) -> Counter[str]:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [
        "fastp",
        "--in1",
        str(r1),
        "--in2",
        str(r2),
        "--out1",
        str(out / "R1.fastq.gz"),
        "--out2",
        str(out / "R2.fastq.gz"),
        *shlex.split(options),
        "--thread",
        str(threads),
        "--json",
        str(out / "fastp.json"),
        "--html",
        str(out / "fastp.html"),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    return count_pairs(out / "R1.fastq.gz")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, help="first N pairs only")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "holobiont-fastp")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    reads = MOCK / "sim_reads"
    if not reads.exists():
        print(f"needs {reads} (../shared)", file=sys.stderr)
        return 2
    args.workdir.mkdir(parents=True, exist_ok=True)
    r1, r2 = reads / "mock_sim_R1.fastq.gz", reads / "mock_sim_R2.fastq.gz"
    if args.pairs:
        every = max(1, sum(count_pairs(r1).values()) // args.pairs)
        s1, s2 = args.workdir / "in_R1.fastq.gz", args.workdir / "in_R2.fastq.gz"
        subsample(r1, s1, every)
        subsample(r2, s2, every)
        r1, r2 = s1, s2
    fp = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["qc"]["fastp"]
    settings = {
        "old": {**fp, "shotgun_adapter_detection": "detect"},
        "new": {**fp, "shotgun_adapter_detection": "overlap"},
    }
    pairs_in = count_pairs(r1)
    species = {
        f[0]: f[-1]
        for f in (line.split("\t") for line in (MOCK / "taxonomy.tsv").read_text().splitlines()[1:])
    }
    gc = gc_of_genomes()
    kept, options = {}, {}
    for label, cfg in settings.items():
        options[label] = fastp_options(cfg, host=False)
        kept[label] = run_fastp(r1, r2, args.workdir / label, options[label], args.threads)
    rows = []
    for g in sorted(pairs_in, key=lambda g: gc.get(g, 0)):
        row = {"genome": g, "species": species.get(g, "?"), "gc": gc.get(g), "pairs": pairs_in[g]}
        for label in settings:
            lost = pairs_in[g] - kept[label][g]
            row[f"lost_{label}"] = lost
            row[f"lost_pct_{label}"] = 100 * lost / pairs_in[g]
        rows.append(row)
    print(f"{sum(pairs_in.values()):,} pairs, {len(rows)} genomes")
    for label in settings:
        print(f"  {label}: fastp {options[label]}")
    print("genome\tspecies\tGC\tpairs\tlost old (%)\tlost new (%)")
    for r in rows:
        print(
            f"{r['genome']}\t{r['species']}\t{r['gc']:.3f}\t{r['pairs']}\t"
            f"{r['lost_old']} ({r['lost_pct_old']:.2f})\t{r['lost_new']} ({r['lost_pct_new']:.2f})"
        )
    summary = {}
    for label in settings:
        pct = [r[f"lost_pct_{label}"] for r in rows]
        summary[label] = {
            "min_pct": min(pct),
            "max_pct": max(pct),
            "spread_pct": max(pct) - min(pct),
        }
        print(
            f"{label}: loss per genome {min(pct):.2f}-{max(pct):.2f} % "
            f"(spread {max(pct) - min(pct):.2f} percentage points)"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"options": options, "rows": rows, "summary": summary}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
