"""The ``holobiont`` command: help of every subcommand and a smoke run of each on tiny inputs.

The subcommands are run in-process through :func:`holobiont.cli.main` (the console script's
entry point), plus once as ``python -m holobiont`` in a subprocess. Diversity results are
checked against scikit-bio (independent reference), not only against our own functions.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SHARED
from holobiont.cli import DELEGATED, main
from holobiont.core.table import FeatureTable, write_biom, write_tsv

SUBCOMMANDS = ["diversity", *DELEGATED]
NEWICK = "((a:1,b:2):0.5,(c:3,d:0.25):1);"


def test_top_level_help_lists_every_subcommand(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: holobiont")
    for name in SUBCOMMANDS:
        assert name in out


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_its_own_help(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: holobiont {command}"), out[:200]


def test_unknown_subcommand_names_the_known_ones(capsys):
    assert main(["alpha"]) == 2
    err = capsys.readouterr().err
    assert "unknown subcommand 'alpha'" in err and "vcfcompare" in err


def test_python_dash_m_holobiont_is_the_same_command():
    res = subprocess.run(
        [sys.executable, "-m", "holobiont", "--version"],
        capture_output=True, text=True, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "scripts")},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("holobiont 0.")


# ------------------------------------------------------------------------------ diversity


def _table():
    counts = np.array([[5, 0, 3, 2], [1, 1, 0, 8], [0, 0, 0, 0], [2, 2, 2, 2]])
    return FeatureTable(counts, ("s1", "s2", "empty", "s4"), ("a", "b", "c", "d"))


def _read(path):
    rows = [line.split("\t") for line in path.read_text().splitlines()]
    return rows[0], {r[0]: r[1:] for r in rows[1:]}


@pytest.mark.parametrize("fmt", ["tsv", "biom"])
def test_diversity_alpha_and_beta_equal_scikit_bio(tmp_path, fmt):
    from skbio import TreeNode
    from skbio.diversity import alpha_diversity, beta_diversity

    table = _table()
    path = tmp_path / f"table.{fmt}"
    (write_tsv if fmt == "tsv" else write_biom)(table, path)
    (tmp_path / "tree.nwk").write_text(NEWICK)
    out = tmp_path / "out"
    argv = ["diversity", str(path), "--tree", str(tmp_path / "tree.nwk"), "--out", str(out)]
    argv += ["--alpha", "shannon", "--alpha", "observed", "--alpha", "faith_pd"]
    argv += ["--beta", "braycurtis", "--beta", "unweighted_unifrac"]
    assert main(argv) == 0

    header, alpha = _read(out / "alpha.tsv")
    assert header == ["sample_id", "shannon", "observed", "faith_pd"]
    assert list(alpha) == ["s1", "s2", "empty", "s4"]
    assert alpha["empty"][0] == "NA"  # Shannon of an empty sample: undefined, not 0
    x = table.counts
    sk_tree = TreeNode.read([NEWICK])
    for col, (name, kw) in enumerate(
        [("shannon", {}), ("sobs", {}), ("faith_pd", {"taxa": list("abcd"), "tree": sk_tree})]
    ):
        ref = alpha_diversity(name, x, **kw).to_numpy()
        got = np.array([float("nan") if v[col] == "NA" else float(v[col]) for v in alpha.values()])
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12, equal_nan=True)

    keep = [0, 1, 3]  # scikit-bio refuses the empty sample for Bray-Curtis; compare the others
    for metric, kw in [("braycurtis", {}), ("unweighted_unifrac", {"taxa": list("abcd"), "tree": sk_tree})]:  # fmt: skip
        header, rows = _read(out / f"beta_{metric}.tsv")
        assert header == ["sample_id", "s1", "s2", "empty", "s4"]
        got = np.array([[float(v) for v in rows[s]] for s in header[1:]])
        np.testing.assert_allclose(got, got.T, atol=0)
        ref = beta_diversity(metric, x[keep], **kw).data
        np.testing.assert_allclose(got[np.ix_(keep, keep)], ref, rtol=0, atol=1e-12)


def test_diversity_rarefies_and_lists_dropped_samples(tmp_path, capsys):
    path = tmp_path / "t.tsv"
    write_tsv(_table(), path)
    argv = ["diversity", str(path), "--rarefy", "8", "--seed", "3", "--alpha", "observed"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    assert "1 sample(s) below 8 reads dropped: empty" in capsys.readouterr().err
    _, alpha = _read(tmp_path / "o" / "alpha.tsv")
    assert list(alpha) == ["s1", "s2", "s4"]
    assert alpha["s4"] == ["4.0"]  # exactly 8 reads: kept whole
    assert all(float(alpha[s][0]) <= 3 for s in ("s1", "s2"))


def test_diversity_errors_name_what_to_change(tmp_path, capsys):
    path = tmp_path / "t.tsv"
    write_tsv(_table(), path)
    out = str(tmp_path / "o")
    assert main(["diversity", str(path), "--beta", "weighted_unifrac", "--out", out]) == 2
    assert "need(s) a tree: pass --tree" in capsys.readouterr().err
    assert (
        main(["diversity", str(tmp_path / "missing.tsv"), "--alpha", "shannon", "--out", out]) == 2
    )
    assert "missing.tsv: no such file" in capsys.readouterr().err
    assert main(["diversity", str(path), "--out", out]) == 2  # no metric chosen
    assert "at least one --alpha or --beta" in capsys.readouterr().err
    (tmp_path / "tree.nwk").write_text("(a:1,b:2);")
    argv = ["diversity", str(path), "--alpha", "faith_pd", "--tree", str(tmp_path / "tree.nwk")]
    assert main([*argv, "--out", out]) == 2
    assert "taxa absent from the tree: 'c', 'd'" in capsys.readouterr().err
    assert not (tmp_path / "o" / "alpha.tsv").exists()


# ------------------------------------------------------------------------------ the others

LENIENT_VCF = (
    "##fileformat=VCFv4.1\n#CHROM  POS  ID REF  ALT  QUAL FILTER INFO FORMAT NA12878\n"
    "chr6\t18130687\trs1142345\tT\tC\t.\tPASS\t.\tGT\t0/1\n"
    "chr6\t18138997\trs1800460\tC\tT\t.\tPASS\t.\tGT\t1/1\n"
    "chr6\t18143724\trs1800462\tC\t.\t.\tPASS\t.\tGT\t0/0\n"
)


def test_pgx_calls_tpmt_from_a_vcf(tmp_path):
    (tmp_path / "t.vcf").write_text(LENIENT_VCF)
    out = tmp_path / "calls.json"
    assert main(["pgx", str(tmp_path / "t.vcf"), "--gene", "TPMT", "--json", str(out)]) == 0
    gene = json.loads(out.read_text())["genes"][0]
    assert gene["gene"] == "TPMT" and gene["diplotype"] == "*3A/*3B"


VCF_HEADER = (
    "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
)


def test_vcfcompare_counts_tp_fp_fn(tmp_path, capsys):
    truth = ["chr1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1", "chr1\t200\t.\tC\tT\t.\tPASS\t.\tGT\t1/1"]
    query = ["chr1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/1", "chr1\t300\t.\tG\tA\t50\tPASS\t.\tGT\t0/1"]
    for name, rows in (("truth", truth), ("query", query)):
        (tmp_path / f"{name}.vcf").write_text(VCF_HEADER + "\n".join(rows) + "\n")
    argv = ["vcfcompare", "--truth", str(tmp_path / "truth.vcf")]
    argv += ["--query", str(tmp_path / "query.vcf"), "--no-reference", "--out", str(tmp_path / "c")]
    assert main(argv) == 0
    summary = (tmp_path / "c.summary.tsv").read_text()
    snv = next(line.split("\t") for line in summary.splitlines() if line.startswith("SNV"))
    header = summary.splitlines()[0].split("\t")
    row = dict(zip(header, snv, strict=True))
    assert (row["tp"], row["fp"], row["fn"]) == ("1", "1", "1"), row


def test_demo_generates_a_small_cohort_that_checks_against_its_manifest(tmp_path):
    out = tmp_path / "demo"
    argv = ["demo", "--out", str(out), "--scale", "0.01", "--workers", "1", "-q"]
    assert main([*argv, "--path-prefix", "x"]) == 0
    assert (out / "samples.tsv").is_file()
    manifest = str(out / "MANIFEST.sha256")
    assert main(["demo", "--check", "--out", str(out), "--manifest", manifest]) == 0
    (out / "samples.tsv").write_text("changed\n")
    assert main(["demo", "--check", "--out", str(out), "--manifest", manifest]) == 1


@pytest.mark.shared
@pytest.mark.skipif(
    not (SHARED / "data" / "pgx_pharmcat_definitions").exists(), reason="../shared is absent"
)
def test_pgx_catalog_regenerates_the_committed_catalog(tmp_path):
    from holobiont.pgx.catalog import DEFAULT_CATALOG
    from holobiont.pgx.generate import pypgx_data_dir

    if pypgx_data_dir() is None:
        pytest.skip("pypgx (data-only dependency) not installed")
    pharmcat = SHARED / "data" / "pgx_pharmcat_definitions"
    out = tmp_path / "pgx"
    assert main(["pgx-catalog", "--pharmcat", str(pharmcat), "--out", str(out)]) == 0
    for name in ("alleles.tsv", "positions.tsv", "genes.tsv"):
        assert (out / name).read_text() == (DEFAULT_CATALOG / name).read_text(), name
