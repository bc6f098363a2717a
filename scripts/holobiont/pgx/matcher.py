"""Named-allele matching with PharmCAT's semantics (its NamedAlleleMatcher / DiplotypeMatcher).

Each rule below is also described in ``resources/pgx/README.md``.

1. **Positions.** A gene is matched on its ``definition`` positions. PharmCAT exemptions are
   applied: ``ignored`` positions and ignored alleles are not used; ``extra`` positions are read
   and reported only; a missing ``required`` position (NAT2) means no call.
2. **Missing positions** (no genotype) are removed from every definition. A named allele whose
   defining positions are all missing cannot be called and is listed in ``uncallable_alleles``
   -- the gene is not collapsed to the reference: every diplotype still consistent with the
   called positions competes, ties are all listed, and the confidence is lowered. Missing is
   kept distinct from reference everywhere (``missing_positions`` in the JSON).
3. **Assume reference.** A named allele is a haplotype: the alleles it specifies, and the
   reference allele's value at every other (non-missing) position.
4. **Undocumented alleles.** An allele at a definition position that no definition lists
   (an undocumented ALT, or a VCF allele that cannot be expressed against the catalog REF)
   makes the gene a *no call* (status ``undocumented_variant``), except for the genes
   PharmCAT lists (``undocumented_as_reference`` in genes.tsv: CACNA1S, DPYD, G6PD, NUDT15,
   RYR1, TPMT), where it is matched as the reference allele. Either way it is reported in
   ``unmatched_variants`` (with ``treated_as_reference``).
5. **Phasing and permutations.** Heterozygous positions are grouped into phase blocks: the
   phased (``|``) calls of one phase set (``PS``; phased calls without ``PS`` share one set)
   form one block whose two strands are fixed; every unphased heterozygous call is a block of
   its own. All orientations of the blocks relative to each other are tried (2^(blocks-1)
   sample haplotype pairs), so calls in different phase sets are unphased between blocks.
6. **Half-calls** (``./T``): the called allele is used; the missing half matches any
   definition (and the confidence is lowered).
7. **Haploid calls** (male chrX, G6PD): the single strand is matched to one named allele; the
   call is hemizygous (one allele). With ``sex="male"`` homozygous chrX calls are read as
   haploid; a heterozygous chrX call in a male is a no call.
8. **Score = specificity.** A named allele scores the number of (non-missing) positions its
   definition specifies (the reference allele: all of them); a diplotype scores the sum. The
   top score wins and every tied diplotype is reported, so the most specific definition wins
   where definitions overlap (TPMT c.460G>A + c.719A>G unphased is *1/*3A, not *3B/*3C).
   Definitions are complete haplotypes (UGT1A1 ``*80+*28`` is a named allele); partial
   combinations are not formed for other genes (PharmCAT's default; no match = no call).
9. **Unphased priorities** (NAT2, PharmCAT exemptions): when the diplotypes that explain the
   unphased data contain a listed set (PharmCAT's ``containsAll``: missing positions may add
   candidates), the pick is reported (the others remain in ``notes``); PharmCAT's priorities
   are ordered by pick (haplotype-name order) and the first contained list wins.
10. **Lowest-function genes** DPYD and RYR1 (``matcher = lowest_function`` in genes.tsv;
    PharmCAT's ``Constants.LOWEST_FUNCTION_GENES`` / ``callLowestFunctionGene``; DPYD adds
    PharmCAT 3's DpydHapB3Matcher). DPYD's HapB3 positions
    (intronic c.1129-5923C>G rs75017182, exonic c.1236G>A rs56038477) are left out of the
    other alleles' matching and called on their own: a strand with both variants is HapB3,
    with the intronic one alone the named allele ``c.1129-5923C>G``; an exonic variant the
    intronic call does not carry is ignored with a warning (the intronic call wins); with
    the intronic position not genotyped the exonic variant gives HapB3 (warning). Data are
    *effectively phased* when every heterozygous call (the HapB3 ones included) is in one
    phase block: the exact diplotype, or per-strand combinations ``[A + B]`` (components in
    haplotype-name order). Phased data in several phase sets: every orientation of the sets
    gives a diplotype and all are reported (moderate confidence). Unphased data: every
    allele found is listed (``haplotypes``; DPYD's HapB3 / ``c.1129-5923C>G`` by PharmCAT's
    counting of the two positions); with two or fewer they are the diplotype (padded with
    the reference allele), with more the two of lowest function are reported as the
    diplotype used for the phenotype (CPIC's recommendation for unphased DPYD; PharmCAT's
    LowestFunctionGeneCaller), with moderate confidence. Lowest function = lowest CPIC
    activity value where the gene has them (DPYD), else a "Malignant ..." function first
    (RYR1, PharmCAT's Ryr1ActivityComparator); ties in haplotype-name order. So three
    unphased RYR1 variants are listed (not a no call), and phased RYR1 variants on one strand
    are the combination ``[c.97A>G + c.152C>A + c.418G>A]``.
11. **Structural-variant alleles** (none among the VCF-callable genes) are skipped.
12. **Sub-alleles** (PharmCAT's ``suballelesMap``: SLCO1B1 ``*45.001`` / ``*45.002`` define the
    ambiguous core ``*45``) compete as separate definitions but a call reports, phenotypes and
    looks up the core name (``*5/*45``); diplotypes that become equal are listed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .catalog import Allele, GeneDefinition, Position, natural_key
from .vcf import SampleAllele, lookup, parse_genotype

__all__ = ["Match", "UnmatchedVariant", "match_gene", "combination_name", "components"]

#: At most this many phase blocks are permuted (2^(n-1) haplotype pairs).
MAX_BLOCKS = 17
HAPB3_INTRONIC = "rs75017182"
HAPB3_EXONIC = "rs56038477"


@dataclass(frozen=True)
class UnmatchedVariant:
    """An allele seen at a definition position that no named allele of the gene lists."""

    chrom: str
    pos: int
    rsid: str
    ref: str
    allele: str
    genotype: str
    treated_as_reference: bool = False

    @property
    def message(self) -> str:
        what = (
            "treated as reference (PharmCAT rule for this gene)"
            if self.treated_as_reference
            else "no named allele explains it"
        )
        return (
            f"undocumented allele {self.allele} at {self.chrom}:{self.pos}"
            + (f" ({self.rsid})" if self.rsid not in ("", ".") else "")
            + f"; catalog ref {self.ref}; {what}"
        )

    def to_dict(self) -> dict:
        return {
            "chrom": self.chrom,
            "pos": self.pos,
            "rsid": self.rsid,
            "ref": self.ref,
            "allele": self.allele,
            "genotype": self.genotype,
            "treated_as_reference": self.treated_as_reference,
            "message": self.message,
        }


@dataclass
class Match:
    """What the matcher found for one gene (before phenotyping)."""

    gene: str
    status: str  # called | no_data | no_match | undocumented_variant | missing_required | ...
    reason: str = ""
    diplotypes: list[tuple[str, ...]] = field(default_factory=list)
    score: int | None = None
    positions: list[Position] = field(default_factory=list)
    missing: list[Position] = field(default_factory=list)
    unmatched: list[UnmatchedVariant] = field(default_factory=list)
    uncallable_alleles: list[str] = field(default_factory=list)
    haplotypes: list[str] = field(default_factory=list)
    half_calls: list[Position] = field(default_factory=list)
    phased: bool = False
    haploid: bool = False
    notes: list[str] = field(default_factory=list)
    lowered: list[str] = field(default_factory=list)  # reasons the confidence is lowered
    rule: str = "top_score"
    sample: dict[int, SampleAllele] = field(default_factory=dict)
    extra: list[dict] = field(default_factory=list)  # PharmCAT extra positions (reported only)


def combination_name(names: list[str]) -> str:
    """``[A + B]`` for a strand carrying several named alleles (PharmCAT's notation)."""
    return names[0] if len(names) == 1 else "[" + " + ".join(names) + "]"


def components(name: str) -> list[str]:
    """The named alleles of a (possibly combination) haplotype name."""
    if name.startswith("[") and name.endswith("]"):
        return [x.strip() for x in name[1:-1].split(" + ")]
    return [name]


def _sample(gdef: GeneDefinition, genotypes: Mapping, sex: str | None):
    """Per definition position: SampleAllele (undocumented handled) or missing."""
    out: dict[int, SampleAllele] = {}
    missing: list[Position] = []
    unmatched: list[UnmatchedVariant] = []
    blocking = False
    male_het: list[Position] = []
    for p in gdef.positions:
        sa = parse_genotype(lookup(genotypes, p))
        if sa is None:
            missing.append(p)
            continue
        if sex == "male" and gdef.sex_chromosome and len(sa.alleles) == 2:
            called = sa.called
            if len(set(called)) > 1:
                male_het.append(p)
                continue
            sa = SampleAllele((called[0],))
        known = {p.ref, *p.alts}
        alleles = list(sa.alleles)
        for i, a in enumerate(alleles):
            if a is None or a in known:
                continue
            u = UnmatchedVariant(
                p.chrom,
                p.pos,
                p.rsid,
                p.ref,
                a,
                sa.text(),
                treated_as_reference=gdef.undocumented_as_reference,
            )
            if u not in unmatched:
                unmatched.append(u)
            if gdef.undocumented_as_reference:
                alleles[i] = p.ref
            else:
                blocking = True
        out[p.pos] = SampleAllele(tuple(alleles), sa.phased, sa.phase_set)
    return out, missing, unmatched, blocking, male_het


def _ploidy(sample: dict[int, SampleAllele]) -> tuple[dict[int, SampleAllele], bool]:
    """All-haploid -> haploid; a mix -> haploid calls doubled (homozygous)."""
    if sample and all(s.is_haploid for s in sample.values()):
        return sample, True
    fixed = {pos: SampleAllele(s.alleles * 2) if s.is_haploid else s for pos, s in sample.items()}
    return fixed, False


class _Index:
    """Bitmask index: which alleles accept each value at each position."""

    def __init__(self, gdef: GeneDefinition, positions: list[Position], alleles: list[Allele]):
        ref = gdef.reference
        self.gdef = gdef
        self.alleles = alleles
        self.scores = [
            len(positions) if a.reference else sum(p.pos in a.variants for p in positions)
            for a in alleles
        ]
        self.all = (1 << len(alleles)) - 1
        self.spec: list[dict[str, int]] = []
        self.iupac: list[list[tuple[str, int]]] = []
        for p in positions:
            exact: dict[str, int] = {}
            fuzzy: list[tuple[str, int]] = []
            for i, a in enumerate(alleles):
                v = a.variants.get(p.pos, ref.variants.get(p.pos, p.ref))
                if len(v) == 1 and v in "RYSWKMBDHVN":
                    fuzzy.append((v, i))
                else:
                    exact[v] = exact.get(v, 0) | (1 << i)
            self.spec.append(exact)
            self.iupac.append(fuzzy)

    def matches(self, seq: tuple[str | None, ...]) -> int:
        from .catalog import IUPAC

        m = self.all
        for i, v in enumerate(seq):
            if v is None:
                continue
            mask = self.spec[i].get(v, 0)
            for code, j in self.iupac[i]:
                if v in IUPAC[code]:
                    mask |= 1 << j
            m &= mask
            if not m:
                return 0
        return m

    def bits(self, m: int) -> list[int]:
        out = []
        i = 0
        while m:
            if m & 1:
                out.append(i)
            m >>= 1
            i += 1
        return out


_INDEX_CACHE: dict[tuple, _Index] = {}


def _index(gdef: GeneDefinition, positions: list[Position], alleles: list[Allele]) -> _Index:
    """A cached :class:`_Index` (the same gene and positions recur across samples)."""
    key = (id(gdef), tuple(p.pos for p in positions), tuple(a.name for a in alleles))
    idx = _INDEX_CACHE.get(key)
    if idx is None or idx.gdef is not gdef:
        if len(_INDEX_CACHE) > 256:
            _INDEX_CACHE.clear()
        idx = _INDEX_CACHE[key] = _Index(gdef, positions, alleles)
    return idx


def _blocks(positions: list[Position], sample: dict[int, SampleAllele]) -> list[list[int]]:
    groups: dict[object, list[int]] = {}
    for i, p in enumerate(positions):
        s = sample[p.pos]
        if not s.is_heterozygous:
            continue
        key = ("ps", s.phase_set) if s.phased else ("pos", i)
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def _orientations(blocks: list[list[int]]):
    """Every orientation of the blocks relative to the first (2^(n-1)): the position indices
    whose two strands are swapped."""
    n = len(blocks)
    for mask in range(1 << max(n - 1, 0)):
        yield {i for b in range(1, n) if mask >> (b - 1) & 1 for i in blocks[b]}


def _permutations(positions, sample, blocks):
    base1 = []
    base2 = []
    for p in positions:
        a = sample[p.pos].alleles
        base1.append(a[0])
        base2.append(a[1] if len(a) > 1 else a[0])
    for flip in _orientations(blocks):
        s1, s2 = list(base1), list(base2)
        for i in flip:
            s1[i], s2[i] = s2[i], s1[i]
        yield tuple(s1), tuple(s2)


def _sorted(gdef: GeneDefinition, names) -> tuple[str, ...]:
    return tuple(sorted(names, key=gdef.sort_key))


def _reported(gdef: GeneDefinition, dips: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Sub-allele names -> their core allele (PharmCAT's ``suballelesMap``), deduplicated."""
    cores = {a.name: a.core for a in gdef.all_alleles if a.core}
    if not cores:
        return dips
    out = dict.fromkeys(_sorted(gdef, (cores.get(n, n) for n in d)) for d in dips)
    return sorted(out, key=lambda d: [gdef.sort_key(x) for x in d])


def _top_diplotypes(gdef, idx: _Index, positions, sample, haploid, blocks):
    """(best score, sorted top diplotypes, exact pairs) over all permutations."""
    if haploid:
        seq = tuple(sample[p.pos].alleles[0] for p in positions)
        m = idx.bits(idx.matches(seq))
        if not m:
            return None, [], []
        best = max(idx.scores[i] for i in m)
        dips = sorted({(idx.alleles[i].name,) for i in m if idx.scores[i] == best})
        return best, dips, [(idx.alleles[i].name,) for i in m]
    best = None
    top: set[tuple[str, ...]] = set()
    exact: set[tuple[str, ...]] = set()
    for s1, s2 in _permutations(positions, sample, blocks):
        m1 = idx.bits(idx.matches(s1))
        if not m1:
            continue
        m2 = idx.bits(idx.matches(s2))
        if not m2:
            continue
        for i in m1:
            for j in m2:
                exact.add(_sorted(gdef, (idx.alleles[i].name, idx.alleles[j].name)))
        b1 = max(idx.scores[i] for i in m1)
        b2 = max(idx.scores[j] for j in m2)
        score = b1 + b2
        if best is None or score > best:
            best, top = score, set()
        if score == best:
            for i in m1:
                if idx.scores[i] != b1:
                    continue
                for j in m2:
                    if idx.scores[j] == b2:
                        top.add(_sorted(gdef, (idx.alleles[i].name, idx.alleles[j].name)))
    order = sorted(top, key=lambda d: [gdef.sort_key(x) for x in d])
    return best, order, sorted(exact)


def match_gene(
    gdef: GeneDefinition,
    genotypes: Mapping,
    *,
    sex: str | None = None,
    priorities: Mapping[frozenset, str] | None = None,
) -> Match:
    """Match one gene's named alleles to the sample (see module docstring)."""
    sample, missing, unmatched, blocking, male_het = _sample(gdef, genotypes, sex)
    res = Match(gdef.gene, "called", missing=missing, unmatched=unmatched, sample=dict(sample))
    for p in gdef.all_positions:
        if p.role == "extra":
            sa = parse_genotype(lookup(genotypes, p))
            res.extra.append(
                {
                    "chrom": p.chrom,
                    "pos": p.pos,
                    "rsid": p.rsid,
                    "genotype": sa.text() if sa else None,
                }
            )
    for u in unmatched:
        res.notes.append(u.message)
        if u.treated_as_reference:
            res.lowered.append("undocumented allele treated as reference")
    if not sample:
        res.status = "no_data"
        res.reason = f"none of the {len(gdef.positions)} {gdef.gene} positions was genotyped"
        return res
    if male_het:
        res.status = "no_match"
        res.reason = f"heterozygous call(s) on {gdef.chrom} in a male sample at " + ", ".join(
            p.label for p in male_het
        )
        return res
    req = [p for p in missing if p.required]
    if req:
        res.status = "missing_required"
        res.reason = "required position(s) not genotyped: " + ", ".join(p.label for p in req)
        return res
    if blocking:
        res.status = "undocumented_variant"
        res.reason = (
            "undocumented allele(s) at a definition position: no named allele can explain the "
            "genotypes (PharmCAT makes no call for this gene)"
        )
        return res
    sample, haploid = _ploidy(sample)
    res.haploid = haploid
    res.sample = sample
    positions = [p for p in gdef.positions if p.pos in sample]
    res.positions = positions
    res.half_calls = [p for p in positions if sample[p.pos].is_half_call]
    if res.half_calls:
        res.notes.append(
            "half-call(s) (one allele not called) at "
            + ", ".join(p.label for p in res.half_calls)
            + "; the called allele is used, the other matches any definition"
        )
        res.lowered.append("half-call")
    missing_pos = {p.pos for p in missing}
    defining = {p.pos for p in gdef.positions}
    alleles = []
    for a in gdef.alleles:
        if a.structural:
            continue
        if not a.reference and not set(a.variants) & defining:
            continue  # defined only at ignored positions (PharmCAT exemption): never called
        if not a.reference and a.variants and set(a.variants) <= missing_pos:
            res.uncallable_alleles.append(a.name)
            continue
        alleles.append(a)
    if missing:
        res.notes.append(
            f"{len(missing)} of {len(gdef.positions)} positions not genotyped (missing, not "
            f"reference): {', '.join(p.label for p in missing[:10])}"
            + (" ..." if len(missing) > 10 else "")
        )
        if res.uncallable_alleles:
            res.notes.append(
                "alleles that cannot be called because all their positions are missing: "
                + ", ".join(res.uncallable_alleles[:20])
                + (" ..." if len(res.uncallable_alleles) > 20 else "")
            )
        res.lowered.append("missing positions")
    if gdef.matcher == "lowest_function":
        return _match_lowest_function(gdef, res, sample, positions, alleles)
    blocks = _blocks(positions, sample)
    res.phased = len(blocks) <= 1
    if len(blocks) > MAX_BLOCKS:
        res.status = "no_match"
        res.reason = f"{len(blocks)} unphased heterozygous blocks: too many to permute"
        return res
    idx = _index(gdef, positions, alleles)
    best, top, exact = _top_diplotypes(gdef, idx, positions, sample, haploid, blocks)
    if not top:
        res.status = "no_match"
        res.reason = (
            "no pair of named alleles explains the genotypes (novel haplotype or allele "
            "combination not defined; PharmCAT makes no call)"
        )
        return res
    res.score = best
    if priorities and not res.phased:
        # PharmCAT compares the priority lists with every diplotype that explains the data
        key = frozenset("/".join(d) for d in exact)
        # PharmCAT's priorities are a set sorted by pick (haplotype-name order); the first
        # list the candidates contain wins
        ordered = sorted(
            priorities.items(), key=lambda kv: [natural_key(x) for x in kv[1].split("/")]
        )
        pick = next((p for lst, p in ordered if lst <= key), None)
        if pick:
            res.notes.append(
                f"unphased ambiguity {' or '.join(sorted(key))} resolved to {pick} "
                "(PharmCAT unphased-diplotype priority)"
            )
            res.rule = "unphased_priority"
            top = [tuple(pick.split("/"))]
    top = _reported(gdef, top)
    res.diplotypes = top
    if len(top) > 1:
        res.notes.append(
            f"ambiguous diplotype: {' or '.join('/'.join(d) for d in top)} fit the genotypes "
            "with the same score"
        )
    return res


def _match_lowest_function(gdef, res: Match, sample, positions, alleles) -> Match:
    by_rsid = {p.rsid: p for p in gdef.positions}
    intr, exon = by_rsid.get(HAPB3_INTRONIC), by_rsid.get(HAPB3_EXONIC)
    hapb3 = intron_allele = None
    if intr and exon:
        for a in alleles:
            if a.reference:
                continue
            if {intr.pos, exon.pos} <= set(a.variants):
                hapb3 = a
            elif set(a.variants) == {intr.pos}:
                intron_allele = a
    if hapb3 is None:
        return _match_lf_alleles(gdef, res, sample, positions, alleles, None)
    hb = _HapB3(hapb3, intron_allele, intr, exon, sample, res)
    skip = {intr.pos, exon.pos}
    positions = [p for p in positions if p.pos not in skip]
    alleles = [a for a in alleles if a.reference or not set(a.variants) <= skip]
    return _match_lf_alleles(gdef, res, sample, positions, alleles, hb)


class _HapB3:
    """PharmCAT's DpydHapB3Matcher: HapB3 (intronic c.1129-5923C>G *and* exonic c.1236G>A
    on one strand) and the intronic-only allele c.1129-5923C>G are called from the two
    positions, which the other DPYD alleles are matched without."""

    def __init__(self, hapb3, intron_allele, intr, exon, sample, res: Match):
        self.hapb3, self.intron = hapb3, intron_allele
        self.intr, self.exon, self.res = intr, exon, res
        self.i = sample.get(intr.pos)
        self.e = sample.get(exon.pos)
        self.present = any(
            s is not None and any(a is not None and a != v for a in s.alleles)
            for s, v in ((self.i, intr.ref), (self.e, exon.ref))
        )

    def with_sample(self, sample) -> _HapB3:
        return _HapB3(self.hapb3, self.intron, self.intr, self.exon, sample, self.res)

    def _calls(self, s, pos) -> list[str]:
        v = self.hapb3.variants[pos]
        return ["." if a is None else ("1" if a == v else "0") for a in s.alleles]

    def _warn(self, text: str, lowered: str) -> None:
        if text not in self.res.notes:
            self.res.notes.append(text)
            self.res.lowered.append(lowered)

    def mismatch(self) -> None:
        self._warn(
            "DPYD: the exonic c.1236G>A (rs56038477) and the intronic c.1129-5923C>G "
            "(rs75017182) disagree; the intronic call is used (PharmCAT)",
            "HapB3 intronic / exonic mismatch",
        )

    def exonic_only(self) -> None:
        self._warn(
            "HapB3 called from the exonic c.1236G>A (rs56038477) alone: the intronic "
            "c.1129-5923C>G (rs75017182) is not genotyped",
            "HapB3 from exonic position only",
        )

    @property
    def intron_name(self) -> str:
        return self.intron.name if self.intron is not None else self.hapb3.name

    def strand(self, k: int) -> str | None:
        """The HapB3-family allele on strand ``k`` of phased (or effectively phased) data."""

        def at(s, pos):
            if s is None:
                return None
            c = self._calls(s, pos)
            return c[k] if k < len(c) else c[0]

        ic = at(self.i, self.intr.pos)
        ec = at(self.e, self.exon.pos)
        if ic in (None, "."):
            if ec == "1":
                self.exonic_only()
                return self.hapb3.name
            return None
        if ic == "0":
            if ec == "1":
                self.mismatch()
            return None
        return self.hapb3.name if ec == "1" else self.intron_name

    def unphased(self) -> list[str]:
        """The HapB3-family alleles of unphased data (PharmCAT's counting rules)."""
        hap, intron = 0, 0
        if self.i is None and self.e is None:
            return []
        if self.i is None:
            ec = self._calls(self.e, self.exon.pos)
            hap = ec.count("1")
            if hap:
                self.exonic_only()
            return [self.hapb3.name] * hap
        ic = self._calls(self.i, self.intr.pos)
        n_i_strands = sum(c != "." for c in ic)
        if self.e is None:
            return [self.intron_name] * ic.count("1")
        ec = self._calls(self.e, self.exon.pos)
        n_e_strands = sum(c != "." for c in ec)
        if n_i_strands == 0:
            hap = ec.count("1")
            if n_e_strands:
                self.mismatch()
        elif n_e_strands == 0:
            intron = ic.count("1")
        elif n_i_strands == 2 and n_e_strands == 2:
            ni, ne = ic.count("1"), ec.count("1")
            if ni == ne:
                hap = ni
            elif ni > ne:
                intron = 1
                if ne == 1:
                    hap = 1
                elif ni == 2:
                    intron = 2
            else:
                self.mismatch()
                hap = 1 if ni == 1 else 0
        # one intronic or exonic half-call with the other position called: PharmCAT
        # ignores the HapB3 positions (unphased)
        return [self.hapb3.name] * hap + [self.intron_name] * intron


def _match_lf_alleles(gdef, res: Match, sample, positions, alleles, hb) -> Match:
    # PharmCAT's "effectively phased": every heterozygous call, DPYD's HapB3 positions
    # included, in one phase block
    hap_pos = [p for p in (hb.intr, hb.exon) if p.pos in sample] if hb is not None else []
    all_pos = positions + hap_pos
    blocks_all = _blocks(all_pos, sample)
    phased = len(blocks_all) <= 1
    res.phased = phased
    idx = _index(gdef, positions, alleles)
    ref = gdef.reference_allele
    if phased:
        names = _lf_strands(gdef, idx, positions, sample, hb)
        res.diplotypes = [_sorted(gdef, names)]
        res.haplotypes = sorted(
            {c for n in names for c in components(n) if c != ref}, key=natural_key
        )
        res.score = None
        res.rule = "lowest_function_phased"
        return res
    het = [sample[p.pos] for p in all_pos if sample[p.pos].is_heterozygous]
    if het and all(s.phased for s in het) and len(blocks_all) <= 8:
        # PharmCAT 3: phased data in several phase sets -- every orientation of the sets
        # gives one diplotype, all are reported
        dips: list[tuple[str, ...]] = []
        for swapped in _orientations(blocks_all):
            flip = {all_pos[i].pos for i in swapped}
            oriented = dict(sample)
            for p in all_pos:
                s0 = sample[p.pos]
                al = s0.alleles[::-1] if p.pos in flip else s0.alleles
                oriented[p.pos] = replace(s0, alleles=al, phased=True, phase_set=0)
            hbo = hb.with_sample(oriented) if hb is not None else None
            d = _sorted(gdef, _lf_strands(gdef, idx, positions, oriented, hbo))
            if d not in dips:
                dips.append(d)
        res.diplotypes = sorted(dips, key=lambda d: [natural_key(x) for x in d])
        res.haplotypes = sorted(
            {c for d in dips for n in d for c in components(n) if c != ref}, key=natural_key
        )
        res.phased = True
        res.score = None
        res.rule = "lowest_function_phase_sets"
        if len(dips) > 1:
            res.notes.append(
                f"{gdef.gene} phased in {len(blocks_all)} phase sets: every orientation of the "
                "sets gives a diplotype, all are listed (PharmCAT)"
            )
            res.lowered.append(f"{gdef.gene} phase sets")
        return res
    # unphased: list every allele found
    found: list[str] = []
    non_ref = [i for i, a in enumerate(idx.alleles) if not a.reference]
    for i in non_ref:
        a = idx.alleles[i]
        copies = 2
        for p in positions:
            if p.pos not in a.variants:
                continue
            s = sample[p.pos]
            have = sum(1 for x in s.alleles if x is not None and a.accepts(p.pos, x))
            if s.is_haploid:
                have *= 2
            copies = min(copies, have)
        if any(p.pos in a.variants for p in positions):
            found += [a.name] * copies
    found += hb.unphased() if hb is not None else []
    res.haplotypes = sorted(found, key=natural_key)
    res.rule = "lowest_function_unphased"
    if len(found) <= 2:
        res.diplotypes = [_sorted(gdef, found + [ref] * (2 - len(found)))]
        return res
    low = sorted(found, key=lambda n: (_function_rank(gdef, n), natural_key(n)))[:2]
    res.diplotypes = [_sorted(gdef, low)]
    res.notes.append(
        f"unphased {gdef.gene} data carry {len(found)} variant haplotypes "
        f"({', '.join(res.haplotypes)}); as CPIC recommends and PharmCAT does, the two of "
        f"lowest function ({' and '.join(low)}) are assumed to lie on different chromosomes"
    )
    res.lowered.append(f"{gdef.gene} lowest-function rule (unphased)")
    return res


def _function_rank(gdef: GeneDefinition, name: str) -> float:
    """Lower = lower function (PharmCAT's LowestFunctionGeneCaller comparators): the CPIC
    activity value where the gene has them (DPYD; none = 1.0), else a ``Malignant ...``
    function first (RYR1, its Ryr1ActivityComparator)."""
    if any(a.activity is not None for a in gdef.alleles):
        v = gdef.allele(name).activity
        return v if v is not None else 1.0
    return 0.0 if "malignant" in (gdef.allele(name).function or "").lower() else 1.0


def _lf_strands(gdef, idx, positions, sample, hb) -> list[str]:
    """The two strands' haplotype names of (effectively) phased lowest-function data; combinations
    ``[A + B]`` list their named alleles in haplotype-name order (PharmCAT's)."""
    ref = gdef.reference_allele
    blocks = _blocks(positions, sample)
    _, _, exact = _top_diplotypes(gdef, idx, positions, sample, False, blocks)
    if len(exact) == 1:
        strands = _orient(gdef, exact[0], positions, sample)
    else:
        strands = _strand_alleles(gdef, idx, positions, sample)
    if hb is not None:
        for k in (0, 1):
            h = hb.strand(k)
            if h:
                strands[k] = [x for x in strands[k] if x != ref] + [h]
    return [combination_name(sorted(s, key=natural_key)) if s else ref for s in strands]


def _orient(gdef, dip, positions, sample) -> list[list[str]]:
    """Put the two alleles of a single exact phased diplotype on the strands carrying them."""
    ref = gdef.reference_allele
    a, b = dip
    s1 = tuple(sample[p.pos].alleles[0] for p in positions)

    def fits(name, seq) -> bool:
        al = gdef.allele(name)
        return all(
            seq[i] is None or p.pos not in al.variants or al.accepts(p.pos, seq[i])
            for i, p in enumerate(positions)
        )

    if a != ref:
        if not fits(a, s1):
            a, b = b, a
    elif (
        b != ref
        and fits(b, s1)
        and not fits(b, tuple(sample[p.pos].alleles[-1] for p in positions))
    ):
        a, b = b, a
    return [[a], [b]]


def _strand_alleles(gdef, idx: _Index, positions, sample) -> list[list[str]]:
    """Each strand's non-reference alleles whose every defined position it carries."""
    out = []
    for k in (0, 1):
        names = []
        for a in idx.alleles:
            if a.reference:
                continue
            defined = [p for p in positions if p.pos in a.variants]
            if not defined:
                continue
            ok = True
            for p in defined:
                al = sample[p.pos].alleles
                x = al[k] if len(al) > 1 else al[0]
                if x is None or not a.accepts(p.pos, x):
                    ok = False
                    break
            if ok:
                names.append(a.name)
        out.append(sorted(names, key=natural_key))
    return out
