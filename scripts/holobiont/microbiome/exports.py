"""Standard exports: the pipeline's results in the formats other tools load.

Every writer reads a stage output the pipeline already made and writes one file (atomically,
:func:`holobiont.atomic.write_text`); nothing here recomputes a result.

- :func:`write_qiime2_taxonomy` -- 16S taxonomy as QIIME 2's ``FeatureData[Taxonomy]`` TSV
  (``Feature ID`` / ``Taxon`` / ``Confidence``).
- :func:`write_taxpasta` -- shotgun species counts as taxpasta's merged wide table
  (``taxonomy_id``, ``name``, ``rank``, ``lineage``, one integer column per sample).
- :func:`write_cami_profile` -- one sample's profile in the CAMI / BioBoxes profiling format
  0.9.1 (``@SampleID``, ``@Version``, ``@Ranks``, ``@@TAXID RANK TAXPATH TAXPATHSN PERCENTAGE``).
- :func:`write_mpa_table` -- MetaPhlAn-style table (``k__...|p__...|s__...`` clades, relative
  abundance in % per sample).
- :func:`write_bracken_report` -- the Bracken-corrected Kraken report that ``bracken -w`` /
  ``est_abundance.py --out-report`` writes.
- :func:`multiqc_*` -- MultiQC custom content (``*_mqc.tsv``) for PGx coverage, identity
  verdicts, human fraction and species profiles.

"Not measured" stays distinguishable from zero: a sample without a shotgun library has no
column and no file; a library whose reads all fell below the Bracken threshold has a CAMI file
with no taxa and empty (not zero) cells in the relative-abundance tables, since its relative
abundances are undefined; an ASV that SINTAX could not classify at all has an empty
``Confidence``.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import yaml

from holobiont.atomic import write_text
from holobiont.core.table import PREFIX_RANK, RANKS
from holobiont.microbiome.bracken import BrackenResult, KrakenReport, read_bracken
from holobiont.microbiome.shotgun import Taxonomy

__all__ = [
    "CAMI_RANKS",
    "CAMI_VERSION",
    "MPA_PREFIX",
    "QIIME2_COLUMNS",
    "TAXPASTA_COLUMNS",
    "Profile",
    "bracken_report_lines",
    "multiqc_human_fraction",
    "multiqc_identity",
    "multiqc_pgx_coverage",
    "multiqc_species",
    "qiime2_taxonomy",
    "read_profiles",
    "taxonomy_id",
    "write_bracken_report",
    "write_cami_profile",
    "write_mpa_table",
    "write_qiime2_taxonomy",
    "write_taxpasta",
]

#: Header of QIIME 2's taxonomy TSV (``TSVTaxonomyFormat``).
QIIME2_COLUMNS = ("Feature ID", "Taxon", "Confidence")
#: Columns before the samples in taxpasta's wide table, as ``taxpasta merge --add-name
#: --add-rank --add-lineage`` orders them.
TAXPASTA_COLUMNS = ("taxonomy_id", "name", "rank", "lineage")
#: CAMI profiling format version written (github.com/bioboxes/rfc, data-format/profiling.mkd).
CAMI_VERSION = "0.9.1"
#: Ranks of the CAMI profile (``@Ranks``), from the top.
CAMI_RANKS = ("superkingdom", "phylum", "class", "order", "family", "genus", "species")
#: MetaPhlAn clade prefix of each CAMI rank.
MPA_PREFIX = dict(zip(CAMI_RANKS, ("k", "p", "c", "o", "f", "g", "s"), strict=True))
# taxonomy-dump rank -> CAMI rank ("kingdom" only stands in for a missing superkingdom)
_DUMP_TO_CAMI = {
    "superkingdom": "superkingdom",
    "domain": "superkingdom",
    "acellular root": "superkingdom",
    **{r: r for r in CAMI_RANKS[1:]},
}
_UNASSIGNED = "Unassigned"


def _tsv_cell(value: object) -> str:
    text = str(value)
    if any(c in text for c in "\t\r\n"):
        raise ValueError(f"value {text!r} contains a tab or newline; it cannot go into a TSV.")
    return text


def _number(x: float) -> str:
    """Shortest text that reads back as the same float."""
    return repr(float(x))


# --------------------------------------------------------------------------- 16S: QIIME 2


def qiime2_taxonomy(taxonomy: pd.DataFrame) -> pd.DataFrame:
    """The 16S taxonomy table (``results/16s/taxonomy.tsv``) as QIIME 2's taxonomy.

    Parameters
    ----------
    taxonomy : pandas.DataFrame
        Columns ``asv``, ``lineage`` (the confident lineage: ranks at or above the SINTAX
        cutoff, ``d__...; p__...``, or ``Unassigned``) and ``<rank>_confidence`` for every
        rank of :data:`holobiont.core.table.RANKS`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`QIIME2_COLUMNS`. ``Taxon`` is the confident lineage; ``Confidence`` is
        SINTAX's bootstrap confidence of its lowest (deepest) rank, i.e. the weakest rank
        kept. For an ``Unassigned`` ASV it is the confidence of SINTAX's domain call (below
        the cutoff), empty when SINTAX made no call at all (not measured, never 0).

    Raises
    ------
    ValueError
        If a column is missing (named).
    """
    needed = ["asv", "lineage", *(f"{r}_confidence" for r in RANKS)]
    missing = [c for c in needed if c not in taxonomy.columns]
    if missing:
        raise ValueError(
            f"the 16S taxonomy table lacks the column(s) {', '.join(missing)}; it must come "
            "from the 16S stage (results/16s/taxonomy.tsv)."
        )
    rows = []
    for rec in taxonomy.to_dict("records"):
        lineage = str(rec["lineage"]) if pd.notna(rec["lineage"]) else ""
        tokens = [t.strip() for t in lineage.split(";") if t.strip()]
        ranked = [t for t in tokens if len(t) > 3 and t[1:3] == "__"]
        if not lineage or lineage == _UNASSIGNED or not ranked:
            taxon, rank = _UNASSIGNED, RANKS[0]
        else:
            taxon = lineage
            rank = PREFIX_RANK.get(ranked[-1][0].lower())
            if rank is None:
                raise ValueError(f"ASV {rec['asv']}: unknown rank prefix in {lineage!r}.")
        conf = rec[f"{rank}_confidence"]
        conf = "" if conf is None or (isinstance(conf, float) and math.isnan(conf)) else conf
        rows.append({"Feature ID": rec["asv"], "Taxon": taxon, "Confidence": conf})
    return pd.DataFrame(rows, columns=list(QIIME2_COLUMNS))


def write_qiime2_taxonomy(taxonomy_tsv: str | os.PathLike, out: str | os.PathLike) -> int:
    """Write :func:`qiime2_taxonomy` of ``taxonomy_tsv`` to ``out``; returns the ASV count."""
    table = pd.read_csv(taxonomy_tsv, sep="\t", dtype={"asv": str, "lineage": str})
    q = qiime2_taxonomy(table)
    lines = ["\t".join(QIIME2_COLUMNS)]
    for rec in q.itertuples(index=False):
        conf = "" if rec.Confidence == "" else _number(rec.Confidence)
        lines.append("\t".join(_tsv_cell(v) for v in (rec[0], rec.Taxon, conf)))
    write_text(out, "\n".join(lines) + "\n")
    return len(q)


# --------------------------------------------------------------------------- shotgun profiles


@dataclass(frozen=True)
class Profile:
    """One shotgun sample's Bracken estimates: ``{taxid: estimated reads}`` and the names."""

    sample_id: str
    reads: Mapping[str, int]
    names: Mapping[str, str]

    @property
    def total(self) -> int:
        return int(sum(self.reads.values()))


def read_profiles(bracken: Mapping[str, str | os.PathLike]) -> list[Profile]:
    """The Bracken tables of the shotgun samples (``{sample_id: path}``, in that order)."""
    out = []
    for sample, path in bracken.items():
        rows = read_bracken(path)
        out.append(
            Profile(
                str(sample),
                {str(r["taxonomy_id"]): int(r["new_est_reads"]) for r in rows},
                {str(r["taxonomy_id"]): str(r["name"]) for r in rows},
            )
        )
    return out


def _ancestors_below_root(taxonomy: Taxonomy | None, taxid: str) -> list[str]:
    """The taxon and its ancestors, from the top (the root left out); [] if unknown."""
    if taxonomy is None or taxid not in taxonomy:
        return []
    up = taxonomy.ancestors(taxid)
    if up and taxonomy.parent.get(up[-1]) == up[-1]:
        up = up[:-1]
    return up[::-1]


def _cami_lineage(taxonomy: Taxonomy | None, taxid: str, name: str) -> dict[str, tuple[str, str]]:
    """``{CAMI rank: (taxid, name)}`` of a taxon's lineage; a taxon the taxonomy lacks is
    placed at species with its Bracken name only."""
    path = _ancestors_below_root(taxonomy, taxid)
    if not path:
        return {"species": (taxid, name)}
    found: dict[str, tuple[str, str]] = {}
    kingdom = None
    for t in path:
        rank = taxonomy.rank.get(t, "")
        if rank == "kingdom" and kingdom is None:
            kingdom = (t, taxonomy.name.get(t, t))
        cami = _DUMP_TO_CAMI.get(rank)
        if cami and cami not in found:
            found[cami] = (t, taxonomy.name.get(t, t))
    if "superkingdom" not in found and kingdom:
        found["superkingdom"] = kingdom
    return found


def taxonomy_id(files: Sequence[str | os.PathLike]) -> str:
    """CAMI ``@TaxonomyID`` of the taxonomy files: their names and the SHA-256 of their
    bytes (in the order given), e.g. ``names.dmp+nodes.dmp sha256:...``."""
    h = hashlib.sha256()
    for f in files:
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return "+".join(os.path.basename(os.fspath(f)) for f in files) + f" sha256:{h.hexdigest()}"


def _rank_table(profile: Profile, taxonomy: Taxonomy | None) -> list[dict]:
    """Per rank and taxon: reads summed over the estimated taxa below it, and its path."""
    clades: dict[tuple[str, str], dict] = {}
    for taxid in sorted(
        profile.reads, key=lambda t: (not t.isdigit(), int(t) if t.isdigit() else t)
    ):
        n = profile.reads[taxid]
        lineage = _cami_lineage(taxonomy, taxid, profile.names.get(taxid, taxid))
        for depth, rank in enumerate(CAMI_RANKS):
            if rank not in lineage:
                continue
            key = (rank, lineage[rank][0])
            if key not in clades:
                clades[key] = {
                    "taxid": lineage[rank][0],
                    "rank": rank,
                    "path": [lineage.get(r, ("", ""))[0] for r in CAMI_RANKS[: depth + 1]],
                    "names": [lineage.get(r, ("", ""))[1] for r in CAMI_RANKS[: depth + 1]],
                    "reads": 0,
                }
            clades[key]["reads"] += n
    order = {r: i for i, r in enumerate(CAMI_RANKS)}
    return sorted(clades.values(), key=lambda c: (order[c["rank"]], -c["reads"], c["path"]))


def write_cami_profile(
    profile: Profile, taxonomy: Taxonomy | None, out: str | os.PathLike, *, taxonomy_id: str = ""
) -> int:
    """Write one sample's profile in the CAMI profiling format (version :data:`CAMI_VERSION`).

    Percentages are of the sample's Bracken-estimated reads (the taxa above the threshold;
    unclassified and discarded reads are not in the denominator), summed up the taxonomy:
    each rank sums to 100 % unless some taxa lack that rank (then less). ``TAXPATH`` /
    ``TAXPATHSN`` hold the taxids / names of every rank of ``@Ranks`` down to the row's rank,
    empty where the taxonomy has no taxon of that rank. A sample without estimated reads gets
    the header only (no taxa: nothing measured), never rows of zeros.

    Returns the number of rows written.
    """
    lines = [
        f"@SampleID:{_tsv_cell(profile.sample_id)}",
        f"@Version:{CAMI_VERSION}",
        f"@Ranks:{'|'.join(CAMI_RANKS)}",
        f"@TaxonomyID:{_tsv_cell(taxonomy_id)}",
        "@@TAXID\tRANK\tTAXPATH\tTAXPATHSN\tPERCENTAGE",
    ]
    total = profile.total
    rows = _rank_table(profile, taxonomy) if total > 0 else []
    for c in rows:
        lines.append(
            "\t".join(
                (
                    _tsv_cell(c["taxid"]),
                    c["rank"],
                    "|".join(map(_tsv_cell, c["path"])),
                    "|".join(map(_tsv_cell, c["names"])),
                    f"{100.0 * c['reads'] / total:.6f}",
                )
            )
        )
    write_text(out, "\n".join(lines) + "\n")
    return len(rows)


def _mpa_clade(names: Sequence[str]) -> str:
    tokens = [
        f"{MPA_PREFIX[r]}__{n.replace(' ', '_')}"
        for r, n in zip(CAMI_RANKS, names, strict=False)
        if n
    ]
    return "|".join(tokens)


def write_mpa_table(
    profiles: Sequence[Profile], taxonomy: Taxonomy | None, out: str | os.PathLike
) -> int:
    """Write a MetaPhlAn-style merged table: ``clade_name`` then one column per sample.

    Clades are ``k__<superkingdom>|p__...|s__Genus_species`` (MetaPhlAn's prefixes; spaces
    become ``_``; a rank the taxonomy lacks is left out of the path), one row per clade at
    every rank. Values are relative abundances in % of the sample's Bracken-estimated reads
    (as :func:`write_cami_profile`; six decimals). A clade absent from a sample is 0 there; a
    sample without estimated reads has empty cells (undefined, not zero).

    Returns the number of clades written.
    """
    values: dict[str, dict[str, float]] = {}
    order: dict[str, tuple] = {}
    for p in profiles:
        total = p.total
        for c in _rank_table(p, taxonomy):
            clade = _mpa_clade(c["names"])
            values.setdefault(clade, {})
            if total > 0:
                values[clade][p.sample_id] = 100.0 * c["reads"] / total
            order.setdefault(clade, (CAMI_RANKS.index(c["rank"]), clade))
    lines = ["\t".join(["clade_name", *map(_tsv_cell, (p.sample_id for p in profiles))])]
    for clade in sorted(values, key=lambda k: order[k]):
        cells = [
            "" if p.total == 0 else f"{values[clade].get(p.sample_id, 0.0):.6f}" for p in profiles
        ]
        lines.append("\t".join([_tsv_cell(clade), *cells]))
    write_text(out, "\n".join(lines) + "\n")
    return len(values)


def write_taxpasta(
    profiles: Sequence[Profile], taxonomy: Taxonomy | None, out: str | os.PathLike
) -> int:
    """Write the samples' Bracken estimates as taxpasta's merged wide table.

    The layout of ``taxpasta merge --profiler bracken --add-name --add-rank --add-lineage``
    (taxpasta 0.7): columns :data:`TAXPASTA_COLUMNS` then one column per sample with the
    integer counts (Bracken's ``new_est_reads``); one row per estimated taxon, sorted by
    taxid; a taxon a sample lacks counts 0 there (as taxpasta fills them). ``lineage`` is the
    names of the taxon's ancestors from below the root down to itself, ``;``-separated (as
    taxpasta's taxopy service writes it); ``name`` / ``rank`` come from the taxonomy (the
    Bracken name and an empty rank for a taxid the taxonomy lacks).

    Returns the number of taxa written.
    """
    taxa: dict[str, str] = {}
    for p in profiles:
        for t in p.reads:
            taxa.setdefault(t, p.names.get(t, t))
    key = lambda t: (not t.isdigit(), int(t) if t.isdigit() else t)  # noqa: E731
    lines = ["\t".join([*TAXPASTA_COLUMNS, *map(_tsv_cell, (p.sample_id for p in profiles))])]
    for t in sorted(taxa, key=key):
        path = _ancestors_below_root(taxonomy, t)
        name = taxonomy.name.get(t, taxa[t]) if path else taxa[t]
        rank = taxonomy.rank.get(t, "") if path else ""
        lineage = ";".join(taxonomy.name.get(a, a) for a in path) if path else ""
        counts = [str(int(p.reads.get(t, 0))) for p in profiles]
        lines.append("\t".join(map(_tsv_cell, (t, name, rank, lineage, *counts))))
    write_text(out, "\n".join(lines) + "\n")
    return len(taxa)


# --------------------------------------------------------------------------- Bracken report


def bracken_report_lines(report: KrakenReport, result: BrackenResult) -> list[str]:
    """The Bracken-corrected Kraken report, as ``est_abundance.py --out-report`` writes it.

    Only the taxa on the path from the root to an estimated (kept) taxon of the estimation
    level are written; each with the re-estimated reads of the kept taxa below it (Bracken's
    floats, printed truncated to integers), the percentage of all re-estimated reads (two
    decimals), its own reads (the estimate for a taxon with no listed child, else 0), its
    rank code, taxid and indented name. Siblings come in decreasing order of their reads
    (Bracken's order: updated reads for the taxa above the level, Kraken's for the level);
    taxa below the level are not written, nor is the unclassified line.

    Returns no line for a result without kept taxa (Bracken itself stops with an error there).
    """
    nodes = report.nodes
    level = result.level
    exact = {r.taxid: r.new_est_reads_exact for r in result.rows}
    if not nodes or not exact:
        return []
    kept = [i for i, n in enumerate(nodes) if n.level == level and n.taxid in exact]
    parent = {i: n.parent for i, n in enumerate(nodes)}
    new: dict[int, float] = {}
    all_reads = {i: float(n.clade_reads) for i, n in enumerate(nodes)}
    for i in kept:
        if i in new:
            continue
        value = exact[nodes[i].taxid]
        new[i] = value
        j = parent[i]
        while j >= 0:
            if j not in new:
                new[j] = 0.0
                all_reads[j] = 0.0
            new[j] += value
            all_reads[j] += value
            j = parent[j]
    total = 0.0  # Bracken's sum_all_reads: the estimates summed in report order
    for r in result.rows:
        total += r.new_est_reads_exact
    lines = []
    stack = [0]
    while stack:
        i = stack.pop(0)
        node = nodes[i]
        children = 0
        for c in sorted(node.children, key=lambda c: all_reads[c]):
            code = nodes[c].level
            if code[0] != level or code == level:
                stack.insert(0, c)
                children += 1
        if i in new:
            value = new[i]
            lines.append(
                f"{value / total * 100:0.2f}\t{int(value)}\t{int(value) if children == 0 else 0}"
                f"\t{node.level}\t{node.taxid}\t{' ' * node.depth * 2}{node.name}"
            )
    return lines


def write_bracken_report(
    report: KrakenReport, result: BrackenResult, out: str | os.PathLike
) -> int:
    """Write :func:`bracken_report_lines` to ``out`` (empty file without kept taxa)."""
    lines = bracken_report_lines(report, result)
    write_text(out, "".join(line + "\n" for line in lines))
    return len(lines)


# --------------------------------------------------------------------------- MultiQC


def _mqc_header(
    section_id: str, name: str, description: str, plot_type: str, pconfig: Mapping[str, object]
) -> str:
    """MultiQC custom-content header: the YAML config as ``# `` comment lines."""
    conf = {
        "id": section_id,
        "section_name": name,
        "description": description,
        "plot_type": plot_type,
        "pconfig": dict(pconfig),
    }
    text = yaml.safe_dump(conf, sort_keys=False, width=1000, allow_unicode=False)
    return "".join(f"# {line}\n" for line in text.splitlines())


def _mqc_write(out: str | os.PathLike, header: str, columns: Sequence[str], rows: Iterable) -> int:
    body = ["\t".join(map(_tsv_cell, columns))]
    n = 0
    for r in rows:
        body.append("\t".join(_tsv_cell(v) for v in r))
        n += 1
    write_text(out, header + "\n".join(body) + "\n")
    return n


def multiqc_pgx_coverage(coverage: Mapping[str, str | os.PathLike], out: str | os.PathLike) -> int:
    """PGx coverage per gene (mean depth at the catalog positions) of every host sample, as a
    MultiQC table: rows samples, columns genes. A gene a sample's coverage table lacks is an
    empty cell (not measured). Returns the number of samples."""
    per_sample: dict[str, dict[str, float]] = {}
    genes: list[str] = []
    for sample, path in coverage.items():
        df = pd.read_csv(path, sep="\t")
        missing = {"gene", "mean_depth"} - set(df.columns)
        if missing:
            raise ValueError(f"{path}: not a PGx coverage table (no column {sorted(missing)}).")
        per_sample[sample] = dict(zip(df["gene"].astype(str), df["mean_depth"], strict=True))
        genes += [g for g in per_sample[sample] if g not in genes]
    genes = sorted(genes)
    header = _mqc_header(
        "holobiont_pgx_coverage",
        "PGx coverage per gene",
        "Mean read depth at the PGx catalog positions of each gene (Holobiont host stage; "
        "reads and bases at the caller's quality thresholds). Empty: gene not measured.",
        "table",
        {"id": "holobiont_pgx_coverage_table", "namespace": "Holobiont PGx mean depth",
         "min": 0, "scale": "RdYlGn"},
    )  # fmt: skip
    rows = [
        [s, *("" if g not in d else _number(d[g]) for g in genes)] for s, d in per_sample.items()
    ]
    return _mqc_write(out, header, ["Sample", *genes], rows)


def multiqc_identity(identity_tsv: str | os.PathLike, out: str | os.PathLike) -> int:
    """The identity check's verdict per stool sample, as a MultiQC table (``NA`` = not
    measured stays ``NA``). Returns the number of samples."""
    df = pd.read_csv(identity_tsv, sep="\t", dtype=str, keep_default_na=False)
    cols = [
        "sheet_patient", "best_patient", "verdict", "informative_sites",
        "human_reads_at_sites", "concordance_sheet", "concordance_best", "llr_best_vs_sheet",
    ]  # fmt: skip
    missing = [c for c in ["sample_id", *cols] if c not in df.columns]
    if missing:
        raise ValueError(f"{identity_tsv}: not an identity table (no column {missing}).")
    header = _mqc_header(
        "holobiont_identity",
        "Sample identity (stool vs host genotypes)",
        "Human reads of each shotgun stool library compared with every host genotype "
        "(Holobiont identity check): match, possible swap, inconclusive, no human reads or no "
        "host VCF. NA: not measured.",
        "table",
        {"id": "holobiont_identity_table", "namespace": "Holobiont identity"},
    )
    rows = ([r["sample_id"], *(r[c] for c in cols)] for r in df.to_dict("records"))
    return _mqc_write(out, header, ["Sample", *cols], rows)


def multiqc_human_fraction(host_fraction_tsv: str | os.PathLike, out: str | os.PathLike) -> int:
    """Human and microbial read pairs of every shotgun sample (host removal), as a MultiQC
    bar graph. Returns the number of samples."""
    df = pd.read_csv(host_fraction_tsv, sep="\t", dtype={"sample_id": str})
    missing = {"sample_id", "human_pairs", "microbial_pairs"} - set(df.columns)
    if missing:
        raise ValueError(f"{host_fraction_tsv}: not a host-fraction table (no {sorted(missing)}).")
    header = _mqc_header(
        "holobiont_human_fraction",
        "Human reads in shotgun libraries",
        "Read pairs of each shotgun library mapped to the host reference (human, removed and "
        "kept for the identity check) and left for microbial profiling (Holobiont).",
        "bargraph",
        {"id": "holobiont_human_fraction_plot", "title": "Holobiont: host removal",
         "ylab": "read pairs", "cpswitch_counts_label": "Read pairs"},
    )  # fmt: skip
    rows = ([r.sample_id, int(r.human_pairs), int(r.microbial_pairs)] for r in df.itertuples())
    return _mqc_write(out, header, ["Sample", "human_pairs", "microbial_pairs"], rows)


def multiqc_species(profiles: Sequence[Profile], out: str | os.PathLike, *, top: int = 20) -> int:
    """Bracken-estimated species reads of every shotgun sample, as a MultiQC bar graph (the
    ``top`` species by summed relative abundance; the rest as ``other``). A sample without
    estimated reads has no bar (empty cells). Returns the number of samples."""
    share: dict[str, float] = {}
    names: dict[str, str] = {}
    for p in profiles:
        for t, n in p.reads.items():
            names.setdefault(t, p.names.get(t, t))
            if p.total:
                share[t] = share.get(t, 0.0) + n / p.total
    best = sorted(share, key=lambda t: (-share[t], names[t]))[:top]
    label = {t: f"{names[t]} ({t})" for t in best}
    header = _mqc_header(
        "holobiont_species",
        "Shotgun species profiles",
        f"Bracken-estimated reads of the {len(best)} most abundant species (summed relative "
        "abundance over samples) in each shotgun library; the other species as 'other' "
        "(Holobiont).",
        "bargraph",
        {"id": "holobiont_species_plot", "title": "Holobiont: species (Bracken)",
         "ylab": "estimated reads", "cpswitch_c_active": False},
    )  # fmt: skip
    columns = ["Sample", *(label[t] for t in best), "other"]
    rows = []
    for p in profiles:
        if p.total == 0:
            rows.append([p.sample_id, *([""] * (len(best) + 1))])
            continue
        counts = [int(p.reads.get(t, 0)) for t in best]
        rows.append([p.sample_id, *counts, p.total - sum(counts)])
    return _mqc_write(out, header, columns, rows)
