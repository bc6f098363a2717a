"""Provenance: tool versions parsed from real-world banner shapes; checksums; no timestamps."""

import json
import stat

import pytest

from holobiont.provenance import collect, sha256_of_config, tool_version, write


def fake_tool(tmp_path, stdout="", stderr=""):
    script = tmp_path / "tool"
    script.write_text(f"#!/bin/sh\nprintf '{stdout}'\nprintf '{stderr}' >&2\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return [str(script)]


@pytest.mark.parametrize(
    ("stdout", "stderr", "expected"),
    [
        ("samtools 1.16.1\\nUsing htslib 1.16\\n", "", "1.16.1"),
        # vsearch: citation (with a DOI full of digits) on stdout, the banner on stderr
        (
            "PeerJ 4:e2584 doi: 10.7717/peerj.2584\\nzlib version 1.2.13\\n",
            "vsearch v2.22.1_linux_x86_64, 23.5GB RAM\\n",
            "2.22.1",
        ),
        ("", "\\nProgram: bwa (alignment)\\nVersion: 0.7.17-r1188\\n", "0.7.17-r1188"),
        ("Kraken version 2.1.2\\nCopyright 2013-2021\\n", "", "2.1.2"),
        ("nothing here\\n", "", "unknown"),
    ],
)
def test_tool_version_shapes(tmp_path, stdout, stderr, expected):
    assert tool_version(fake_tool(tmp_path, stdout, stderr)) == expected


def test_missing_tool():
    assert tool_version(["/nonexistent/tool-xyz"]) == "not found"


def test_record_is_deterministic_and_path_free(tmp_path):
    check = tmp_path / "c.json"
    check.write_text(json.dumps({"read_pairs": 3, "sha256_r1": "a" * 64, "sha256_r2": "b" * 64}))
    cfg = {"samples": "config/samples.tsv", "seed": 1}
    rec = collect(
        cfg,
        [{"sample_id": "S1", "unit": "1", "check": str(check)}],
        tools={"t": fake_tool(tmp_path, "t 1.0\\n")},
    )
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


def test_disk_full_is_named_with_its_folder(tmp_path):
    """A real ENOSPC (writing /dev/full) is explained as 'disk full' and where."""
    from holobiont.atomic import disk_full_message

    with pytest.raises(OSError) as exc, open("/dev/full", "w") as fh:  # noqa: PT012
        fh.write("x")
        fh.flush()
    msg = disk_full_message(tmp_path / "results/x.tsv", exc.value)
    assert msg.startswith("disk full: the filesystem holding ") and str(tmp_path) in msg
    assert disk_full_message(tmp_path / "x.tsv") == ""  # plenty of space: nothing to say
