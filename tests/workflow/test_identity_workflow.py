"""Identity check with the real tools: swapped stool libraries are flagged, the others match."""

import pandas as pd
import pytest

from conftest import ROOT, requires_demo, run_snakemake

pytestmark = [pytest.mark.workflow, requires_demo]


def test_swapped_stool_libraries_are_flagged(tmp_path):
    sheet = pd.read_csv(ROOT / "config/samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    sheet = sheet[
        sheet.patient_id.isin(["P01", "P03", "P04"])
        & sheet.assay.isin(["host_panel", "host_wgs", "shotgun"])
    ].copy()
    for col in ("fastq_1", "fastq_2", "pgx_outside_calls"):
        sheet[col] = [str(ROOT / p) if p else "" for p in sheet[col]]
    # the lab swapped the stool tubes of P01 and P03
    sg = sheet.assay == "shotgun"
    i1 = sheet.index[sg & (sheet.patient_id == "P01")][0]
    i3 = sheet.index[sg & (sheet.patient_id == "P03")][0]
    for col in ("fastq_1", "fastq_2"):
        sheet.loc[i1, col], sheet.loc[i3, col] = sheet.loc[i3, col], sheet.loc[i1, col]
    path = tmp_path / "samples.tsv"
    sheet.to_csv(path, sep="\t", index=False)
    run = tmp_path / "run"
    res = run_snakemake(run, "results/identity/identity.tsv", config={"samples": path})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    ident = pd.read_csv(run / "results/identity/identity.tsv", sep="\t").set_index("sample_id")
    assert ident.loc["P01-stool-sg", "verdict"] == "possible swap"
    assert ident.loc["P01-stool-sg", "best_patient"] == "P03"
    assert ident.loc["P03-stool-sg", "verdict"] == "possible swap"
    assert ident.loc["P03-stool-sg", "best_patient"] == "P01"
    assert ident.loc["P04-stool-sg", "verdict"] == "match"
    # the evidence is strong, not marginal: hundreds of sites, LLR well above the threshold
    assert (ident.informative_sites > 100).all() and (ident.llr_best_vs_sheet > 100).all()
