"""Build the PGx catalog (``resources/pgx/``) from upstream machine-readable definitions.

Inputs (never committed; their facts are, with version and licence notice):

- PharmCAT (MPL-2.0): ``src/main/resources/org/pharmgkb/pharmcat/definition/alleles/
  <GENE>_translation.json`` (positions and named alleles), ``.../alleles/exemptions.json``
  (ignored positions / alleles, extra positions, required positions, unphased priorities),
  ``.../phenotype/<GENE>.json`` (allele function, activity values, diplotype -> phenotype) and
  ``pharmcat_positions.vcf`` (every position PharmCAT reads; checked against the definitions).
- pypgx 0.27.0 (MIT), the data directory ``pypgx/api/data``: ``recommendation-table.csv``
  (CPIC recommendations, one- and two-gene), ``cpic-table.csv`` (CPIC level, guideline,
  PMID), and, for genes whose PharmCAT phenotype map is absent or empty (G6PD, RYR1, IFNL3),
  ``allele-table.csv`` + ``diplotype-table.csv``; for CYP2D6 (an outside call: not called
  from a VCF) the allele activity values of ``allele-table.csv`` and CPIC's score ranges of
  ``equation-table.csv``, so that an outside diplotype or activity score gets its phenotype
  and CPIC guidance.

Usage::

    python -m holobiont.pgx.generate --pharmcat DIR [--pypgx DIR] --out resources/pgx \\
        [--version 2.0.0]

``--pypgx`` defaults to the installed package's data directory (found without importing
pypgx, which is a data-only dependency). The output is deterministic: sorted rows, no
timestamps; regenerating from the same inputs gives the same bytes. Any inconsistency in the
inputs stops the run with a message naming the file and the entry.

Phenotype rules are *derived* from the diplotype lists and checked: for activity-score genes
(a phenotype map with activity values) the summed activity score -> phenotype, for the others
the unordered pair of allele functions -> phenotype; a diplotype whose phenotype disagrees with
the rule its key would give is written as an explicit diplotype row (which takes precedence).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from holobiont.atomic import write_text

from .catalog import CATALOG_FILES, GENE_COLUMNS, NOT_CALLED, TABLE_COLUMNS, natural_key

RES = Path("src/main/resources/org/pharmgkb/pharmcat")
#: Genes PharmCAT calls from a VCF (CYP2D6 is an outside call: its positions are kept so the
#: PharmCAT-ready VCF covers them, but it is not called here).
VCF_GENES = (
    "ABCG2",
    "CACNA1S",
    "CFTR",
    "CYP2B6",
    "CYP2C19",
    "CYP2C9",
    "CYP3A4",
    "CYP3A5",
    "CYP4F2",
    "DPYD",
    "G6PD",
    "IFNL3",
    "NAT2",
    "NUDT15",
    "RYR1",
    "SLCO1B1",
    "TPMT",
    "UGT1A1",
    "VKORC1",
)
OUTSIDE_GENES = ("CYP2D6",)
#: PharmCAT (NamedAlleleMatcher.TREAT_UNDOCUMENTED_VARIATIONS_AS_REFERENCE): genes whose
#: undocumented ALT alleles are matched as the reference allele (and reported).
UNDOCUMENTED_AS_REFERENCE = ("CACNA1S", "DPYD", "G6PD", "NUDT15", "RYR1", "TPMT")
#: Genes with PharmCAT's own matching algorithm: its lowest-function genes
#: (Constants.LOWEST_FUNCTION_GENES, NamedAlleleMatcher.callLowestFunctionGene).
MATCHERS = {"DPYD": "lowest_function", "RYR1": "lowest_function"}
SEX_CHROMOSOMES = ("chrX",)
PYPGX_VERSION = "0.27.0"


class GenerateError(ValueError):
    """Upstream inputs that cannot be turned into a catalog; the message names file and entry."""


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise GenerateError(f"{path}: missing (is --pharmcat a PharmCAT source tree?)") from e
    except json.JSONDecodeError as e:
        raise GenerateError(f"{path}: not valid JSON ({e})") from e


def _csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise GenerateError(f"{path}: missing (is --pypgx the pypgx/api/data directory?)")
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def pypgx_data_dir() -> Path | None:
    """``pypgx/api/data`` of the installed pypgx, found without importing it."""
    spec = importlib.util.find_spec("pypgx")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "api" / "data"


def _is_number(text) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _pos(v) -> int:
    return int(v["position"]) if isinstance(v, dict) else int(v)


def _fmt_num(value: str | float | None) -> str:
    if value in (None, "", "n/a", "N/A"):
        return ""
    x = float(value)
    return f"{x:g}" if x != int(x) else f"{x:.1f}"


def _tsv(columns: Sequence[str], rows: list[list]) -> str:
    out = ["\t".join(columns)]
    for r in rows:
        cells = ["" if c is None else str(c) for c in r]
        for c in cells:
            if "\t" in c or "\n" in c:
                raise GenerateError(f"cell {c!r} contains a tab or newline")
        out.append("\t".join(cells))
    return "\n".join(out) + "\n"


def _positions_vcf(path: Path) -> dict[tuple[str, int], tuple[str, str, str]]:
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            out[(f[0], int(f[1]))] = (f[2], f[3], f[7])
    return out


def _position_rows(
    gene: str,
    d: dict,
    src: Path,
    ex: dict,
    pos_vcf: dict,
    seen_keys: dict[tuple[str, int], str],
) -> list[list]:
    """positions.tsv rows of one gene: its definition positions (or outside-call ones) with
    PharmCAT's ignored, required and extra positions; each checked against
    pharmcat_positions.vcf and recorded in `seen_keys` (a position belongs to one gene)."""
    chrom = d["chromosome"]
    rows: list[list] = []
    # an ignored position is a variant (position + REF + ALTs): PharmCAT's shipped definitions
    # already omit the ones it ignores, and another variant at the same coordinate (G6PD
    # Chatham rs5030869 C>T where the ignored g.154532991_154532993delGGT was) is matched
    ignored_var = {
        (_pos(v), v.get("ref"), tuple(sorted(v.get("alts") or ())))
        for v in ex.get("ignoredPositions", [])
        if isinstance(v, dict)
    }
    ignored_pos = {_pos(v) for v in ex.get("ignoredPositions", []) if not isinstance(v, dict)}
    required_pos = {_pos(v) for v in ex.get("requiredPositions", [])}
    variants = d["variants"]
    for v in variants:
        if v["chromosome"] != chrom:
            raise GenerateError(f"{src}: variant {v['position']} on {v['chromosome']}")
    roles = []
    for v in variants:
        pos = int(v["position"])
        ignored = pos in ignored_pos or (
            (pos, v["ref"], tuple(sorted(v.get("alts") or ()))) in ignored_var
        )
        role = "ignored" if ignored else "definition"
        if gene in OUTSIDE_GENES:
            role = "outside_call"
        roles.append((v, role))
    for v in ex.get("extraPositions", []):
        roles.append((v, "extra"))
    for v, role in roles:
        key = (v["chromosome"], int(v["position"]))
        if key not in pos_vcf:
            raise GenerateError(
                f"{src}: {key[0]}:{key[1]} ({v.get('rsid')}) not in pharmcat_positions.vcf"
            )
        if key in seen_keys:
            raise GenerateError(f"{src}: {key} also a position of {seen_keys[key]}")
        seen_keys[key] = gene
        vcf_ref = pos_vcf[key][1]
        if vcf_ref != v["ref"]:
            raise GenerateError(
                f"{src}: {key} REF {v['ref']} but pharmcat_positions.vcf has {vcf_ref}"
            )
        flags = []
        if int(v["position"]) in required_pos:
            flags.append("required")
        rows.append(
            [
                gene,
                key[0],
                key[1],
                v["ref"],
                ",".join(v.get("alts") or []),
                v.get("rsid") or ".",
                role,
                ",".join(flags),
            ]
        )
    return rows


def _allele_functions(
    gene: str, d: dict, ph: dict | None, allele_table: list[dict]
) -> tuple[dict[str, str], dict[str, str]]:
    """(function, activity value) of each named allele: from PharmCAT's phenotype map `ph`
    where it has one (CPIC terms from pypgx where the map gives numbers), else pypgx's
    allele table under PharmCAT's names."""
    functions: dict[str, str] = {}
    activity: dict[str, str] = {}
    if ph is not None:
        functions = dict(ph.get("haplotypes") or {})
        # DPYD's map gives activity values as "functions": take CPIC's terms from pypgx
        px = {r["StarAllele"]: r["Function"] for r in allele_table if r["Gene"] == gene}
        for k, v in functions.items():
            if _is_number(v):
                functions[k] = px.get(k, "")
        activity = {
            k: v for k, v in (ph.get("activityValues") or {}).items() if v not in ("n/a", "")
        }
    else:
        alias = _pypgx_aliases(d)
        for r in allele_table:
            if r["Gene"] == gene:
                n = alias.get(r["StarAllele"], r["StarAllele"])
                functions[n] = r["Function"]
                if r["ActivityScore"] not in ("", "N/A"):
                    activity[n] = r["ActivityScore"]
    return functions, activity


def _named_allele_rows(
    gene: str,
    d: dict,
    src: Path,
    functions: dict[str, str],
    activity: dict[str, str],
    ignored_alleles: set[str],
) -> tuple[list[list], list[list], list[str], str]:
    """alleles.tsv and allele_definitions.tsv rows of one gene, its allele names and its
    reference allele."""
    variants = d["variants"]
    allele_rows: list[list] = []
    def_rows: list[list] = []
    names = []
    ref_name = None
    # PharmCAT sub-alleles (e.g. SLCO1B1 *45.001/*45.002 for the ambiguous core *45) are
    # matched as definitions but reported, phenotyped and looked up under their core name
    cores = dict(d.get("suballelesMap") or {})
    for a in d["namedAlleles"]:
        name = a["name"]
        if len(a["alleles"]) != len(variants):
            raise GenerateError(f"{src}: allele {name!r} has {len(a['alleles'])} positions")
        if a.get("reference"):
            if ref_name is not None:
                raise GenerateError(f"{src}: two reference alleles {ref_name}, {name}")
            ref_name = name
        names.append(name)
        flags = []
        if a.get("structuralVariant"):
            flags.append("structural_variant")
        if name in ignored_alleles:
            flags.append("ignored")
        core = cores.get(name)
        if core:
            flags.append(f"suballele_of={core}")
        act = activity.get(name, activity.get(core, "") if core else "")
        allele_rows.append(
            [
                gene,
                name,
                "yes" if a.get("reference") else "no",
                functions.get(name, functions.get(core, "") if core else ""),
                _fmt_num(act) if act not in ("", None) else "",
                ",".join(flags),
            ]
        )
        for v, allele in zip(variants, a["alleles"], strict=True):
            if allele is None:
                continue
            def_rows.append(
                [
                    gene,
                    name,
                    v["chromosome"],
                    int(v["position"]),
                    v.get("rsid") or ".",
                    v["ref"],
                    allele,
                ]
            )
    if ref_name is None:
        raise GenerateError(f"{src}: no reference allele")
    return allele_rows, def_rows, names, ref_name


def _priority_rows(gene: str, ex: dict, names: list[str]) -> list[list]:
    """priorities.tsv rows of one gene (PharmCAT's unphased diplotype priorities)."""
    rows: list[list] = []
    for pr in ex.get("unphasedDiplotypePriorities", []):
        for dip in (*pr["list"], pr["pick"]):
            for n in dip.split("/"):
                if n not in names:
                    raise GenerateError(f"exemptions.json {gene}: priority names {n!r}")
        rows.append([gene, "|".join(sorted(pr["list"])), pr["pick"]])
    return rows


def build(pharmcat: Path, pypgx: Path, version: str) -> dict[str, str]:
    """All catalog files as ``name -> text``."""
    alleles_dir = pharmcat / RES / "definition" / "alleles"
    pheno_dir = pharmcat / RES / "phenotype"
    exemptions = _load(alleles_dir / "exemptions.json")
    pos_vcf = _positions_vcf(pharmcat / "pharmcat_positions.vcf")
    allele_table = _csv(pypgx / "allele-table.csv")
    dip_table = _csv(pypgx / "diplotype-table.csv")
    rec_table = _csv(pypgx / "recommendation-table.csv")
    cpic_table = _csv(pypgx / "cpic-table.csv")
    equations = _csv(pypgx / "equation-table.csv")

    genes_rows, pos_rows, def_rows, allele_rows, pheno_rows = [], [], [], [], []
    prio_rows: list[list] = []
    versions: set[str] = set()
    summary = []
    seen_keys: dict[tuple[str, int], str] = {}
    gene_phenotypes: dict[str, set[str]] = {}
    gene_diplotypes: dict[str, dict[tuple, str]] = {}
    gene_aliases: dict[str, dict[str, str]] = {}
    for gene in sorted((*VCF_GENES, *OUTSIDE_GENES)):
        src = alleles_dir / f"{gene}_translation.json"
        d = _load(src)
        if d.get("gene") != gene:
            raise GenerateError(f"{src}: gene {d.get('gene')!r}, expected {gene}")
        versions.add(f"{d.get('source', '')} {d.get('version', '')}".strip())
        chrom = d["chromosome"]
        ex = exemptions.get(gene, {})
        variants = d["variants"]
        pos_rows.extend(_position_rows(gene, d, src, ex, pos_vcf, seen_keys))
        # named alleles: function and activity value of each, then their definition rows
        pheno_file = pheno_dir / f"{gene}.json"
        ph = _load(pheno_file) if pheno_file.is_file() else None
        if ph is not None and not ph.get("diplotypes"):
            ph = None  # e.g. IFNL3: empty PharmCAT map, use pypgx
        functions, activity = _allele_functions(gene, d, ph, allele_table)
        ignored_alleles = set(ex.get("ignoredAlleles", []))
        alleles, definitions, names, ref_name = _named_allele_rows(
            gene, d, src, functions, activity, ignored_alleles
        )
        allele_rows.extend(alleles)
        def_rows.extend(definitions)
        prio_rows.extend(_priority_rows(gene, ex, names))
        # an ignored allele the definitions no longer have is simply absent (PharmCAT: no-op)
        method = "activity_score" if activity else "function"
        # phenotype rules
        if gene in OUTSIDE_GENES:
            # given by another assay: allele activity values (pypgx) and CPIC's score ranges
            # (pypgx's equation table), so an outside diplotype or score gets a phenotype
            rows = _score_rules(gene, equations)
            pheno_rows.extend(rows)
            gene_phenotypes[gene] = {r[-1] for r in rows}
        else:
            dips = [
                x
                for x in _diplotypes(gene, ph, dip_table, pheno_file, _pypgx_aliases(d))
                if all(n in names for n in x[0])  # maps may name alleles PharmCAT lacks
            ]
            rows = _rules(gene, method, dips, functions, activity, pheno_file)
            pheno_rows.extend(rows)
            gene_phenotypes[gene] = {r[-1] for r in rows}
            gene_diplotypes[gene] = {tuple(sorted(x[0])): x[1] for x in dips}
            gene_aliases[gene] = _pypgx_aliases(d)
        positions = [int(v["position"]) for v in variants]
        start, end = min(positions), max(positions)
        matcher = "outside" if gene in OUTSIDE_GENES else MATCHERS.get(gene, "standard")
        genes_rows.append(
            [
                gene,
                chrom,
                start,
                end,
                method,
                ref_name,
                matcher,
                "yes" if gene in UNDOCUMENTED_AS_REFERENCE else "no",
                "yes" if chrom in SEX_CHROMOSOMES else "no",
                d.get("version", ""),
            ]
        )
        summary.append((gene, len(variants), len(names), method, matcher))

    missing = set(pos_vcf) - set(seen_keys)
    if missing:
        raise GenerateError(
            f"pharmcat_positions.vcf: {len(missing)} position(s) not in any definition or "
            f"extra position, e.g. {sorted(missing)[:3]}"
        )
    names_map = _phenotype_names(dip_table, gene_diplotypes, gene_phenotypes, gene_aliases)
    for (g, px), pc in PHENOTYPE_EQUIVALENTS.items():
        if g in gene_phenotypes and pc in gene_phenotypes[g]:
            names_map.setdefault(g, {}).setdefault(px, pc)
    drug_rows = _drugs(rec_table, cpic_table, gene_phenotypes, names_map)
    pair_rows = _cpic_pairs(cpic_table, gene_phenotypes, drug_rows)

    files = {
        "genes.tsv": _tsv([*GENE_COLUMNS, "definition_version"], genes_rows),
        "positions.tsv": _tsv(
            [*TABLE_COLUMNS["positions.tsv"], "flags"],
            sorted(pos_rows, key=lambda r: (r[0], r[2])),
        ),
        "alleles.tsv": _tsv(
            [*TABLE_COLUMNS["alleles.tsv"], "flags"],
            sorted(allele_rows, key=lambda r: (r[0], r[2] != "yes", natural_key(r[1]))),
        ),
        "allele_definitions.tsv": _tsv(
            TABLE_COLUMNS["allele_definitions.tsv"],
            sorted(def_rows, key=lambda r: (r[0], natural_key(r[1]), r[3])),
        ),
        "phenotypes.tsv": _tsv(
            TABLE_COLUMNS["phenotypes.tsv"],
            sorted(pheno_rows, key=lambda r: tuple(str(x) for x in r)),
        ),
        "drugs.tsv": _tsv(TABLE_COLUMNS["drugs.tsv"], drug_rows),
    }
    files["cpic_pairs.tsv"] = _tsv(TABLE_COLUMNS["cpic_pairs.tsv"], pair_rows)
    files["priorities.tsv"] = _tsv(TABLE_COLUMNS["priorities.tsv"], sorted(prio_rows))
    files["VERSION"] = version + "\n"
    files["SOURCES"] = _sources(sorted(versions), summary, files)
    files["NOTICE"] = _notice()
    assert set(files) == set(CATALOG_FILES), sorted(set(files) ^ set(CATALOG_FILES))
    return files


def _pypgx_aliases(d: dict) -> dict[str, str]:
    """pypgx allele name -> PharmCAT's for the same haplotype: ``Reference`` is the reference
    allele; an rsID is the only non-reference allele defined by that one position."""
    out = {}
    by_rsid: dict[str, list[str]] = defaultdict(list)
    for a in d["namedAlleles"]:
        if a.get("reference"):
            out["Reference"] = a["name"]
            continue
        defined = [v for v, x in zip(d["variants"], a["alleles"], strict=True) if x is not None]
        if len(defined) == 1 and defined[0].get("rsid"):
            by_rsid[defined[0]["rsid"]].append(a["name"])
    for rsid, lst in by_rsid.items():
        if len(lst) == 1 and rsid not in {a["name"] for a in d["namedAlleles"]}:
            out[rsid] = lst[0]
    return out


def _diplotypes(gene, ph, dip_table, pheno_file, alias) -> list[tuple[tuple[str, ...], str, str]]:
    """``((allele, allele) or (allele,), phenotype, activity score text)`` of every diplotype."""
    out = []
    if ph is not None:
        for dip in ph["diplotypes"]:
            names = []
            for k, n in dip["diplotypekey"].items():
                names += [k] * int(n)
            if len(names) not in (1, 2):
                raise GenerateError(f"{pheno_file}: diplotype {dip.get('diplotype')!r}")
            out.append((tuple(names), dip["generesult"], dip.get("activityScore") or ""))
        return out
    rows = [r for r in dip_table if r["Gene"] == gene]
    # no phenotype map anywhere (CYP4F2): diplotypes are called, phenotypes are "n/a"
    for r in rows:
        parts = r["Diplotype"].split("/")
        # pypgx: X/MALE = hemizygous
        names = tuple(alias.get(p, p) for p in parts if p != "MALE")
        out.append((names, r["Phenotype"], ""))
    return out


_EQUATION = re.compile(
    r"^\s*(?:(?P<lo>[\d.]+)\s*<=\s*)?score\s*(?:(?P<op><=|<)\s*(?P<hi>[\d.]+))?\s*$"
    r"|^\s*(?P<lo2>[\d.]+)\s*(?P<op2><=|==)\s*score\s*$"
)


def _score_rules(gene: str, equations: list[dict[str, str]], step=0.25, top=6.0) -> list[list]:
    """Activity-score rules for a gene without a diplotype map (CYP2D6): every multiple of
    ``step`` up to ``top`` -> the phenotype of pypgx's equation table whose range holds it."""
    ranges = []
    for r in equations:
        if r["Gene"] != gene:
            continue
        m = _EQUATION.match(r["Equation"])
        if not m:
            raise GenerateError(f"equation-table.csv: {gene} {r['Equation']!r} not understood")
        if m.group("lo2") is not None:
            lo = float(m.group("lo2"))
            hi, incl = (lo, True) if m.group("op2") == "==" else (math.inf, False)
        else:
            lo = float(m.group("lo") or 0)
            hi = float(m.group("hi")) if m.group("hi") else math.inf
            incl = m.group("op") == "<="
        ranges.append((lo, hi, incl, r["Phenotype"]))
    if not ranges:
        raise GenerateError(f"equation-table.csv: no activity-score ranges for {gene}")
    rows = []
    for i in range(int(round(top / step)) + 1):
        x = i * step
        hits = [ph for lo, hi, incl, ph in ranges if lo <= x and (x < hi or (incl and x == hi))]
        if len(hits) > 1:
            raise GenerateError(f"equation-table.csv: {gene} score {x:g} in two ranges {hits}")
        if hits:
            rows.append([gene, "", "", "", _fmt_num(x), hits[0]])
    return rows


def _rules(gene, method, dips, functions, activity, where) -> list[list]:
    """Derived phenotype rules (see module docstring) plus explicit exception rows."""
    by_key: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for names, pheno, _score in dips:
        if method == "activity_score" and all(n in activity for n in names):
            key = ("as", _fmt_num(sum(float(activity[n]) for n in names)))
        elif all(functions.get(n) for n in names):
            key = ("fn", tuple(sorted(functions[n] for n in names)))
        else:
            key = ("dip", names)
        by_key[key][pheno].append(names)
    rows = []
    for key, phenos in by_key.items():
        # the majority phenotype is the rule; the others are explicit diplotype rows
        ordered = sorted(phenos.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        rule_pheno = ordered[0][0]
        if key[0] == "dip":
            for ph_, lst in phenos.items():
                for names in lst:
                    rows.append([gene, "/".join(names), "", "", "", ph_])
            continue
        if key[0] == "as":
            rows.append([gene, "", "", "", key[1], rule_pheno])
        else:
            f = key[1]
            rows.append([gene, "", f[0], f[1] if len(f) > 1 else "", "", rule_pheno])
        for ph_, lst in ordered[1:]:
            for names in lst:
                rows.append([gene, "/".join(names), "", "", "", ph_])
    return rows


def _phenotype_names(
    dip_table, gene_diplotypes, gene_phenotypes, aliases
) -> dict[str, dict[str, str]]:
    """pypgx phenotype name -> PharmCAT's, per gene, where they differ (CFTR "Favorable
    Response" = "ivacaftor responsive in CF patients"): the PharmCAT phenotype of the most
    diplotypes both tables list with that pypgx phenotype."""
    votes: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for r in dip_table:
        g = r["Gene"]
        if g not in gene_diplotypes or r["Phenotype"] in gene_phenotypes[g]:
            continue
        al = aliases.get(g, {})
        key = tuple(sorted(al.get(x, x) for x in r["Diplotype"].split("/") if x != "MALE"))
        pc = gene_diplotypes[g].get(key)
        if pc is not None:
            v = votes[g][r["Phenotype"]]
            v[pc] = v.get(pc, 0) + 1
    return {
        g: {px: sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for px, v in m.items()}
        for g, m in votes.items()
    }


#: CPIC levels at which CPIC recommends a prescribing action (levels C / D: none)
ACTIONABLE_LEVELS = ("A", "A/B", "B")

#: pypgx phenotype -> PharmCAT's where no diplotype of both tables can vote. CFTR: pypgx's only
#: "Unfavorable Response" diplotype is F508del/F508del; PharmCAT does not define F508del and
#: calls every sequence without an ivacaftor-responsive variant "ivacaftor non-responsive CFTR
#: sequence" (phenotype "ivacaftor non-responsive in CF patients"), so CPIC's recommendation
#: for it ("Ivacaftor is not recommended") is pypgx's Unfavorable Response row.
PHENOTYPE_EQUIVALENTS = {
    ("CFTR", "Unfavorable Response"): "ivacaftor non-responsive in CF patients",
}


def _cpic_pairs(cpic_table, gene_phenotypes, drug_rows) -> list[list]:
    """Every CPIC gene-drug pair of pypgx's cpic-table for a catalog gene, with the number of
    recommendation rows the catalog has for it: 0 = CPIC lists the pair (e.g. warfarin with
    VKORC1 / CYP4F2, whose guideline is a dosing algorithm) but the source has no table."""
    n: dict[tuple[str, str], int] = defaultdict(int)
    for r in drug_rows:
        n[(r[1], r[0])] += 1
        if r[3]:
            n[(r[3], r[0])] += 1
    rows = []
    for r in cpic_table:
        if r["Gene"] not in gene_phenotypes:
            continue
        rows.append(
            [
                r["Gene"],
                r["Drug"],
                r["CPICLevel"],
                r["Guideline"],
                r["PMID"],
                n[(r["Gene"], r["Drug"])],
            ]
        )
    return sorted(rows, key=lambda x: tuple(str(v) for v in x))


def _drugs(rec_table, cpic_table, gene_phenotypes, names_map) -> list[list]:
    cpic = {(r["Gene"], r["Drug"]): r for r in cpic_table}
    rows = []
    for r in rec_table:
        g1, p1, g2, p2 = r["Gene1"], r["Phenotype1"], r["Gene2"], r["Phenotype2"]
        genes = [g for g in (g1, g2) if g not in ("", "None")]
        if not genes or any(g not in gene_phenotypes for g in genes):
            continue  # a gene we do not call from a VCF (CYP2D6, HLA-B, F5, ...)
        if r["Recommendation"] in ("", "None"):
            continue
        if g2 in ("", "None"):
            g2, p2 = "", ""
        # pypgx "None": that gene's result is not available
        p1 = NOT_CALLED if p1 == "None" else names_map.get(g1, {}).get(p1, p1)
        if g2:
            p2 = NOT_CALLED if p2 == "None" else names_map.get(g2, {}).get(p2, p2)
        if p1 == NOT_CALLED and (not g2 or p2 == NOT_CALLED):
            continue
        info = cpic.get((g1, r["Drug"])) or cpic.get((g2, r["Drug"])) or {}
        rows.append(
            [
                r["Drug"],
                g1,
                p1,
                g2,
                p2,
                " ".join(r["Recommendation"].split()),
                info.get("CPICLevel", ""),
                info.get("Guideline", ""),
                info.get("PMID", ""),
            ]
        )
    rows.sort(key=lambda x: tuple(x))
    dedup = []
    for x in rows:
        if not dedup or dedup[-1] != x:
            dedup.append(x)
    return dedup


def _sources(versions, summary, files) -> str:
    n_pos = files["positions.tsv"].count("\n") - 1
    n_all = files["alleles.tsv"].count("\n") - 1
    lines = [
        "# Upstream sources of this catalog (generated by python -m holobiont.pgx.generate)",
        "PharmCAT allele definitions and phenotype maps: " + "; ".join(versions),
        "  https://github.com/PharmGKB/PharmCAT (MPL-2.0); definitions derived from "
        "CPIC / PharmVar / ClinPGx",
        f"pypgx {PYPGX_VERSION} api/data (MIT): recommendation-table, cpic-table; "
        "allele-table + diplotype-table for genes without a PharmCAT phenotype map",
        "  https://github.com/sbslee/pypgx ; recommendations are CPIC's (https://cpicpgx.org)",
        f"totals: {len(summary)} genes, {n_pos} positions, {n_all} named alleles",
        "gene\tpositions\tnamed_alleles\tmethod\tmatcher",
    ]
    lines += ["\t".join(str(x) for x in s) for s in summary]
    return "\n".join(lines) + "\n"


def _notice() -> str:
    return (
        "This directory holds facts (positions, allele definitions, functions, activity values,\n"
        "phenotype assignments, drug recommendations) derived by a script from:\n"
        "- PharmCAT (https://github.com/PharmGKB/PharmCAT), Mozilla Public License 2.0; its\n"
        "  allele definitions derive from PharmVar and CPIC / ClinPGx data.\n"
        "- pypgx (https://github.com/sbslee/pypgx), MIT licence, Copyright (c) 2020 Seung-been\n"
        "  Lee; its recommendation tables reproduce CPIC guidelines (https://cpicpgx.org).\n"
        "CPIC guidelines: Clinical Pharmacogenetics Implementation Consortium; cite the\n"
        "guideline PMID given per recommendation. Verify against the current guideline before\n"
        "clinical use.\n"
    )


README_START = "<!-- generated by holobiont.pgx.generate: start -->"
README_END = "<!-- generated by holobiont.pgx.generate: end -->"


def readme_section(files: dict[str, str]) -> str:
    """The generated part of ``README.md``: genes, named alleles and positions per gene."""
    rows = [r.split("\t") for r in files["genes.tsv"].splitlines()[1:]]
    n_pos: dict[str, int] = defaultdict(int)
    for r in files["positions.tsv"].splitlines()[1:]:
        n_pos[r.split("\t")[0]] += 1
    n_all: dict[str, int] = defaultdict(int)
    for r in files["alleles.tsv"].splitlines()[1:]:
        n_all[r.split("\t")[0]] += 1
    drugs: dict[str, set[str]] = defaultdict(set)
    for r in files["drugs.tsv"].splitlines()[1:]:
        f = r.split("\t")
        drugs[f[1]].add(f[0])
        if f[3]:
            drugs[f[3]].add(f[0])
    out = [
        README_START,
        f"Catalog version {files['VERSION'].strip()}, generated from PharmCAT definitions "
        f"{files['SOURCES'].splitlines()[1].split(': ', 1)[1]} and pypgx {PYPGX_VERSION}.",
        "",
        "| gene | positions | named alleles | reference allele | phenotype method | matcher "
        "| undocumented ALT | drugs with CPIC recommendations "
        "| CPIC level A/B pairs without recommendation rows in the source |",
        "|---|--:|--:|---|---|---|---|---|---|",
    ]
    gaps: dict[str, list[str]] = defaultdict(list)
    for r in files["cpic_pairs.tsv"].splitlines()[1:]:
        f = r.split("\t")
        if f[5] == "0" and f[2] in ACTIONABLE_LEVELS:
            gaps[f[0]].append(f"{f[1]} ({f[2]})")
    for r in rows:
        gene, method, refname, matcher, undoc = r[0], r[4], r[5], r[6], r[7]
        out.append(
            f"| {gene} | {n_pos[gene]} | {n_all[gene]} | {refname} | "
            f"{method.replace('_', ' ')} | {matcher} | "
            f"{'as reference' if undoc == 'yes' else 'no call'} | "
            f"{', '.join(sorted(drugs[gene])) or '-'} | {', '.join(gaps[gene]) or '-'} |"
        )
    out += [
        "",
        f"{sum(n_pos.values())} positions (every record of PharmCAT's pharmcat_positions.vcf) "
        f"and {sum(n_all.values())} named alleles in total; "
        f"{files['drugs.tsv'].count(chr(10)) - 1} recommendation rows.",
        README_END,
    ]
    return "\n".join(out) + "\n"


def write(files: dict[str, str], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(files.items()):
        write_text(out / name, text)
    readme = out / "README.md"
    section = readme_section(files)
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        if README_START in text and README_END in text:
            head, rest = text.split(README_START, 1)
            tail = rest.split(README_END, 1)[1].lstrip("\n")
            write_text(readme, head + section + tail)
            return
    write_text(readme, "# Holobiont PGx catalog\n\n" + section)


def main(argv=None, prog: str = "python -m holobiont.pgx.generate") -> int:
    ap = argparse.ArgumentParser(
        prog=prog,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--pharmcat", required=True, type=Path, help="PharmCAT source tree")
    ap.add_argument("--pypgx", type=Path, help="pypgx/api/data (default: installed pypgx)")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--version", default=None, help="catalog version (default: keep VERSION)")
    args = ap.parse_args(argv)
    pypgx = args.pypgx or pypgx_data_dir()
    if pypgx is None:
        ap.error("pypgx is not installed; pass --pypgx DIR (pip install --no-deps pypgx==0.27.0)")
    version = args.version
    if version is None:
        vf = args.out / "VERSION"
        version = vf.read_text().strip() if vf.is_file() else "2.0.0"
    try:
        files = build(args.pharmcat, pypgx, version)
    except GenerateError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    write(files, args.out)
    print(files["SOURCES"], end="", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
