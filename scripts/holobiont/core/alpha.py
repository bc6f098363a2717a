"""Alpha diversity: one number per sample, vectorised over all samples at once.

Every metric matches the scikit-bio 0.7.4 function of the same meaning (``sobs``,
``shannon``, ``simpson``, ``pielou_e``, ``chao1``, ``goods_coverage``, ``faith_pd``), including
its value for edge cases (all-zero sample, one taxon, one individual); see
:func:`alpha_diversity`.

Examples
--------
>>> import numpy as np
>>> from holobiont.core.alpha import alpha_diversity
>>> alpha_diversity("observed", np.array([[1, 0, 3], [0, 0, 0]])).tolist()
[2.0, 0.0]
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from holobiont.core._validate import as_counts, choose
from holobiont.core.table import FeatureTable
from holobiont.core.tree import _root_depth, _root_distance, check_phylogenetic

__all__ = ["METRICS", "alpha_diversity"]

#: Names accepted by :func:`alpha_diversity`.
METRICS: tuple[str, ...] = (
    "observed",
    "shannon",
    "simpson",
    "pielou",
    "chao1",
    "goods_coverage",
    "faith_pd",
)


def alpha_diversity(
    metric: str,
    counts: FeatureTable | np.ndarray | sp.sparray | sp.spmatrix,
    *,
    taxa: Sequence[str] | None = None,
    tree: object | None = None,
    base: float | None = None,
) -> np.ndarray:
    r"""Compute an alpha diversity metric for every sample.

    Parameters
    ----------
    metric : str
        One of :data:`METRICS`: ``"observed"``, ``"shannon"``, ``"simpson"``, ``"pielou"``,
        ``"chao1"``, ``"goods_coverage"``, ``"faith_pd"``.
    counts : FeatureTable or array_like or scipy sparse, shape (n_samples, n_taxa)
        Non-negative counts. ``"chao1"`` and ``"goods_coverage"`` count singletons and
        doubletons, so they are meant for integer counts.
    taxa : sequence of str, shape (n_taxa,), optional
        Taxon IDs of the columns; needed by ``"faith_pd"`` unless `counts` is a FeatureTable
        (whose taxa are used; if both are given they must be equal).
    tree : holobiont.core.tree.Tree or str or path-like, optional
        Rooted tree for ``"faith_pd"`` (a Newick string or file is read with
        :func:`holobiont.core.tree.read_newick`). Every taxon must be a tip of it; extra tips are
        allowed.
    base : float, optional
        Logarithm base of ``"shannon"`` (default :math:`e`, as scikit-bio >= 0.6.1).
        ``"pielou"`` accepts it but is independent of it.

    Returns
    -------
    ndarray of float64, shape (n_samples,)
        One value per sample, in row order.

    Raises
    ------
    ValueError
        On an unknown metric (known names are listed), invalid counts, `base` <= 0 or 1,
        ``"faith_pd"`` without taxa or tree, or taxa absent from the tree (the first 10 are
        named, plus the total).

    See Also
    --------
    holobiont.core.tree.read_newick, holobiont.core.tree.branch_incidence

    Notes
    -----
    With :math:`x_{j}` the counts of a sample, :math:`N = \sum_j x_j`, :math:`p_j = x_j/N`,
    :math:`S` the number of taxa with :math:`x_j > 0`, :math:`F_1`, :math:`F_2` the numbers of
    taxa with exactly one and two counts:

    ======================  ======================================================  =========================
    metric                  formula                                                 all-zero sample
    ======================  ======================================================  =========================
    ``observed``            :math:`S`                                               0
    ``shannon``             :math:`H = -\sum_{j: x_j>0} p_j \log_b p_j` [1]_        nan
    ``simpson``             :math:`1 - \sum_j p_j^2` (Gini-Simpson) [2]_            nan
    ``pielou``              :math:`H / \log S` (1.0 when :math:`S = 1`) [3]_        nan
    ``chao1``               :math:`S + F_1 (F_1 - 1) / (2 (F_2 + 1))` [4]_          0
    ``goods_coverage``      :math:`1 - F_1 / N` [5]_                                nan
    ``faith_pd``            sum of lengths of branches above a present taxon [6]_   0
    ======================  ======================================================  =========================

    These are scikit-bio 0.7.4's definitions and edge values: Shannon uses the natural log
    by default (skbio changed its default from 2 to e in 0.6.1); Chao1 is always the
    bias-corrected form (skbio's default ``bias_corrected=True``; skbio's uncorrected form
    is not offered); a single taxon gives Shannon 0, Simpson 0, Pielou 1.0; a single
    individual gives Chao1 = 1, Good's coverage 0.

    Faith PD: with :math:`P` the ``(n_samples, n_taxa)`` presence matrix (:math:`x > 0`) and
    :math:`M` the ``(n_taxa, n_nodes)`` branch incidence matrix, :math:`PD = [(P M) > 0]\,l`
    where :math:`l` are branch lengths (missing lengths count as 0). Branches from the
    lowest common ancestor up to the root are included, as in skbio. Unlike skbio, the root
    may have more than two children and branch lengths may be missing; skbio raises for both.
    The matrix product is the definition, not the computation: each sample's PD is computed
    as the length of the union of its present tips' root paths, from the lowest common
    ancestors of consecutive tips (depth-first order), in O(entries) after an
    O(n_nodes log n_nodes) table per tree.

    References
    ----------
    .. [1] Shannon, C. E. (1948). A mathematical theory of communication. The Bell System
       Technical Journal, 27(3), 379-423.
    .. [2] Simpson, E. H. (1949). Measurement of diversity. Nature, 163(4148), 688.
    .. [3] Pielou, E. C. (1966). The measurement of diversity in different types of
       biological collections. Journal of Theoretical Biology, 13, 131-144.
    .. [4] Chao, A. (1984). Non-parametric estimation of the number of classes in a
       population. Scandinavian Journal of Statistics, 11, 265-270.
    .. [5] Good, I. J. (1953). The population frequencies of species and the estimation of
       population parameters. Biometrika, 40(3-4), 237-264.
    .. [6] Faith, D. P. (1992). Conservation evaluation and phylogenetic diversity.
       Biological Conservation, 61(1), 1-10.

    Examples
    --------
    >>> x = np.array([[1, 1, 2], [4, 0, 0], [0, 0, 0]])
    >>> alpha_diversity("shannon", x).round(6).tolist()
    [1.039721, 0.0, nan]
    >>> alpha_diversity("shannon", x, base=2).round(6).tolist()
    [1.5, 0.0, nan]
    >>> alpha_diversity("chao1", x).tolist()
    [3.5, 1.0, 0.0]
    >>> from holobiont.core.tree import read_newick
    >>> tree = read_newick("((a:1,b:2):0.5,c:3);")
    >>> alpha_diversity("faith_pd", x, taxa=["a", "b", "c"], tree=tree).tolist()
    [6.5, 1.5, 0.0]
    >>> alpha_diversity("bray_curtis", x)
    Traceback (most recent call last):
    ...
    ValueError: unknown metric 'bray_curtis'; known: 'observed', 'shannon', 'simpson', 'pielou', 'chao1', 'goods_coverage', 'faith_pd'
    """
    choose(metric, METRICS, "metric")
    if isinstance(counts, FeatureTable):
        if taxa is not None and tuple(taxa) != counts.taxa:
            raise ValueError("taxa differ from the FeatureTable's taxa.")
        taxa = counts.taxa
        counts = counts.counts
    else:
        counts = as_counts(counts)
    if base is not None and not (np.isfinite(base) and base > 0 and base != 1):
        raise ValueError(f"base must be a positive number other than 1, got {base!r}.")

    if metric == "faith_pd":
        tree, index = check_phylogenetic(counts.shape[1], taxa, tree, metric="faith_pd")
        return _faith_pd(counts, tree, index)
    rows = _SparseRows(counts) if sp.issparse(counts) else _DenseRows(counts)
    return _from_row_stats(metric, rows, base)


# --------------------------------------------------------------------------- kernels


# Every metric but Faith PD is a formula of a few per-row statistics (count of positive entries,
# of singletons and doubletons, sum, sum of squares, sum of x log x). A dense table gives them
# as row reductions over the matrix itself (one pass each, no list of entries); a sparse one
# as sums over its stored entries per row.
_CHUNK = 1 << 20  # entries per block of rows for the dense reductions that need a temporary


class _DenseRows:
    """Per-row statistics of a validated dense table.

    numpy's reductions along ``axis=1`` of a comparison (``count_nonzero(x == v, axis=1)``)
    or with a dtype cast (``einsum(..., dtype=float64)`` on integers) go through a full-size
    temporary or a buffered cast; a Python loop over the rows with a whole-row call each is
    2-10x faster on wide tables (each row is a few kB, in cache), so counts and the
    ``x log x`` lookup are done row by row, and integer sums and squares stay integer.
    """

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self.integer = x.dtype.kind in "iu"

    @functools.cached_property
    def top(self) -> int:
        """Largest count (one more pass: only the metrics that need it ask)."""
        return int(self.x.max()) if self.x.size else 0

    def count(self, value: float | None = None) -> np.ndarray:
        """Positive entries (``value`` None; validated: no negatives) or entries == value."""
        cnz = np.count_nonzero
        if value is None:
            return np.fromiter((cnz(r) for r in self.x), np.float64, self.x.shape[0])
        return np.fromiter((cnz(r == value) for r in self.x), np.float64, self.x.shape[0])

    def chao_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``count()``, ``count(1)``, ``count(2)`` in one pass over the rows (a row is read
        from memory once; its second and third scans run from cache)."""
        cnz = np.count_nonzero
        out = np.array([(cnz(r), cnz(r == 1), cnz(r == 2)) for r in self.x], dtype=np.float64)
        out = out.reshape(self.x.shape[0], 3)
        return out[:, 0], out[:, 1], out[:, 2]

    def total(self) -> np.ndarray:
        if self.integer and self.top * self.x.shape[1] < 1 << 62:
            return self.x.sum(axis=1).astype(np.float64)  # exact in int64
        return self.x.sum(axis=1, dtype=np.float64)

    def squares(self) -> np.ndarray:
        x = self.x
        if self.integer and self.top**2 * x.shape[1] < 1 << 62:
            return np.einsum("ij,ij->i", x, x).astype(np.float64)  # exact in int64
        return np.einsum("ij,ij->i", x, x, dtype=np.float64)

    def xlogx(self) -> np.ndarray:
        x = self.x
        out = np.zeros(x.shape[0])
        if self.integer and self.top <= 1 << 20:
            # integer counts: x log x from a table of every value up to the largest count
            k = np.arange(self.top + 1, dtype=np.float64)
            table = np.zeros_like(k)
            np.multiply(k[1:], np.log(k[1:]), out=table[1:])
            take = table.take
            return np.fromiter((take(r).sum() for r in x), np.float64, x.shape[0])
        step = max(1, _CHUNK // max(1, x.shape[1]))
        for i in range(0, x.shape[0], step):
            block = x[i : i + step]
            logs = np.zeros(block.shape)
            np.log(block, out=logs, where=block > 0)
            out[i : i + step] = np.einsum("ij,ij->i", block, logs, dtype=np.float64)
        return out


class _SparseRows:
    """Per-row statistics of a validated canonical CSR table (stored entries are positive)."""

    def __init__(self, x: sp.csr_array) -> None:
        self.n = x.shape[0]
        self.rows = np.repeat(np.arange(self.n, dtype=np.intp), np.diff(x.indptr))
        self.values = x.data.astype(np.float64, copy=False)

    def _sum(self, weights: np.ndarray | None) -> np.ndarray:
        # float64 even for no entries (np.bincount gives int64 then)
        return np.bincount(self.rows, weights=weights, minlength=self.n).astype(np.float64)

    def count(self, value: float | None = None) -> np.ndarray:
        return self._sum(None if value is None else (self.values == value).astype(np.float64))

    def total(self) -> np.ndarray:
        return self._sum(self.values)

    def squares(self) -> np.ndarray:
        return self._sum(self.values * self.values)

    def xlogx(self) -> np.ndarray:
        return self._sum(self.values * np.log(self.values))

    def chao_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.count(), self.count(1), self.count(2)


def _from_row_stats(metric: str, rows: _DenseRows | _SparseRows, base: float | None) -> np.ndarray:
    """The metrics of :data:`METRICS` but Faith PD, from per-row statistics.

    With :math:`N = \\sum_j x_j`: Shannon is :math:`\\log N - \\sum_j x_j \\log x_j / N` (the
    same as :math:`-\\sum_j p_j \\log p_j`) and Simpson :math:`1 - \\sum_j x_j^2 / N^2`.
    """
    if metric == "observed":
        return rows.count()
    if metric == "chao1":
        s, f1, f2 = rows.chao_counts()
        return s + f1 * (f1 - 1) / (2 * (f2 + 1))
    totals = rows.total()
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "goods_coverage":
            out = 1.0 - rows.count(1) / totals
        elif metric == "simpson":
            out = 1.0 - rows.squares() / (totals * totals)
        else:  # shannon, pielou
            h = np.maximum(np.log(totals) - rows.xlogx() / totals, 0.0)
            if metric == "shannon":
                out = h / np.log(base) if base is not None else h
            else:
                s = rows.count()
                out = h / np.log(s)
                out[s == 1] = 1.0
    out[totals == 0] = np.nan
    return out


def _faith_pd(counts: np.ndarray | sp.csr_array, tree, index: np.ndarray) -> np.ndarray:
    """Faith PD: length of the union of the root paths of each sample's present tips.

    The tree is in postorder, so its tips in node order are in depth-first (left-to-right)
    order. For the present tips :math:`t_1 < \\dots < t_k` of a sample, in that order, the union
    of their root paths has length :math:`\\sum_i D(t_i) - \\sum_{i<k} D(\\mathrm{lca}(t_i,
    t_{i+1}))`, with :math:`D` the distance from the root: each shared stretch is counted once.
    The lowest common ancestor of two tips that are adjacent among all the tips of the tree is
    ``parent[t_next - 1]`` (in postorder, the node just before a tip closes a subtree whose
    parent continues with that tip). The lca of any two tips is the shallowest of the adjacent
    lcas between them: a range-minimum query over their depths, answered from a sparse table
    in O(1) per pair. The table holds ``depth << 32 | node`` in one int64, so the minimum is a
    plain ``np.minimum`` of two lookups and carries the node with it (no argmin gathers). No
    (samples x branches) matrix is formed.
    """
    n, n_taxa = counts.shape
    tips = np.flatnonzero(tree.is_tip)
    tip_pos = np.full(tree.n_nodes, -1, dtype=np.intp)
    tip_pos[tips] = np.arange(tips.size)
    col_pos = tip_pos[index]  # each column's rank among all tips, depth-first
    order = np.argsort(col_pos, kind="stable")
    ordered_pos = col_pos[order]

    dist = _root_distance(tree)
    if sp.issparse(counts):
        # present entries of every row, columns in depth-first order of their tips
        rank = np.empty(n_taxa, dtype=np.intp)
        rank[order] = np.arange(n_taxa)
        mat = sp.csr_array((counts.data, rank[counts.indices], counts.indptr), shape=counts.shape)
        mat.has_sorted_indices = False
        mat.sort_indices()
        rows = np.repeat(np.arange(n, dtype=np.intp), np.diff(mat.indptr))
        pos = ordered_pos[mat.indices]
        return _faith_from_positions(rows, pos, n, tree, tips, dist)
    present = counts > 0
    if np.any(order != np.arange(n_taxa)):
        present = np.take(present, order, axis=1)
    return _faith_from_positions_dense(present, ordered_pos, tree, tips, dist)


def _faith_from_positions(rows, pos, n, tree, tips, dist) -> np.ndarray:
    """Faith PD from the present tips' rows and depth-first ranks (sorted within each row)."""
    total = np.bincount(rows, weights=dist[tips][pos], minlength=n).astype(np.float64)
    same = rows[1:] == rows[:-1]
    if not same.any() or tips.size < 2:
        return total
    first, stop = pos[:-1][same], pos[1:][same]
    ahead, behind, log2 = _lca_tables(tree, tips)
    level = log2[stop - first]
    least = np.minimum(ahead[level, first], behind[level, stop])
    lca = least & 0xFFFFFFFF
    return total - np.bincount(rows[1:][same], weights=dist[lca], minlength=n)


def _faith_from_positions_dense(present, ordered_pos, tree, tips, dist) -> np.ndarray:
    """:func:`_faith_from_positions` for a dense presence matrix (columns in tip order).

    The same operations, written into a few reused scratch arrays: on a 1,000 x 5,000 table
    the separate temporaries were ~110 MB of fresh memory per call, and the page faults of
    fresh memory cost about as much as the arithmetic.
    """
    n, n_taxa = present.shape
    flat = np.flatnonzero(present)
    k = flat.shape[0]
    rows = np.floor_divide(flat, n_taxa)
    spare = np.empty(k, dtype=np.intp)
    np.subtract(flat, np.multiply(rows, n_taxa, out=spare), out=flat)  # column in tip order
    if n_taxa and ordered_pos[-1] != n_taxa - 1:  # else every tip is a column: identity
        pos = np.take(ordered_pos, flat, out=spare, mode="clip")
        spare = flat
    else:
        pos = flat
    values = np.empty(k)  # float scratch
    np.take(dist[tips], pos, out=values, mode="clip")
    total = np.bincount(rows, weights=values, minlength=n).astype(np.float64)
    same = rows[1:] == rows[:-1]
    pairs = int(np.count_nonzero(same))
    if pairs == 0 or tips.size < 2:
        return total
    ints = values.view(np.intp)  # the weights were used: reuse their memory for indices
    first = np.compress(same, pos[:-1], out=ints[:pairs])
    stop = np.compress(same, pos[1:], out=spare[:pairs])
    scratch = pos[:pairs]  # pos was read: free
    ahead, behind, log2 = _lca_tables(tree, tips)
    m = ahead.shape[1]
    level = np.take(log2, np.subtract(stop, first, out=scratch), mode="clip")
    # flat indices into the tables, then the two window minima (written over first / stop)
    a = np.take(ahead.ravel(), np.add(np.multiply(level, m, out=scratch), first, out=scratch),
                out=first, mode="clip")  # fmt: skip
    b = np.take(behind.ravel(),
                np.add(np.multiply(level, m + 1, out=scratch), stop, out=scratch),
                out=stop, mode="clip")  # fmt: skip
    least = np.bitwise_and(np.minimum(a, b, out=a), 0xFFFFFFFF, out=a)
    lca_dist = np.take(dist, least, out=scratch.view(np.float64), mode="clip")
    pair_rows = np.compress(same, rows[1:], out=level)
    return total - np.bincount(pair_rows, weights=lca_dist, minlength=n)


def _lca_tables(tree, tips) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Range-minimum tables over the adjacent lcas, and floor(log2) of every span.

    The lca of consecutive present tips ``a < b`` (depth-first ranks) is the shallowest of
    the adjacent lcas ``a .. b - 1``. Each is packed as ``depth << 32 | node`` in one int64,
    so the window minimum is a plain ``np.minimum`` and carries the node in its low bits.
    """
    adjacent_lca = tree.parent[tips[1:] - 1]
    packed = (_root_depth(tree)[adjacent_lca] << 32) | adjacent_lca
    m = packed.shape[0]
    ahead, behind = _min_tables(packed)
    log2 = np.zeros(m + 1, dtype=np.intp)  # floor(log2(span)) for every possible span
    for k in range(1, int(m).bit_length()):
        log2[1 << k :] = k
    return ahead, behind, log2


def _min_tables(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sparse tables of window minima: ``ahead[k, i] = min(key[i : i + 2**k])`` and
    ``behind[k, j] = min(key[j - 2**k : j])`` (the window ending just before ``j``), so the
    minimum of ``key[a:b]`` is ``min(ahead[k, a], behind[k, b])`` with ``2**k <= b - a <
    2**(k + 1)``. Entries with no full window are never read (they hold 0)."""
    m = key.shape[0]
    levels = int(m).bit_length()  # 2**(levels - 1) <= m
    ahead = np.zeros((levels, m), dtype=key.dtype)
    ahead[0] = key
    for k in range(1, levels):
        width, half = 1 << k, 1 << (k - 1)
        np.minimum(
            ahead[k - 1, : m - width + 1],
            ahead[k - 1, half : half + m - width + 1],
            out=ahead[k, : m - width + 1],
        )
    behind = np.zeros((levels, m + 1), dtype=key.dtype)
    for k in range(levels):
        width = 1 << k
        behind[k, width:] = ahead[k, : m - width + 1]
    return ahead, behind
