"""Cohort report: the whole cohort on one offline page (HTML) and in one JSON.

:func:`build_cohort_report` aggregates what the per-patient reports already hold (their JSON
files: libraries, QC, PGx calls, microbe-drug matches, identity) with the cohort-level
diversity results (PCoA, alpha diversity, PERMANOVA) and the abundance tables (genus
composition with one colour per genus across every patient). :func:`render_cohort_html` renders
it from the Jinja2 templates ``cohort.html.j2`` / ``cohort_sections.html.j2`` (a site may
override them, :mod:`holobiont.report.templating`) with the same inline CSS/SVG as the patient report:
no external resources, one inline script that unfolds sections for printing.

Groups: samples are coloured by one sheet metadata column, ``group_by`` (default ``group``
when the sheet has it, else the first metadata column, else none). Alpha-diversity boxes show
median and quartiles (numpy's default linear interpolation); whiskers span the full range.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Container, Mapping, Sequence
from pathlib import Path

import numpy as np
from markupsafe import Markup

from holobiont.core.table import closure, collapse, parse_lineage, read_tsv
from holobiont.microbiome.genes import GENE_DETECTED
from holobiont.report.patient import (
    ASSAYS,
    NOT_MEASURED,
    NOT_SEQUENCED,
    OTHER_COLOUR,
    OTHER_GENERA,
    PALETTE,
    UNASSIGNED_COLOUR,
    UNASSIGNED_GENUS,
    Path_,
    _comment,
    _e,
    _num,
    _read_rows,
    read_pcoa,
    render,
    svg_pcoa,
    write_report,
)
from holobiont.report.templating import document, safe

TOP_COHORT_GENERA = 10
ALPHA_METRICS = ("shannon", "observed", "faith_pd")
PCOA_METRICS = ("braycurtis", "weighted_normalized_unifrac")
METRIC_LABEL = {
    "braycurtis": "Bray–Curtis",
    "jaccard": "Jaccard",
    "unweighted_unifrac": "unweighted UniFrac",
    "weighted_normalized_unifrac": "weighted UniFrac (normalised)",
    "shannon": "Shannon",
    "observed": "observed features",
    "faith_pd": "Faith PD",
}
NO_GROUP = "all"


# ------------------------------------------------------------------------------ building
def _int(text: str | None) -> int | None:
    """Integer cell of a result table; ``NA`` or empty (a skipped test) is None."""
    value = _num(text)
    return None if value is None else int(value)


def _pcoa(
    path: Path_,
    sample_group: Mapping[str, str],
    sample_patient: Mapping[str, str],
    exclude: Container[str] = (),
):
    """PCoA points of the cohort (one per patient: ``exclude`` holds earlier timepoints)."""
    pcoa = read_pcoa(path)
    pcoa["points"] = [p for p in pcoa["points"] if p["sample_id"] not in exclude]
    for p in pcoa["points"]:
        p["patient_id"] = sample_patient.get(p["sample_id"], "")
        p["group"] = sample_group.get(p["sample_id"], NO_GROUP)
    return pcoa


def _alpha_by_group(
    path: Path_, sample_group: Mapping[str, str], exclude: Container[str] = ()
) -> list[dict]:
    rows = [r for r in _read_rows(path) if r["sample_id"] not in exclude]
    out = []
    for metric in ALPHA_METRICS:
        if not rows or metric not in rows[0]:
            continue
        groups: dict[str, list[dict]] = {}
        for r in rows:
            v = _num(r[metric])
            if v is not None:
                g = sample_group.get(r["sample_id"], NO_GROUP)
                groups.setdefault(g, []).append({"sample_id": r["sample_id"], "value": v})
        summary = []
        for g in sorted(groups):
            vals = np.array([x["value"] for x in groups[g]])
            q1, med, q3 = (float(x) for x in np.percentile(vals, [25, 50, 75]))
            summary.append(
                {
                    "group": g,
                    "n": int(vals.size),
                    "median": med,
                    "q1": q1,
                    "q3": q3,
                    "min": float(vals.min()),
                    "max": float(vals.max()),
                    "values": sorted(groups[g], key=lambda x: x["sample_id"]),
                }
            )
        if summary:
            out.append({"metric": metric, "groups": summary})
    return out


def _composition(table_path: Path_, top: int, exclude: Container[str] = ()) -> dict:
    """Genus relative abundance per sample, cohort-wide top genera (by mean), rest pooled;
    the samples in ``exclude`` (earlier timepoints of a follow-up) are left out.

    ``other`` is the genera outside the top list, ``unassigned`` the taxa without a confident
    genus (collapsed into ``unassigned``), each its own part of the bar.
    """
    table = read_tsv(table_path)
    if exclude:
        table = table.select(samples=[s for s in table.sample_ids if s not in exclude])
    genus = collapse(table, "genus") if table.taxonomy else table
    rel = closure(genus.counts.astype(float))
    rel = np.asarray(rel.toarray() if hasattr(rel, "toarray") else rel)
    names = []
    for t in genus.taxa:
        ranks = parse_lineage(genus.taxonomy[t]) if t in genus.taxonomy else {}
        names.append(ranks.get("genus", t))
    mean = rel.mean(axis=0)
    order = [k for k in np.argsort(-mean, kind="stable") if genus.taxa[k] != "unassigned"]
    keep = [k for k in order if mean[k] > 0][:top]
    samples, not_measured = [], []
    totals = np.asarray(genus.counts.sum(axis=1)).ravel()
    for i, s in enumerate(genus.sample_ids):
        if totals[i] <= 0:
            not_measured.append(s)  # no reads: no composition to draw (not "0 %")
            continue
        parts = [float(rel[i, k]) for k in keep]
        unassigned = float(sum(rel[i, k] for k, t in enumerate(genus.taxa) if t == "unassigned"))
        other = max(0.0, float(rel[i].sum()) - sum(parts) - unassigned)
        samples.append(
            {"sample_id": s, "relative": parts, "other": other, "unassigned": unassigned}
        )
    return {"genera": [names[k] for k in keep], "samples": samples, "not_measured": not_measured}


def _gene_evidence(reports: Sequence[Mapping]) -> dict | None:
    """Gene-level evidence per shotgun library, from the patients' microbe-drug rows
    (``gene_evidence``, :func:`holobiont.microbiome.genes.gene_evidence`): read pairs of every gene of the
    protein reference, or "not measured" with the reason (a patient without a shotgun library
    too). None when no patient has a shotgun library."""
    genes = sorted(
        {
            m["gene_evidence"]["gene"]
            for r in reports
            for m in r["interactions"]["rows"]
            if m.get("gene_evidence", {}).get("gene")
        }
    )
    samples, min_pairs = [], None
    for r in reports:
        sg = r["microbiome"]["shotgun"]
        if sg.get("status") == NOT_SEQUENCED:
            samples.append(
                {
                    "sample_id": "",
                    "patient_id": r["patient_id"],
                    "status": NOT_MEASURED,
                    "reason": "no shotgun library",
                }
            )
            continue
        cells: dict[str, dict] = {}
        reasons: list[str] = []
        for m in r["interactions"]["rows"]:
            ev = m.get("gene_evidence") or {}
            if not ev.get("gene"):
                continue
            if ev.get("basis") == "gene reads":
                cells[ev["gene"]] = {
                    "read_pairs": ev["read_pairs"],
                    "rpm": ev["rpm"],
                    "detected": ev["status"] == GENE_DETECTED,
                }
                min_pairs = ev["min_pairs"]
            elif ev.get("reason") and ev["reason"] not in reasons:
                reasons.append(ev["reason"])
        row = {"sample_id": sg.get("sample_id", ""), "patient_id": r["patient_id"]}
        if cells:
            row["status"] = "measured"
            row["genes"] = [cells.get(g) for g in genes]  # None: that gene not measured
            row["detected"] = [g for g in genes if (cells.get(g) or {}).get("detected")]
        else:
            row["status"] = NOT_MEASURED
            row["reason"] = "; ".join(reasons) or "no microbe-drug row names a gene"
        samples.append(row)
    if all(s["sample_id"] == "" for s in samples):
        return None
    return {"genes": genes, "min_pairs": min_pairs, "samples": samples}


def build_cohort_report(
    patient_reports: Sequence[Path_],
    *,
    diversity: Mapping[str, Mapping[str, Path_]] | None = None,
    tables: Mapping[str, Path_] | None = None,
    group_by: str | None = None,
    top: int = TOP_COHORT_GENERA,
    site: Mapping | None = None,
    report_date: str | None = None,
    environ: Mapping[str, str] | None = None,
    changes: Path_ | None = None,
    compare_with: str | None = None,
) -> dict:
    """Assemble the cohort report (schema: ``workflow/schemas/cohort_report.schema.json``).

    QC, PGx calls, interactions, identity and provenance come from the patient reports (no
    source table is read twice); ``diversity`` and ``tables`` add the cohort-level plots.
    ``changes`` (the run diff TSV of :mod:`holobiont.report.rundiff`, config ``report.compare_with``
    = ``compare_with``) adds the "What changed since <previous run>" section.

    Cohort statistics use one sample per patient: the latest timepoint, the stool sample each
    patient report's microbiome section describes (``microbiome.<assay>.sample_id``); the
    earlier timepoints of a follow-up stay in the patient's own report.
    """
    reports = [json.loads(Path(p).read_text(encoding="utf-8")) for p in patient_reports]
    reports.sort(key=lambda r: r["patient_id"])
    if not reports:
        raise ValueError("the cohort report needs at least one patient report")
    meta_cols = sorted({k for r in reports for k in r["metadata"]})
    if group_by is None:
        group_by = "group" if "group" in meta_cols else (meta_cols[0] if meta_cols else None)
    elif group_by not in meta_cols:
        raise ValueError(f"group_by column {group_by!r} is not in the sheet metadata {meta_cols}")

    patient_group = {
        r["patient_id"]: (r["metadata"].get(group_by, NO_GROUP) if group_by else NO_GROUP)
        for r in reports
    }
    sample_patient, follow_up = _cohort_samples(reports)
    sample_group = {s: patient_group[p] for s, p in sample_patient.items()}

    patients = [
        {
            "patient_id": r["patient_id"],
            "group": patient_group[r["patient_id"]],
            "metadata": r["metadata"],
            "modalities": r["modalities"],
        }
        for r in reports
    ]

    qc = [{"patient_id": r["patient_id"], **q} for r in reports for q in r["qc"]]

    pgx = _cohort_pgx(reports)
    microbiome = {
        assay: _cohort_microbiome(
            assay,
            (diversity or {}).get(assay),
            (tables or {}).get(assay),
            reports,
            top,
            sample_patient,
            sample_group,
            follow_up,
        )
        for assay in ASSAYS
    }
    interactions = _cohort_interactions(reports)
    ident = [{**i, "sheet_patient": r["patient_id"]} for r in reports for i in r["identity"]]
    prov = _cohort_provenance(reports)

    return {
        "report_version": "1",
        "group_by": group_by,
        "metadata_columns": meta_cols,
        "patients": patients,
        "qc": qc,
        "pgx": pgx,
        "microbiome": microbiome,
        "interactions": interactions,
        "identity": ident,
        "provenance": prov,
        "document": document("cohort", site, date=report_date, environ=environ),
        **(
            {"changes": _changes(changes, compare_with, [r["patient_id"] for r in reports])}
            if changes
            else {}
        ),
    }


def _cohort_samples(reports: list[dict]) -> tuple[dict[str, str], set[str]]:
    """Which patient each cohort sample belongs to, and the follow-up samples left out.

    The cohort uses one stool sample per patient and assay, the one its report describes (the
    latest timepoint), plus every host library; earlier timepoints come back as ``follow_up``.
    """
    sample_patient = {
        m["sample_id"]: r["patient_id"]
        for r in reports
        for m in r["microbiome"].values()
        if m.get("sample_id")
    }
    sample_patient.update(
        (lib["sample_id"], r["patient_id"])
        for r in reports
        for lib in r["libraries"]
        if lib["assay"] not in ASSAYS
    )
    follow_up = {
        lib["sample_id"]
        for r in reports
        for lib in r["libraries"]
        if lib["assay"] in ASSAYS and lib["sample_id"] not in sample_patient
    }
    return sample_patient, follow_up


def _cohort_pgx(reports: list[dict]) -> dict:
    """Diplotype, phenotype and light of every gene of every sequenced patient, and the
    count of each phenotype per gene."""
    genes: list[str] = []
    calls: dict[str, dict] = {}
    for r in reports:
        host = r["host"]
        if host.get("status") == NOT_SEQUENCED:
            continue
        calls[r["patient_id"]] = {}
        for g in host["genes"]:
            if g["gene"] not in genes:
                genes.append(g["gene"])
            calls[r["patient_id"]][g["gene"]] = {
                "diplotype": g["diplotype"],
                "phenotype": g["phenotype"] or "not called",
                "light": g["light"],
            }
    phenotype_counts = []
    for gene in genes:
        counts = Counter(c[gene]["phenotype"] for c in calls.values() if gene in c)
        for pheno, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
            phenotype_counts.append({"gene": gene, "phenotype": pheno, "n": n})
    pgx = {
        "genes": genes,
        "patients": [
            {"patient_id": p, "calls": [calls[p].get(g) for g in genes]} for p in sorted(calls)
        ],
        "phenotype_counts": phenotype_counts,
        "not_sequenced": [r["patient_id"] for r in reports if r["patient_id"] not in calls],
    }
    return pgx


def _cohort_microbiome(
    assay: str,
    files: Mapping[str, Path_] | None,
    table: Path_ | None,
    reports: list[dict],
    top: int,
    sample_patient: Mapping[str, str],
    sample_group: Mapping[str, str],
    follow_up: set[str],
) -> dict:
    """One assay's cohort section: composition, alpha by group, PCoA, PERMANOVA and, for
    shotgun, gene evidence; "not sequenced" without a table or diversity files."""
    if not files and not table:
        return {"status": NOT_SEQUENCED}
    section: dict = {"status": "profiled"}
    if table:
        section["composition"] = _composition(table, top, exclude=follow_up)
        for s in section["composition"]["samples"]:
            s["patient_id"] = sample_patient.get(s["sample_id"], "")
            s["group"] = sample_group.get(s["sample_id"], NO_GROUP)
    if files:
        section["depth_note"] = _comment(files["alpha"])
        section["dropped"] = [
            {"sample_id": r["sample_id"], "reason": r.get("reason", "")}
            for r in _read_rows(files["rarefaction"])
            if r["status"] != "kept" and r["sample_id"] not in follow_up
        ]
        section["alpha"] = _alpha_by_group(files["alpha"], sample_group, exclude=follow_up)
        section["pcoa"] = {
            m: _pcoa(files[f"pcoa_{m}"], sample_group, sample_patient, exclude=follow_up)
            for m in PCOA_METRICS
            if files.get(f"pcoa_{m}")
        }
        section["permanova"] = [
            {
                "metric": r["metric"],
                "column": r["column"],
                "pseudo_F": _num(r["pseudo_F"]),
                "p_value": _num(r["p_value"]),
                "sample_size": _int(r["sample_size"]),
                "groups": _int(r["groups"]),
                "permutations": _int(r["permutations"]),
                "skipped_because": r.get("skipped_because", ""),
            }
            for r in _read_rows(files["permanova"])
        ]
    if assay == "shotgun":
        evidence = _gene_evidence(reports)
        if evidence:
            section["gene_evidence"] = evidence
    return section


def _cohort_interactions(reports: list[dict]) -> list[dict]:
    """Every microbe-drug row with its status per patient, most often detected first."""
    drugs: dict[tuple, dict] = {}
    for r in reports:
        for m in r["interactions"]["rows"]:
            key = (m["drug"], m["taxon"], m["gene_enzyme"])
            entry = drugs.setdefault(
                key,
                {
                    "drug": m["drug"],
                    "taxon": m["taxon"],
                    "rank": m["rank"],
                    "gene_enzyme": m["gene_enzyme"],
                    "status": {},
                },
            )
            entry["status"][r["patient_id"]] = m["status"]
    interactions = []
    for entry in drugs.values():
        entry["detected_in"] = sorted(p for p, s in entry["status"].items() if s == "detected")
        interactions.append(entry)
    interactions.sort(key=lambda e: (-len(e["detected_in"]), e["drug"], e["taxon"]))
    return interactions


def _cohort_provenance(reports: list[dict]) -> dict:
    """The run's provenance (the same in every report) and the number of inputs."""
    prov = {}
    with_prov = [r["provenance"] for r in reports if r["provenance"]]
    if with_prov:  # one record per run: pipeline, tools and config are the same in every report
        prov = {
            k: with_prov[0][k] for k in ("pipeline", "tools", "python_packages", "config_sha256")
        }
        prov["inputs"] = sum(len(p["inputs"]) for p in with_prov)
    return prov


def run_label(compare_with: str | None) -> str:
    """How the report names the earlier run: its folder's name (never the full path), without
    a trailing ``results/reports``."""
    if not compare_with:
        return "the previous run"
    parts = [x for x in Path(compare_with).parts if x not in ("/", "")]
    while parts and parts[-1] in ("reports", "results"):
        parts.pop()
    return parts[-1] if parts else "the previous run"


def _changes(path: Path_, compare_with: str | None, patients: Sequence[str]) -> dict:
    """Changed conclusions per patient (run diff TSV), patients in report order."""
    from holobiont.report.rundiff import read_changes

    rows = read_changes(path)
    order = {p: i for i, p in enumerate(patients)}
    by_patient: dict[str, list[dict]] = {}
    for r in rows:
        by_patient.setdefault(r.patient, []).append(
            {"domain": r.domain, "item": r.item, "old": r.old, "new": r.new}
        )
    return {
        "previous_run": run_label(compare_with),
        "count": len(rows),
        "patients": [
            {"patient_id": p, "changes": by_patient[p]}
            for p in sorted(by_patient, key=lambda p: (order.get(p, len(order)), p))
        ],
    }


# ------------------------------------------------------------------------------ SVG
def _group_colours(groups: Sequence[str]) -> dict[str, str]:
    return {g: PALETTE[k % len(PALETTE)] for k, g in enumerate(sorted(set(groups)))}


def svg_pcoa_groups(pcoa: Mapping, colours: Mapping[str, str], size: int = 340) -> str:
    """PC1/PC2 scatter, one colour per group, each point labelled with its patient."""

    def draw(p, x, y):
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colours.get(p["group"], "#777")}" '
            f'stroke="#fff"><title>{_e(p["sample_id"])} ({_e(p["group"])})</title></circle>'
            f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" font-size="10" fill="#444">'
            f"{_e(p['patient_id'] or p['sample_id'])}</text>"
        )

    return svg_pcoa(pcoa, draw, size, pad=34)


def svg_alpha_groups(metric: Mapping, colours: Mapping[str, str], width: int = 380) -> str:
    """One row per group: box (quartiles, median), whiskers (range), points."""
    groups = metric["groups"]
    values = [v["value"] for g in groups for v in g["values"]]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    left, right, row = 60, 16, 34

    def sx(v):
        return left + (v - lo) / span * (width - left - right)

    parts = []
    for k, g in enumerate(groups):
        y = 14 + k * row
        c = colours.get(g["group"], "#777")
        parts.append(
            f'<text x="{left - 8}" y="{y + 4}" font-size="11" text-anchor="end">'
            f"{_e(g['group'])} (n={g['n']})</text>"
            f'<line x1="{sx(g["min"]):.1f}" y1="{y}" x2="{sx(g["max"]):.1f}" y2="{y}" '
            f'stroke="{c}"/>'
            f'<rect x="{sx(g["q1"]):.1f}" y="{y - 9}" width="{max(sx(g["q3"]) - sx(g["q1"]), 1):.1f}" '
            f'height="18" fill="{c}" fill-opacity="0.25" stroke="{c}"/>'
            f'<line x1="{sx(g["median"]):.1f}" y1="{y - 9}" x2="{sx(g["median"]):.1f}" '
            f'y2="{y + 9}" stroke="{c}" stroke-width="2.5"/>'
        )
        for v in g["values"]:
            parts.append(
                f'<circle cx="{sx(v["value"]):.1f}" cy="{y}" r="3.5" fill="{c}" stroke="#fff">'
                f"<title>{_e(v['sample_id'])}: {v['value']:.3g}</title></circle>"
            )
    axis_y = 14 + len(groups) * row - 10
    parts.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" stroke="#999"/>'
        f'<text x="{left}" y="{axis_y + 13}" font-size="10">{lo:.3g}</text>'
        f'<text x="{width - right}" y="{axis_y + 13}" font-size="10" text-anchor="end">'
        f"{hi:.3g}</text>"
    )
    height = axis_y + 18
    return f'<svg width="{width}" height="{height}" role="img">{"".join(parts)}</svg>'


def svg_composition(comp: Mapping, width: int = 640, bar: int = 16) -> str:
    """One 100 % bar per sample (sorted by group), shared genus colours and legend."""
    label_w = 110
    genera = comp["genera"]
    colours = [PALETTE[k % len(PALETTE)] for k in range(len(genera))]
    if len(genera) > len(PALETTE):  # tenth genus onwards: lighter shades of the palette
        colours = [c if k < len(PALETTE) else c + "99" for k, c in enumerate(colours)]
    samples = sorted(comp["samples"], key=lambda s: (s["group"], s["patient_id"], s["sample_id"]))
    # genera outside the top list and taxa without a confident genus: two parts, never one
    named = [
        *zip(genera, colours, strict=True),
        (OTHER_GENERA, OTHER_COLOUR),
        (UNASSIGNED_GENUS, UNASSIGNED_COLOUR),
    ]
    parts = []
    for i, s in enumerate(samples):
        y = i * (bar + 4)
        x = float(label_w)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar - 4}" font-size="11" text-anchor="end">'
            f"{_e(s['patient_id'] or s['sample_id'])} · {_e(s['group'])}</text>"
        )
        values = [*s["relative"], s["other"], s.get("unassigned", 0.0)]
        for (name, colour), v in zip(named, values, strict=True):
            w = v * (width - label_w)
            if w <= 0:
                continue
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colour}">'
                f"<title>{_e(s['sample_id'])}: {_e(name)} {100 * v:.1f} %</title></rect>"
            )
            x += w
    y0 = len(samples) * (bar + 4) + 8
    cols = 4
    for k, (name, colour) in enumerate(named):
        cx, cy = label_w + (k % cols) * 130, y0 + (k // cols) * 17
        style = ' font-style="italic"' if k < len(genera) else ""
        parts.append(
            f'<rect x="{cx}" y="{cy}" width="11" height="11" fill="{colour}"/>'
            f'<text x="{cx + 15}" y="{cy + 10}" font-size="11"{style}>{_e(name)}</text>'
        )
    height = y0 + 17 * ((len(named) + cols - 1) // cols) + 4
    return f'<svg width="{width}" height="{height}" role="img">{"".join(parts)}</svg>'


# ------------------------------------------------------------------------------ HTML
PHENO_SHORT = (
    ("ultrarapid", "UM"),
    ("rapid", "RM"),
    ("normal", "NM"),
    ("intermediate", "IM"),
    ("poor", "PM"),
    ("decreased", "DF"),
    ("increased", "IF"),
)


def _short(phenotype: str) -> str:
    p = phenotype.lower()
    for word, abbr in PHENO_SHORT:
        if word in p:
            return abbr
    return phenotype if len(phenotype) <= 12 else phenotype[:11] + "…"


def _short_diplotype(diplotype: str, limit: int = 14) -> str:
    """Star alleles fit a matrix cell; long allele names (rsID-based) go to the tooltip."""
    return diplotype if len(diplotype) <= limit else "…"


SYMBOL = {
    "detected": "●",
    "not resolved": "◐",
    "not detected": "·",
    NOT_MEASURED: "✕",
    NOT_SEQUENCED: "–",
}


def cohort_view(c: Mapping) -> dict:
    """What the cohort template shows beyond the JSON: counts, colours, PGx matrix cells."""
    libraries = Counter(
        a for p in c["patients"] for a, v in p["modalities"].items() if v != NOT_SEQUENCED
    )
    groups = sorted(Counter(p["group"] for p in c["patients"]).items())
    pgx_rows = []
    for p in c["pgx"]["patients"]:
        cells = []
        for call in p["calls"]:
            if call is None:
                cells.append(None)
                continue
            cells.append(
                {
                    "tip": f"{call['diplotype']} {call['phenotype']}".strip(),
                    "light": call["light"],
                    "text": _short(call["phenotype"]) if call["light"] != "grey" else "n/c",
                    "diplotype": _short_diplotype(call["diplotype"]),
                }
            )
        pgx_rows.append({"patient_id": p["patient_id"], "cells": cells})
    counts: dict[str, list] = {}
    for r in c["pgx"]["phenotype_counts"]:
        counts.setdefault(r["gene"], []).append(r)
    prov = c["provenance"]
    return {
        "libraries": dict(libraries),
        "groups": groups,
        "colours": _group_colours([p["group"] for p in c["patients"]]),
        "failed_qc": [q for q in c["qc"] if q["status"] != "PASS"],
        "all_match": all(i["verdict"] == "match" for i in c["identity"]),
        "pgx_rows": pgx_rows,
        "phenotype_counts": list(counts.items()),
        "patient_ids": [p["patient_id"] for p in c["patients"]],
        "inputs_note": Markup(
            f"; {prov['inputs']} input units checksummed (SHA-256 per FASTQ in each patient's "
            "report and in <code>results/provenance/provenance.json</code>)"
        )
        if prov
        else "",
    }


def cohort_globals() -> dict:
    return {
        "svg_composition": safe(svg_composition),
        "svg_pcoa_groups": safe(svg_pcoa_groups),
        "svg_alpha_groups": safe(svg_alpha_groups),
        "METRIC_LABEL": METRIC_LABEL,
        "SYMBOL": SYMBOL,
    }


def render_cohort_html(
    c: dict, *, template_dir: Path_ | None = None, print_variant: bool = False
) -> str:
    """The cohort page from ``cohort.html.j2`` (a site's own when ``template_dir`` has one)."""
    return render(
        "cohort.html.j2",
        c,
        cohort_view(c),
        title="Holobiont cohort report",
        template_dir=template_dir,
        print_variant=print_variant,
        extra_globals=cohort_globals(),
    )


def write_cohort_report(report: dict, json_out: Path_, html_out: Path_, template_dir=None) -> None:
    write_report(report, json_out, html_out, render=render_cohort_html, template_dir=template_dir)
