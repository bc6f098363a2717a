"""Provenance: tool versions as the tool rules record them (real-world banner shapes), merged;
checksums; no timestamps."""

import json
import os
import stat
import subprocess
from types import SimpleNamespace

import pytest

from conftest import ROOT
from holobiont.pipeline.provenance import (
    _VERSION,
    PYTHON_PACKAGES,
    ProvenanceError,
    collect,
    read_versions,
    sha256_of_config,
    write,
)


def common_smk_tool_versions():
    """tool_versions() and its tables, run from workflow/rules/common.smk itself."""
    text = (ROOT / "workflow/rules/common.smk").read_text()
    start = text.index("VERSION_PATTERN = ")
    end = text.index("\n\n\n", text.index("def tool_versions("))
    namespace = {}
    exec(text[start:end], namespace)
    return namespace


SMK = common_smk_tool_versions()
VERSION_PATTERN = SMK["VERSION_PATTERN"]


def versions_file(tmp_path, tools, banners):
    """A versions file written by the shell prefix of the tool rules (common.smk,
    tool_versions), with each tool replaced by a script printing a real-world banner."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool, (stdout, stderr, code) in banners.items():
        script = bin_dir / tool
        script.write_text(f"#!/bin/sh\nprintf '{stdout}'\nprintf '{stderr}' >&2\nexit {code}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    out = tmp_path / "versions.yml"
    prefix = SMK["tool_versions"](*tools).format(output=SimpleNamespace(versions=str(out)))
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", prefix + "true"],
        check=True,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )
    return str(out)


def test_shell_and_parser_agree_on_the_version_pattern():
    assert _VERSION.pattern == VERSION_PATTERN


@pytest.mark.parametrize(
    ("tool", "stdout", "stderr", "code", "expected"),
    [
        ("samtools", "samtools 1.16.1\\nUsing htslib 1.16\\n", "", 0, "1.16.1"),
        # vsearch: the banner (machine RAM and cores in it) on stderr, a DOI on stdout
        (
            "vsearch",
            "PeerJ 4:e2584 doi: 10.7717/peerj.2584\\n",
            "vsearch v2.22.1_linux_x86_64, 23.5GB RAM, 2 cores\\n",
            0,
            "2.22.1",
        ),
        # bwa has no --version: its usage (exit status 1) names it
        ("bwa", "", "\\nProgram: bwa (alignment)\\nVersion: 0.7.17-r1188\\n", 1, "0.7.17-r1188"),
        ("kraken2", "Kraken version 2.1.2\\nCopyright 2013-2021\\n", "", 0, "2.1.2"),
        ("mafft", "", "v7.505 (2022/Apr/10)\\n", 0, "7.505"),
        ("FastTree", "", "Detailed usage for FastTree 2.1.11 Double precision\\n", 0, "2.1.11"),
        ("multiqc", "multiqc, version 1.35\\n", "", 0, "1.35"),
    ],
)
def test_versions_file_from_real_banner_shapes(tmp_path, tool, stdout, stderr, code, expected):
    path = versions_file(tmp_path, [tool], {tool: (stdout, stderr, code)})
    assert read_versions([path]) == {tool: expected}


def test_tool_without_a_version_stops_provenance_naming_the_file(tmp_path):
    path = versions_file(tmp_path, ["sometool"], {"sometool": ("no digits here\\n", "", 0)})
    with pytest.raises(ProvenanceError, match=r"versions.yml: no version read for sometool"):
        read_versions([path])


def test_missing_tool_is_never_recorded_as_a_version(tmp_path):
    path = versions_file(tmp_path, ["tool-that-is-not-installed"], {})
    with pytest.raises(ProvenanceError, match="is tool-that-is-not-installed on the PATH"):
        read_versions([path])


def test_merged_versions_keep_every_version_that_ran(tmp_path):
    a, b, c = (tmp_path / n for n in ("a.yml", "b.yml", "c.yml"))
    a.write_text('samtools: "1.16.1"\nminimap2: "2.24-r1122"\n')
    b.write_text('samtools: "1.16.1"\n')
    c.write_text('samtools: "1.17"\n')
    assert read_versions([str(a), str(b)]) == {"minimap2": "2.24-r1122", "samtools": "1.16.1"}
    assert read_versions([str(a), str(c)])["samtools"] == "1.16.1 / 1.17"


def test_record_is_deterministic_and_path_free(tmp_path):
    check = tmp_path / "c.json"
    check.write_text(json.dumps({"read_pairs": 3, "sha256_r1": "a" * 64, "sha256_r2": "b" * 64}))
    cfg = {"samples": "config/samples.tsv", "seed": 1}
    versions = tmp_path / "t.yml"
    versions.write_text('t: "1.0"\n')
    rec = collect(
        cfg,
        [{"sample_id": "S1", "unit": "1", "check": str(check)}],
        versions=[str(versions)],
        snakemake_version="9.27.1",
    )
    assert rec["tools"] == {"snakemake": "9.27.1", "t": "1.0"}
    assert list(rec["python_packages"]) == list(PYTHON_PACKAGES)
    assert rec["config_sha256"] == sha256_of_config({"seed": 1, "samples": "config/samples.tsv"})
    assert rec["inputs"] == [
        {
            "sample_id": "S1",
            "unit": "1",
            "read_pairs": 3,
            "sha256_r1": "a" * 64,
            "sha256_r2": "b" * 64,
        }
    ]
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        write(rec, str(tmp_path / d / "p.json"), str(tmp_path / d / "v.yml"))
    assert (tmp_path / "a/p.json").read_bytes() == (tmp_path / "b/p.json").read_bytes()
    assert str(tmp_path) not in (tmp_path / "a/p.json").read_text()
    assert 't: "1.0"' in (tmp_path / "a/v.yml").read_text()


def test_unit_that_failed_its_check_is_not_an_input(tmp_path):
    """A unit whose FASTQ check failed gives no result, so provenance lists no checksum for it."""
    ok, bad = tmp_path / "ok.json", tmp_path / "bad.json"
    ok.write_text(json.dumps({"status": "PASS", "read_pairs": 3, "sha256_r1": "a" * 64,
                              "sha256_r2": "b" * 64}))  # fmt: skip
    bad.write_text(json.dumps({"status": "FAIL", "read_pairs": 0, "sha256_r1": "c" * 64,
                               "sha256_r2": "d" * 64}))  # fmt: skip
    rec = collect(
        {},
        [
            {"sample_id": "S2", "unit": "1", "check": str(bad)},
            {"sample_id": "S1", "unit": "1", "check": str(ok)},
        ],
    )
    assert [(r["sample_id"], r["sha256_r1"]) for r in rec["inputs"]] == [("S1", "a" * 64)]


def test_disk_full_is_named_with_its_folder(tmp_path):
    """A real ENOSPC (writing /dev/full) is explained as 'disk full' and where."""
    from holobiont.atomic import disk_full_message

    with pytest.raises(OSError) as exc, open("/dev/full", "w") as fh:  # noqa: PT012
        fh.write("x")
        fh.flush()
    msg = disk_full_message(tmp_path / "results/x.tsv", exc.value)
    assert msg.startswith("disk full: the filesystem holding ") and str(tmp_path) in msg
    assert disk_full_message(tmp_path / "x.tsv") == ""  # plenty of space: nothing to say


def test_sintax_reference_is_checksummed_and_a_changed_build_stops(tmp_path):
    import hashlib

    from holobiont.pipeline.provenance import reference_record

    ref = tmp_path / "ref.fasta"
    ref.write_text(">a;tax=d:Bacteria;\nACGT\n")
    digest = hashlib.sha256(ref.read_bytes()).hexdigest()
    user = {"choice": str(ref), "path": str(ref), "build_record": None}
    assert reference_record(user) == {"choice": str(ref), "path": str(ref), "sha256": digest}
    build = tmp_path / "ref.fasta.json"
    build.write_text(json.dumps({"sha256": digest, "source": {"package_version": "0.1.3"}}))
    built = {"choice": "greengenes_13_8", "path": str(ref), "build_record": str(build)}
    rec = collect({}, [], sintax_16s=built)
    assert rec["references"]["sintax_16s"]["sha256"] == digest
    assert rec["references"]["sintax_16s"]["build"]["source"]["package_version"] == "0.1.3"
    assert collect({}, [])["references"] == {}
    # amplicon.extra_references: each recorded (and checked against its build) the same way
    extra = collect({}, [], sintax_16s=user, sintax_16s_extra={"greengenes_13_8": built})
    assert (
        extra["references"]["sintax_16s_extra"]["greengenes_13_8"]
        == rec["references"]["sintax_16s"]
    )
    assert "sintax_16s_extra" not in rec["references"]
    ref.write_text(">a;tax=d:Bacteria,g:Changed;\nACGT\n")
    with pytest.raises(ProvenanceError, match="changed after the build"):
        reference_record(built)
