"""Rooted phylogenetic trees as postorder arrays.

A :class:`Tree` stores a rooted tree as four parallel arrays indexed by node, in postorder
(every child comes before its parent, children keep their left-to-right Newick order, and the
root is the last node). This layout makes tree algorithms vectorisable: a node's subtree is the
contiguous index range ``[first[j], j]`` (see :func:`subtree_start`), so the tips below a branch
are found with a binary search instead of a recursive walk.

Public functions
----------------
read_newick
    Parse Newick text or a Newick file (iterative, no recursion limit).
write_newick
    Serialise a :class:`Tree` back to Newick.
midpoint_root
    Re-root at the midpoint of the longest tip-to-tip path, exactly as scikit-bio's
    ``TreeNode.root_at_midpoint`` (0.7.4).
tip_index
    Node index of each taxon, plus the taxa missing from the tree.
branch_incidence
    Sparse ``(n_taxa, n_nodes)`` 0/1 matrix: branch ``j`` lies on the path from taxon ``i``
    to the root.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp

__all__ = [
    "Tree",
    "branch_incidence",
    "midpoint_root",
    "read_newick",
    "subtree_start",
    "tip_index",
    "write_newick",
]


@dataclass(frozen=True)
class Tree:
    """A rooted tree stored as postorder arrays; the root is the last node.

    Parameters
    ----------
    names : tuple of (str or None), shape (n_nodes,)
        Node labels. Tips are matched to taxa by name; internal labels (e.g. support values)
        may be ``None``.
    parent : numpy.ndarray of int64, shape (n_nodes,)
        Index of each node's parent; the root's is ``-1``. Postorder implies
        ``parent[i] > i`` for every non-root node.
    length : numpy.ndarray of float64, shape (n_nodes,)
        Length of the branch from each node to its parent. The root's is ``0.0``; missing
        lengths are ``0.0``.
    is_tip : numpy.ndarray of bool, shape (n_nodes,)
        ``True`` for nodes without children.

    Notes
    -----
    The arrays are validated (postorder, single root, consistent ``is_tip``) and made
    read-only on construction. Equality compares the four fields exactly.

    Examples
    --------
    >>> t = read_newick("((a:1,b:2)x:0.5,c:3);")
    >>> t.names
    ('a', 'b', 'x', 'c', None)
    >>> t.parent.tolist()
    [2, 2, 4, 4, -1]
    >>> t.n_nodes, t.n_tips
    (5, 3)
    """

    names: tuple[str | None, ...]
    parent: np.ndarray
    length: np.ndarray
    is_tip: np.ndarray

    def __post_init__(self) -> None:
        names = tuple(None if n is None else str(n) for n in self.names)
        parent = np.array(self.parent, dtype=np.int64, copy=True).reshape(-1)
        length = np.array(self.length, dtype=np.float64, copy=True).reshape(-1)
        is_tip = np.array(self.is_tip, dtype=bool, copy=True).reshape(-1)
        n = len(names)
        if n == 0:
            raise ValueError("a tree needs at least one node")
        if not (parent.shape[0] == length.shape[0] == is_tip.shape[0] == n):
            raise ValueError(
                f"names, parent, length and is_tip must have the same length; got "
                f"{n}, {parent.shape[0]}, {length.shape[0]}, {is_tip.shape[0]}"
            )
        idx = np.arange(n - 1)
        if parent[-1] != -1 or np.any(parent[:-1] <= idx) or np.any(parent[:-1] >= n):
            raise ValueError(
                "parent must describe a postorder tree: parent[i] > i for every non-root "
                "node and parent[-1] == -1 for the root (the last node)"
            )
        if not np.all(np.isfinite(length)):
            raise ValueError("branch lengths must be finite")
        has_child = np.zeros(n, dtype=bool)
        has_child[parent[:-1]] = True
        if not np.array_equal(is_tip, ~has_child):
            raise ValueError("is_tip must be True exactly for the nodes without children")
        length[-1] = 0.0
        for arr in (parent, length, is_tip):
            arr.setflags(write=False)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "parent", parent)
        object.__setattr__(self, "length", length)
        object.__setattr__(self, "is_tip", is_tip)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tree):
            return NotImplemented
        return (
            self.names == other.names
            and np.array_equal(self.parent, other.parent)
            and np.array_equal(self.length, other.length)
        )

    def __hash__(self) -> int:
        return hash((self.names, self.parent.tobytes(), self.length.tobytes()))

    def __repr__(self) -> str:
        return f"Tree(n_nodes={self.n_nodes}, n_tips={self.n_tips})"

    @property
    def n_nodes(self) -> int:
        """Number of nodes (tips and internal nodes, root included)."""
        return len(self.names)

    @property
    def n_tips(self) -> int:
        """Number of tips."""
        return int(self.is_tip.sum())

    @cached_property
    def _tip_lookup(self) -> dict[str, int]:
        lookup: dict[str, int] = {}
        dups: dict[str, int] = {}
        for i in np.flatnonzero(self.is_tip).tolist():
            name = self.names[i]
            if name is None:
                continue
            if name in lookup:
                dups[name] = dups.get(name, 1) + 1
            else:
                lookup[name] = i
        if dups:
            shown = ", ".join(repr(k) for k in list(dups)[:10])
            raise ValueError(f"tree has {len(dups)} duplicated tip name(s): {shown}")
        return lookup


# --------------------------------------------------------------------------------------------
# Newick parsing
# --------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"'(?:[^']|'')*'?|\[[^\]]*\]?|[(),:;]|[^(),:;\[\]']+")


def read_newick(text_or_path: str | os.PathLike) -> Tree:
    """Parse a Newick tree.

    Parameters
    ----------
    text_or_path : str or os.PathLike
        Newick text, or the path of a file holding one tree. A ``str`` containing ``(`` or
        ``;`` is parsed as Newick text; any other ``str`` (and any path object) is read as a
        file.

    Returns
    -------
    Tree
        The tree in postorder; the outermost node of the Newick string is the root.

    Raises
    ------
    ValueError
        On malformed Newick (unbalanced parentheses, a second tree after ``;``, unparsable
        or repeated branch lengths, unterminated quotes or comments).

    Notes
    -----
    Grammar handled:

    - quoted labels ``'...'`` (``''`` is an escaped quote; quoted text is kept verbatim);
    - unquoted labels are stripped of surrounding whitespace and otherwise kept verbatim;
      unlike scikit-bio's default, underscores are **not** converted to spaces (feature IDs
      such as ``ASV_1`` must round-trip unchanged);
    - comments ``[...]`` anywhere (e.g. ``[&&NHX...]``) are ignored;
    - labels after ``)`` become internal node names (support values stay strings);
    - branch lengths in any ``float()`` syntax, including scientific notation; missing
      lengths are ``0.0`` and the root's length is set to ``0.0``;
    - empty labels (``(,);``) create unnamed tips; unary internal nodes are kept.

    The parser is iterative (a token loop with an explicit stack), so deep trees such as a
    100,000-tip caterpillar parse without recursion limits.

    Examples
    --------
    >>> t = read_newick("(('taxon A':0.1,B_2:2e-1)'0.95':0.3[&comment],C:1.5)root;")
    >>> t.names
    ('taxon A', 'B_2', '0.95', 'C', 'root')
    >>> t.length.tolist()
    [0.1, 0.2, 0.3, 1.5, 0.0]
    >>> t.is_tip.tolist()
    [True, True, False, True, False]
    """
    if isinstance(text_or_path, os.PathLike) or (
        isinstance(text_or_path, str) and "(" not in text_or_path and ";" not in text_or_path
    ):
        text = Path(text_or_path).read_text()
    elif isinstance(text_or_path, str):
        text = text_or_path
    else:
        raise TypeError(f"expected Newick text or a path, got {type(text_or_path).__name__}")
    return _parse_newick(text)


def _parse_newick(text: str) -> Tree:
    parent_tmp: list[int] = []
    names: list[str | None] = []
    lengths: list[float | None] = []
    post: list[int] = []  # temporary ids in closing (= postorder) order
    stack: list[int] = []  # open internal nodes
    cur = -1  # node receiving labels / length (-1: none yet)
    want_length = False
    done = False

    def new_node(name: str | None) -> int:
        parent_tmp.append(stack[-1] if stack else -1)
        names.append(name)
        lengths.append(None)
        return len(names) - 1

    for m in _TOKEN.finditer(text):
        tok = m.group()
        c = tok[0]
        if c == "[":
            if not tok.endswith("]"):
                raise ValueError(f"unterminated comment at character {m.start()}")
            continue
        if c not in "'(),:;" and tok.isspace():
            continue
        if done:
            raise ValueError(
                f"unexpected text after ';' at character {m.start()} "
                "(only one tree per input is supported)"
            )
        if c == "'" or c not in "(),:;":  # label or length text
            if c == "'":
                if len(tok) < 2 or not tok.endswith("'"):
                    raise ValueError(f"unterminated quoted label at character {m.start()}")
                value = tok[1:-1].replace("''", "'")
            else:
                value = tok.strip()
            if want_length:
                if cur < 0:
                    cur = new_node(None)
                if lengths[cur] is not None:
                    raise ValueError(f"repeated branch length at character {m.start()}")
                try:
                    lengths[cur] = float(value)
                except ValueError:
                    raise ValueError(
                        f"cannot parse branch length {value!r} at character {m.start()}"
                    ) from None
                want_length = False
            elif cur < 0:
                cur = new_node(value)
            elif lengths[cur] is not None:
                raise ValueError(f"label {value!r} after a branch length at {m.start()}")
            else:  # label fragments split by a comment are concatenated
                names[cur] = (names[cur] or "") + value
            continue
        if want_length:
            raise ValueError(f"missing branch length after ':' at character {m.start()}")
        if c == "(":
            if cur >= 0:
                raise ValueError(f"unexpected '(' at character {m.start()}")
            stack.append(new_node(None))
        elif c == ":":
            if cur < 0:
                cur = new_node(None)
            want_length = True
        elif c == ",":
            if not stack:
                raise ValueError(f"',' outside parentheses at character {m.start()}")
            if cur < 0:
                cur = new_node(None)
            post.append(cur)
            cur = -1
        elif c == ")":
            if not stack:
                raise ValueError(f"unbalanced ')' at character {m.start()}")
            if cur < 0:
                cur = new_node(None)
            post.append(cur)
            cur = stack.pop()
        else:  # ';'
            if stack:
                raise ValueError(f"{len(stack)} unclosed '(' before ';'")
            if cur < 0:
                raise ValueError("empty tree")
            post.append(cur)
            done = True
    if want_length:
        raise ValueError("missing branch length at end of input")
    if not done:
        if stack:
            raise ValueError(f"{len(stack)} unclosed '(' at end of input")
        if cur < 0:
            raise ValueError("empty Newick input")
        post.append(cur)

    order = np.asarray(post, dtype=np.int64)
    n = order.shape[0]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    ptmp = np.asarray(parent_tmp, dtype=np.int64)[order]
    parent = np.where(ptmp < 0, -1, rank[np.maximum(ptmp, 0)])
    length = np.array([0.0 if lengths[i] is None else lengths[i] for i in post], dtype=np.float64)
    has_child = np.zeros(n, dtype=bool)
    has_child[parent[parent >= 0]] = True
    return Tree(tuple(names[i] for i in post), parent, length, ~has_child)


# --------------------------------------------------------------------------------------------
# Newick writing
# --------------------------------------------------------------------------------------------

_QUOTE_CHARS = frozenset(",:_;()[]' \t\n\r")


def _format_label(name: str | None) -> str:
    if not name:
        return ""
    if any(ch in _QUOTE_CHARS for ch in name):
        return "'" + name.replace("'", "''") + "'"
    return name


def _children_lists(parent: np.ndarray) -> list[list[int]]:
    children: list[list[int]] = [[] for _ in range(parent.shape[0])]
    for i, p in enumerate(parent[:-1].tolist()):
        children[p].append(i)
    return children


def write_newick(tree: Tree) -> str:
    """Serialise a tree to a Newick string.

    Parameters
    ----------
    tree : Tree

    Returns
    -------
    str
        One line ending in ``";\\n"``.

    Notes
    -----
    Labels containing any of ``,:_;()[]'`` or whitespace are single-quoted (``'`` doubled),
    so scikit-bio's reader (which turns unquoted ``_`` into spaces) and :func:`read_newick`
    both read the names back unchanged. Every non-root branch length is written with
    Python's shortest round-trip ``repr`` (``1.0``, ``1e-05``), so lengths round-trip
    exactly; the root's length is omitted. Apart from the quoting of labels with spaces,
    this is the format of scikit-bio's ``str(TreeNode)``.

    Examples
    --------
    >>> write_newick(read_newick("((a:1,b:2)x:0.5,'c d':3);"))
    "((a:1.0,b:2.0)x:0.5,'c d':3.0);\\n"
    """
    children = _children_lists(tree.parent)
    out: list[str] = []
    root = tree.n_nodes - 1
    # iterative DFS; ("open", node) / ("close", node) events
    stack: list[tuple[bool, int]] = [(False, root)]
    lengths = tree.length.tolist()
    while stack:
        closing, node = stack.pop()
        kids = children[node]
        if not closing and kids:
            out.append("(")
            stack.append((True, node))
            for k, ch in enumerate(reversed(kids)):
                stack.append((False, ch))
                if k < len(kids) - 1:
                    stack.append((True, -1))  # separator marker
            continue
        if node == -1:
            out.append(",")
            continue
        if kids:
            out.append(")")
        out.append(_format_label(tree.names[node]))
        if node != root:
            out.append(":" + repr(lengths[node]))
    out.append(";\n")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Structure helpers
# --------------------------------------------------------------------------------------------


def subtree_start(tree: Tree) -> np.ndarray:
    """First (smallest) node index of each node's subtree.

    Parameters
    ----------
    tree : Tree

    Returns
    -------
    numpy.ndarray of int64, shape (n_nodes,)
        ``first[j]`` such that the subtree rooted at ``j`` is exactly the node range
        ``first[j]..j`` (postorder property). Tips have ``first[j] == j``.

    Notes
    -----
    ``first[j]`` is the first node of ``j``'s leftmost child's subtree; it is found by
    pointer doubling over "leftmost child" links, ``O(n_nodes log depth)`` and loop-free in
    Python apart from the ``log depth`` doubling rounds.

    Examples
    --------
    >>> subtree_start(read_newick("((a,b)x,c)r;")).tolist()
    [0, 1, 0, 3, 0]
    """
    n = tree.n_nodes
    idx = np.arange(n, dtype=np.int64)
    first = idx.copy()
    np.minimum.at(first, tree.parent[:-1], idx[:-1])  # leftmost child (or self for tips)
    while True:
        nxt = first[first]
        if np.array_equal(nxt, first):
            return first
        first = nxt


def _root_distance(tree: Tree) -> np.ndarray:
    """Sum of branch lengths from each node up to the root."""
    return _sum_to_root(tree, tree.length.astype(np.float64))


def _root_depth(tree: Tree) -> np.ndarray:
    """Number of branches from each node up to the root."""
    return _sum_to_root(tree, np.ones(tree.n_nodes, dtype=np.int64))


def _sum_to_root(tree: Tree, weights: np.ndarray) -> np.ndarray:
    """Sum of the branch weights from each node up to the root, by pointer doubling."""
    n = tree.n_nodes
    total = weights.copy()
    total[-1] = 0
    anc = tree.parent.copy()
    anc[-1] = n - 1
    while True:
        active = anc != n - 1
        if not active.any():
            return total
        total = total + np.where(active, total[anc], 0)
        anc = anc[anc]


def tip_index(tree: Tree, taxa: Sequence[str] | Iterable[str]) -> tuple[np.ndarray, list[str]]:
    """Map taxa to tip nodes.

    Parameters
    ----------
    tree : Tree
    taxa : sequence of str, length n_taxa

    Returns
    -------
    index : numpy.ndarray of int64, shape (n_taxa,)
        Node index of each taxon's tip, ``-1`` if the taxon is not a tip of the tree.
    missing : list of str
        The taxa not found, in input order.

    Raises
    ------
    ValueError
        If the tree has duplicated tip names (the first 10 are named).

    Notes
    -----
    Only tips are matched; internal node labels are ignored. Extra tips not in ``taxa``
    are allowed.

    Examples
    --------
    >>> t = read_newick("((a:1,b:2):1,c:3);")
    >>> idx, missing = tip_index(t, ["c", "zz", "a"])
    >>> idx.tolist(), missing
    ([3, -1, 0], ['zz'])
    """
    lookup = tree._tip_lookup
    taxa = [str(t) for t in taxa]
    index = np.fromiter((lookup.get(t, -1) for t in taxa), dtype=np.int64, count=len(taxa))
    missing = [t for t, i in zip(taxa, index.tolist(), strict=True) if i < 0]
    return index, missing


def branch_incidence(tree: Tree, taxa: Sequence[str] | Iterable[str]) -> sp.csr_array:
    """Taxon-by-branch incidence matrix.

    Parameters
    ----------
    tree : Tree
    taxa : sequence of str, length n_taxa

    Returns
    -------
    scipy.sparse.csr_array of float64, shape (n_taxa, n_nodes)
        ``M[i, j] = 1`` if the branch above node ``j`` lies on the path from taxon ``i``'s
        tip to the root, else 0. The root has no branch, so its column is all zero; a
        taxon missing from the tree has an all-zero row.

    Notes
    -----
    With ``X`` a ``(n_samples, n_taxa)`` count matrix, ``X @ M`` is the abundance below each
    branch, and ``(X > 0) @ M > 0`` the presence of each branch. Built without walking the
    tree: in postorder the tips below node ``j`` are those with index in
    ``[first[j], j]`` (:func:`subtree_start`), found by binary search over the sorted tip
    indices of the taxa. ``nnz`` is the sum of the taxa's depths (in branches).

    Examples
    --------
    >>> t = read_newick("((a:1,b:2):1,c:3);")
    >>> branch_incidence(t, ["a", "c"]).toarray().astype(int)
    array([[1, 0, 1, 0, 0],
           [0, 0, 0, 1, 0]])
    """
    index, _ = tip_index(tree, taxa)
    return _incidence_from_index(tree, index)


def phylogenetic_inputs(
    n_taxa: int, taxa: Sequence[str] | None, tree: object | None, *, metric: str
) -> tuple[Tree, sp.csr_array, np.ndarray]:
    """Validate the ``taxa`` and ``tree`` of a phylogenetic metric (Faith PD, UniFrac).

    Parameters
    ----------
    n_taxa : int
        Number of count columns the taxa must label.
    taxa : sequence of str or None
        Unique taxon IDs of the columns.
    tree : Tree, Newick text or path, or None
        Rooted tree whose tips include every taxon (extra tips are allowed).
    metric : str
        Named in the error messages.

    Returns
    -------
    tree : Tree
    incidence : scipy.sparse.csr_array, shape (n_taxa, n_nodes)
        :func:`branch_incidence` of the taxa.
    lengths : numpy.ndarray of float64, shape (n_nodes,)

    Raises
    ------
    ValueError
        Missing taxa or tree, duplicate taxa, a count mismatch, or taxa absent from the tree
        (the first 10 are named with the total).
    TypeError
        ``tree`` is not a tree.
    """
    tree, index = check_phylogenetic(n_taxa, taxa, tree, metric=metric)
    incidence = _incidence_from_index(tree, index)
    return tree, incidence, np.asarray(tree.length, dtype=np.float64)


def check_phylogenetic(
    n_taxa: int, taxa: Sequence[str] | None, tree: object | None, *, metric: str
) -> tuple[Tree, np.ndarray]:
    """Validate ``taxa`` and ``tree`` as :func:`phylogenetic_inputs` does (same errors).

    Returns
    -------
    tree : Tree
        Read from Newick text or a path if needed.
    index : numpy.ndarray of int64, shape (n_taxa,)
        Tip node of each taxon (:func:`tip_index`).
    """
    from holobiont.core._validate import check_ids, format_names

    if taxa is None:
        raise ValueError(f"{metric} needs `taxa` (or a FeatureTable) to match counts to tips.")
    if tree is None:
        raise ValueError(f"{metric} needs a `tree`.")
    taxa = check_ids(taxa, "taxa")
    if len(taxa) != n_taxa:
        raise ValueError(f"{len(taxa)} taxa given for counts with {n_taxa} taxa (columns).")
    if isinstance(tree, str | os.PathLike):
        tree = read_newick(tree)
    if not isinstance(tree, Tree):
        raise TypeError(f"tree must be a holobiont.core.tree.Tree, got {type(tree).__name__}.")
    index, missing = tip_index(tree, taxa)
    if missing:
        raise ValueError(f"taxa absent from the tree: {format_names(missing)}")
    return tree, index


def _incidence_from_index(tree: Tree, index: np.ndarray) -> sp.csr_array:
    n_taxa = index.shape[0]
    n = tree.n_nodes
    rows = np.flatnonzero(index >= 0)
    order = np.argsort(index[rows], kind="stable")
    rows = rows[order]
    tips_sorted = index[rows]
    first = subtree_start(tree)
    lo = np.searchsorted(tips_sorted, first, side="left")
    hi = np.searchsorted(tips_sorted, np.arange(n), side="right")
    counts = hi - lo
    counts[-1] = 0  # the root carries no branch
    nnz = int(counts.sum())
    # CSC: column j holds rows[lo[j]:hi[j]]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    pos = np.arange(nnz, dtype=np.int64) - np.repeat(indptr[:-1] - lo, counts)
    indices = rows[pos]
    csc = sp.csc_array((np.ones(nnz, dtype=np.float64), indices, indptr), shape=(n_taxa, n))
    out = csc.tocsr()
    out.sort_indices()
    return out


# --------------------------------------------------------------------------------------------
# Midpoint rooting (scikit-bio 0.7.4 semantics)
# --------------------------------------------------------------------------------------------


def midpoint_root(tree: Tree) -> Tree:
    """Re-root a tree at the midpoint of its longest tip-to-tip path.

    Reproduces scikit-bio 0.7.4 ``TreeNode.root_at_midpoint()`` with its defaults
    (``reset=True``), including the order of children in the result.

    Parameters
    ----------
    tree : Tree

    Returns
    -------
    Tree
        The re-rooted tree (a new object; ``tree`` is not modified).

    Notes
    -----
    Steps, as in scikit-bio:

    1. *Unroot*: if the root has exactly two children, one basal node is dissolved into the
       root (the first child, unless it is a tip and the second is not); its children are
       spliced in at its position, the root takes its name, and its branch length is added
       to the other basal node.
    2. *Diameter*: the farthest tip pair is found in one postorder pass. Ties keep the
       first candidate (children order), exactly as ``TreeNode.maxdist``.
    3. *Climb*: from the tip of the pair whose distance to their lowest common ancestor
       exceeds half the diameter (else the other tip), climb while the accumulated length
       stays below half the diameter. If the midpoint falls exactly on a node (float
       equality) that node becomes the root; otherwise a new unnamed root is inserted into
       the branch, at distance ``half - climbed`` above the lower node.
    4. *Re-orient*: every node on the path from the new root to the old root gets its old
       parent appended as its last child, and branch lengths move along the path.

    Degenerate cases: a tree whose diameter is 0 (a single tip, or all lengths zero) is only
    unrooted (step 1), like scikit-bio. A tree with two tips under the root is returned
    rooted at the true midpoint, ``(a:d/2,b:d/2)``; scikit-bio instead turns tip ``a`` into
    the root (a known quirk of its unroot step). Missing branch lengths count as 0
    (scikit-bio raises for some of them). When float rounding makes the climb overshoot the
    lowest common ancestor (scikit-bio then raises ``TypeError``), the LCA becomes the root.

    References
    ----------
    .. [1] Farris, J. S. (1972). Estimating phylogenetic trees from distance matrices.
       The American Naturalist, 106(951), 645-668.

    Examples
    --------
    >>> t = read_newick("((a:1,b:1)c:2,(d:3,e:4)f:5,g:1)h;")
    >>> write_newick(midpoint_root(t))
    '((d:3.0,e:4.0)f:2.0,((a:1.0,b:1.0)c:2.0,g:1.0)h:3.0);\\n'
    """
    n = tree.n_nodes
    parent = tree.parent.tolist()
    children = _children_lists(tree.parent)
    names: list[str | None] = list(tree.names)
    length: list[float] = tree.length.tolist()
    root = n - 1

    # special case: exactly two tips hanging from the root
    rk = children[root]
    if len(rk) == 2 and not children[rk[0]] and not children[rk[1]]:
        a, b = rk
        d = length[a] + length[b]
        if d == 0.0:
            return tree
        half = d / 2.0
        return Tree((names[a], names[b], None), [2, 2, -1], [half, half, 0.0], [True, True, False])

    _unroot(root, parent, children, names, length)
    max_dist, tip1, tip2 = _diameter(root, children, length)
    if max_dist == 0.0 or tip1 < 0:
        return _from_children(children, root, names, length)
    new_root = _midpoint_node(tip1, tip2, max_dist / 2.0, parent, children, names, length)
    _reverse_path_to_root(new_root, parent, children, length)
    return _from_children(children, new_root, names, length)


# midpoint_root's steps work on parallel lists indexed by node (parent, children, names and
# branch length), changed in place.


def _unroot(root: int, parent: list, children: list, names: list, length: list) -> None:
    """Step 1: dissolve one of two basal nodes into the root (as scikit-bio's unroot)."""
    rk = children[root]
    if len(rk) != 2:
        return
    b0, b1 = rk
    side = 1 if (not children[b0] and children[b1]) else 0
    chosen, other = (b1, b0) if side else (b0, b1)
    for ch in children[chosen]:
        parent[ch] = root
    children[root] = [other] + children[chosen] if side else children[chosen] + [other]
    names[root] = names[chosen]
    length[other] = length[other] + length[chosen]
    parent[chosen] = -2  # detached
    children[chosen] = []


def _diameter(root: int, children: list, length: list) -> tuple[float, int, int]:
    """Step 2: (distance, tip, tip) of the farthest tip pair, first candidate on ties."""
    post = _postorder(children, root)
    up: dict[int, tuple[float, int]] = {}
    best: dict[int, tuple[float, int, int]] = {}
    for node in post:
        kids = children[node]
        if not kids:
            up[node] = (0.0, node)
            best[node] = (0.0, -1, -1)
        elif len(kids) > 1:
            ups = [(up[c][0] + length[c], up[c][1]) for c in kids]
            ins = [best[c] for c in kids]
            ups.sort(key=lambda x: x[0], reverse=True)
            (u1, t1), (u2, t2) = ups[:2]
            in_best = max(ins, key=lambda x: x[0])
            x = u1 + u2
            best[node] = (x, t1, t2) if x > in_best[0] else in_best
            up[node] = (u1, t1)
        else:
            (c,) = kids
            up[node] = (up[c][0] + length[c], up[c][1])
            best[node] = best[c]
    return best[root]


def _midpoint_node(
    tip1: int, tip2: int, half: float, parent: list, children: list, names: list, length: list
) -> int:
    """Step 3: climb from the farther tip to half the diameter; the node there, or a new one
    inserted into the branch."""
    anc1 = []
    x = tip1
    while x != -1:
        anc1.append(x)
        x = parent[x]
    set1 = set(anc1)
    lca = tip2
    while lca not in set1:
        lca = parent[lca]
    depth1 = 0
    x = tip1
    while x != lca:
        depth1 += length[x]
        x = parent[x]
    climb = tip1 if depth1 > half else tip2
    climbed = 0.0
    while climb != lca and (d := climbed + length[climb]) < half:
        climbed = d
        climb = parent[climb]
    if climb == lca:  # rounding pushed the midpoint onto the LCA (scikit-bio raises here)
        return lca
    if climbed + length[climb] == half:
        return parent[climb]
    new_root = len(names)
    names.append(None)
    length.append(length[climb] - (half - climbed))
    length[climb] = half - climbed
    p = parent[climb]
    parent.append(p)
    children.append([climb])
    children[p] = [new_root if c == climb else c for c in children[p]]
    parent[climb] = new_root
    return new_root


def _reverse_path_to_root(new_root: int, parent: list, children: list, length: list) -> None:
    """Step 4: every node on the path new root -> old root takes its old parent as its last
    child; branch lengths move along the path."""
    path = [new_root]
    while parent[path[-1]] != -1:
        path.append(parent[path[-1]])
    for k in range(len(path) - 1):
        node, up_node = path[k], path[k + 1]
        children[up_node].remove(node)
        children[node].append(up_node)
    for k in range(len(path) - 1, 0, -1):
        length[path[k]] = length[path[k - 1]]
    length[new_root] = 0.0


def _postorder(children: list[list[int]], root: int) -> list[int]:
    out: list[int] = []
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded or not children[node]:
            out.append(node)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children[node]))
    return out


def _from_children(
    children: list[list[int]], root: int, names: list[str | None], length: list[float]
) -> Tree:
    post = _postorder(children, root)
    rank = {node: i for i, node in enumerate(post)}
    parent = np.full(len(post), -1, dtype=np.int64)
    for node in post:
        for c in children[node]:
            parent[rank[c]] = rank[node]
    is_tip = np.array([not children[node] for node in post], dtype=bool)
    lengths = np.array([length[node] for node in post], dtype=np.float64)
    lengths[-1] = 0.0
    return Tree(tuple(names[node] for node in post), parent, lengths, is_tip)
