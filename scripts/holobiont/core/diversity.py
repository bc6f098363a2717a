"""Cohort diversity of one microbiome assay: rarefaction, alpha, beta, PCoA and PERMANOVA.

:func:`cohort_diversity` takes a cohort feature table (16S ASVs or shotgun species), an optional
rooted tree (16S: Faith PD and UniFrac) and the sheet's metadata, and writes standard TSVs:

``rarefaction.tsv``
    every sample with its depth and whether it was kept or dropped (and why);
``alpha.tsv``
    per kept sample: each alpha metric at the rarefaction depth, plus the mean and a 95 %
    interval of Shannon and observed taxa over ``n_iterations`` rarefactions;
``beta_<metric>.tsv``
    square distance matrices (labelled);
``pcoa_<metric>.tsv``
    sample coordinates on PC1..PCk (sign-normalised) with the proportion explained in the
    header line;
``permanova.tsv``
    pseudo-F and permutation p-value per metric and metadata column (columns with fewer than
    two groups of at least two samples are skipped, and listed with the reason).

Every number comes from the numpy core (:mod:`holobiont.core.table`, :mod:`holobiont.core.alpha`,
:mod:`holobiont.core.beta`, :mod:`holobiont.core.ordination`), equal to scikit-bio's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from holobiont.core.alpha import alpha_diversity
from holobiont.core.beta import beta_diversity
from holobiont.core.ordination import pcoa, permanova
from holobiont.core.table import FeatureTable, rarefy, read_tsv
from holobiont.core.tree import midpoint_root, read_newick

ALPHA_TAXONOMIC = ("observed", "shannon", "simpson", "pielou", "chao1", "goods_coverage")
BETA_TAXONOMIC = ("braycurtis", "jaccard")
BETA_PHYLOGENETIC = ("unweighted_unifrac", "weighted_normalized_unifrac")
PERMANOVA_COLUMNS = [
    "metric",
    "column",
    "pseudo_F",
    "p_value",
    "sample_size",
    "groups",
    "permutations",
    "skipped_because",
]


def choose_depth(depths: Sequence[int], *, min_depth: int, quantile: float = 0.1) -> int:
    """Automatic rarefaction depth: the ``quantile`` of sample depths, at least ``min_depth``.

    Samples below the chosen depth are dropped (and reported); ``quantile=0.1`` keeps at least
    90 % of the samples that reach ``min_depth``.
    """
    usable = np.sort(np.asarray([d for d in depths if d >= min_depth], dtype=np.int64))
    if usable.size == 0:
        return int(min_depth)
    return int(max(min_depth, usable[int(np.floor(quantile * (usable.size - 1)))]))


def _write_tsv(path: Path, header: Sequence[str], rows: Sequence[Sequence], comment: str = ""):
    tmp = path.with_name(path.name + f".tmp.{os.getpid()}")
    with open(tmp, "w") as fh:
        if comment:
            fh.write(comment)
        fh.write("\t".join(header) + "\n")
        for r in rows:
            fh.write("\t".join(_fmt(x) for x in r) + "\n")
    os.replace(tmp, path)


def _fmt(x) -> str:
    if isinstance(x, float | np.floating):
        return "NA" if np.isnan(x) else repr(float(round(x, 10)))
    return str(x)


def cohort_diversity(
    table: FeatureTable | str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    metadata: Mapping[str, Mapping[str, str]],
    tree: str | os.PathLike | None = None,
    depth: int | None = None,
    min_depth: int = 1000,
    seed: int = 42,
    permutations: int = 999,
    n_iterations: int = 20,
    log: TextIO | None = None,
    cohort_samples: Sequence[str] | None = None,
) -> dict:
    """Run the cohort diversity analyses of one assay and write their TSVs.

    Parameters
    ----------
    table : FeatureTable or path-like
        Counts ``(n_samples, n_taxa)``; a path is read with :func:`holobiont.core.table.read_tsv`.
    out_dir : path-like
        Folder for the outputs (created).
    metadata : mapping
        Sample ID -> {column: value}; string columns with 2+ groups feed PERMANOVA.
    tree : path-like, optional
        Newick tree whose tips include every taxon; adds Faith PD and both UniFracs. An unrooted
        tree is midpoint-rooted.
    depth : int, optional
        Rarefaction depth; default :func:`choose_depth` with ``min_depth``.
    min_depth : int
        Smallest depth the automatic choice may take; samples below it are dropped.
    seed : int
        Seed of rarefaction and permutations (the outputs are bit-reproducible).
    permutations : int
        PERMANOVA permutations.
    n_iterations : int
        Rarefactions behind the alpha intervals.
    cohort_samples : sequence of str, optional
        The one sample per patient the cohort statistics use (the latest timepoint of a
        follow-up; :func:`holobiont.pipeline.sheet.latest_stool_samples`): the PCoA is
        computed on them only (an earlier timepoint would move every other sample's
        coordinates) and PERMANOVA tests them only. The rarefaction depth, alpha and the beta
        matrices still cover every sample, so that each timepoint of a follow-up is rarefied
        to the same depth as the cohort. None: every sample.

    Returns
    -------
    dict
        Summary: depth, kept and dropped samples, metrics written.
    """
    import sys

    log = log or sys.stderr
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tab = table if isinstance(table, FeatureTable) else read_tsv(table)
    depths = np.asarray(tab.depths, dtype=np.int64)
    chosen = int(depth) if depth else choose_depth(depths.tolist(), min_depth=min_depth)
    rng = np.random.default_rng(seed)
    rare = _rarefy_and_report(tab, depths, chosen, rng, out / "rarefaction.tsv", seed, log)
    kept = rare.table
    summary = {
        "depth": chosen,
        "kept": list(kept.sample_ids),
        "dropped": dict(rare.dropped),
        "alpha": [],
        "beta": [],
        "permanova": [],
    }
    rooted = None
    if tree is not None:
        t = read_newick(tree)
        rooted = t if _is_bifurcating_root(t) or t.is_tip.sum() < 2 else midpoint_root(t)
    beta_metrics = BETA_TAXONOMIC + (BETA_PHYLOGENETIC if tree is not None else ())
    if kept.n_samples == 0:
        print("WARNING: no sample reaches the rarefaction depth; no diversity computed.", file=log)
        empty = ["alpha.tsv", *(f"{k}_{m}.tsv" for m in beta_metrics for k in ("beta", "pcoa"))]
        for name in empty:
            _write_tsv(out / name, ["sample_id"], [])
        _write_tsv(out / "permanova.tsv", PERMANOVA_COLUMNS, [])
        (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        return summary

    unrarefied = tab.select(samples=kept.sample_ids)
    summary["alpha"] = _write_alpha(
        kept, unrarefied, rooted, chosen, rng, n_iterations, out / "alpha.tsv"
    )
    stat_ids = [s for s in kept.sample_ids if cohort_samples is None or s in set(cohort_samples)]
    columns = _grouping_columns(metadata, stat_ids)
    perm_rows = []
    ids = list(kept.sample_ids)
    stat_idx = [ids.index(s) for s in stat_ids]
    for m in beta_metrics:
        dm = beta_diversity(m, kept.counts, taxa=kept.taxa, tree=rooted)
        _write_tsv(
            out / f"beta_{m}.tsv", ["sample_id", *ids], [(sid, *dm[i]) for i, sid in enumerate(ids)]
        )
        # the cohort statistics (PCoA, PERMANOVA) take one sample per patient
        stat_dm = dm if len(stat_idx) == len(ids) else dm[np.ix_(stat_idx, stat_idx)]
        _write_pcoa(m, stat_dm, stat_ids, out)
        perm_rows += _permanova_rows(m, stat_dm, stat_ids, columns, permutations, seed)
        summary["beta"].append(m)
    _write_tsv(out / "permanova.tsv", PERMANOVA_COLUMNS, perm_rows)
    summary["permanova"] = sorted(columns)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    print(
        f"depth {chosen}: {kept.n_samples} samples kept, {len(rare.dropped)} dropped; "
        f"alpha {', '.join(summary['alpha'])}; beta {', '.join(beta_metrics)}",
        file=log,
    )
    return summary


def _rarefy_and_report(tab, depths, chosen: int, rng, path: Path, seed: int, log):
    """Rarefy every sample to `chosen` reads; rarefaction.tsv says which were kept or dropped
    and why."""
    rare = rarefy(tab, chosen, seed=rng)
    rows = []
    for sid, d in zip(tab.sample_ids, depths, strict=True):
        if sid in rare.dropped:
            reason = "no reads" if d == 0 else f"below rarefaction depth {chosen}"
            rows.append((sid, int(d), "dropped", reason))
            print(f"dropped {sid}: {reason} ({d} reads)", file=log)
        else:
            rows.append((sid, int(d), "kept", ""))
    _write_tsv(
        path,
        ["sample_id", "depth", "status", "reason"],
        rows,
        comment=f"# rarefaction depth: {chosen}; seed: {seed}\n",
    )
    return rare


def _write_alpha(kept, unrarefied, rooted, chosen: int, rng, n_iterations: int, path: Path):
    """alpha.tsv: every alpha metric on the rarefied table, plus the mean and 95 % interval of
    Shannon and observed taxa over `n_iterations` further rarefactions; returns the metrics."""
    alpha_metrics = ALPHA_TAXONOMIC + (("faith_pd",) if rooted is not None else ())
    alpha = {
        m: alpha_diversity(
            m,
            kept.counts,
            taxa=kept.taxa if m == "faith_pd" else None,
            tree=rooted if m == "faith_pd" else None,
        )
        for m in alpha_metrics
    }
    # rarefaction-based interval: repeat the subsampling and keep the spread of two metrics
    reps = {"shannon": [], "observed": []}
    for _ in range(n_iterations):
        r = rarefy(unrarefied, chosen, seed=rng).table
        for m in reps:
            reps[m].append(alpha_diversity(m, r.counts))
    extra_cols, extra = [], []
    for m, vals in reps.items():
        arr = np.vstack(vals)
        extra_cols += [f"{m}_mean", f"{m}_lo95", f"{m}_hi95"]
        extra.append(
            np.vstack(
                [arr.mean(0), np.percentile(arr, 2.5, axis=0), np.percentile(arr, 97.5, axis=0)]
            )
        )
    extra_arr = np.vstack(extra)
    _write_tsv(
        path,
        ["sample_id", *alpha_metrics, *extra_cols],
        [
            (sid, *(alpha[m][i] for m in alpha_metrics), *extra_arr[:, i])
            for i, sid in enumerate(kept.sample_ids)
        ],
        comment=f"# alpha diversity at rarefaction depth {chosen}\n",
    )
    return list(alpha_metrics)


def _write_pcoa(metric: str, dm, ids: Sequence[str], out: Path) -> None:
    """pcoa_<metric>.tsv: up to 10 axes of the samples `ids` (the cohort samples); a note
    instead when there are fewer than 3."""
    n = len(ids)
    if n < 3:
        _write_tsv(
            out / f"pcoa_{metric}.tsv",
            ["sample_id"],
            [],
            comment="# PCoA needs at least 3 samples\n",
        )
        return
    res = pcoa(dm, n_axes=min(n, 10), ids=ids)
    axes = [f"PC{i + 1}" for i in range(res.coordinates.shape[1])]
    expl = ",".join(f"{a}={p:.6f}" for a, p in zip(axes, res.proportion_explained, strict=True))
    _write_tsv(
        out / f"pcoa_{metric}.tsv",
        ["sample_id", *axes],
        [(sid, *res.coordinates[i]) for i, sid in enumerate(ids)],
        comment=f"# proportion explained: {expl}\n",
    )


def _permanova_rows(metric, dm, ids, columns, permutations: int, seed: int) -> list:
    """permanova.tsv rows of one metric: one per grouping column, on the cohort samples `ids`
    (`dm` their distances); NA with the reason where a column cannot be tested."""
    rows = []
    for col, (labels, why) in columns.items():
        if labels is None:
            rows.append((metric, col, "NA", "NA", len(ids), "NA", 0, why))
            continue
        r = permanova(dm, labels, permutations=permutations, seed=seed)
        rows.append(
            (
                metric,
                col,
                r.test_statistic,
                r.p_value,
                r.sample_size,
                r.number_of_groups,
                r.permutations,
                "",
            )
        )
    return rows


def _is_bifurcating_root(tree) -> bool:
    root = len(tree.parent) - 1
    return int(np.sum(tree.parent == root)) == 2


def _grouping_columns(
    metadata: Mapping[str, Mapping[str, str]], samples: Sequence[str]
) -> dict[str, tuple[list | None, str]]:
    """Metadata columns usable for PERMANOVA, with labels in sample order (or the reason not)."""
    cols = sorted({c for s in samples for c in metadata.get(s, {})})
    out = {}
    for c in cols:
        labels = [metadata.get(s, {}).get(c, "") for s in samples]
        if any(v in ("", "NA", None) for v in labels):
            out[c] = (None, "missing values")
            continue
        sizes = {v: labels.count(v) for v in set(labels)}
        if len(sizes) < 2:
            out[c] = (None, "fewer than 2 groups")
        elif len(sizes) == len(labels):
            out[c] = (None, "every sample its own group")
        elif min(sizes.values()) < 2:
            out[c] = (None, "a group with fewer than 2 samples")
        else:
            out[c] = (labels, "")
    return out
