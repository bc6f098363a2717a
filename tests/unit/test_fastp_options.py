"""fastp options of a unit (holobiont.pipeline.qc.fastp_options): adapter detection per library type,
explicit adapters, and the filters, from the shipped config defaults."""

import pytest
import yaml

from conftest import ROOT
from holobiont.pipeline.qc import fastp_options

FP = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["qc"]["fastp"]


def test_shotgun_default_uses_the_pair_overlap_only():
    opts = fastp_options(FP, host=False).split()
    assert "--detect_adapter_for_pe" not in opts and "--adapter_sequence" not in opts
    assert opts[opts.index("--length_required") + 1] == str(FP["length_required"])
    assert "--cut_right" in opts


def test_shotgun_detect_and_host_keep_detection():
    assert (
        "--detect_adapter_for_pe"
        in fastp_options({**FP, "shotgun_adapter_detection": "detect"}, host=False).split()
    )
    host = fastp_options(FP, host=True).split()
    assert host[:2] == ["--detect_adapter_for_pe", "--disable_quality_filtering"]


@pytest.mark.parametrize("host", [True, False])
def test_explicit_adapters_replace_detection(host):
    cfg = {**FP, "adapter_sequence": "AGATCGGAAGAGCACA", "adapter_sequence_r2": "AGATCGGAAGAGCGTC"}
    opts = fastp_options(cfg, host=host).split()
    assert "--detect_adapter_for_pe" not in opts
    assert opts[:4] == [
        "--adapter_sequence",
        "AGATCGGAAGAGCACA",
        "--adapter_sequence_r2",
        "AGATCGGAAGAGCGTC",
    ]


def test_r2_adapter_without_r1_is_refused_naming_the_keys():
    with pytest.raises(
        ValueError, match="adapter_sequence_r2 is set without qc.fastp.adapter_sequence"
    ):
        fastp_options({**FP, "adapter_sequence_r2": "ACGT"}, host=False)
