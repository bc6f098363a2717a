"""Provenance: pipeline and tool versions, the resolved config and input checksums.

Written once per run into ``results/provenance/`` and shown in every report. Nothing in it
depends on the time or the machine (no timestamps, hostnames or absolute paths), so two runs of
the same inputs with the same software give byte-identical files.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
import subprocess
from collections.abc import Iterable, Mapping

from holobiont import __version__
from holobiont.atomic import write_text

#: Command-line tools and how to ask each for its version.
TOOL_COMMANDS: dict[str, list[str]] = {
    "fastp": ["fastp", "--version"],
    "cutadapt": ["cutadapt", "--version"],
    "multiqc": ["multiqc", "--version"],
    "snakemake": ["snakemake", "--version"],
    "minimap2": ["minimap2", "--version"],
    "bwa": ["bwa"],
    "samtools": ["samtools", "--version"],
    "bcftools": ["bcftools", "--version"],
    "vsearch": ["vsearch", "--version"],
    "mafft": ["mafft", "--version"],
    "FastTree": ["FastTree", "-expert"],
    "kraken2": ["kraken2", "--version"],
}
#: Python packages whose versions are recorded.
PYTHON_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "pysam",
    "biom-format",
    "jsonschema",
    "PyYAML",
    "scikit-bio",
)

_LABELLED = re.compile(r"(?i)(?:version[:\s]+v?|\bv)(\d+\.\d+[0-9A-Za-z.+-]*)")
_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?(?:[-.+]?[0-9A-Za-z]+)*)")


def tool_version(cmd: list[str]) -> str:
    """First version-like token the command prints, or ``"not found"``."""
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, errors="replace", timeout=60, check=False
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return "not found"
    text = (out.stderr + "\n" + out.stdout).strip()  # version banners go to stderr first
    for line in text.splitlines():  # the first line that names a version wins
        m = _LABELLED.search(line) or _VERSION.search(line)
        if m:
            return m.group(1)
    return "unknown"


def sha256_of_config(config: Mapping) -> str:
    """Checksum of the resolved config (canonical JSON, sorted keys)."""
    canon = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canon.encode()).hexdigest()


def collect(
    config: Mapping,
    checks: Iterable[Mapping],
    tools: Mapping[str, list[str]] = TOOL_COMMANDS,
) -> dict:
    """Gather the provenance record.

    Parameters
    ----------
    config : mapping
        Resolved Snakemake config.
    checks : iterable of mapping
        One per unit: ``sample_id``, ``unit`` and ``check`` (path of its integrity-check JSON,
        which holds the SHA-256 of both FASTQ files).
    tools : mapping
        Tool name -> version command.
    """
    inputs = []
    for c in checks:
        with open(c["check"]) as fh:
            stats = json.load(fh)
        if stats.get("status", "PASS") != "PASS":
            continue  # failed the check: no result comes from it (read_counts.tsv says why)
        inputs.append(
            {
                "sample_id": c["sample_id"],
                "unit": c["unit"],
                "read_pairs": stats["read_pairs"],
                "sha256_r1": stats["sha256_r1"],
                "sha256_r2": stats["sha256_r2"],
            }
        )
    return {
        "pipeline": {"name": "holobiont", "version": __version__},
        "tools": {name: tool_version(cmd) for name, cmd in sorted(tools.items())},
        "python_packages": {p: importlib.metadata.version(p) for p in PYTHON_PACKAGES},
        "config_sha256": sha256_of_config(config),
        "config": config,
        "inputs": sorted(inputs, key=lambda r: (r["sample_id"], r["unit"])),
    }


def write(record: Mapping, json_out: str, versions_out: str) -> None:
    """Write the JSON record and a MultiQC software-versions YAML, atomically."""
    for path, text in (
        (json_out, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n"),
        (
            versions_out,
            "".join(
                f'{k}: "{v}"\n'
                for k, v in {"holobiont": record["pipeline"]["version"], **record["tools"]}.items()
            ),
        ),
    ):
        write_text(path, text)
