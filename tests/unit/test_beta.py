"""Tests of holobiont.core.beta against scikit-bio 0.7.4 and brute force.

Tolerance for every comparison with skbio or brute force: rtol = 1e-9, atol = 1e-9
(``numpy.testing.assert_allclose``). Bray--Curtis and Jaccard on integer counts are compared
exactly as well (same arithmetic as scipy).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import scipy.sparse as sp
from skbio import TreeNode
from skbio.diversity import beta_diversity as sk_beta
from skbio.stats.composition import clr as sk_clr
from skbio.stats.composition import multi_replace

from holobiont.core import beta as B
from holobiont.core.beta import METRICS, beta_diversity
from holobiont.core.table import FeatureTable
from holobiont.core.tree import read_newick

TOL = {"rtol": 1e-9, "atol": 1e-9}
SHAPES = [(2, 1), (5, 3), (30, 40), (60, 300)]
UNIFRAC = ("unweighted_unifrac", "weighted_normalized_unifrac", "weighted_unifrac")


def random_counts(seed, shape, zero_frac=0.9, integer=True):
    """Negative-binomial-ish counts with ~zero_frac zeros and column prevalences spread
    over (0, 1); no all-zero sample unless asked (scikit-bio's Bray-Curtis is nan there)."""
    rng = np.random.default_rng(seed)
    n, m = shape
    if zero_frac > 0:
        prevalence = rng.beta(0.6, 0.6 * zero_frac / (1 - zero_frac), m)
    else:
        prevalence = np.ones(m)
    present = rng.random(shape) < prevalence
    values = rng.negative_binomial(0.5, 0.05, shape) + 1
    x = np.where(present, values, 0).astype(np.float64)
    empty = np.flatnonzero(x.sum(axis=1) == 0)
    x[empty, rng.integers(0, m, empty.size)] = 1.0
    if not integer:
        x *= rng.uniform(0.1, 3.0, m)
    return x


def random_tree_newick(rng, tips, extra=0):
    """Random binary tree over `tips` (+ `extra` unobserved tips), decimal lengths."""
    names = list(tips) + [f"extra{i}" for i in range(extra)]
    nodes = [f"{t}:{round(float(rng.uniform(0.01, 1)), 3)}" for t in names]
    k = 0
    while len(nodes) > 1:
        i, j = sorted(rng.choice(len(nodes), 2, replace=False).tolist(), reverse=True)
        a, b = nodes.pop(i), nodes.pop(j)
        k += 1
        nodes.append(f"({a},{b})n{k}:{round(float(rng.uniform(0.01, 1)), 3)}")
    return nodes[0][: nodes[0].rfind(":")] + ";"


def skbio_unifrac(metric, x, taxa, newick):
    tree = TreeNode.read(io.StringIO(newick), convert_underscores=False)
    kw = {"normalized": True} if metric == "weighted_normalized_unifrac" else {}
    name = "unweighted_unifrac" if metric == "unweighted_unifrac" else "weighted_unifrac"
    return sk_beta(name, x, taxa=list(taxa), tree=tree, **kw).data


def check_distance_matrix(d, n):
    assert d.shape == (n, n) and d.dtype == np.float64
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0)
    assert np.all(d >= 0)


# ------------------------------------------------------------------------------ vs skbio


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("zero_frac", [0.9, 0.3])
@pytest.mark.parametrize("fmt", ["dense", "csr", "coo"])
def test_braycurtis_jaccard_match_skbio(shape, zero_frac, fmt):
    x = random_counts(1, shape, zero_frac)
    xin = x if fmt == "dense" else getattr(sp, f"{fmt}_array")(x)
    for metric in ("braycurtis", "jaccard"):
        ours = beta_diversity(metric, xin)
        ref = sk_beta(metric, x).data
        check_distance_matrix(ours, shape[0])
        np.testing.assert_array_equal(ours, ref)  # same arithmetic on integer counts


@pytest.mark.parametrize("shape", SHAPES[1:])
def test_braycurtis_float_abundances_match_skbio(shape):
    x = random_counts(2, shape, integer=False)
    np.testing.assert_allclose(
        beta_diversity("braycurtis", x), sk_beta("braycurtis", x).data, **TOL
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("zero_frac", [0.9, 0.0])
def test_aitchison_matches_skbio_clr_euclidean(shape, zero_frac):
    x = random_counts(3, shape, zero_frac)
    z = sk_clr(multi_replace(x).reshape(x.shape))
    ref = sk_beta("euclidean", z, validate=False).data
    np.testing.assert_allclose(beta_diversity("aitchison", sp.csr_array(x)), ref, **TOL)
    ref_pc = sk_beta("euclidean", sk_clr(x + 0.5), validate=False).data
    ours_pc = beta_diversity("aitchison", x, replacement="pseudocount", pseudocount=0.5)
    np.testing.assert_allclose(ours_pc, ref_pc, **TOL)
    ref_d = sk_beta("euclidean", sk_clr(multi_replace(x, 1e-6).reshape(x.shape)), validate=False)
    np.testing.assert_allclose(beta_diversity("aitchison", x, delta=1e-6), ref_d.data, **TOL)


def test_aitchison_near_duplicates_are_exact():
    x = random_counts(4, (6, 50), 0.5)
    x[3] = x[1]
    x[4] = x[1] * 3  # same composition
    d = beta_diversity("aitchison", x)
    assert d[1, 3] == 0.0 and d[1, 4] < 1e-12 and d[3, 4] < 1e-12


@pytest.mark.parametrize("shape", [(4, 3), (25, 40), (40, 120)])
@pytest.mark.parametrize("metric", UNIFRAC)
def test_unifrac_matches_skbio(shape, metric):
    rng = np.random.default_rng(shape[1])
    x = random_counts(5, shape, 0.8)
    taxa = [f"OTU_{i}" for i in range(shape[1])]
    newick = random_tree_newick(rng, taxa, extra=5)
    ours = beta_diversity(metric, sp.csc_array(x), taxa=taxa, tree=read_newick(newick))
    check_distance_matrix(ours, shape[0])
    np.testing.assert_allclose(ours, skbio_unifrac(metric, x, taxa, newick), **TOL)


def test_unifrac_zero_length_branches_and_multifurcation():
    newick = "((a:0,b:0.5)x:0,(c:1,d:0,e:2)y:0.25,f:0.0)r;"
    taxa = list("abcdef")
    x = random_counts(6, (8, 6), 0.5)
    for metric in UNIFRAC:
        np.testing.assert_allclose(
            beta_diversity(metric, x, taxa=taxa, tree=newick),
            skbio_unifrac(metric, x, taxa, "(" + newick[:-1] + ":0);"),  # skbio: root <= 2 kids
            **TOL,
        )


# ------------------------------------------------------------------------------ kernels


@pytest.mark.parametrize("scale", ["uint16", "float32", "float64", "fraction"])
def test_sum_min_all_kernel_paths_match_brute_force(scale):
    """Integer counts < 2**16 run in uint16, larger ones with totals < 2**24 in float32,
    the rest in float64 (the dense kernels pick the narrowest exact type)."""
    x = random_counts(7, (40, 60), 0.6, integer=scale != "fraction")
    x *= {"uint16": 1, "float32": 70_000, "float64": 2.0**40, "fraction": 1}[scale]
    if scale == "float32":
        x = np.minimum(x, 140_000)
    ref = np.triu(np.minimum(x[:, None, :], x[None, :, :]).sum(axis=2), 1)
    csr = B._as_csr(x)
    for thr_pairs, thr_block in [(2, 2), (2, 41), (41, 41), (8, 20), (15, 15)]:
        for block in (5, 64, 1 << 20):
            for threads in (1, 3):
                got = np.triu(B._sum_min(csr, block, threads, thr_pairs, thr_block), 1)
                np.testing.assert_allclose(got, ref, **TOL)


def test_gram_kernels_all_paths_match_brute_force():
    rng = np.random.default_rng(8)
    x = random_counts(8, (30, 50), 0.5, integer=False)
    x[:, :4] = rng.uniform(1, 2, (30, 4))  # present everywhere
    x[:3, 4:8] = 0.0  # absent from few samples
    pres = (x > 0).astype(float)
    w = rng.uniform(0.1, 1.0, 50)
    for thr in (2, 5, 12, 31):
        for block in (7, 1 << 20):
            np.testing.assert_allclose(
                np.triu(B._product_gram(B._as_csr(x), block, thr), 1), np.triu(x @ x.T, 1), **TOL
            )
            np.testing.assert_allclose(
                np.triu(B._presence_gram(B._as_csr(pres), w, block, thr), 1),
                np.triu((pres * w) @ pres.T, 1),
                **TOL,
            )
            assert np.array_equal(
                np.triu(B._presence_gram(B._as_csr(pres), None, block, thr), 1),
                np.triu(pres @ pres.T, 1),
            )


def test_large_table_uses_every_path_and_matches_skbio():
    """n = 300: rare, one-sided and blocked min kernels and pair/complement/syrk Grams."""
    x = random_counts(9, (300, 200), 0.7)
    taxa = [f"t{i}" for i in range(200)]
    newick = random_tree_newick(np.random.default_rng(9), taxa)
    prevalence = (x > 0).mean(axis=0)
    assert prevalence.min() < 0.05 and prevalence.max() > 0.6
    np.testing.assert_array_equal(beta_diversity("braycurtis", x), sk_beta("braycurtis", x).data)
    np.testing.assert_array_equal(beta_diversity("jaccard", x), sk_beta("jaccard", x).data)
    for metric in ("unweighted_unifrac", "weighted_normalized_unifrac"):
        np.testing.assert_allclose(
            beta_diversity(metric, x, taxa=taxa, tree=newick, block_size=1000, threads=2),
            skbio_unifrac(metric, x, taxa, newick),
            **TOL,
        )


def test_threads_and_block_size_do_not_change_results():
    """Threads never change the arithmetic (bit-identical); the block size only changes
    how pair contributions are grouped before being added (rounding level)."""
    x = random_counts(10, (80, 120), 0.6, integer=False)
    taxa = [f"t{i}" for i in range(120)]
    tree = read_newick(random_tree_newick(np.random.default_rng(10), taxa))
    for metric, kw in (("braycurtis", {}), ("weighted_unifrac", {"taxa": taxa, "tree": tree})):
        a = beta_diversity(metric, x, threads=1, **kw)
        for threads in (2, 3, 5):
            assert np.array_equal(beta_diversity(metric, x, threads=threads, **kw), a)
        for block in (3, 100):
            b = beta_diversity(metric, x, block_size=block, **kw)
            np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-15)


# ------------------------------------------------------------------------------ edge cases


def test_empty_samples():
    """Rows 0 and 1 empty; frozen values: skbio gives nan for braycurtis(0, 0)."""
    x = np.array([[0, 0, 0], [0, 0, 0], [1, 2, 0], [0, 1, 3]], dtype=float)
    bc = beta_diversity("braycurtis", x)
    assert bc[0, 1] == 0.0 and bc[0, 2] == 1.0 and bc[1, 3] == 1.0
    ref = sk_beta("braycurtis", x).data
    assert np.isnan(ref[0, 1])
    np.testing.assert_array_equal(bc[2:, 2:], ref[2:, 2:])
    np.testing.assert_array_equal(beta_diversity("jaccard", x), sk_beta("jaccard", x).data)
    taxa = ["a", "b", "c"]
    newick = "((a:1,b:2):0.5,c:3);"
    for metric in UNIFRAC:
        d = beta_diversity(metric, x, taxa=taxa, tree=newick)
        np.testing.assert_allclose(d, skbio_unifrac(metric, x, taxa, newick), **TOL)
        assert d[0, 1] == 0.0
    assert beta_diversity("weighted_normalized_unifrac", x, taxa=taxa, tree=newick)[0, 2] == 1.0
    with pytest.raises(ValueError, match="all-zero: 'row 0', 'row 1'"):
        beta_diversity("aitchison", x)
    table = FeatureTable(x, ["s0", "s1", "s2", "s3"], taxa)
    with pytest.raises(ValueError, match="all-zero: 's0', 's1'"):
        beta_diversity("aitchison", table)
    pc = beta_diversity("aitchison", x, replacement="pseudocount")
    assert pc[0, 1] == 0.0  # both are the centre of the simplex


def test_degenerate_shapes():
    assert beta_diversity("braycurtis", np.zeros((0, 4))).shape == (0, 0)
    for metric in ("braycurtis", "jaccard", "aitchison"):
        assert beta_diversity(metric, [[3, 1]]).tolist() == [[0.0]]
    one_taxon = np.array([[1.0], [3.0], [0.0]])
    np.testing.assert_allclose(
        beta_diversity("braycurtis", one_taxon)[:2, :2], sk_beta("braycurtis", one_taxon[:2]).data
    )
    assert beta_diversity("jaccard", one_taxon).tolist() == [
        [0.0, 0.0, 1.0],
        [0.0, 0.0, 1.0],
        [1.0, 1.0, 0.0],
    ]
    assert beta_diversity("aitchison", one_taxon[:2]).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    tree = read_newick("(a:1,b:1);")
    assert beta_diversity("unweighted_unifrac", np.zeros((0, 1)), taxa=["a"], tree=tree).shape == (
        0,
        0,
    )


def test_taxa_order_and_sample_order():
    rng = np.random.default_rng(12)
    x = random_counts(12, (15, 30), 0.7)
    taxa = [f"t{i}" for i in range(30)]
    tree = read_newick(random_tree_newick(rng, taxa))
    cols = rng.permutation(30)
    rows = rng.permutation(15)
    for metric in METRICS:
        kw = {"taxa": taxa, "tree": tree} if metric in UNIFRAC else {}
        kw_perm = {"taxa": [taxa[c] for c in cols], "tree": tree} if metric in UNIFRAC else {}
        d = beta_diversity(metric, x, **kw)
        np.testing.assert_allclose(beta_diversity(metric, x[:, cols], **kw_perm), d, **TOL)
        np.testing.assert_allclose(
            beta_diversity(metric, x[rows], **kw), d[np.ix_(rows, rows)], **TOL
        )


def test_featuretable_and_newick_inputs():
    x = random_counts(13, (6, 5), 0.5)
    taxa = ["a", "b", "c", "d", "e"]
    newick = "(((a:1,b:2):0.5,c:1):0.2,(d:0.3,e:0.4):0.1);"
    table = FeatureTable(x.astype(np.int64), [f"s{i}" for i in range(6)], taxa)
    d = beta_diversity("unweighted_unifrac", table, tree=newick)
    np.testing.assert_allclose(d, skbio_unifrac("unweighted_unifrac", x, taxa, newick), **TOL)
    with pytest.raises(ValueError, match="taxa differ"):
        beta_diversity("jaccard", table, taxa=taxa[::-1])


# ------------------------------------------------------------------------------ errors


def test_errors():
    x = np.ones((3, 3))
    with pytest.raises(ValueError, match="unknown metric 'bray'; known: 'braycurtis'"):
        beta_diversity("bray", x)
    with pytest.raises(ValueError, match="unknown replacement"):
        beta_diversity("aitchison", x, replacement="zero")
    with pytest.raises(ValueError, match="negative"):
        beta_diversity("braycurtis", -x)
    with pytest.raises(ValueError, match="needs `taxa`"):
        beta_diversity("unweighted_unifrac", x, tree="(a,b,c);")
    with pytest.raises(ValueError, match="needs a `tree`"):
        beta_diversity("unweighted_unifrac", x, taxa=["a", "b", "c"])
    with pytest.raises(ValueError, match="duplicate taxa: 'a'"):
        beta_diversity("unweighted_unifrac", x, taxa=["a", "a", "b"], tree="(a,b);")
    with pytest.raises(ValueError, match="duplicated tip name"):
        beta_diversity("unweighted_unifrac", x, taxa=["a", "b", "c"], tree="((a,b),(a,c));")
    with pytest.raises(ValueError, match="3 taxa given for counts with 4"):
        beta_diversity("weighted_unifrac", np.ones((2, 4)), taxa=["a", "b", "c"], tree="(a,b);")
    many = [f"m{i}" for i in range(12)]
    with pytest.raises(ValueError, match=r"'m0', .*'m9', \.\.\. \(12 in total\)"):
        beta_diversity("unweighted_unifrac", np.ones((2, 12)), taxa=many, tree="(a:1,b:1);")
    with pytest.raises(ValueError, match="block_size"):
        beta_diversity("jaccard", x, block_size=0)
    with pytest.raises(ValueError, match="threads"):
        beta_diversity("braycurtis", x, threads=0)
    with pytest.raises(ValueError, match="pseudocount"):
        beta_diversity("aitchison", x, replacement="pseudocount", pseudocount=0)
    with pytest.raises(ValueError, match="delta"):
        beta_diversity("aitchison", x, delta=-1.0)
    with pytest.raises(ValueError, match="negative proportions"):
        beta_diversity("aitchison", [[1, 0, 0]], delta=0.6)


# ------------------------------------------------------------------------------ frozen


def test_frozen_reference_values():
    """Values computed with scikit-bio 0.7.4 (beta_diversity, default arguments) on
    x = [[1, 2, 0, 4], [0, 3, 3, 1], [5, 0, 1, 0]] and the tree below, on 2026-11-21."""
    x = np.array([[1, 2, 0, 4], [0, 3, 3, 1], [5, 0, 1, 0]])
    taxa = ["a", "b", "c", "d"]
    tree = "((a:0.25,b:0.5)x:0.75,(c:1.0,d:0.125)y:0.5);"
    iu = np.triu_indices(3, 1)
    expected = {
        "braycurtis": [0.5714285714285714, 0.8461538461538461, 0.8461538461538461],
        "jaccard": [0.5, 0.75, 0.75],
        "unweighted_unifrac": [0.4, 0.52, 0.28],
        "weighted_unifrac": [0.5892857142857143, 1.0595238095238095, 1.2083333333333333],
        "weighted_normalized_unifrac": [0.2773109243697479, 0.5460122699386503, 0.5139240506329114],
    }
    for metric, values in expected.items():
        kw = {"taxa": taxa, "tree": tree} if metric in UNIFRAC else {}
        got = beta_diversity(metric, x, **kw)[iu]
        np.testing.assert_allclose(got, values, rtol=1e-12, atol=1e-12)
