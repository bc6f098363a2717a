"""Tests of holobiont.core.table (and the shared validators in holobiont.core._validate).

References are scikit-bio 0.7.4 (closure, multi_replace, clr, subsample_counts), biom-format
(reading our BIOM files back independently), pandas (group sums for collapse) and values
computed by hand from the formulas.
"""

from __future__ import annotations

import biom
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from skbio.stats import subsample_counts
from skbio.stats.composition import closure as sk_closure
from skbio.stats.composition import clr as sk_clr
from skbio.stats.composition import multi_replace as sk_multi_replace

from holobiont.core._validate import as_counts, as_rng, check_ids, choose, format_names
from holobiont.core.table import (
    CLR_REPLACEMENTS,
    RANKS,
    UNASSIGNED,
    FeatureTable,
    closure,
    clr,
    collapse,
    filter_samples,
    filter_taxa,
    format_lineage,
    merge_profiles,
    multiplicative_replacement,
    parse_lineage,
    rarefy,
    read_biom,
    read_tsv,
    write_biom,
    write_tsv,
)

TOL = {"rtol": 1e-9, "atol": 1e-9}
SHAPES = [(1, 1), (3, 7), (20, 50), (60, 300)]


def random_counts(seed: int, shape: tuple[int, int], zero_frac: float = 0.0) -> np.ndarray:
    """Integer counts, overdispersed, with about `zero_frac` zeros; no all-zero row."""
    rng = np.random.default_rng(seed)
    x = rng.negative_binomial(0.5, 0.02, size=shape).astype(np.int64)
    x[rng.random(shape) < zero_frac] = 0
    x[:, 0] += 1  # every row has at least one count
    return x


def make_table(x, sparse: bool = False, taxonomy=None) -> FeatureTable:
    n, m = np.shape(x)
    counts = sp.csr_array(x) if sparse else np.asarray(x)
    return FeatureTable(
        counts, [f"S{i}" for i in range(n)], [f"T{j}" for j in range(m)], taxonomy or {}
    )


def dense(a):
    return a.toarray() if sp.issparse(a) else np.asarray(a)


# --------------------------------------------------------------------------- validators


def test_as_counts_types_and_errors():
    assert as_counts([[True, False]]).dtype == np.int64
    assert as_counts(np.array([[1, 2]], dtype=np.uint8)).dtype == np.int64
    assert as_counts(np.array([[1, 2]], dtype=np.float32)).dtype == np.float64
    with pytest.raises(TypeError, match="dtype"):
        as_counts(np.array([["a"]]))
    with pytest.raises(ValueError, match="2-D"):
        as_counts([1, 2])
    with pytest.raises(ValueError, match="NaN or infinite"):
        as_counts([[1.0, np.inf]])
    with pytest.raises(ValueError, match="negative"):
        as_counts(sp.csr_array(np.array([[0, -1]])))
    # non-canonical sparse input: duplicates summed, explicit zeros removed, input untouched
    coo = sp.coo_array((np.array([1, 2, 0]), (np.array([0, 0, 1]), np.array([1, 1, 0]))), (2, 2))
    csr = as_counts(coo)
    assert isinstance(csr, sp.csr_array) and csr.has_canonical_format
    assert csr.nnz == 1 and csr.toarray().tolist() == [[0, 3], [0, 0]]
    assert coo.nnz == 3


def test_check_ids_choose_rng_format():
    assert check_ids(iter(["a", "b"]), "x") == ("a", "b")
    with pytest.raises(ValueError, match=r"duplicate sample IDs: 'a', 'c'"):
        check_ids(["a", "b", "a", "c", "c"], "sample IDs")
    with pytest.raises(TypeError):
        check_ids("abc", "taxa")
    with pytest.raises(TypeError):
        check_ids(["a", 1], "taxa")
    with pytest.raises(ValueError, match="known: 'x', 'y'"):
        choose("z", ("x", "y"), "thing")
    g = np.random.default_rng(1)
    assert as_rng(g) is g
    for bad in (None, 1.5, True, "1"):
        with pytest.raises(TypeError):
            as_rng(bad)
    assert format_names(range(12)).endswith("'9', ... (12 in total)")


# --------------------------------------------------------------------------- FeatureTable


def test_feature_table_validation():
    t = FeatureTable([[1, 2]], ["s"], ["a", "b"])
    assert isinstance(t.counts, np.ndarray) and t.counts.dtype == np.int64
    assert t.sample_ids == ("s",) and t.taxa == ("a", "b") and t.taxonomy == {}
    with pytest.raises(ValueError, match="shape"):
        FeatureTable([[1, 2]], ["s"], ["a"])
    with pytest.raises(ValueError, match=r"duplicate sample IDs: 's'"):
        FeatureTable([[1], [2]], ["s", "s"], ["a"])
    with pytest.raises(ValueError, match=r"duplicate taxa: 'b'"):
        FeatureTable([[1, 2, 3]], ["s"], ["b", "a", "b"])
    with pytest.raises(ValueError, match="negative"):
        FeatureTable([[1, -2]], ["s"], ["a", "b"])
    with pytest.raises(ValueError, match="NaN"):
        FeatureTable([[1, np.nan]], ["s"], ["a", "b"])
    with pytest.raises(ValueError, match=r"not in the table: 'zz'"):
        FeatureTable([[1, 2]], ["s"], ["a", "b"], {"zz": "k__Bacteria"})
    with pytest.raises(TypeError):
        FeatureTable([[1, 2]], ["s"], ["a", "b"], {"a": 3})
    with pytest.raises(AttributeError):
        t.counts = np.zeros((1, 2))  # frozen


def test_feature_table_dense_sparse_conversion_and_select():
    x = random_counts(0, (4, 6), 0.5)
    t = make_table(x)
    s = t.to_sparse()
    assert s.is_sparse and not t.is_sparse
    np.testing.assert_array_equal(s.to_dense().counts, x)
    np.testing.assert_array_equal(s.depths, x.sum(axis=1))
    sub = s.select(samples=["S2", "S0"], taxa=["T5", "T1"])
    np.testing.assert_array_equal(dense(sub.counts), x[[2, 0]][:, [5, 1]])
    with pytest.raises(ValueError, match="unknown taxa: 'nope'"):
        t.select(taxa=["nope"])
    assert t.to_frame().loc["S3", "T2"] == x[3, 2]


# --------------------------------------------------------------------------- lineages


def test_parse_lineage_styles_agree():
    expected = {
        "domain": "Bacteria",
        "phylum": "Firmicutes",
        "class": "Bacilli",
        "order": "Lactobacillales",
        "family": "Enterococcaceae",
        "genus": "Enterococcus",
        "species": "faecalis",
    }
    greengenes = (
        "k__Bacteria; p__Firmicutes; c__Bacilli; o__Lactobacillales; "
        "f__Enterococcaceae; g__Enterococcus; s__faecalis"
    )
    sintax = (
        "d:Bacteria(1.00),p:Firmicutes(0.99),c:Bacilli,o:Lactobacillales,"
        "f:Enterococcaceae,g:Enterococcus(0.9),s:faecalis"
    )
    metaphlan = greengenes.replace("; ", "|")
    positional = "Bacteria;Firmicutes;Bacilli;Lactobacillales;Enterococcaceae;Enterococcus;faecalis"
    for text in (greengenes, sintax, metaphlan, positional, greengenes.replace("k__", "d__")):
        assert parse_lineage(text) == expected, text
    assert list(parse_lineage(greengenes)) == list(RANKS[:7])


def test_parse_lineage_edge_cases():
    assert parse_lineage("") == {}
    assert parse_lineage("Unassigned") == {}
    assert parse_lineage("k__Bacteria; p__; c__unclassified; o__Foo;") == {
        "domain": "Bacteria",
        "order": "Foo",
    }
    assert parse_lineage("s__Enterococcus faecalis") == {"species": "Enterococcus faecalis"}
    assert parse_lineage("k__B|t__SGB1") == {"domain": "B", "strain": "SGB1"}
    with pytest.raises(ValueError, match="mixes"):
        parse_lineage("k__Bacteria; Firmicutes")
    with pytest.raises(ValueError, match="unknown rank prefix"):
        parse_lineage("k__Bacteria; x__What")
    with pytest.raises(ValueError, match="twice"):
        parse_lineage("k__Bacteria; d__Archaea")
    assert format_lineage({}) == ""
    assert format_lineage({"domain": "B", "class": "C"}, "kingdom") == "d__B"


# --------------------------------------------------------------------------- TSV / BIOM I/O

TAXONOMY = {
    "T0": "k__Bacteria; p__Firmicutes; c__Bacilli; o__Lactobacillales; f__Enterococcaceae; "
    "g__Enterococcus; s__faecalis",
    "T2": "k__Bacteria; p__Bacteroidetes",
}


@pytest.mark.parametrize("sparse", [False, True])
def test_tsv_round_trip_int_and_float(tmp_path, sparse):
    x = random_counts(1, (5, 8), 0.6)
    t = make_table(x, sparse, TAXONOMY)
    write_tsv(t, tmp_path / "a.tsv")
    back = read_tsv(tmp_path / "a.tsv", sparse=sparse)
    assert back.is_sparse == sparse
    assert back.counts.dtype == np.int64
    assert back.sample_ids == t.sample_ids and back.taxa == t.taxa
    assert back.taxonomy == TAXONOMY
    np.testing.assert_array_equal(dense(back.counts), x)

    # floats that need all 17 digits, tiny and huge values: read back bit-identical
    f = np.array([[1 / 3, 0.0, 1e-17], [2.5, 1e300, np.nextafter(1.0, 2.0)]])
    tf = FeatureTable(f, ["a", "b"], ["x", "y", "z"])
    write_tsv(tf, tmp_path / "f.tsv")
    backf = read_tsv(tmp_path / "f.tsv")
    assert backf.counts.dtype == np.float64 and backf.taxonomy == {}
    np.testing.assert_array_equal(backf.counts, f)
    first = (tmp_path / "f.tsv").read_text().splitlines()[0]
    assert first == "taxon_id\ta\tb"  # no taxonomy column when there is no taxonomy


def test_tsv_reads_biom_converted_and_rejects_bad(tmp_path):
    p = tmp_path / "b.tsv"
    p.write_text(
        "# Constructed from biom file\n#OTU ID\tS1\tS2\ttaxonomy\n"
        "o1\t1.0\t0.0\tk__A; p__B\no2\t3.0\t4.0\t\n"
    )
    t = read_tsv(p)
    assert t.sample_ids == ("S1", "S2") and t.taxa == ("o1", "o2")
    assert t.counts.dtype == np.int64 and t.counts.tolist() == [[1, 3], [0, 4]]
    assert t.taxonomy == {"o1": "k__A; p__B"}

    p.write_text("taxon_id\tS1\tS1\nt\t1\t2\n")
    with pytest.raises(ValueError, match="duplicate sample IDs: 'S1'"):
        read_tsv(p)
    p.write_text("taxon_id\tS1\nt\t1\nt\t2\n")
    with pytest.raises(ValueError, match="duplicate taxa: 't'"):
        read_tsv(p)
    p.write_text("taxon_id\tS1\tS2\nt\t1\tx\n")
    with pytest.raises(ValueError, match="non-numeric"):
        read_tsv(p)
    p.write_text("taxon_id\tS1\tS2\nt\t1\t-2\n")
    with pytest.raises(ValueError, match="negative"):
        read_tsv(p)
    p.write_text("taxon_id\tS1\tS2\nt\t1\t2\nu\t1\n")
    with pytest.raises(ValueError, match="line 3: 2 fields, the header has 3"):
        read_tsv(p)
    p.write_text("# c\ntaxon_id\tS1\tS2\nt\t1\t2\t3\n")
    with pytest.raises(ValueError, match="line 3: 4 fields"):
        read_tsv(p)


@pytest.mark.parametrize("sparse", [False, True])
def test_biom_round_trip(tmp_path, sparse):
    x = random_counts(2, (6, 9), 0.7)
    sintax = {"T4": "d:Bacteria,p:Firmicutes,g:Enterococcus"}
    t = make_table(x, sparse, {**TAXONOMY, **sintax})
    path = tmp_path / "t.biom"
    write_biom(t, path)
    back = read_biom(path, sparse=sparse)
    assert back.is_sparse == sparse
    assert back.sample_ids == t.sample_ids and back.taxa == t.taxa
    assert back.counts.dtype == np.int64
    np.testing.assert_array_equal(dense(back.counts), x)
    # Greengenes lineages come back verbatim; SINTAX ones as "; "-joined tokens (same ranks)
    assert {k: back.taxonomy[k] for k in TAXONOMY} == TAXONOMY
    assert back.taxonomy["T4"] == "d:Bacteria; p:Firmicutes; g:Enterococcus"
    assert parse_lineage(back.taxonomy["T4"]) == parse_lineage(sintax["T4"])
    assert set(back.taxonomy) == {"T0", "T2", "T4"}

    # an independent reader (biom-format itself) sees taxa x samples and the rank lists
    raw = biom.load_table(str(path))
    assert list(raw.ids(axis="observation")) == list(t.taxa)
    np.testing.assert_array_equal(raw.matrix_data.toarray(), x.T)
    assert list(raw.metadata("T2", axis="observation")["taxonomy"]) == [
        "k__Bacteria",
        "p__Bacteroidetes",
    ]


def test_biom_round_trip_float_without_taxonomy(tmp_path):
    f = np.array([[0.25, 0.0, 1 / 3], [0.0, 0.0, 0.0]])
    t = FeatureTable(f, ["a", "b"], ["x", "y", "z"])
    write_biom(t, tmp_path / "f.biom")
    back = read_biom(tmp_path / "f.biom", sparse=False)
    assert back.counts.dtype == np.float64 and back.taxonomy == {}
    np.testing.assert_array_equal(back.counts, f)


# --------------------------------------------------------------------------- merge


def test_merge_profiles_mapping():
    t = merge_profiles({"s2": {"zeta": 1, "alpha": 2}, "s1": {"beta": 3, "alpha": 0}})
    assert t.sample_ids == ("s2", "s1")  # input order
    assert t.taxa == ("alpha", "beta", "zeta")  # sorted union
    assert t.counts.dtype == np.int64 and not t.is_sparse
    assert t.counts.tolist() == [[2, 0, 1], [0, 3, 0]]
    f = merge_profiles({"s": {"a": 0.5}}, sparse=True)
    assert f.is_sparse and f.counts.dtype == np.float64
    with pytest.raises(ValueError, match="negative"):
        merge_profiles({"s": {"a": -1}})
    empty = merge_profiles({})
    assert empty.shape == (0, 0)


def test_merge_profiles_tables():
    a = FeatureTable([[1, 2]], ["s1"], ["t2", "t1"], {"t1": "k__A"})
    b = FeatureTable(sp.csr_array(np.array([[5, 0], [0, 7]])), ["s2", "s3"], ["t3", "t1"])
    m = merge_profiles([a, b])
    assert m.is_sparse  # any sparse input -> sparse
    assert m.sample_ids == ("s1", "s2", "s3") and m.taxa == ("t1", "t2", "t3")
    assert m.counts.toarray().tolist() == [[2, 1, 0], [0, 0, 5], [7, 0, 0]]
    assert m.taxonomy == {"t1": "k__A"}
    assert not merge_profiles([a, b], sparse=False).is_sparse
    c = FeatureTable([[1]], ["s2"], ["t9"])
    with pytest.raises(ValueError, match=r"duplicate sample IDs: 's2'"):
        merge_profiles([a, b, c])
    d = FeatureTable([[1]], ["s9"], ["t1"], {"t1": "k__B"})
    with pytest.raises(ValueError, match=r"conflicting lineages for taxa: 't1'"):
        merge_profiles([a, d])


# --------------------------------------------------------------------------- closure


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("zero_frac", [0.0, 0.9])
def test_closure_matches_skbio(shape, zero_frac):
    x = random_counts(3, shape, zero_frac)
    expected = sk_closure(x)
    np.testing.assert_allclose(closure(x), expected, **TOL)
    got_sparse = closure(sp.csr_array(x))
    assert sp.issparse(got_sparse)
    np.testing.assert_allclose(got_sparse.toarray(), expected, **TOL)
    t = closure(make_table(x, sparse=True))
    assert isinstance(t, FeatureTable) and t.is_sparse
    np.testing.assert_allclose(t.counts.toarray(), expected, **TOL)


def test_closure_all_zero_rows_stay_zero():
    x = np.array([[0, 0, 0], [1, 0, 3]])
    with pytest.raises(ValueError):
        sk_closure(x)  # skbio refuses; we define the row to stay zero
    expected = [[0.0, 0.0, 0.0], [0.25, 0.0, 0.75]]
    assert closure(x).tolist() == expected
    assert closure(sp.csr_array(x)).toarray().tolist() == expected


# --------------------------------------------------------------------------- rarefy


@pytest.mark.parametrize("zero_frac", [0.0, 0.9])
def test_rarefy_reproducible_and_dense_equals_sparse(zero_frac):
    x = random_counts(4, (30, 80), zero_frac)
    depth = int(np.median(x.sum(axis=1)))
    t = make_table(x, taxonomy={"T1": "k__A"})
    r1 = rarefy(t, depth, seed=7)
    r2 = rarefy(t, depth, seed=7)
    r3 = rarefy(t.to_sparse(), depth, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(r1.table.counts, r2.table.counts)
    assert r3.table.is_sparse
    np.testing.assert_array_equal(r3.table.counts.toarray(), r1.table.counts)
    assert not np.array_equal(rarefy(t, depth, seed=8).table.counts, r1.table.counts)

    kept = x.sum(axis=1) >= depth
    assert r1.table.sample_ids == tuple(np.array(t.sample_ids)[kept])
    assert r1.dropped == {
        s: int(d) for s, d in zip(t.sample_ids, x.sum(1), strict=True) if d < depth
    }
    assert len(r1.dropped) > 0
    assert r1.table.taxa == t.taxa and r1.table.taxonomy == {"T1": "k__A"}
    assert r1.table.counts.dtype == np.int64
    assert (r1.table.counts.sum(axis=1) == depth).all()
    assert (r1.table.counts <= x[kept]).all()


def test_rarefy_frozen_reference():
    # Provenance: output of this implementation (numpy 2.4.6 Generator, seed 42), frozen to
    # catch any change of the random stream or of the per-sample draw order.
    t = FeatureTable([[10, 0, 5, 3], [2, 2, 2, 2], [0, 7, 0, 1]], ["a", "b", "c"], list("wxyz"))
    r = rarefy(t, 8, seed=42)
    assert r.dropped == {}
    assert r.table.counts.tolist() == FROZEN_RAREFY
    assert r.table.depths.tolist() == [8, 8, 8]


FROZEN_RAREFY = [[5, 0, 2, 1], [2, 2, 2, 2], [0, 7, 0, 1]]


def test_rarefy_edge_cases():
    t = FeatureTable([[3, 0, 1], [0, 0, 0]], ["a", "b"], ["x", "y", "z"])
    r = rarefy(t, 4, seed=0)  # depth == total keeps the sample exactly
    assert r.table.counts.tolist() == [[3, 0, 1]] and r.dropped == {"b": 0}
    r = rarefy(t, 5, seed=0)
    assert r.table.shape == (0, 3) and r.dropped == {"a": 4, "b": 0}
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="depth"):
            rarefy(t, bad, seed=0)
    with pytest.raises(TypeError, match="seed"):
        rarefy(t, 1, seed=None)
    with pytest.raises(ValueError, match="integer counts"):
        rarefy(FeatureTable([[1.5, 2.0]], ["a"], ["x", "y"]), 1, seed=0)
    # float but integral counts are accepted
    rf = rarefy(FeatureTable([[2.0, 2.0]], ["a"], ["x", "y"]), 3, seed=0)
    assert rf.table.counts.dtype == np.int64 and rf.table.depths.tolist() == [3]


def test_rarefy_does_not_touch_global_rng():
    np.random.seed(123)  # noqa: NPY002 -- the legacy global RNG is what must stay untouched
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    rarefy(make_table(random_counts(5, (5, 10))), 5, seed=1)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_rarefy_statistics_match_hypergeometric_and_skbio():
    # One sample drawn R times (same table repeated R times, one seed): each taxon's count
    # is hypergeometric, mean d*x/N, variance d*(x/N)*(1-x/N)*(N-d)/(N-1). The means must lie
    # within 5 standard errors of the expectation (a false alarm has probability < 1e-5 per
    # taxon), the variances within 15 % of theory, and skbio.stats.subsample_counts's means
    # within 5 combined standard errors of ours.
    x = np.array([50, 1, 0, 7, 120, 3, 3, 16, 200, 2], dtype=np.int64)
    n_total, depth, reps = int(x.sum()), 100, 4000
    t = FeatureTable(np.tile(x, (reps, 1)), [f"r{i}" for i in range(reps)], list("abcdefghij"))
    draws = rarefy(t, depth, seed=2024).table.counts.astype(float)
    p = x / n_total
    mean = depth * p
    var = depth * p * (1 - p) * (n_total - depth) / (n_total - 1)
    se = np.sqrt(var / reps)
    assert (np.abs(draws.mean(axis=0) - mean) <= 5 * se + 1e-12).all()
    informative = var > 0.5
    np.testing.assert_allclose(draws.var(axis=0)[informative], var[informative], rtol=0.15)
    assert (draws[:, x == 0] == 0).all()

    sk = np.array([subsample_counts(x, depth, seed=s) for s in range(reps)], dtype=float)
    assert (sk.sum(axis=1) == depth).all()
    combined = np.sqrt(draws.var(axis=0) / reps + sk.var(axis=0) / reps)
    assert (np.abs(draws.mean(axis=0) - sk.mean(axis=0)) <= 5 * combined + 1e-12).all()


def test_rarefy_large_table_every_sample_at_depth():
    # Size check only (speed is measured in benchmarks/, never asserted in tests).
    rng = np.random.default_rng(9)
    x = rng.negative_binomial(0.3, 0.01, size=(300, 2000))
    x[rng.random(x.shape) < 0.9] = 0
    keep = x.sum(axis=1) >= 1000
    r = rarefy(make_table(x), 1000, seed=1)
    assert (r.table.depths == 1000).all()
    assert r.table.n_samples == keep.sum() and len(r.dropped) == (~keep).sum()
    assert (r.table.dense_counts() <= x[keep]).all()  # without replacement


# --------------------------------------------------------------------------- replacement, clr


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("zero_frac", [0.0, 0.5, 0.9])
def test_multiplicative_replacement_and_clr_match_skbio(shape, zero_frac):
    x = random_counts(6, shape, zero_frac)
    expected = np.reshape(sk_multi_replace(x), shape)  # skbio squeezes single rows
    for data in (x, sp.csr_array(x), make_table(x, sparse=True)):
        got = multiplicative_replacement(data)
        assert got.shape == shape
        np.testing.assert_allclose(got, expected, **TOL)
        np.testing.assert_allclose(got.sum(axis=1), 1.0, **TOL)
        np.testing.assert_allclose(clr(data), sk_clr(expected), **TOL)
        np.testing.assert_allclose(
            clr(data, replacement="pseudocount", pseudocount=0.5), sk_clr(x + 0.5), **TOL
        )
    delta = 1e-3 / max(shape[1], 1)
    np.testing.assert_allclose(
        multiplicative_replacement(x, delta=delta),
        np.reshape(sk_multi_replace(x, delta=delta), shape),
        **TOL,
    )


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_clr_across_row_blocks_and_with_delta_matches_skbio(dtype):
    # 40 x 3000: the blocked kernel (2**16 entries per block) finishes rows in several blocks
    x = random_counts(11, (40, 3000), 0.9).astype(dtype)
    x[3] = 0
    x[3, 7] = 5  # a single non-zero taxon
    np.testing.assert_allclose(clr(x), sk_clr(sk_multi_replace(x)), **TOL)
    delta = 1e-7
    np.testing.assert_allclose(clr(x, delta=delta), sk_clr(sk_multi_replace(x, delta=delta)), **TOL)
    with pytest.raises(ValueError, match="negative proportions"):
        clr(x, delta=0.01)


def test_clr_hand_values_and_errors():
    # by hand: clr([1, 2, 4]) = ln(x) - mean(ln x) = (-ln 2, 0, ln 2)
    np.testing.assert_allclose(
        clr(np.array([[1, 2, 4]]), replacement="none"), [[-np.log(2), 0.0, np.log(2)]], **TOL
    )
    np.testing.assert_allclose(clr(np.array([[1, 2, 4]]), replacement="none"), sk_clr([[1, 2, 4]]))
    # by hand: multiplicative replacement of [0, 1, 1] with delta = 1/9:
    # (1/9, (1 - 1/9)/2, (1 - 1/9)/2) = (1/9, 4/9, 4/9)
    np.testing.assert_allclose(
        multiplicative_replacement(np.array([[0, 1, 1]])), [[1 / 9, 4 / 9, 4 / 9]], **TOL
    )
    t = FeatureTable([[1, 0], [0, 0]], ["good", "empty"], ["a", "b"])
    with pytest.raises(ValueError, match="all-zero: samples 'empty'"):
        multiplicative_replacement(t)
    with pytest.raises(ValueError, match="all-zero"):
        clr(t)
    with pytest.raises(ValueError, match="negative proportions"):
        multiplicative_replacement(np.array([[0, 0, 1]]), delta=0.6)
    with pytest.raises(ValueError, match="strictly positive.*samples 'good', 'empty'"):
        clr(t, replacement="none")
    with pytest.raises(ValueError, match="known: " + ", ".join(f"'{r}'" for r in CLR_REPLACEMENTS)):
        clr(t, replacement="median")
    with pytest.raises(ValueError, match="pseudocount"):
        clr(t, replacement="pseudocount", pseudocount=0)
    with pytest.raises(ValueError, match="delta"):
        multiplicative_replacement(t, delta=-1)


# --------------------------------------------------------------------------- collapse, filters


def test_collapse_hand_example():
    taxonomy = {
        "asv1": "k__Bacteria; p__Firmicutes; c__Bacilli; o__Lactobacillales; "
        "f__Enterococcaceae; g__Enterococcus; s__faecalis",
        "asv2": "d:Bacteria,p:Firmicutes,c:Bacilli,o:Lactobacillales,"
        "f:Enterococcaceae,g:Enterococcus,s:faecium",
        "asv3": "k__Bacteria; p__Firmicutes; c__Bacilli; o__Lactobacillales; f__; g__",
        "asv4": "Unassigned",
        "asv6": "k__Bacteria; p__Bacteroidetes",
    }
    x = np.array([[1, 2, 4, 8, 16, 32], [0, 1, 0, 0, 0, 5]])
    t = FeatureTable(x, ["s1", "s2"], ["asv1", "asv2", "asv3", "asv4", "asv5", "asv6"], taxonomy)
    entero = (
        "d__Bacteria; p__Firmicutes; c__Bacilli; o__Lactobacillales; f__Enterococcaceae; "
        "g__Enterococcus"
    )
    for table in (t, t.to_sparse()):
        g = collapse(table, "genus")
        assert g.taxa == (entero, UNASSIGNED)
        assert dense(g.counts).tolist() == [[3, 60], [1, 5]]
        assert g.taxonomy == {entero: entero}
        assert g.is_sparse == table.is_sparse
    p = collapse(t, "phylum")
    assert p.taxa == ("d__Bacteria; p__Bacteroidetes", "d__Bacteria; p__Firmicutes", UNASSIGNED)
    assert p.counts.tolist() == [[32, 7, 24], [5, 1, 0]]
    assert collapse(t, "kingdom").taxa == ("d__Bacteria", UNASSIGNED)
    with pytest.raises(ValueError, match="unknown rank 'genera'; known: 'domain'"):
        collapse(t, "genera")
    assert collapse(FeatureTable([[1, 2]], ["s"], ["a", "b"]), "genus").taxa == (UNASSIGNED,)


def test_collapse_matches_pandas_groupby():
    rng = np.random.default_rng(10)
    x = random_counts(11, (15, 40), 0.8)
    genera = [f"g{k}" for k in range(6)]
    taxonomy = {}
    for j in range(40):
        k = rng.integers(0, 7)
        if k < 6:
            taxonomy[f"T{j}"] = f"k__Bacteria; p__P{k % 2}; g__{genera[k]}"
    t = make_table(x, taxonomy=taxonomy)
    got = collapse(t.to_sparse(), "genus")
    keys = [
        format_lineage(parse_lineage(taxonomy[f"T{j}"]), "genus")
        if f"T{j}" in taxonomy
        else UNASSIGNED
        for j in range(40)
    ]
    ref = pd.DataFrame(x, columns=keys).T.groupby(level=0).sum().T
    np.testing.assert_array_equal(got.counts.toarray(), ref[list(got.taxa)].to_numpy())
    np.testing.assert_array_equal(got.depths, x.sum(axis=1))


def test_filters():
    x = np.array([[1, 0, 9, 0], [1, 0, 0, 2], [1, 0, 0, 0], [0, 0, 1, 0]])
    t = FeatureTable(x, ["a", "b", "c", "d"], ["w", "x", "y", "z"], {"y": "k__B", "x": "k__C"})
    for table in (t, t.to_sparse()):
        assert filter_taxa(table).taxa == ("w", "x", "y", "z")
        assert filter_taxa(table, min_prevalence=0.5).taxa == ("w", "y")  # 3/4, 2/4: inclusive
        assert filter_taxa(table, min_prevalence=0.51).taxa == ("w",)
        assert filter_taxa(table, min_abundance=2).taxa == ("w", "y", "z")  # total 2: inclusive
        assert filter_taxa(table, min_abundance=1e-9).taxa == ("w", "y", "z")
        f = filter_taxa(table, min_prevalence=0.5, min_abundance=4)
        assert f.taxa == ("y",) and f.taxonomy == {"y": "k__B"}
        np.testing.assert_array_equal(dense(f.counts), x[:, [2]])
        s = filter_samples(table, min_depth=2)  # depths 10, 3, 1, 1
        assert s.sample_ids == ("a", "b")
        np.testing.assert_array_equal(dense(s.counts), x[:2])
        assert filter_samples(table, min_depth=11).shape == (0, 4)
    with pytest.raises(ValueError):
        filter_taxa(t, min_prevalence=1.5)
    with pytest.raises(ValueError):
        filter_samples(t, min_depth=-1)


def test_biom_bytes_do_not_depend_on_the_time(tmp_path):
    import time

    from holobiont.core.table import write_biom

    t = FeatureTable([[1, 0], [2, 5]], ["s1", "s2"], ["t1", "t2"], {"t1": "k__A; p__B"})
    write_biom(t, tmp_path / "a.biom")
    time.sleep(1.1)  # biom's own stamp has one-second resolution at least
    write_biom(t, tmp_path / "b.biom")
    assert (tmp_path / "a.biom").read_bytes() == (tmp_path / "b.biom").read_bytes()
