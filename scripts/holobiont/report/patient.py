"""Per-patient report: one patient's host PGx and gut microbiome, side by side.

:func:`build_patient_report` reads the pipeline's result tables and assembles one JSON-ready
dict (schema: ``workflow/schemas/patient_report.schema.json``); :func:`render_html` turns it
into a single self-contained HTML page from the Jinja2 templates of ``holobiont/report/templates``
(inline CSS and SVG, one inline script that opens folded sections for printing, no external
resources; :mod:`holobiont.report.templating`). Only pseudonymous IDs (patient, sample, unit) are
copied: never FASTQ paths, read names or the resolved configuration (which holds file paths) --
only its checksum.

Interaction matching (``resources/microbe_drug/interactions.tsv``): names are compared after
replacing ``_`` by a space, ignoring case. A ``species`` row matches a taxon whose species is
that binomial (a bare Greengenes epithet is prefixed with its genus), a ``genus`` row a taxon
of that genus, a ``class`` row a taxon of that class. Relative abundances of matched taxa are
summed per assay; the row is "detected" when a sum reaches ``min_abundance``.

Cohort percentile: mid-rank, ``100 * (n_below + 0.5 * n_equal) / n`` over the cohort values
(the patient's own value included), so the lowest of 8 distinct values is 6.25.
"""

from __future__ import annotations

import csv
import html
import json
import math
import re
from collections.abc import Collection, Mapping, Sequence
from os import PathLike
from pathlib import Path

import numpy as np
from markupsafe import Markup

from holobiont.atomic import write_text
from holobiont.core.table import FeatureTable, closure, collapse, parse_lineage, read_tsv
from holobiont.microbiome.genes import GENE_DETECTED, gene_evidence, read_abundance
from holobiont.report.methods import methods as methods_record
from holobiont.report.templating import TEMPLATES, document, environment, safe

ASSAYS = ("16s", "shotgun")
ASSAY_LABEL = {"16s": "16S rRNA amplicon", "shotgun": "shotgun metagenome"}
NOT_SEQUENCED = "not sequenced"
#: A library that was sequenced but gave no usable measurement (failed QC, nothing left after
#: primer trimming or host removal, dropped by a failed step): never "not detected".
NOT_MEASURED = "not measured"
TOP_GENERA = 8
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
)
OTHER_COLOUR = "#c7c7c7"
UNASSIGNED_COLOUR = "#e8e8e8"
#: Parts of a genus composition that are no genus.
OTHER_GENERA, UNASSIGNED_GENUS = "other genera", "unassigned at genus"
LIGHT = {"green": "#2e7d32", "amber": "#ef8f00", "red": "#c62828", "grey": "#9e9e9e"}

Path_ = str | PathLike


# ------------------------------------------------------------------------------ small readers
def _read_rows(path: Path_) -> list[dict[str, str]]:
    """Rows of a TSV with a header, skipping leading ``# `` comment lines."""
    with open(path, encoding="utf-8") as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _comment(path: Path_) -> str:
    with open(path, encoding="utf-8") as fh:
        first = fh.readline()
    return first[1:].strip() if first.startswith("#") else ""


def _num(text: str | None) -> float | None:
    if text is None or text.strip() in ("", "NA", "nan"):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def percentile(value: float, cohort: Sequence[float]) -> float:
    """Mid-rank percentile of ``value`` among ``cohort`` (which should include it)."""
    values = np.asarray([v for v in cohort if v is not None], dtype=float)
    if values.size == 0:
        raise ValueError("empty cohort")
    below = np.sum(values < value)
    equal = np.sum(np.isclose(values, value, rtol=0, atol=1e-12))
    return float(100.0 * (below + 0.5 * equal) / values.size)


def _norm(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).lower()


def taxon_names(lineage: str) -> dict[str, str]:
    """Normalised genus, class and species (binomial) names of one lineage."""
    ranks = parse_lineage(lineage) if lineage else {}
    out = {r: _norm(ranks[r]) for r in ("class", "genus") if r in ranks}
    if "species" in ranks:
        species = _norm(ranks["species"])
        if " " not in species and "genus" in out:
            species = f"{out['genus']} {species}"
        out["species"] = species
    return out


# ------------------------------------------------------------------------------ interactions
def load_interactions(path: Path_) -> list[dict[str, str]]:
    rows = _read_rows(path)
    for r in rows:
        if r["rank"] not in ("species", "genus", "class"):
            raise ValueError(f"{path}: rank must be species, genus or class, got {r['rank']!r}")
    return rows


def match_interactions(
    interactions: Sequence[Mapping[str, str]],
    profiles: Mapping[str, Mapping[str, float] | None],
    *,
    min_abundance: float = 0.001,
) -> list[dict]:
    """Match interaction rows against a patient's taxa.

    ``profiles`` maps assay -> {lineage: relative abundance} for this patient (``None`` when
    the assay was not sequenced, a string -- the reason -- when it was sequenced but not
    measured). Returns one record per row with per-assay abundance and a status: ``detected``,
    ``not detected``, ``not resolved`` (species row below threshold while reads of that genus
    without a species name reach it), ``not measured`` (with its ``reason``; no abundance) or
    ``not sequenced``.
    """
    out = []
    for row in interactions:
        rank, target = row["rank"], _norm(row["taxon"])
        per_assay = {}
        for assay in ASSAYS:
            profile = profiles.get(assay)
            if profile is None:
                per_assay[assay] = {"status": NOT_SEQUENCED, "abundance": None}
                continue
            if isinstance(profile, str):
                per_assay[assay] = {"status": NOT_MEASURED, "abundance": None, "reason": profile}
                continue
            total, unresolved = 0.0, 0.0
            for lineage, value in profile.items():
                names = taxon_names(lineage)
                same_genus = names.get("genus") == target.split(" ")[0]
                if rank == "species" and same_genus and "species" not in names:
                    unresolved += float(value)
                if names.get(rank) == target:
                    total += float(value)
            if total >= min_abundance:
                status = "detected"
            elif unresolved >= min_abundance:
                status = "not resolved"
            else:
                status = "not detected"
            per_assay[assay] = {"status": status, "abundance": total}
        statuses = [v["status"] for v in per_assay.values()]
        overall = next(
            (
                s
                for s in ("detected", "not resolved", "not detected", NOT_MEASURED)
                if s in statuses
            ),
            NOT_SEQUENCED,
        )
        out.append(
            {
                "drug": row["drug"],
                "rank": rank,
                "taxon": row["taxon"],
                "gene_enzyme": row["gene_enzyme"],
                "effect": row["effect"],
                "evidence": row["evidence"],
                "reference": row["reference"],
                "pmid": row.get("pmid", ""),
                "host_genes": [g for g in row.get("host_genes", "").split(",") if g],
                "gene_family": row.get("gene_family", ""),
                "status": overall,
                "assays": per_assay,
            }
        )
    return out


# ------------------------------------------------------------------------------ sections
def _libraries(patient_id: str, read_counts: Path_) -> tuple[list[dict], list[dict]]:
    rows = [r for r in _read_rows(read_counts) if r["patient_id"] == patient_id]
    libs: dict[str, dict] = {}
    qc = []
    for r in rows:
        lib = libs.setdefault(
            r["sample_id"], {"sample_id": r["sample_id"], "assay": r["assay"], "units": []}
        )
        lib["units"].append(r["unit"])
        qc.append(
            {
                "sample_id": r["sample_id"],
                "unit": r["unit"],
                "assay": r["assay"],
                "qc_tool": r["qc_tool"],
                "read_pairs_in": int(float(r["read_pairs_in"])),
                "read_pairs_out": int(float(r["read_pairs_out"])),
                "pct_pairs_kept": _num(r["pct_pairs_kept"]),
                "q30_rate_out": _num(r["q30_rate_out"]),
                "duplication_rate": _num(r["duplication_rate"]),
                "status": r["status"],
                **({"reason": r["reason"]} if r.get("reason") else {}),
            }
        )
    return list(libs.values()), qc


def not_measured_reason(
    assay: str,
    sample: str,
    table: FeatureTable | None,
    qc: Sequence[Mapping],
    host_fraction: Mapping[str, str] | None,
) -> str:
    """Why a sequenced library has no usable profile ("" when its column has reads).

    A library without reads in its table is explained, in order, by: every unit failed QC, no
    microbial read pair left after host removal (shotgun), the sample absent from the table or
    no table (a step failed), else no read reached the table (16S: lost at primer trimming,
    merging or filtering; see read_tracking.tsv).
    """
    in_table = table is not None and sample in table.sample_ids
    if in_table and float(table.counts[[table.sample_ids.index(sample)]].sum()) > 0:
        return ""
    units = [q for q in qc if q["sample_id"] == sample]
    failed = [q for q in units if q["status"] != "PASS"]
    if units and len(failed) == len(units):
        why = "; ".join(
            f"unit {q['unit']}: {q.get('reason') or 'no reads left after QC'}" for q in failed
        )
        return f"library {sample} failed QC ({why})"
    if host_fraction is not None and int(float(host_fraction["microbial_pairs"] or 0)) == 0:
        return (
            f"library {sample} has 0 microbial read pairs after host removal "
            f"({host_fraction['read_pairs']} pairs, all human)"
        )
    if not in_table:
        return f"library {sample} has no profile (a step of its {assay} analysis did not finish)"
    where = (
        "no read pair kept after primer trimming, merging and filtering (read_tracking.tsv)"
        if assay == "16s"
        else "no read classified"
    )
    return f"library {sample} has 0 reads in the {assay} table: {where}"


def _modality(libraries: Sequence[dict], kind: str) -> str | None:
    for lib in libraries:
        a = lib["assay"]
        if (kind == "host" and a.startswith("host")) or a == kind:
            return lib["sample_id"]
    return None


#: CPIC terms of a result that needs no change (PharmCAT/pypgx rank them "Normal Risk"):
#: RYR1/CACNA1S "Uncertain Susceptibility" is the result without a known MHS variant.
_NORMAL_RISK = ("uncertain susceptibility", "favorable response", "ivacaftor responsive")
#: Strongly altered: avoid-the-drug results.
_HIGH_RISK = ("poor", "ultrarapid", "malignant hyperthermia susceptibility", "deficient")


def traffic_light(gene: Mapping) -> str:
    """green = normal, amber = altered, red = strongly altered, grey = not called / no
    phenotype (``n/a``: a gene CPIC gives no phenotype for, e.g. CYP4F2)."""
    pheno = (gene.get("phenotype") or "").lower()
    if gene.get("status") != "called" or pheno in ("", "not called", "indeterminate", "n/a"):
        return "grey"
    if re.fullmatch(r"\*\d+:\d+ (positive|negative)", pheno):
        # HLA allele-presence results (PharmCAT's "*57:01 positive"): carriers are told to
        # avoid the drug (CPIC abacavir, allopurinol, carbamazepine), non-carriers are normal
        return "red" if pheno.endswith("positive") else "green"
    if pheno.startswith("unfavorable") or "non-responsive" in pheno:
        return "amber"
    if "normal" in pheno or pheno.endswith(" gg") or any(w in pheno for w in _NORMAL_RISK):
        return "green"
    if any(w in pheno for w in _HIGH_RISK) or pheno.endswith(" aa"):
        return "red"
    return "amber"


def _activity_score_genes(catalog: Path_ | None) -> list[str]:
    """Genes whose phenotype the catalog derives from an activity score (genes.tsv method)."""
    if not catalog:
        return []
    return [
        r["gene"]
        for r in _read_rows(Path(catalog) / "genes.tsv")
        if r["method"] == "activity_score"
    ]


def _host(pgx_json: Path_ | None, coverage: Path_ | None, catalog: Path_ | None = None) -> dict:
    data = json.loads(Path(pgx_json).read_text(encoding="utf-8"))
    cov = {r["gene"]: r for r in _read_rows(coverage)} if coverage else {}
    genes = []
    for g in data["genes"]:
        c = cov.get(g["gene"], {})
        genes.append(
            {
                "gene": g["gene"],
                "status": g["status"],
                "diplotype": g.get("diplotype") or "",
                "phenotype": g.get("phenotype") or "",
                "activity_score": g.get("activity_score"),
                "confidence": g.get("confidence") or "",
                "light": traffic_light(g),
                "source": g.get("source", "vcf"),
                "missing_positions": [
                    f"{m['chrom']}:{m['pos']}" + (f" ({m['rsid']})" if m.get("rsid") else "")
                    for m in g.get("missing_positions", [])
                ],
                "notes": list(g.get("notes", [])),
                "guidance_note": g.get("guidance_note", ""),
                "drugs": [
                    {
                        "drug": d["drug"],
                        "guidance": d["guidance"],
                        "classification": d.get("classification", ""),
                        "pmid": str(d.get("pmid", "")),
                    }
                    for d in g.get("drugs", [])
                ],
                "coverage": {
                    "positions": int(c["positions"]) if c else None,
                    "positions_covered": int(c["positions_covered"]) if c else None,
                    "median_depth": _num(c.get("median_depth")) if c else None,
                    "min_depth": _num(c.get("min_depth")) if c else None,
                },
            }
        )
    for g in genes:
        g["summary"] = plain_sentence(g)
    return {
        "catalog_version": data.get("catalog_version", ""),
        "activity_score_genes": _activity_score_genes(catalog),
        "genes": genes,
    }


def _genus_composition(table: FeatureTable, sample: str, top: int) -> list[dict]:
    i = table.sample_ids.index(sample)
    genus = collapse(table, "genus") if table.taxonomy else table
    rel = closure(genus.counts.astype(float))
    rel = np.asarray(rel.toarray() if hasattr(rel, "toarray") else rel)[i]
    names = []
    for t in genus.taxa:
        ranks = parse_lineage(genus.taxonomy[t]) if t in genus.taxonomy else {}
        names.append(ranks.get("genus", t))
    order = [k for k in np.argsort(-rel, kind="stable") if rel[k] > 0]
    named = [k for k in order if genus.taxa[k] != "unassigned"][:top]
    out = [{"genus": names[k], "relative": float(rel[k])} for k in named]
    # ASVs without a confident genus (SINTAX lineage cut at the cutoff) are their own part,
    # never lumped with the genera left out of the top list
    unassigned = float(sum(rel[k] for k, t in enumerate(genus.taxa) if t == "unassigned"))
    rest = float(rel.sum() - sum(d["relative"] for d in out) - unassigned)
    if rest > 1e-9:
        out.append({"genus": OTHER_GENERA, "relative": rest})
    if unassigned > 1e-9:
        out.append({"genus": UNASSIGNED_GENUS, "relative": unassigned})
    return out


def _profile(table: FeatureTable, sample: str) -> dict[str, float]:
    i = table.sample_ids.index(sample)
    counts = table.counts
    row = np.asarray(counts[[i]].toarray() if hasattr(counts, "toarray") else counts[i], float)
    row = row.ravel()
    total = row.sum()
    rel = row / total if total > 0 else row
    return {table.taxonomy.get(t, ""): float(v) for t, v in zip(table.taxa, rel, strict=True)}


def _diversity(
    sample: str,
    files: Mapping[str, Path_],
    metrics=("shannon", "observed"),
    cohort_samples: Collection[str] | None = None,
) -> dict:
    """Alpha diversity of ``sample`` placed in the cohort, its PCoA position, PERMANOVA.

    ``cohort_samples``: the one sample per patient the cohort statistics use (the latest
    timepoint); None = every sample of the tables.
    """
    alpha_rows = _read_rows(files["alpha"])
    if cohort_samples is not None:
        keep = set(cohort_samples) | {sample}
        alpha_rows = [r for r in alpha_rows if r["sample_id"] in keep]
    rare = {r["sample_id"]: r for r in _read_rows(files["rarefaction"])}
    out: dict = {"depth_note": _comment(files["alpha"]), "alpha": [], "pcoa": None}
    if sample in rare and rare[sample]["status"] != "kept":
        out["dropped"] = rare[sample].get("reason") or "below rarefaction depth"
    mine = next((r for r in alpha_rows if r["sample_id"] == sample), None)
    for m in metrics:
        cohort = [
            {"sample_id": r["sample_id"], "value": _num(r[m])}
            for r in alpha_rows
            if _num(r.get(m)) is not None
        ]
        if mine is None or _num(mine.get(m)) is None:
            continue
        value = _num(mine[m])
        out["alpha"].append(
            {
                "metric": m,
                "value": value,
                "lo95": _num(mine.get(f"{m}_lo95")),
                "hi95": _num(mine.get(f"{m}_hi95")),
                "percentile": percentile(value, [c["value"] for c in cohort]),
                "cohort": cohort,
            }
        )
    if files.get("pcoa_braycurtis"):
        pcoa = read_pcoa(files["pcoa_braycurtis"])
        if cohort_samples is not None:
            pcoa["points"] = [p for p in pcoa["points"] if p["sample_id"] in keep]
        if any(p["sample_id"] == sample for p in pcoa["points"]):
            out["pcoa"] = {"metric": "braycurtis", **pcoa}
    if files.get("permanova"):
        out["permanova"] = [
            {
                "metric": r["metric"],
                "column": r["column"],
                "pseudo_F": _num(r["pseudo_F"]),
                "p_value": _num(r["p_value"]),
            }
            for r in _read_rows(files["permanova"])
            if r["metric"] == "braycurtis" and _num(r["p_value"]) is not None
        ]
    return out


def read_pcoa(path: Path_) -> dict:
    """PC1/PC2 of a ``pcoa_<metric>.tsv`` and their proportions explained (its comment line)."""
    explained = {}
    for part in _comment(path).split(":", 1)[-1].split(","):
        if "=" in part:
            k, v = part.strip().split("=")
            explained[k] = float(v)
    return {
        "pc1_explained": explained.get("PC1"),
        "pc2_explained": explained.get("PC2"),
        "points": [
            {"sample_id": r["sample_id"], "pc1": float(r["PC1"]), "pc2": float(r.get("PC2") or 0)}
            for r in _read_rows(path)
        ],
    }


def _drug_genes(pgx_drugs: Path_ | None) -> dict[str, set[str]]:
    genes: dict[str, set[str]] = {}
    if pgx_drugs:
        for r in _read_rows(pgx_drugs):
            # two-gene guidelines (e.g. thiopurines: TPMT + NUDT15) name both genes
            genes.setdefault(r["drug"], set()).update(g for g in (r["gene"], r.get("gene_2")) if g)
    return genes


def _host_for_drug(drug: str, genes_wanted: set[str], host: dict | None) -> list[dict]:
    if host is None:
        return [{"gene": g, "phenotype": NOT_SEQUENCED, "light": "grey"} for g in genes_wanted]
    out = []
    for g in host["genes"]:
        guidance = [d for d in g["drugs"] if d["drug"] == drug]
        if guidance or g["gene"] in genes_wanted:
            out.append(
                {
                    "gene": g["gene"],
                    "phenotype": g["phenotype"],
                    "light": g["light"],
                    "guidance": guidance[0]["guidance"] if guidance else "",
                }
            )
    return out


def _identity(patient_id: str, identity: Path_ | None, stool: Sequence[str]) -> list[dict]:
    if not identity:
        return []
    rows = [r for r in _read_rows(identity) if r["sample_id"] in stool]
    return [
        {
            "sample_id": r["sample_id"],
            "verdict": r["verdict"],
            "best_patient": r["best_patient"],
            "informative_sites": int(r["informative_sites"]),
            "concordance_sheet": _num(r["concordance_sheet"]),
        }
        for r in rows
    ]


def _provenance(path: Path_ | None, samples: Sequence[str]) -> dict:
    if not path:
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        "pipeline": data.get("pipeline", {}),
        "tools": data.get("tools", {}),
        "python_packages": data.get("python_packages", {}),
        "config_sha256": data.get("config_sha256", ""),
        "inputs": [
            {k: i[k] for k in ("sample_id", "unit", "sha256_r1", "sha256_r2") if k in i}
            for i in data.get("inputs", [])
            if i.get("sample_id") in samples
        ],
    }


def build_patient_report(
    patient_id: str,
    *,
    read_counts: Path_,
    pgx_json: Path_ | None = None,
    pgx_coverage: Path_ | None = None,
    asv_table: Path_ | None = None,
    species_table: Path_ | None = None,
    host_fraction: Path_ | None = None,
    diversity: Mapping[str, Mapping[str, Path_]] | None = None,
    identity: Path_ | None = None,
    provenance: Path_ | None = None,
    interactions: Path_ | None = None,
    pgx_drugs: Path_ | None = None,
    metadata: Mapping[str, str] | None = None,
    min_abundance: float = 0.001,
    top: int = TOP_GENERA,
    gene_abundance: Path_ | None = None,
    genes_configured: bool = False,
    pgx_catalog: Path_ | None = None,
    reference_check: Path_ | None = None,
    databases: Path_ | None = None,
    site: Mapping | None = None,
    report_date: str | None = None,
    environ: Mapping[str, str] | None = None,
    timepoints: Mapping[str, Mapping] | None = None,
    cohort_samples: Mapping[str, Collection[str]] | None = None,
) -> dict:
    """Assemble one patient's report from the result files (see module docstring).

    ``timepoints`` (:func:`holobiont.pipeline.sheet.stool_timepoints`: stool sample -> ``timepoint``,
    ``collection_date``, ``order``) orders a patient's several stool samples of one assay:
    the microbiome section, the microbe-drug rows and the key findings then describe the latest
    one, and ``timecourse`` holds every timepoint (:func:`timecourse`). ``cohort_samples``
    (``{assay: samples}``, :func:`holobiont.pipeline.sheet.latest_stool_samples`) restricts the cohort
    statistics (percentiles, cohort ranges, PCoA) to one sample per patient.

    ``pgx_catalog`` (the catalog folder), ``reference_check`` and ``databases`` feed the
    methods and limitations (:mod:`holobiont.report.methods`); ``site`` and ``report_date`` the
    document header (:func:`holobiont.report.templating.document`).

    ``gene_abundance`` (results/shotgun/genes/gene_abundance.tsv) adds gene-level evidence to
    every microbe-drug row (``gene_evidence``: :func:`holobiont.microbiome.genes.gene_evidence`);
    ``genes_configured`` says whether a protein reference was configured at all.
    """
    libraries, qc = _libraries(patient_id, read_counts)
    if not libraries:
        raise ValueError(f"patient {patient_id!r} has no library in {read_counts}")
    host_sample = _modality(libraries, "host")
    stool_ids = stool_samples(patient_id, libraries, timepoints)
    stool = {a: ids[-1] if ids else None for a, ids in stool_ids.items()}
    modalities = {"host": host_sample or NOT_SEQUENCED}
    modalities.update({a: s or NOT_SEQUENCED for a, s in stool.items()})

    host = _host(pgx_json, pgx_coverage, pgx_catalog) if host_sample and pgx_json else None

    tables = {"16s": asv_table, "shotgun": species_table}
    loaded = {a: read_tsv(tables[a]) if tables[a] and stool[a] else None for a in ASSAYS}
    fractions = {r["sample_id"]: r for r in _read_rows(host_fraction)} if host_fraction else {}
    microbiome, profiles = _microbiome_sections(
        stool, loaded, qc, fractions, diversity, cohort_samples, top
    )
    gene_rows = read_abundance(gene_abundance) if gene_abundance else None
    matched = _microbe_drug_rows(
        interactions,
        profiles,
        min_abundance=min_abundance,
        drug_genes=_drug_genes(pgx_drugs),
        host=host,
        genes_of_sample=(
            gene_rows.get(stool["shotgun"]) if gene_rows is not None and stool["shotgun"] else None
        ),
        genes_configured=genes_configured,
    )

    follow_up = {a: ids for a, ids in stool_ids.items() if len(ids) > 1}
    course = {
        assay: timecourse(
            assay,
            ids,
            table=loaded[assay],
            qc=qc,
            fractions=fractions,
            timepoints=timepoints or {},
            diversity=(diversity or {}).get(assay),
            interactions=load_interactions(interactions) if interactions else [],
            min_abundance=min_abundance,
            gene_rows=gene_rows if assay == "shotgun" else None,
            genes_configured=genes_configured,
            top=top,
        )
        for assay, ids in follow_up.items()
    }
    methods = methods_record(
        provenance=_read_json(provenance),
        catalog=pgx_catalog,
        host=host,
        reference_check=reference_check if host is not None else None,
        databases=databases,
        config=(_read_json(provenance) or {}).get("config", {}),
        assays=[k for k, v in modalities.items() if v != NOT_SEQUENCED],
    )
    if _cohort_has_follow_up(loaded, cohort_samples):
        methods["cohort_statistics"] = COHORT_STATISTICS

    return {
        "report_version": "1",
        "patient_id": patient_id,
        "metadata": {k: str(v) for k, v in (metadata or {}).items()},
        "modalities": modalities,
        "libraries": libraries,
        "qc": qc,
        "host": host if host is not None else {"status": NOT_SEQUENCED},
        "microbiome": microbiome,
        "interactions": {"min_abundance": min_abundance, "rows": matched},
        "identity": _identity(patient_id, identity, [s for ids in stool_ids.values() for s in ids]),
        "provenance": _provenance(provenance, [lib["sample_id"] for lib in libraries]),
        "methods": methods,
        "document": document(patient_id, site, date=report_date, environ=environ),
        **({"timecourse": course} if course else {}),
    }


def _microbiome_sections(stool, loaded, qc, fractions, diversity, cohort_samples, top):
    """The microbiome section of each assay (composition, diversity, human fraction; "not
    sequenced" or "not measured" with the reason) and the profiles the microbe-drug rows are
    matched against (a reason string where not measured)."""
    microbiome: dict = {}
    profiles: dict = {}
    for assay in ASSAYS:
        sample = stool[assay]
        if not sample:
            microbiome[assay] = {"status": NOT_SEQUENCED}
            profiles[assay] = None
            continue
        table = loaded[assay]
        reason = not_measured_reason(assay, sample, table, qc, fractions.get(sample))
        if reason:
            microbiome[assay] = {"status": NOT_MEASURED, "sample_id": sample, "reason": reason}
            profiles[assay] = reason
            continue
        section = {
            "status": "profiled",
            "sample_id": sample,
            "genera": _genus_composition(table, sample, top),
        }
        if diversity and assay in diversity:
            section["diversity"] = _diversity(
                sample,
                diversity[assay],
                cohort_samples=(cohort_samples or {}).get(assay) if cohort_samples else None,
            )
        if assay == "shotgun" and sample in fractions:
            section["human_fraction"] = _num(fractions[sample]["human_fraction"])
        microbiome[assay] = section
        profiles[assay] = _profile(table, sample)
    return microbiome, profiles


def _microbe_drug_rows(
    interactions, profiles, *, min_abundance, drug_genes, host, genes_of_sample, genes_configured
) -> list[dict]:
    """The microbe-drug rows matched against the profiles, each with the host's phenotype
    for the same drug and the gene-level evidence of the shotgun sample."""
    matched = []
    if not interactions:
        return matched
    for m in match_interactions(
        load_interactions(interactions), profiles, min_abundance=min_abundance
    ):
        wanted = set(m["host_genes"]) | drug_genes.get(m["drug"], set())
        m["host_pgx"] = _host_for_drug(m["drug"], wanted, host)
        m["gene_evidence"] = gene_evidence(
            m["gene_family"],
            m["assays"]["shotgun"],
            genes_of_sample,
            reference_configured=genes_configured,
        )
        matched.append(m)
    return matched


# ------------------------------------------------------------------------------ time course
#: What the reports say about the cohort statistics when a patient has several timepoints.
COHORT_STATISTICS = (
    "Cohort statistics use one sample per patient: the latest timepoint (cohort percentiles "
    "and ranges of alpha diversity, the PCoA of the cohort, the cohort report's plots); the "
    "earlier timepoints of a follow-up appear only in that patient's 'Change over time' section."
)


def stool_samples(
    patient_id: str, libraries: Sequence[Mapping], timepoints: Mapping[str, Mapping] | None
) -> dict[str, list[str]]:
    """``{assay: stool samples}`` of one patient, oldest first (the last is the one the report
    describes). Several samples of one assay need a timepoint each (the sheet checks it)."""
    out: dict[str, list[str]] = {}
    for a in ASSAYS:
        ids = [lib["sample_id"] for lib in libraries if lib["assay"] == a]
        if len(ids) > 1:
            order = {s: (timepoints or {}).get(s, {}).get("order") for s in ids}
            missing = [s for s, o in order.items() if o is None]
            if missing:
                raise ValueError(
                    f"patient {patient_id!r} has {len(ids)} {a} samples ({', '.join(ids)}) but "
                    f"no timepoint for {', '.join(missing)}; give each its timepoint in the sheet"
                )
            ids.sort(key=lambda s: order[s])
        out[a] = ids
    return out


def _cohort_has_follow_up(
    tables: Mapping[str, FeatureTable | None], cohort_samples: Mapping | None
) -> bool:
    """Whether some table holds a stool sample the cohort statistics leave out."""
    if not cohort_samples:
        return False
    return any(
        table is not None and set(table.sample_ids) - set(cohort_samples.get(assay, ()))
        for assay, table in tables.items()
        if assay in cohort_samples
    )


def timepoint_label(times: Mapping) -> str:
    """``t = 28`` (the sheet's timepoint), or the collection date when there is none."""
    if times.get("timepoint"):
        return f"t = {times['timepoint']}"
    return times.get("collection_date") or ""


def _genus_shares(table: FeatureTable, sample: str) -> tuple[dict[str, float], float]:
    """``({genus: relative abundance}, unassigned share)`` of one sample (genera with reads)."""
    i = table.sample_ids.index(sample)
    genus = collapse(table, "genus") if table.taxonomy else table
    rel = closure(genus.counts.astype(float))
    rel = np.asarray(rel.toarray() if hasattr(rel, "toarray") else rel)[i]
    shares, unassigned = {}, 0.0
    for k, t in enumerate(genus.taxa):
        if t == "unassigned":
            unassigned += float(rel[k])
            continue
        if rel[k] > 0:
            ranks = parse_lineage(genus.taxonomy[t]) if t in genus.taxonomy else {}
            shares[ranks.get("genus", t)] = float(rel[k])
    return shares, unassigned


def _alpha_at(sample: str, files: Mapping[str, Path_] | None) -> dict:
    """Alpha diversity of one sample (no cohort placement), or why it has none."""
    if not files:
        return {"alpha": [], "dropped": "no diversity table"}
    rare = {r["sample_id"]: r for r in _read_rows(files["rarefaction"])}
    out: dict = {"alpha": []}
    if sample in rare and rare[sample]["status"] != "kept":
        out["dropped"] = rare[sample].get("reason") or "below rarefaction depth"
    row = next((r for r in _read_rows(files["alpha"]) if r["sample_id"] == sample), None)
    for m in ("shannon", "observed"):
        if row is not None and _num(row.get(m)) is not None:
            out["alpha"].append(
                {
                    "metric": m,
                    "value": _num(row[m]),
                    "lo95": _num(row.get(f"{m}_lo95")),
                    "hi95": _num(row.get(f"{m}_hi95")),
                }
            )
    return out


def timecourse(
    assay: str,
    samples: Sequence[str],
    *,
    table: FeatureTable | None,
    qc: Sequence[Mapping],
    fractions: Mapping[str, Mapping],
    timepoints: Mapping[str, Mapping],
    diversity: Mapping[str, Path_] | None,
    interactions: Sequence[Mapping],
    min_abundance: float,
    gene_rows: Mapping | None = None,
    genes_configured: bool = False,
    top: int = TOP_GENERA,
) -> dict:
    """One patient's stool samples of one assay over time (oldest first).

    Per timepoint: genus composition over one genus list shared by every timepoint (the
    ``top`` genera by mean relative abundance over the timepoints, so a genus keeps its colour
    and row), alpha diversity (Shannon, observed; with the rarefaction interval), and the
    microbe-drug rows (status and summed relative abundance; for shotgun also the gene
    evidence). ``drug_rows`` keeps the rows detected (or not resolved) at some timepoint. A
    library without a usable profile is ``not measured`` with its reason.
    """
    points, shares = [], {}
    for s in samples:
        times = timepoints.get(s, {})
        point: dict = {
            "sample_id": s,
            "timepoint": times.get("timepoint", ""),
            "collection_date": times.get("collection_date", ""),
            "label": timepoint_label(times),
        }
        reason = not_measured_reason(assay, s, table, qc, fractions.get(s))
        if reason:
            point.update(status=NOT_MEASURED, reason=reason)
        else:
            point["status"] = "profiled"
            shares[s] = _genus_shares(table, s)
            point.update(_alpha_at(s, diversity))
        points.append(point)
    mean: dict[str, float] = {}
    for named, _ in shares.values():
        for g, v in named.items():
            mean[g] = mean.get(g, 0.0) + v / len(shares)
    genera = [g for g, _ in sorted(mean.items(), key=lambda x: (-x[1], x[0]))][:top]
    for point in points:
        if point["sample_id"] not in shares:
            continue
        named, unassigned = shares[point["sample_id"]]
        parts = [{"genus": g, "relative": named.get(g, 0.0)} for g in genera]
        rest = sum(v for g, v in named.items() if g not in genera)
        if rest > 1e-9:
            parts.append({"genus": OTHER_GENERA, "relative": rest})
        if unassigned > 1e-9:
            parts.append({"genus": UNASSIGNED_GENUS, "relative": unassigned})
        point["genera"] = parts

    rows = []
    for row in interactions:
        per_point = []
        for point in points:
            s = point["sample_id"]
            profile = _profile(table, s) if s in shares else point.get("reason", NOT_MEASURED)
            profiles = {a: (profile if a == assay else None) for a in ASSAYS}
            m = match_interactions([row], profiles, min_abundance=min_abundance)[0]
            cell = dict(m["assays"][assay])
            if assay == "shotgun":
                cell["gene_evidence"] = gene_evidence(
                    m["gene_family"],
                    m["assays"]["shotgun"],
                    (gene_rows or {}).get(s) if gene_rows is not None else None,
                    reference_configured=genes_configured,
                )
            per_point.append(cell)
        flagged = [
            c
            for c in per_point
            if c["status"] in ("detected", "not resolved")
            or c.get("gene_evidence", {}).get("status") == GENE_DETECTED
        ]
        if flagged:
            rows.append(
                {
                    "drug": row["drug"],
                    "rank": row["rank"],
                    "taxon": row["taxon"],
                    "gene_enzyme": row["gene_enzyme"],
                    "timepoints": per_point,
                }
            )
    return {
        "samples": list(samples),
        "latest": samples[-1],
        "genera": genera,
        "timepoints": points,
        "drug_rows": rows,
    }


def _read_json(path: Path_ | None) -> dict | None:
    return json.loads(Path(path).read_text(encoding="utf-8")) if path else None


def write_report(
    report: dict, json_out: Path_, html_out: Path_, render=None, template_dir=None
) -> None:
    """Write a report's JSON and its HTML (``render``, default :func:`render_html`)."""
    write_text(json_out, json.dumps(report, indent=2, sort_keys=False) + "\n")
    write_text(html_out, (render or render_html)(report, template_dir=template_dir))


# ------------------------------------------------------------------------------ SVG helpers
def _e(x) -> str:
    return html.escape(str(x), quote=True)


def svg_stacked_bar(parts: Sequence[dict], width: int = 560, height: int = 34) -> str:
    """Horizontal 100 % bar plus a legend; ``parts`` = [{"genus", "relative"}]."""
    x, rects, legend = 0.0, [], []
    for k, p in enumerate(parts):
        colour = {OTHER_GENERA: OTHER_COLOUR, UNASSIGNED_GENUS: UNASSIGNED_COLOUR}.get(
            p["genus"], PALETTE[k % len(PALETTE)]
        )
        style = "normal" if p["genus"] in (OTHER_GENERA, UNASSIGNED_GENUS) else "italic"
        w = p["relative"] * width
        rects.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{colour}">'
            f"<title>{_e(p['genus'])} {100 * p['relative']:.1f} %</title></rect>"
        )
        col, row = k % 3, k // 3
        legend.append(
            f'<rect x="{col * 190}" y="{height + 10 + row * 18}" width="11" height="11" '
            f'fill="{colour}"/><text x="{col * 190 + 15}" y="{height + 20 + row * 18}" '
            f'font-size="12"><tspan font-style="{style}">{_e(p["genus"])}</tspan> '
            f"{100 * p['relative']:.1f} %</text>"
        )
        x += w
    total_h = height + 16 + 18 * ((len(parts) + 2) // 3)
    return (
        f'<svg width="{width}" height="{total_h}" '
        f'role="img">{"".join(rects)}{"".join(legend)}</svg>'
    )


def svg_strip(metric: Mapping, patient_sample: str, width: int = 360, height: int = 70) -> str:
    """Cohort values as dots on one axis, the patient as a large red dot with its 95 % range."""
    values = [c["value"] for c in metric["cohort"]]
    lo, hi = min(values), max(values)
    if metric.get("lo95") is not None:
        lo, hi = min(lo, metric["lo95"]), max(hi, metric["hi95"])
    span = (hi - lo) or 1.0
    pad = 20

    def sx(v):
        return pad + (v - lo) / span * (width - 2 * pad)

    parts = [f'<line x1="{pad}" y1="35" x2="{width - pad}" y2="35" stroke="#999"/>']
    for c in metric["cohort"]:
        if c["sample_id"] == patient_sample:
            continue
        parts.append(
            f'<circle cx="{sx(c["value"]):.1f}" cy="35" r="5" fill="#90a4ae" opacity="0.8">'
            f"<title>{_e(c['sample_id'])}: {c['value']:.3g}</title></circle>"
        )
    if metric.get("lo95") is not None:
        parts.append(
            f'<line x1="{sx(metric["lo95"]):.1f}" y1="24" x2="{sx(metric["hi95"]):.1f}" '
            f'y2="24" stroke="#c62828" stroke-width="3"/>'
        )
    parts.append(
        f'<circle cx="{sx(metric["value"]):.1f}" cy="35" r="8" fill="#c62828" stroke="#fff"/>'
    )
    parts.append(f'<text x="{pad}" y="60" font-size="11">{lo:.3g}</text>')
    parts.append(f'<text x="{width - pad}" y="60" font-size="11" text-anchor="end">{hi:.3g}</text>')
    return f'<svg width="{width}" height="{height}" role="img">{"".join(parts)}</svg>'


def svg_pcoa(pcoa: Mapping, draw, size: int = 300, pad: int = 30, last=None) -> str:
    """PC1/PC2 frame with axis labels (proportion explained); ``draw(point, x, y)`` returns each
    point's SVG. Points for which ``last(point)`` is true are drawn on top."""
    pts = sorted(pcoa["points"], key=last or (lambda p: False))
    xs, ys = [p["pc1"] for p in pts], [p["pc2"] for p in pts]
    xlo, ylo = min(xs), min(ys)
    xspan, yspan = (max(xs) - xlo) or 1.0, (max(ys) - ylo) or 1.0
    inner = size - 2 * pad
    parts = [
        f'<rect x="{pad - 10}" y="{pad - 10}" width="{inner + 20}" height="{inner + 20}" '
        'fill="none" stroke="#ccc"/>'
    ]
    for p in pts:
        x = pad + (p["pc1"] - xlo) / xspan * inner
        y = size - pad - (p["pc2"] - ylo) / yspan * inner
        parts.append(draw(p, x, y))

    def pct(v):
        return f" ({100 * v:.0f} %)" if v is not None else ""

    parts.append(
        f'<text x="{size / 2}" y="{size - 4}" font-size="11" text-anchor="middle">'
        f"PC1{pct(pcoa.get('pc1_explained'))}</text>"
        f'<text x="10" y="{size / 2}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 10 {size / 2})">PC2{pct(pcoa.get("pc2_explained"))}</text>'
    )
    return f'<svg width="{size}" height="{size}" role="img">{"".join(parts)}</svg>'


def svg_scatter(pcoa: Mapping, patient_sample: str, size: int = 300) -> str:
    """PCoA PC1/PC2 scatter; the patient is the large red dot."""

    def draw(p, x, y):
        if p["sample_id"] == patient_sample:
            return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="#c62828" stroke="#fff"/>'
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#90a4ae">'
            f"<title>{_e(p['sample_id'])}</title></circle>"
        )

    return svg_pcoa(pcoa, draw, size, last=lambda p: p["sample_id"] == patient_sample)


# ------------------------------------------------------------------------------ HTML

STATUS_COLOUR = {
    "detected": "#ef6c00",
    "not detected": "#78909c",
    "not resolved": "#b0a000",
    NOT_MEASURED: "#6d4c41",
    NOT_SEQUENCED: "#9e9e9e",
}


def _pill(text: str, colour: str) -> str:
    return f'<span class="pill" style="background:{colour}">{_e(text)}</span>'


def _dot(light: str) -> str:
    return f'<span class="dot" style="background:{LIGHT[light]}"></span>'


def _fmt(v, digits=3) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return _e(v)


def gene_threshold(rows: Sequence[Mapping]) -> str:
    """The detection threshold of the rows' gene evidence, as a clause ("" when none)."""
    found = {
        m["gene_evidence"]["min_pairs"] for m in rows if "min_pairs" in m.get("gene_evidence", {})
    }
    return f"; a gene counts as detected from {min(found)} read pairs" if found else ""


def gene_text(g: Mapping) -> str:
    """Plain text of a row's gene evidence (holobiont.microbiome.genes.gene_evidence)."""
    name = g["gene"] or "gene"
    if g["status"] == "not measured":
        return f"{name} not measured: {g['reason']}"
    figures = f"{g['read_pairs']} read pairs"
    if g["rpm"] is not None:
        figures += f", {g['rpm']:.1f} RPM, {g['rpkm']:.1f} RPKM"
    return f"{name} {g['status']} ({figures}; threshold {g['min_pairs']} pairs)"


def summary_evidence(m: Mapping) -> str:
    """What a key-finding flag rests on (plain text): the gene's reads, or the taxon proxy."""
    g = m.get("gene_evidence") or {}
    if g.get("basis") != "gene reads":
        return "present [taxon presence proxy]"
    figures = f"{g['read_pairs']} read pairs" + (
        f", {g['rpm']:.0f} RPM" if g["rpm"] is not None else ""
    )
    if g["status"] == GENE_DETECTED:
        return f"{g['gene']} gene detected, {figures} [gene reads]"
    return f"present, {g['gene']} not detected ({figures}; threshold {g['min_pairs']}) [gene reads]"


def provenance_line(p: Mapping, inputs_note: str = "") -> str:
    """ "Pipeline <name> <version>; config SHA-256 <digest>[; note]<br>Tools: ..." (HTML)."""
    pipe = p.get("pipeline", {})
    tools = ", ".join(f"{_e(k)} {_e(v)}" for k, v in sorted(p["tools"].items()))
    return (
        f"Pipeline {_e(pipe.get('name', ''))} {_e(pipe.get('version', ''))}; config SHA-256 "
        f"<code>{_e(p['config_sha256'])}</code>{inputs_note}<br>Tools: {tools}"
    )


# ------------------------------------------------------------------------------ plain language
#: Phenotype words -> what they mean for the drugs, in plain language (first match wins).
_PLAIN = (
    ("ultrarapid", "breaks down or activates the drugs below much faster than usual"),
    ("rapid", "breaks down or activates the drugs below faster than usual"),
    ("poor metabolizer", "breaks down or activates the drugs below very little or not at all"),
    ("intermediate metabolizer", "breaks down or activates the drugs below more slowly than usual"),
    ("poor function", "the protein works much less than usual"),
    ("decreased function", "the protein works less than usual"),
    ("increased function", "the protein works more than usual"),
    ("deficient", "the enzyme is missing or barely active"),
    ("malignant hyperthermia susceptibility", "some anaesthetics can trigger a dangerous reaction"),
    ("unfavorable", "the drugs below are expected to work less well"),
    ("non-responsive", "the drugs below are not expected to work"),
    ("positive", "carries the allele tested, which raises the risk of a severe reaction"),
    ("negative", "does not carry the allele tested"),
)


def plain_sentence(gene: Mapping) -> str:
    """One plain-language sentence for an altered gene ("" for normal or not-called genes)."""
    if gene.get("light") not in ("amber", "red"):
        return ""
    pheno = (gene.get("phenotype") or "").lower()
    meaning = next((m for w, m in _PLAIN if w in pheno), "")
    drugs = [d["drug"] for d in gene.get("drugs", [])]
    what = f"{gene['gene']} result '{gene['phenotype']}'"
    if gene.get("activity_score") is not None:
        what += f" (activity score {_fmt(gene['activity_score'])})"
    sentence = f"{what}: {meaning}." if meaning else f"{what} differs from the usual result."
    if drugs:
        sentence += f" This can change the dose or choice of {', '.join(drugs)}."
    return sentence


# ------------------------------------------------------------------------------ HTML
def _css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


#: The shipped stylesheet (templates/report.css); a site's own report.css replaces it.
CSS = _css()
_STATUS_ORDER = ("detected", "not resolved", "not detected", NOT_MEASURED, NOT_SEQUENCED)


def template_globals() -> dict:
    """What every report template may use besides the report: helpers and vocabulary."""
    return {
        "dot": lambda light: Markup(_dot(light)),
        "pill": lambda text, colour: Markup(_pill(text, colour)),
        "fmt": lambda v, digits=3: Markup(_fmt(v, digits)),
        "provenance_line": lambda p, note="": Markup(provenance_line(p, note)),
        "svg_stacked_bar": safe(svg_stacked_bar),
        "svg_strip": safe(svg_strip),
        "svg_scatter": safe(svg_scatter),
        "gene_threshold": gene_threshold,
        "gene_text": gene_text,
        "summary_evidence": summary_evidence,
        "LIGHT": LIGHT,
        "STATUS_COLOUR": STATUS_COLOUR,
        "ASSAYS": ASSAYS,
        "ASSAY_LABEL": ASSAY_LABEL,
        "TOP_GENERA": TOP_GENERA,
        "NOT_SEQUENCED": NOT_SEQUENCED,
        "NOT_MEASURED": NOT_MEASURED,
    }


def render(
    template: str,
    report: Mapping,
    view: Mapping,
    *,
    title: str,
    template_dir: Path_ | None = None,
    print_variant: bool = False,
    extra_globals: Mapping | None = None,
) -> str:
    """Render one report template (``print_variant``: every ``<details>`` open, for the PDF)."""
    env = environment(template_dir)
    env.globals.update(template_globals())
    env.globals.update(extra_globals or {})
    page = env.get_template(template).render(
        report=report, view=view, title=title, print_variant=print_variant
    )
    return page.rstrip("\n") + "\n"


def _findings(r: Mapping) -> list[dict]:
    """Key findings of a patient, most actionable first (rendered by the template)."""
    items: list[dict] = []
    host = r["host"]
    if host.get("status") == NOT_SEQUENCED:
        items.append({"kind": "no_host"})
    else:
        for g in host["genes"]:
            if g["light"] in ("amber", "red"):
                drugs = ", ".join(d["drug"] for d in g["drugs"])
                items.append({"kind": "gene", "gene": g, "drugs": drugs})
        grey = [g["gene"] for g in host["genes"] if g["light"] == "grey"]
        if grey:
            items.append({"kind": "not_called", "genes": grey})
    by_drug: dict[str, list] = {}
    for m in r["interactions"]["rows"]:
        gene_found = m.get("gene_evidence", {}).get("status") == GENE_DETECTED
        if m["status"] == "detected" or gene_found:
            by_drug.setdefault(m["drug"], []).append(m)
    for drug, ms in sorted(by_drug.items()):
        host_txt = "; ".join(
            dict.fromkeys(f"{h['gene']} {h['phenotype']}" for m in ms for h in m["host_pgx"])
        )
        items.append({"kind": "microbe", "drug": drug, "rows": ms, "host": host_txt})
    swaps = [i for i in r["identity"] if i["verdict"] != "match"]
    items += [{"kind": "swap", "row": i} for i in swaps]
    items += [{"kind": "qc", "row": q} for q in r["qc"] if q["status"] != "PASS"]
    for assay in ASSAYS:
        m = r["microbiome"][assay]
        if m["status"] == NOT_MEASURED:
            items.append({"kind": "not_measured", "assay": assay, "reason": m["reason"]})
    if r["identity"] and not swaps:
        items.append({"kind": "identity_ok"})
    for assay, course in r.get("timecourse", {}).items():
        points = course["timepoints"]
        items.append(
            {
                "kind": "timecourse",
                "assay": assay,
                "labels": [p["label"] for p in points],
                "latest": points[-1],
            }
        )
    return items


def timecourse_view(course: Mapping) -> dict:
    """Table rows of one assay's time course: genus x timepoint shares, alpha per metric."""
    points = course["timepoints"]
    names = [*course["genera"], OTHER_GENERA, UNASSIGNED_GENUS]
    genera = []
    for name in names:
        values = []
        for p in points:
            if p["status"] != "profiled":
                values.append(None)
                continue
            values.append(next((g["relative"] for g in p["genera"] if g["genus"] == name), 0.0))
        if name in course["genera"] or any(v for v in values if v):
            genera.append({"genus": name, "shares": values, "named": name in course["genera"]})
    metrics = []
    for m in ("shannon", "observed"):
        cells = [next((a for a in p.get("alpha", []) if a["metric"] == m), None) for p in points]
        if any(cells):
            metrics.append({"metric": m, "cells": cells})
    return {"genera": genera, "alpha": metrics}


def patient_view(r: Mapping) -> dict:
    """What the patient template shows beyond the JSON: key findings and the row order."""
    genes = r["host"].get("genes", [])
    return {
        "findings": _findings(r),
        "interactions": sorted(
            r["interactions"]["rows"],
            key=lambda m: (_STATUS_ORDER.index(m["status"]), m["drug"]),
        ),
        "normal_drug_count": sum(len(g["drugs"]) for g in genes if g["light"] == "green"),
        "timecourse": {a: timecourse_view(c) for a, c in r.get("timecourse", {}).items()},
    }


def render_html(
    report: dict, *, template_dir: Path_ | None = None, print_variant: bool = False
) -> str:
    """One self-contained HTML page (inline CSS, SVG and one inline print script; no external
    resources), from ``patient.html.j2`` (a site's own when ``template_dir`` has one)."""
    return render(
        "patient.html.j2",
        report,
        patient_view(report),
        title=f"Holobiont report {report['patient_id']}",
        template_dir=template_dir,
        print_variant=print_variant,
    )
