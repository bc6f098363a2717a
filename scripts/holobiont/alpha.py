"""Alpha diversity: one number per sample, vectorised over all samples at once.

Every metric matches the scikit-bio 0.7.4 function of the same meaning (``sobs``,
``shannon``, ``simpson``, ``pielou_e``, ``chao1``, ``goods_coverage``, ``faith_pd``), including
its value for edge cases (all-zero sample, one taxon, one individual); see
:func:`alpha_diversity`.

Examples
--------
>>> import numpy as np
>>> from holobiont.alpha import alpha_diversity
>>> alpha_diversity("observed", np.array([[1, 0, 3], [0, 0, 0]])).tolist()
[2.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from holobiont._validate import as_counts, choose
from holobiont.table import FeatureTable
from holobiont.tree import phylogenetic_inputs

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
    tree : holobiont.tree.Tree or str or path-like, optional
        Rooted tree for ``"faith_pd"`` (a Newick string or file is read with
        :func:`holobiont.tree.read_newick`). Every taxon must be a tip of it; extra tips are
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
    holobiont.tree.read_newick, holobiont.tree.branch_incidence

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
    >>> from holobiont.tree import read_newick
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

    rows, cols, values = _entries(counts)
    n_samples = counts.shape[0]
    if metric == "faith_pd":
        _, incidence, lengths = phylogenetic_inputs(counts.shape[1], taxa, tree, metric="faith_pd")
        return _faith_pd(rows, cols, n_samples, incidence, lengths)
    kernel = _KERNELS[metric]
    if metric == "shannon":
        return kernel(rows, values, n_samples, base)
    return kernel(rows, values, n_samples)


# --------------------------------------------------------------------------- kernels


def _entries(counts: np.ndarray | sp.csr_array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row index, column index and float64 value of every positive entry."""
    if sp.issparse(counts):
        n = counts.shape[0]
        rows = np.repeat(np.arange(n, dtype=np.intp), np.diff(counts.indptr))
        cols, values = counts.indices, counts.data
        pos = values > 0
        return rows[pos], cols[pos].astype(np.intp), values[pos].astype(np.float64)
    rows, cols = np.nonzero(counts)
    return rows, cols, counts[rows, cols].astype(np.float64)


def _row_sums(rows: np.ndarray, weights: np.ndarray, minlength: int) -> np.ndarray:
    """Sum `weights` per row index, as float64 (``np.bincount`` gives int64 for empty input)."""
    return np.bincount(rows, weights=weights, minlength=minlength).astype(np.float64, copy=False)


def _observed(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(rows, minlength=n).astype(np.float64)


def _proportions(rows: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    totals = _row_sums(rows, values, minlength=n)
    return values / totals[rows], totals


def _shannon(rows: np.ndarray, values: np.ndarray, n: int, base: float | None) -> np.ndarray:
    p, totals = _proportions(rows, values, n)
    h = _row_sums(rows, -p * np.log(p), minlength=n)
    if base is not None:
        h /= np.log(base)
    h[totals == 0] = np.nan
    return h


def _simpson(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    p, totals = _proportions(rows, values, n)
    d = 1.0 - _row_sums(rows, p * p, minlength=n)
    d[totals == 0] = np.nan
    return d


def _pielou(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    s = _observed(rows, values, n)
    h = _shannon(rows, values, n, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = h / np.log(s)
    e[s == 1] = 1.0
    e[s == 0] = np.nan
    return e


def _chao1(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    s = _observed(rows, values, n)
    f1 = _row_sums(rows, (values == 1).astype(np.float64), minlength=n)
    f2 = _row_sums(rows, (values == 2).astype(np.float64), minlength=n)
    return s + f1 * (f1 - 1) / (2 * (f2 + 1))


def _goods_coverage(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    totals = _row_sums(rows, values, minlength=n)
    f1 = _row_sums(rows, (values == 1).astype(np.float64), minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 1.0 - f1 / totals
    c[totals == 0] = np.nan
    return c


_KERNELS = {
    "observed": _observed,
    "shannon": _shannon,
    "simpson": _simpson,
    "pielou": _pielou,
    "chao1": _chao1,
    "goods_coverage": _goods_coverage,
}


def _faith_pd(
    rows: np.ndarray,
    cols: np.ndarray,
    n: int,
    incidence: sp.csr_array,
    lengths: np.ndarray,
) -> np.ndarray:
    presence = sp.csr_array((np.ones(rows.shape[0]), (rows, cols)), shape=(n, incidence.shape[0]))
    below = sp.csr_array(presence @ incidence)  # (n_samples, n_nodes): taxa present below
    below.eliminate_zeros()
    branch_rows = np.repeat(np.arange(n, dtype=np.intp), np.diff(below.indptr))
    return _row_sums(branch_rows, lengths[below.indices], minlength=n)
