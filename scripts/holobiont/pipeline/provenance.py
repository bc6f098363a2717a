"""Provenance: pipeline and tool versions, the resolved config and input checksums.

Tool versions are not asked here: every tool rule writes the versions of the tools it runs from
inside its own environment (conda env, container or PATH) into a small versions file, and
:func:`read_versions` merges them, so this step needs only ``envs/python.yaml``.

Written once per run into ``results/provenance/`` and shown in every report. Nothing in it
depends on the time or the machine (no timestamps, hostnames or absolute paths), so two runs of
the same inputs with the same software give byte-identical files.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from collections.abc import Iterable, Mapping

import yaml

from holobiont import __version__
from holobiont.atomic import write_text
from holobiont.microbiome.sintax_ref import sha256_of_file

#: Python packages whose versions are recorded: those of envs/python.yaml, the environment the
#: Python steps (and this one) run in (tests/unit/test_envs.py keeps the two lists equal).
PYTHON_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "pysam",
    "biom-format",
    "h5py",
    "jsonschema",
    "PyYAML",
    "Jinja2",
    "MarkupSafe",
)

#: What a tool rule's versions file holds per tool (workflow/rules/common.smk, tool_versions).
_VERSION = re.compile(r"[0-9]+\.[0-9]+[0-9A-Za-z.+-]*")


class ProvenanceError(ValueError):
    """A versions file that does not name a version for each of its tools."""


def read_versions(paths: Iterable[str]) -> dict[str, str]:
    """Merge the versions files the tool rules wrote, each from inside its own environment.

    Each file holds ``tool: "version"`` lines (the nf-core ``versions.yml`` pattern). A tool
    recorded with different versions by different jobs (an environment changed between a run
    and its resumption, say) keeps every version, sorted and joined with " / ": the record
    says what ran, never a guess.
    """
    seen: dict[str, set[str]] = {}
    for path in paths:
        with open(path) as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, dict) or not data:
            raise ProvenanceError(f"{path}: no tool versions in it; rerun the job that wrote it")
        for tool, version in data.items():
            version = str(version or "")
            if not _VERSION.fullmatch(version):
                raise ProvenanceError(
                    f"{path}: no version read for {tool} (got {version!r}): is {tool} on the "
                    "PATH of that rule's environment? Rerun the job that wrote it."
                )
            seen.setdefault(str(tool), set()).add(version)
    return {tool: " / ".join(sorted(v)) for tool, v in sorted(seen.items())}


def sha256_of_config(config: Mapping) -> str:
    """Checksum of the resolved config (canonical JSON, sorted keys)."""
    canon = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canon.encode()).hexdigest()


def reference_record(ref: Mapping) -> dict:
    """Provenance of one reference: its choice, path and SHA-256, and its build record if built.

    ``ref`` has ``choice`` (the config value), ``path`` (the file used) and ``build_record``
    (path of the JSON the pipeline wrote when it built the file, or None for a user's file).
    A built file whose checksum differs from the one its build recorded stops here: the file
    was changed after the build (delete it to rebuild).
    """
    out = {"choice": ref["choice"], "path": ref["path"], "sha256": sha256_of_file(ref["path"])}
    if ref.get("build_record"):
        with open(ref["build_record"]) as fh:
            build = json.load(fh)
        if build.get("sha256") != out["sha256"]:
            raise ProvenanceError(
                f"{ref['path']}: SHA-256 {out['sha256']} differs from the one recorded when it "
                f"was built ({build.get('sha256')}, {ref['build_record']}); the file changed "
                "after the build. Delete both files to rebuild it."
            )
        out["build"] = build
    return out


def collect(
    config: Mapping,
    checks: Iterable[Mapping],
    versions: Iterable[str] = (),
    snakemake_version: str | None = None,
    sintax_16s: Mapping | None = None,
    sintax_16s_extra: Mapping[str, Mapping] | None = None,
) -> dict:
    """Gather the provenance record.

    Parameters
    ----------
    config : mapping
        Resolved Snakemake config.
    checks : iterable of mapping
        One per unit: ``sample_id``, ``unit`` and ``check`` (path of its integrity-check JSON,
        which holds the SHA-256 of both FASTQ files).
    versions : iterable of str
        The versions files of every tool job of the run (:func:`read_versions`).
    snakemake_version : str, optional
        Version of the Snakemake that ran the workflow (recorded with the tools).
    sintax_16s : mapping, optional
        The 16S SINTAX reference used (:func:`reference_record`); recorded under
        ``references``.
    sintax_16s_extra : mapping, optional
        ``{name: reference}`` of ``amplicon.extra_references`` (same form); recorded under
        ``references.sintax_16s_extra``.
    """
    tools = read_versions(versions)
    if snakemake_version:
        tools = dict(sorted({**tools, "snakemake": snakemake_version}.items()))
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
    references = {"sintax_16s": reference_record(sintax_16s)} if sintax_16s else {}
    if sintax_16s_extra:
        references["sintax_16s_extra"] = {
            name: reference_record(ref) for name, ref in sorted(sintax_16s_extra.items())
        }
    return {
        "pipeline": {"name": "holobiont", "version": __version__},
        "tools": tools,
        "python_packages": {p: importlib.metadata.version(p) for p in PYTHON_PACKAGES},
        "config_sha256": sha256_of_config(config),
        "config": config,
        "inputs": sorted(inputs, key=lambda r: (r["sample_id"], r["unit"])),
        "references": references,
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
