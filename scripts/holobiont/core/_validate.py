"""Small shared validators for the Holobiont numpy core.

Every public function of :mod:`holobiont.core.table`, :mod:`holobiont.core.alpha` (and friends) validates its
input once with these helpers and then calls a private kernel that trusts its input. The helpers
are generic: they know nothing about feature tables.

Examples
--------
>>> from holobiont.core._validate import as_counts, check_ids, choose
>>> as_counts([[1, 2], [0, 3]]).dtype
dtype('int64')
>>> check_ids(["s1", "s2"], "sample IDs")
('s1', 's2')
>>> choose("shannon", ("observed", "shannon"), "metric")
'shannon'
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = [
    "as_counts",
    "as_rng",
    "check_ids",
    "choose",
    "format_names",
    "is_sparse",
    "row_sums",
]


def format_names(names: Iterable[object], limit: int = 10) -> str:
    """Format names for an error message: the first `limit`, quoted, plus the total count.

    Parameters
    ----------
    names : iterable of object
        Names to list, in the order given.
    limit : int, optional
        How many names to show at most (default 10).

    Returns
    -------
    str
        E.g. ``"'a', 'b'"`` or ``"'a', 'b', ... (12 in total)"``.

    Examples
    --------
    >>> format_names(["a", "b"])
    "'a', 'b'"
    >>> format_names("abcdef", limit=2)
    "'a', 'b', ... (6 in total)"
    """
    names = list(names)
    shown = ", ".join(repr(str(n)) for n in names[:limit])
    if len(names) > limit:
        shown += f", ... ({len(names)} in total)"
    return shown


def is_sparse(x: object) -> bool:
    """Return True if `x` is a scipy sparse array or matrix (any format)."""
    return sp.issparse(x)


def as_counts(
    counts: object,
    *,
    name: str = "counts",
    ndim: int = 2,
    allow_sparse: bool = True,
) -> np.ndarray | sp.csr_array:
    """Validate a counts array and bring it to a canonical type.

    Parameters
    ----------
    counts : array_like or scipy sparse array/matrix
        Non-negative, finite numbers. Shape ``(n_samples, n_taxa)`` when ``ndim == 2``, or
        ``(n_taxa,)`` when ``ndim == 1``.
    name : str, optional
        Name used in error messages.
    ndim : {2, 1}, optional
        Required number of dimensions (sparse input must be 2-D).
    allow_sparse : bool, optional
        If False, sparse input is densified.

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_array
        Same shape as `counts`. Integer (and boolean) input becomes ``int64``, floating input
        ``float64``. Sparse input becomes a ``csr_array`` in canonical format (sorted indices, no
        duplicate entries, no explicit zeros). The input is returned without a copy when it
        already has that form.

    Raises
    ------
    TypeError
        If the values are not integers or real floating-point numbers.
    ValueError
        If the shape has the wrong number of dimensions, or a value is negative, NaN or infinite.

    Examples
    --------
    >>> as_counts([[0.5, 1.0]]).dtype
    dtype('float64')
    >>> as_counts([[-1, 2]])
    Traceback (most recent call last):
    ...
    ValueError: counts cannot contain negative values (found at 1 position(s)).
    """
    if sp.issparse(counts):
        if ndim != 2:
            raise ValueError(f"{name} must be {ndim}-D; sparse input is always 2-D.")
        mat = sp.csr_array(counts)
        values = mat.data
    else:
        mat = np.asarray(counts)
        if mat.ndim != ndim:
            raise ValueError(f"{name} must be a {ndim}-D array, got shape {mat.shape}.")
        values = mat
    kind = mat.dtype.kind
    if kind in "iub":
        target = np.int64
    elif kind == "f":
        target = np.float64
    else:
        raise TypeError(f"{name} must hold integers or real floats, got dtype {mat.dtype}.")
    if mat.dtype != target:
        if kind == "u" and values.size and values.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{name} has values too large for int64.")
        mat = mat.astype(target)
        values = mat.data if sp.issparse(mat) else mat
    # Fast path: min and max are two passes without temporaries. A NaN makes min() NaN, so
    # "not (lo >= 0)" also catches it; +inf shows in max(), -inf in min(). Only a table that
    # fails is scanned again, to count the offending positions for the message.
    if values.size and not (values.min() >= 0 and (kind != "f" or np.isfinite(values.max()))):
        if kind == "f":
            bad = ~np.isfinite(values)
            if bad.any():
                raise ValueError(
                    f"{name} cannot contain NaN or infinite values "
                    f"(found at {int(bad.sum())} position(s))."
                )
        neg = values < 0
        raise ValueError(
            f"{name} cannot contain negative values (found at {int(neg.sum())} position(s))."
        )
    if sp.issparse(mat):
        if not mat.has_canonical_format or (mat.data == 0).any():
            mat = mat.copy()
            mat.sum_duplicates()
            mat.eliminate_zeros()
        if not allow_sparse:
            mat = mat.toarray()
    return mat


def row_sums(counts: np.ndarray | sp.csr_array) -> np.ndarray:
    """Per-row totals of a validated counts matrix, as a dense 1-D array of the same dtype.

    Examples
    --------
    >>> row_sums(np.array([[1, 2], [0, 0]]))
    array([3, 0])
    """
    return np.asarray(counts.sum(axis=1)).ravel()


def check_ids(ids: Iterable[object], what: str) -> tuple[str, ...]:
    """Validate identifiers: strings, no duplicates.

    Parameters
    ----------
    ids : iterable of str
        Identifiers, e.g. sample IDs or taxa.
    what : str
        What they are, for error messages (e.g. ``"sample IDs"``).

    Returns
    -------
    tuple of str
        The identifiers, in input order.

    Raises
    ------
    TypeError
        If an identifier is not a string (or `ids` is a single string).
    ValueError
        If identifiers are duplicated; the message names the duplicates.

    Examples
    --------
    >>> check_ids(["a", "b", "a"], "taxa")
    Traceback (most recent call last):
    ...
    ValueError: duplicate taxa: 'a'
    """
    if isinstance(ids, str):
        raise TypeError(f"{what} must be a sequence of strings, not a single string.")
    out = tuple(ids)
    for x in out:
        if not isinstance(x, str):
            raise TypeError(f"{what} must be strings, got {type(x).__name__} {x!r}.")
    if len(set(out)) != len(out):
        dups = [k for k, n in Counter(out).items() if n > 1]
        raise ValueError(f"duplicate {what}: {format_names(dups)}")
    return out


def choose(name: object, known: Sequence[str], what: str) -> str:
    """Check that `name` is one of `known`.

    Raises
    ------
    ValueError
        If it is not; the message lists the known names.

    Examples
    --------
    >>> choose("bray", ("observed", "shannon"), "metric")
    Traceback (most recent call last):
    ...
    ValueError: unknown metric 'bray'; known: 'observed', 'shannon'
    """
    if not isinstance(name, str) or name not in known:
        raise ValueError(f"unknown {what} {name!r}; known: {format_names(known, len(known))}")
    return name


def as_rng(seed: object) -> np.random.Generator:
    """Turn a seed into a numpy Generator. The global RNG is never used.

    Parameters
    ----------
    seed : int or numpy.random.Generator
        A non-negative int gives a fresh ``numpy.random.default_rng(seed)``; a Generator is used
        as is (and advanced).

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        If `seed` is neither (``None`` included: randomness must be seeded explicitly).

    Examples
    --------
    >>> int(as_rng(42).integers(10)) == int(as_rng(42).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise TypeError(f"seed must be an int or a numpy.random.Generator, got {seed!r}.")
