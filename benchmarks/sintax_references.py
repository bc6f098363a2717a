"""Genus-level accuracy of SINTAX with each 16S reference, on the true 16S of two mocks.

The mocks' own 16S sequences (../shared/data/16s_zymo_mock_refs, chkMocks package) are
classified by the real ``vsearch --sintax`` (one thread, ``--randseed 1``, the pipeline's
``amplicon.sintax_cutoff``, 0.8 by default) against

``demo``
    the demo cohort's SINTAX reference (V4 of 987 Greengenes 13_8 OTUs,
    ``resources/demo/data/reference/16s_sintax.fasta``);
``greengenes_13_8``
    the full Greengenes 13_8 97 % OTU set (99,322 sequences) converted by the pipeline's own
    converter (:func:`holobiont.microbiome.sintax_ref.build_greengenes_13_8`; the pipeline's cache copy
    is used when it exists).

Queries, each with the genus of the mock's own taxonomy as truth:

``zymo``
    ZymoBIOMICS D6300: the 46 16S copies of its 8 bacteria (``ZymoBiomicsAll.fasta``).
``karstens``
    Karstens et al. 2019 (mSystems) mock: the 55 phylotypes of ``MIBPhylotypes.fasta``
    (MC3 holds all 55; MC4 the same genera); 34 genus labels.

each as its V4 amplicon (515F/806R in-silico PCR of :mod:`holobiont.demo.amplicon`, primers
removed, as the ASVs of the pipeline) and, against Greengenes, also full length.

Truth names are the RDP-style names of the mock files. Fixed name rules (decided from the
two naming schemes, not from the results): ``Escherichia/Shigella`` is matched by
``Escherichia`` or ``Shigella``, ``Clostridium sensu stricto`` by ``Clostridium``; the RDP
cluster labels ``Clostridium XI``, ``Clostridium IV``, ``Lachnospiracea_incertae_sedis`` and
``Ruminococcus2`` have no genus of that name in either reference, so their phylotypes
(6 of Karstens' 55) are *not judged*: left out of both recall and precision and listed.

Figures (per mock, query type and reference):

- per sequence: recall = sequences whose confident genus is the true one / judged sequences;
  precision = the same / judged sequences with a confident genus;
- per genus (presence, as a mock is usually read): recall = true genera named confidently for
  at least one of their sequences / true genera; precision = confident genus names that are
  a true genus / distinct confident genus names.

Usage::

    python benchmarks/sintax_references.py [--workdir DIR] [--cutoff 0.8] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from holobiont.demo import amplicon as amp  # noqa: E402
from holobiont.microbiome.amplicon import read_fasta  # noqa: E402
from holobiont.microbiome.sintax_ref import build_greengenes_13_8  # noqa: E402

#: ../shared beside the project; HOLOBIONT_SHARED points elsewhere (a worktree)
SHARED = Path(os.environ.get("HOLOBIONT_SHARED", ROOT.parent / "shared"))
MOCKS = SHARED / "data" / "16s_zymo_mock_refs"
DEMO_REF = ROOT / "resources" / "demo" / "data" / "reference" / "16s_sintax.fasta"
GG_CACHE = ROOT / "resources" / "cache" / "16s" / "greengenes_13_8_97_sintax.fasta"
#: truth genus -> predicted names that match it (every other truth genus: itself)
SYNONYMS = {
    "escherichia/shigella": {"escherichia", "shigella"},
    "clostridium sensu stricto": {"clostridium"},
}


def _norm(name: str) -> str:
    return " ".join(name.replace("[", "").replace("]", "").replace("_", " ").split()).lower()


NOT_JUDGED = {
    _norm(g)
    for g in ("Clostridium XI", "Clostridium IV", "Lachnospiracea_incertae_sedis", "Ruminococcus2")
}


def truth_matches(truth: str, predicted: str) -> bool:
    t, p = _norm(truth), _norm(predicted)
    return p in {_norm(x) for x in SYNONYMS.get(t, {t})}


def load_queries() -> dict[str, list[tuple[str, str, str, str]]]:
    """``{mock: [(query_id, genus, v4_amplicon, full_length)]}``."""
    out: dict[str, list] = {}
    for mock, fasta in (("zymo", "ZymoBiomicsAll.fasta"), ("karstens", "MIBPhylotypes.fasta")):
        rows = []
        for i, (label, seq) in enumerate(read_fasta(MOCKS / "inst" / "extdata" / fasta)):
            lineage = label.rstrip(";").split(";")
            prod = amp.in_silico_pcr(seq)
            if prod is None:
                raise SystemExit(f"{fasta}: no V4 product for record {i + 1} ({label})")
            amplicon = prod.product[len(amp.PRIMER_F) : len(prod.product) - len(amp.PRIMER_R)]
            rows.append((f"{mock}{i + 1}", lineage[5], amplicon, seq))
        out[mock] = rows
    return out


def run_sintax(queries: list[tuple[str, str]], db: Path, cutoff: float, work: Path) -> dict:
    """``{query_id: (confident genus or "", top-hit genus or "")}`` from vsearch --sintax."""
    fa, tsv = work / "q.fasta", work / "sintax.tsv"
    fa.write_text("".join(f">{q}\n{s}\n" for q, s in queries))
    subprocess.run(
        ["vsearch", "--sintax", str(fa), "--db", str(db), "--tabbedout", str(tsv),
         "--sintax_cutoff", str(cutoff), "--strand", "both", "--randseed", "1",
         "--threads", "1", "--quiet"],
        check=True,
    )  # fmt: skip
    out = {}
    for line in tsv.read_text().splitlines():
        f = line.split("\t") + ["", "", ""]
        top = {t.split(":", 1)[0]: t.split(":", 1)[1].split("(")[0] for t in f[1].split(",") if t}
        conf = {t.split(":", 1)[0]: t.split(":", 1)[1] for t in f[3].split(",") if ":" in t}
        out[f[0].split(";")[0]] = (conf.get("g", ""), top.get("g", ""))
    return out


def evaluate(rows, calls) -> dict:
    judged = [r for r in rows if _norm(r[1]) not in NOT_JUDGED]
    correct = sum(truth_matches(r[1], calls[r[0]][0]) for r in judged)
    with_genus = sum(bool(calls[r[0]][0]) for r in judged)
    wrong = [
        (r[1], calls[r[0]][0])
        for r in judged
        if calls[r[0]][0] and not truth_matches(r[1], calls[r[0]][0])
    ]
    withheld = sum(
        not calls[r[0]][0] and truth_matches(r[1], calls[r[0]][1]) for r in judged
    )  # right top hit below the cutoff
    by_genus: dict[str, set[str]] = defaultdict(set)
    for r in judged:
        if calls[r[0]][0]:
            by_genus[r[1]].add(calls[r[0]][0])
    true_genera = sorted({r[1] for r in judged})
    found = [g for g in true_genera if any(truth_matches(g, p) for p in by_genus.get(g, ()))]
    named = {_norm(calls[r[0]][0]) for r in judged if calls[r[0]][0]}
    named_true = {p for p in named if any(truth_matches(g, p) for g in true_genera)}
    missed = sorted(set(true_genera) - set(found))
    return {
        "sequences": len(rows),
        "judged": len(judged),
        "not_judged": sorted({r[1] for r in rows} - {r[1] for r in judged}),
        "seq_correct": correct,
        "seq_with_genus": with_genus,
        "seq_recall": correct / len(judged),
        "seq_precision": correct / with_genus if with_genus else float("nan"),
        "seq_withheld_right_top_hit": withheld,
        "wrong_calls": sorted(set(wrong)),
        "genera": len(true_genera),
        "genera_found": len(found),
        "genus_recall": len(found) / len(true_genera),
        "genus_names": len(named),
        "genus_precision": len(named_true) / len(named) if named else float("nan"),
        "genera_missed": missed,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--cutoff", type=float, default=0.8)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if not MOCKS.exists():
        print(f"skipped: {MOCKS} is absent", file=sys.stderr)
        return 0
    work = args.workdir or Path(tempfile.gettempdir()) / "holobiont-sintax-references"
    work.mkdir(parents=True, exist_ok=True)
    gg = GG_CACHE
    if not gg.exists():
        import importlib.metadata

        import qiime_default_reference as qdr

        gg = work / "greengenes_13_8_97_sintax.fasta"
        if not gg.exists():
            build_greengenes_13_8(
                qdr.get_reference_sequences(), qdr.get_reference_taxonomy(),
                importlib.metadata.version("qiime-default-reference"), gg, f"{gg}.json",
                log=sys.stderr,
            )  # fmt: skip
    queries = load_queries()
    results = []
    for ref_name, db in (("demo", DEMO_REF), ("greengenes_13_8", gg)):
        for kind in ("V4", "full length"):
            if ref_name == "demo" and kind == "full length":
                continue  # the demo reference holds V4 only
            for mock, rows in queries.items():
                t0 = time.perf_counter()
                seqs = [(r[0], r[2] if kind == "V4" else r[3]) for r in rows]
                calls = run_sintax(seqs, db, args.cutoff, work)
                res = evaluate(rows, calls)
                res.update(mock=mock, reference=ref_name, query=kind, cutoff=args.cutoff)
                res["seconds"] = round(time.perf_counter() - t0, 1)
                results.append(res)
                print(
                    f"{mock:9s} {kind:11s} {ref_name:16s} seq recall {res['seq_correct']}/"
                    f"{res['judged']} = {res['seq_recall']:.3f}, precision "
                    f"{res['seq_correct']}/{res['seq_with_genus']} = {res['seq_precision']:.3f}"
                    f" | genera {res['genera_found']}/{res['genera']} = "
                    f"{res['genus_recall']:.3f}, precision {res['genus_precision']:.3f}"
                    f" | missed {', '.join(res['genera_missed']) or '-'}"
                    f" | wrong {res['wrong_calls'] or '-'} ({res['seconds']} s)"
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
