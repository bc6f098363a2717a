"""The "Methods and limitations" section of a report, from what actually ran.

Everything here is read from the run's own files, never restated by hand: tool versions (the
provenance record the tool rules' versions files feed), the host build (the reference check's
JSON), the PGx catalog (its ``VERSION``, ``genes.tsv``, ``alleles.tsv``, ``positions.tsv``), the
databases' SHA-256 (:func:`database_checksums`, one rule per run) and the configured
thresholds (:func:`thresholds`, from the config values the run used).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path

from holobiont.atomic import write_text

Path_ = str | PathLike

#: Kraken 2 database files checksummed. opts.k2d is left out: kraken2-build writes
#: uninitialised padding bytes into it, so two builds of the same genomes differ there.
KRAKEN2_CHECKSUMMED = ("hash.k2d", "taxo.k2d")


def _sha256(path: Path_, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _one_file(role: str, path: Path_, **extra: str) -> dict:
    name = Path(path).name
    return {"role": role, "name": name, "files": [{"file": name, "sha256": _sha256(path)}], **extra}


def database_checksums(
    *,
    sintax_16s: Path_ | None = None,
    sintax_16s_extra: Mapping[str, Path_] | None = None,
    kraken2_db: Sequence[Path_] = (),
    kraken2_name: str = "",
    kmer_distrib: Path_ | None = None,
    gene_proteins: Path_ | None = None,
) -> list[dict]:
    """SHA-256 of the reference databases the run classified against (file names only).

    ``sintax_16s_extra`` maps the name of each of ``amplicon.extra_references`` to its SINTAX
    FASTA (classifications written beside the main one, not used by the report's results);
    ``gene_proteins`` is the protein reference of the gene-level evidence
    (``shotgun.genes.proteins``).
    """
    out = []
    if sintax_16s:
        out.append(_one_file("16S taxonomy (vsearch SINTAX)", sintax_16s))
    for name, path in sorted((sintax_16s_extra or {}).items()):
        out.append(
            _one_file(
                f"16S taxonomy, extra reference {name} (vsearch SINTAX)",
                path,
                note=f"ASVs also classified against it: results/16s/taxonomy_{name}.tsv and "
                f"results/exports/16s/taxonomy_{name}_qiime2.tsv; the 16S results of this "
                "report use the reference above.",
            )
        )
    k2 = [Path(p) for p in kraken2_db if Path(p).name in KRAKEN2_CHECKSUMMED]
    if k2:
        files = [{"file": p.name, "sha256": _sha256(p)} for p in sorted(k2)]
        if kmer_distrib:
            files.append({"file": Path(kmer_distrib).name, "sha256": _sha256(kmer_distrib)})
        out.append(
            {
                "role": "Shotgun classification (Kraken 2 + Bracken)",
                "name": kraken2_name or "Kraken 2 database",
                "files": files,
                "note": "opts.k2d is not checksummed: kraken2-build leaves uninitialised "
                "padding bytes in it.",
            }
        )
    if gene_proteins:
        out.append(
            _one_file(
                "Gene-level evidence (DIAMOND blastx protein reference)",
                gene_proteins,
                note="shotgun.genes.proteins; the DIAMOND database "
                "(results/shotgun/genes/reference.dmnd) is built from it.",
            )
        )
    return out


def write_database_checksums(json_out: Path_, **kwargs) -> None:
    write_text(json_out, json.dumps(database_checksums(**kwargs), indent=2) + "\n")


def _rows(path: Path) -> list[dict[str, str]]:
    import csv

    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))


def catalog_summary(catalog: Path_) -> dict:
    """Version, genes, allele and position counts of a PGx catalog folder (resources/pgx)."""
    catalog = Path(catalog)
    version = (catalog / "VERSION").read_text(encoding="utf-8").strip()
    alleles = Counter(r["gene"] for r in _rows(catalog / "alleles.tsv"))
    positions = Counter(r["gene"] for r in _rows(catalog / "positions.tsv"))
    genes = []
    for r in _rows(catalog / "genes.tsv"):
        outside = r.get("matcher") == "outside"
        genes.append(
            {
                "gene": r["gene"],
                "called_from": "outside call only" if outside else "sequencing (VCF)",
                "alleles": alleles.get(r["gene"], 0),
                "positions": positions.get(r["gene"], 0),
                "phenotype_from": (
                    "activity score" if r.get("method") == "activity_score" else "allele function"
                ),
                "reference_allele": r.get("reference_allele", ""),
            }
        )
    return {"version": version, "genes": genes}


def not_assessed(
    catalog: dict | None,
    host: Mapping | None,
    config: Mapping | None = None,
    assays: Sequence[str] = ("host", "16s", "shotgun"),
) -> list[str]:
    """Genes and variant types this report does not assess, for this patient."""
    out = []
    if catalog is not None and host is not None and "genes" in host:
        reported = {g["gene"]: g for g in host["genes"]}
        in_catalog = {g["gene"] for g in catalog["genes"]}
        for gene, got in reported.items():
            if gene not in in_catalog and got.get("source", "vcf") != "vcf":
                out.append(f"{gene}: not typed from this sequencing; shown from {got['source']}.")
        for g in catalog["genes"]:
            if g["called_from"] != "outside call only":
                continue
            got = reported.get(g["gene"])
            if got is None:
                out.append(
                    f"{g['gene']}: not assessed. Its alleles depend on deletions, duplications "
                    "and hybrids with a neighbouring pseudogene that short-read variant calling "
                    "does not resolve; the pipeline reports it only from an outside call "
                    "(sheet column pgx_outside_calls), and none was given."
                )
            else:
                out.append(f"{g['gene']}: {got.get('source', '')}, not from this sequencing.")
    out += [
        "HLA genes (e.g. HLA-A*31:01, HLA-B*15:02, HLA-B*57:01, HLA-B*58:01): not typed from "
        "the sequencing reads (only an outside call is reported).",
        "Copy-number and structural variants (whole-gene deletions and duplications, e.g. of "
        "CYP2D6, CYP2A6, GSTM1, UGT2B17): not called; only SNVs and short indels at catalog "
        "positions are genotyped.",
        "Variants outside the catalog positions (rare or novel alleles) are not seen. A gene "
        "without a variant at the tested positions is reported as the reference allele "
        "(*1 or 'Reference'); an untested allele cannot be excluded.",
    ]
    cfg = config or {}
    if (cfg.get("host") or {}).get("phase"):
        out.append(
            "Phase: variants of one gene are phased from the reads only where read pairs span "
            "them (WhatsHap, read-backed); variants farther apart stay unphased and their "
            "diplotype follows the catalog's allele definitions and priorities."
        )
    else:
        out.append(
            "Phase: variants of one gene are not phased from the reads (config host.phase is "
            "off); diplotypes follow the catalog's allele definitions and priorities."
        )
    genes = ((cfg.get("shotgun") or {}).get("genes") or {}).get("proteins")
    if "shotgun" in assays and genes:
        out.append(
            "Microbiome: a microbe-drug row rests on the enzyme gene's reads where shotgun reads "
            "were searched for it (DIAMOND blastx against the configured protein reference), "
            "otherwise on the presence of the taxon only; gene expression is not measured."
        )
    else:
        out.append(
            "Microbiome: a microbe-drug row reflects the presence of the taxon, not of the "
            "strain's metabolising genes (no shotgun gene search in this run) or their "
            "expression."
        )
    return out


#: Meaning of each configured threshold: (config path, label, meaning with {value}).
THRESHOLDS = (
    (
        "qc/status",
        "Read QC PASS",
        "a sequencing unit passes when its FASTQ integrity check passed and at least one read "
        "pair is left after trimming and filtering; FAIL otherwise",
    ),
    ("host/min_mapq", "Mapping quality", "reads below it are ignored in variant calls and depth"),
    ("host/min_baseq", "Base quality", "bases below it are ignored"),
    (
        "host/filter",
        "Variant filter",
        "host VCF records matching it are kept with FILTER=LowQual, not PASS; the identity "
        "check uses PASS SNVs only (PGx positions are genotyped separately, see the next rows)",
    ),
    (
        "host/pgx_min_depth",
        "PGx position depth",
        "a catalog position with fewer reads is not called (./.), never read as reference",
    ),
    (
        "host/pgx_min_called_fraction",
        "Callable gene",
        "a gene with a smaller fraction of its positions called is 'not callable' (no diplotype)",
    ),
    (
        "identity/min_sites",
        "Identity: informative sites",
        "fewer SNP sites with stool human reads give 'inconclusive'",
    ),
    (
        "identity/min_llr",
        "Identity: log-likelihood ratio",
        "'match' when the sheet's patient beats every other by at least this natural-log "
        "likelihood ratio, 'possible swap' when another patient beats it by as much, "
        "'inconclusive' in between",
    ),
    (
        "identity/error",
        "Identity: read error rate",
        "per-read allele error assumed by the likelihood",
    ),
    (
        "report/min_abundance",
        "Microbe detected",
        "a microbe-drug taxon counts as detected at this relative abundance or more (below: "
        "not detected; a sample without usable reads is 'not measured')",
    ),
    (
        "amplicon/sintax_cutoff",
        "16S taxonomy confidence",
        "SINTAX bootstrap confidence below which a rank is left unassigned",
    ),
    (
        "shotgun/bracken/threshold",
        "Shotgun species reads",
        "Bracken keeps a taxon with at least this many reads",
    ),
    (
        "shotgun/kraken2/confidence",
        "Kraken 2 confidence",
        "fraction of a read's k-mers that must support its classification",
    ),
    (
        "diversity/min_depth",
        "Diversity depth",
        "samples with fewer reads are left out of diversity, with the reason",
    ),
)


def identity_defaults() -> dict:
    """The identity check's thresholds, as holobiont.host.identity.check_identity applies them."""
    from holobiont.host.identity import check_identity

    params = inspect.signature(check_identity).parameters
    return {k: params[k].default for k in ("min_sites", "min_llr", "error")}


def thresholds(config: Mapping, assays: Sequence[str] = ("host", "16s", "shotgun")) -> list[dict]:
    """Every threshold behind the report's verdicts, with its value in this run and its meaning.

    ``config`` is the run's resolved config; ``assays`` limits the list to what the run had.
    """
    cfg = {**config, "identity": identity_defaults(), "qc": {**config.get("qc", {})}}
    cfg["qc"]["status"] = "reads out > 0"
    needs = {"host": "host", "amplicon": "16s", "shotgun": "shotgun", "identity": "shotgun"}
    out = []
    for path, label, meaning in THRESHOLDS:
        top = path.split("/")[0]
        if top in needs and needs[top] not in assays:
            continue
        value = cfg
        for key in path.split("/"):
            if not isinstance(value, Mapping) or key not in value:
                value = None
                break
            value = value[key]
        if value is None:
            continue
        out.append(
            {
                "name": label,
                "config": path.replace("/", "."),
                "value": str(value),
                "meaning": meaning,
            }
        )
    return out


def reference_build(path: Path_ | None) -> dict | None:
    """Build and evidence from the host reference check (results/host/reference_check.json)."""
    if not path:
        return None
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if "skipped" in data:
        return {"build": "not checked", "evidence": data["skipped"]}
    return {"build": data.get("build") or "unknown", "evidence": data.get("build_evidence", "")}


def methods(
    *,
    provenance: Mapping | None,
    catalog: Path_ | None,
    host: Mapping | None,
    reference_check: Path_ | None = None,
    databases: Path_ | None = None,
    config: Mapping | None = None,
    assays: Sequence[str] = ("host", "16s", "shotgun"),
) -> dict:
    """The methods and limitations record of one report (JSON ``methods``)."""
    cat = catalog_summary(catalog) if catalog and host is not None else None
    dbs = json.loads(Path(databases).read_text(encoding="utf-8")) if databases else []
    return {
        "tools": dict(sorted((provenance or {}).get("tools", {}).items())),
        "reference": reference_build(reference_check),
        "pgx_catalog": cat,
        "not_assessed": not_assessed(cat, host, config, assays),
        "databases": dbs,
        "thresholds": thresholds(config or {}, assays),
    }
