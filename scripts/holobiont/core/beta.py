"""Beta diversity: pairwise distances between samples.

Every metric returns a symmetric ``(n_samples, n_samples)`` ``float64`` matrix with an exact
zero diagonal. Counts are ``(n_samples, n_taxa)``, dense or scipy sparse.

The kernels are algebra over the columns (taxa or branches) instead of loops over sample
pairs. Every metric reduces to one of two pairwise sums over columns,

- a Gram matrix ``G[i, j] = sum_k w_k x_ik x_jk`` (Jaccard and unweighted UniFrac on 0/1
  presence, Aitchison on the sparse part of the CLR), or
- a sum of minima ``S[i, j] = sum_k min(x_ik, x_jk)`` (Bray--Curtis and weighted UniFrac,
  through ``|u - v| = u + v - 2 min(u, v)``),

and only columns present in *both* samples contribute. Each column is routed by its
prevalence (number of samples ``c_k`` where it is nonzero, out of ``n``) to the cheapest
kernel:

- **pairs** (rare columns): the ``c_k (c_k - 1) / 2`` co-occurring sample pairs are
  enumerated row by row (for sample i, the samples j > i of column k are the entries after
  (i, k) in the sorted CSC column) and accumulated into row i of the result with
  ``np.bincount``, a cache-resident scatter; cost ``~10 ns * c_k**2 / 2``;
- **complement pairs** (0/1 columns present almost everywhere): ``b_i b_j = 1 - a_i - a_j +
  a_i a_j`` with ``a = 1 - b`` rare, so the pair kernel runs on the absences;
- **dense**: BLAS ``syrk`` for Gram matrices (float32 when that is exact, else float64); for
  sums of minima, either one sample at a time against the contiguous rows of the transposed
  table restricted to its own nonzero columns (``~1 ns * c_k n / 2``; float32 when exact), or,
  for columns present in at least half of the samples, blocks of 16 samples against all
  later samples restricted to the columns present in the block (no per-sample gather).

UniFrac first forms branch abundances ``A = X @ M`` with ``M`` the sparse taxon-by-branch
incidence (:func:`holobiont.core.tree.branch_incidence`), keeping branches of positive length.
Temporary memory is bounded by ``block_size`` elements per thread, on top of the ``n x n``
result (computed in place), the branch abundance matrix and a dense copy of the columns
handled by the dense min kernels (float32 when exact).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from holobiont.core._validate import as_counts, choose, format_names

__all__ = ["METRICS", "PHYLOGENETIC_METRICS", "REPLACEMENTS", "beta_diversity"]

METRICS: tuple[str, ...] = (
    "braycurtis",
    "jaccard",
    "aitchison",
    "unweighted_unifrac",
    "weighted_normalized_unifrac",
    "weighted_unifrac",
)
"""Names accepted by :func:`beta_diversity`."""

PHYLOGENETIC_METRICS: tuple[str, ...] = (
    "unweighted_unifrac",
    "weighted_normalized_unifrac",
    "weighted_unifrac",
)
"""Metrics that need ``taxa`` and ``tree``."""

REPLACEMENTS: tuple[str, ...] = ("multiplicative", "pseudocount")
"""Zero-replacement strategies for ``"aitchison"``."""

_DEFAULT_BLOCK = 1 << 22  # elements per temporary block (32 MiB of float64)


def beta_diversity(
    metric: str,
    counts: object,
    *,
    taxa: Sequence[str] | None = None,
    tree: object | None = None,
    replacement: str = "multiplicative",
    pseudocount: float = 1.0,
    delta: float | None = None,
    block_size: int = _DEFAULT_BLOCK,
    threads: int = 1,
) -> np.ndarray:
    r"""Pairwise beta diversity between samples.

    Parameters
    ----------
    metric : str
        One of :data:`METRICS`: ``"braycurtis"``, ``"jaccard"``, ``"aitchison"``,
        ``"unweighted_unifrac"``, ``"weighted_normalized_unifrac"``, ``"weighted_unifrac"``.
    counts : array_like, scipy sparse array/matrix or holobiont.core.table.FeatureTable
        Non-negative finite counts (or abundances), shape ``(n_samples, n_taxa)``.
    taxa : sequence of str, length n_taxa, optional
        Taxon IDs of the columns; required by the UniFrac metrics (taken from a FeatureTable
        when one is given). Must be unique.
    tree : holobiont.core.tree.Tree or str or path-like, optional
        Rooted tree for the UniFrac metrics (Newick text or a file is read with
        :func:`holobiont.core.tree.read_newick`). Every taxon must be a tip; extra tips are
        allowed. The tree is used as rooted at its stored root (see
        :func:`holobiont.core.tree.midpoint_root` for unrooted trees).
    replacement : {"multiplicative", "pseudocount"}, optional
        Aitchison only: how zeros are replaced before the CLR (see Notes).
    pseudocount : float, optional
        Aitchison with ``replacement="pseudocount"``: added to every count (default 1.0).
    delta : float, optional
        Aitchison with ``replacement="multiplicative"``: value of a replaced zero proportion
        (default ``1 / n_taxa**2``).
    block_size : int, optional
        Maximum number of elements of a temporary block per thread; bounds the extra memory
        (default ``2**22``: 32 MiB of float64).
    threads : int, optional
        Threads for the row kernels (pairs and sums of minima; default 1). ``None`` uses the
        CPUs available to the process. BLAS keeps its own threading. The result does not
        depend on the number of threads (each entry is computed by one thread in a fixed
        order).

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, n_samples)
        Symmetric distance matrix with a zero diagonal.

    Raises
    ------
    ValueError
        Unknown metric or replacement (the known names are listed); invalid counts; UniFrac
        without taxa or tree, with duplicated taxa or tip names, or with taxa absent from the
        tree (the first 10 are listed, with the total); Aitchison with multiplicative
        replacement and an all-zero sample (named); a non-positive pseudocount, delta or
        block size.

    Notes
    -----
    With :math:`u, v` two samples, :math:`T_u = \sum_k u_k` and :math:`U = \{k: u_k > 0\}`:

    - ``braycurtis``: :math:`\sum_k |u_k - v_k| / \sum_k (u_k + v_k) =
      1 - 2 \sum_k \min(u_k, v_k) / (T_u + T_v)` [1]_. **Two empty samples: 0** (scipy and
      scikit-bio return ``nan``); one empty sample: 1. Equal to ``scipy``'s (hence
      scikit-bio's) value otherwise, bit for bit on integer counts.
    - ``jaccard`` on presence/absence (scikit-bio passes ``counts > 0`` to scipy) [2]_:
      :math:`1 - |U \cap V| / |U \cup V|`; two empty samples: 0 (as scipy).
    - ``aitchison`` [3]_: Euclidean distance between :math:`\mathrm{clr}(r(u))` and
      :math:`\mathrm{clr}(r(v))`, with :math:`\mathrm{clr}(x)_k = \ln x_k - \frac1D
      \sum_l \ln x_l` and the zero replacement :math:`r`: multiplicative replacement
      (default) :math:`r_k = \delta` if :math:`u_k = 0`, else
      :math:`(1 - z\delta)\,u_k/T_u` with :math:`z` the number of zeros
      (``skbio.stats.composition.multi_replace``; an all-zero sample has no composition and
      raises), or :math:`r_k = u_k + \text{pseudocount}` (an all-zero sample is then the
      centre of the simplex, CLR 0). scikit-bio 0.7.4 has no ``"aitchison"`` beta metric;
      this equals its ``"euclidean"`` on ``clr(multi_replace(counts))``. Computed from the
      sparse part :math:`s_k = \ln r_k - \ln r_0` (zero where :math:`u_k = 0`) as
      :math:`d^2 = |s_u - s_v|^2 - D(\bar s_u - \bar s_v)^2`; pairs with
      :math:`d^2 \le 10^{-4}` of their squared CLR norms are recomputed directly.
    - ``unweighted_unifrac`` [4]_: with :math:`l_b` the branch lengths and :math:`U_b` the
      presence of any taxon below branch :math:`b` in :math:`u`,
      :math:`\sum_b l_b [U_b \ne V_b] / \sum_b l_b [U_b \lor V_b]`; 0 when the denominator
      is 0, so two empty samples give 0 (as scikit-bio).
    - ``weighted_unifrac`` (unnormalised; scikit-bio's default for that name) [5]_:
      :math:`\sum_b l_b |u_b/T_u - v_b/T_v|`, with :math:`u_b` the count below branch
      :math:`b`; an empty sample has all proportions 0 (as scikit-bio).
    - ``weighted_normalized_unifrac`` [5]_: the above divided by
      :math:`\sum_t d_t (u_t/T_u + v_t/T_v) = \sum_b l_b (u_b/T_u + v_b/T_v)`
      (:math:`d_t` the root-to-tip distance); two empty samples give 0 (as scikit-bio), one
      empty sample 1.

    The root's branch length is ignored (:class:`holobiont.core.tree.Tree` stores it as 0).
    Values are clipped at 0 (rounding could otherwise give ``-1e-17``).

    References
    ----------
    .. [1] Bray, J. R. & Curtis, J. T. (1957). An ordination of the upland forest
       communities of southern Wisconsin. Ecological Monographs, 27(4), 325-349.
    .. [2] Jaccard, P. (1912). The distribution of the flora in the alpine zone.
       New Phytologist, 11(2), 37-50.
    .. [3] Aitchison, J., Barceló-Vidal, C., Martín-Fernández, J. A. &
       Pawlowsky-Glahn, V. (2000). Logratio analysis and compositional distance.
       Mathematical Geology, 32(3), 271-275.
    .. [4] Lozupone, C. & Knight, R. (2005). UniFrac: a new phylogenetic method for
       comparing microbial communities. Applied and Environmental Microbiology, 71(12),
       8228-8235.
    .. [5] Lozupone, C. A., Hamady, M., Kelley, S. T. & Knight, R. (2007). Quantitative
       and qualitative beta diversity measures lead to different insights into factors
       that structure microbial communities. Applied and Environmental Microbiology,
       73(5), 1576-1585.

    Examples
    --------
    >>> x = [[1, 2, 0], [3, 0, 1], [0, 0, 0]]
    >>> beta_diversity("braycurtis", x).round(4).tolist()
    [[0.0, 0.7143, 1.0], [0.7143, 0.0, 1.0], [1.0, 1.0, 0.0]]
    >>> beta_diversity("jaccard", x).round(4).tolist()
    [[0.0, 0.6667, 1.0], [0.6667, 0.0, 1.0], [1.0, 1.0, 0.0]]
    >>> beta_diversity("aitchison", [[1, 2, 4], [4, 2, 1]]).round(4).tolist()
    [[0.0, 1.9605], [1.9605, 0.0]]
    >>> from holobiont.core.tree import read_newick
    >>> tree = read_newick("((a:1,b:2):0.5,c:3);")
    >>> beta_diversity("unweighted_unifrac", x[:2], taxa=["a", "b", "c"], tree=tree).round(4)
    array([[0.    , 0.7692],
           [0.7692, 0.    ]])
    >>> beta_diversity("bray", x)
    Traceback (most recent call last):
    ...
    ValueError: unknown metric 'bray'; known: 'braycurtis', 'jaccard', 'aitchison', 'unweighted_unifrac', 'weighted_normalized_unifrac', 'weighted_unifrac'
    """
    choose(metric, METRICS, "metric")
    block_size = int(block_size)
    if block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}.")
    threads = _n_threads(threads)
    counts, taxa, sample_ids = _unwrap(counts, taxa)
    n_samples, n_taxa = counts.shape
    if metric in PHYLOGENETIC_METRICS:
        incidence, lengths = _phylo_inputs(n_taxa, taxa, tree)
    elif metric == "aitchison":
        choose(replacement, REPLACEMENTS, "replacement")
        if replacement == "pseudocount" and not (np.isfinite(pseudocount) and pseudocount > 0):
            raise ValueError(f"pseudocount must be positive and finite, got {pseudocount!r}.")
        if delta is not None and not (np.isfinite(delta) and delta > 0):
            raise ValueError(f"delta must be a positive finite number, got {delta!r}.")
    if n_samples == 0:
        return np.zeros((0, 0))
    x = _as_csr(counts)
    if metric == "braycurtis":
        return _braycurtis(x, block_size, threads)
    if metric == "jaccard":
        return _jaccard(x, block_size, threads)
    if metric == "aitchison":
        return _aitchison(x, replacement, pseudocount, delta, block_size, sample_ids, threads)
    keep = np.flatnonzero(lengths > 0)  # zero-length branches never contribute
    abundance = sp.csr_array(x @ sp.csc_array(incidence)[:, keep])  # (n, branches)
    lengths = lengths[keep]
    if metric == "unweighted_unifrac":
        return _unweighted_unifrac(abundance, lengths, block_size, threads)
    total = np.asarray(x.sum(axis=1)).ravel()
    normalized = metric == "weighted_normalized_unifrac"
    return _weighted_unifrac(abundance, total, lengths, normalized, block_size, threads)


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------


def _n_threads(threads: int | None) -> int:
    if threads is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not on Linux
            return max(1, os.cpu_count() or 1)
    threads = int(threads)
    if threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}.")
    return threads


def _unwrap(counts: object, taxa: Sequence[str] | None):
    from holobiont.core.table import FeatureTable

    if isinstance(counts, FeatureTable):
        if taxa is not None and tuple(taxa) != counts.taxa:
            raise ValueError("taxa differ from the FeatureTable's taxa.")
        return counts.counts, counts.taxa, counts.sample_ids
    return as_counts(counts), taxa, None


def _as_csr(counts) -> sp.csr_array:
    """Canonical float64 CSR (sorted indices, no explicit zeros) of validated counts."""
    if sp.issparse(counts):
        out = sp.csr_array(counts, dtype=np.float64)
        out.eliminate_zeros()
        out.sort_indices()
        return out
    x = np.asarray(counts)
    n, m = x.shape
    mask = x != 0
    flat = np.flatnonzero(mask)  # faster on a bool mask than on the values
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(mask.sum(axis=1), out=indptr[1:])
    data = x.reshape(-1)[flat].astype(np.float64, copy=False)
    return sp.csr_array((data, flat % max(m, 1), indptr), shape=(n, m))


def _phylo_inputs(n_taxa: int, taxa, tree) -> tuple[sp.csr_array, np.ndarray]:
    from holobiont.core.tree import phylogenetic_inputs

    tree, incidence, lengths = phylogenetic_inputs(n_taxa, taxa, tree, metric="UniFrac")
    if np.any(lengths < 0):
        raise ValueError("UniFrac needs non-negative branch lengths.")
    return incidence, lengths


# --------------------------------------------------------------------------------------------
# metrics (inputs validated; x is a canonical float64 CSR matrix)
# --------------------------------------------------------------------------------------------


def _row_blocks(n: int, block_size: int):
    """Row ranges covering ``range(n)`` with about ``block_size`` matrix elements each."""
    step = max(1, block_size // max(n, 1))
    for i0 in range(0, n, step):
        yield i0, min(n, i0 + step)


def _finish(d: np.ndarray, block_size: int) -> np.ndarray:
    """In place: clip the strict upper triangle at 0, mirror it, zero the diagonal."""
    n = d.shape[0]
    for i0, i1 in _row_blocks(n, block_size):
        np.maximum(d[i0:i1, i0:], 0.0, out=d[i0:i1, i0:])
        diag = np.triu(d[i0:i1, i0:i1], 1)
        d[i0:i1, i0:i1] = diag + diag.T
        d[i1:, i0:i1] = d[i0:i1, i1:].T
    return d


def _distance_from_similarity(
    sim: np.ndarray, a: np.ndarray, block_size: int, normalized: bool = True
) -> np.ndarray:
    """In place on the upper triangle: ``(a_i + a_j - 2 sim) / (a_i + a_j)`` (0 if the
    denominator is 0), or the numerator only; then :func:`_finish`."""
    for i0, i1 in _row_blocks(sim.shape[0], block_size):
        den = a[i0:i1, None] + a[None, :]
        blk = sim[i0:i1]
        blk *= -2.0
        blk += den
        if normalized:
            np.divide(blk, den, out=blk, where=den > 0)
            blk[den <= 0] = 0.0
    return _finish(sim, block_size)


def _braycurtis(x: sp.csr_array, block_size: int, threads: int) -> np.ndarray:
    total = np.asarray(x.sum(axis=1)).ravel()
    s = _sum_min(x, block_size, threads)
    return _distance_from_similarity(s, total, block_size)


def _jaccard(x: sp.csr_array, block_size: int, threads: int = 1) -> np.ndarray:
    pres = sp.csr_array((np.ones_like(x.data), x.indices, x.indptr), shape=x.shape)
    shared = _presence_gram(pres, None, block_size, threads=threads)
    size = np.diff(pres.indptr).astype(np.float64)
    return _presence_distance(shared, size, block_size)


def _presence_distance(shared: np.ndarray, size: np.ndarray, block_size: int) -> np.ndarray:
    """``(union - shared) / union``, ``union = size_i + size_j - shared`` (0 if union is 0)."""
    for i0, i1 in _row_blocks(shared.shape[0], block_size):
        blk = shared[i0:i1]
        union = size[i0:i1, None] + size[None, :] - blk
        np.subtract(union, blk, out=blk)  # branches (taxa) in exactly one sample
        np.divide(blk, union, out=blk, where=union > 0)
        blk[union <= 0] = 0.0
    return _finish(shared, block_size)


def _unweighted_unifrac(
    abundance: sp.csr_array, lengths: np.ndarray, block_size: int, threads: int = 1
):
    pres = sp.csr_array(
        (np.ones_like(abundance.data), abundance.indices, abundance.indptr), shape=abundance.shape
    )
    shared = _presence_gram(pres, lengths, block_size, threads=threads)
    return _presence_distance(shared, pres @ lengths, block_size)


def _weighted_unifrac(
    abundance: sp.csr_array,
    total: np.ndarray,
    lengths: np.ndarray,
    normalized: bool,
    block_size: int,
    threads: int,
) -> np.ndarray:
    n = abundance.shape[0]
    scale = np.divide(1.0, total, out=np.zeros(n), where=total > 0)
    # w[i, b] = l_b * u_b / T_u  (zero-length branches were dropped from the incidence)
    rows = np.repeat(np.arange(n), np.diff(abundance.indptr))
    w = sp.csr_array(
        (
            abundance.data * scale[rows] * lengths[abundance.indices],
            abundance.indices,
            abundance.indptr,
        ),
        shape=abundance.shape,
    )
    g = np.asarray(w.sum(axis=1)).ravel()  # sum_b l_b u_b / T_u
    s = _sum_min(w, block_size, threads)
    return _distance_from_similarity(s, g, block_size, normalized)


def _aitchison(
    x: sp.csr_array,
    replacement: str,
    pseudocount: float,
    delta: float | None,
    block_size: int,
    sample_ids: Sequence[str] | None,
    threads: int = 1,
) -> np.ndarray:
    n, m = x.shape
    nnz = np.diff(x.indptr)
    rows = np.repeat(np.arange(n), nnz)
    if replacement == "multiplicative":
        total = np.asarray(x.sum(axis=1)).ravel()
        empty = np.flatnonzero(total == 0)
        if empty.size:
            names = [sample_ids[i] for i in empty] if sample_ids else [f"row {i}" for i in empty]
            raise ValueError(
                "multiplicative replacement needs non-empty samples; all-zero: "
                f"{format_names(names)}"
            )
        delta = (1.0 / m) ** 2 if delta is None else float(delta)
        keep_mass = 1.0 - (m - nnz) * delta
        if np.any(keep_mass < 0):
            raise ValueError(
                "multiplicative replacement created negative proportions; use a smaller delta."
            )
        # s = ln r - ln delta on the nonzero entries, 0 elsewhere
        vals = np.log(keep_mass[rows] * x.data / total[rows]) - np.log(delta)
    else:
        vals = np.log(x.data + pseudocount) - np.log(pseudocount)
    s = sp.csr_array((vals, x.indices, x.indptr), shape=x.shape)
    mean = np.asarray(s.sum(axis=1)).ravel() / m  # mean of s over all m taxa
    sq = np.asarray(s.multiply(s).sum(axis=1)).ravel()
    d2 = _product_gram(
        s, block_size, threads=threads
    )  # upper triangle of s s^T, turned into d^2 in place
    # d^2 = |s_i|^2 + |s_j|^2 - 2 s_i.s_j - m (mean_i - mean_j)^2, and |clr_i|^2 =
    # |s_i|^2 - m mean_i^2; pairs with d^2 <= 1e-4 (|clr_i|^2 + |clr_j|^2) are recomputed
    # directly, where the identity cancels
    norm2 = sq - m * mean**2
    close_i, close_j = [np.zeros(0, np.intp)], [np.zeros(0, np.intp)]
    for i0, i1 in _row_blocks(n, block_size):
        blk = d2[i0:i1]
        blk *= -2.0
        blk += sq[i0:i1, None] + sq[None, :]
        blk -= m * (mean[i0:i1, None] - mean[None, :]) ** 2
        close = blk[:, i0:] <= 1e-4 * (norm2[i0:i1, None] + norm2[None, i0:])
        close[:, : i1 - i0] &= np.triu(np.ones((i1 - i0, i1 - i0), dtype=bool), 1)
        if close.any():
            ii, jj = np.nonzero(close)
            close_i.append(ii + i0)
            close_j.append(jj + i0)
    ii, jj = np.concatenate(close_i), np.concatenate(close_j)
    step = max(1, block_size // max(m, 1))
    for p0 in range(0, ii.shape[0], step):
        i, j = ii[p0 : p0 + step], jj[p0 : p0 + step]
        diff = (s[i] - s[j]).toarray() - (mean[i] - mean[j])[:, None]
        d2[i, j] = np.einsum("ij,ij->i", diff, diff)
    for i0, i1 in _row_blocks(n, block_size):
        np.maximum(d2[i0:i1], 0.0, out=d2[i0:i1])
        np.sqrt(d2[i0:i1], out=d2[i0:i1])
    return _finish(d2, block_size)


# --------------------------------------------------------------------------------------------
# pair kernels
# --------------------------------------------------------------------------------------------


# Per-element costs (ns, one core, numpy 2.4) behind the kernel choice; they only move the
# switch points between kernels, never the results.
_PAIR_NS = 10.0  # one enumerated sample pair (gather, combine, scatter into a row)
_MIN_NS = 1.0  # one element of the one-sided min kernel while the table fits in cache
_MIN_NS_LARGE = 2.0  # ... and beyond (n >= 3000)
_SYRK32_NS = 0.04  # one multiply-add of float32 syrk
_SYRK64_NS = 0.08  # ... of float64 syrk


def _pairs_threshold_min(n: int) -> int:
    """Prevalence below which pairs beat the one-sided min kernel: ``10 c**2 / 2`` against
    ``dense_ns * c * n / 2`` ns per column."""
    dense_ns = _MIN_NS if n < 3000 else _MIN_NS_LARGE
    return max(2, int(n * dense_ns / _PAIR_NS))


def _pairs_threshold_gram(n: int, syrk_ns: float) -> int:
    """Prevalence below which pairs beat syrk: ``10 c**2 / 2`` against ``syrk_ns n**2 / 2``."""
    return max(2, int(n * np.sqrt(syrk_ns / _PAIR_NS)))


def _add_pairs(
    csc: sp.csc_array,
    cols: np.ndarray,
    out: np.ndarray,
    block_size: int,
    combine: Callable[[np.ndarray, np.ndarray], np.ndarray],
    threads: int = 1,
) -> None:
    """``out[i, j] += combine(x_ik, x_jk)`` for i < j both nonzero in column k, k in cols.

    Row-wise enumeration: for sample i and each of its columns k, the samples j > i present
    in k are the entries after (i, k) in k's (sorted) CSC column, so the pairs of row i are
    a concatenation of CSC ranges; their contributions are accumulated into the row
    ``out[i]`` with one ``np.bincount`` (a cache-resident scatter), ``block_size`` pairs at
    a time. Total work: ``sum_k c_k (c_k - 1) / 2`` pairs.
    """
    if cols.size == 0:
        return
    sub = sp.csc_array(csc[:, cols])
    sub.sort_indices()
    rows = sp.csr_array(sub)
    rows.sort_indices()
    # position in `sub` (CSC) of every CSR entry
    ids = sp.csr_array(
        (np.arange(rows.nnz, dtype=np.int64), rows.indices, rows.indptr), shape=rows.shape
    ).tocsc()
    ids.sort_indices()
    pos = np.empty(rows.nnz, dtype=np.int64)
    pos[ids.data] = np.arange(rows.nnz)
    state = (rows, sub, pos, combine)
    _run_rows(_pairs_rows, state, list(range(out.shape[0] - 1)), out, block_size, threads)


def _pairs_rows(state, out: np.ndarray, starts: list[int], block_size: int) -> None:
    rows, sub, pos, combine = state
    n = out.shape[0]
    indptr, indices, data = rows.indptr, rows.indices, rows.data
    cptr, cind, cdat = sub.indptr, sub.indices, sub.data
    for i in starts:
        a, b = indptr[i], indptr[i + 1]
        if a == b:
            continue
        p = pos[a:b]
        lens = cptr[indices[a:b] + 1] - p - 1  # entries after (i, k): samples j > i
        csum = np.cumsum(lens)
        total = int(csum[-1])
        if total == 0:
            continue
        if total <= block_size:
            chunks = [(0, b - a)]
        else:
            cuts = np.searchsorted(csum, np.arange(block_size, total, block_size), "right")
            bounds = [0, *cuts.tolist(), b - a]
            chunks = list(zip(bounds[:-1], bounds[1:], strict=True))
        for e0, e1 in chunks:
            ln = lens[e0:e1]
            cs = np.cumsum(ln)
            tot = int(cs[-1]) if ln.size else 0
            if tot == 0:
                continue
            offs = np.repeat(p[e0:e1] + 1 - cs + ln, ln) + np.arange(tot)
            vals = combine(cdat[offs], np.repeat(data[a + e0 : a + e1], ln))
            out[i] += np.bincount(cind[offs], vals, minlength=n)


def _syrk_lower(a: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """``out + a @ a.T`` (lower triangle, Fortran order) with BLAS syrk; ``a`` is (n, k)."""
    a = np.asfortranarray(a)
    fn = blas.ssyrk if a.dtype == np.float32 else blas.dsyrk
    if out is None:
        return fn(1.0, a, lower=1)
    return fn(1.0, a, beta=1.0, c=out, lower=1, overwrite_c=True)


def _dense_columns(csc: sp.csc_array, cols: np.ndarray, dtype, scale=None) -> np.ndarray:
    """Fortran-ordered dense ``X[:, cols] * scale`` built by one scatter (no scipy detour)."""
    n = csc.shape[0]
    out = np.zeros((n, cols.shape[0]), dtype=dtype, order="F")
    starts, stops = csc.indptr[cols], csc.indptr[cols + 1]
    counts = stops - starts
    pos = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    local = np.repeat(np.arange(cols.shape[0]), counts)
    vals = csc.data[pos] if scale is None else csc.data[pos] * scale[local]
    out.reshape(-1, order="F")[local * n + csc.indices[pos]] = vals
    return out


def _dense_gram(
    csc: sp.csc_array, cols: np.ndarray, dtype, block_size: int, scale=None
) -> np.ndarray:
    """Upper triangle of ``Y @ Y.T`` with ``Y = X[:, cols] * scale``, C-contiguous float64.

    syrk accumulates the lower triangle in Fortran order over column blocks; its transpose
    is the C-ordered upper triangle, with no copy in float64.
    """
    n = csc.shape[0]
    width = max(1, block_size // max(n, 1))
    out = None
    for c0 in range(0, cols.shape[0], width):
        sc = None if scale is None else scale[c0 : c0 + width]
        out = _syrk_lower(_dense_columns(csc, cols[c0 : c0 + width], dtype, sc), out)
    if out is None:
        return np.zeros((n, n))
    return np.ascontiguousarray(out.T, dtype=np.float64)


def _scale_columns(csc: sp.csc_array, w: np.ndarray) -> sp.csc_array:
    col = np.repeat(np.arange(csc.shape[1]), np.diff(csc.indptr))
    return sp.csc_array((csc.data * w[col], csc.indices, csc.indptr), shape=csc.shape)


def _product_gram(
    x: sp.csr_array, block_size: int, thr: int | None = None, threads: int = 1
) -> np.ndarray:
    """Strict upper triangle of ``x @ x.T`` (float64); the rest of the matrix is garbage."""
    n = x.shape[0]
    csc = sp.csc_array(x)
    csc.sort_indices()
    c = np.diff(csc.indptr)
    if thr is None:
        thr = _pairs_threshold_gram(n, _SYRK64_NS)
    out = _dense_gram(csc, np.flatnonzero(c >= thr), np.float64, block_size)
    rare = np.flatnonzero((c >= 2) & (c < thr))
    _add_pairs(csc, rare, out, block_size, np.multiply, threads)
    return out


def _presence_gram(
    pres: sp.csr_array,
    w: np.ndarray | None,
    block_size: int,
    thr: int | None = None,
    threads: int = 1,
) -> np.ndarray:
    """Strict upper triangle of ``B diag(w) B.T`` for a 0/1 matrix B (n, k).

    Rare columns: pairs of co-present samples. Columns absent from few samples: with
    ``a = 1 - b``, ``b_i b_j = 1 - a_i - a_j + a_i a_j``, pairs of co-absent samples. Other
    columns: syrk, in float32 without weights (integer counts below 2**24 are exact).
    """
    n, k = pres.shape
    csc = sp.csc_array(pres)
    csc.sort_indices()
    c = np.diff(csc.indptr)
    w = np.ones(k) if w is None else np.asarray(w, dtype=np.float64)
    exact32 = bool(np.all(w == 1.0)) and k < (1 << 24)
    if thr is None:
        thr = _pairs_threshold_gram(n, _SYRK32_NS if exact32 else _SYRK64_NS)
    partial = (c >= 2) & (c < n)
    rare_mask = partial & (c < thr) & (c <= n - c)
    absent_mask = partial & (n - c < thr) & (n - c < c)
    rare = np.flatnonzero(rare_mask)
    absent_few = np.flatnonzero(absent_mask)
    dense = np.flatnonzero(partial & ~rare_mask & ~absent_mask)
    full = np.flatnonzero(c == n)
    if exact32:
        out = _dense_gram(csc, dense, np.float32, block_size)
    else:
        out = _dense_gram(csc, dense, np.float64, block_size, scale=np.sqrt(w[dense]))
    _add_pairs(_scale_columns(csc, w), rare, out, block_size, np.minimum, threads)
    out += float(w[full].sum())
    if absent_few.size:
        absent = _scale_columns(_complement(csc, absent_few, block_size), w[absent_few])
        r = np.asarray(absent.sum(axis=1)).ravel()
        const = float(w[absent_few].sum())
        for i0, i1 in _row_blocks(n, block_size):
            out[i0:i1] += const - r[i0:i1, None] - r[None, :]
        _add_pairs(absent, np.arange(absent_few.size), out, block_size, np.minimum, threads)
    return out


def _complement(csc: sp.csc_array, cols: np.ndarray, block_size: int) -> sp.csc_array:
    """0/1 complement of the 0/1 columns ``cols`` of ``csc`` (sorted indices)."""
    n = csc.shape[0]
    width = max(1, block_size // max(n, 1))
    indices, counts = [], []
    for c0 in range(0, cols.shape[0], width):
        absent = _dense_columns(csc, cols[c0 : c0 + width], bool) == 0  # (n, w), F order
        local, rows = np.nonzero(absent.T)  # column-major order: sorted rows per column
        indices.append(rows)
        counts.append(np.bincount(local, minlength=absent.shape[1]))
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))])
    ind = np.concatenate(indices)
    return sp.csc_array((np.ones(ind.shape[0]), ind, indptr), shape=(n, cols.shape[0]))


# --------------------------------------------------------------------------------------------
# sum of minima: S[i, j] = sum_k min(x_ik, x_jk)
# --------------------------------------------------------------------------------------------


def _sum_min(x: sp.csr_array, block_size: int, threads: int = 1, thr_pairs=None, thr_block=None):
    """Strict upper triangle of ``S[i, j] = sum_k min(x[i, k], x[j, k])`` for x >= 0.

    Rare columns go to :func:`_add_pairs`; intermediate columns to
    :func:`_min_onesided`; columns present in at least half of the samples to
    :func:`_min_blocked`. The rest of the returned matrix is garbage.
    """
    n = x.shape[0]
    out = np.zeros((n, n))
    if n < 2 or x.nnz == 0:
        return out
    csc = sp.csc_array(x)
    csc.sort_indices()
    c = np.diff(csc.indptr)
    if thr_pairs is None:
        thr_pairs = _pairs_threshold_min(n)
    if thr_block is None:
        thr_block = max(thr_pairs, int(0.5 * n))
    rare = np.flatnonzero((c >= 2) & (c < thr_pairs))
    middle = np.flatnonzero((c >= thr_pairs) & (c < thr_block))
    common = np.flatnonzero(c >= thr_block)
    if middle.size:
        sub = sp.csr_array(csc[:, middle])
        state = (sub, *_dense_transposed(sub))
        _run_rows(_min_onesided, state, list(range(n - 1)), out, block_size, threads)
    if common.size:
        sub = sp.csr_array(csc[:, common])
        xt, acc = _dense_transposed(sub)
        state = (xt, xt > 0, acc)
        starts = list(range(0, n - 1, _BLOCK_ROWS))
        _run_rows(_min_blocked, state, starts, out, block_size, threads)
    _add_pairs(csc, rare, out, block_size, np.minimum, threads)
    return out


def _run_rows(kernel, state, starts: list[int], out: np.ndarray, block_size: int, threads: int):
    """Run ``kernel(state, out, starts, block_size)`` over interleaved parts of ``starts``.

    Each part writes disjoint rows of ``out``, so threads need no locking, and every entry
    is computed in the same order whatever the number of threads.
    """
    if threads <= 1 or len(starts) < 2:
        kernel(state, out, starts, block_size)
        return
    parts = [starts[t::threads] for t in range(threads)]
    with ThreadPoolExecutor(threads) as ex:
        futures = [ex.submit(kernel, state, out, part, block_size) for part in parts if part]
        for f in futures:
            f.result()


def _dense_transposed(x: sp.csr_array) -> tuple[np.ndarray, type | None]:
    """(m, n) dense transpose in the narrowest exact type, and the accumulator type.

    Integer values below 2**16 with row totals below 2**32 are stored as uint16 and summed
    in uint32; other integer data with row totals below 2**24 as float32 (all partial sums
    of minima are integers below 2**24, hence exact); anything else as float64.
    """
    data = x.data
    integral = data.size == 0 or bool(np.all(data == np.round(data)))
    top = float(x.sum(axis=1).max()) if data.size else 0.0
    if integral and (data.max(initial=0) < (1 << 16)) and top < 2.0**32:
        dtype, acc = np.uint16, np.uint32
    elif integral and top < 2.0**24:
        dtype, acc = np.float32, None
    else:
        dtype, acc = np.float64, None
    n, m = x.shape
    xt = np.zeros((m, n), dtype=dtype)
    rows = np.repeat(np.arange(n), np.diff(x.indptr))
    xt.reshape(-1)[x.indices.astype(np.intp) * n + rows] = data
    return xt, acc


def _min_onesided(state, out: np.ndarray, starts: list[int], block_size: int) -> None:
    """For each sample i in ``starts``: out[i, j>i] += sum over K_i of min(x_ik, x_jk).

    The rows ``K_i`` (nonzero columns of sample i) of the transposed table are gathered
    for a chunk of samples j, clipped at ``x_i`` and summed over ``K_i``. Samples j are
    processed in chunks whose slice of the transposed table stays in cache (~4 MiB).
    """
    x, xt, acc = state
    n = x.shape[0]
    indptr, indices = x.indptr, x.indices
    width = max(512, (4 << 20) // max(1, xt.shape[0] * xt.itemsize))
    for j0 in range(0, n, width):
        j1 = min(n, j0 + width)
        for i in starts:
            if i >= j1 - 1:
                break
            k = indices[indptr[i] : indptr[i + 1]]
            if k.size == 0:
                continue
            xi = xt[k, i][:, None]
            step = max(1, block_size // k.size)
            for c0 in range(max(i + 1, j0), j1, step):
                c1 = min(j1, c0 + step)
                blk = xt[k, c0:c1]  # row gather (a fresh array is faster than take(out=))
                np.minimum(blk, xi, out=blk)
                out[i, c0:c1] += blk.sum(axis=0, dtype=acc)


_BLOCK_ROWS = 16


def _min_blocked(state, out: np.ndarray, starts: list[int], block_size: int) -> None:
    """For blocks I of 16 samples: out[I, j>=i0] += sum over K_I of min(x_Ik, x_jk).

    ``K_I`` are the columns present in any sample of the block. The rows ``K_I`` of the
    transposed table for samples j >= i0 are gathered once per block and transposed, then
    ``(16, chunk, |K_I|)`` minima are reduced over the contiguous last axis.
    """
    xt, present, acc = state
    m, n = xt.shape
    buf = np.empty(min(max(block_size, _BLOCK_ROWS * m), _BLOCK_ROWS * n * m), dtype=xt.dtype)
    for i0 in starts:
        i1 = min(n, i0 + _BLOCK_ROWS)
        k = np.flatnonzero(present[:, i0:i1].any(axis=1))
        if k.size == 0:
            continue
        sub = np.ascontiguousarray(xt[k, i0:].T)  # (n - i0, |K|): samples j >= i0 on rows
        a = sub[: i1 - i0, None, :]
        bj = max(1, block_size // ((i1 - i0) * k.size))
        for j0 in range(0, n - i0, bj):
            j1 = min(n - i0, j0 + bj)
            blk = buf[: (i1 - i0) * (j1 - j0) * k.size].reshape(i1 - i0, j1 - j0, k.size)
            np.minimum(a, sub[None, j0:j1, :], out=blk)
            out[i0:i1, i0 + j0 : i0 + j1] += blk.sum(axis=-1, dtype=acc)
