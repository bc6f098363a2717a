"""Ordination and group tests on distance matrices: PCoA and PERMANOVA.

Both take a square ``(n_samples, n_samples)`` distance matrix such as the output of
:func:`holobiont.core.beta.beta_diversity`, with optional sample IDs that travel with the results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from holobiont.core._validate import as_rng, check_ids, choose

__all__ = ["PCOA_METHODS", "PCoAResult", "PermanovaResult", "pcoa", "permanova"]

PCOA_METHODS: tuple[str, ...] = ("eigh",)
"""Eigendecomposition methods accepted by :func:`pcoa`."""


@dataclass(frozen=True, eq=False)
class PCoAResult:
    """Result of :func:`pcoa`.

    Attributes
    ----------
    coordinates : numpy.ndarray, shape (n_samples, n_axes)
        Sample coordinates on the principal axes (``PC1`` first).
    eigenvalues : numpy.ndarray, shape (n_axes,)
        Eigenvalues in decreasing order; negative ones are reported as 0.
    proportion_explained : numpy.ndarray, shape (n_axes,)
        Share of the total variation explained by each axis.
    ids : tuple of str or None
        Sample IDs of the rows of ``coordinates``, if given.

    Examples
    --------
    >>> res = pcoa([[0, 1], [1, 0]], ids=["s1", "s2"])
    >>> res.ids, res.coordinates.shape, res.proportion_explained.tolist()
    (('s1', 's2'), (2, 2), [1.0, 0.0])
    """

    coordinates: np.ndarray
    eigenvalues: np.ndarray
    proportion_explained: np.ndarray
    ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PermanovaResult:
    """Result of :func:`permanova` (the fields of scikit-bio's result Series).

    Attributes
    ----------
    test_statistic : float
        Pseudo-F of the observed grouping.
    p_value : float
        Permutation p-value, ``nan`` when ``permutations == 0``.
    sample_size : int
    number_of_groups : int
    permutations : int
    method_name : str
        ``"PERMANOVA"``.
    test_statistic_name : str
        ``"pseudo-F"``.

    Examples
    --------
    >>> d = [[0, 1, 5, 5], [1, 0, 5, 5], [5, 5, 0, 1], [5, 5, 1, 0]]
    >>> res = permanova(d, ["a", "a", "b", "b"], permutations=0)
    >>> res.test_statistic_name, res.test_statistic, res.p_value
    ('pseudo-F', 49.0, nan)
    """

    test_statistic: float
    p_value: float
    sample_size: int
    number_of_groups: int
    permutations: int
    method_name: str = "PERMANOVA"
    test_statistic_name: str = "pseudo-F"


def _check_distances(distances: object, ids: Sequence[str] | None) -> np.ndarray:
    """Validated float64 distance matrix (not copied when already exactly symmetric)."""
    d = np.asarray(distances, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"distances must be a square 2-D matrix, got shape {d.shape}.")
    if not np.isfinite(d).all():
        raise ValueError("distances cannot contain NaN or infinite values.")
    if (d < 0).any():
        raise ValueError("distances cannot be negative.")
    if np.any(np.diagonal(d) != 0):
        raise ValueError("distances must have a zero diagonal.")
    if ids is not None and len(ids) != d.shape[0]:
        raise ValueError(f"{len(ids)} ids given for a {d.shape[0]} x {d.shape[0]} matrix.")
    if not np.array_equal(d, d.T):
        scale = float(d.max()) if d.size else 0.0
        if np.abs(d - d.T).max() > 1e-12 * max(scale, 1.0):
            raise ValueError("distances must be symmetric (to 1e-12 relative).")
        d = (d + d.T) / 2.0
    return d


def _gower_centre(d: np.ndarray) -> np.ndarray:
    """``B = -1/2 J D**2 J`` with ``J = I - 11'/n`` (double centring)."""
    b = d * d
    b *= -0.5
    row = b.mean(axis=1)
    b -= row[:, None]
    b -= row[None, :]  # symmetric: column means equal row means
    b += row.mean()
    return b


def pcoa(
    distances: object,
    *,
    n_axes: int | None = None,
    method: str = "eigh",
    ids: Sequence[str] | None = None,
) -> PCoAResult:
    r"""Principal coordinate analysis (classical multidimensional scaling).

    Parameters
    ----------
    distances : array_like, shape (n_samples, n_samples)
        Symmetric (to 1e-12 relative) non-negative distances with a zero diagonal.
    n_axes : int, optional
        Number of leading axes to compute, ``1 <= n_axes <= n_samples``. Default: all
        ``n_samples`` axes (as scikit-bio's default).
    method : {"eigh"}, optional
        LAPACK symmetric eigensolver (``scipy.linalg.eigh``): all eigenpairs by divide and
        conquer (driver ``evd``, the fastest for a full decomposition); with `n_axes` only
        the requested eigenpairs, by MRRR (driver ``evr``).
    ids : sequence of str, optional
        Sample IDs, returned in the result.

    Returns
    -------
    PCoAResult
        ``coordinates`` (n_samples, n_axes), ``eigenvalues`` (n_axes,),
        ``proportion_explained`` (n_axes,), ``ids``.

    Raises
    ------
    ValueError
        Invalid distances, `n_axes` out of range, unknown method, ids of the wrong length.

    Notes
    -----
    With :math:`A = -\frac12 D^{\circ 2}` and :math:`J = I - \frac1n 11^T`, the Gower
    matrix :math:`B = JAJ` is diagonalised, :math:`B = V \Lambda V^T`, and the coordinates
    are :math:`V \Lambda^{1/2}` [1]_. As in scikit-bio 0.7.4 (``pcoa``, method
    ``"eigh"``):

    - eigenvalues with ``np.isclose(value, 0)`` (:math:`|\lambda| \le 10^{-8}`) become 0;
    - axes are sorted by decreasing eigenvalue; negative eigenvalues (non-Euclidean
      distances) are reported as 0 and their coordinates as 0;
    - ``proportion_explained`` is :math:`\lambda_k / \sum_l \lambda_l` over the reported
      (non-negative) eigenvalues when all axes are computed, and
      :math:`\lambda_k / \operatorname{tr} B` (which includes the negative eigenvalues)
      when `n_axes` < n_samples.

    **Sign rule** (scikit-bio leaves signs to LAPACK): each axis is flipped so that its
    coordinate of largest absolute value (the first one on ties) is positive. Coordinates
    therefore equal scikit-bio's up to the sign of each axis.

    References
    ----------
    .. [1] Gower, J. C. (1966). Some distance properties of latent root and vector methods
       used in multivariate analysis. Biometrika, 53(3-4), 325-338.

    Examples
    --------
    >>> d = [[0, 3, 4], [3, 0, 5], [4, 5, 0]]
    >>> res = pcoa(d)
    >>> res.eigenvalues.round(4).tolist()
    [12.9641, 3.7025, 0.0]
    >>> res.proportion_explained.round(4).tolist()
    [0.7778, 0.2222, 0.0]
    >>> res.coordinates.round(4).tolist()
    [[-0.6581, 1.5312, 0.0], [-2.1523, -1.0702, 0.0], [2.8104, -0.461, 0.0]]
    """
    choose(method, PCOA_METHODS, "method")
    if ids is not None:
        ids = check_ids(ids, "sample IDs")
    d = _check_distances(distances, ids)
    n = d.shape[0]
    if n == 0:
        raise ValueError("distances must describe at least one sample.")
    if n_axes is None:
        k = n
    else:
        if isinstance(n_axes, bool) or not isinstance(n_axes, int | np.integer):
            raise TypeError(f"n_axes must be an int, got {n_axes!r}.")
        k = int(n_axes)
        if not 1 <= k <= n:
            raise ValueError(f"n_axes must be between 1 and {n}, got {k}.")
    b = _gower_centre(d)
    if k == n:
        # b is our own centred copy and only the eigenvalues are needed from here on
        vals, vecs = scipy.linalg.eigh(b, driver="evd", overwrite_a=True, check_finite=False)
    else:
        vals, vecs = _top_eigenpairs(b, k)
    return _pcoa_finish(b, vals, vecs, k, n, ids)


def _top_eigenpairs(b: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The `k` largest eigenpairs of symmetric `b`, all of them, whatever their multiplicity.

    MRRR (LAPACK ``?syevr``) is the fast route, but on a tight cluster of equal eigenvalues it
    can return fewer pairs than asked: measured on the 30-sample simplex (eigenvalue 1/2, 29
    times) with OpenBLAS 0.3.31's kernels on an AMD EPYC, ``subset_by_index=[29, 29]`` gave
    none (so did bisection, ``?syevx``). Then the full divide-and-conquer decomposition gives
    them all.
    """
    n = b.shape[0]
    vals, vecs = scipy.linalg.eigh(b, subset_by_index=[n - k, n - 1], driver="evr")
    if vals.shape[0] == k:
        return vals, vecs
    vals, vecs = scipy.linalg.eigh(b, driver="evd")
    return vals[n - k :], vecs[:, n - k :]


def _pcoa_finish(b, vals, vecs, k, n, ids) -> PCoAResult:
    vals = np.where(np.isclose(vals, 0.0), 0.0, vals)
    order = np.argsort(vals, kind="stable")[::-1]
    vals, vecs = vals[order], vecs[:, order]
    negative = vals < 0
    vals = np.where(negative, 0.0, vals)
    vecs = np.where(negative[None, :], 0.0, vecs)
    total = vals.sum() if k == n else np.trace(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = vals / total
    coords = vecs * np.sqrt(vals)
    # sign rule: the largest-|value| coordinate of each axis is positive
    if n:
        pivot = np.abs(coords).argmax(axis=0)
        signs = np.sign(coords[pivot, np.arange(coords.shape[1])])
        signs[signs == 0] = 1.0
        coords *= signs
    coords += 0.0  # no negative zeros
    return PCoAResult(coords, vals, prop, ids)


def _grouping(grouping: Sequence[object], n: int) -> tuple[np.ndarray, int]:
    labels = np.asarray(grouping)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(
            f"grouping must have one label per sample ({n}), got shape {labels.shape}."
        )
    _, codes = np.unique(labels, return_inverse=True)
    codes = codes.reshape(-1).astype(np.intp)
    g = int(codes.max()) + 1 if n else 0
    if g == n:
        raise ValueError(
            "every sample is in its own group: PERMANOVA needs within-group distances."
        )
    if g == 1:
        raise ValueError("all samples are in one group: PERMANOVA needs two groups or more.")
    return codes, g


def permanova(
    distances: object,
    grouping: Sequence[object],
    *,
    permutations: int = 999,
    seed: int | np.random.Generator = 0,
    block_size: int = 1 << 22,
) -> PermanovaResult:
    r"""Permutational multivariate analysis of variance (PERMANOVA).

    Parameters
    ----------
    distances : array_like, shape (n_samples, n_samples)
        Symmetric non-negative distances with a zero diagonal.
    grouping : sequence, length n_samples
        Group label of each sample (any sortable labels).
    permutations : int, optional
        Number of label permutations for the p-value (default 999); 0 gives ``nan``.
    seed : int or numpy.random.Generator, optional
        Seed of the permutations (default 0). The same seed gives the same p-value.
    block_size : int, optional
        Maximum elements of the per-chunk work array (bounds memory).

    Returns
    -------
    PermanovaResult
        ``test_statistic`` (pseudo-F), ``p_value``, ``sample_size``, ``number_of_groups``,
        ``permutations``.

    Raises
    ------
    ValueError
        Invalid distances, a grouping of the wrong length, a single group, every sample in
        its own group, negative permutations.

    Notes
    -----
    With :math:`n` samples in :math:`g` groups of sizes :math:`n_k` [1]_:

    .. math::

        s_T = \frac1n \sum_{i<j} d_{ij}^2, \quad
        s_W = \sum_k \frac{1}{n_k} \sum_{i<j \in k} d_{ij}^2, \quad
        F = \frac{(s_T - s_W)/(g - 1)}{s_W / (n - g)},

    and :math:`p = (1 + \#\{F^\pi \ge F\}) / (1 + \text{permutations})`, as scikit-bio
    0.7.4 (``skbio.stats.distance.permanova``). The pseudo-F matches scikit-bio to
    rounding; the p-value matches it in distribution only (different random permutations).

    All permutations are drawn at once (``Generator.permuted`` on a
    ``(permutations, n)`` label matrix) and their :math:`s_W` computed together: with
    :math:`Z` the one-hot matrix of the permuted labels for groups :math:`0..g-2`,
    :math:`Y = D^{\circ 2} Z` is one BLAS product per chunk of permutations, the last group
    follows from the row sums, and :math:`s_W = \frac12 \sum_i Y_{i, \ell_i} / n_{\ell_i}`.
    Permuted statistics within :math:`10^{-10}` (relative) of :math:`F` count as ties
    (``>=``), so the result does not depend on BLAS rounding.

    References
    ----------
    .. [1] Anderson, M. J. (2001). A new method for non-parametric multivariate analysis
       of variance. Austral Ecology, 26(1), 32-46.

    Examples
    --------
    >>> d = np.array([[0, 1, 4, 4], [1, 0, 4, 4], [4, 4, 0, 1], [4, 4, 1, 0]], float)
    >>> res = permanova(d, ["a", "a", "b", "b"], permutations=99, seed=1)
    >>> round(res.test_statistic, 6), res.sample_size, res.number_of_groups
    (31.0, 4, 2)
    >>> res.p_value == permanova(d, ["a", "a", "b", "b"], permutations=99, seed=1).p_value
    True
    """
    d = _check_distances(distances, None)
    n = d.shape[0]
    codes, g = _grouping(grouping, n)
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer):
        raise TypeError(f"permutations must be an int, got {permutations!r}.")
    permutations = int(permutations)
    if permutations < 0:
        raise ValueError(f"permutations must be >= 0, got {permutations}.")
    rng = as_rng(seed)
    d2 = d * d
    sizes = np.bincount(codes, minlength=g).astype(np.float64)
    s_t = d2.sum() / n / 2.0
    stat = _f_stat(s_t, _s_within(d2, codes, sizes), n, g)
    if permutations == 0:
        return PermanovaResult(float(stat), float("nan"), n, g, 0)
    perms = rng.permuted(np.broadcast_to(codes, (permutations, n)), axis=1)
    s_w = _s_within_many(d2, perms, sizes, g, block_size)
    f_perm = _f_stat(s_t, s_w, n, g)
    tol = 1e-10 * abs(stat)
    p = (1.0 + np.count_nonzero(f_perm >= stat - tol)) / (1.0 + permutations)
    return PermanovaResult(float(stat), float(p), n, g, permutations)


def _f_stat(s_t, s_w, n: int, g: int):
    return ((s_t - s_w) / (g - 1)) / (s_w / (n - g))


def _s_within(d2: np.ndarray, codes: np.ndarray, sizes: np.ndarray) -> float:
    total = 0.0
    for k in range(sizes.shape[0]):
        idx = np.flatnonzero(codes == k)
        total += d2[np.ix_(idx, idx)].sum() / 2.0 / sizes[k]
    return total


def _s_within_many(
    d2: np.ndarray, perms: np.ndarray, sizes: np.ndarray, g: int, block_size: int
) -> np.ndarray:
    """s_W of each row of ``perms`` (labels, shape (P, n)) via one-hot products.

    With :math:`z_k` the indicator of group :math:`k` and :math:`q_k = z_k^T D^{\\circ 2}
    z_k`, :math:`s_W = \\frac12 \\sum_k q_k / n_k`. One BLAS product gives
    :math:`Y = D^{\\circ 2} Z` for groups :math:`0..g-2`; the cross terms
    :math:`z_k^T Y_l` give every :math:`q_k` of those groups and, with the row sums
    :math:`r`, the last one: :math:`q_{g-1} = 1^T D^{\\circ 2} 1 - 2 \\sum_k r^T z_k +
    \\sum_{k,l} z_k^T Y_l`.
    """
    n_perm, n = perms.shape
    h = g - 1
    row = d2.sum(axis=1)
    total = float(row.sum())
    inv = 1.0 / sizes
    out = np.empty(n_perm)
    chunk = max(1, block_size // (n * max(h, 1)))
    for p0 in range(0, n_perm, chunk):
        lab = perms[p0 : p0 + chunk]  # (c, n)
        c = lab.shape[0]
        z = np.zeros((n, c, h))
        i_idx, p_idx = np.nonzero((lab < h).T)
        z[i_idx, p_idx, lab.T[i_idx, p_idx]] = 1.0
        y = (d2 @ z.reshape(n, c * h)).reshape(n, c, h)
        cross = np.empty((c, h, h))
        for k in range(h):
            for j in range(h):
                cross[:, k, j] = np.einsum("ip,ip->p", z[:, :, k], y[:, :, j])
        rz = np.einsum("i,ipk->pk", row, z)  # (c, h)
        q = np.diagonal(cross, axis1=1, axis2=2)  # (c, h)
        q_last = total - 2.0 * rz.sum(axis=1) + cross.sum(axis=(1, 2))
        out[p0 : p0 + c] = (q @ inv[:h] + q_last * inv[h]) / 2.0
    return out
