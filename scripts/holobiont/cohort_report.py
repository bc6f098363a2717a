"""Cohort report: the whole cohort on one offline page (HTML) and in one JSON.

:func:`build_cohort_report` aggregates what the per-patient reports already hold (their JSON
files: libraries, QC, PGx calls, microbe-drug matches, identity) with the cohort-level
diversity results (PCoA, alpha diversity, PERMANOVA) and the abundance tables (genus
composition with one colour per genus across every patient). :func:`render_cohort_html` draws
it with the same inline CSS/SVG as the patient report: no scripts, no external resources.

Groups: samples are coloured by one sheet metadata column, ``group_by`` (default ``group``
when the sheet has it, else the first metadata column, else none). Alpha-diversity boxes show
median and quartiles (numpy's default linear interpolation); whiskers span the full range.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from markupsafe import Markup

from holobiont.report import (
    ASSAY_LABEL,
    ASSAYS,
    LIGHT,
    NOT_MEASURED,
    NOT_SEQUENCED,
    OTHER_COLOUR,
    PALETTE,
    STATUS_COLOUR,
    Path_,
    _comment,
    _dot,
    _e,
    _fmt,
    _num,
    _pill,
    _read_rows,
    provenance_line,
    read_pcoa,
    render,
    svg_pcoa,
    write_report,
)
from holobiont.table import closure, collapse, parse_lineage, read_tsv
from holobiont.templating import document

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


def _pcoa(path: Path_, sample_group: Mapping[str, str], sample_patient: Mapping[str, str]):
    pcoa = read_pcoa(path)
    for p in pcoa["points"]:
        p["patient_id"] = sample_patient.get(p["sample_id"], "")
        p["group"] = sample_group.get(p["sample_id"], NO_GROUP)
    return pcoa


def _alpha_by_group(path: Path_, sample_group: Mapping[str, str]) -> list[dict]:
    rows = _read_rows(path)
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


def _composition(table_path: Path_, top: int) -> dict:
    """Genus relative abundance per sample, cohort-wide top genera (by mean), rest pooled."""
    table = read_tsv(table_path)
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
        samples.append(
            {"sample_id": s, "relative": parts, "other": max(0.0, float(rel[i].sum()) - sum(parts))}
        )
    return {"genera": [names[k] for k in keep], "samples": samples, "not_measured": not_measured}


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
) -> dict:
    """Assemble the cohort report (schema: ``workflow/schemas/cohort_report.schema.json``).

    QC, PGx calls, interactions, identity and provenance come from the patient reports (no
    source table is read twice); ``diversity`` and ``tables`` add the cohort-level plots.
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
    sample_patient = {lib["sample_id"]: r["patient_id"] for r in reports for lib in r["libraries"]}
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

    microbiome: dict = {}
    for assay in ASSAYS:
        files = (diversity or {}).get(assay)
        table = (tables or {}).get(assay)
        if not files and not table:
            microbiome[assay] = {"status": NOT_SEQUENCED}
            continue
        section: dict = {"status": "profiled"}
        if table:
            section["composition"] = _composition(table, top)
            for s in section["composition"]["samples"]:
                s["patient_id"] = sample_patient.get(s["sample_id"], "")
                s["group"] = sample_group.get(s["sample_id"], NO_GROUP)
        if files:
            section["depth_note"] = _comment(files["alpha"])
            section["dropped"] = [
                {"sample_id": r["sample_id"], "reason": r.get("reason", "")}
                for r in _read_rows(files["rarefaction"])
                if r["status"] != "kept"
            ]
            section["alpha"] = _alpha_by_group(files["alpha"], sample_group)
            section["pcoa"] = {
                m: _pcoa(files[f"pcoa_{m}"], sample_group, sample_patient)
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
        microbiome[assay] = section

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

    ident = [{**i, "sheet_patient": r["patient_id"]} for r in reports for i in r["identity"]]
    prov = {}
    with_prov = [r["provenance"] for r in reports if r["provenance"]]
    if with_prov:  # one record per run: pipeline, tools and config are the same in every report
        prov = {
            k: with_prov[0][k] for k in ("pipeline", "tools", "python_packages", "config_sha256")
        }
        prov["inputs"] = sum(len(p["inputs"]) for p in with_prov)

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
    }


# ------------------------------------------------------------------------------ SVG
def _group_colours(groups: Sequence[str]) -> dict[str, str]:
    return {g: PALETTE[k % len(PALETTE)] for k, g in enumerate(sorted(set(groups)))}


def _legend(colours: Mapping[str, str], title: str) -> str:
    items = "".join(
        f'<span><span class="dot" style="background:{c}"></span>{_e(g)}</span>'
        for g, c in colours.items()
    )
    return f'<p class="legend small">{_e(title)}: {items}</p>'


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
    parts = []
    for i, s in enumerate(samples):
        y = i * (bar + 4)
        x = float(label_w)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar - 4}" font-size="11" text-anchor="end">'
            f"{_e(s['patient_id'] or s['sample_id'])} · {_e(s['group'])}</text>"
        )
        for k, v in enumerate([*s["relative"], s["other"]]):
            w = v * (width - label_w)
            if w <= 0:
                continue
            name = genera[k] if k < len(genera) else "other / unassigned"
            colour = colours[k] if k < len(genera) else OTHER_COLOUR
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colour}">'
                f"<title>{_e(s['sample_id'])}: {_e(name)} {100 * v:.1f} %</title></rect>"
            )
            x += w
    y0 = len(samples) * (bar + 4) + 8
    names = [*genera, "other / unassigned"]
    cols = 4
    for k, name in enumerate(names):
        colour = colours[k] if k < len(genera) else OTHER_COLOUR
        cx, cy = label_w + (k % cols) * 135, y0 + (k // cols) * 17
        style = ' font-style="italic"' if k < len(genera) else ""
        parts.append(
            f'<rect x="{cx}" y="{cy}" width="11" height="11" fill="{colour}"/>'
            f'<text x="{cx + 15}" y="{cy + 10}" font-size="11"{style}>{_e(name)}</text>'
        )
    height = y0 + 17 * ((len(names) + cols - 1) // cols) + 4
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


def _section_head(c: dict) -> str:
    n_lib = Counter(
        a for p in c["patients"] for a, v in p["modalities"].items() if v != NOT_SEQUENCED
    )
    groups = Counter(p["group"] for p in c["patients"])
    cards = [f'<div class="card">Patients<br><b>{len(c["patients"])}</b></div>']
    for key, label in (("host", "Host genomes"), ("16s", "16S libraries"), ("shotgun", "Shotgun")):
        cards.append(f'<div class="card">{label}<br><b>{n_lib.get(key, 0)}</b></div>')
    group_txt = ", ".join(f"{_e(g)}: {n}" for g, n in sorted(groups.items()))
    return (
        "<h1>Holobiont cohort report</h1>"
        f'<p class="small">Groups by <b>{_e(c["group_by"] or "–")}</b> ({group_txt}). '
        "Pseudonymous IDs only. Research use: not a clinical diagnostic report. Per-patient "
        "reports: <code>results/reports/&lt;patient&gt;.html</code>; read QC of every library: "
        "<code>results/qc/multiqc/multiqc_report.html</code>.</p>"
        f'<div class="cards">{"".join(cards)}</div>'
    )


def _section_findings(c: dict) -> str:
    items = []
    fails = [q for q in c["qc"] if q["status"] != "PASS"]
    for q in fails:
        items.append(
            f"{_pill('QC', LIGHT['red'])} {_e(q['sample_id'])} {_e(q['unit'])} failed read QC"
        )
    for i in c["identity"]:
        if i["verdict"] != "match":
            items.append(
                f"{_pill('identity', LIGHT['red'])} stool {_e(i['sample_id'])} (sheet: "
                f"{_e(i['sheet_patient'])}) — {_e(i['verdict'])}, best match "
                f"{_e(i['best_patient'])}"
            )
    for assay in ASSAYS:
        m = c["microbiome"][assay]
        for d in m.get("dropped", []):
            items.append(
                f"{_pill('diversity', LIGHT['amber'])} {_e(d['sample_id'])} left out of "
                f"{ASSAY_LABEL[assay]} diversity: {_e(d['reason'])}"
            )
        for p in m.get("permanova", []):
            if p["p_value"] is not None and p["p_value"] < 0.05:
                items.append(
                    f"{_dot('amber')}{ASSAY_LABEL[assay]}: communities differ by "
                    f"<b>{_e(p['column'])}</b> ({METRIC_LABEL.get(p['metric'], p['metric'])}, "
                    f"pseudo-F {_fmt(p['pseudo_F'])}, p = {_fmt(p['p_value'])})"
                )
    if c["identity"] and all(i["verdict"] == "match" for i in c["identity"]):
        items.append(
            f"{_dot('green')}All {len(c['identity'])} stool libraries match their patient's "
            "host genotype (no sample swap)."
        )
    if not fails:
        items.append(f"{_dot('green')}All {len(c['qc'])} sequencing units passed read QC.")
    body = "".join(f"<li>{i}</li>" for i in items)
    return f'<h2>Key findings</h2><ul class="keys">{body}</ul>'


def _section_pgx(c: dict) -> str:
    pgx = c["pgx"]
    if not pgx["patients"]:
        return '<h2>Pharmacogenomics</h2><p class="ns">No host genome sequenced.</p>'
    head = "".join(f"<th>{_e(g)}</th>" for g in pgx["genes"])
    rows = []
    for p in pgx["patients"]:
        cells = []
        for call in p["calls"]:
            if call is None:
                cells.append('<td class="ns">–</td>')
                continue
            tip = f"{call['diplotype']} {call['phenotype']}".strip()
            colour = LIGHT[call["light"]]
            text = _short(call["phenotype"]) if call["light"] != "grey" else "n/c"
            cells.append(
                f'<td title="{_e(tip)}"><span class="dot" style="background:{colour}"></span>'
                f"{_e(text)}<br><span class='small'>{_e(_short_diplotype(call['diplotype']))}"
                "</span></td>"
            )
        rows.append(f"<tr><td><b>{_e(p['patient_id'])}</b></td>{''.join(cells)}</tr>")
    counts: dict[str, list[str]] = {}
    for r in pgx["phenotype_counts"]:
        counts.setdefault(r["gene"], []).append(f"{_e(r['phenotype'])} ({r['n']})")
    summary = "".join(
        f"<tr><td><b>{_e(g)}</b></td><td>{'; '.join(v)}</td></tr>" for g, v in counts.items()
    )
    ns = (
        f'<p class="small">Host genome {NOT_SEQUENCED}: {_e(", ".join(pgx["not_sequenced"]))}.</p>'
        if pgx["not_sequenced"]
        else ""
    )
    return (
        "<h2>Pharmacogenomics across the cohort</h2>"
        '<p class="legend small">'
        f"<span>{_dot('green')}normal</span><span>{_dot('amber')}altered</span>"
        f"<span>{_dot('red')}poor / ultrarapid</span><span>{_dot('grey')}n/c = not called</span>"
        " · NM/IM/PM/RM/UM = normal/intermediate/poor/rapid/ultrarapid metabolizer; "
        "DF/IF = decreased/increased function.</p>"
        f'<div class="wide"><table><tr><th>patient</th>{head}</tr>{"".join(rows)}</table></div>'
        f"{ns}<h3>Phenotype counts</h3><table><tr><th>gene</th><th>phenotype (patients)</th>"
        f"</tr>{summary}</table>"
    )


def _section_microbiome(c: dict) -> str:
    colours = _group_colours([p["group"] for p in c["patients"]])
    out = ["<h2>Gut microbiome across the cohort</h2>"]
    if c["group_by"]:
        out.append(_legend(colours, f"colour = {c['group_by']}"))
    for assay in ASSAYS:
        m = c["microbiome"][assay]
        out.append(f"<h3>{ASSAY_LABEL[assay]}</h3>")
        if m["status"] != "profiled":
            out.append(f'<p class="ns">{_e(m["status"])}.</p>')
            continue
        if m.get("composition"):
            out.append(
                '<p class="small">Genus composition (the cohort\'s '
                f"{len(m['composition']['genera'])} most abundant genera on average).</p>"
                f"{svg_composition(m['composition'])}"
                + (
                    f'<p class="warn">{NOT_MEASURED} (no reads in the table): '
                    f"{_e(', '.join(m['composition']['not_measured']))}.</p>"
                    if m["composition"].get("not_measured")
                    else ""
                )
            )
        blocks = []
        for metric, pcoa in m.get("pcoa", {}).items():
            if len(pcoa["points"]) < 2:
                blocks.append(
                    f'<p class="ns">No PCoA ({METRIC_LABEL.get(metric, metric)}): fewer than two '
                    "samples reached the rarefaction depth.</p>"
                )
                continue
            blocks.append(
                f"<div><b>PCoA, {METRIC_LABEL.get(metric, metric)}</b><br>"
                f"{svg_pcoa_groups(pcoa, colours)}</div>"
            )
        for a in m.get("alpha", []):
            blocks.append(
                f"<div><b>{METRIC_LABEL.get(a['metric'], a['metric'])}</b> by "
                f"{_e(c['group_by'] or 'cohort')}<br>{svg_alpha_groups(a, colours)}</div>"
            )
        out.append(f'<div class="flex">{"".join(blocks)}</div>')
        if m.get("depth_note"):
            out.append(f'<p class="small">{_e(m["depth_note"])}.</p>')
        perm = m.get("permanova", [])
        if perm:
            rows = "".join(
                f"<tr><td>{METRIC_LABEL.get(p['metric'], _e(p['metric']))}</td>"
                f"<td>{_e(p['column'])}</td><td class='num'>{_fmt(p['pseudo_F'])}</td>"
                f"<td class='num'>{'<b>' if (p['p_value'] or 1) < 0.05 else ''}"
                f"{_fmt(p['p_value'])}</td><td class='num'>{p['sample_size'] or '–'}</td>"
                f"<td class='num'>{p['groups'] or '–'}</td>"
                f"<td class='small'>{_e(p['skipped_because'])}</td></tr>"
                for p in perm
            )
            n_perm = next((p["permutations"] for p in perm if p["permutations"]), None)
            out.append(
                f"<p><b>PERMANOVA</b> ({n_perm or '–'} permutations; p &lt; 0.05 in bold)</p>"
                "<table><tr><th>distance</th><th>sheet column</th><th>pseudo-F</th>"
                "<th>p</th><th>samples</th><th>groups</th><th>note</th></tr>"
                f"{rows}</table>"
            )
    return "".join(out)


def _section_interactions(c: dict) -> str:
    patients = [p["patient_id"] for p in c["patients"]]
    head = "".join(f"<th>{_e(p)}</th>" for p in patients)
    symbol = {
        "detected": "●",
        "not resolved": "◐",
        "not detected": "·",
        NOT_MEASURED: "✕",
        NOT_SEQUENCED: "–",
    }
    rows = []
    for e in c["interactions"]:
        cells = "".join(
            f'<td title="{_e(e["status"].get(p, NOT_SEQUENCED))}" style="text-align:center;'
            f'font-size:18px;color:{STATUS_COLOUR[e["status"].get(p, NOT_SEQUENCED)]}">'
            f"{symbol[e['status'].get(p, NOT_SEQUENCED)]}</td>"
            for p in patients
        )
        taxon = f"<i>{_e(e['taxon'])}</i>" if e["rank"] in ("species", "genus") else _e(e["taxon"])
        rows.append(
            f"<tr><td><b>{_e(e['drug'])}</b></td><td>{taxon}<br><span class='small'>"
            f"{_e(e['gene_enzyme'].split(' (')[0])}</span></td>"
            f"<td class='num'>{len(e['detected_in'])}</td>{cells}</tr>"
        )
    return (
        "<h2>Microbe–drug interactions across the cohort</h2>"
        '<p class="small">● detected (in either assay) · ◐ genus present, species not '
        "resolved · · not detected · ✕ not measured (stool sequenced, no usable profile) · – no "
        "stool sequenced. Details and references: each "
        "patient's report.</p>"
        f'<div class="wide"><table><tr><th>drug</th><th>microbe</th><th>patients</th>{head}'
        f"</tr>{''.join(rows)}</table></div>"
    )


def _section_qc(c: dict, print_variant: bool = False) -> str:
    rows = "".join(
        f"<tr><td>{_e(q['patient_id'])}</td><td>{_e(q['sample_id'])}</td><td>{_e(q['unit'])}"
        f"</td><td>{_e(q['assay'])}</td><td class='num'>{q['read_pairs_in']:,}</td>"
        f"<td class='num'>{q['read_pairs_out']:,}</td>"
        f"<td class='num'>{_fmt(q['pct_pairs_kept'], 4)}</td>"
        f"<td class='num'>{_fmt(q['q30_rate_out'])}</td>"
        f"<td class='num'>{_fmt(q['duplication_rate'])}</td>"
        f"<td>{_pill(q['status'], LIGHT['green'] if q['status'] == 'PASS' else LIGHT['red'])}"
        "</td></tr>"
        for q in c["qc"]
    )
    ident = "".join(
        f"<tr><td>{_e(i['sample_id'])}</td><td>{_e(i['sheet_patient'])}</td>"
        f"<td>{_e(i['best_patient'])}</td><td class='num'>{i['informative_sites']}</td>"
        f"<td class='num'>{_fmt(i['concordance_sheet'])}</td>"
        f"<td>{_pill(i['verdict'], LIGHT['green'] if i['verdict'] == 'match' else LIGHT['red'])}"
        "</td></tr>"
        for i in c["identity"]
    )
    ident_html = (
        "<h3>Stool vs host genotype (sample-swap check)</h3><table><tr><th>stool library</th>"
        "<th>sheet patient</th><th>best-matching host</th><th>informative sites</th>"
        f"<th>concordance</th><th>verdict</th></tr>{ident}</table>"
        if ident
        else ""
    )
    return (
        f"<h2>Read QC and sample identity</h2><details{' open' if print_variant else ''}><summary>"
        f"{len(c['qc'])} sequencing units</summary><table><tr><th>patient</th><th>library</th>"
        "<th>unit</th><th>assay</th><th>pairs in</th><th>pairs out</th><th>% kept</th>"
        "<th>Q30</th><th>duplication</th><th>status</th></tr>"
        f"{rows}</table></details>{ident_html}"
    )


def _section_provenance(c: dict) -> str:
    p = c["provenance"]
    if not p:
        return '<h2>Provenance</h2><p class="ns">No provenance record.</p>'
    note = (
        f"; {p['inputs']} input units checksummed (SHA-256 per FASTQ in each patient's report "
        "and in <code>results/provenance/provenance.json</code>)"
    )
    return f'<h2>Provenance</h2><p class="small">{provenance_line(p, note)}</p>'


def render_cohort_html(
    c: dict, *, template_dir: Path_ | None = None, print_variant: bool = False
) -> str:
    """The cohort page: sections built here, framed by ``cohort.html.j2`` (site header,
    sign-off, CSS and print rules shared with the patient report)."""
    sections = [
        _section_head(c),
        _section_findings(c),
        _section_pgx(c),
        _section_microbiome(c),
        _section_interactions(c),
        _section_qc(c, print_variant),
        _section_provenance(c),
    ]
    return render(
        "cohort.html.j2",
        c,
        {"sections": [Markup(s) for s in sections]},
        title="Holobiont cohort report",
        template_dir=template_dir,
        print_variant=print_variant,
    )


def write_cohort_report(report: dict, json_out: Path_, html_out: Path_, template_dir=None) -> None:
    write_report(report, json_out, html_out, render=render_cohort_html, template_dir=template_dir)
