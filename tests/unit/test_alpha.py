"""Tests of holobiont.core.alpha against scikit-bio 0.7.4 and hand-computed values.

Tolerance for every comparison with skbio: rtol = 1e-9 and atol = 1e-9
(``numpy.testing.assert_allclose``), NaN where skbio gives NaN.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from skbio import TreeNode
from skbio.diversity import alpha_diversity as sk_alpha_diversity
from skbio.diversity.alpha import shannon as sk_shannon

import holobiont.core.alpha as alpha_mod
from holobiont.core.alpha import METRICS, alpha_diversity
from holobiont.core.table import FeatureTable
from holobiont.core.tree import branch_incidence, read_newick

TOL = {"rtol": 1e-9, "atol": 1e-9, "equal_nan": True}
SKBIO_NAME = {
    "observed": "sobs",
    "shannon": "shannon",
    "simpson": "simpson",
    "pielou": "pielou_e",
    "chao1": "chao1",
    "goods_coverage": "goods_coverage",
}
SHAPES = [(1, 1), (4, 3), (25, 40), (40, 250)]


def random_counts(seed: int, shape: tuple[int, int], zero_frac: float) -> np.ndarray:
    """Integer counts with many singletons/doubletons, ~`zero_frac` zeros, and edge rows.

    Rows 0-2 (when present) are forced to: all zero, a single taxon, a single individual.
    """
    rng = np.random.default_rng(seed)
    x = rng.negative_binomial(0.4, 0.15, size=shape).astype(np.int64)
    x[rng.random(shape) < zero_frac] = 0
    n, m = shape
    if n >= 3:
        x[0] = 0
        x[1] = 0
        x[1, m - 1] = 17
        x[2] = 0
        x[2, 0] = 1
    return x


def random_newick(seed: int, tips: list[str], extra: int = 3) -> str:
    """Random rooted binary tree over `tips` plus `extra` unused tips.

    Branch lengths are decimals with 2 places, about 10 % of them exactly 0; the root has two
    children (skbio's faith_pd requires that).
    """
    rng = np.random.default_rng(seed)

    def length() -> str:
        return "0" if rng.random() < 0.1 else f"{rng.integers(1, 500) / 100:.2f}"

    nodes = [f"{t}:{length()}" for t in [*tips, *(f"extra{k}" for k in range(extra))]]
    while len(nodes) > 2:
        i, j = sorted(rng.choice(len(nodes), size=2, replace=False))
        b, a = nodes.pop(j), nodes.pop(i)
        nodes.append(f"({a},{b}):{length()}")
    return f"({','.join(nodes)});" if len(nodes) == 2 else f"({nodes[0]});"


# --------------------------------------------------------------------------- vs skbio


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("zero_frac", [0.3, 0.9])
@pytest.mark.parametrize("metric", list(SKBIO_NAME))
def test_metrics_match_skbio(metric, shape, zero_frac):
    seed = 100 * METRICS.index(metric) + 10 * SHAPES.index(shape) + int(10 * zero_frac)
    x = random_counts(seed, shape, zero_frac)
    expected = sk_alpha_diversity(SKBIO_NAME[metric], x).to_numpy(dtype=float)
    got = alpha_diversity(metric, x)
    assert got.shape == (shape[0],) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, **TOL)
    # sparse input: the same values (same formulas, but dense rows are reduced over the matrix
    # and sparse ones over their stored entries: rounding differs in the last bits)
    np.testing.assert_allclose(
        alpha_diversity(metric, sp.csr_array(x)), got, rtol=1e-13, atol=1e-14
    )
    # float input holding the same counts takes the non-integer path of the dense kernels
    np.testing.assert_allclose(
        alpha_diversity(metric, x.astype(float)), got, rtol=1e-13, atol=1e-14
    )


@pytest.mark.parametrize("base", [2, 10, 0.5])
def test_shannon_and_pielou_base(base):
    x = random_counts(1, (30, 20), 0.5)
    got = alpha_diversity("shannon", x, base=base)
    expected = [sk_shannon(row, base=base) for row in x]
    np.testing.assert_allclose(got, expected, **TOL)
    # Pielou's evenness does not depend on the base (skbio: same result for any base)
    np.testing.assert_allclose(
        alpha_diversity("pielou", x, base=base),
        sk_alpha_diversity("pielou_e", x, base=base).to_numpy(dtype=float),
        **TOL,
    )


def test_float_abundances_match_skbio():
    rng = np.random.default_rng(2)
    x = rng.random((10, 15)) * (rng.random((10, 15)) < 0.4)
    for metric in ("shannon", "simpson", "pielou", "observed"):
        expected = sk_alpha_diversity(SKBIO_NAME[metric], x).to_numpy(dtype=float)
        np.testing.assert_allclose(alpha_diversity(metric, x), expected, **TOL)


def test_hand_computed_values():
    # Computed by hand from the formulas in alpha_diversity's Notes for counts (1, 1, 2):
    # N = 4, p = (1/4, 1/4, 1/2), S = 3, F1 = 2, F2 = 1.
    x = np.array([[1, 1, 2, 0]])
    h = 1.5 * np.log(2)  # -(2 * 1/4 ln 1/4 + 1/2 ln 1/2) = 1.5 ln 2
    expected = {
        "observed": 3.0,
        "shannon": h,
        "simpson": 1 - (1 / 16 + 1 / 16 + 1 / 4),  # 0.625
        "pielou": h / np.log(3),
        "chao1": 3 + 2 * 1 / (2 * 2),  # 3.5
        "goods_coverage": 1 - 2 / 4,  # 0.5
    }
    for metric, value in expected.items():
        np.testing.assert_allclose(alpha_diversity(metric, x), [value], rtol=1e-12)
    np.testing.assert_allclose(alpha_diversity("shannon", x, base=2), [1.5], rtol=1e-12)


def test_edge_cases():
    # rows: empty, single taxon (5 reads), single individual, no singletons
    x = np.array([[0, 0, 0], [0, 5, 0], [1, 0, 0], [2, 2, 4]])
    expect = {
        "observed": [0, 1, 1, 3],
        "shannon": [np.nan, 0, 0, alpha_diversity("shannon", x[3:])[0]],
        "simpson": [np.nan, 0, 0, 1 - (1 / 16 + 1 / 16 + 1 / 4)],
        "pielou": [np.nan, 1.0, 1.0, alpha_diversity("pielou", x[3:])[0]],
        "chao1": [0, 1, 1, 3],  # one singleton: F1 (F1 - 1) = 0
        "goods_coverage": [np.nan, 1, 0, 1],
    }
    for metric, values in expect.items():
        np.testing.assert_allclose(alpha_diversity(metric, x), values, **TOL)
        np.testing.assert_allclose(
            sk_alpha_diversity(SKBIO_NAME[metric], x).to_numpy(dtype=float), values, **TOL
        )
    # no samples; no taxa
    assert alpha_diversity("shannon", np.zeros((0, 4))).shape == (0,)
    np.testing.assert_array_equal(alpha_diversity("observed", np.zeros((2, 0))), [0.0, 0.0])
    assert np.isnan(alpha_diversity("simpson", sp.csr_array((2, 0)))).all()


def test_errors_and_table_input():
    x = np.array([[1, 2]])
    with pytest.raises(ValueError, match="unknown metric 'bray'; known: 'observed'"):
        alpha_diversity("bray", x)
    for name in METRICS:
        assert name in str(pytest.raises(ValueError, alpha_diversity, "x", x).value)
    with pytest.raises(ValueError, match="negative"):
        alpha_diversity("shannon", np.array([[1, -1]]))
    with pytest.raises(ValueError, match="NaN"):
        alpha_diversity("shannon", np.array([[1, np.nan]]))
    for base in (0, 1, -2, np.inf):
        with pytest.raises(ValueError, match="base"):
            alpha_diversity("shannon", x, base=base)
    t = FeatureTable(x, ["s"], ["a", "b"])
    np.testing.assert_array_equal(alpha_diversity("chao1", t), alpha_diversity("chao1", x))
    with pytest.raises(ValueError, match="taxa differ"):
        alpha_diversity("faith_pd", t, taxa=["b", "a"], tree="(a:1,b:1);")


# --------------------------------------------------------------------------- Faith PD


@pytest.mark.parametrize("shape", [(1, 1), (5, 4), (30, 60), (40, 200)])
@pytest.mark.parametrize("zero_frac", [0.3, 0.9])
def test_faith_pd_matches_skbio(shape, zero_frac):
    seed = shape[1] * 7 + int(zero_frac * 10)
    x = random_counts(seed, shape, zero_frac)
    taxa = [f"OTU{j}" for j in range(shape[1])]
    newick = random_newick(seed, list(np.random.default_rng(seed).permutation(taxa)))
    expected = sk_alpha_diversity("faith_pd", x, taxa=taxa, tree=TreeNode.read([newick])).to_numpy(
        dtype=float
    )
    tree = read_newick(newick)
    got = alpha_diversity("faith_pd", x, taxa=taxa, tree=tree)
    np.testing.assert_allclose(got, expected, **TOL)
    got_sparse = alpha_diversity("faith_pd", sp.csr_array(x), taxa=taxa, tree=tree)
    np.testing.assert_allclose(got_sparse, expected, **TOL)
    table = FeatureTable(sp.csr_array(x), [f"s{i}" for i in range(shape[0])], taxa)
    np.testing.assert_allclose(alpha_diversity("faith_pd", table, tree=newick), expected, **TOL)
    if shape[0] >= 3:
        assert got[0] == 0.0  # all-zero sample


def test_faith_pd_hand_values_zero_length_branches():
    # Tree ((a:1,b:0):0.5,(c:0,d:2.25):0); values added up by hand along the root paths.
    newick = "((a:1,b:0):0.5,(c:0,d:2.25):0);"
    taxa = ["a", "b", "c", "d"]
    x = np.array(
        [
            [1, 0, 0, 0],  # a + (a,b)         = 1 + 0.5
            [0, 3, 0, 0],  # b + (a,b)         = 0 + 0.5
            [0, 0, 9, 0],  # c + (c,d)         = 0 + 0
            [1, 1, 1, 1],  # every branch      = 1 + 0 + 0.5 + 0 + 2.25 + 0
            [0, 0, 0, 0],  # nothing
        ]
    )
    expected = [1.5, 0.5, 0.0, 3.75, 0.0]
    np.testing.assert_allclose(
        alpha_diversity("faith_pd", x, taxa=taxa, tree=read_newick(newick)), expected, rtol=1e-12
    )
    sk = sk_alpha_diversity("faith_pd", x, taxa=taxa, tree=TreeNode.read([newick]))
    np.testing.assert_allclose(sk.to_numpy(dtype=float), expected, rtol=1e-12)


def test_faith_pd_missing_taxa_and_arguments():
    newick = "((a:1,b:2):1,c:3);"
    tree = read_newick(newick)
    missing = [f"m{k:02d}" for k in range(12)]
    taxa = ["a", *missing, "c"]
    x = np.ones((2, len(taxa)), dtype=int)
    with pytest.raises(ValueError) as err:
        alpha_diversity("faith_pd", x, taxa=taxa, tree=tree)
    message = str(err.value)
    assert "taxa absent from the tree" in message
    assert "'m00'" in message and "'m09'" in message and "'m10'" not in message
    assert "(12 in total)" in message
    # a taxon absent from the tree is an error even when its counts are zero (as in skbio)
    with pytest.raises(ValueError, match=r"absent from the tree: 'zz'$"):
        alpha_diversity("faith_pd", np.array([[1, 0]]), taxa=["a", "zz"], tree=tree)
    with pytest.raises(ValueError, match="needs a `tree`"):
        alpha_diversity("faith_pd", x[:, :2], taxa=["a", "c"])
    with pytest.raises(ValueError, match="needs `taxa`"):
        alpha_diversity("faith_pd", x[:, :2], tree=tree)
    with pytest.raises(ValueError, match="3 taxa given for counts with 2"):
        alpha_diversity("faith_pd", x[:, :2], taxa=["a", "b", "c"], tree=tree)
    with pytest.raises(ValueError, match="duplicate taxa: 'a'"):
        alpha_diversity("faith_pd", x[:, :2], taxa=["a", "a"], tree=tree)
    with pytest.raises(TypeError):
        alpha_diversity("faith_pd", x[:, :2], taxa=["a", "c"], tree=42)


def random_multifurcating_newick(seed: int, tips: list[str]) -> str:
    """Random tree with nodes of 1-5 children (unary nodes included) and 5 unused tips."""
    rng = np.random.default_rng(seed)
    nodes = [f"{t}:{rng.integers(0, 300) / 100:.2f}" for t in [*tips, "u1", "u2", "u3", "u4", "u5"]]
    rng.shuffle(nodes)
    while len(nodes) > 1:
        k = min(len(nodes), int(rng.integers(1, 6)))
        group = [nodes.pop(int(rng.integers(len(nodes)))) for _ in range(k)]
        nodes.append(f"({','.join(group)}):{rng.integers(0, 300) / 100:.2f}")
    return nodes[0].rsplit(":", 1)[0] + ";"


@pytest.mark.parametrize("seed", range(6))
def test_faith_pd_equals_the_branch_incidence_definition(seed):
    # PD = [(P M) > 0] l with P the presence matrix, M the taxon-by-branch incidence
    # (holobiont.core.tree.branch_incidence), l the branch lengths: the definition in the docstring,
    # computed densely. The kernel (root-path union via lowest common ancestors) never forms it.
    # Multifurcations, unary nodes and a caterpillar (long lca ranges) are what skbio's
    # faith_pd cannot take, so it is not the reference here.
    rng = np.random.default_rng(seed)
    n_taxa = 60 if seed < 5 else 300
    taxa = [f"t{j}" for j in range(n_taxa)]
    if seed < 5:
        newick = random_multifurcating_newick(seed, taxa)
    else:  # caterpillar: (((t0,t1),t2),t3)...
        newick = "t0:1"
        for j in range(1, n_taxa):
            newick = f"({newick},t{j}:{j % 7}):0.5"
        newick = newick.rsplit(":", 1)[0] + ";"
    tree = read_newick(newick)
    x = random_counts(seed, (30, n_taxa), 0.8)[:, rng.permutation(n_taxa)]
    m = branch_incidence(tree, taxa).toarray()
    expected = (((x > 0).astype(float) @ m) > 0) @ tree.length
    for counts in (x, sp.csr_array(x)):
        got = alpha_diversity("faith_pd", counts, taxa=taxa, tree=tree)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("metric", ["shannon", "pielou", "simpson"])
def test_dense_kernels_large_counts_and_row_blocks(metric, monkeypatch):
    # counts above the x-log-x lookup table (2**20) take the log path; a tiny block size makes
    # the row-block loop run over many blocks, the last one partial
    x = random_counts(7, (23, 31), 0.5) * 3_000_001
    expected = sk_alpha_diversity(SKBIO_NAME[metric], x).to_numpy(dtype=float)
    np.testing.assert_allclose(alpha_diversity(metric, x), expected, **TOL)
    monkeypatch.setattr(alpha_mod, "_CHUNK", 70)  # 2 rows per block
    np.testing.assert_allclose(alpha_diversity(metric, x), expected, **TOL)
    np.testing.assert_allclose(
        alpha_diversity(metric, x // 3_000_001),
        sk_alpha_diversity(SKBIO_NAME[metric], x // 3_000_001).to_numpy(dtype=float),
        **TOL,
    )
