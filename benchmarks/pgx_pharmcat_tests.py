"""Holobiont's PGx caller against PharmCAT's own test suite (a benchmark, not a CI test).

Reads a PharmCAT source checkout (``--pharmcat-src``, e.g. ``git clone
https://github.com/PharmGKB/PharmCAT``); nothing of it is copied into this project. Two kinds of
cases are taken from its Java tests:

(a) **Stored VCFs** (``src/test/resources/org/pharmgkb/pharmcat/haplotype/**.vcf``) whose expected
    diplotypes a ``NamedAlleleMatcher*Test.java`` states (``assertDiplotypePairs(expected,
    testMatchNamedAlleles(definitionFile, vcfFile))``). Only tests run against PharmCAT's
    production definitions (``DataManager.DEFAULT_DEFINITION_DIR``) are run; tests with a
    test-specific ``*_translation.json`` or non-default matcher options (no assumed reference,
    no exemptions) are skipped with the reason. PharmCAT's helper returns *every* matching
    diplotype (``topCandidateOnly=false``) sorted by score; our caller reports the top-scoring
    ones, so the expectation is PharmCAT's top-score set (PharmCAT's score: the number of
    positions a named allele defines among the positions genotyped, the reference allele all of
    them, read from the definition files), or the whole list when a name cannot be scored.
    GeneCall assertions (``assertEquals("A/B", dm.toString())``, ``assertEquals(0,
    gc.getDiplotypes().size())``) are read as the expected diplotype / no call.
(b) **Built VCFs**: ``PipelineTest`` / ``ToxicGenesTest`` / ``DpydTest``-style tests (every
    ``*Test.java`` under ``src/test/java/org/pharmgkb/pharmcat`` using ``getVcfBuilder()``) make a
    VCF with ``TestVcfBuilder``: every definition position of each gene named, reference unless
    edited (``variation(gene, rsid|chrom,pos, a1, a2)`` in CPIC notation, ``missing``,
    ``phased()``, ``allowUnknownAllele()``, ``male()``/``female()``). The same VCF is written
    here from PharmCAT's definition files (CPIC -> VCF allele map), and the expected calls
    (``testSourceDiplotypes(DataSource.CPIC, ...)``, ``testPrintCpicCalls``,
    ``testPrintCalls(DataSource.CPIC|DPWG, ...)``, the HTML report's ``genotype-result`` text;
    ``testNotCalledByMatcher`` and ``Unknown/Unknown`` = no call) are compared with our call.
    Tests run with ``findCombinations`` are skipped, except for the lowest-function genes.

Outcomes per case: ``exact`` (our set of diplotypes equals the expected set; a DPYD unphased
allele listing is compared with our ``haplotypes``, and a listing of exactly two alleles also
equals our diplotype of those two, or the alleles with their copy numbers on our one
diplotype's two strands), ``wrong``, ``no_call`` (we make no call where PharmCAT
makes one), ``call_when_none`` (we call where PharmCAT makes none: the dangerous one),
``skipped`` (with the reason). A Java statement the parser cannot evaluate makes the case
skipped ("unparsed ..."), never silently passed.

    python benchmarks/pgx_pharmcat_tests.py --pharmcat-src ~/src/PharmCAT [--gene DPYD] [-v]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from holobiont.pgx.caller import call_vcf  # noqa: E402
from holobiont.pgx.catalog import DEFAULT_CATALOG, load_catalog  # noqa: E402
from holobiont.pgx.matcher import components  # noqa: E402

JAVA_TEST_DIR = "src/test/java/org/pharmgkb/pharmcat"
TEST_RESOURCES = "src/test/resources"
DEFINITION_DIR = "src/main/resources/org/pharmgkb/pharmcat/definition/alleles"
OUTCOMES = ("exact", "wrong", "no_call", "call_when_none", "skipped")

# --------------------------------------------------------------------------- Java reading

_TOKEN = re.compile(
    r'(?P<ws>\s+)|(?P<lc>//[^\n]*)|(?P<bc>/\*.*?\*/)|(?P<tb>"""[\s\S]*?""")'
    r'|(?P<str>"(?:\\.|[^"\\\n])*")|(?P<chr>\'(?:\\.|[^\'\\])\')'
    r"|(?P<id>[A-Za-z_$][\w$]*)|(?P<num>\d[\w.]*)|(?P<op>->|::|==|!=|<=|>=|&&|\|\||.)",
    re.S,
)


@dataclass(frozen=True)
class Tok:
    kind: str  # str | id | num | op
    text: str


def tokenize(src: str) -> list[Tok]:
    out = []
    for m in _TOKEN.finditer(src):
        k = m.lastgroup
        if k in ("ws", "lc", "bc"):
            continue
        if k == "str":
            out.append(Tok("str", bytes(m.group()[1:-1], "utf-8").decode("unicode_escape")))
        elif k == "tb":
            body = m.group()[3:-3]
            out.append(Tok("str", bytes(body, "utf-8").decode("unicode_escape")))
        else:
            out.append(Tok("op" if k in ("op", "chr") else k, m.group()))
    return out


def _match(toks: list[Tok], i: int, open_: str, close: str) -> int:
    """Index of the token closing the bracket opened at ``i``."""
    depth = 0
    for j in range(i, len(toks)):
        t = toks[j]
        if t.kind == "op" and t.text == open_:
            depth += 1
        elif t.kind == "op" and t.text == close:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError(f"unbalanced {open_}")


@dataclass
class Method:
    name: str
    body: list[Tok]
    is_test: bool


def methods(toks: list[Tok]) -> tuple[list[Method], list[Tok]]:
    """Methods of the (outer) class with bodies; and the tokens outside any @Test method."""
    out, other = [], []
    i, n = 0, len(toks)
    pending_test = False
    while i < n:
        t = toks[i]
        if t.text == "@" and i + 1 < n and toks[i + 1].kind == "id":
            if toks[i + 1].text in ("Test", "ParameterizedTest"):
                pending_test = True
            i += 2
            if i < n and toks[i].text == "(":
                i = _match(toks, i, "(", ")") + 1
            continue
        # a method: ident ( ... ) [throws ...] {
        if t.kind == "id" and i + 1 < n and toks[i + 1].text == "(" and i > 0:
            close = _match(toks, i + 1, "(", ")")
            j = close + 1
            if j < n and toks[j].text == "throws":
                while j < n and toks[j].text != "{" and toks[j].text != ";":
                    j += 1
            if (
                j < n
                and toks[j].text == "{"
                and toks[i - 1].kind == "id"
                and toks[i - 1].text not in ("new", "return")
            ):
                end = _match(toks, j, "{", "}")
                m = Method(t.text, toks[j + 1 : end], pending_test)
                out.append(m)
                if not m.is_test:
                    other.extend(m.body + [Tok("op", ";")])
                pending_test = False
                i = end + 1
                continue
        other.append(t)
        i += 1
    return out, other


def _split_top(toks: list[Tok], seps: tuple[str, ...], opens: str, closes: str) -> list:
    """Split `toks` at the operators `seps` outside the brackets `opens`/`closes`; every
    segment is returned, empty ones and the last included."""
    out, cur, depth = [], [], 0
    for t in toks:
        if t.kind == "op" and t.text in opens:
            depth += 1
        elif t.kind == "op" and t.text in closes:
            depth -= 1
        if depth == 0 and t.kind == "op" and t.text in seps:
            out.append(cur)
            cur = []
            continue
        cur.append(t)
    out.append(cur)
    return out


def statements(toks: list[Tok]) -> list[list[Tok]]:
    """Split at ``;`` and braces outside parentheses (blocks are flattened)."""
    return [s for s in _split_top(toks, (";", "{", "}"), "([", ")]") if s]


def _class_constants(other: list[Tok], cenv: dict, files: dict | None = None) -> dict:
    """The class-level assignments a test class's methods see (`cenv`, updated); with
    `files`, assignments of test files are tracked there instead (_track_file)."""
    for st in statements(other):
        name, expr = assignment(st)
        if files is not None and _track_file(name, expr, cenv, files):
            continue
        if name:
            v = evaluate(expr, cenv)
            if not isinstance(v, Unresolved):
                cenv[name] = v
    return cenv


def split_args(toks: list[Tok]) -> list[list[Tok]]:
    """Arguments: split at top-level commas (an empty last argument is dropped)."""
    out = _split_top(toks, (",",), "([{", ")]}")
    return out if out[-1] else out[:-1]


class Unresolved:
    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"<unresolved {self.text}>"


@dataclass
class Call:
    name: str
    args: list[list[Tok]]


def chain(toks: list[Tok]) -> tuple[str | None, list[Call]]:
    """``a.b(x).c(y)`` -> ("a", [b(x), c(y)]); ``new X(y).c()`` -> (None, [new X(y), c()])."""
    i, calls, head = 0, [], None
    if toks and toks[0].text == "new" and len(toks) > 1:
        j = 1
        while j < len(toks) and toks[j].text != "(":
            j += 1
        if j >= len(toks):
            return None, []
        close = _match(toks, j, "(", ")")
        calls.append(Call("new " + toks[1].text, split_args(toks[j + 1 : close])))
        i = close + 1
    elif toks and toks[0].kind == "id":
        if len(toks) > 1 and toks[1].text == "(":
            close = _match(toks, 1, "(", ")")
            calls.append(Call(toks[0].text, split_args(toks[2:close])))
            i = close + 1
        else:
            head = toks[0].text
            i = 1
    else:
        return None, []
    while i < len(toks):
        if toks[i].text != "." or i + 1 >= len(toks) or toks[i + 1].kind != "id":
            return head, calls + [Call("<rest>", [toks[i:]])]
        name = toks[i + 1].text
        if i + 2 < len(toks) and toks[i + 2].text == "(":
            close = _match(toks, i + 2, "(", ")")
            calls.append(Call(name, split_args(toks[i + 3 : close])))
            i = close + 1
        else:
            calls.append(Call(name, []))
            calls[-1].args = None  # field access
            i += 2
    return head, calls


_LIST_FACTORIES = {
    "List.of",
    "Lists.newArrayList",
    "Arrays.asList",
    "Set.of",
    "ImmutableList.of",
    "ImmutableSet.of",
    "Sets.newHashSet",
}


def evaluate(toks: list[Tok], env: dict):
    """A Java expression's value, when it is a literal, a list of literals, a known variable,
    or a path to a resource / definition file; else :class:`Unresolved`."""
    text = " ".join(t.text for t in toks)
    if not toks:
        return Unresolved("")
    # string concatenation
    parts = split_plus(toks)
    if len(parts) > 1:
        vals = [evaluate(p, env) for p in parts]
        if all(isinstance(v, str) for v in vals):
            return "".join(vals)
        return Unresolved(text)
    if len(toks) == 1:
        t = toks[0]
        if t.kind == "str":
            return t.text
        if t.kind == "num":
            try:
                return int(t.text.rstrip("Ll"))
            except ValueError:
                return Unresolved(text)
        if t.text in ("true", "false"):
            return t.text == "true"
        if t.text == "null":
            return None
        if t.kind == "id":
            return env.get(t.text, Unresolved(text))
    if toks[0].text == "(" and _match(toks, 0, "(", ")") == len(toks) - 1:
        return evaluate(toks[1:-1], env)
    if (
        toks[0].text == "new"
        and len(toks) > 2
        and toks[1].text in ("ArrayList", "HashSet", "TreeSet")
    ):
        # new ArrayList<>() / new ArrayList<>(List.of(...))
        j = 2
        while j < len(toks) and toks[j].text != "(":
            j += 1
        inner = toks[j + 1 : _match(toks, j, "(", ")")] if j < len(toks) else []
        return [] if not inner else evaluate(inner, env)
    head, calls = chain(toks)
    if head and calls and calls[-1].args is not None:
        qual = head + "." + ".".join(c.name for c in calls)
        last = calls[-1]
        prefix = ".".join([head] + [c.name for c in calls[:-1]])
        if f"{prefix}.{last.name}" in _LIST_FACTORIES or qual in _LIST_FACTORIES:
            vals = [evaluate(a, env) for a in last.args]
            if any(isinstance(v, Unresolved) for v in vals):
                return Unresolved(text)
            return list(vals)
        if qual in ("Collections.emptyList", "Collections.emptySet"):
            return []
        if qual == "PathUtils.getPathToResource" and len(last.args) == 1:
            v = evaluate(last.args[0], env)
            return ("resource", v) if isinstance(v, str) else Unresolved(text)
        if (
            prefix.endswith("DEFAULT_DEFINITION_DIR")
            and last.name == "resolve"
            and len(last.args) == 1
        ):
            v = evaluate(last.args[0], env)
            return ("definition", v) if isinstance(v, str) else Unresolved(text)
        if head == "DataSource" and len(calls) == 1:
            return "DataSource." + calls[0].name
    if head == "DataSource" and len(calls) == 1 and calls[0].args is None:
        return "DataSource." + calls[0].name
    if head and len(calls) == 1 and calls[0].args is None:
        q = f"{head}.{calls[0].name}"
        if q in QUALIFIED_CONSTANTS:
            return QUALIFIED_CONSTANTS[q]
    if head and len(calls) == 1 and calls[0].args is None and head in env:
        return Unresolved(text)
    return Unresolved(text)


def split_plus(toks: list[Tok]) -> list[list[Tok]]:
    out = _split_top(toks, ("+",), "([{", ")]}")
    return out if len(out) > 1 and all(out) else [toks]


def assignment(st: list[Tok]) -> tuple[str | None, list[Tok]]:
    """``[Type] name = expr`` -> (name, expr tokens); otherwise (None, st)."""
    depth = 0
    for i, t in enumerate(st):
        if t.kind == "op" and t.text in "([{<":
            depth += 1
        elif t.kind == "op" and t.text in ")]}>":
            depth -= 1
        elif t.kind == "op" and t.text == "=" and depth <= 0 and i > 0 and st[i - 1].kind == "id":
            return st[i - 1].text, st[i + 1 :]
    return None, st


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    kind: str  # stored | built
    source: str  # Java file and method
    gene: str
    expected: list[str] | None  # None: PharmCAT makes no call
    vcf: Path | None = None
    builder: dict | None = None
    all_matches: bool = False
    combinations: bool = False
    skip: str = ""
    outcome: str = ""
    got: str = ""


def _gene_of_definition(name: str) -> str:
    return Path(name).name.split("_translation")[0]


def _expected_list(v) -> list[str] | None | Unresolved:
    if isinstance(v, Unresolved):
        return v
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return list(v)
    return Unresolved(repr(v))


def _builder_value(toks: list[Tok], env: dict):
    """``new TestVcfBuilder(testInfo, name).variation(...)...generate()`` -> ("builder", b)."""
    if not any(t.text == "TestVcfBuilder" for t in toks):
        return None
    head, calls = chain(toks)
    if not calls or calls[0].name != "new TestVcfBuilder":
        return None
    b = _new_builder()
    rest = [c for c in calls[1:] if c.name != "generate"]
    for c in rest:
        if c.name in ("withDefinition", "forGene"):
            b["bad"] = b["bad"] or f"test-specific definition ({c.name})"
    _apply_builder(b, [c for c in rest if c.name not in ("withDefinition", "forGene")], env)
    return ("builder", b)


def stored_cases(src: Path) -> list[Case]:
    """(a): NamedAlleleMatcher*Test.java: stored VCFs, or VCFs built inline with
    TestVcfBuilder (reported with the built cases)."""
    cases = []
    for jf in sorted((src / JAVA_TEST_DIR / "haplotype").glob("NamedAlleleMatcher*Test.java")):
        text = jf.read_text()
        # PharmCAT >= 2 (TestVcfBuilder era) helpers take (topCandidateOnly), (findCombinations,
        # topCandidateOnly), ...; PharmCAT 1's took (assumeReference, topCandidateOnly, ...)
        api2 = "TestVcfBuilder" in text
        toks = tokenize(text)
        ms, other = methods(toks)
        cenv = _class_constants(other, {})
        for m in ms:
            if not m.is_test:
                continue
            env = dict(cenv)
            where = f"{jf.name}:{m.name}"
            n_before = len(cases)
            last_result = None
            # assertions on the result's GeneCall instead of assertDiplotypePairs:
            # assertEquals("A/B", dm.toString()) / assertEquals(0, gc.getDiplotypes().size())
            single: list[str] = []
            n_dips: int | None = None
            for st in statements(m.body):
                name, expr = assignment(st)
                head, calls = chain(expr)
                match_call = _find_call(expr, "testMatchNamedAlleles")
                if name and match_call is None:
                    bv = _builder_value(expr, env)
                    env[name] = bv if bv is not None else evaluate(expr, env)
                    continue
                if name and match_call is not None:
                    env[name] = last_result = ("result", match_call, dict(env))
                    continue
                if calls and calls[0].name == "assertEquals" and len(calls[0].args) >= 2:
                    a0, a1 = calls[0].args[0], [t.text for t in calls[0].args[1]]
                    v0 = evaluate(a0, env)
                    if a1[-4:] == [".", "toString", "(", ")"] and isinstance(v0, str) and "/" in v0:
                        single.append(v0)
                    elif a1[-7:] == ["getDiplotypes", "(", ")", ".", "size", "(", ")"] and (
                        isinstance(v0, int) and not isinstance(v0, bool)
                    ):
                        n_dips = v0
                    continue
                if calls and calls[-1].name == "assertDiplotypePairs" and len(calls[-1].args) == 2:
                    exp = _expected_list(evaluate(calls[-1].args[0], env))
                    res_t = calls[-1].args[1]
                    inline = _find_call(res_t, "testMatchNamedAlleles")
                    if inline is not None:
                        res = ("result", inline, dict(env))
                    else:
                        res = evaluate(res_t, env)
                    cases.append(_stored_case(src, where, exp, res, api2))
            if len(cases) == n_before and last_result is not None:
                if n_dips == 0 and not single:
                    cases.append(_stored_case(src, where, [], last_result, api2))
                elif len(single) == 1 and n_dips in (None, 1):
                    cases.append(_stored_case(src, where, single, last_result, api2))
            if len(cases) == n_before:
                cases.append(
                    Case("stored", where, "?", None, skip="no assertDiplotypePairs parsed")
                )
    return cases


def _find_call(toks: list[Tok], name: str) -> list[list[Tok]] | None:
    for i, t in enumerate(toks):
        if t.kind == "id" and t.text == name and i + 1 < len(toks) and toks[i + 1].text == "(":
            return split_args(toks[i + 2 : _match(toks, i + 1, "(", ")")])
    return None


def _stored_case(src: Path, where: str, exp, res, api2: bool = False) -> Case:
    if not (isinstance(res, tuple) and res and res[0] == "result"):
        return Case("stored", where, "?", None, skip=f"unparsed result {res!r}")
    args, env = res[1], res[2]
    vals = [_builder_value(a, env) or evaluate(a, env) for a in args]
    # PharmCAT 3: testMatchNamedAlleles(env, definitionFile, vcfFile, flags...); PharmCAT 2:
    # the same flags without env
    modern = bool(vals) and not isinstance(vals[0], tuple) and len(vals) >= 3
    if modern:
        vals = vals[1:]
    modern = modern or api2
    defn, vcf = vals[0], vals[1] if len(vals) > 1 else None
    gene = "?"
    if isinstance(defn, tuple):
        gene = _gene_of_definition(defn[1])
    if isinstance(exp, Unresolved):
        return Case("stored", where, gene, None, skip=f"unparsed expectation {exp.text}")
    case = Case("stored", where, gene, exp or None, all_matches=True)
    if isinstance(vcf, tuple) and vcf[0] == "builder":
        case.kind, case.builder = "built", vcf[1]
        if vcf[1]["bad"]:
            case.skip = "unparsed " + vcf[1]["bad"]
    elif not (isinstance(vcf, tuple) and vcf[0] == "resource"):
        case.skip = f"unparsed VCF {vcf!r}"
        return case
    else:
        case.vcf = src / TEST_RESOURCES / vcf[1]
    if not (isinstance(defn, tuple) and defn[0] == "definition"):
        case.skip = "test-specific definition file (not PharmCAT's production definitions)"
        return case
    flags = vals[2:]
    if modern:
        # PharmCAT 3's helpers: (), (topCandidateOnly), (findCombinations, topCandidateOnly),
        # (topCandidateOnly, showUnmatched, withExemptions), (findCombinations, + those 3)
        names = {
            0: [],
            1: ["top"],
            2: ["combinations", "top"],
            3: ["top", "unmatched", "exemptions"],
            4: ["combinations", "top", "unmatched", "exemptions"],
        }.get(len(flags))
        if names is None or not all(isinstance(f, bool) for f in flags):
            case.skip = f"unparsed matcher options {flags!r}"
            return case
        opt = dict(zip(names, flags, strict=True))
        if opt.get("exemptions") is False:
            case.skip = "non-default matcher option (exemptions off)"
        if opt.get("top"):
            case.all_matches = False
        case.combinations = bool(opt.get("combinations"))
        if case.vcf is not None and not case.vcf.is_file():
            case.skip = f"VCF not in the checkout: {vcf[1]}"
        return case
    # PharmCAT's helper defaults: assumeReference, !topCandidateOnly, showUnmatched, exemptions
    defaults = [True, False, True, True]
    for k, f in enumerate(flags):
        if not isinstance(f, bool):
            case.skip = f"unparsed matcher option {f!r}"
        elif k in (0, 3) and f != defaults[k]:
            case.skip = (
                "non-default matcher option ("
                + ("assumeReference" if k == 0 else "exemptions")
                + " off)"
            )
        elif k == 1 and f:
            case.all_matches = False
    if case.vcf is not None and not case.vcf.is_file():
        case.skip = f"VCF not in the checkout: {vcf[1]}"
    return case


#: constants of PharmCAT's PipelineTest used by its other tests (static imports)
PIPELINE_CONSTANTS = {"UNKNOWN_CALL": ["Unknown/Unknown"]}
#: PharmCAT's reporter TextConstants the tests build expected calls from
QUALIFIED_CONSTANTS = {
    "TextConstants.REFERENCE": "Reference",
    "TextConstants.GENOTYPE_DELIMITER": "/",
    "TextConstants.HOMOZYGOUS_REFERENCE": "Reference/Reference",
}


def built_cases(src: Path) -> list[Case]:
    """(b): tests building their VCF with TestVcfBuilder through PipelineWrapper."""
    cases = []
    for jf in sorted((src / JAVA_TEST_DIR).rglob("*Test.java")):
        text = jf.read_text()
        if "getVcfBuilder()" not in text:
            continue
        ms, other = methods(tokenize(text))
        helpers = _expectation_helpers(ms)
        files: dict[str, str] = {}
        cenv = _class_constants(other, dict(PIPELINE_CONSTANTS), files)
        for m in ms:
            if not m.is_test:
                continue
            cases.extend(
                _built_method(jf.relative_to(src / JAVA_TEST_DIR), m, cenv, files, helpers)
            )
    return cases


def _new_builder() -> dict:
    return {
        "phased": False,
        "unknown": False,
        "edits": defaultdict(dict),
        "extra": defaultdict(dict),
        "ps": {},
        "sex": None,
        "bad": "",
    }


def _apply_builder(b: dict, calls: list[Call], env: dict) -> None:
    for c in calls:
        if c.args is None:
            b["bad"] = b["bad"] or f"field .{c.name}"
            continue
        vals = [evaluate(a, env) for a in c.args]
        if any(isinstance(v, Unresolved) for v in vals):
            b["bad"] = b["bad"] or f"unparsed {c.name}({', '.join(map(repr, vals))})"
            continue
        if c.name == "phased":
            b["phased"] = True
        elif c.name == "allowUnknownAllele":
            b["unknown"] = True
        elif c.name in ("saveFile", "generate"):
            pass
        elif c.name in ("male", "female"):
            b["sex"] = c.name
        elif c.name == "reference":
            b["edits"][vals[0]]
        elif c.name == "variation" and len(vals) >= 3:
            gene = vals[0]
            if isinstance(vals[2], int):
                b["edits"][gene][f"{vals[1]}:{vals[2]}"] = list(vals[3:])
            else:
                b["edits"][gene][vals[1]] = list(vals[2:])
        elif c.name == "variationInPhaseSet" and len(vals) >= 4:
            gene = vals[0]
            b["edits"][gene][vals[1]] = list(vals[3:])
            b["ps"][(gene, vals[1])] = vals[2]
        elif c.name == "missing" and len(vals) >= 2:
            gene = vals[0]
            if len(vals) == 3 and isinstance(vals[2], int):
                b["edits"][gene][f"{vals[1]}:{vals[2]}"] = None
            else:
                for r in vals[1:]:
                    b["edits"][gene][r] = None
        elif c.name == "extraPosition":
            b["extra"][vals[0]][vals[1]] = list(vals[2:])
        elif c.name == "missingExtraPosition":
            b["extra"][vals[0]][vals[1]] = None
        else:
            b["bad"] = b["bad"] or f"builder option {c.name}"


def _track_file(name: str | None, expr: list[Tok], env: dict, files: dict[str, str]) -> bool:
    """Test files written in the test (outside-call TSVs): ``X = TestUtils.createTestFile(...)``
    then ``writer.println(...)`` / ``writer.write(...)`` append to the last file created."""
    head, calls = chain(expr)
    if name and head == "TestUtils" and calls and calls[0].name == "getTestOutputDir":
        env[name] = ("outdir", name)
        return True
    is_outdir_file = (
        name
        and head is not None
        and env.get(head) == ("outdir", head)
        and len(calls) == 1
        and calls[0].name == "resolve"
    )
    if is_outdir_file or (
        name and head == "TestUtils" and calls and calls[0].name == "createTestFile"
    ):
        env[name] = ("file", name)
        files[name] = ""
        files["<last>"] = name
        return True
    if head == "writer" and calls and calls[0].name in ("println", "write") and "<last>" in files:
        vals = [evaluate(a, env) for a in calls[0].args or []]
        text = "".join(v for v in vals if isinstance(v, str))
        files[files["<last>"]] += text + ("\n" if calls[0].name == "println" else "")
        if any(not isinstance(v, str) for v in vals):
            files[files["<last>"]] += "\n<unparsed>\n"
        return True
    return False


def _outside_genes(text: str) -> set[str]:
    out = set()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.add(line.split("\t")[0].strip())
    return out


def _expectation_helpers(ms: list[Method]) -> dict[str, str]:
    """Helper methods of the test class that check a gene's source diplotypes
    (DpydTest.doStandardChecks(wrapper, vcf, expectedCalls, ...)): name -> gene, read from
    the ``testSourceDiplotypes("GENE", ...)`` call in their body."""
    out = {}
    for m in ms:
        if m.is_test:
            continue
        for st in statements(m.body):
            head, calls = chain(st)
            if calls and calls[0].name == "testSourceDiplotypes" and calls[0].args:
                t = calls[0].args[0]
                if len(t) == 1 and t[0].kind == "str":
                    out[m.name] = t[0].text
    return out


def _built_method(
    rel: Path, m: Method, cenv: dict, cfiles: dict[str, str], helpers: dict[str, str]
) -> list[Case]:
    env: dict = dict(cenv)
    files = dict(cfiles)
    wrappers: dict[str, dict] = {}
    builders: dict[str, dict] = {}
    runs: list[dict] = []  # one per execute(): wrapper state snapshot + expectations
    current: dict[str, dict] = {}
    where = f"{rel}:{m.name}"
    for st in statements(m.body):
        name, expr = assignment(st)
        if _track_file(name, expr, env, files):
            continue
        head, calls = chain(expr)
        if name and calls and calls[0].name == "new PipelineWrapper":
            vals = [evaluate(a, env) for a in calls[0].args]
            if len(vals) > 1 and isinstance(vals[1], str):
                vals = [vals[0], *vals[2:]]  # PipelineWrapper(testInfo, name, ...)
            w = {"builder": _new_builder(), "combinations": False, "all_matches": False, "bad": ""}
            if len(vals) == 2:
                w["all_matches"] = vals[1] is True
            elif len(vals) >= 4:
                w["combinations"] = vals[1] is True
                w["all_matches"] = vals[2] is True
            else:
                w["bad"] = "PipelineWrapper arguments"
            wrappers[name] = w
            continue
        if name and calls and calls[0].name == "new TestVcfBuilder":
            b = _new_builder()
            _apply_builder(b, calls[1:], env)
            builders[name] = b
            continue
        if head in wrappers and calls and calls[0].name == "getVcfBuilder":
            _apply_builder(wrappers[head]["builder"], calls[1:], env)
            continue
        if head in builders and calls:
            if calls[-1].name == "generate" and name:
                env[name] = ("builder", head)
                continue
            _apply_builder(builders[head], calls, env)
            continue
        if head in wrappers and calls and calls[0].name in ("execute", "executeWithOutsideCalls"):
            w = wrappers[head]
            arg = evaluate(calls[0].args[0], env) if calls[0].args else None
            b = w["builder"]
            outside: set[str] = set()
            if isinstance(arg, tuple) and arg[0] == "builder":
                b = builders[arg[1]]
            elif isinstance(arg, tuple) and arg[0] == "file":
                text = files.get(arg[1], "<unparsed>")
                outside = {"*"} if "<unparsed>" in text else _outside_genes(text)
            elif arg is not None:
                outside = {"*"}
            run = {
                "wrapper": w,
                "builder": b,
                "expect": {},
                "called": set(),
                "not_called": set(),
                "outside": outside,
            }
            runs.append(run)
            current[head] = run
            if name:
                env[name] = ("vcf", head)
            continue
        if head is None and calls and calls[0].name in helpers and len(calls[0].args) >= 3:
            w_t = calls[0].args[0]
            wname = w_t[0].text if len(w_t) == 1 else None
            if wname in current:
                exp = _expected_list(evaluate(calls[0].args[2], env))
                current[wname]["expect"].setdefault(helpers[calls[0].name], []).append((0, exp))
            continue
        if head in current and calls:
            run = current[head]
            c = calls[0]
            vals = [evaluate(a, env) for a in (c.args or [])]
            if c.name == "testCalledByMatcher":
                run["called"].update(v for v in vals if isinstance(v, str))
            elif c.name == "testNotCalledByMatcher":
                run["not_called"].update(v for v in vals if isinstance(v, str))
            elif (
                c.name in ("testSourceDiplotypes", "testPrintCalls")
                and len(vals) >= 2
                and isinstance(vals[0], str)
                and not vals[0].startswith("DataSource.")
            ):
                # PharmCAT 3.x: (gene, expected[, cpicStyle])
                exp = _expected_list(vals[1])
                prio = 0 if c.name == "testSourceDiplotypes" else 2
                run["expect"].setdefault(vals[0], []).append((prio, exp))
            elif c.name in ("testSourceDiplotypes", "testPrintCalls") and len(vals) >= 3:
                if vals[0] in ("DataSource.CPIC", "DataSource.DPWG") and isinstance(vals[1], str):
                    # a DPWG-only expectation (CYP3A4) ranks after the CPIC ones;
                    # (source, gene, expectedCalls, cpicStyleCalls): the source diplotypes
                    if len(vals) == 3 or isinstance(vals[2], list):
                        exp = _expected_list(vals[2])
                    else:
                        exp = _expected_list(vals[2:])
                    prio = 0 if c.name == "testSourceDiplotypes" else 2
                    prio += 1 if vals[0] == "DataSource.DPWG" else 0
                    run["expect"].setdefault(vals[1], []).append((prio, exp))
            elif c.name == "testPrintCpicCalls" and len(vals) >= 2 and isinstance(vals[0], str):
                exp = _expected_list(vals[1] if len(vals) == 2 else vals[1:])
                run["expect"].setdefault(vals[0], []).append((1, exp))
            elif c.name == "testMatcher" and len(vals) >= 2 and isinstance(vals[0], str):
                # the matcher's source diplotypes, printed bare and sorted
                exp = _expected_list(vals[1:])
                run["expect"].setdefault(vals[0], []).append((0.5, exp))
            continue
        # the HTML report's call: Elements s = document.select(".gene.G6PD");
        # e = s.get(0).getElementsByClass("genotype-result"); assertEquals("A/B", e.text())
        if name and calls and calls[-1].name == "select" and calls[-1].args:
            sel = evaluate(calls[-1].args[0], env)
            if isinstance(sel, str) and sel.startswith(".gene."):
                env[name] = ("gene_section", sel[len(".gene.") :])
                continue
        if name and head is not None and calls and calls[-1].name == "getElementsByClass":
            sec = env.get(head)
            cls = evaluate(calls[-1].args[0], env) if calls[-1].args else None
            if isinstance(sec, tuple) and sec[0] == "gene_section" and cls == "genotype-result":
                env[name] = ("genotype_result", sec[1])
                continue
        if head is None and calls and calls[0].name == "assertEquals" and runs:
            args = calls[0].args or []
            a1 = [t.text for t in args[1]] if len(args) >= 2 else []
            res = env.get(a1[0]) if len(a1) == 5 and a1[1:] == [".", "text", "(", ")"] else None
            if isinstance(res, tuple) and res[0] == "genotype_result":
                exp = _expected_list(evaluate(args[0], env))
                runs[-1]["expect"].setdefault(res[1], []).append((4, exp))
                continue
        if name:
            env[name] = evaluate(expr, env)
    out = []
    for k, run in enumerate(runs):
        genes = set(run["expect"]) | run["not_called"]
        for gene in sorted(genes):
            tag = where + (f"#{k + 1}" if len(runs) > 1 else "")
            w, b = run["wrapper"], run["builder"]
            if gene in run["not_called"]:
                exp = None
            else:
                exp = sorted(run["expect"][gene], key=lambda x: x[0])[0][1]
            case = Case("built", tag, gene, None, builder=b, all_matches=w["all_matches"])
            if isinstance(exp, Unresolved):
                case.skip = f"unparsed expectation {exp.text}"
            elif exp is not None and exp != ["Unknown/Unknown"]:
                case.expected = exp
            if gene in run["outside"] or "*" in run["outside"]:
                case.skip = "an outside call is given for this gene (not a matcher call)"
            elif w["combinations"]:
                case.combinations = True
            elif w["bad"] or b["bad"]:
                case.skip = "unparsed " + (w["bad"] or b["bad"])
            out.append(case)
    return out


def _cell(data: list[str], cols: dict[str, int], name: str) -> str:
    i = cols.get(name)
    return data[i].strip() if i is not None and i < len(data) else ""


def sheet_cases(src: Path) -> list[Case]:
    """(c): PharmCAT's test sheets (``haplotype/<GENE>/tests.tsv``, read by
    NamedAlleleMatcherNat2Test): one unphased TestVcfBuilder case a row -- the ``rs...``
    columns are CPIC genotypes, ``Missing positions`` lists ``rsid (alleles)`` left out,
    ``Output`` the expected diplotypes (``A or B``; ``not called``), ``Pick`` the one
    PharmCAT reports when it is given (its unphased-priority exemption)."""
    cases = []
    base = src / TEST_RESOURCES / "org/pharmgkb/pharmcat/haplotype"
    for f in sorted(base.glob("*/tests.tsv")):
        gene = f.parent.name
        lines = f.read_text().splitlines()
        if not lines:
            continue
        head = lines[0].split("\t")
        cols = {h: i for i, h in enumerate(head)}
        rs_cols = [(i, h) for i, h in enumerate(head) if re.fullmatch(r"rs\d+", h)]
        for row, line in enumerate(lines[1:], start=2):
            data = line.split("\t")
            where = f"{f.relative_to(base)}:row_{row:03d}"
            case = Case("sheet", where, gene, None)

            b = _new_builder()
            for i, rsid in rs_cols:
                gt = data[i].split("/") if i < len(data) else []
                if len(gt) != 2:
                    b["bad"] = f"genotype {data[i] if i < len(data) else ''!r} of {rsid}"
                    continue
                b["edits"][gene][rsid] = gt
            miss = _cell(data, cols, "Missing positions")
            if miss and miss != "none":
                for m in re.findall(r"(rs\d+)\s*\(", miss):
                    b["edits"][gene][m] = None
            if _cell(data, cols, f"Other {gene} positions") not in ("", "reference"):
                b["bad"] = "other positions not assumed reference"
            out, pick = _cell(data, cols, "Output"), _cell(data, cols, "Pick")
            case.builder = b
            if b["bad"]:
                case.skip = "unparsed " + b["bad"]
            elif out != "not called":
                case.expected = (
                    [pick] if pick else [x.strip() for x in out.split(" or ") if x.strip()]
                )
            cases.append(case)
    return cases


# --------------------------------------------------------------------------- building VCFs


def load_definitions(d: Path) -> dict[str, dict]:
    out = {}
    for f in sorted(d.glob("*_translation.json")):
        j = json.loads(f.read_text())
        out[j["gene"]] = j
    return out


def load_exemptions(d: Path) -> dict[str, dict]:
    f = next(
        (x for x in (d / "exemptions.json", d.parent / "exemptions.json") if x.is_file()), None
    )
    if f is None:
        return {}
    j = json.loads(f.read_text())
    if isinstance(j, dict):
        return j
    return {e["gene"]: e for e in j} if isinstance(j, list) else {}


def write_built_vcf(case: Case, defs: dict, exemptions: dict, path: Path) -> str:
    """TestVcfBuilder's VCF; returns an error text when it cannot be built (as PharmCAT throws)."""
    b = case.builder
    lines = ["##fileformat=VCFv4.2", '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">']
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE")
    nx = 1 if b["sex"] == "male" else 2
    for gene, edits in b["edits"].items():
        if gene not in defs:
            return f"gene {gene} not in the definitions"
        d = defs[gene]
        chrom = d["chromosome"]
        used = set()
        variants = list(d["variants"])
        extra = (exemptions.get(gene) or {}).get("extraPositions") or []
        for group, vs, ed in (("PX", variants, edits), ("POI", extra, b["extra"].get(gene, {}))):
            for vl in vs:
                key = vl.get("rsid") or f"{vl.get('chromosome', chrom)}:{vl['position']}"
                if key not in ed:
                    key = f"{vl.get('chromosome', chrom)}:{vl['position']}"
                alts = list(vl.get("alts") or [])
                ref = vl["ref"]
                if key not in ed:
                    n = nx if chrom == "chrX" else (1 if chrom in ("chrY", "chrM") else 2)
                    gt = ("|" if b["phased"] else "/").join(["0"] * n)
                else:
                    used.add(key)
                    alleles = ed[key]
                    if not alleles:
                        continue
                    if len(alleles) == 1 and chrom not in ("chrX", "chrY"):
                        return f"{key}: one allele off chrX/chrY"
                    cmap = vl.get("cpicToVcfAlleleMap") or {}
                    idx = []
                    for a in alleles:
                        if a == ".":
                            idx.append(".")
                            continue
                        va = cmap.get(a)
                        if va is None:
                            if group == "POI" or b["unknown"]:
                                va = a
                                if va != ref and va not in alts:
                                    alts.append(va)
                            else:
                                return f"{key}: no VCF allele for {a}"
                        idx.append("0" if va == ref else str(alts.index(va) + 1))
                    gt = ("|" if b["phased"] else "/").join(idx)
                if b["ps"]:
                    gt += ":" + str(b["ps"].get((gene, vl.get("rsid")), "."))
                lines.append(
                    "\t".join(
                        [
                            chrom,
                            str(vl["position"]),
                            vl.get("rsid") or ".",
                            ref,
                            ",".join(alts) or ".",
                            ".",
                            "PASS",
                            f"PX={gene}",
                            "GT:PS" if b["ps"] else "GT",
                            gt,
                        ]
                    )
                )
        left = set(edits) - used
        if left:
            return f"not a position of {gene}: {', '.join(sorted(left))}"
    path.write_text("\n".join(lines) + "\n")
    return ""


# --------------------------------------------------------------------------- comparing


def _copies(name: str) -> list[str]:
    hom = " (homozygous)"
    return [name[: -len(hom)]] * 2 if name.endswith(hom) else [name]


def _display(name: str, ref: str) -> str:
    """PharmCAT's reporter display of variant-style genes (CACNA1S, RYR1) as a diplotype;
    its reporter shows a gene's reference allele as ``Reference`` (TextConstants.REFERENCE:
    CFTR's "ivacaftor non-responsive CFTR sequence")."""
    if name == "No CPIC variants found":
        return f"{ref}/{ref}"
    for suffix, fmt in ((" (heterozygous)", "{ref}/{x}"), (" (homozygous)", "{x}/{x}")):
        if name.endswith(suffix) and "/" not in name:
            return fmt.format(ref=ref, x=name[: -len(suffix)])
    if "/" in name and ref != "Reference":
        return "/".join(ref if p == "Reference" else p for p in name.split("/"))
    return name


def _norm_dip(s: str) -> tuple[str, ...]:
    return tuple(sorted(s.split("/"))) if "/" in s else (s,)


def _pharmcat_score(defs: dict, gene: str, vcf: Path, names: list[str]) -> dict[str, int] | None:
    """PharmCAT's DiplotypeMatch score for each expected diplotype (None when a name is unknown)."""
    d = defs.get(gene)
    if d is None:
        return None
    called = set()
    for line in vcf.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        f = line.split("\t") if "\t" in line else line.split()
        if len(f) < 10:
            continue
        gt = f[9].split(":")[0]
        if any(x not in (".", "") for x in re.split(r"[/|]", gt)):
            called.add(int(f[1]))
    pos = [v["position"] for v in d["variants"]]
    hap = {}
    for na in d["namedAlleles"]:
        alleles = na.get("alleles") or na.get("cpicAlleles") or []
        ref = na.get("reference", False)
        hap[na["name"]] = sum(
            1 for p, a in zip(pos, alleles, strict=False) if p in called and (a is not None or ref)
        )
    scores = {}
    for n in names:
        parts = n.split("/")
        if not all(p in hap for p in parts):
            return None
        scores[n] = sum(hap[p] for p in parts) + (hap[parts[0]] if len(parts) == 1 else 0)
    return scores


def compare(case: Case, result: dict | None, defs: dict, ref: str = "Reference") -> None:
    called = bool(result) and result.get("status") == "called"
    dips = list(result.get("diplotypes") or []) if called else []
    haps = list(result.get("haplotypes") or []) if called else []
    case.got = (
        " | ".join(dips)
        if called
        else f"no call ({result.get('status') if result else 'gene absent'})"
    )
    if haps and haps != [x for d in dips for x in d.split("/")]:
        case.got += f"  haplotypes={haps}"
    if case.expected is None:
        case.outcome = "call_when_none" if called else "exact"
        return
    if not called:
        case.outcome = "no_call"
        return
    exp = (
        [_display(e, ref) for e in case.expected]
        if len(case.expected) == 1
        else list(case.expected)
    )
    if case.all_matches and len(exp) > 1 and case.vcf is not None:
        sc = _pharmcat_score(defs, case.gene, case.vcf, exp)
        if sc:
            top = max(sc.values())
            exp = [e for e in exp if sc[e] == top]
    if all("/" in e for e in exp):
        ok = {_norm_dip(e) for e in exp} == {_norm_dip(d) for d in dips}
    else:
        # an allele listing (DPYD unphased / lowest function); "X (homozygous)" = two copies
        listing = [x for e in exp for x in _copies(e)]
        ok = Counter(listing) == Counter(haps)
        if not ok and len(dips) == 1:
            # the same alleles and copy numbers as our one diplotype's strands
            comps = [c.strip() for d in dips[0].split("/") for c in components(d)]
            ok = Counter(listing) == Counter(c for c in comps if c != "Reference")
        if not ok and len(exp) == 2 and len(dips) == 1:
            ok = _norm_dip("/".join(exp)) == _norm_dip(dips[0])
        if not ok and len(exp) == 1 and len(dips) == 1:
            ok = _norm_dip(exp[0]) == _norm_dip(dips[0])
    case.outcome = "exact" if ok else "wrong"


def _unknown_names(case: Case, defs: dict, ref: str) -> list[str]:
    """Expected allele names the definitions do not have (the test predates them)."""
    d = defs.get(case.gene)
    if d is None or not case.expected:
        return []
    known = {n["name"] for n in d.get("namedAlleles", [])}
    known |= set((d.get("suballelesMap") or {}).values())
    known |= {n["name"] for n in d.get("hiddenCoreAlleles") or []}
    out = []
    for e in case.expected:
        for dip in _display(e, ref).split("/"):
            for hap in components(dip):
                hap = _copies(hap.strip())[0]
                if hap and hap not in known and hap != "Unknown":
                    out.append(hap)
    return out


def _mark_stale(cases: list[Case], defs: dict, catalog) -> None:
    """A test method naming an allele absent from the definitions was written for older
    definitions: all its cases are skipped (its no-call expectations too)."""
    stale: dict[str, list[str]] = {}
    for c in cases:
        ref = catalog.genes[c.gene].reference_allele if c.gene in catalog.genes else "Reference"
        bad = _unknown_names(c, defs, ref)
        if bad:
            stale.setdefault(c.source.split("#")[0], []).extend(bad)
    for c in cases:
        bad = stale.get(c.source.split("#")[0])
        if bad and not c.skip:
            c.skip = "names alleles not in the definitions (older test): " + ", ".join(
                sorted(set(bad))
            )


def run(
    src: Path, definitions: Path, catalog_dir: Path, genes: set[str] | None, verbose: bool
) -> list[Case]:
    defs = load_definitions(definitions)
    exemptions = load_exemptions(definitions)
    catalog = load_catalog(catalog_dir)
    cases = stored_cases(src) + built_cases(src) + sheet_cases(src)
    if genes:
        cases = [c for c in cases if c.gene in genes]
    _mark_stale(cases, defs, catalog)
    with tempfile.TemporaryDirectory(prefix="pgx_pharmcat_") as tmp:
        for k, case in enumerate(cases):
            if case.skip:
                case.outcome = "skipped"
                continue
            if case.gene not in catalog.genes:
                case.outcome, case.skip = "skipped", f"{case.gene} not a VCF-called catalog gene"
                continue
            if case.combinations and catalog.genes[case.gene].matcher != "lowest_function":
                # PharmCAT's lowest-function matcher (DPYD, RYR1) forms combinations whatever
                # the mode (DpydTest.testFindCombinations); other genes' partial-allele search
                # is not modelled
                case.outcome = "skipped"
                case.skip = "findCombinations mode (PharmCAT's optional partial-allele search)"
                continue
            vcf = case.vcf
            sex = None
            if case.kind in ("built", "sheet"):
                vcf = Path(tmp) / f"case{k}.vcf"
                err = write_built_vcf(case, defs, exemptions, vcf)
                if err:
                    case.outcome, case.skip = "skipped", f"VCF not buildable: {err}"
                    continue
                case.vcf = vcf
                sex = case.builder["sex"]
            try:
                results, _ = call_vcf(vcf, catalog=catalog, genes=[case.gene], sex=sex)
            except Exception as e:  # a crash is a finding, not a skip
                case.outcome, case.got = "wrong", f"error: {type(e).__name__}: {e}"
                continue
            res = {r.gene: r.to_dict() for r in results}.get(case.gene)
            compare(case, res, defs, catalog.genes[case.gene].reference_allele)
            if case.kind in ("built", "sheet"):
                case.vcf = None
    return cases


def report(cases: list[Case], verbose: bool) -> str:
    by = defaultdict(Counter)
    for c in cases:
        by[(c.kind, c.gene)][c.outcome] += 1
    lines = []
    for kind, title in (
        ("stored", "(a) stored VCFs, NamedAlleleMatcher tests"),
        ("built", "(b) TestVcfBuilder cases"),
        ("sheet", "(c) test sheets (haplotype/<GENE>/tests.tsv)"),
    ):
        rows = sorted(g for k, g in by if k == kind)
        lines.append(f"\n{title}")
        lines.append(
            f"{'gene':10} {'cases':>5} {'exact':>5} {'wrong':>5} {'no_call':>7} {'call_when_none':>14} {'skipped':>7}"
        )
        tot = Counter()
        for g in rows:
            cnt = by[(kind, g)]
            tot.update(cnt)
            run_n = sum(cnt[o] for o in OUTCOMES[:-1])
            lines.append(
                f"{g:10} {run_n:5d} {cnt['exact']:5d} {cnt['wrong']:5d} {cnt['no_call']:7d} {cnt['call_when_none']:14d} {cnt['skipped']:7d}"
            )
        run_n = sum(tot[o] for o in OUTCOMES[:-1])
        rate = f"{100 * tot['exact'] / run_n:.1f} %" if run_n else "not measured"
        lines.append(
            f"{'total':10} {run_n:5d} {tot['exact']:5d} {tot['wrong']:5d} {tot['no_call']:7d} {tot['call_when_none']:14d} {tot['skipped']:7d}   exact {rate}"
        )
    misses = [c for c in cases if c.outcome in ("wrong", "no_call", "call_when_none")]
    if misses:
        lines.append("\nmisses")
        for c in misses:
            lines.append(
                f"  {c.outcome:14} {c.gene:8} {c.source}: expected {c.expected or 'no call'}; got {c.got}"
            )
    reasons = Counter(c.skip for c in cases if c.outcome == "skipped")
    if reasons:
        lines.append("\nskipped, by reason")
        for r, n in reasons.most_common():
            lines.append(f"  {n:4d}  {r}")
    if verbose:
        lines.append("\nall cases")
        for c in cases:
            lines.append(
                f"  {c.outcome:14} {c.gene:8} {c.source}: expected {c.expected or 'no call'}; got {c.got} {c.skip}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pharmcat-src", type=Path, required=True, help="a PharmCAT source checkout")
    ap.add_argument(
        "--definitions",
        type=Path,
        help=f"PharmCAT allele definitions (default: the checkout's {DEFINITION_DIR})",
    )
    ap.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    ap.add_argument("--gene", action="append", help="only this gene (repeatable)")
    ap.add_argument("--json", type=Path, help="write every case here")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every case")
    a = ap.parse_args(argv)
    defs = a.definitions or a.pharmcat_src / DEFINITION_DIR
    if not defs.is_dir():
        ap.error(f"no definitions at {defs} (give --definitions)")
    cases = run(a.pharmcat_src, defs, a.catalog, set(a.gene) if a.gene else None, a.verbose)
    print(report(cases, a.verbose))
    if a.json:
        a.json.write_text(
            json.dumps(
                [
                    {
                        k: (str(v) if isinstance(v, Path) else v)
                        for k, v in c.__dict__.items()
                        if k != "builder"
                    }
                    for c in cases
                ],
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
