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
    Targets (confident regions only, issue 13): SNV F1 >= 0.995, INDEL F1 >= 0.97.
``demo``
    The embedded demo cohort's host libraries (``make demo-data``); calls of each patient
    compared with the planted truth (``resources/demo/data/truth/P0x.host.vcf.gz``) within the
    PGx target BED, per patient and pooled.
``reads`` (any data set: ``--reads R1 R2 --truth VCF --reference FASTA [--confident BED]``)
    Held-out real reads of one sample with their truth VCF (e.g. a GIAB sample and its
    benchmark VCF + BED), run as one ``--assay`` library (``host_wgs`` by default; ``host_wes``
    / ``host_panel`` need ``--targets BED``) against ``--reference``, with the pipeline's
    reference check on. Figures inside ``--confident`` only; without it the whole truth is
    compared and the targets are not judged. Replaces ``giab`` and ``demo`` in that run.

Comparison: :mod:`holobiont.host.vcfcompare` (bcftools-normalised, genotype-aware record matching,
PASS query records only). Usage::

    python benchmarks/host_accuracy.py [--only giab|demo] [--workdir DIR] [--cores N]
        [--set KEY=VALUE ...] [--skip-run] [--confident BED] [--json OUT] [--strict]
    python benchmarks/host_accuracy.py --reads R1.fq.gz R2.fq.gz --truth truth.vcf.gz
        --reference GRCh38.fa [--confident conf.bed] [--assay host_wgs] [--targets BED] ...

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
TARGETS = {"SNV": 0.995, "INDEL": 0.97}
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


def link_reference(src: Path, workdir: Path) -> Path:
    """Symlink a FASTA and its indexes (.fai, .gzi, .dict) into ``workdir``, so that the
    pipeline's samtools faidx writes there, never beside the source (../shared, read-only)."""
    from holobiont.host.genome_build import dict_path

    dst = workdir / src.name
    companions = [(src, dst)]
    companions += [(Path(f"{src}{e}"), Path(f"{dst}{e}")) for e in (".fai", ".gzi")]
    companions.append((dict_path(src), dict_path(dst)))
    for a, b in companions:
        if a.exists() and not b.exists():
            b.symlink_to(a.resolve())
    return dst


def bench_reads(
    name: str,
    workdir: Path,
    cores: int,
    skip_run: bool,
    settings: list[str],
    *,
    fasta: Path,
    reads: tuple[Path, Path],
    truth: Path,
    confident: Path | None,
    whole: Path | None = None,
    assay: str = "host_wgs",
    targets: Path | None = None,
    check_reference: bool = True,
    sample: str = "BENCH-host",
) -> dict:
    """Run one library through the host stage and compare its calls with ``truth``: inside
    ``confident`` when given, else inside ``whole`` (None: every truth record)."""
    workdir.mkdir(parents=True, exist_ok=True)
    fasta = link_reference(fasta, workdir)
    sheet = write_sheet(
        workdir / "samples.tsv",
        [
            {
                "patient_id": sample.removesuffix("-host"),
                "sample_id": sample,
                "assay": assay,
                "unit": "L001",
                "fastq_1": reads[0].resolve(),
                "fastq_2": reads[1].resolve(),
            }
        ],
    )
    refs = references(fasta)
    if targets is not None:
        refs["targets_bed"] = str(targets.resolve())
    overrides = {
        "samples": str(sheet),
        "references": refs,
        "host": {"check_reference": check_reference},
    }
    for a in settings:
        set_key(overrides, a)
    vcf = f"results/host/vcf/{sample}.vcf.gz"
    wall = None if skip_run else run_snakemake(workdir, [vcf], overrides, cores)
    comp = compare_vcfs(truth, workdir / vcf, reference=fasta, confident=confident or whole)
    write_report(comp, workdir / f"{name}.vcfcompare")
    return {
        "name": name,
        "label": sample.removesuffix("-host"),
        "wall_s": wall,
        "comparison": comp,
        "workdir": str(workdir),
        "confident": str(confident) if confident else None,
    }


def bench_giab(
    workdir: Path, cores: int, skip_run: bool, settings: list[str], confident: Path | None
) -> dict:
    if not GIAB.exists():
        raise SystemExit(f"{GIAB} is absent (../shared developer data): cannot run the GIAB bench")
    return bench_reads(
        "giab",
        workdir,
        cores,
        skip_run,
        settings,
        fasta=GIAB / "genome.fasta",
        reads=(GIAB / "NA12878.chr22_R1.fastq.gz", GIAB / "NA12878.chr22_R2.fastq.gz"),
        truth=GIAB / "truth.HG001_v4.2.1.localcoords.vcf",
        confident=confident,
        # genome.bed is the whole window, NOT a confident-region BED
        whole=GIAB / "genome.bed",
        # the slice holds no PGx gene, so the GRCh38 / catalog check cannot pass
        check_reference=False,
        sample=GIAB_SAMPLE,
    )


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


def report_comparison(
    what: str, whole: str, g: dict, confident: Path | None, missed: list[str]
) -> dict:
    """Print one read benchmark (table, targets, FP / FN) and return its JSON part. The
    targets are judged only inside a confident-region BED; misses are appended to ``missed``."""
    comp = g["comparison"]
    if confident:
        title = f"{what}, inside confident regions ({confident})"
    else:
        title = (
            f"{what}, {whole}: no confident-region BED, so these are not confident-region"
            " figures (an FP may be a real variant the truth does not assess there)"
        )
    print_table(title, {g["label"]: comp.metrics})
    for t, target in TARGETS.items():
        f1 = comp.metrics[t].f1
        if not confident:
            print(
                f"{t} F1 {fmt(f1)} over the {whole.lower()}; target >= {target} on confident"
                " regions: not judged (no confident-region BED)"
            )
            continue
        ok = f1 == f1 and f1 >= target
        print(f"{t} F1 {fmt(f1)} (target >= {target}): {'met' if ok else 'MISSED'}")
        if not ok:
            missed.append(f"{g['name']} {t}")
    for kind, items in (("FP", comp.false_positives), ("FN", comp.false_negatives)):
        for d in items:
            v = d.variant
            print(f"  {kind} {v.vtype} {v.chrom}:{v.pos} {v.ref}>{v.alt} {v.zygosity}", end="")
            print(f" ({d.reason}{' vs ' + d.other_zygosity if d.other_zygosity else ''})")
    return {
        "wall_s": g["wall_s"],
        "workdir": g["workdir"],
        "region": "confident" if confident else f"{whole.lower()} (no confident BED)",
        "confident": g["confident"],
        "confident_bp": comp.info.get("confident_bp") if confident else None,
        "metrics": {t: m.as_dict() for t, m in comp.metrics.items()},
        "normalisation": {k: comp.info[k] for k in comp.info if k.endswith("normalisation")},
    }


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
        help="confident-region BED: of the truth with --reads; for giab in the slice's local"
        " coordinates (../shared has none)",
    )
    ap.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a target is missed (judged with --confident only)",
    )
    held = ap.add_argument_group(
        "any data set (held-out reads): run instead of giab and demo",
    )
    held.add_argument("--reads", nargs=2, type=Path, metavar=("R1", "R2"), help="FASTQ pair")
    held.add_argument("--truth", type=Path, help="truth VCF of the sample")
    held.add_argument("--reference", type=Path, help="FASTA the truth is on (GRCh38)")
    held.add_argument("--assay", default="host_wgs", choices=["host_wgs", "host_wes", "host_panel"])
    held.add_argument("--targets", type=Path, help="capture BED (host_wes / host_panel)")
    args = ap.parse_args(argv)

    report: dict = {"targets_giab": TARGETS, "settings": args.set}
    missed = []
    if args.reads:
        missing = [o for o in ("truth", "reference") if getattr(args, o) is None]
        if missing:
            ap.error("--reads needs " + " and ".join(f"--{o}" for o in missing))
        if args.assay != "host_wgs" and args.targets is None:
            ap.error(f"--assay {args.assay} needs --targets (the capture BED)")
        g = bench_reads(
            "reads",
            args.workdir / "reads",
            args.cores,
            args.skip_run,
            args.set,
            fasta=args.reference,
            reads=tuple(args.reads),
            truth=args.truth,
            confident=args.confident,
            assay=args.assay,
            targets=args.targets,
        )
        what = f"{args.reads[0].name} ({args.assay}) vs {args.truth.name}"
        report["reads"] = report_comparison(what, "whole truth", g, args.confident, missed)
        args.only = "reads"  # the GIAB slice and the demo are not run with --reads
    if args.only in (None, "giab"):
        g = bench_giab(args.workdir / "giab", args.cores, args.skip_run, args.set, args.confident)
        what = "GIAB HG001 chr22 40 kb slice"
        report["giab"] = report_comparison(what, "WHOLE WINDOW", g, args.confident, missed)
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
