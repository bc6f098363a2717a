"""Scattered WGS calling: wall time of 1 vs N reference chunks, locally and on SLURM.

Data: one WGS-like host sample from the demo generator (``python -m holobiont.demo
--large-wgs-flank``: the demo's PGx windows widened to several Mb of sequence, patient P03's
planted genome, 2x150 reads at 30x). The BAM is made once; then only the calling targets
(``results/host/vcf``, ``results/host/gvcf``) are run with ``host.scatter.chunks`` = 1 and = N,
each from an empty calling directory, with ``--cores 2`` (and, with ``--slurm``, through
``--profile workflow/profiles/slurm-local`` on the cluster ``tools/slurm_local.sh`` starts).
Printed: wall times and the ratio N-chunk / 1-chunk measured in the same run, and the check
that both runs agree: the VCFs byte for byte; the gVCFs in header, variant records and covered
sites (a chunk border that must fall in sequence -- no assembly gap near it -- splits the
reference block there in two, so the block count may differ).

Not part of the test suite (minutes)::

    .venv/bin/python benchmarks/host_scatter.py [--flank 300000] [--chunks 4] [--slurm]
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from _pipeline import run_snakemake

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = "P03-host"
SLURM_CONF = "/etc/slurm/slurm.conf"  # written by tools/slurm_local.sh


def _vcf_text(path: Path) -> tuple[list[str], list[str]]:
    with gzip.open(path, "rt") as fh:
        lines = fh.read().splitlines()
    return [x for x in lines if x.startswith("#")], sorted(x for x in lines if x[:1] != "#")


def _gvcf_summary(body: list[str]) -> tuple[list[str], list[tuple[str, int, int]], int]:
    """Variant records, covered intervals of the reference blocks (adjacent blocks merged:
    a border in sequence splits a block in two) and the number of block records."""
    variants, blocks = [], []
    for line in body:
        f = line.split("\t")
        end = next((int(x[4:]) for x in f[7].split(";") if x.startswith("END=")), None)
        if end is None:
            variants.append(line)
        else:
            blocks.append((f[0], int(f[1]), end))
    merged: list[list] = []
    for chrom, start, end in sorted(blocks):
        if merged and merged[-1][0] == chrom and start <= merged[-1][2] + 1:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([chrom, start, end])
    return variants, [tuple(m) for m in merged], len(blocks)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/holobiont_host_scatter", help="work directory")
    ap.add_argument("--flank", type=int, default=300_000, help="demo window widening (bases)")
    ap.add_argument("--coverage", type=float, default=30.0)
    ap.add_argument("--chunks", type=int, default=4, help="N of the scattered run")
    ap.add_argument("--slurm", action="store_true", help="also run both on the local SLURM")
    args = ap.parse_args(argv)
    work = Path(args.work)
    data = work / f"data_flank{args.flank}_cov{args.coverage:g}"
    if not (data / "samples.tsv").exists():
        t0 = time.monotonic()
        subprocess.run(
            [
                sys.executable, "-m", "holobiont.demo", "--out", str(data),
                "--large-wgs-flank", str(args.flank),
                "--large-wgs-coverage", str(args.coverage),
            ],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")},
        )  # fmt: skip
        print(f"generated {data} in {time.monotonic() - t0:.0f} s")
    info = yaml.safe_load((data / "large_wgs_info.json").read_text())
    print(
        f"data: {info['reference_sequence_bases'] / 1e6:.2f} Mb of sequence "
        f"({info['windows']} windows on {info['reference_total_length'] / 1e6:.0f} Mb of "
        f"contigs), {info['pairs']} read pairs ({args.coverage:g}x)"
    )
    ref = data / "reference"
    base = {
        "samples": str(data / "samples.tsv"),
        "references": {
            "host_fasta": str(ref / "demo_grch38.fa.gz"),
            "targets_bed": str(ref / "pgx_targets.bed"),
        },
    }
    local = {"SLURM_CONF": os.devnull}
    run = work / "run"
    bam = f"results/host/bam/{SAMPLE}.bam"
    if not (run / bam).exists():
        t = run_snakemake(run, [bam], base, None, ["--cores", "2"], local)
        print(f"alignment (once, not compared): {t:.0f} s")
    targets = [f"results/host/vcf/{SAMPLE}.vcf.gz", f"results/host/gvcf/{SAMPLE}.g.vcf.gz"]

    def calling(chunks: int, extra, env, label) -> float:
        for d in ("vcf", "gvcf", "chunks"):
            shutil.rmtree(run / "results/host" / d, ignore_errors=True)
        over = {**base, "host": {"scatter": {"chunks": chunks}}}
        t = run_snakemake(run, targets, over, None, extra, env)
        out = {p: _vcf_text(run / p) for p in targets}
        print(f"{label}: {chunks} chunk(s): {t:.1f} s")
        return t, out

    plan = run / "results/host/chunks/plan.tsv"
    results = {}
    modes = [("local --cores 2", ["--cores", "2"], local)]
    if args.slurm:
        started = subprocess.run(
            [str(ROOT / "tools/slurm_local.sh"), "start"],
            capture_output=True,
            text=True,
            env={**os.environ, "SLURM_LOCAL_CPUS": "8", "SLURM_CONF": SLURM_CONF},
        )
        if started.returncode != 0:
            raise SystemExit(started.stdout + started.stderr)
        logdir = work / "slurm_logs"
        modes.append(
            (
                "SLURM (slurm-local profile)",
                ["--profile", str(ROOT / "workflow/profiles/slurm-local"), "--slurm-logdir",
                 str(logdir)],
                {"SLURM_CONF": SLURM_CONF},
            )
        )  # fmt: skip
    try:
        for label, extra, env in modes:
            t1, out1 = calling(1, extra, env, label)
            tn, outn = calling(args.chunks, extra, env, label)
            rows = plan.read_text().splitlines()[1:]
            print(f"{label}: chunk plan: " + "; ".join(r.replace("\t", " ") for r in rows))
            vcf, gvcf = targets
            same_vcf = out1[vcf] == outn[vcf]
            g1, gn = _gvcf_summary(out1[gvcf][1]), _gvcf_summary(outn[gvcf][1])
            same_gvcf = out1[gvcf] == outn[gvcf]
            same_sites = g1[:2] == gn[:2] and out1[gvcf][0] == outn[gvcf][0]
            results[label] = (t1, tn, same_vcf and same_sites)
            print(
                f"{label}: {args.chunks} chunks / 1 chunk = {tn / t1:.2f} "
                f"({tn:.1f} s / {t1:.1f} s); VCF ({len(out1[vcf][1])} records) identical: "
                f"{same_vcf}; gVCF identical: {same_gvcf}, same variant records and covered "
                f"sites: {same_sites}, reference blocks {g1[2]} vs {gn[2]} (a border in "
                "sequence splits one)"
            )
    finally:
        if args.slurm and "already up" not in started.stdout:
            subprocess.run(
                [str(ROOT / "tools/slurm_local.sh"), "stop"],
                capture_output=True,
                env={**os.environ, "SLURM_CONF": SLURM_CONF},
            )
    return 0 if all(s for _, _, s in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
