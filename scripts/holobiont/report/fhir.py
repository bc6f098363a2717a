"""HL7 FHIR R4 export of one patient's pharmacogenomic results (Genomics Reporting IG, STU3).

:func:`patient_bundle` turns a patient report (the JSON of :mod:`holobiont.report.patient`, schema
``workflow/schemas/patient_report.schema.json``) into a FHIR R4 ``Bundle`` of type
``collection`` that follows the HL7 Genomics Reporting implementation guide 3.0.0 (STU3, on
FHIR R4). The mapping, element by element, is in ``docs/fhir.md``; in short:

* ``Patient``: the sheet's pseudonymous ``patient_id`` as identifier, nothing else (no name,
  no date of birth, no sex);
* ``DiagnosticReport`` (profile ``genomic-report``): LOINC 51969-4 "Genetic analysis report",
  ``result`` = every Observation below, ``conclusion`` = one line per gene;
* one ``Observation`` (profile ``genotype``, LOINC 84413-4 "Genotype display name") per gene of
  the report: the gene as an HGNC code (component 48018-6 "Gene studied [ID]"), the star-allele
  diplotype as text; a gene that was not called has no value but a ``dataAbsentReason`` with
  the reason -- never a normal result;
* one ``Observation`` (profile ``therapeutic-implication``) per called gene and guided drug:
  the CPIC phenotype (component ``therapeutic-implication``, with its LOINC answer code for the
  five metabolizer terms of the IG's value set), the drug (51963-7 "Medication assessed") and
  the CPIC level (93044-6 "Level of evidence"); a called gene without a guided drug keeps one
  with the phenotype alone;
* one ``Task`` (profile ``medication-recommendation``) per guided drug: the CPIC guidance as
  ``description``, the classification and PubMed IDs as notes, the drug as input.

Outside calls (genes given by another assay) keep their source in ``Observation.method`` and a
note. Identifiers inside the bundle are name-based UUIDs (uuid5) of the patient ID and the
resource's role, so a rerun writes the same bytes; nothing carries a date or a path.

This module builds plain dicts (no FHIR library at run time); the tests validate the bundles
with the ``fhir.resources`` models.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

from holobiont.atomic import write_text

IG = "http://hl7.org/fhir/uv/genomics-reporting"
IG_VERSION = "3.0.0"
PROFILE = {
    "report": f"{IG}/StructureDefinition/genomic-report",
    "genotype": f"{IG}/StructureDefinition/genotype",
    "implication": f"{IG}/StructureDefinition/therapeutic-implication",
    "recommendation": f"{IG}/StructureDefinition/medication-recommendation",
}
RECOMMENDED_ACTION = f"{IG}/StructureDefinition/recommended-action"
TBD = f"{IG}/CodeSystem/tbd-codes-cs"
LOINC = "http://loinc.org"
HGNC = "http://www.genenames.org/geneId"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
#: identifier system of the sheet's pseudonymous patient IDs
PATIENT_ID_SYSTEM = "urn:holobiont:patient_id"
_NS = uuid.UUID("6f3c2a52-61d1-4a5e-9a54-8c1e1f0b7a10")  # fixed: reruns give the same UUIDs

#: HGNC IDs (genenames.org) of the genes the PGx catalog and the outside calls can report, each
#: checked against at least one published table that lists the symbol with its ID. A gene
#: missing here is exported with its symbol as text and no HGNC coding, never a made-up code.
#: CYP4F2 is such a gene: no source for its ID could be checked when the table was written.
#: tests/unit/test_fhir.py checks that every other catalog gene is listed.
HGNC_IDS = {
    "ABCG2": "HGNC:74",
    "CACNA1S": "HGNC:1397",
    "CFTR": "HGNC:1884",
    "CYP2B6": "HGNC:2615",
    "CYP2C19": "HGNC:2621",
    "CYP2C9": "HGNC:2623",
    "CYP2D6": "HGNC:2625",
    "CYP3A4": "HGNC:2637",
    "CYP3A5": "HGNC:2638",
    "DPYD": "HGNC:3012",
    "G6PD": "HGNC:4057",
    "HLA-A": "HGNC:4931",
    "HLA-B": "HGNC:4932",
    "IFNL3": "HGNC:18365",
    "NAT2": "HGNC:7646",
    "NUDT15": "HGNC:23063",
    "RYR1": "HGNC:10483",
    "SLCO1B1": "HGNC:10959",
    "TPMT": "HGNC:12014",
    "UGT1A1": "HGNC:12530",
    "VKORC1": "HGNC:23663",
}

#: LOINC answers of the IG's GeneticTherapeuticImplicationsVS for CPIC metabolizer terms; any
#: other phenotype (``Likely Poor Metabolizer``, ``Decreased Function``, ``Indeterminate``) is
#: exported as text only.
METABOLIZER_LOINC = {
    "Ultrarapid Metabolizer": "LA10315-2",
    "Rapid Metabolizer": "LA25390-8",
    "Normal Metabolizer": "LA25391-6",
    "Intermediate Metabolizer": "LA10317-8",
    "Poor Metabolizer": "LA9657-3",
}

Path_ = str | PathLike


def _coding(system: str, code: str, display: str | None = None) -> dict:
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return c


def _cc(*codings: dict, text: str | None = None) -> dict:
    out: dict = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def _categories() -> list[dict]:
    return [
        _cc(_coding(OBS_CATEGORY, "laboratory", "Laboratory")),
        _cc(_coding(V2_0074, "GE", "Genetics")),
    ]


def gene_concept(gene: str) -> dict:
    """The gene as a CodeableConcept: HGNC ID when known, the symbol as text always."""
    hgnc = HGNC_IDS.get(gene)
    return _cc(_coding(HGNC, hgnc, gene), text=gene) if hgnc else _cc(text=gene)


def _uuid(patient: str, *role: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(_NS, "/".join((patient, *role))))


def _ref(full_url: str) -> dict:
    return {"reference": full_url}


def _is_called(gene: Mapping) -> bool:
    return gene.get("status") == "called" and bool(gene.get("diplotype") or gene.get("phenotype"))


#: why a gene has no call, by the caller's status (holobiont.pgx). The caller's free-text notes
#: are not copied: like the HTML, the export shows only what the report renders.
NOT_CALLED_WHY = {
    "no_data": "none of the gene's catalog positions was genotyped",
    "insufficient_data": "too few of the gene's catalog positions were genotyped",
    "missing_required": "a position needed to tell the gene's alleles apart was not genotyped",
    "no_match": "the genotypes match no diplotype of the catalog",
    "undocumented_variant": "a variant outside the catalog's allele definitions was found",
}


def _why(gene: Mapping) -> str:
    status = gene.get("status") or "unknown"
    return f"{status}: {NOT_CALLED_WHY.get(status, 'the gene was not called')}"


def _absent_reason(gene: Mapping) -> str:
    """Why a gene has no call: its status and the meaning of that status."""
    status, why = _why(gene).split(": ", 1)
    return f"not called ({status}): {why}"


def _source_text(gene: Mapping) -> str:
    src = gene.get("source") or "vcf"
    if src == "vcf":
        return "called from the patient's VCF (holobiont.pgx, PharmCAT allele definitions)"
    return src  # "outside call: <file name>"


def _observation(profile: str, code: dict, subject: dict, **fields) -> dict:
    """A final laboratory Observation of a Genomics Reporting profile, then `fields`."""
    return {
        "resourceType": "Observation",
        "meta": {"profile": [PROFILE[profile]]},
        "status": "final",
        "category": _categories(),
        "code": code,
        "subject": subject,
        **fields,
    }


def _genotype(patient: str, gene: Mapping, subject: dict) -> dict:
    symbol = gene["gene"]
    obs = _observation(
        "genotype",
        _cc(_coding(LOINC, "84413-4", "Genotype display name")),
        subject,
        method=_cc(text=_source_text(gene)),
        component=[
            {
                "code": _cc(_coding(LOINC, "48018-6", "Gene studied [ID]")),
                "valueCodeableConcept": gene_concept(symbol),
            }
        ],
    )
    notes = []
    if _is_called(gene):
        if gene.get("diplotype"):
            obs["valueCodeableConcept"] = _cc(text=f"{symbol} {gene['diplotype']}")
        else:  # an outside call with a phenotype only (HLA-B "*57:01 negative")
            obs["dataAbsentReason"] = _cc(
                _coding(ABSENT, "unknown", "Unknown"),
                text="no diplotype given by the outside call; its phenotype is in the "
                "therapeutic implication",
            )
        if gene.get("activity_score") is not None:
            notes.append(f"activity score {gene['activity_score']:g}")
        if gene.get("confidence"):
            notes.append(f"call confidence: {gene['confidence']}")
    else:
        # a gene that was not called is "not measured", never a normal result
        obs["dataAbsentReason"] = _cc(
            _coding(ABSENT, "unknown", "Unknown"), text=_absent_reason(gene)
        )
    if gene.get("missing_positions"):
        notes.append("positions not genotyped: " + ", ".join(gene["missing_positions"]))
    if gene.get("source", "vcf") != "vcf":
        notes.append(f"{gene['source']}: given by another assay, not called from the VCF")
    if notes:
        obs["note"] = [{"text": n} for n in notes]
    return obs


def _implication(gene: Mapping, drug: Mapping | None, subject: dict, genotype_url: str) -> dict:
    phenotype = gene.get("phenotype") or ""
    loinc = METABOLIZER_LOINC.get(phenotype)
    value = _cc(_coding(LOINC, loinc, phenotype), text=phenotype) if loinc else _cc(text=phenotype)
    components = [
        {
            "code": _cc(_coding(TBD, "therapeutic-implication", "Therapeutic Implication")),
            "valueCodeableConcept": value,
        }
    ]
    if drug is not None:
        components.append(
            {
                "code": _cc(_coding(LOINC, "51963-7", "Medication assessed [ID]")),
                "valueCodeableConcept": _cc(text=drug["drug"]),
            }
        )
        if drug.get("classification"):
            components.append(
                {
                    "code": _cc(_coding(LOINC, "93044-6", "Level of evidence")),
                    "valueCodeableConcept": _cc(text=drug["classification"]),
                }
            )
    obs = _observation(
        "implication",
        _cc(_coding(TBD, "therapeutic-implication", "Therapeutic Implication")),
        subject,
        derivedFrom=[_ref(genotype_url)],
        component=components,
    )
    pmids = [p for p in (drug or {}).get("pmid", "").split(";") if p.strip()]
    if pmids:
        obs["extension"] = [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact",
                "valueRelatedArtifact": {"type": "citation", "citation": f"PMID:{p.strip()}"},
            }
            for p in pmids
        ]
    return obs


def _recommendation(gene: Mapping, drug: Mapping, subject: dict, implication_url: str) -> dict:
    notes = [f"CPIC guidance for {drug['drug']} given {gene['gene']} {gene.get('phenotype', '')}"]
    if drug.get("classification"):
        notes.append(drug["classification"])
    if drug.get("pmid"):
        notes.append("PMID " + ", ".join(p.strip() for p in drug["pmid"].split(";") if p))
    return {
        "resourceType": "Task",
        "meta": {"profile": [PROFILE["recommendation"]]},
        "status": "requested",
        "intent": "proposal",
        "description": drug["guidance"],
        "for": subject,
        "reasonReference": _ref(implication_url),
        "input": [
            {
                "type": _cc(_coding(LOINC, "51963-7", "Medication assessed [ID]")),
                "valueCodeableConcept": _cc(text=drug["drug"]),
            }
        ],
        "note": [{"text": n} for n in notes],
    }


def _conclusion(report: Mapping) -> str:
    host = report["host"]
    if "genes" not in host:
        return "Host genome not sequenced: no pharmacogenomic result."
    lines = []
    for g in host["genes"]:
        if _is_called(g):
            what = " ".join(x for x in (g.get("diplotype"), g.get("phenotype")) if x)
            src = "" if g.get("source", "vcf") == "vcf" else f" [{g['source']}]"
            lines.append(f"{g['gene']}: {what}{src}")
        else:
            lines.append(f"{g['gene']}: not measured ({_why(g)})")
    body = "; ".join(lines) if lines else "No pharmacogene in the report."
    version = host.get("catalog_version")
    return f"PGx catalog {version} (CPIC guidance). {body}" if version else body


def patient_bundle(report: Mapping) -> dict:
    """The FHIR R4 collection Bundle of one patient report (see module docstring)."""
    pid = report["patient_id"]
    patient_url = _uuid(pid, "Patient")
    subject = _ref(patient_url)
    entries: list[tuple[str, dict]] = [
        (
            patient_url,
            {
                "resourceType": "Patient",
                "identifier": [{"system": PATIENT_ID_SYSTEM, "value": pid}],
            },
        )
    ]
    results: list[dict] = []
    tasks: list[dict] = []
    host = report["host"]
    for gene in host.get("genes", []):
        symbol = gene["gene"]
        g_url = _uuid(pid, "genotype", symbol)
        entries.append((g_url, _genotype(pid, gene, subject)))
        results.append(_ref(g_url))
        if not _is_called(gene) or not gene.get("phenotype"):
            continue
        drugs = gene.get("drugs") or []
        for drug in drugs or [None]:
            key = drug["drug"] if drug else ""
            i_url = _uuid(pid, "implication", symbol, key)
            entries.append((i_url, _implication(gene, drug, subject, g_url)))
            results.append(_ref(i_url))
            if drug is not None and drug.get("guidance"):
                t_url = _uuid(pid, "recommendation", symbol, key)
                entries.append((t_url, _recommendation(gene, drug, subject, i_url)))
                tasks.append(_ref(t_url))
    dr = {
        "resourceType": "DiagnosticReport",
        "meta": {"profile": [PROFILE["report"]]},
        "status": "final",
        "category": [_cc(_coding(V2_0074, "GE", "Genetics"))],
        "code": _cc(_coding(LOINC, "51969-4", "Genetic analysis report")),
        "subject": subject,
        "conclusion": _conclusion(report),
    }
    if results:
        dr["result"] = results
    if tasks:
        dr["extension"] = [{"url": RECOMMENDED_ACTION, "valueReference": t} for t in tasks]
    report_url = _uuid(pid, "DiagnosticReport")
    entries.insert(0, (report_url, dr))
    return {
        "resourceType": "Bundle",
        "identifier": {"system": PATIENT_ID_SYSTEM + ":report", "value": pid},
        "type": "collection",
        "entry": [{"fullUrl": url, "resource": res} for url, res in entries],
    }


def write_bundle(report_json: Path_, out: Path_) -> dict:
    """Read a patient report JSON and write its FHIR bundle (atomically)."""
    report = json.loads(Path(report_json).read_text(encoding="utf-8"))
    bundle = patient_bundle(report)
    write_text(out, json.dumps(bundle, indent=2) + "\n")
    return bundle
