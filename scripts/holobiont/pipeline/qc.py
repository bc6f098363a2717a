"""Read-QC summary: one row per sequencing unit with reads in, reads out and quality figures.

Reads the integrity-check JSON (:mod:`holobiont.pipeline.fastq`), the fastp JSON report (host and shotgun
units) or the cutadapt JSON report (16S units) of every unit and writes a TSV that MultiQC, the
cohort report and later stages can use. A unit with no reads left after QC is flagged ``FAIL`` in
the ``status`` column and named in the log, never dropped silently.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from typing import TextIO

import pandas as pd


def fastp_options(fp: Mapping, host: bool) -> str:
    """fastp's adapter, filter and trimming options for one unit (``qc.fastp`` of the config).

    Adapters are trimmed in every case. With ``adapter_sequence`` (and ``adapter_sequence_r2``)
    set, those sequences are trimmed and nothing is detected. Otherwise host libraries keep
    ``--detect_adapter_for_pe`` (their calling benchmarks were decided with it), and shotgun
    libraries use fastp's paired-end overlap analysis only (``shotgun_adapter_detection:
    overlap``, the default): ``--detect_adapter_for_pe`` guesses an adapter sequence from
    over-represented read ends, which on a 15-genome mock cut into the reads of some genomes
    more than others (benchmarks/README.md); ``detect`` restores it.

    Host libraries get adapter trimming only by default (``host_trimming: adapters``): quality
    trimming and the length cut removed 9 % of real GIAB reads and all simulated MiSeq reads,
    and the aligner soft-clips poor ends anyway; only reads that adapter trimming left shorter
    than ``host_length_required`` (adapter dimers) are dropped. ``host_trimming: quality``
    applies the shotgun settings to host libraries too.

    >>> fp = {"host_trimming": "adapters", "host_length_required": 15, "qualified_quality": 15,
    ...       "unqualified_percent_limit": 40, "cut_right_mean_quality": 20,
    ...       "length_required": 50, "shotgun_adapter_detection": "overlap"}
    >>> fastp_options(fp, host=True)
    '--detect_adapter_for_pe --disable_quality_filtering --length_required 15'
    >>> fastp_options(fp, host=False)  # doctest: +NORMALIZE_WHITESPACE
    '--qualified_quality_phred 15 --unqualified_percent_limit 40 --cut_right
     --cut_right_mean_quality 20 --length_required 50'
    >>> fastp_options({**fp, "adapter_sequence": "AGATCGGAAGAGC"}, host=True)
    '--adapter_sequence AGATCGGAAGAGC --disable_quality_filtering --length_required 15'
    """
    r1, r2 = fp.get("adapter_sequence") or "", fp.get("adapter_sequence_r2") or ""
    if r2 and not r1:
        raise ValueError(
            "qc.fastp.adapter_sequence_r2 is set without qc.fastp.adapter_sequence: set both "
            "(or only adapter_sequence, which fastp then uses for both mates)."
        )
    if r1:
        adapters = [f"--adapter_sequence {r1}"] + ([f"--adapter_sequence_r2 {r2}"] if r2 else [])
    elif host or fp.get("shotgun_adapter_detection", "overlap") == "detect":
        adapters = ["--detect_adapter_for_pe"]
    else:
        adapters = []  # fastp's default for pairs: adapters found by the mates' overlap
    if host and fp["host_trimming"] == "adapters":
        filters = ["--disable_quality_filtering", f"--length_required {fp['host_length_required']}"]
    else:
        filters = [
            f"--qualified_quality_phred {fp['qualified_quality']}",
            f"--unqualified_percent_limit {fp['unqualified_percent_limit']} --cut_right",
            f"--cut_right_mean_quality {fp['cut_right_mean_quality']}",
            f"--length_required {fp['length_required']}",
        ]
    return " ".join(adapters + filters)


COLUMNS = (
    "patient_id",
    "sample_id",
    "unit",
    "assay",
    "qc_tool",
    "read_pairs_in",
    "read_pairs_out",
    "pct_pairs_kept",
    "bases_in",
    "bases_out",
    "q30_rate_in",
    "q30_rate_out",
    "duplication_rate",
    "adapter_trimmed_reads",
    "reason",
    "status",
)


def _fastp_figures(report: Mapping) -> dict:
    summ = report["summary"]
    before, after = summ["before_filtering"], summ["after_filtering"]
    nan = float("nan")

    # fastp gives 0 for the rates of no reads: not a measurement, so NA
    def rate(value, reads):
        return round(value, 6) if reads else nan

    dup = report.get("duplication", {}).get("rate", nan)
    return {
        "read_pairs_in": before["total_reads"] // 2,
        "read_pairs_out": after["total_reads"] // 2,
        "bases_in": before["total_bases"],
        "bases_out": after["total_bases"],
        "q30_rate_in": rate(before["q30_rate"], before["total_reads"]),
        "q30_rate_out": rate(after["q30_rate"], after["total_reads"]),
        "duplication_rate": rate(dup, before["total_reads"]),
        "adapter_trimmed_reads": report.get("adapter_cutting", {}).get("adapter_trimmed_reads", 0),
    }


def _cutadapt_figures(report: Mapping) -> dict:
    reads = report["read_counts"]
    bases = report["basepair_counts"]
    with_primer = reads.get("read1_with_adapter") or 0
    return {
        "read_pairs_in": reads["input"],
        "read_pairs_out": reads["output"],
        "bases_in": bases["input"],
        "bases_out": bases["output"],
        "q30_rate_in": float("nan"),
        "q30_rate_out": float("nan"),
        "duplication_rate": float("nan"),
        "adapter_trimmed_reads": with_primer,
    }


_MQC_HEADER = """# id: 'holobiont_read_counts'
# section_name: 'Read pairs through QC'
# description: 'Read pairs of each sequencing unit before and after QC (Holobiont).'
# plot_type: 'table'
# pconfig:
#     id: 'holobiont_read_counts_table'
#     namespace: 'Holobiont'
"""


def _write_atomic(df: pd.DataFrame, path: str | os.PathLike, header: str = "") -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(header)
        df.to_csv(fh, sep="\t", index=False, na_rep="NA")
    os.replace(tmp, path)


def summarise_qc(
    units: Iterable[Mapping],
    out: str | os.PathLike,
    log: TextIO | None = None,
    multiqc_out: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Write the per-unit QC table.

    Parameters
    ----------
    units : iterable of mapping
        One mapping per unit with ``patient_id``, ``sample_id``, ``unit``, ``assay``,
        ``qc_tool`` (``"fastp"`` or ``"cutadapt"``), ``qc_json`` (path of the tool's JSON report)
        and ``check`` (path of the integrity-check JSON, or None).
    out : path-like
        TSV written atomically.
    log : file-like
        Progress and warnings.
    multiqc_out : path-like, optional
        Also write the table as MultiQC custom content (``*_mqc.tsv``), one row per unit.

    Returns
    -------
    pandas.DataFrame
        The table written, columns :data:`COLUMNS`.
    """
    log = log or sys.stderr
    rows = []
    for u in units:
        with open(u["qc_json"]) as fh:
            report = json.load(fh)
        figures = _fastp_figures(report) if u["qc_tool"] == "fastp" else _cutadapt_figures(report)
        reason = ""
        check = {}
        if u.get("check"):
            with open(u["check"]) as fh:
                check = json.load(fh)
        if check.get("status", "PASS") != "PASS":
            # the message names files: it stays in the logs, the tables get where to read it
            reason = f"FASTQ check failed (logs/qc/check_fastq/{u['sample_id']}.{u['unit']}.log)"
            print(f"FAIL: {check.get('reason') or reason}", file=log)
        elif check and check["read_pairs"] != figures["read_pairs_in"]:
            print(
                f"WARNING: {u['sample_id']} unit {u['unit']}: the integrity check counted "
                f"{check['read_pairs']} pairs but {u['qc_tool']} read "
                f"{figures['read_pairs_in']}.",
                file=log,
            )
        n_in, n_out = figures["read_pairs_in"], figures["read_pairs_out"]
        status = "PASS" if n_out > 0 and not reason else "FAIL"
        if status == "FAIL" and not reason:
            reason = "no reads left after QC"
            print(
                f"FAIL: {u['sample_id']} unit {u['unit']} has no reads left after QC "
                f"({n_in} pairs in); downstream stages will report this sample as empty.",
                file=log,
            )
        rows.append(
            {
                "patient_id": u["patient_id"],
                "sample_id": u["sample_id"],
                "unit": u["unit"],
                "assay": u["assay"],
                "qc_tool": u["qc_tool"],
                **figures,
                "pct_pairs_kept": round(100.0 * n_out / n_in, 2) if n_in else float("nan"),
                "reason": reason,
                "status": status,
            }
        )
    df = pd.DataFrame(rows, columns=list(COLUMNS)).sort_values(["sample_id", "unit"])
    _write_atomic(df, out)
    if multiqc_out is not None:
        mqc = df.assign(Sample=df["sample_id"] + "." + df["unit"])
        cols = [
            "Sample",
            "patient_id",
            "assay",
            "read_pairs_in",
            "read_pairs_out",
            "pct_pairs_kept",
            "status",
        ]
        _write_atomic(mqc[cols], multiqc_out, _MQC_HEADER)
    print(f"QC summary: {len(df)} units, {int((df['status'] == 'FAIL').sum())} failed.", file=log)
    return df
