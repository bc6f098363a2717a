"""Genome-build recognition from contig names and lengths (holobiont.host.genome_build)."""

import pytest

from holobiont.host.genome_build import (
    BUILD_LABELS,
    build_lengths,
    canonical_build,
    dict_path,
    identify,
    load_table,
    primary_name,
)


def test_table_has_every_primary_chromosome_of_each_build():
    expected = {str(i) for i in range(1, 23)} | {"X", "Y", "MT"}
    for build in BUILD_LABELS:
        lengths = build_lengths(build)
        assert set(lengths) == expected, build
    # lengths quoted in the issue / the NCBI assembly reports
    assert build_lengths("GRCh38")["20"] == [64_444_167]
    assert build_lengths("GRCh37")["20"] == [63_025_520]
    assert build_lengths("T2T-CHM13")["1"] == [248_387_328]
    assert sorted(build_lengths("GRCh37")["MT"]) == [16_569, 16_571]  # rCRS and UCSC hg19 chrM
    # no autosome or sex chromosome length is shared by two builds
    shared = {k: b for k, b in load_table().items() if len(b) > 1}
    assert shared == {("MT", 16_569): {"GRCh38", "GRCh37", "T2T-CHM13"}}


@pytest.mark.parametrize(
    ("name", "bare"),
    [("chr7", "7"), ("7", "7"), ("chrX", "X"), ("chrM", "MT"), ("MT", "MT"), ("chrUn_KI270302v1", None),
     ("chr1_KI270706v1_random", None), ("HLA-A*01:01:01:01", None), ("chr23", None)],
)  # fmt: skip
def test_primary_name(name, bare):
    assert primary_name(name) == bare


def test_identify_builds_and_naming():
    g38 = identify({"chr1": 248_956_422, "chr20": 64_444_167, "chrM": 16_569, "chrEBV": 171_823})
    assert g38.build == "GRCh38" and g38.naming == "chr" and g38.ambiguous == ["chrM"]
    assert sorted(g38.by_build["GRCh38"]) == ["chr1", "chr20"]
    hg19 = identify({"chr20": 63_025_520, "chrM": 16_571})
    assert hg19.build == "GRCh37" and hg19.by_build["GRCh37"] == ["chr20", "chrM"]
    b37 = identify({"1": 249_250_621, "MT": 16_569})
    assert b37.build == "GRCh37" and b37.naming == "plain"
    t2t = identify({"chr1": 248_387_328, "chrY": 62_460_029})
    assert t2t.build == "T2T-CHM13"
    mixed = identify({"chr1": 248_956_422, "chr2": 243_199_373})
    assert mixed.build is None and set(mixed.builds) == {"GRCh38", "GRCh37"}
    windows = identify({"chr1": 97_927_000, "chr22": 40_001})
    assert windows.build is None and windows.unrecognised == {"chr1": 97_927_000, "chr22": 40_001}
    assert identify({"contig_1": 5000}).naming == ""


def test_dict_path_and_build_names():
    assert dict_path("/r/demo_grch38.fa.gz").name == "demo_grch38.dict"
    assert dict_path("genome.fasta").name == "genome.dict"
    assert dict_path("x.fna").name == "x.dict"
    assert [canonical_build(n) for n in ("GRCh38.p14", "hg38", "hg19", "b37", "T2T-CHM13v2.0")] == [
        "GRCh38", "GRCh38", "GRCh37", "GRCh37", "T2T-CHM13"
    ]  # fmt: skip
    assert canonical_build("CanFam3.1") is None and canonical_build(None) is None
