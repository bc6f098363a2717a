"""Accuracy of the host variant calls: run the pipeline's host stage, compare with truth sets.

Two benchmarks, each running the real tools through Snakemake in its own work directory:

``giab``
    GIAB HG001 (NA12878) real 2x150 reads of a 40 kb GRCh38 chr22 slice (../shared, ~37x),
    one ``host_wgs`` sample aligned to the slice itself; calls compared with the NISTv4.2.1
    truth shifted to the slice's local coordinates. Figures *inside confident regions* are
    reported only with a confident-region BED (``--confident BED``, in the slice's local
    coordinates). ``../shared`` has none for this slice: the comparison then covers the whole
    window, says so, and does not judge the targets, because a call absent from the truth
    there may lie outside GIAB's benchmark regions (and a truth with gaps rewards missing real
    variants). For a truth complete by construction see ``host_simulated.py``.
    Targets (confident regions only): SNV F1 >= 0.99, INDEL F1 >= 0.95.
``demo``
    The embedded demo cohort's host libraries (``make demo-data``); calls of each patient
    compared with the planted truth (``resources/demo/data/truth/P0x.host.vcf.gz``) within the
    PGx target BED, per patient and pooled.

Comparison: :mod:`holobiont.host.vcfcompare` (bcftools-normalised, genotype-aware record matching,
PASS query records only). Usage::

    python benchmarks/host_accuracy.py [--only giab|demo] [--workdir DIR] [--cores N]
        [--set KEY=VALUE ...] [--skip-run] [--confident BED] [--json OUT] [--strict]

The work directories (default ``$TMPDIR/holobiont-host-accuracy``) are kept, so the BAMs can be
inspected afterwards (``<workdir>/giab/results/host/bam/HG001-host.bam``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from _pipeline import run_snakemake, write_sheet  # noqa: E402

from holobiont.host.vcfcompare import Comparison, compare_vcfs, write_report  # noqa: E402

# ../shared beside the project (as in CI); HOLOBIONT_SHARED points elsewhere (a worktree)
SHARED = Path(os.environ.get("HOLOBIONT_SHARED", ROOT.parent / "shared"))
GIAB = SHARED / "data" / "host_giab_hg001_chr22_grch38"
DEMO = ROOT / "resources" / "demo" / "data"
TARGETS = {"SNV": 0.99, "INDEL": 0.95}
GIAB_SAMPLE = "HG001-host"


def references(host_fasta: Path) -> dict:
    """Absolute reference paths (Snakemake runs in the work directory)."""
    return {
        "host_fasta": str(host_fasta),
        "targets_bed": str(DEMO / "reference" / "pgx_targets.bed"),
        "pgx_catalog": str(ROOT / "resources" / "pgx"),
        "sintax_16s": str(DEMO / "reference" / "16s_sintax.fasta"),
    }


def set_key(overrides: dict, assignment: str) -> None:
    """Apply ``a.b.c=value`` (value parsed as YAML) to a nested overrides dict."""
    key, _, value = assignment.partition("=")
    if not key or not _:
        raise SystemExit(f"--set expects KEY=VALUE (e.g. host.aligner=bwa), not {assignment!r}")
    *parents, leaf = key.split(".")
    node = overrides
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = yaml.safe_load(value)


def bench_giab(
    workdir: Path, cores: int, skip_run: bool, settings: list[str], confident: Path | None
) -> dict:
    if not GIAB.exists():
        raise SystemExit(f"{GIAB} is absent (../shared developer data): cannot run the GIAB bench")
    workdir.mkdir(parents=True, exist_ok=True)
    # a symlink, so that the pipeline's samtools faidx writes its .fai here, not into ../shared
    fasta = workdir / "genome.fasta"
    if not fasta.exists():
        fasta.symlink_to(GIAB / "genome.fasta")
    sheet = write_sheet(
        workdir / "samples.tsv",
        [
            {
                "patient_id": "HG001",
                "sample_id": GIAB_SAMPLE,
                "assay": "host_wgs",
                "unit": "L001",
                "fastq_1": GIAB / "NA12878.chr22_R1.fastq.gz",
                "fastq_2": GIAB / "NA12878.chr22_R2.fastq.gz",
            }
        ],
    )
    overrides = {
        "samples": str(sheet),
        "references": references(fasta),
        # the slice holds no PGx gene, so the GRCh38 / catalog check cannot pass
        "host": {"check_reference": False},
    }
    for a in settings:
        set_key(overrides, a)
    vcf = f"results/host/vcf/{GIAB_SAMPLE}.vcf.gz"
    wall = None if skip_run else run_snakemake(workdir, [vcf], overrides, cores)
    comp = compare_vcfs(
        GIAB / "truth.HG001_v4.2.1.localcoords.vcf",
        workdir / vcf,
        reference=fasta,
        # genome.bed is the whole window, NOT a confident-region BED
        confident=confident or GIAB / "genome.bed",
    )
    write_report(comp, workdir / "giab.vcfcompare")
    return {
        "name": "giab",
        "wall_s": wall,
        "comparison": comp,
        "workdir": str(workdir),
        "confident": str(confident) if confident else None,
    }


def bench_demo(workdir: Path, cores: int, skip_run: bool, settings: list[str]) -> dict:
    if not (DEMO / "samples.tsv").exists():
        raise SystemExit("demo cohort not generated: run `make demo-data` first")
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    with open(DEMO / "samples.tsv") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            r = dict(zip(header, line.rstrip("\n").split("\t"), strict=True))
            if r["assay"].startswith("host_"):
                r["fastq_1"] = ROOT / r["fastq_1"]
                r["fastq_2"] = ROOT / r["fastq_2"]
                rows.append(r)
    sheet = write_sheet(workdir / "samples.tsv", rows)
    fasta = DEMO / "reference" / "demo_grch38.fa.gz"
    overrides = {"samples": str(sheet), "references": references(fasta)}
    for a in settings:
        set_key(overrides, a)
    samples = sorted({(r["patient_id"], r["sample_id"], r["assay"]) for r in rows})
    vcfs = [f"results/host/vcf/{s}.vcf.gz" for _, s, _ in samples]
    wall = None if skip_run else run_snakemake(workdir, vcfs, overrides, cores)
    per_patient = {}
    for (patient, _sample, assay), vcf in zip(samples, vcfs, strict=True):
        comp = compare_vcfs(
            DEMO / "truth" / f"{patient}.host.vcf.gz",
            workdir / vcf,
            reference=fasta,
            targets=DEMO / "reference" / "pgx_targets.bed",
        )
        write_report(comp, workdir / f"demo.{patient}.vcfcompare")
        per_patient[f"{patient} ({assay})"] = comp
    return {"name": "demo", "wall_s": wall, "per_patient": per_patient, "workdir": str(workdir)}


def pooled(comps: list[Comparison]) -> dict[str, dict]:
    """Sum the counts of several comparisons; metrics recomputed from the sums."""
    from holobiont.host.vcfcompare import TypeMetrics

    out = {}
    for t in ("SNV", "INDEL", "ALL"):
        m = TypeMetrics(t)
        for c in comps:
            for a in ("truth_total", "tp", "fn", "query_total", "fp", "fp_gt"):
                setattr(m, a, getattr(m, a) + getattr(c.metrics[t], a))
        out[t] = m
    return out


def fmt(x) -> str:
    return "NA" if x is None or x != x else f"{x:.4f}"


def print_table(title: str, rows: dict[str, dict]) -> None:
    """``rows``: label -> {type: TypeMetrics}."""
    print(f"\n## {title}\n")
    print("| set | type | TP | FP | FN | FP.gt | precision | recall | F1 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, metrics in rows.items():
        for t in ("SNV", "INDEL"):
            m = metrics[t]
            print(
                f"| {label} | {t} | {m.tp} | {m.fp} | {m.fn} | {m.fp_gt} | {fmt(m.precision)}"
                f" | {fmt(m.recall)} | {fmt(m.f1)} |"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["giab", "demo"], help="run one benchmark only")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "holobiont-host-accuracy",
        help="work directory (kept; default: %(default)s)",
    )
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--skip-run", action="store_true", help="compare existing results only")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="config override, e.g. --set host.aligner=bwa --set 'host.filter=QUAL<30'"
        " (repeatable; use a separate --workdir per setting)",
    )
    ap.add_argument("--json", type=Path, help="write all figures as JSON here")
    ap.add_argument(
        "--confident",
        type=Path,
        help="GIAB confident-region BED in the slice's local coordinates (../shared has none)",
    )
    ap.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a GIAB target is missed (judged with --confident only)",
    )
    args = ap.parse_args(argv)

    report: dict = {"targets_giab": TARGETS, "settings": args.set}
    missed = []
    if args.only in (None, "giab"):
        g = bench_giab(args.workdir / "giab", args.cores, args.skip_run, args.set, args.confident)
        comp = g["comparison"]
        if args.confident:
            title = f"GIAB HG001 chr22 40 kb slice, inside confident regions ({args.confident})"
        else:
            title = (
                "GIAB HG001 chr22 40 kb slice, WHOLE WINDOW: no confident-region BED, so these"
                " are not confident-region figures (an FP may be a real variant GIAB does not"
                " assess there)"
            )
        print_table(title, {"HG001": comp.metrics})
        for t, target in TARGETS.items():
            f1 = comp.metrics[t].f1
            if not args.confident:
                print(
                    f"{t} F1 {fmt(f1)} over the whole window; target >= {target} on confident"
                    " regions: not judged (no confident-region BED)"
                )
                continue
            ok = f1 == f1 and f1 >= target
            print(f"{t} F1 {fmt(f1)} (target >= {target}): {'met' if ok else 'MISSED'}")
            if not ok:
                missed.append(t)
        for kind, items in (("FP", comp.false_positives), ("FN", comp.false_negatives)):
            for d in items:
                v = d.variant
                print(f"  {kind} {v.vtype} {v.chrom}:{v.pos} {v.ref}>{v.alt} {v.zygosity}", end="")
                print(f" ({d.reason}{' vs ' + d.other_zygosity if d.other_zygosity else ''})")
        report["giab"] = {
            "wall_s": g["wall_s"],
            "workdir": g["workdir"],
            "region": "confident" if args.confident else "whole window (no confident BED)",
            "confident": g["confident"],
            "metrics": {t: m.as_dict() for t, m in comp.metrics.items()},
            "normalisation": {k: comp.info[k] for k in comp.info if k.endswith("normalisation")},
        }
    if args.only in (None, "demo"):
        d = bench_demo(args.workdir / "demo", args.cores, args.skip_run, args.set)
        rows = {label: c.metrics for label, c in d["per_patient"].items()}
        rows["pooled"] = pooled(list(d["per_patient"].values()))
        print_table("Demo cohort, planted truth within pgx_targets.bed", rows)
        report["demo"] = {
            "wall_s": d["wall_s"],
            "workdir": d["workdir"],
            "per_patient": {
                k: {t: m.as_dict() for t, m in c.metrics.items()}
                for k, c in d["per_patient"].items()
            },
            "pooled": {t: m.as_dict() for t, m in rows["pooled"].items()},
        }
    out = args.json or args.workdir / "host_accuracy.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nfigures: {out}")
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
