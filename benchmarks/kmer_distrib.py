"""Speed of the Bracken k-mer distribution build: holobiont.microbiome.bracken.build_kmer_distrib against the
real ``bracken-build`` on the same Kraken 2 database, in the same run (not part of the suite).

The database is built with the real ``kraken2-build`` from the 15 RefSeq genomes of the KMCP
mock (``../shared/data/shotgun_mock15/refs``, custom taxdump; library written by
``holobiont.microbiome.shotgun.prepare_library`` as the pipeline's ``kraken2_library`` rule does) and kept in
the work directory. Bracken is built from ``../shared/tools/bracken`` (``make -C src``, needs
g++). Both builders get the same read length, threads and database; ``bracken-build`` is run
from scratch each time (its ``database.kraken`` removed). The two files are compared on their
integers (every ``genome:mapped:total`` triple); the script prints both wall times and their
ratio, the CPU seconds (user + system, children included) and their ratio (the fairer figure on
a shared machine), the best of ``--repeats`` runs, and exits 1 if the files differ.

Usage::

    python benchmarks/kmer_distrib.py [--workdir DIR] [--threads N] [--read-length L]
        [--repeats N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import shotgun_mock  # noqa: E402

from holobiont.microbiome.bracken import build_kmer_distrib  # noqa: E402
from holobiont.microbiome.shotgun import Taxonomy, genome_files, prepare_library  # noqa: E402

# ../shared beside the project; HOLOBIONT_SHARED points elsewhere (as for the tests)
SHARED = Path(os.environ.get("HOLOBIONT_SHARED", ROOT.parent / "shared"))
MOCK = shotgun_mock.MOCK = SHARED / "data" / "shotgun_mock15"
BRACKEN_SRC = SHARED / "tools" / "bracken"


def build_database(work: Path, threads: int) -> tuple[Path, Path]:
    """The mock's Kraken 2 database (kept between runs) and its library FASTA."""
    db, lib = work / "db", work / "library.fna"
    if (db / "hash.k2d").exists() and lib.exists():
        return db, lib
    taxonomy = Taxonomy.from_dir(MOCK / "taxdump-custom")
    seqmap = work / "mock.seqid2taxid"
    shotgun_mock.write_seqid2taxid(seqmap, taxonomy)
    mapping = dict(line.split("\t") for line in seqmap.read_text().split("\n") if line)
    prepare_library(
        genome_files(MOCK / "refs"), taxonomy, lib, work / "library.map", seqid2taxid=mapping
    )
    shutil.rmtree(db, ignore_errors=True)
    (db / "taxonomy").mkdir(parents=True)
    for name in ("names.dmp", "nodes.dmp"):
        shutil.copy(MOCK / "taxdump-custom" / name, db / "taxonomy" / name)
    for args in (["--add-to-library", str(lib)], ["--build", "--threads", str(threads)]):
        subprocess.run(["kraken2-build", "--db", str(db), *args], check=True, capture_output=True)
    shutil.rmtree(db / "library")
    return db, lib


def build_bracken(work: Path) -> Path:
    tool = work / "bracken" / "bracken-build"
    if not tool.exists():
        shutil.rmtree(work / "bracken", ignore_errors=True)
        shutil.copytree(BRACKEN_SRC, work / "bracken")
        subprocess.run(
            ["make", "-C", str(work / "bracken" / "src")], check=True, capture_output=True
        )
    return tool


def run_bracken_build(tool: Path, db: Path, lib: Path, read_length: int, threads: int) -> Path:
    """bracken-build from scratch on a view of `db` with its library and taxonomy."""
    view = db.parent / "bracken_view"
    shutil.rmtree(view, ignore_errors=True)
    (view / "library").mkdir(parents=True)
    for name in ("hash.k2d", "opts.k2d", "taxo.k2d", "seqid2taxid.map"):
        (view / name).symlink_to((db / name).resolve())
    (view / "library" / "library.fna").symlink_to(lib.resolve())
    (view / "taxonomy").symlink_to((db / "taxonomy").resolve())
    cmd = [str(tool), "-d", str(view), "-t", str(threads), "-k", "35", "-l", str(read_length)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    out = view / f"database{read_length}mers.kmer_distrib"
    if res.returncode or not out.exists():
        sys.exit(f"bracken-build failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    return out


def triples(path: Path) -> dict[str, dict[str, tuple[int, int]]]:
    out = {}
    for line in path.read_text().splitlines()[1:]:
        mapped, _, rest = line.partition("\t")
        out[mapped] = {g: (int(m), int(t)) for g, m, t in (x.split(":") for x in rest.split())}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "holobiont-kmer")
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--read-length", type=int, default=150)
    ap.add_argument("--repeats", type=int, default=1, help="timed runs of each (best kept)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if not MOCK.exists() or not (BRACKEN_SRC / "src" / "Makefile").exists():
        print(f"needs {MOCK} and {BRACKEN_SRC} (../shared)", file=sys.stderr)
        return 2
    args.workdir.mkdir(parents=True, exist_ok=True)
    db, lib = build_database(args.workdir, args.threads)
    tool = build_bracken(args.workdir)
    ours_path = args.workdir / f"ours{args.read_length}.kmer_distrib"
    times = {"holobiont": [], "bracken-build": []}
    cpu = {"holobiont": [], "bracken-build": []}

    def cpu_now() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), cpu_now()
        theirs_path = run_bracken_build(tool, db, lib, args.read_length, args.threads)
        times["bracken-build"].append(time.perf_counter() - t0)
        cpu["bracken-build"].append(cpu_now() - c0)
        t0, c0 = time.perf_counter(), cpu_now()
        stats = build_kmer_distrib(
            lib, db, ours_path, read_length=args.read_length, threads=args.threads
        )
        times["holobiont"].append(time.perf_counter() - t0)
        cpu["holobiont"].append(cpu_now() - c0)
    same = triples(ours_path) == triples(theirs_path)
    best = {k: min(v) for k, v in times.items()}
    best_cpu = {k: min(v) for k, v in cpu.items()}
    result = {
        "database": "shotgun_mock15 (15 RefSeq genomes)",
        "library_bp": lib.stat().st_size,
        "read_length": args.read_length,
        "threads": args.threads,
        "windows": stats["windows"],
        "seconds": best,
        "cpu_seconds": best_cpu,
        "ratio_ours_over_bracken_build": best["holobiont"] / best["bracken-build"],
        "cpu_ratio_ours_over_bracken_build": best_cpu["holobiont"] / best_cpu["bracken-build"],
        "load_average_1min": os.getloadavg()[0],
        "identical_content": same,
    }
    print(
        f"kmer_distrib L={args.read_length}, {args.threads} threads, {stats['windows']:,} windows: "
        f"holobiont {best['holobiont']:.1f} s, bracken-build {best['bracken-build']:.1f} s, "
        f"ratio {result['ratio_ours_over_bracken_build']:.2f} (CPU {best_cpu['holobiont']:.1f} s "
        f"vs {best_cpu['bracken-build']:.1f} s, ratio "
        f"{result['cpu_ratio_ours_over_bracken_build']:.2f}; load {result['load_average_1min']:.1f}); "
        f"same content: {'yes' if same else 'NO'}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
