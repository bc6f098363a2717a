"""What changed between two runs: every conclusion of the patient reports that differs.

Compares the patient report JSONs (``results/reports/<patient>.json``, schema
``workflow/schemas/patient_report.schema.json``) of an old and a new run -- e.g. before and
after a PGx catalog or database update -- and lists, per patient, every conclusion whose value
changed, as rows ``(patient, domain, item, old, new)``:

=================  ==========================  ==============================================
domain             item                        value compared
=================  ==========================  ==============================================
patient            report                      ``present`` / ``absent`` (patient added/removed)
modality           host / 16s / shotgun        the sample used, or ``not sequenced``
diplotype          gene                        the diplotype, or ``not called (<status>)``
phenotype          gene                        the CPIC phenotype
activity score     gene                        the activity score (``n/a`` when none)
guidance           gene / drug                 the CPIC guidance text and its classification
microbiome         16s / shotgun               ``profiled`` / ``not measured`` / ...
microbe-drug       drug / taxon (enzyme)       ``detected`` / ``not detected`` / ...
QC verdict         sample / unit               PASS / FAIL (with the reason when failed)
identity verdict   stool sample                the identity verdict (best-matching patient)
=================  ==========================  ==============================================

An item present in one run only has the value ``absent`` on the other side (a gene not in
one catalog version, a drug added to a guideline). Numbers that are not conclusions
(abundances, depths, diversity) are not compared.

Command line::

    python -m holobiont.report.rundiff OLD_DIR NEW_DIR --out changes.tsv

``OLD_DIR`` / ``NEW_DIR`` are a run's ``results/reports`` folder or the run folder (or its
``results/``) holding it. The TSV always has its header; with no change the command says
``no change``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import NamedTuple

from holobiont.atomic import write_text

COLUMNS = ("patient", "domain", "item", "old", "new")
ABSENT = "absent"
DOMAINS = (
    "patient",
    "modality",
    "diplotype",
    "phenotype",
    "activity score",
    "guidance",
    "microbiome",
    "microbe-drug",
    "QC verdict",
    "identity verdict",
)
#: files of results/reports that are not patient reports
NOT_PATIENT = ("cohort.json",)

Path_ = str | PathLike


class Change(NamedTuple):
    patient: str
    domain: str
    item: str
    old: str
    new: str


class RunDiffError(ValueError):
    """A folder or file that cannot be compared; the message names it and what to change."""


def _clean(value) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split())  # no tab / newline inside a TSV cell


def _score(value) -> str:
    return "n/a" if value is None else f"{value:g}"


def conclusions(report: Mapping) -> dict[tuple[str, str], str]:
    """``{(domain, item): value}`` of every conclusion of one patient report."""
    out: dict[tuple[str, str], str] = {}
    for assay, value in report.get("modalities", {}).items():
        out[("modality", assay)] = value
    for gene in report.get("host", {}).get("genes", []):
        g = gene["gene"]
        called = gene.get("status") == "called"
        if called:
            dip = gene.get("diplotype") or "(no diplotype)"
        else:
            dip = f"not called ({gene.get('status', '')})"
        out[("diplotype", g)] = dip
        out[("phenotype", g)] = gene.get("phenotype") or ""
        out[("activity score", g)] = _score(gene.get("activity_score"))
        for d in gene.get("drugs", []):
            text = d.get("guidance", "")
            if d.get("classification"):
                text = f"{text} [{d['classification']}]"
            out[("guidance", f"{g} / {d['drug']}")] = text
    for assay, section in report.get("microbiome", {}).items():
        out[("microbiome", assay)] = section.get("status", "")
    for row in report.get("interactions", {}).get("rows", []):
        item = f"{row['drug']} / {row['taxon']}"
        if row.get("gene_enzyme"):
            item += f" ({row['gene_enzyme']})"
        out[("microbe-drug", item)] = row.get("status", "")
    for q in report.get("qc", []):
        verdict = q.get("status", "")
        if q.get("reason"):
            verdict = f"{verdict}: {q['reason']}"
        out[("QC verdict", f"{q['sample_id']} / {q['unit']}")] = verdict
    for i in report.get("identity", []):
        out[("identity verdict", i["sample_id"])] = (
            f"{i.get('verdict', '')} (best match {i.get('best_patient', '')})"
        )
    return {k: _clean(v) for k, v in out.items()}


def diff_reports(patient: str, old: Mapping | None, new: Mapping | None) -> list[Change]:
    """Changed conclusions of one patient (``None``: the patient has no report in that run)."""
    if old is None and new is None:
        return []
    if old is None or new is None:
        return [
            Change(
                patient,
                "patient",
                "report",
                ABSENT if old is None else "present",
                ABSENT if new is None else "present",
            )
        ]
    a, b = conclusions(old), conclusions(new)
    rows = [
        Change(patient, d, item, a.get((d, item), ABSENT), b.get((d, item), ABSENT))
        for d, item in set(a) | set(b)
        if a.get((d, item), ABSENT) != b.get((d, item), ABSENT)
    ]
    return sorted(rows, key=lambda r: (DOMAINS.index(r.domain), r.item))


def reports_dir(path: Path_) -> Path:
    """The folder holding a run's patient JSONs: ``path`` itself, or its (results/)reports."""
    p = Path(path)
    for cand in (p, p / "reports", p / "results" / "reports"):
        if cand.is_dir() and _report_files(cand):
            return cand
    if not p.is_dir():
        raise RunDiffError(f"{p}: no such folder; give a run's results/reports folder")
    raise RunDiffError(
        f"{p}: no patient report (<patient>.json with a patient_id) in it, in reports/ or in "
        "results/reports/; give the results/reports folder of a finished run"
    )


def _report_files(folder: Path) -> list[Path]:
    return sorted(
        f
        for f in folder.glob("*.json")
        if f.name not in NOT_PATIENT and not f.name.endswith(".fhir.json")
    )


def load_reports(folder: Path_) -> dict[str, dict]:
    """``{patient_id: report}`` of every patient report JSON in a run's reports folder."""
    out: dict[str, dict] = {}
    for f in _report_files(reports_dir(folder)):
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise RunDiffError(f"{f}: not valid JSON ({err}); rerun the report step") from err
        if not isinstance(doc, dict) or "patient_id" not in doc or "report_version" not in doc:
            raise RunDiffError(f"{f}: not a patient report (no patient_id / report_version)")
        if doc["patient_id"] in out:
            raise RunDiffError(f"{f}: patient {doc['patient_id']!r} has a second report here")
        out[doc["patient_id"]] = doc
    return out


def diff_runs(old_dir: Path_, new_dir: Path_) -> list[Change]:
    """Every changed conclusion of every patient of either run, sorted by patient."""
    old, new = load_reports(old_dir), load_reports(new_dir)
    rows: list[Change] = []
    for patient in sorted(set(old) | set(new)):
        rows += diff_reports(patient, old.get(patient), new.get(patient))
    return rows


def to_tsv(rows: Iterable[Change]) -> str:
    """TSV text with its header (cells hold no tab or newline: :func:`_clean`)."""
    lines = ["\t".join(COLUMNS)] + ["\t".join(_clean(c) for c in r) for r in rows]
    return "\n".join(lines) + "\n"


def read_changes(path: Path_) -> list[Change]:
    """Rows of a changes TSV written by :func:`write_changes` (for the cohort report)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        head = lines[0] if lines else "(empty file)"
        raise RunDiffError(f"{path}: header is {head!r}, expected {chr(9).join(COLUMNS)!r}")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            raise RunDiffError(f"{path}: line {n} has {len(cells)} cells, expected 5")
        rows.append(Change(*cells))
    return rows


def write_changes(rows: list[Change], out: Path_) -> None:
    write_text(out, to_tsv(rows))


def summary(rows: list[Change]) -> str:
    if not rows:
        return "no change"
    patients = len({r.patient for r in rows})
    return f"{len(rows)} changed conclusion(s) for {patients} patient(s)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m holobiont.report.rundiff",
        description="List every conclusion of the patient reports that changed between two runs.",
    )
    ap.add_argument("old", help="the old run's results/reports folder (or the run folder)")
    ap.add_argument("new", help="the new run's results/reports folder (or the run folder)")
    ap.add_argument("--out", required=True, help="TSV to write (patient, domain, item, old, new)")
    args = ap.parse_args(argv)
    try:
        rows = diff_runs(args.old, args.new)
    except RunDiffError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    write_changes(rows, args.out)
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
