"""Cohort diversity orchestration: outputs, dropped samples, PERMANOVA skips, reproducibility.

The metrics themselves are compared with scikit-bio in test_alpha/test_beta/test_ordination;
here the numbers written are checked against direct calls of the core on the same rarefied
table.
"""

import numpy as np
import pandas as pd
import pytest
from skbio import DistanceMatrix
from skbio.stats.distance import permanova as sk_permanova

from holobiont.core.alpha import alpha_diversity
from holobiont.core.diversity import choose_depth, cohort_diversity
from holobiont.core.ordination import pcoa
from holobiont.core.table import FeatureTable, rarefy


def newick(tips):
    if len(tips) == 1:
        return f"{tips[0]}:0.5"
    k = len(tips) // 2
    return f"({newick(tips[:k])},{newick(tips[k:])}):0.25"


@pytest.fixture
def cohort(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.negative_binomial(1, 0.05, size=(12, 40))
    x[rng.random(x.shape) < 0.5] = 0
    x[:6, :5] += 200  # group A enriched in the first taxa, B in the next: a real effect
    x[6:, 5:10] += 200
    x[3] = 0  # an empty sample
    x[4] = (x[4] > 0).astype(int)  # a shallow one
    ids = [f"S{i:02d}" for i in range(12)]
    t = FeatureTable(x, ids, [f"t{i}" for i in range(40)])
    tree = tmp_path / "tree.nwk"
    tree.write_text(newick(list(t.taxa))[: -len(":0.25")] + ";")
    md = {s: {"group": "A" if i < 6 else "B", "sex": "F", "id": s} for i, s in enumerate(ids)}
    return t, tree, md


def test_outputs_and_dropped_samples(tmp_path, cohort):
    t, tree, md = cohort
    s = cohort_diversity(
        t, tmp_path / "out", metadata=md, tree=tree, min_depth=50, permutations=199
    )
    rare = pd.read_csv(
        tmp_path / "out/rarefaction.tsv", sep="\t", comment="#", keep_default_na=False
    ).set_index("sample_id")
    assert rare.loc["S03", "reason"] == "no reads"
    assert rare.loc["S04", "reason"].startswith("below rarefaction depth")
    assert set(s["dropped"]) == {"S03", "S04"} and len(s["kept"]) == 10
    alpha = pd.read_csv(tmp_path / "out/alpha.tsv", sep="\t", comment="#", index_col=0)
    assert "faith_pd" in alpha.columns
    # the interval comes from repeated rarefactions of the raw counts: it has width
    assert (alpha.shannon_hi95 >= alpha.shannon_lo95).all()
    assert (alpha.shannon_hi95 > alpha.shannon_lo95).any()
    # alpha values equal the core's on the same rarefied table (same seed stream)
    kept = rarefy(t, s["depth"], seed=np.random.default_rng(42)).table
    np.testing.assert_allclose(
        alpha.shannon.to_numpy(), alpha_diversity("shannon", kept), rtol=1e-9
    )
    perm = pd.read_csv(tmp_path / "out/permanova.tsv", sep="\t", keep_default_na=False)
    sex = perm[perm.column == "sex"]
    assert (sex.skipped_because == "fewer than 2 groups").all()
    assert (perm[perm.column == "id"].skipped_because == "every sample its own group").all()
    grp = perm[(perm.column == "group") & (perm.metric == "braycurtis")].iloc[0]
    dm = pd.read_csv(tmp_path / "out/beta_braycurtis.tsv", sep="\t", index_col=0)
    sk = sk_permanova(
        DistanceMatrix(dm.to_numpy(), list(dm.index)),
        [md[i]["group"] for i in dm.index],
        permutations=0,
    )
    assert float(grp.pseudo_F) == pytest.approx(sk["test statistic"], rel=1e-9)
    assert float(grp.p_value) < 0.05  # the planted group effect is found
    for m in ("braycurtis", "jaccard", "unweighted_unifrac", "weighted_normalized_unifrac"):
        assert (tmp_path / f"out/pcoa_{m}.tsv").exists()


def test_cohort_samples_restrict_permanova(tmp_path, cohort):
    # S10, S11 are earlier timepoints of patients whose latest samples are S08, S09: PERMANOVA
    # and the PCoA take one sample per patient, alpha and the beta matrices every sample
    t, tree, md = cohort
    latest = [s for s in t.sample_ids if s not in ("S10", "S11")]
    s = cohort_diversity(
        t, tmp_path / "out", metadata=md, min_depth=50, permutations=99, cohort_samples=latest
    )
    perm = pd.read_csv(tmp_path / "out/permanova.tsv", sep="\t", keep_default_na=False)
    grp = perm[(perm.column == "group") & (perm.metric == "braycurtis")].iloc[0]
    kept = [x for x in s["kept"] if x in latest]
    assert int(grp.sample_size) == len(kept) == 8  # S03 (empty) and S04 (shallow) dropped
    dm = pd.read_csv(tmp_path / "out/beta_braycurtis.tsv", sep="\t", index_col=0)
    assert {"S10", "S11"} <= set(dm.index)
    sub = dm.loc[kept, kept]
    sk = sk_permanova(
        DistanceMatrix(sub.to_numpy(), kept), [md[i]["group"] for i in kept], permutations=0
    )
    assert float(grp.pseudo_F) == pytest.approx(sk["test statistic"], rel=1e-9)
    # the depth is the cohort's own: every timepoint is rarefied like the other samples
    plain = cohort_diversity(t, tmp_path / "all", metadata=md, min_depth=50, permutations=99)
    assert s["depth"] == plain["depth"] and s["kept"] == plain["kept"]
    for f in ("alpha.tsv", "beta_braycurtis.tsv"):
        assert (tmp_path / "out" / f).read_bytes() == (tmp_path / "all" / f).read_bytes()
    # the ordination is the cohort's: the earlier timepoints do not move the other points
    coords = pd.read_csv(tmp_path / "out/pcoa_braycurtis.tsv", sep="\t", comment="#", index_col=0)
    assert list(coords.index) == kept
    ordination = pcoa(sub.to_numpy(), n_axes=min(len(kept), 10), ids=kept)
    np.testing.assert_allclose(coords.to_numpy(), ordination.coordinates, atol=1e-5)
    every = pd.read_csv(tmp_path / "all/pcoa_braycurtis.tsv", sep="\t", comment="#", index_col=0)
    assert {"S10", "S11"} <= set(every.index)
    full = pd.read_csv(tmp_path / "all/permanova.tsv", sep="\t", keep_default_na=False)
    assert int(full[full.column == "group"].iloc[0].sample_size) == 10


def test_reproducible_bytes(tmp_path, cohort):
    t, tree, md = cohort
    for d in ("a", "b"):
        cohort_diversity(t, tmp_path / d, metadata=md, tree=tree, min_depth=50, permutations=99)
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_no_sample_reaches_depth(tmp_path, cohort):
    t, tree, md = cohort
    s = cohort_diversity(t, tmp_path / "o", metadata=md, depth=10**6)
    assert s["kept"] == [] and len(s["dropped"]) == 12


def test_choose_depth():
    assert choose_depth([5, 2000, 3000, 4000, 100_000], min_depth=1000) == 2000
    assert choose_depth([5, 10], min_depth=1000) == 1000
