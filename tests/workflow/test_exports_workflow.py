"""Standard exports of the demo run (fixture ``demo_run``), read back: QIIME 2 taxonomy against
the ASV table's BIOM observation metadata (biom-format), taxpasta / MetaPhlAn-style / CAMI
profiles against the Bracken tables, the Bracken-corrected reports against the real
est_abundance.py on the same reports and distribution, and the custom content in MultiQC's
output data. "Not measured" is checked too: no CAMI file and no column for a sample without a
shotgun library."""

import os
import shutil
import subprocess
import sys

import biom
import pandas as pd
import pytest
import yaml

from conftest import ROOT, SHARED, requires_demo
from holobiont.microbiome.bracken import kmer_distrib_name, read_bracken

pytestmark = [pytest.mark.workflow, requires_demo]

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
EST_ABUNDANCE = SHARED / "tools" / "bracken" / "src" / "est_abundance.py"


def shotgun_samples(sheet):
    return sorted(set(sheet.sample_id[sheet.assay == "shotgun"]))


def test_qiime2_taxonomy_matches_the_biom_table(demo_run):
    run, sheet, _ = demo_run
    q = pd.read_csv(run / "results/exports/16s/taxonomy_qiime2.tsv", sep="\t", dtype=str,
                    keep_default_na=False)  # fmt: skip
    assert list(q.columns) == ["Feature ID", "Taxon", "Confidence"]
    table = biom.load_table(str(run / "results/16s/asv_table.biom"))
    assert set(q["Feature ID"]) == set(table.ids(axis="observation"))
    taxon = dict(zip(q["Feature ID"], q["Taxon"], strict=True))
    for asv in table.ids(axis="observation"):
        md = table.metadata(asv, axis="observation") or {}
        assert ("; ".join(md.get("taxonomy", [])) or "Unassigned") == taxon[asv], asv
    assert (q["Taxon"] != "Unassigned").sum() > 0
    conf = pd.to_numeric(q["Confidence"][q["Confidence"] != ""])
    cutoff = CONFIG["amplicon"]["sintax_cutoff"]
    assigned = q["Taxon"] != "Unassigned"
    # the lowest kept rank passed the cutoff; Unassigned ones did not
    assert (pd.to_numeric(q.loc[assigned, "Confidence"]) >= cutoff).all()
    assert conf.between(0, 1).all()


def test_shotgun_exports_agree_with_the_bracken_tables(demo_run):
    run, sheet, _ = demo_run
    samples = shotgun_samples(sheet)
    exports = run / "results/exports/shotgun"
    taxpasta = pd.read_csv(exports / "taxpasta_bracken.tsv", sep="\t", keep_default_na=False)
    assert list(taxpasta.columns) == ["taxonomy_id", "name", "rank", "lineage", *samples]
    mpa = pd.read_csv(exports / "metaphlan_table.tsv", sep="\t", index_col="clade_name",
                      keep_default_na=False)  # fmt: skip
    assert list(mpa.columns) == samples
    # not measured: only shotgun samples have a CAMI profile
    assert sorted(p.stem for p in (exports / "cami").glob("*.profile")) == samples
    for s in samples:
        rows = read_bracken(run / f"results/shotgun/bracken/{s}.bracken.tsv")
        est = {int(r["taxonomy_id"]): r["new_est_reads"] for r in rows}
        got = dict(zip(taxpasta.taxonomy_id, taxpasta[s], strict=True))
        assert {t: n for t, n in got.items() if n} == {t: n for t, n in est.items() if n}
        total = sum(est.values())
        species = [c for c in mpa.index if c.split("|")[-1].startswith("s__")]
        assert pd.to_numeric(mpa.loc[species, s]).sum() == pytest.approx(100, abs=1e-3)
        lines = (exports / "cami" / f"{s}.profile").read_text().splitlines()
        assert lines[0] == f"@SampleID:{s}" and lines[1] == "@Version:0.9.1"
        body = [line.split("\t") for line in lines if not line.startswith("@")]
        per_rank = {}
        for taxid, rank, path, names, pct in body:
            assert path.split("|")[-1] == taxid and len(path.split("|")) == len(names.split("|"))
            per_rank[rank] = per_rank.get(rank, 0.0) + float(pct)
            if rank == "species":
                assert float(pct) == pytest.approx(100 * est[int(taxid)] / total, abs=1e-6)
        assert all(v <= 100 + 1e-3 for v in per_rank.values()), per_rank


@pytest.mark.skipif(not EST_ABUNDANCE.is_file(), reason="../shared/tools/bracken is absent")
def test_bracken_reports_equal_est_abundance_on_the_demo(demo_run, tmp_path):
    run, sheet, _ = demo_run
    bracken = CONFIG["shotgun"]["bracken"]
    kmer = run / "results/shotgun/kraken2_db" / kmer_distrib_name(bracken["read_length"])
    for s in shotgun_samples(sheet):
        report = tmp_path / f"{s}.report"
        shutil.copy(run / f"results/shotgun/kraken2/{s}.kraken2.report.txt", report)
        res = subprocess.run(
            [sys.executable, str(EST_ABUNDANCE), "-i", str(report), "-k", str(kmer),
             "-o", str(tmp_path / f"{s}.bracken"), "--out-report", str(tmp_path / f"{s}.out"),
             "-l", bracken["level"], "-t", str(bracken["threshold"])],
            capture_output=True, text=True,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        ours = (run / f"results/shotgun/bracken/{s}.bracken_report.txt").read_text()
        assert ours == (tmp_path / f"{s}.out").read_text(), s
        assert_same_bracken_table(
            run / f"results/shotgun/bracken/{s}.bracken.tsv", tmp_path / f"{s}.bracken"
        )


def assert_same_bracken_table(ours, theirs):
    """Same taxa and integer columns; fraction_total_reads within 1e-4 (Bracken divides the
    truncated integers, holobiont.microbiome.bracken the unrounded estimates: 5th decimal)."""
    a = {r["taxonomy_id"]: r for r in read_bracken(ours)}
    b = {r["taxonomy_id"]: r for r in read_bracken(theirs)}
    assert a.keys() == b.keys()
    for t, r in a.items():
        fa, fb = r.pop("fraction_total_reads"), b[t].pop("fraction_total_reads")
        assert r == b[t]
        assert fa == pytest.approx(fb, abs=1e-4)


def test_multiqc_report_has_the_custom_content(demo_run):
    run, sheet, _ = demo_run
    data = run / "results/qc/multiqc/multiqc_report_data"
    html = (run / "results/qc/multiqc/multiqc_report.html").read_text()
    shotgun = shotgun_samples(sheet)
    host = sorted(set(sheet.sample_id[sheet.assay.str.startswith("host")]))
    expected = {
        "holobiont_pgx_coverage_table": host,
        "holobiont_identity_table": shotgun,
        "holobiont_human_fraction_plot": shotgun,
        "holobiont_species_plot": shotgun,
    }
    for plot, samples in expected.items():
        df = pd.read_csv(data / f"multiqc_{plot}.txt", sep="\t", index_col=0, dtype=str)
        assert sorted(df.index) == samples, plot
        assert plot.rsplit("_", 1)[0] in html
    host_fraction = pd.read_csv(run / "results/shotgun/host_fraction.tsv", sep="\t", index_col=0)
    plot = pd.read_csv(data / "multiqc_holobiont_human_fraction_plot.txt", sep="\t", index_col=0)
    assert (plot.human_pairs == host_fraction.human_pairs[plot.index]).all()


#: The real taxpasta, when a developer has one: it cannot join the project's environment
#: (taxpasta 0.7.0 pins numpy~=1.20 and pandas~=1.4; requirements.lock has numpy 2.4.6 and
#: pandas 3.1.1), so it lives in a venv of its own, e.g. ``python3 -m venv /tmp/tp &&
#: /tmp/tp/bin/pip install taxpasta==0.7.0 pandera==0.20.4`` (newer pandera lacks
#: ``DataFrameModel`` where taxpasta looks for it), then ``HOLOBIONT_TAXPASTA=/tmp/tp/bin/taxpasta``.
TAXPASTA = os.environ.get("HOLOBIONT_TAXPASTA") or shutil.which("taxpasta")


@pytest.mark.skipif(
    not TAXPASTA,
    reason="taxpasta is not installed (its pins conflict with requirements.lock; set "
    "HOLOBIONT_TAXPASTA to a taxpasta in a venv of its own)",
)
def test_taxpasta_export_equals_taxpasta_merge(demo_run, tmp_path):
    run, sheet, _ = demo_run
    samples = shotgun_samples(sheet)
    sheet_tsv = tmp_path / "sheet.tsv"
    sheet_tsv.write_text(
        "sample\tprofile\n"
        + "".join(f"{s}\t{run}/results/shotgun/bracken/{s}.bracken.tsv\n" for s in samples)
    )
    dump = ROOT / CONFIG["shotgun"]["build_db"]["taxonomy"]  # the demo run's default
    res = subprocess.run(
        [TAXPASTA, "merge", "--profiler", "bracken", "--samplesheet", str(sheet_tsv),
         "--taxonomy", str(dump), "--add-name", "--add-rank", "--add-lineage",
         "--output", str(tmp_path / "taxpasta.tsv")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    theirs = pd.read_csv(tmp_path / "taxpasta.tsv", sep="\t", keep_default_na=False)
    ours = pd.read_csv(run / "results/exports/shotgun/taxpasta_bracken.tsv", sep="\t",
                       keep_default_na=False)  # fmt: skip
    # the same table; taxpasta orders the rows as its first input, we by taxid
    theirs = theirs.sort_values("taxonomy_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, theirs)
