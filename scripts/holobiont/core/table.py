"""Feature tables: counts of taxa per sample, with their identifiers and taxonomy.

A :class:`FeatureTable` holds counts of shape ``(n_samples, n_taxa)`` (dense ``numpy`` array or
``scipy.sparse.csr_array``), the sample IDs, the taxa and an optional taxonomy. This module reads
and writes tables (TSV and BIOM 2.1 HDF5), merges per-sample profiles into a cohort table, and
provides the usual transforms: closure, rarefaction, multiplicative replacement, CLR, taxonomic
collapse and filters. Dense and sparse input give equal results everywhere.

Examples
--------
>>> import numpy as np
>>> from holobiont.core.table import FeatureTable, closure
>>> t = FeatureTable(np.array([[1, 3], [2, 2]]), ("s1", "s2"), ("taxA", "taxB"))
>>> t.shape
(2, 2)
>>> closure(t).counts.tolist()
[[0.25, 0.75], [0.5, 0.5]]
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from holobiont.core._validate import (
    as_counts,
    as_rng,
    check_ids,
    choose,
    format_names,
    row_sums,
)

__all__ = [
    "CLR_REPLACEMENTS",
    "RANKS",
    "UNASSIGNED",
    "FeatureTable",
    "Rarefied",
    "closure",
    "clr",
    "collapse",
    "filter_samples",
    "filter_taxa",
    "format_lineage",
    "merge_profiles",
    "multiplicative_replacement",
    "parse_lineage",
    "rarefy",
    "read_biom",
    "read_tsv",
    "write_biom",
    "write_tsv",
]

#: Taxonomic ranks known to :func:`parse_lineage`, from the top down.
RANKS: tuple[str, ...] = (
    "domain",
    "phylum",
    "class",
    "order",
    "family",
    "genus",
    "species",
    "strain",
)

#: Name of the bucket that :func:`collapse` puts taxa into when their rank is unknown.
UNASSIGNED = "unassigned"

#: Zero-handling strategies of :func:`clr`.
CLR_REPLACEMENTS: tuple[str, ...] = ("multiplicative", "pseudocount", "none")

#: Rank of each one-letter lineage prefix (Greengenes ``g__``, SINTAX ``g:``, GTDB ``d__``).
PREFIX_RANK = {
    "d": "domain",
    "k": "domain",
    "p": "phylum",
    "c": "class",
    "o": "order",
    "f": "family",
    "g": "genus",
    "s": "species",
    "t": "strain",
}
_RANK_PREFIX = {
    "domain": "d",
    "phylum": "p",
    "class": "c",
    "order": "o",
    "family": "f",
    "genus": "g",
    "species": "s",
    "strain": "t",
}
_RANK_ALIASES = {"kingdom": "domain"}
_UNKNOWN_NAMES = frozenset({"", "unassigned", "unclassified", "unknown", "na", "none"})
_TOKEN_RE = re.compile(r"^([A-Za-z])(?:__|:)(.*)$")
_CONFIDENCE_RE = re.compile(r"\(\s*\d*\.?\d+\s*\)$")

Counts = np.ndarray | sp.csr_array


# --------------------------------------------------------------------------- taxonomy strings


def _split_lineage(text: str) -> list[str]:
    """Split a lineage string into its stripped, non-empty tokens."""
    text = text.strip()
    for sep in (";", "|", ","):
        if sep in text:
            parts = text.split(sep)
            break
    else:
        parts = [text]
    return [p.strip() for p in parts if p.strip()]


def parse_lineage(lineage: str) -> dict[str, str]:
    """Parse a taxonomic lineage string into ``{rank: name}``.

    Parameters
    ----------
    lineage : str
        One of

        - Greengenes / SILVA / GTDB style: ``"k__Bacteria; p__Firmicutes; ...; s__faecalis"``
          (``;`` separated, ``x__`` prefixes);
        - MetaPhlAn style: the same tokens separated by ``|``;
        - SINTAX style: ``"d:Bacteria,p:Firmicutes,...,g:Enterococcus"`` (``,`` separated, ``x:``
          prefixes, an optional confidence such as ``"g:Enterococcus(0.97)"`` is removed);
        - unprefixed tokens (``"Bacteria;Firmicutes;..."``), read positionally as domain,
          phylum, class, order, family, genus, species, strain.

    Returns
    -------
    dict of str to str
        Known ranks (a subset of :data:`RANKS`, in that order) mapped to names. The prefixes
        ``d`` and ``k`` both mean ``"domain"``; ``t`` means ``"strain"``. Ranks whose name is
        empty (``"g__"``) or a placeholder (``unassigned``, ``unclassified``, ``unknown``,
        ``NA``, ``none``, any case) are left out, so ``""`` and ``"Unassigned"`` give ``{}``.

    Raises
    ------
    ValueError
        If the lineage mixes prefixed and unprefixed tokens, uses an unknown rank prefix, or
        names a rank twice.

    Notes
    -----
    Greengenes species are epithets (``s__faecalis``), GTDB species are binomials
    (``s__Enterococcus faecalis``); names are returned as written.

    Examples
    --------
    >>> parse_lineage("k__Bacteria; p__Firmicutes; c__Bacilli; g__Enterococcus; s__")
    {'domain': 'Bacteria', 'phylum': 'Firmicutes', 'class': 'Bacilli', 'genus': 'Enterococcus'}
    >>> parse_lineage("d:Bacteria,p:Firmicutes,g:Enterococcus(0.97)")
    {'domain': 'Bacteria', 'phylum': 'Firmicutes', 'genus': 'Enterococcus'}
    >>> parse_lineage("Unassigned")
    {}
    """
    if not isinstance(lineage, str):
        raise TypeError(f"lineage must be a string, got {type(lineage).__name__}.")
    tokens = _split_lineage(lineage)
    matches = [_TOKEN_RE.match(tok) for tok in tokens]
    n_prefixed = sum(m is not None for m in matches)
    found: dict[str, str] = {}
    if n_prefixed == 0:
        if len(tokens) > len(RANKS):
            raise ValueError(f"lineage {lineage!r} has more unprefixed ranks than {RANKS}.")
        pairs = list(zip(RANKS, tokens, strict=False))
    elif n_prefixed == len(tokens):
        pairs = []
        for m in matches:
            letter = m.group(1).lower()
            if letter not in PREFIX_RANK:
                raise ValueError(f"unknown rank prefix {m.group(1)!r} in lineage {lineage!r}.")
            pairs.append((PREFIX_RANK[letter], m.group(2)))
    else:
        raise ValueError(f"lineage {lineage!r} mixes prefixed and unprefixed ranks.")
    seen: set[str] = set()
    for rank, raw in pairs:
        if rank in seen:
            raise ValueError(f"rank {rank!r} appears twice in lineage {lineage!r}.")
        seen.add(rank)
        name = _CONFIDENCE_RE.sub("", raw).strip()
        if name.lower() not in _UNKNOWN_NAMES:
            found[rank] = name
    return {rank: found[rank] for rank in RANKS if rank in found}


def format_lineage(ranks: Mapping[str, str], upto: str | None = None) -> str:
    """Format ``{rank: name}`` as a canonical Greengenes-style lineage.

    Parameters
    ----------
    ranks : mapping of str to str
        As returned by :func:`parse_lineage`.
    upto : str, optional
        Last rank to write (``"kingdom"`` is an alias of ``"domain"``). Default: the deepest
        rank present in `ranks`.

    Returns
    -------
    str
        ``"d__...; p__...; ..."`` with every rank from domain down to `upto`; unknown ranks are
        written empty (``"c__"``).

    Examples
    --------
    >>> format_lineage({"domain": "Bacteria", "genus": "Enterococcus"})
    'd__Bacteria; p__; c__; o__; f__; g__Enterococcus'
    """
    if upto is None:
        present = [r for r in RANKS if r in ranks]
        if not present:
            return ""
        upto = present[-1]
    upto = _canonical_rank(upto)
    stop = RANKS.index(upto) + 1
    return "; ".join(f"{_RANK_PREFIX[r]}__{ranks.get(r, '')}" for r in RANKS[:stop])


def _canonical_rank(rank: str) -> str:
    rank = _RANK_ALIASES.get(rank, rank)
    return choose(rank, RANKS, "rank")


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True, eq=False, repr=False)
class FeatureTable:
    """Counts of taxa per sample, with identifiers.

    Parameters
    ----------
    counts : array_like or scipy sparse array/matrix, shape (n_samples, n_taxa)
        Non-negative finite counts (or abundances). Stored as ``int64`` or ``float64`` numpy
        array, or as a ``scipy.sparse.csr_array`` in canonical form (sorted indices, no
        duplicates, no explicit zeros).
    sample_ids : sequence of str, shape (n_samples,)
        Unique sample IDs, one per row.
    taxa : sequence of str, shape (n_taxa,)
        Unique taxon IDs, one per column.
    taxonomy : mapping of str to str, optional
        Lineage string of some or all taxa (see :func:`parse_lineage`). Keys must be in
        `taxa`; taxa without an entry have no known lineage. Stored as a ``dict`` (empty when
        not given).

    Raises
    ------
    ValueError
        On a shape mismatch, duplicate IDs (the duplicates are named), negative, NaN or
        infinite counts, or taxonomy keys that are not taxa.
    TypeError
        On non-numeric counts, or IDs / lineages that are not strings.

    Notes
    -----
    The dataclass is frozen; treat ``counts`` as read-only too. All functions of this module
    return new tables.

    Examples
    --------
    >>> t = FeatureTable([[0, 5], [1, 1]], ["s1", "s2"], ["t1", "t2"], {"t1": "k__Bacteria"})
    >>> t
    FeatureTable(2 samples x 2 taxa, dense int64, 1 lineage)
    >>> t.depths.tolist()
    [5, 2]
    >>> FeatureTable([[1, 2]], ["s1"], ["t1", "t1"])
    Traceback (most recent call last):
    ...
    ValueError: duplicate taxa: 't1'
    """

    counts: Counts
    sample_ids: tuple[str, ...]
    taxa: tuple[str, ...]
    taxonomy: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        counts = as_counts(self.counts)
        sample_ids = check_ids(self.sample_ids, "sample IDs")
        taxa = check_ids(self.taxa, "taxa")
        if counts.shape != (len(sample_ids), len(taxa)):
            raise ValueError(
                f"counts have shape {counts.shape} but there are {len(sample_ids)} sample IDs "
                f"and {len(taxa)} taxa; counts must be (n_samples, n_taxa)."
            )
        taxonomy = dict(self.taxonomy or {})
        extra = [k for k in taxonomy if k not in set(taxa)]
        if extra:
            raise ValueError(
                f"taxonomy names taxa that are not in the table: {format_names(extra)}"
            )
        for k, v in taxonomy.items():
            if not isinstance(v, str):
                raise TypeError(f"lineage of {k!r} must be a string, got {type(v).__name__}.")
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "sample_ids", sample_ids)
        object.__setattr__(self, "taxa", taxa)
        object.__setattr__(self, "taxonomy", taxonomy)

    @classmethod
    def _trusted(
        cls,
        counts: Counts,
        sample_ids: tuple[str, ...],
        taxa: tuple[str, ...],
        taxonomy: Mapping[str, str] | None,
    ) -> FeatureTable:
        """Build a table from parts that are already valid (no checks; internal use)."""
        self = object.__new__(cls)
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "sample_ids", tuple(sample_ids))
        object.__setattr__(self, "taxa", tuple(taxa))
        keep = set(taxa)
        object.__setattr__(
            self, "taxonomy", {k: v for k, v in (taxonomy or {}).items() if k in keep}
        )
        return self

    def __repr__(self) -> str:
        kind = "sparse" if self.is_sparse else "dense"
        return (
            f"FeatureTable({self.n_samples} samples x {self.n_taxa} taxa, {kind} "
            f"{self.counts.dtype}, {len(self.taxonomy)} lineage"
            f"{'' if len(self.taxonomy) == 1 else 's'})"
        )

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_samples, n_taxa)``."""
        return (len(self.sample_ids), len(self.taxa))

    @property
    def n_samples(self) -> int:
        """Number of samples (rows)."""
        return len(self.sample_ids)

    @property
    def n_taxa(self) -> int:
        """Number of taxa (columns)."""
        return len(self.taxa)

    @property
    def is_sparse(self) -> bool:
        """True if ``counts`` is a ``scipy.sparse.csr_array``."""
        return sp.issparse(self.counts)

    @property
    def depths(self) -> np.ndarray:
        """Total count of each sample, shape ``(n_samples,)``, same dtype as ``counts``."""
        return row_sums(self.counts)

    def to_dense(self) -> FeatureTable:
        """The same table with a dense ``numpy`` counts array."""
        if not self.is_sparse:
            return self
        return FeatureTable._trusted(
            self.counts.toarray(), self.sample_ids, self.taxa, self.taxonomy
        )

    def to_sparse(self) -> FeatureTable:
        """The same table with ``scipy.sparse.csr_array`` counts."""
        if self.is_sparse:
            return self
        return FeatureTable._trusted(
            sp.csr_array(self.counts), self.sample_ids, self.taxa, self.taxonomy
        )

    def dense_counts(self) -> np.ndarray:
        """Counts as a dense array, shape ``(n_samples, n_taxa)``."""
        return self.counts.toarray() if self.is_sparse else self.counts

    def to_frame(self):
        """Counts as a ``pandas.DataFrame`` (index: sample IDs, columns: taxa)."""
        import pandas as pd

        return pd.DataFrame(
            self.dense_counts(), index=list(self.sample_ids), columns=list(self.taxa)
        )

    def select(
        self,
        samples: Sequence[str] | None = None,
        taxa: Sequence[str] | None = None,
    ) -> FeatureTable:
        """Subset (and reorder) samples and/or taxa by ID.

        Raises
        ------
        ValueError
            If an ID is unknown (the unknown IDs are named) or repeated.

        Examples
        --------
        >>> t = FeatureTable([[1, 2, 3]], ["s1"], ["a", "b", "c"])
        >>> t.select(taxa=["c", "a"]).counts.tolist()
        [[3, 1]]
        """
        rows = _positions(self.sample_ids, samples, "sample IDs")
        cols = _positions(self.taxa, taxa, "taxa")
        return self._take(rows, cols)

    def _take(self, rows: np.ndarray | None, cols: np.ndarray | None) -> FeatureTable:
        counts = self.counts
        sample_ids, taxa = self.sample_ids, self.taxa
        if rows is not None:
            counts = counts[rows]
            sample_ids = tuple(sample_ids[i] for i in rows)
        if cols is not None:
            counts = counts[:, cols]
            taxa = tuple(taxa[j] for j in cols)
        if sp.issparse(counts):
            counts = sp.csr_array(counts)
            counts.sort_indices()
        return FeatureTable._trusted(counts, sample_ids, taxa, self.taxonomy)


def _positions(ids: tuple[str, ...], wanted: Sequence[str] | None, what: str):
    if wanted is None:
        return None
    wanted = check_ids(wanted, what)
    index = {x: i for i, x in enumerate(ids)}
    missing = [w for w in wanted if w not in index]
    if missing:
        raise ValueError(f"unknown {what}: {format_names(missing)}")
    return np.array([index[w] for w in wanted], dtype=np.intp)


def _as_table(table: object, fn: str) -> FeatureTable:
    if not isinstance(table, FeatureTable):
        raise TypeError(f"{fn} needs a FeatureTable, got {type(table).__name__}.")
    return table


def _integral_dtype(counts: Counts) -> Counts:
    """Return counts as int64 if every value is integral, else unchanged (float64)."""
    values = counts.data if sp.issparse(counts) else counts
    if (
        counts.dtype == np.float64
        and np.array_equal(values, np.floor(values))
        and (values.size == 0 or values.max() < 2.0**63)
    ):
        return counts.astype(np.int64)
    return counts


# --------------------------------------------------------------------------- TSV I/O


def write_tsv(table: FeatureTable, path: str | PathLike) -> None:
    """Write a table as tab-separated text, one row per taxon.

    Format: a header line ``taxon_id<TAB>sample_1<TAB>...<TAB>sample_n`` followed by one
    line per taxon with its counts (integers as integers, floats in shortest round-trip
    form, so reading back gives identical values). If the table has any taxonomy, a last
    column ``taxonomy`` holds the lineage (empty for taxa without one). This is the
    orientation of BIOM-converted TSV files (rows = taxa, columns = samples).

    Parameters
    ----------
    table : FeatureTable
    path : str or path-like

    Examples
    --------
    >>> import tempfile, os
    >>> t = FeatureTable([[1, 0], [2, 5]], ["s1", "s2"], ["t1", "t2"])
    >>> p = os.path.join(tempfile.mkdtemp(), "t.tsv")
    >>> write_tsv(t, p)
    >>> open(p).read().splitlines()
    ['taxon_id\\ts1\\ts2', 't1\\t1\\t2', 't2\\t0\\t5']
    """
    table = _as_table(table, "write_tsv")
    for ident in (*table.sample_ids, *table.taxa, *table.taxonomy.values()):
        if any(c in ident for c in "\t\n\r"):
            raise ValueError(f"cannot write {ident!r} to TSV: it contains a tab or newline.")
    header = ["taxon_id", *table.sample_ids]
    with_tax = bool(table.taxonomy)
    if with_tax:
        if "taxonomy" in table.sample_ids:
            raise ValueError("a sample named 'taxonomy' clashes with the taxonomy column.")
        header.append("taxonomy")
    by_taxon = table.dense_counts().T
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(header) + "\n")
        for taxon, row in zip(table.taxa, by_taxon.tolist(), strict=True):
            fields = [taxon, *map(str, row)]
            if with_tax:
                fields.append(table.taxonomy.get(taxon, ""))
            fh.write("\t".join(fields) + "\n")


def read_tsv(path: str | PathLike, *, sparse: bool = False) -> FeatureTable:
    """Read a table written by :func:`write_tsv` (or a BIOM-converted TSV).

    Parameters
    ----------
    path : str or path-like
        Tab-separated text, rows = taxa, columns = samples. Leading lines that start with
        ``"# "`` (e.g. ``# Constructed from biom file``) are skipped. The first header field
        (``taxon_id`` or ``#OTU ID``) names the taxon column; a last column named
        ``taxonomy`` holds lineages (empty cells mean no lineage).
    sparse : bool, optional
        Return ``csr_array`` counts (default: dense).

    Returns
    -------
    FeatureTable
        Counts are ``int64`` if every value is integral, else ``float64``.

    Raises
    ------
    ValueError
        On duplicate sample IDs or taxa (named), a row whose number of fields differs from the
        header's (line number given), or non-numeric, negative or non-finite counts.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.tsv")
    >>> _ = open(p, "w").write("taxon_id\\ts1\\ts2\\ttaxonomy\\nt1\\t1\\t2.5\\tk__Bacteria\\n")
    >>> t = read_tsv(p)
    >>> t.counts.tolist(), t.taxonomy
    ([[1.0], [2.5]], {'t1': 'k__Bacteria'})
    """
    with open(path, encoding="utf-8") as fh:
        lineno = 1
        line = fh.readline()
        while line.startswith("# "):
            lineno += 1
            line = fh.readline()
        if not line.strip():
            raise ValueError(f"{path}: no header line.")
        header = line.rstrip("\r\n").split("\t")
        n_fields = len(header)
        with_tax = n_fields > 1 and header[-1] == "taxonomy"
        sample_ids = check_ids(header[1 : n_fields - with_tax], "sample IDs")
        rows = []
        for number, raw in enumerate(fh, start=lineno + 1):
            text = raw.rstrip("\r\n")
            if not text:
                continue
            fields = text.split("\t")
            if len(fields) != n_fields:
                raise ValueError(
                    f"{path}, line {number}: {len(fields)} fields, the header has {n_fields}."
                )
            rows.append(fields)
    taxa = check_ids([r[0] for r in rows], "taxa")
    try:
        values = np.array([r[1 : n_fields - with_tax] for r in rows], dtype=np.float64)
    except ValueError as err:
        raise ValueError(f"{path}: non-numeric count ({err}).") from None
    values = values.reshape(len(taxa), len(sample_ids))
    counts = _integral_dtype(as_counts(values.T.copy(), name=f"counts in {path}"))
    taxonomy = {r[0]: r[-1].strip() for r in rows if with_tax and r[-1].strip()}
    table = FeatureTable(counts, sample_ids, taxa, taxonomy)
    return table.to_sparse() if sparse else table


# --------------------------------------------------------------------------- BIOM I/O


def write_biom(
    table: FeatureTable, path: str | PathLike, *, generated_by: str = "holobiont"
) -> None:
    """Write a table as BIOM 2.1 HDF5 (via the ``biom-format`` package).

    BIOM stores observations (taxa) x samples, as ``float64``. Each lineage is stored as the
    observation metadata ``"taxonomy"``: the list of its rank tokens, e.g. ``["k__Bacteria",
    "p__Firmicutes"]``. Taxa without a lineage get no ``"taxonomy"`` value; if the table has
    no taxonomy at all, no observation metadata is written.

    Parameters
    ----------
    table : FeatureTable
    path : str or path-like
    generated_by : str, optional
        Recorded in the file's ``generated-by`` attribute. The ``creation-date`` attribute is
        ``SOURCE_DATE_EPOCH`` (reproducible-builds convention) or 1970-01-01T00:00:00, so that
        the same table always gives the same bytes.

    Examples
    --------
    >>> import tempfile, os
    >>> t = FeatureTable([[1, 0], [2, 5]], ["s1", "s2"], ["t1", "t2"], {"t1": "k__A; p__B"})
    >>> p = os.path.join(tempfile.mkdtemp(), "t.biom")
    >>> write_biom(t, p)
    >>> back = read_biom(p)
    >>> back.counts.toarray().tolist(), back.taxonomy
    ([[1, 0], [2, 5]], {'t1': 'k__A; p__B'})
    """
    import biom
    import h5py

    table = _as_table(table, "write_biom")
    data = sp.csr_array(table.counts, dtype=np.float64).T.tocsr()
    metadata = None
    if table.taxonomy:
        metadata = [
            {"taxonomy": _split_lineage(table.taxonomy[t]) if t in table.taxonomy else []}
            for t in table.taxa
        ]
    btable = biom.Table(
        sp.csr_matrix(data),
        observation_ids=list(table.taxa),
        sample_ids=list(table.sample_ids),
        observation_metadata=metadata,
    )
    # biom stamps the file with "now"; a result must not depend on when it was made
    # (reproducible outputs), so the date is SOURCE_DATE_EPOCH's, or 1970-01-01.
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    created = datetime.datetime.fromtimestamp(epoch, datetime.UTC).replace(tzinfo=None)
    with h5py.File(path, "w") as fh:
        btable.to_hdf5(fh, generated_by, creation_date=created)


def read_biom(path: str | PathLike, *, sparse: bool = True) -> FeatureTable:
    """Read a BIOM table (2.1 HDF5, or 1.0 JSON) into a :class:`FeatureTable`.

    Parameters
    ----------
    path : str or path-like
    sparse : bool, optional
        Return ``csr_array`` counts (default) or a dense array.

    Returns
    -------
    FeatureTable
        Counts ``(n_samples, n_taxa)``, ``int64`` if every value is integral, else
        ``float64``. A ``"taxonomy"`` observation metadata list is joined with ``"; "``; a
        string is kept as is; empty or missing means no lineage.

    Raises
    ------
    ValueError
        As :class:`FeatureTable` (duplicate IDs, negative counts, ...).

    Examples
    --------
    >>> import tempfile, os
    >>> t = FeatureTable(np.array([[3, 0], [1, 2]]), ("s1", "s2"), ("t1", "t2"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_biom(t, os.path.join(d, "t.biom"))
    ...     back = read_biom(os.path.join(d, "t.biom"), sparse=False)
    >>> back.sample_ids, back.counts.tolist()
    (('s1', 's2'), [[3, 0], [1, 2]])
    """
    import biom

    btable = biom.load_table(str(path))
    sample_ids = [str(s) for s in btable.ids(axis="sample")]
    taxa = [str(t) for t in btable.ids(axis="observation")]
    counts = sp.csr_array(btable.matrix_data.T, dtype=np.float64)
    counts = _integral_dtype(as_counts(counts, name=f"counts in {path}"))
    taxonomy: dict[str, str] = {}
    meta = btable.metadata(axis="observation")
    if meta is not None:
        for taxon, md in zip(taxa, meta, strict=True):
            value = (md or {}).get("taxonomy")
            if value is None:
                continue
            if isinstance(value, str):
                lineage = value.strip()
            else:
                lineage = "; ".join(str(v).strip() for v in value if str(v).strip())
            if lineage:
                taxonomy[taxon] = lineage
    table = FeatureTable(counts, sample_ids, taxa, taxonomy)
    return table if sparse else table.to_dense()


# --------------------------------------------------------------------------- merging


def merge_profiles(
    profiles: Mapping[str, Mapping[str, float]] | Sequence[FeatureTable],
    *,
    sparse: bool | None = None,
) -> FeatureTable:
    """Merge per-sample profiles, or several tables, into one cohort table.

    Parameters
    ----------
    profiles : mapping or sequence of FeatureTable
        Either ``{sample_id: {taxon: count}}`` or a sequence of tables (their taxonomies are
        merged).
    sparse : bool, optional
        Force sparse (True) or dense (False) counts. Default: sparse if any input table is
        sparse; dense for mappings.

    Returns
    -------
    FeatureTable
        Samples in input order; taxa = the union, sorted by Python string order; absent
        counts are 0. ``int64`` if every input is integer (Python ints / int tables), else
        ``float64``.

    Raises
    ------
    ValueError
        If a sample ID occurs more than once (named), if two tables give different lineages
        for the same taxon (named), or on negative / non-finite counts.

    Examples
    --------
    >>> t = merge_profiles({"s1": {"b": 2, "a": 1}, "s2": {"c": 4}})
    >>> t.taxa, t.counts.tolist()
    (('a', 'b', 'c'), [[1, 2, 0], [0, 0, 4]])
    """
    if isinstance(profiles, Mapping):
        tables = []
        for sample_id, profile in profiles.items():
            if not isinstance(profile, Mapping):
                raise TypeError(f"profile of sample {sample_id!r} must be a mapping.")
            taxa = list(profile.keys())
            values = list(profile.values())
            is_int = all(
                isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values
            )
            arr = np.array(values, dtype=np.int64 if is_int else np.float64).reshape(1, -1)
            tables.append(FeatureTable(arr, (sample_id,), taxa))
        want_sparse = bool(sparse)
    else:
        tables = [_as_table(t, "merge_profiles") for t in profiles]
        want_sparse = any(t.is_sparse for t in tables) if sparse is None else bool(sparse)

    all_samples = [s for t in tables for s in t.sample_ids]
    sample_ids = check_ids(all_samples, "sample IDs")
    taxonomy: dict[str, str] = {}
    clashes = []
    for t in tables:
        for k, v in t.taxonomy.items():
            if taxonomy.setdefault(k, v) != v:
                clashes.append(k)
    if clashes:
        raise ValueError(f"conflicting lineages for taxa: {format_names(dict.fromkeys(clashes))}")
    taxa = tuple(sorted({x for t in tables for x in t.taxa}))
    column = {x: j for j, x in enumerate(taxa)}
    is_int = all(t.counts.dtype == np.int64 for t in tables)
    dtype = np.int64 if is_int else np.float64

    rows, cols, vals = [], [], []
    offset = 0
    for t in tables:
        coo = sp.coo_array(t.counts)
        remap = np.array([column[x] for x in t.taxa], dtype=np.int64)
        rows.append(coo.row.astype(np.int64) + offset)
        cols.append(remap[coo.col])
        vals.append(coo.data.astype(dtype))
        offset += t.n_samples
    shape = (len(sample_ids), len(taxa))
    if rows:
        merged = sp.csr_array(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
        )
    else:
        merged = sp.csr_array(shape, dtype=dtype)
    merged.sum_duplicates()
    merged.eliminate_zeros()
    counts = merged if want_sparse else merged.toarray()
    return FeatureTable._trusted(counts, sample_ids, taxa, taxonomy)


# --------------------------------------------------------------------------- closure


def closure(data: FeatureTable | Counts) -> FeatureTable | Counts:
    """Relative abundances: divide each sample (row) by its total.

    Parameters
    ----------
    data : FeatureTable or array_like or sparse, shape (n_samples, n_taxa)

    Returns
    -------
    FeatureTable or ndarray or csr_array, shape (n_samples, n_taxa)
        Same kind as the input (a table stays a table, sparse stays sparse), ``float64``.

    Notes
    -----
    :math:`p_{ij} = x_{ij} / \\sum_k x_{ik}`. An all-zero sample stays all-zero (its row sums
    to 0, not 1). ``skbio.stats.composition.closure`` raises ``ValueError`` on such a row
    instead; elsewhere the results agree.

    Examples
    --------
    >>> closure(np.array([[2, 2, 6], [0, 0, 0]])).tolist()
    [[0.2, 0.2, 0.6], [0.0, 0.0, 0.0]]
    """
    if isinstance(data, FeatureTable):
        return FeatureTable._trusted(
            _closure(data.counts), data.sample_ids, data.taxa, data.taxonomy
        )
    return _closure(as_counts(data))


def _closure(counts: Counts) -> Counts:
    totals = row_sums(counts).astype(np.float64)
    if sp.issparse(counts):
        out = sp.csr_array(counts, dtype=np.float64, copy=True)
        out.data /= np.repeat(totals, np.diff(out.indptr))
        return out
    x = counts.astype(np.float64)
    return np.divide(x, totals[:, None], out=np.zeros_like(x), where=totals[:, None] > 0)


# --------------------------------------------------------------------------- rarefaction


class Rarefied(NamedTuple):
    """Result of :func:`rarefy`.

    Attributes
    ----------
    table : FeatureTable
        The kept samples, each with exactly ``depth`` counts.
    dropped : dict of str to int
        Samples whose total was below ``depth``, with their totals (in input order).

    Examples
    --------
    >>> t = FeatureTable(np.array([[5, 5], [1, 0]]), ("deep", "shallow"), ("a", "b"))
    >>> res = rarefy(t, 4, seed=0)
    >>> res.table.sample_ids, res.table.depths.tolist(), res.dropped
    (('deep',), [4], {'shallow': 1})
    """

    table: FeatureTable
    dropped: dict[str, int]


def rarefy(table: FeatureTable, depth: int, seed: int | np.random.Generator) -> Rarefied:
    """Subsample every sample to `depth` reads, without replacement.

    Parameters
    ----------
    table : FeatureTable
        Integer-valued counts, shape ``(n_samples, n_taxa)``.
    depth : int
        Reads to keep per sample (>= 1).
    seed : int or numpy.random.Generator
        Source of randomness. For a given int seed (and numpy version) the result is
        bit-for-bit reproducible, and equal for dense and sparse input.

    Returns
    -------
    Rarefied
        ``(table, dropped)``: ``table`` has the samples with total >= `depth`, in input order,
        every row summing to `depth`, ``int64``, all taxa kept (including taxa that became
        all-zero), dense/sparse as the input; ``dropped`` maps each sample below `depth` to
        its total. Nothing is dropped silently.

    Raises
    ------
    ValueError
        If `depth` < 1, counts are not integral, or a sample has 10**9 or more reads.

    Notes
    -----
    Each kept sample's subsample follows the multivariate hypergeometric distribution: a
    uniformly random `depth`-subset of its reads, so :math:`E[y_{ij}] = d\\,x_{ij}/N_i`.
    Drawn with ``Generator.multivariate_hypergeometric`` (method "marginals") over the
    sample's non-zero taxa, one sample after the other.

    References
    ----------
    .. [1] Sanders, H. L. (1968). Marine benthic diversity: a comparative study. The
       American Naturalist, 102(925), 243-282.

    Examples
    --------
    >>> t = FeatureTable([[5, 5, 0], [1, 0, 1]], ["s1", "s2"], ["a", "b", "c"])
    >>> r = rarefy(t, 4, seed=0)
    >>> r.table.sample_ids, r.table.depths.tolist(), r.dropped
    (('s1',), [4], {'s2': 2})
    """
    table = _as_table(table, "rarefy")
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer) or depth < 1:
        raise ValueError(f"depth must be an integer >= 1, got {depth!r}.")
    depth = int(depth)
    rng = as_rng(seed)
    counts = table.counts
    values = counts.data if sp.issparse(counts) else counts
    if counts.dtype != np.int64:
        if not np.array_equal(values, np.floor(values)):
            raise ValueError("rarefy needs integer counts; this table has fractional values.")
        counts = counts.astype(np.int64)
    totals = row_sums(counts)
    too_big = totals >= 10**9
    if too_big.any():
        names = [s for s, b in zip(table.sample_ids, too_big, strict=True) if b]
        raise ValueError(
            f"samples with 10**9 or more reads cannot be rarefied: {format_names(names)}"
        )
    keep = np.flatnonzero(totals >= depth)
    dropped = {table.sample_ids[i]: int(totals[i]) for i in np.flatnonzero(totals < depth)}
    out = _rarefy_kernel(counts, keep, depth, rng)
    result = FeatureTable._trusted(
        out, tuple(table.sample_ids[i] for i in keep), table.taxa, table.taxonomy
    )
    return Rarefied(result, dropped)


def _rarefy_kernel(
    counts: Counts, keep: np.ndarray, depth: int, rng: np.random.Generator
) -> Counts:
    draw = rng.multivariate_hypergeometric
    if sp.issparse(counts):
        sub = sp.csr_array(counts[keep], dtype=np.int64)
        sub.sort_indices()
        data = sub.data.copy()
        ptr = sub.indptr
        for i in range(sub.shape[0]):
            lo, hi = ptr[i], ptr[i + 1]
            data[lo:hi] = draw(data[lo:hi], depth, method="marginals")
        out = sp.csr_array((data, sub.indices.copy(), ptr.copy()), shape=sub.shape)
        out.eliminate_zeros()
        return out
    out = np.zeros((len(keep), counts.shape[1]), dtype=np.int64)
    for k, i in enumerate(keep):
        row = counts[i]
        nz = np.flatnonzero(row)
        out[k, nz] = draw(row[nz], depth, method="marginals")
    return out


# --------------------------------------------------------------------------- compositional


def _label_rows(data: FeatureTable | None, rows: np.ndarray) -> str:
    if data is None:
        return "rows " + format_names(rows.tolist())
    return "samples " + format_names([data.sample_ids[i] for i in rows])


def _dense_input(data: FeatureTable | Counts) -> tuple[np.ndarray, FeatureTable | None]:
    if isinstance(data, FeatureTable):
        return data.dense_counts(), data
    counts = as_counts(data)
    return (counts.toarray() if sp.issparse(counts) else counts), None


def multiplicative_replacement(
    data: FeatureTable | Counts, delta: float | None = None
) -> np.ndarray:
    """Close each sample and replace its zeros by `delta` (multiplicative replacement).

    Parameters
    ----------
    data : FeatureTable or array_like or sparse, shape (n_samples, n_taxa)
    delta : float, optional
        Replacement value for zeros, > 0. Default :math:`1 / n_{taxa}^2`.

    Returns
    -------
    ndarray, shape (n_samples, n_taxa)
        Strictly positive ``float64`` proportions, every row summing to 1 (always 2-D,
        dense).

    Raises
    ------
    ValueError
        If a sample is all-zero (named; it has no composition), or `delta` is so large that a
        proportion would become negative.

    Notes
    -----
    With :math:`p` the closed sample and :math:`z` its number of zeros,
    :math:`r_j = \\delta` if :math:`p_j = 0`, else :math:`r_j = (1 - z\\delta)\\,p_j` [1]_.
    Equal to ``skbio.stats.composition.multi_replace`` (which squeezes a single row to 1-D).

    References
    ----------
    .. [1] Martín-Fernández, J. A., Barceló-Vidal, C., & Pawlowsky-Glahn, V. (2003). Dealing
       with zeros and missing values in compositional data sets using nonparametric
       imputation. Mathematical Geology, 35(3), 253-278.

    Examples
    --------
    >>> multiplicative_replacement(np.array([[2, 4, 4, 0]])).tolist()
    [[0.1875, 0.375, 0.375, 0.0625]]
    """
    x, table = _dense_input(data)
    _check_replacement(x, table, delta)
    return _multi_replace(x, delta)


def _check_replacement(
    x: np.ndarray, table: FeatureTable | None, delta: float | None
) -> np.ndarray:
    """Validate `delta` and that no sample is empty; returns the row totals (float64)."""
    if delta is not None and not (np.isfinite(delta) and delta > 0):
        raise ValueError(f"delta must be a positive finite number, got {delta!r}.")
    totals = x.sum(axis=1, dtype=np.float64)
    empty = np.flatnonzero(totals == 0)
    if empty.size:
        raise ValueError(
            f"multiplicative replacement needs non-empty samples; all-zero: "
            f"{_label_rows(table, empty)}"
        )
    return totals


def _multi_replace(x: np.ndarray, delta: float | None) -> np.ndarray:
    p = x / x.sum(axis=1, keepdims=True)
    zeros = p == 0
    if delta is None:
        delta = (1.0 / x.shape[1]) ** 2
    scale = 1.0 - zeros.sum(axis=1, keepdims=True) * delta
    if (scale < 0).any():
        raise ValueError(
            "multiplicative replacement created negative proportions; use a smaller delta."
        )
    return np.where(zeros, delta, scale * p)


def clr(
    data: FeatureTable | Counts,
    *,
    replacement: str = "multiplicative",
    pseudocount: float = 1.0,
    delta: float | None = None,
) -> np.ndarray:
    """Centred log-ratio transform of each sample.

    Parameters
    ----------
    data : FeatureTable or array_like or sparse, shape (n_samples, n_taxa)
    replacement : {"multiplicative", "pseudocount", "none"}, optional
        How zeros are handled: ``"multiplicative"`` (default) applies
        :func:`multiplicative_replacement` with `delta`; ``"pseudocount"`` adds `pseudocount`
        to every count; ``"none"`` requires strictly positive counts.
    pseudocount : float, optional
        Used by ``"pseudocount"`` only; > 0 (default 1.0).
    delta : float, optional
        Used by ``"multiplicative"`` only; see :func:`multiplicative_replacement`.

    Returns
    -------
    ndarray, shape (n_samples, n_taxa)
        ``float64``; each row sums to 0 (up to rounding).

    Raises
    ------
    ValueError
        On an unknown `replacement` (the known names are listed), a zero count with
        ``"none"``, an all-zero sample with ``"multiplicative"``, or a non-positive
        `pseudocount`.

    Notes
    -----
    :math:`\\mathrm{clr}(x)_j = \\ln x_j - \\frac{1}{D}\\sum_{k=1}^{D} \\ln x_k` [1]_, with
    :math:`D` = n_taxa. CLR is scale invariant, so closing first does not matter. Equal to
    ``skbio.stats.composition.clr`` applied to ``multi_replace(x)`` or ``x + pseudocount``.

    References
    ----------
    .. [1] Aitchison, J. (1982). The statistical analysis of compositional data. Journal of
       the Royal Statistical Society B, 44(2), 139-177.

    Examples
    --------
    >>> clr(np.array([[1, 1, 1, 1]])).tolist()
    [[0.0, 0.0, 0.0, 0.0]]
    >>> np.round(clr(np.array([[0, 1, 3]]), replacement="pseudocount"), 6).tolist()
    [[-0.693147, 0.0, 0.693147]]
    """
    choose(replacement, CLR_REPLACEMENTS, "replacement")
    if replacement == "multiplicative":
        x, table = _dense_input(data)
        totals = _check_replacement(x, table, delta)
        return _clr_multiplicative(x, delta, totals)
    else:
        x, table = _dense_input(data)
        if replacement == "pseudocount":
            if not (np.isfinite(pseudocount) and pseudocount > 0):
                raise ValueError(f"pseudocount must be positive and finite, got {pseudocount!r}.")
            positive = x + float(pseudocount)
        else:
            bad = np.flatnonzero((x <= 0).any(axis=1))
            if bad.size:
                raise ValueError(
                    f"clr with replacement='none' needs strictly positive counts; zeros in "
                    f"{_label_rows(table, bad)}"
                )
            positive = x.astype(np.float64)
    return _clr(positive)


def _clr(positive: np.ndarray) -> np.ndarray:
    logs = np.log(positive)
    return logs - logs.mean(axis=1, keepdims=True)


_CLR_BLOCK = 1 << 16  # entries per block of rows: the block's temporaries stay in cache


def _clr_multiplicative(
    x: np.ndarray, delta: float | None, totals: np.ndarray | None = None
) -> np.ndarray:
    """``_clr(_multi_replace(x, delta))`` without forming the replaced table.

    With :math:`N_i` the total, :math:`z_i` the number of zeros of row :math:`i`,
    :math:`s_i = 1 - z_i \\delta` and :math:`c_i = \\ln(s_i / N_i)`, the log of the replaced
    value is :math:`\\ln x_{ij} + c_i` for a non-zero count and :math:`\\ln \\delta` for a
    zero. So logs are taken of the non-zero counts only, and each block of rows is finished
    while it is in cache: every zero gets its row's constant, every non-zero its log plus
    another. Equal to the two-step form to rounding (~1e-14).
    """
    n, m = x.shape
    if delta is None:
        delta = (1.0 / m) ** 2
    log_delta = float(np.log(delta))
    out = np.empty((n, m))
    if totals is None:
        totals = x.sum(axis=1, dtype=np.float64)
    step = max(1, _CLR_BLOCK // max(1, m))
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        flat = np.flatnonzero(x[r0:r1] != 0)  # (bool nonzero is the fast one)
        rows = flat // m
        logs = np.log(x[r0:r1].ravel()[flat].astype(np.float64, copy=False))
        nnz = np.bincount(rows, minlength=r1 - r0).astype(np.float64)
        z = m - nnz
        scale = 1.0 - z * delta
        if (scale < 0).any():
            raise ValueError(
                "multiplicative replacement created negative proportions; use a smaller delta."
            )
        c = np.log(scale / totals[r0:r1])
        mean = (np.bincount(rows, weights=logs, minlength=r1 - r0) + nnz * c + z * log_delta) / m
        ob = out[r0:r1]
        ob[...] = (log_delta - mean)[:, None]
        ob.ravel()[flat] = logs + (c - mean)[rows]
    return out


# --------------------------------------------------------------------------- collapse, filters


def collapse(table: FeatureTable, rank: str) -> FeatureTable:
    """Sum the counts of taxa that share a lineage down to `rank`.

    Parameters
    ----------
    table : FeatureTable
    rank : str
        One of :data:`RANKS` (``"kingdom"`` is accepted for ``"domain"``).

    Returns
    -------
    FeatureTable
        Same samples (and dense/sparse kind and dtype). Each new taxon ID is the canonical
        lineage down to `rank` (:func:`format_lineage`, e.g. ``"d__Bacteria; p__Firmicutes;
        c__Bacilli; o__Lactobacillales; f__Enterococcaceae; g__Enterococcus"``; unknown
        intermediate ranks are left empty, ``"c__"``), and its taxonomy entry is the same
        string. Taxa whose name at `rank` is unknown (no lineage, lineage too shallow, or a
        placeholder name) are summed into one taxon called :data:`UNASSIGNED`
        (``"unassigned"``), which has no taxonomy entry. Taxa are sorted, with
        ``"unassigned"`` last (present only if some taxon went there).

    Raises
    ------
    ValueError
        On an unknown rank (known ranks listed) or an unparsable lineage.

    Examples
    --------
    >>> t = FeatureTable([[1, 2, 4]], ["s1"], ["x", "y", "z"],
    ...                  {"x": "k__B; p__F; g__E", "y": "k__B; p__F; g__E; s__f"})
    >>> c = collapse(t, "genus")
    >>> c.taxa, c.counts.tolist()
    (('d__B; p__F; c__; o__; f__; g__E', 'unassigned'), [[3, 4]])
    """
    table = _as_table(table, "collapse")
    rank = _canonical_rank(rank)
    groups = []
    for taxon in table.taxa:
        lineage = table.taxonomy.get(taxon)
        ranks = parse_lineage(lineage) if lineage is not None else {}
        groups.append(format_lineage(ranks, rank) if rank in ranks else UNASSIGNED)
    named = sorted(set(groups) - {UNASSIGNED})
    new_taxa = tuple(named + ([UNASSIGNED] if UNASSIGNED in groups else []))
    index = {g: k for k, g in enumerate(new_taxa)}
    col = np.array([index[g] for g in groups], dtype=np.int64)
    indicator = sp.csr_array(
        (np.ones(len(col), dtype=table.counts.dtype), (np.arange(len(col)), col)),
        shape=(table.n_taxa, len(new_taxa)),
    )
    summed = table.counts @ indicator
    if sp.issparse(summed):
        summed = sp.csr_array(summed)
        summed.sort_indices()
        summed.eliminate_zeros()
    else:
        summed = np.asarray(summed, dtype=table.counts.dtype)
    taxonomy = {g: g for g in named}
    return FeatureTable._trusted(summed, table.sample_ids, new_taxa, taxonomy)


def filter_taxa(
    table: FeatureTable, *, min_prevalence: float = 0.0, min_abundance: float = 0.0
) -> FeatureTable:
    """Keep taxa that are common and abundant enough.

    Parameters
    ----------
    table : FeatureTable
    min_prevalence : float, optional
        Keep a taxon only if the fraction of samples in which its count is > 0 is
        >= `min_prevalence` (in [0, 1]; default 0).
    min_abundance : float, optional
        Keep a taxon only if its total count over all samples is >= `min_abundance`
        (default 0).

    Returns
    -------
    FeatureTable
        The kept taxa in their original order; samples unchanged. With both defaults every
        taxon is kept, all-zero taxa included (pass ``min_abundance`` > 0 to drop them).
        A table with no samples has prevalence 0 for every taxon.

    Examples
    --------
    >>> t = FeatureTable([[1, 0, 9], [1, 0, 0]], ["s1", "s2"], ["a", "b", "c"])
    >>> filter_taxa(t, min_prevalence=0.5).taxa
    ('a', 'c')
    >>> filter_taxa(t, min_prevalence=1.0).taxa
    ('a',)
    >>> filter_taxa(t, min_abundance=5).taxa
    ('c',)
    """
    table = _as_table(table, "filter_taxa")
    if not 0.0 <= min_prevalence <= 1.0:
        raise ValueError(f"min_prevalence must be within [0, 1], got {min_prevalence!r}.")
    if not (np.isfinite(min_abundance) and min_abundance >= 0):
        raise ValueError(f"min_abundance must be >= 0, got {min_abundance!r}.")
    counts = table.counts
    if sp.issparse(counts):
        present = np.bincount(counts.indices[counts.data > 0], minlength=table.n_taxa)
    else:
        present = (counts > 0).sum(axis=0)
    prevalence = present / table.n_samples if table.n_samples else np.zeros(table.n_taxa)
    totals = np.asarray(counts.sum(axis=0)).ravel()
    keep = np.flatnonzero((prevalence >= min_prevalence) & (totals >= min_abundance))
    return table._take(None, keep)


def filter_samples(table: FeatureTable, *, min_depth: float = 0) -> FeatureTable:
    """Keep samples whose total count is >= `min_depth`.

    Parameters
    ----------
    table : FeatureTable
    min_depth : float, optional
        Inclusive threshold on the sample total (default 0: keep all).

    Returns
    -------
    FeatureTable
        Kept samples in their original order; taxa unchanged.

    Examples
    --------
    >>> t = FeatureTable([[1, 0], [5, 5]], ["s1", "s2"], ["a", "b"])
    >>> filter_samples(t, min_depth=10).sample_ids
    ('s2',)
    """
    table = _as_table(table, "filter_samples")
    if not (np.isfinite(min_depth) and min_depth >= 0):
        raise ValueError(f"min_depth must be >= 0, got {min_depth!r}.")
    keep = np.flatnonzero(table.depths >= min_depth)
    return table._take(keep, None)
