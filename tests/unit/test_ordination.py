"""Tests of holobiont.core.ordination against scikit-bio 0.7.4.

PCoA: eigenvalues and proportions to rtol = atol = 1e-9; coordinates to 1e-9 after aligning
the sign of each axis with skbio's (skbio leaves signs to LAPACK). PERMANOVA: pseudo-F to
rtol = 1e-9; p-values agree with skbio's within Monte Carlo error (different permutations).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from skbio.stats.distance import DistanceMatrix
from skbio.stats.distance import permanova as sk_permanova
from skbio.stats.ordination import pcoa as sk_pcoa

from holobiont.core import ordination as O
from holobiont.core.beta import beta_diversity
from holobiont.core.ordination import pcoa, permanova

TOL = {"rtol": 1e-9, "atol": 1e-9}


def euclidean(seed, n, dim=3):
    rng = np.random.default_rng(seed)
    pts = rng.normal(size=(n, dim))
    return np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2))


def braycurtis(seed, n, m=40):
    rng = np.random.default_rng(seed)
    x = rng.negative_binomial(0.5, 0.1, (n, m)) * (rng.random((n, m)) < 0.4)
    x[:, 0] += 1
    return beta_diversity("braycurtis", x)


def skbio_pcoa(d, dims=0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sk_pcoa(DistanceMatrix(d), dimensions=dims)


def assert_same_up_to_sign(ours, ref):
    signs = np.sign((ours * ref).sum(axis=0))
    signs[signs == 0] = 1.0
    np.testing.assert_allclose(ours, ref * signs, **TOL)


# ------------------------------------------------------------------------------ PCoA


@pytest.mark.parametrize("kind", ["euclidean", "braycurtis"])
@pytest.mark.parametrize("n", [3, 12, 60])
def test_pcoa_matches_skbio_all_axes(kind, n):
    d = euclidean(n, n) if kind == "euclidean" else braycurtis(n, n)
    ours = pcoa(d)
    ref = skbio_pcoa(d)
    np.testing.assert_allclose(ours.eigenvalues, ref.eigvals.values, **TOL)
    np.testing.assert_allclose(ours.proportion_explained, ref.proportion_explained.values, **TOL)
    assert ours.coordinates.shape == (n, n)
    k = np.sum(ours.eigenvalues > 1e-6 * ours.eigenvalues[0])  # well-separated axes
    k = min(k, 5)
    assert_same_up_to_sign(ours.coordinates[:, :k], ref.samples.values[:, :k])


@pytest.mark.parametrize("kind", ["euclidean", "braycurtis"])
def test_pcoa_matches_skbio_some_axes(kind):
    d = euclidean(1, 50, 6) if kind == "euclidean" else braycurtis(2, 50)
    for k in (1, 4, 10):
        ours = pcoa(d, n_axes=k)
        ref = skbio_pcoa(d, k)
        assert ours.coordinates.shape == (50, k)
        np.testing.assert_allclose(ours.eigenvalues, ref.eigvals.values, **TOL)
        np.testing.assert_allclose(
            ours.proportion_explained, ref.proportion_explained.values, **TOL
        )
        assert_same_up_to_sign(ours.coordinates, ref.samples.values)


def _check_eigenpairs(d, res, tol=1e-9):
    """Axes of a PCoA are eigenpairs of the Gower matrix, mutually orthogonal, centred."""
    b = O._gower_centre(np.asarray(d, float))
    x, lam = res.coordinates, res.eigenvalues
    np.testing.assert_allclose(b @ x, x * lam, rtol=0, atol=tol * max(lam.max(), 1))
    np.testing.assert_allclose(x.T @ x, np.diag(lam), rtol=0, atol=tol * max(lam.max(), 1))
    np.testing.assert_allclose(x.sum(axis=0), 0, atol=tol * max(lam.max(), 1) ** 0.5 * len(x))


@pytest.mark.parametrize("n_axes", [10, None])
def test_pcoa_repeated_eigenvalues_cut_inside_a_multiple_one(n_axes):
    # orthogonal centred axes of lengths 10, 8, 6, then ten of length 3 and one of 1: the
    # Gower matrix has eigenvalues 100, 64, 36, 9 (x10), 1, 0...; 10 axes cut the 9s in two
    rng = np.random.default_rng(3)
    n = 40
    q, _ = np.linalg.qr(rng.normal(size=(n, 14)) - rng.normal(size=(n, 14)).mean(axis=0))
    q -= q.mean(axis=0)
    q, _ = np.linalg.qr(q)
    lengths = np.array([10, 8, 6, *[3] * 10, 1], float)
    pts = q * lengths
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2))
    res = pcoa(d, n_axes=n_axes)
    ref = skbio_pcoa(d, n_axes or 0)
    expected = np.concatenate([lengths**2, np.zeros(n - 14)])[: n_axes or n]
    np.testing.assert_allclose(res.eigenvalues, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.eigenvalues, ref.eigvals.values, **TOL)
    np.testing.assert_allclose(res.proportion_explained, ref.proportion_explained.values, **TOL)
    assert_same_up_to_sign(res.coordinates[:, :3], ref.samples.values[:, :3])  # distinct ones
    _check_eigenpairs(d, res)


def test_pcoa_partial_eigensolver_short_of_pairs_falls_back(monkeypatch):
    """Regression: LAPACK's MRRR returned no pair for subset [29, 29] of the 30-sample simplex
    (one CPU's OpenBLAS kernels), and pcoa(n_axes=1) gave no axis. Whatever the CPU, an MRRR
    answer short of pairs now falls back to the full decomposition."""
    real = O.scipy.linalg.eigh
    calls = []

    def short_mrrr(a, *args, **kw):
        calls.append(kw.get("driver"))
        vals, vecs = real(a, *args, **kw)
        return (vals[:0], vecs[:, :0]) if kw.get("driver") == "evr" else (vals, vecs)

    monkeypatch.setattr(O.scipy.linalg, "eigh", short_mrrr)
    rng = np.random.default_rng(5)
    x = rng.random((12, 4))
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    res = pcoa(d, n_axes=3)
    assert calls == ["evr", "evd"]
    ref = skbio_pcoa(d, 3)
    np.testing.assert_allclose(res.eigenvalues, ref.eigvals.values, rtol=1e-9, atol=1e-9)


def test_pcoa_equal_distance_designs():
    # a simplex (every distance 1: eigenvalue 1/2, multiplicity n - 1) and two clusters
    n = 30
    simplex = np.ones((n, n)) - np.eye(n)
    groups = np.repeat([0, 1], n // 2)
    clusters = np.where(groups[:, None] == groups[None, :], 1.0, 3.0) * simplex
    for d in (simplex, clusters):
        for k in (1, 10, n):
            res = pcoa(d, n_axes=k)
            ref = skbio_pcoa(d, k if k < n else 0)
            np.testing.assert_allclose(res.eigenvalues, ref.eigvals.values, **TOL)
            _check_eigenpairs(d, res)
    np.testing.assert_allclose(pcoa(simplex, n_axes=10).eigenvalues, 0.5, rtol=0, atol=1e-12)


def test_pcoa_negative_eigenvalues_and_sign_rule():
    d = braycurtis(3, 40)
    ours = pcoa(d)
    b = O._gower_centre(d)
    assert np.linalg.eigvalsh(b).min() < -1e-6  # non-Euclidean: negative eigenvalues exist
    negative = ours.eigenvalues == 0
    assert negative.sum() > 1
    assert np.all(ours.coordinates[:, negative] == 0)
    np.testing.assert_allclose(ours.proportion_explained.sum(), 1.0, rtol=1e-12)
    pos = ~negative
    c = ours.coordinates[:, pos]
    pivot = np.abs(c).argmax(axis=0)
    assert np.all(c[pivot, np.arange(c.shape[1])] > 0)
    assert np.all(np.diff(ours.eigenvalues) <= 0)


def test_pcoa_reconstructs_euclidean_distances_and_ids():
    d = euclidean(4, 20, 3)
    res = pcoa(d, ids=[f"s{i}" for i in range(20)])
    c = res.coordinates
    back = np.sqrt(((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))
    np.testing.assert_allclose(back, d, rtol=1e-9, atol=1e-9)
    assert res.ids[:2] == ("s0", "s1")
    assert np.sum(res.eigenvalues > 1e-9) == 3


def test_pcoa_frozen_values():
    """skbio 0.7.4 pcoa(DistanceMatrix(d)) eigenvalues and proportions, 2026-11-21."""
    d = [[0, 3, 4], [3, 0, 5], [4, 5, 0]]
    res = pcoa(d)
    np.testing.assert_allclose(res.eigenvalues, [12.96414799648327, 3.7025186701833976, 0.0], **TOL)
    np.testing.assert_allclose(
        res.proportion_explained, [0.7778488797889961, 0.22215112021100383, 0.0], **TOL
    )


def test_pcoa_errors():
    with pytest.raises(ValueError, match="square"):
        pcoa(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="symmetric"):
        pcoa([[0, 1], [2, 0]])
    with pytest.raises(ValueError, match="zero diagonal"):
        pcoa([[1, 1], [1, 0]])
    with pytest.raises(ValueError, match="negative"):
        pcoa([[0, -1], [-1, 0]])
    with pytest.raises(ValueError, match="NaN"):
        pcoa([[0, np.nan], [np.nan, 0]])
    with pytest.raises(ValueError, match="n_axes must be between 1 and 2"):
        pcoa([[0, 1], [1, 0]], n_axes=3)
    with pytest.raises(ValueError, match="unknown method 'svd'; known: 'eigh'"):
        pcoa([[0, 1], [1, 0]], method="svd")
    with pytest.raises(ValueError, match="1 ids given"):
        pcoa([[0, 1], [1, 0]], ids=["a"])


# ------------------------------------------------------------------------------ PERMANOVA


@pytest.mark.parametrize(
    "grouping",
    [
        ["a"] * 10 + ["b"] * 20,
        [1, 2, 3] * 10,
        ["x"] * 3 + ["y"] * 7 + ["z"] * 15 + ["w"] * 5,
    ],
)
def test_permanova_statistic_matches_skbio(grouping):
    d = braycurtis(5, 30)
    ours = permanova(d, grouping, permutations=0)
    ref = sk_permanova(DistanceMatrix(d), grouping, permutations=0)
    np.testing.assert_allclose(ours.test_statistic, ref["test statistic"], rtol=1e-9)
    assert np.isnan(ours.p_value) and np.isnan(ref["p-value"])
    assert ours.sample_size == ref["sample size"] == 30
    assert ours.number_of_groups == ref["number of groups"]
    assert (ours.method_name, ours.test_statistic_name) == ("PERMANOVA", "pseudo-F")


@pytest.mark.parametrize("sizes", [[5, 5, 7, 8], [12, 13], [3, 4, 18]])
def test_permanova_vectorised_within_sum_of_squares(sizes):
    d = braycurtis(6, 25)
    rng = np.random.default_rng(0)
    codes = np.repeat(np.arange(len(sizes)), sizes)
    perms = np.array([rng.permutation(codes) for _ in range(37)])
    sizes = np.bincount(codes).astype(float)
    got = O._s_within_many(d * d, perms, sizes, len(sizes), block_size=200)  # several chunks
    want = [O._s_within(d * d, p, sizes) for p in perms]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_permanova_p_value_reproducible_and_close_to_skbio():
    """Weak effect: p around 0.1-0.5. Two independent 999-permutation estimates differ by
    about sqrt(2 p (1 - p) / 1000) < 0.023; allow 0.1 (more than 4 standard deviations)."""
    rng = np.random.default_rng(21)
    pts = rng.normal(size=(40, 5))
    pts[:20, 0] += 0.35
    d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(axis=2))
    grouping = ["g1"] * 20 + ["g2"] * 20
    a = permanova(d, grouping, seed=1)
    assert a == permanova(d, grouping, seed=1)
    assert a == permanova(d, grouping, seed=np.random.default_rng(1))
    ref = sk_permanova(DistanceMatrix(d), grouping, permutations=999, seed=1)
    np.testing.assert_allclose(a.test_statistic, ref["test statistic"], rtol=1e-9)
    assert 0.02 < ref["p-value"] < 0.6
    assert abs(a.p_value - ref["p-value"]) < 0.1
    others = [permanova(d, grouping, seed=s).p_value for s in range(2, 6)]
    assert len(set(others + [a.p_value])) > 1  # seeds matter
    assert a.permutations == 999 and a.p_value * 1000 == round(a.p_value * 1000)


def test_permanova_perfect_separation_counts_ties():
    """Two equal groups, perfectly separated: only the identity and the label swap reach
    F, so p = (1 + number of those among the permutations) / (1 + permutations)."""
    d = np.array([[0, 1, 9, 9], [1, 0, 9, 9], [9, 9, 0, 1], [9, 9, 1, 0]], float)
    res = permanova(d, ["a", "a", "b", "b"], permutations=999, seed=3)
    rng = np.random.default_rng(3)
    perms = rng.permuted(np.broadcast_to([0, 0, 1, 1], (999, 4)), axis=1)
    same = np.sum((perms[:, 0] == perms[:, 1]) & (perms[:, 2] == perms[:, 3]))
    assert res.p_value == (1 + same) / 1000


def test_permanova_errors():
    d = braycurtis(7, 6)
    with pytest.raises(ValueError, match="one label per sample"):
        permanova(d, ["a", "b"])
    with pytest.raises(ValueError, match="one group"):
        permanova(d, ["a"] * 6)
    with pytest.raises(ValueError, match="its own group"):
        permanova(d, list("abcdef"))
    with pytest.raises(ValueError, match="permutations must be >= 0"):
        permanova(d, list("aabbcc"), permutations=-1)
    with pytest.raises(TypeError, match="seed"):
        permanova(d, list("aabbcc"), seed=None)
