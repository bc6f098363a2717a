# Helpers shared by every stage: configuration and sample sheet validation, wildcard
# constraints built from the sheet, and input functions named get_<rule>_<thing>.
import os
import re
import shlex
import sys
from pathlib import Path
from types import SimpleNamespace

import yaml

from snakemake.common import __version__ as SNAKEMAKE_VERSION
from snakemake.exceptions import WorkflowError

# The project's own folder, from this file's location: workflow.basedir would be the folder of
# the importing workflow when Holobiont is used as a module (or deployed with snakedeploy).
try:
    PROJECT = Path(workflow.current_basedir).parents[1]
except TypeError:  # a remote source (github(...), a URL) has no local path
    raise WorkflowError(
        f"Holobiont's rules are read from {workflow.current_basedir}, not a local folder: its "
        "Python package (scripts/holobiont) is imported while the workflow is parsed. Use a "
        'local clone: module holobiont: snakefile: "<clone>/workflow/Snakefile" (README).'
    ) from None
sys.path.insert(0, str(PROJECT / "scripts"))

from holobiont.pipeline.config import ConfigError, validate_config  # noqa: E402
from holobiont.pipeline.sheet import (
    CORE_COLUMNS,
    HOST_ASSAYS,
    RESERVED_PATIENT_ID,
    SampleSheetError,
    load_samples,
)  # noqa: E402
from holobiont.pipeline.sheet import check_workflow_needs  # noqa: E402
from holobiont.pipeline.sheet import (
    latest_stool_samples,
    stool_timepoints,
)  # noqa: E402

SCHEMAS = PROJECT / "workflow" / "schemas"

# The tools installed beside this Python (the project's .venv: cutadapt, multiqc, ...) are
# found by every rule even when Snakemake was started as `.venv/bin/snakemake` without the
# venv on PATH (jobs inherit this environment; conda envs still go first with --use-conda).
from holobiont.atomic import python_bin_on_path  # noqa: E402

python_bin_on_path()


def _in_project(path):
    """A relative path absent from the working directory but present in the project (the
    demo defaults), made absolute: runs with --directory still find them."""
    if path and not os.path.isabs(path) and not os.path.exists(path):
        candidate = PROJECT / path
        if candidate.exists():
            return str(candidate)
    return path


try:
    validate_config(config, SCHEMAS / "config.schema.yaml")
    for _key, _value in config["references"].items():
        if isinstance(_value, str):
            config["references"][_key] = _in_project(_value)
    samples = load_samples(config["samples"], SCHEMAS / "samples.schema.yaml")
    check_workflow_needs(samples, config)
except (ConfigError, SampleSheetError) as err:
    raise WorkflowError(str(err)) from None

from holobiont.atomic import report_disk_full  # noqa: E402 (onerror, qc.smk)
from holobiont.host.genome_build import dict_path  # noqa: E402

HOST_FASTA = config["references"].get("host_fasta", "")
HOST_FAI = f"{HOST_FASTA}.fai"
PGX_CATALOG_FILES = sorted(
    str(p) for p in Path(config["references"]["pgx_catalog"]).glob("*.tsv")
)

# Sequence dictionary beside the FASTA (optional): its @SQ AS field declares the build of a
# FASTA of GRCh38 windows (holobiont.host.genome_build.declared_build), so the reference check
# reads it and must rerun when it changes.
HOST_DICT = str(dict_path(HOST_FASTA)) if HOST_FASTA else ""


def host_dict_input(wildcards=None):
    """The FASTA's .dict when there is one (an input of the reference check), else nothing."""
    return [HOST_DICT] if HOST_DICT and os.path.isfile(HOST_DICT) else []


# REF/ALT upper case in every VCF the host stage writes: bcftools copies the reference's case,
# and a soft-masked reference (GRCh38 FASTAs mask repeats in lower case) gives 'a' > 'aCT'.
UPPER_ALLELES = r"""awk 'BEGIN { FS = OFS = "\t" } /^#/ { print; next } { $4 = toupper($4); $5 = toupper($5); print }'"""


# The sheet schema's ID pattern (letters, digits and '-') serves as the wildcard constraint.
# (An alternation of every ID would be compiled into each rule's output pattern, which
# dominated the DAG time of a 1,000-sample cohort.)
_SHEET_SCHEMA = yaml.safe_load((SCHEMAS / "samples.schema.yaml").read_text())
ID_REGEX = _SHEET_SCHEMA["$defs"]["id"]["pattern"].removeprefix("^").removesuffix("$")


wildcard_constraints:
    sample=ID_REGEX,
    unit=ID_REGEX,
    patient=ID_REGEX,


# A patient report's wildcard: any sheet ID but the reserved cohort report's name (without
# it, patient_report is tried for results/reports/cohort.* and its input function fails).
PATIENT_REPORT_ID = f"(?!{RESERVED_PATIENT_ID}(?![A-Za-z0-9-])){ID_REGEX}"


# ---------------------------------------------------------------------------------------------
# Sheet queries (plain dicts built once: input functions run for every job of the DAG)
# ---------------------------------------------------------------------------------------------
_UNITS = {}
_FASTQ = {}
for _s, _u, _r1, _r2 in zip(
    samples["sample_id"], samples["unit"], samples["fastq_1"], samples["fastq_2"]
):
    _UNITS.setdefault(_s, []).append(_u)
    _FASTQ[(_s, _u)] = {"r1": _r1, "r2": _r2}
_ASSAY = dict(zip(samples["sample_id"], samples["assay"]))
_PATIENT = dict(zip(samples["sample_id"], samples["patient_id"]))


def units_of(sample):
    """Units of one sample, in sheet order."""
    return list(_UNITS[sample])


def samples_of(assays):
    """Sample IDs whose assay is one of ``assays``."""
    return sorted(s for s, a in _ASSAY.items() if a in assays)


def assay_of(sample):
    return _ASSAY[sample]


def patient_of(sample):
    return _PATIENT[sample]


def host_samples():
    return samples_of(HOST_ASSAYS)


def fastp_units():
    """(sample, unit) pairs QC'd by fastp: host and shotgun libraries."""
    sel = samples[samples["assay"].isin(HOST_ASSAYS + ("shotgun",))]
    return list(zip(sel["sample_id"], sel["unit"]))


def cutadapt_units():
    """(sample, unit) pairs of 16S libraries (primers removed by cutadapt)."""
    sel = samples[samples["assay"] == "16s"]
    return list(zip(sel["sample_id"], sel["unit"]))


def qc_method(sample):
    return "cutadapt" if assay_of(sample) == "16s" else "fastp"


# ---------------------------------------------------------------------------------------------
# Threads of the heavy steps: config `threads`, at most the cores Snakemake was given
# ---------------------------------------------------------------------------------------------
def threads_of(step):
    """Threads function of a heavy rule: config threads.<step>, capped by --cores.

    Evaluated per job, so that the cap is the one of the Snakemake that runs the job. A
    cluster run without --cores has no cap here: the SLURM profile's set-threads sizes the
    jobs for the nodes instead (workflow/profiles/slurm/config.yaml).
    """
    wanted = config["threads"][step]

    def threads(wildcards):
        try:
            cores = workflow.cores
        except WorkflowError:  # no --cores (a cluster executor)
            return wanted
        return max(1, min(wanted, cores))

    return threads


# ---------------------------------------------------------------------------------------------
# Resource sizing (mem_mb, runtime) for cluster submission
# ---------------------------------------------------------------------------------------------
# Per-sample jobs are sized from the sample's raw FASTQ files, which exist when the DAG is built:
# their sizes are read once per sample or unit. ``input.size_mb`` instead stats every input of
# every job and is unknown (TBD) for the inputs still to be made; across the ~9 jobs per sample
# of a 1,000-sample cohort it was the largest single cost of the dry-run (benchmarks/README.md).
# Fixed files (indexes, databases) are read once, when they exist; until then the resource is
# TBD and Snakemake evaluates it again at submission, as it does for ``input.size_mb``.
_MIB = 1024 * 1024
_READS_MB = {}
_STAT = {}


def stat_of(path):
    """os.stat of an input file, once per run (resource sizing and change stamps share it)."""
    if path not in _STAT:
        _STAT[path] = os.stat(path)
    return _STAT[path]


def file_stamp(path):
    """Identity of an input file's content as the filesystem sees it: size, mtime, inode and
    ctime (ns). Copies made with ``cp -p`` or ``rsync -a`` keep an old mtime but get a new
    ctime (and, with rsync, a new inode), which no tool can set back."""
    st = stat_of(path)
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_ctime_ns}"


def get_fastq_stamp(wildcards):
    """Params of the steps reading a unit's raw FASTQ; when a file is replaced, even by
    one with an older mtime, the stamp differs from the one Snakemake recorded with the
    outputs, and its params rerun trigger redoes the unit (and, by mtime, all after it).
    """
    return [file_stamp(f) for f in _FASTQ[(wildcards.sample, wildcards.unit)].values()]


_FILES_MB = {}


def reads_mb(sample, unit=None):
    """MiB of raw FASTQ of one unit, or of every unit of the sample when ``unit`` is None."""
    key = (sample, unit)
    if key not in _READS_MB:
        units = [unit] if unit is not None else _UNITS[sample]
        _READS_MB[key] = (
            sum(stat_of(f).st_size for u in units for f in _FASTQ[(sample, u)].values())
            / _MIB
        )
    return _READS_MB[key]


def files_mb(paths):
    """MiB of fixed files (an index, a database); FileNotFoundError until they exist."""
    key = tuple(paths)
    if key not in _FILES_MB:
        _FILES_MB[key] = sum(os.path.getsize(p) for p in key) / _MIB
    return _FILES_MB[key]


SORT_MEM_MB = (
    768  # samtools sort -m: buffer per sort thread (its default, set explicitly)
)


def sized(floor, per_read_mb=0.0, fixed=None, fixed_factor=1.0, base=0, per_thread=0):
    """A resource function: max(floor, base + per_read_mb * reads + fixed_factor * fixed
    + per_thread * threads).

    ``reads`` is the raw FASTQ size of the job's unit (``unit`` wildcard) or sample; ``fixed``
    is a function returning the paths of a fixed input whose size also counts (an index loaded
    into memory); ``per_thread`` is memory each thread adds (samtools sort buffers), so that a
    job given more threads (config threads, the SLURM profile's set-threads) asks for it.
    """

    def resource(wildcards, threads):
        value = base + per_read_mb * reads_mb(wildcards.sample, wildcards.get("unit"))
        if fixed is not None:
            value += fixed_factor * files_mb(fixed())
        return max(floor, int(value + per_thread * threads))

    return resource


# ---------------------------------------------------------------------------------------------
# Input functions
# ---------------------------------------------------------------------------------------------
def get_fastq(wildcards):
    """Raw FASTQ pair of one unit, as listed in the sheet."""
    return dict(_FASTQ[(wildcards.sample, wildcards.unit)])


def get_check(wildcards):
    """The integrity-check JSON a unit must pass before QC (empty when disabled)."""
    if config["qc"]["validate_fastq"]:
        return f"results/qc/check/{wildcards.sample}/{wildcards.unit}.json"
    return []


def get_check_primers(wildcards):
    """Primers a 16S unit's read starts must carry (checked in check_fastq), else None."""
    primers = config["qc"]["primers_16s"]
    if assay_of(wildcards.sample) != "16s" or primers["already_removed"]:
        return None
    return {
        "forward": primers["forward"],
        "reverse": primers["reverse"],
        "error_rate": config["qc"]["cutadapt"]["error_rate"],
        "min_fraction": primers["min_fraction"],
    }


def get_cutadapt_primer_args(wildcards):
    """Anchored primer removal, or none when the reads come without primers."""
    if config["qc"]["primers_16s"]["already_removed"]:
        return ""
    primers = config["qc"]["primers_16s"]
    untrimmed = (
        " --discard-untrimmed" if config["qc"]["cutadapt"]["discard_untrimmed"] else ""
    )
    return f"-g ^{primers['forward']} -G ^{primers['reverse']}{untrimmed}"


def staged_reads(tool):
    """Params function of a QC rule: its unit's raw pair linked under sheet-ID names.

    fastp and cutadapt write their input paths into their reports (and so into MultiQC).
    Reading the files through ``<sample>.<unit>_R1/2.fastq.gz`` links keeps every directory
    name (which may name a person) and every run-specific location out of them, so the reports
    stay byte-reproducible. The shell runs ``{params.staged.link}`` first, reads
    ``{params.staged.r1}`` / ``.r2``, and removes ``{params.staged.dir}`` last.
    """

    def staged(wildcards, input):
        folder = f"results/qc/{tool}/{wildcards.sample}/.input_{wildcards.unit}"
        name = f"{folder}/{wildcards.sample}.{wildcards.unit}"
        # the tools decide compression by the name: keep ".gz" only for gzipped input
        ext = ".fastq.gz" if str(input.r1).endswith(".gz") else ".fastq"
        r1, r2 = f"{name}_R1{ext}", f"{name}_R2{ext}"
        link = " && ".join(
            f"ln -sfn $(realpath {shlex.quote(src)}) {dst}"
            for src, dst in ((input.r1, r1), (input.r2, r2))
        )
        if input.get("check"):
            # A unit that failed the FASTQ check goes on as an empty pair (FAIL downstream).
            empty = "printf '' | gzip -n" if ext.endswith(".gz") else "printf ''"
            link = (
                f'if grep -q \'"status": "FAIL"\' {input.check}; then'
                f" {empty} > {r1} && {empty} > {r2}; else {link}; fi"
            )
        return SimpleNamespace(
            dir=folder, r1=r1, r2=r2, link=f"mkdir -p {folder} && {link}"
        )

    return staged


def get_fastp_trimming(wildcards):
    """fastp adapter / filter / trimming options of one unit (holobiont.pipeline.qc.fastp_options)."""
    host = assay_of(wildcards.sample) in HOST_ASSAYS
    return fastp_options(config["qc"]["fastp"], host=host)


def get_merge_units_input(wildcards):
    """QC'd reads of every unit of a sample."""
    method = qc_method(wildcards.sample)
    units = units_of(wildcards.sample)
    return {
        "r1": [
            f"results/qc/{method}/{wildcards.sample}/{wildcards.sample}.{u}_R1.fastq.gz"
            for u in units
        ],
        "r2": [
            f"results/qc/{method}/{wildcards.sample}/{wildcards.sample}.{u}_R2.fastq.gz"
            for u in units
        ],
    }


def qc_summary_records():
    """One record per unit with its IDs and the QC files that describe it."""
    records = []
    for row in samples.itertuples(index=False):
        s, u = row.sample_id, row.unit
        method = qc_method(s)
        ext = "fastp.json" if method == "fastp" else "cutadapt.json"
        records.append(
            {
                "patient_id": row.patient_id,
                "sample_id": s,
                "unit": u,
                "assay": row.assay,
                "check": (
                    f"results/qc/check/{s}/{u}.json"
                    if config["qc"]["validate_fastq"]
                    else None
                ),
                "qc_tool": method,
                "qc_json": f"results/qc/{method}/{s}/{s}.{u}.{ext}",
            }
        )
    return records


def get_qc_summary_input(wildcards):
    recs = qc_summary_records()
    return [r["check"] for r in recs if r["check"]] + [r["qc_json"] for r in recs]


def get_multiqc_input(wildcards):
    return {
        "fastp": [f"results/qc/fastp/{s}/{s}.{u}.fastp.json" for s, u in fastp_units()],
        "cutadapt": [
            f"results/qc/cutadapt/{s}/{s}.{u}.cutadapt.log" for s, u in cutadapt_units()
        ],
        "host_stats": [
            f"results/host/stats/{s}.{tool}_stats.txt"
            for s in host_samples()
            for tool in ("samtools", "bcftools")
        ],
        "counts": "results/qc/read_counts_mqc.tsv",
        "versions": "results/provenance/software_mqc_versions.yml",
        "kraken": [
            f"results/shotgun/kraken2/{s}.kraken2.report.txt" for s in shotgun_samples()
        ],
        "tracking_16s": (
            ["results/16s/read_tracking_mqc.tsv"] if amplicon_samples() else []
        ),
        # custom content of rule multiqc_custom_content / export_shotgun_profiles
        "custom": [f"results/qc/mqc/{n}_mqc.tsv" for n in multiqc_custom_sections()]
        + (["results/qc/mqc/species_mqc.tsv"] if shotgun_samples() else []),
    }


def provenance_checks():
    """Units whose integrity-check JSON carries the input checksums."""
    if not config["qc"]["validate_fastq"]:
        return []
    return [
        {"sample_id": s, "unit": u, "check": f"results/qc/check/{s}/{u}.json"}
        for s, u in zip(samples["sample_id"], samples["unit"])
    ]


def get_provenance_input(wildcards):
    ref = sintax_reference_record()
    return {
        "checks": [c["check"] for c in provenance_checks()],
        "versions": tool_version_files(),
        "sintax_16s": (
            [ref["path"]] + ([ref["build_record"]] if ref["build_record"] else [])
            if ref
            else []
        ),
        "sintax_16s_extra": [
            path
            for r in extra_sintax_records().values()
            for path in (r["path"], r["build_record"])
            if path
        ],
    }


# ---------------------------------------------------------------------------------------------
# Tool versions, recorded where each tool runs (the nf-core versions.yml pattern)
# ---------------------------------------------------------------------------------------------
# The shell of every tool rule starts with tool_versions(...), which asks each tool it runs
# for its version inside the rule's own environment (conda env, container or PATH) and writes
# `tool: "version"` lines to its `versions` output; rule provenance merges them
# (holobiont.pipeline.provenance.read_versions) and so needs nothing but envs/python.yaml.
# faidx_host_reference records nothing: it may write next to the user's FASTA, and a versions
# file it had not written would make it run again; align_host records samtools.
VERSIONS = "results/provenance/versions"
HOST_ALIGNER = config["host"]["aligner"]
# --- from here to the end of tool_versions: also run by tests/unit/test_provenance.py ---
# the same pattern as holobiont.pipeline.provenance._VERSION
VERSION_PATTERN = r"[0-9]+\.[0-9]+[0-9A-Za-z.+-]*"
# How each tool prints its version ("<tool> --version 2>&1" unless listed): bwa and FastTree
# have no --version; vsearch prints a citation with a DOI on stdout, its version on stderr.
_VERSION_COMMANDS = {
    "bwa": "bwa 2>&1",
    "FastTree": "FastTree -expert 2>&1",
    "vsearch": "vsearch --version 2>&1 >/dev/null",
}


def tool_versions(*tools):
    """Shell prefix of a tool rule: the version of each tool into {output.versions}."""
    asks = "; ".join(
        f"printf '%s: \"%s\"\\n' {tool}"
        f" \"$({_VERSION_COMMANDS.get(tool, f'{tool} --version 2>&1')}"
        f" | grep -m1 -oE '{VERSION_PATTERN}' | head -n1)\""
        for tool in tools
    )
    return f"({asks}) > {{output.versions}} && "


def tool_version_files():
    """The versions file of every tool job of this run (inputs of rule provenance)."""
    per_sample = {
        "host": (
            host_samples(),
            ("align_host", "call_variants", "call_pgx_sites")
            + (("phase_host",) if config["host"].get("phase", False) else ()),
        ),
        "shotgun": (
            shotgun_samples(),
            ("shotgun_host_align", "shotgun_split_host", "kraken2"),
        ),
        "16s": (amplicon_samples(), ("amplicon_merge_filter", "amplicon_map")),
    }
    files = [f"{VERSIONS}/fastp/{s}.{u}.yml" for s, u in fastp_units()]
    files += [f"{VERSIONS}/cutadapt_16s/{s}.{u}.yml" for s, u in cutadapt_units()]
    for sample_ids, rule_names in per_sample.values():
        files += [f"{VERSIONS}/{r}/{s}.yml" for r in rule_names for s in sample_ids]
    once = ["multiqc_version"]
    if shotgun_samples() or (host_samples() and HOST_ALIGNER == "minimap2"):
        once.append("minimap2_index")
    if host_samples() and HOST_ALIGNER == "bwa":
        once.append("bwa_index")
    if host_samples() and config["host"]["cohort_vcf"]:
        once.append("host_cohort_vcf")
    if shotgun_samples() and not SHOTGUN["kraken2_db"]:
        once.append("kraken2_build_db")
    if gene_evidence_configured():
        once.append("diamond_makedb")
        files += [f"{VERSIONS}/diamond_blastx/{s}.yml" for s in shotgun_samples()]
    if amplicon_samples():
        once += [
            "amplicon_denoise",
            "amplicon_sintax",
            "amplicon_align",
            "amplicon_tree",
        ]
        files += [f"{VERSIONS}/amplicon_sintax_extra/{n}.yml" for n in EXTRA_16S]
    return files + [f"{VERSIONS}/{r}.yml" for r in once]


MINIMAP2_INDEX = "results/host/reference/host.mmi"


def host_index_files():
    if config["host"]["aligner"] == "bwa":
        return multiext(
            "results/host/reference/host", ".amb", ".ann", ".bwt", ".pac", ".sa"
        )
    return [MINIMAP2_INDEX]


def get_align_host_input(wildcards):
    return {
        "r1": f"results/qc/merged/{wildcards.sample}_R1.fastq.gz",
        "r2": f"results/qc/merged/{wildcards.sample}_R2.fastq.gz",
        "index": host_index_files(),
        "fasta": HOST_FASTA,
        "reference_check": "results/host/reference_check.json",
    }


def get_align_host_command(wildcards, input):
    if HOST_ALIGNER == "bwa":
        return "bwa mem -Y"
    return "minimap2 -ax sr"


def get_align_host_index(wildcards, input):
    """minimap2 takes the .mmi file, bwa the prefix of its five index files."""
    if config["host"]["aligner"] == "bwa":
        return os.path.splitext(input.index[0])[0]
    return input.index


def get_read_group(wildcards):
    """Read group from the sheet: ID/LB = sample, SM = pseudonymous patient ID."""
    return (
        f"@RG\\tID:{wildcards.sample}\\tSM:{patient_of(wildcards.sample)}"
        f"\\tLB:{wildcards.sample}\\tPL:ILLUMINA"
    )


def uses_targets(sample):
    return assay_of(sample) in ("host_wes", "host_panel")


# host sample -> its outside-call file (sheet column pgx_outside_calls; checked by the sheet)
_OUTSIDE_CALLS = {
    s: f
    for s, f in zip(samples["sample_id"], samples.get("pgx_outside_calls", ()))
    if f
}


def get_pgx_outside_calls(wildcards):
    """The patient's PharmCAT outside-call file, if the sheet gives one (else no input)."""
    f = _OUTSIDE_CALLS.get(wildcards.sample)
    return [f] if f else []


def get_pharmcat_vcf_sites(wildcards):
    """Calls at the catalog positions, read-backed phased by WhatsHap when host.phase is on."""
    suffix = "sites.phased" if config["host"].get("phase", False) else "sites"
    return f"results/host/pgx/{wildcards.sample}.{suffix}.vcf.gz"


# --- scattered calling (host_wgs): reference chunks planned by checkpoint host_chunks ---
from holobiont.host.scatter import read_plan  # noqa: E402

HOST_CHUNK_PLAN = "results/host/chunks/plan.tsv"


def scattered(sample):
    """host_wgs samples are called per reference chunk unless host.scatter.chunks is 1."""
    return assay_of(sample) == "host_wgs" and config["host"]["scatter"]["chunks"] != 1


def chunks_of(sample):
    """Chunk IDs of a sample: the plan's for scattered WGS, else the single chunk "all"."""
    if not scattered(sample):
        return ["all"]
    return list(read_plan(checkpoints.host_chunks.get().output[0]))


def get_call_variants_input(wildcards):
    inputs = {
        "bam": f"results/host/bam/{wildcards.sample}.bam",
        "bai": f"results/host/bam/{wildcards.sample}.bam.bai",
        "fasta": HOST_FASTA,
        "fai": HOST_FAI,
    }
    if uses_targets(wildcards.sample):
        inputs["targets"] = config["references"]["targets_bed"]
    if wildcards.get("chunk", "all") != "all":
        inputs["plan"] = HOST_CHUNK_PLAN
    return inputs


def get_call_variants_regions(wildcards, input):
    """mpileup's region arguments: the targets (panel, WES), the chunk's regions (scattered
    WGS, written from the plan to a file in the job's tmpdir) or none (the whole genome).
    """
    if uses_targets(wildcards.sample):
        return f"-T {input.targets}"
    if wildcards.chunk == "all":
        return ""
    plan = read_plan(input.plan)
    if wildcards.chunk not in plan:
        raise WorkflowError(
            f"{input.plan} has no chunk {wildcards.chunk}: delete results/host/vcf/chunks"
            " and rerun (the plan changed)"
        )
    if len(plan) == 1:  # one chunk: the whole genome, as an unscattered run
        return ""
    return "-R $regions"


def get_call_variants_write_regions(wildcards, input):
    """Shell writing a scattered chunk's regions to $regions (bcftools -R: 1-based)."""
    if uses_targets(wildcards.sample) or "-R" not in get_call_variants_regions(
        wildcards, input
    ):
        return ""
    rows = " ".join(
        f"{shlex.quote(c)} {s} {e}"
        for c, s, e in read_plan(input.plan)[wildcards.chunk]
    )
    return f"printf '%s\\t%s\\t%s\\n' {rows} > $regions;"


def get_call_variants_chunk_runtime(wildcards):
    """Minutes of a calling job: 1 per 2 MiB of raw reads for the whole genome (at least 20),
    shared evenly by the chunks of a scattered sample."""
    n = 1 if wildcards.chunk == "all" else len(chunks_of(wildcards.sample))
    return max(20, int(reads_mb(wildcards.sample) / 2 / n))


def get_call_variants_gather_input(wildcards):
    """Every chunk's VCF and gVCF (BCF), in chunk order."""
    base = f"results/host/vcf/chunks/{wildcards.sample}"
    return [
        f"{base}/{c}.{kind}.bcf"
        for c in chunks_of(wildcards.sample)
        for kind in ("vcf", "g")
    ]


def host_outputs():
    out = []
    for s in host_samples():
        out += [
            f"results/host/vcf/{s}.vcf.gz",
            f"results/host/gvcf/{s}.g.vcf.gz",
            f"results/host/pgx/{s}.pharmcat.vcf.gz",
            f"results/host/pgx/{s}.pgx.tsv",
            f"results/host/pgx/{s}.pgx.json",
            f"results/host/coverage/{s}.pgx_coverage.tsv",
        ]
    if host_samples() and config["host"]["cohort_vcf"]:
        out.append("results/host/cohort/host_cohort.g.vcf.gz")
    return out


def get_fastq_check_summary_input(wildcards):
    return [c["check"] for c in provenance_checks()]


def qc_outputs():
    gate = ["results/qc/check/summary.tsv"] if config["qc"]["validate_fastq"] else []
    merged = gate + [
        f"results/qc/merged/{s}_{r}.fastq.gz"
        for s in sorted(samples["sample_id"].unique())
        for r in ("R1", "R2")
    ]
    return merged + [
        "results/qc/read_counts.tsv",
        "results/qc/multiqc/multiqc_report.html",
    ]


def all_outputs():
    """Final targets of every stage built so far (stages not built are absent)."""
    return (
        qc_outputs()
        + host_outputs()
        + amplicon_outputs()
        + shotgun_outputs()
        + gene_outputs()
        + cohort_outputs()
        + report_outputs()
        + export_outputs()
        + standard_export_outputs()
    )


# --- 16S amplicon stage ---
def amplicon_samples():
    """16S samples, sorted: the columns of the ASV table."""
    return samples_of(("16s",))


if amplicon_samples() and not config["references"].get("sintax_16s"):
    raise WorkflowError(
        "config references.sintax_16s is not set, but the sheet has 16s libraries; "
        "set it to a SINTAX-formatted 16S reference FASTA in config/config.yaml."
    )


#: Built-in SINTAX references (config references.sintax_16s), by keyword.
SINTAX_DEMO = "resources/demo/data/reference/16s_sintax.fasta"
SINTAX_GREENGENES = os.path.join(
    config["amplicon"]["sintax_cache"], "greengenes_13_8_97_sintax.fasta"
)


def sintax_path_of(ref):
    """The SINTAX FASTA of a 16S reference value (`demo`, `greengenes_13_8` or a path)."""
    return {"demo": _in_project(SINTAX_DEMO), "greengenes_13_8": SINTAX_GREENGENES}.get(
        ref, _in_project(ref)
    )


def sintax_reference_path():
    """The SINTAX FASTA of config references.sintax_16s (`demo`, `greengenes_13_8` or a path)."""
    return sintax_path_of(config["references"]["sintax_16s"])


def _extra_reference_name(ref):
    """Name of an amplicon.extra_references item: the keyword, or the file name's stem."""
    if ref in ("demo", "greengenes_13_8"):
        return ref
    name = os.path.basename(ref)
    for suffix in (".gz", ".fasta", ".fa", ".fna"):
        name = name.removesuffix(suffix)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


#: amplicon.extra_references by name -> SINTAX FASTA (further 16S classifications only when the
#: sheet has 16S libraries).
EXTRA_16S = {}
_EXTRA_16S_CHOICE = {}
for _ref in config["amplicon"]["extra_references"]:
    _name = _extra_reference_name(_ref)
    if _name in EXTRA_16S or not _name:
        raise WorkflowError(
            f"config amplicon.extra_references: {_ref!r} gives the name {_name!r}, which is "
            "empty or taken by another item; rename the file."
        )
    EXTRA_16S[_name] = sintax_path_of(_ref)
    _EXTRA_16S_CHOICE[_name] = _ref
    if (
        _ref != "greengenes_13_8"
        and amplicon_samples()
        and not os.path.isfile(EXTRA_16S[_name])
    ):
        raise WorkflowError(
            f"config amplicon.extra_references: {_ref} is not a file; give `demo`, "
            "`greengenes_13_8` or the path of a SINTAX FASTA."
        )
if not amplicon_samples():
    EXTRA_16S = {}
# wildcard of the extra classifications: exactly the configured names
EXTRA_16S_NAME = "|".join(re.escape(n) for n in EXTRA_16S) or "(?!)"


def get_amplicon_sintax_extra_reference(wildcards):
    return EXTRA_16S[wildcards.reference]


def extra_sintax_records():
    """Provenance of each of amplicon.extra_references (as sintax_reference_record)."""
    return {
        name: {
            "choice": _EXTRA_16S_CHOICE[name],
            "path": path,
            "build_record": f"{path}.json" if path == SINTAX_GREENGENES else None,
        }
        for name, path in EXTRA_16S.items()
    }


def get_amplicon_sintax_reference(wildcards):
    """SINTAX reference (set whenever the sheet has 16S libraries, see above)."""
    return sintax_reference_path()


def sintax_reference_record():
    """Provenance of the SINTAX reference: its build record (built-in) or its path (file)."""
    if not amplicon_samples():
        return None
    path = sintax_reference_path()
    built = path == SINTAX_GREENGENES
    return {
        "choice": config["references"]["sintax_16s"],
        "path": path,
        "build_record": f"{path}.json" if built else None,
    }


def get_amplicon_denoise_input(wildcards):
    """Dereplicated, quality-filtered reads of every 16S sample (pooled for UNOISE3)."""
    return [f"results/16s/work/{s}/filtered_uniques.fasta" for s in amplicon_samples()]


def amplicon_table_records():
    """One record per 16S sample: IDs and the files its counts and read tracking come from."""
    return [
        {
            "sample_id": s,
            "patient_id": patient_of(s),
            "cutadapt": [
                f"results/qc/cutadapt/{s}/{s}.{u}.cutadapt.json" for u in units_of(s)
            ],
            "merged": f"results/16s/work/{s}/merged_uniques.fasta",
            "filtered": f"results/16s/work/{s}/filtered_uniques.fasta",
            "hits": f"results/16s/work/{s}/hits.tsv",
        }
        for s in amplicon_samples()
    ]


def get_amplicon_table_input(wildcards):
    recs = amplicon_table_records()
    return {
        "asvs": "results/16s/asv_seqs.fasta",
        "sintax": "results/16s/work/sintax.tsv",
        "cutadapt": [p for r in recs for p in r["cutadapt"]],
        "per_sample": [r[k] for r in recs for k in ("merged", "filtered", "hits")],
    }


def amplicon_outputs():
    if not amplicon_samples():
        return []
    return [
        f"results/16s/{name}"
        for name in (
            "asv_table.tsv",
            "asv_table.biom",
            "asv_seqs.fasta",
            "taxonomy.tsv",
            "tree.nwk",
            "read_tracking.tsv",
            "abundance_floor.tsv",
        )
    ] + [f"results/16s/taxonomy_{name}.tsv" for name in EXTRA_16S]


# --- shotgun stage ---
from holobiont.microbiome.bracken import kmer_distrib_name  # noqa: E402
from holobiont.pipeline.qc import fastp_options  # noqa: E402
from holobiont.microbiome.shotgun import KRAKEN2_DB_FILES, genome_files  # noqa: E402
from holobiont.microbiome.shotgun import config_problems  # noqa: E402

SHOTGUN = config["shotgun"]
KRAKEN2_DB_BUILT = "results/shotgun/kraken2_db"
KMER_DISTRIB_BUILT = (
    f"{KRAKEN2_DB_BUILT}/{kmer_distrib_name(SHOTGUN['bracken']['read_length'])}"
)


def shotgun_samples():
    """Shotgun samples, sorted: the columns of the species tables."""
    return samples_of(("shotgun",))


MICROBE_DRUG_FILE = _in_project("resources/microbe_drug/interactions.tsv")

for _key in ("genomes", "taxonomy", "seqid2taxid"):
    SHOTGUN["build_db"][_key] = _in_project(SHOTGUN["build_db"][_key])

if shotgun_samples():
    _shotgun_problems = config_problems(
        SHOTGUN, config["references"].get("host_fasta", "")
    )
    if _shotgun_problems:
        raise WorkflowError("\n".join(_shotgun_problems))


def reference_files():
    """Every file the config points at outside results/ (the sheet's FASTQs aside)."""
    files = []
    for value in list(config["references"].values()) + [MICROBE_DRUG_FILE]:
        if isinstance(value, str) and value:
            p = Path(value)
            files += sorted(map(str, p.rglob("*"))) if p.is_dir() else [value]
    files += host_dict_input()  # read by the reference check (the build it declares)
    build = SHOTGUN["build_db"]
    if shotgun_samples():
        if SHOTGUN["kraken2_db"]:
            files += [f for f in kraken2_db_files() if os.path.exists(f)]
        else:
            files += list(genome_files(build["genomes"]))
            files += [
                f"{build['taxonomy']}/names.dmp",
                f"{build['taxonomy']}/nodes.dmp",
            ]
            files += [build["seqid2taxid"]] if build["seqid2taxid"] else []
        if SHOTGUN["bracken"]["kmer_distrib"]:
            files.append(SHOTGUN["bracken"]["kmer_distrib"])
        if SHOTGUN["genes"]["proteins"]:
            files.append(SHOTGUN["genes"]["proteins"])
    files += [p for p in EXTRA_16S.values() if p != SINTAX_GREENGENES]
    return [f for f in files if os.path.isfile(f)]


def kraken2_db_files():
    """The prebuilt database's files, or those of the database the pipeline builds."""
    db = SHOTGUN["kraken2_db"] or KRAKEN2_DB_BUILT
    return [f"{db}/{name}" for name in KRAKEN2_DB_FILES]


def bracken_kmer_distrib():
    if SHOTGUN["bracken"]["kmer_distrib"]:
        return SHOTGUN["bracken"]["kmer_distrib"]
    if SHOTGUN["kraken2_db"]:
        name = kmer_distrib_name(SHOTGUN["bracken"]["read_length"])
        return f"{SHOTGUN['kraken2_db']}/{name}"
    return KMER_DISTRIB_BUILT


def shotgun_taxonomy_files():
    """The taxonomy for rank codes and lineages: the build's dump, a prebuilt database's
    taxonomy/ dump, or else its taxo.k2d."""
    if not SHOTGUN["kraken2_db"]:
        tax = Path(SHOTGUN["build_db"]["taxonomy"])
    else:
        tax = Path(SHOTGUN["kraken2_db"]) / "taxonomy"
        if not ((tax / "names.dmp").is_file() and (tax / "nodes.dmp").is_file()):
            return [f"{SHOTGUN['kraken2_db']}/taxo.k2d"]
    return [str(tax / "names.dmp"), str(tax / "nodes.dmp")]


def get_shotgun_library_input(wildcards):
    build = SHOTGUN["build_db"]
    inputs = {
        "genomes": genome_files(build["genomes"]),
        "names": f"{build['taxonomy']}/names.dmp",
        "nodes": f"{build['taxonomy']}/nodes.dmp",
    }
    if build["seqid2taxid"]:
        inputs["seqid2taxid"] = build["seqid2taxid"]
    return inputs


def get_kraken2_input(wildcards):
    return {
        "r1": f"results/shotgun/microbial/{wildcards.sample}_R1.fastq.gz",
        "r2": f"results/shotgun/microbial/{wildcards.sample}_R2.fastq.gz",
        "db": kraken2_db_files(),
    }


def get_kraken2_report_input(wildcards):
    return {
        "raw": f"results/shotgun/kraken2/{wildcards.sample}.kraken2.raw_report.txt",
        "taxonomy": shotgun_taxonomy_files(),
    }


def get_bracken_input(wildcards):
    return {
        "report": f"results/shotgun/kraken2/{wildcards.sample}.kraken2.report.txt",
        "kmer_distrib": bracken_kmer_distrib(),
    }


def shotgun_host_records():
    return [
        {
            "sample_id": s,
            "patient_id": patient_of(s),
            "file": f"results/shotgun/host/{s}.host_fraction.tsv",
        }
        for s in shotgun_samples()
    ]


def get_shotgun_profile_input(wildcards):
    return {
        "bracken": [
            f"results/shotgun/bracken/{s}.bracken.tsv" for s in shotgun_samples()
        ],
        "taxonomy": shotgun_taxonomy_files(),
    }


# --- gene-level evidence (shotgun; genes.smk) ---
GENES = SHOTGUN["genes"]
GENES["proteins"] = _in_project(GENES["proteins"])
if shotgun_samples() and GENES["proteins"] and not os.path.isfile(GENES["proteins"]):
    raise WorkflowError(
        f"config shotgun.genes.proteins: {GENES['proteins']} is not a file; set it to a "
        'protein FASTA (README: "Gene-level evidence") or to "" (gene evidence is then '
        "reported as not measured)."
    )


def gene_evidence_configured():
    return bool(shotgun_samples() and GENES["proteins"])


def gene_outputs():
    if not gene_evidence_configured():
        return []
    return ["results/shotgun/genes/gene_abundance.tsv"]


def get_gene_abundance_input(wildcards):
    return {
        "reference": "results/shotgun/genes/reference.tsv",
        "hits": [f"results/shotgun/genes/{s}.diamond.tsv" for s in shotgun_samples()],
        "host_counts": [
            f"results/shotgun/host/{s}.host_fraction.tsv" for s in shotgun_samples()
        ],
    }


def shotgun_outputs():
    if not shotgun_samples():
        return []
    per_sample = [
        f"results/shotgun/{path}"
        for s in shotgun_samples()
        for path in (
            f"bracken/{s}.bracken.tsv",
            f"human/{s}.bam",
            f"human/{s}.bam.bai",
        )
    ]
    return per_sample + [
        f"results/shotgun/{name}"
        for name in (
            "host_fraction.tsv",
            "species_reads.tsv",
            "species_reads.biom",
            "species_relative.tsv",
        )
    ]


# --- cohort stage ---
def diversity_metadata(assay):
    """Sample ID -> sheet metadata (group, sex, ...) for the samples of one assay."""
    meta = [c for c in samples.columns if c not in CORE_COLUMNS]
    rows = samples[samples["assay"] == assay].drop_duplicates("sample_id")
    return {r["sample_id"]: {c: r[c] for c in meta} for _, r in rows.iterrows()}


def identity_stool():
    """Stool sample -> (sheet patient, BAM of its human reads)."""
    return {
        s: (patient_of(s), f"results/shotgun/human/{s}.bam") for s in shotgun_samples()
    }


def identity_host_vcfs():
    return {patient_of(s): f"results/host/vcf/{s}.vcf.gz" for s in host_samples()}


def identity_host_gvcfs():
    """Patient -> gVCF: which sites the host library measured (hom-ref blocks with depth)."""
    return {patient_of(s): f"results/host/gvcf/{s}.g.vcf.gz" for s in host_samples()}


def get_identity_input(wildcards):
    return {
        "bams": [v[1] for v in identity_stool().values()],
        "vcfs": list(identity_host_vcfs().values()),
        "gvcfs": list(identity_host_gvcfs().values()),
    }


def cohort_outputs():
    out = []
    if amplicon_samples():
        out.append("results/diversity/16s/summary.json")
    if shotgun_samples():
        out.append("results/diversity/shotgun/summary.json")
    if shotgun_samples() and host_samples():
        out.append("results/identity/identity.tsv")
    return out


# --- report stage ---
MICROBE_DRUG = MICROBE_DRUG_FILE


def patients():
    return sorted(samples["patient_id"].unique())


_META_COLUMNS = [c for c in samples.columns if c not in CORE_COLUMNS]
_PATIENT_META = {}
for _row in samples[["patient_id", *_META_COLUMNS]].itertuples(index=False):
    _PATIENT_META.setdefault(
        _row[0], {c: str(v) for c, v in zip(_META_COLUMNS, _row[1:])}
    )


def patient_metadata(patient):
    """Sheet metadata (group, sex, ...) of one patient: no paths."""
    return dict(_PATIENT_META[patient])


# Stool sample -> timepoint (sheet columns timepoint / collection_date), and the one sample
# per patient and assay that the reports and cohort statistics use: the latest timepoint.
_STOOL_TIMES = stool_timepoints(samples)
COHORT_SAMPLES = {
    a: sorted(m.values()) for a, m in latest_stool_samples(samples).items()
}


def patient_timepoints(patient):
    """Timepoints of one patient's stool samples (ordering several of one assay)."""
    return {
        s: dict(_STOOL_TIMES[s]) for s in _PATIENT_SAMPLES[patient] if s in _STOOL_TIMES
    }


# patient -> its sample IDs, in sheet order (looked up by every report job)
_PATIENT_SAMPLES = {}
for _s, _p in _PATIENT.items():
    _PATIENT_SAMPLES.setdefault(_p, []).append(_s)


def _patient_sample(patient, assays):
    return next((s for s in _PATIENT_SAMPLES[patient] if _ASSAY[s] in assays), None)


# Diversity tables the reports read, per assay (patient and cohort reports alike).
REPORT_DIVERSITY_FILES = {
    "16s": (
        "alpha",
        "rarefaction",
        "permanova",
        "pcoa_braycurtis",
        "pcoa_weighted_normalized_unifrac",
    ),
    "shotgun": ("alpha", "rarefaction", "permanova", "pcoa_braycurtis"),
}
ABUNDANCE_TABLES = {
    "16s": "results/16s/asv_table.tsv",
    "shotgun": "results/shotgun/species_relative.tsv",
}


def _diversity_inputs(assay):
    return [f"results/diversity/{assay}/{n}.tsv" for n in REPORT_DIVERSITY_FILES[assay]]


def report_diversity_files(input):
    """{assay: {alpha, rarefaction, permanova, pcoa_<metric>}} from the named inputs."""
    return {
        assay: dict(zip(names, input.get(f"div_{assay}")))
        for assay, names in REPORT_DIVERSITY_FILES.items()
        if input.get(f"div_{assay}")
    }


def report_tables(input):
    """{assay: abundance table} from the named inputs."""
    return {
        a: input.get(f"table_{a}") for a in ABUNDANCE_TABLES if input.get(f"table_{a}")
    }


def get_patient_report_input(wildcards):
    """Result tables one patient's report reads; absent modalities are left out."""
    p = wildcards.patient
    inputs = {
        "read_counts": "results/qc/read_counts.tsv",
        "provenance": "results/provenance/provenance.json",
        "interactions": MICROBE_DRUG,
        "pgx_drugs": f"{config['references']['pgx_catalog']}/drugs.tsv",
    }
    host = _patient_sample(p, HOST_ASSAYS)
    if host:
        inputs["pgx_json"] = f"results/host/pgx/{host}.pgx.json"
        inputs["pgx_coverage"] = f"results/host/coverage/{host}.pgx_coverage.tsv"
    for assay in ABUNDANCE_TABLES:
        if _patient_sample(p, (assay,)):
            inputs[f"table_{assay}"] = ABUNDANCE_TABLES[assay]
            inputs[f"div_{assay}"] = _diversity_inputs(assay)
    if _patient_sample(p, ("shotgun",)):
        inputs["host_fraction"] = "results/shotgun/host_fraction.tsv"
        if gene_evidence_configured():
            inputs["gene_abundance"] = "results/shotgun/genes/gene_abundance.tsv"
        if host_samples():
            inputs["identity"] = "results/identity/identity.tsv"
    if host:
        inputs["reference_check"] = "results/host/reference_check.json"
        inputs["pgx_catalog"] = PGX_CATALOG_FILES + [
            f"{config['references']['pgx_catalog']}/VERSION"
        ]
    inputs["databases"] = REPORT_DATABASES
    inputs["templates"] = report_template_files()
    return inputs


def get_cohort_report_input(wildcards):
    """Every patient report plus the cohort-level tables behind the plots."""
    inputs = {
        "patients": [f"results/reports/{p}.json" for p in patients()],
        "templates": report_template_files(),
    }
    for assay in ABUNDANCE_TABLES:
        if samples_of((assay,)):
            inputs[f"table_{assay}"] = ABUNDANCE_TABLES[assay]
            inputs[f"div_{assay}"] = _diversity_inputs(assay)
    if config["report"]["compare_with"]:
        # the run diff (export.smk) reads only the patient JSONs: no cycle
        inputs["changes"] = "results/reports/changes.tsv"
    return inputs


REPORT = config["report"]
REPORT_DATABASES = "results/provenance/databases.json"
REPORT_FORMATS = ("html", "json", "pdf") if REPORT["pdf"] else ("html", "json")


def report_template_files():
    """A site's template files (config report.template_dir): a change reruns the reports."""
    folder = REPORT.get("template_dir")
    if not folder:
        return []
    if not os.path.isdir(folder):
        raise WorkflowError(
            f"config report.template_dir: {folder} is not a folder; set it to a folder of "
            "Jinja2 templates (config/README.md, 'Report templates') or to null."
        )
    return sorted(str(p) for p in Path(folder).rglob("*") if p.is_file())


def report_document_params():
    """Header fields and date source of the reports (the date is never the clock)."""
    return {
        "site": REPORT.get("site") or {},
        "date": REPORT.get("date"),
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
    }


def get_report_databases_input(wildcards):
    """Reference databases the run classified against (their checksums go in the reports)."""
    inputs = {}
    if amplicon_samples():
        inputs["sintax_16s"] = sintax_reference_path()
        inputs.update({f"sintax_16s_{n}": path for n, path in EXTRA_16S.items()})
    if gene_evidence_configured():
        inputs["gene_proteins"] = GENES["proteins"]
    if shotgun_samples():
        inputs["kraken2_db"] = kraken2_db_files()
        inputs["kmer_distrib"] = bracken_kmer_distrib()
    return inputs


def kraken2_db_name():
    """How the reports name the Kraken 2 database (folder name, or the pipeline's build)."""
    if SHOTGUN["kraken2_db"]:
        return os.path.basename(os.path.normpath(SHOTGUN["kraken2_db"]))
    genomes = os.path.basename(os.path.normpath(SHOTGUN["build_db"]["genomes"]))
    return f"built by the pipeline from {genomes}"


def report_outputs():
    per_patient = [
        f"results/reports/{p}.{ext}" for p in patients() for ext in REPORT_FORMATS
    ]
    return per_patient + ["results/reports/cohort.html", "results/reports/cohort.json"]


def export_outputs():
    """Per-patient exports (export.smk): the HL7 FHIR R4 bundle; with report.compare_with,
    the run diff against that earlier run."""
    out = [f"results/reports/{p}.fhir.json" for p in patients()]
    return out + (
        ["results/reports/changes.tsv"] if config["report"]["compare_with"] else []
    )


if (
    config["report"]["compare_with"]
    and not Path(config["report"]["compare_with"]).is_dir()
):
    raise WorkflowError(
        f"config report.compare_with: {config['report']['compare_with']} is not a folder; set "
        "it to an earlier run's folder (or its results/reports), or to null"
    )


# --- standard data exports (standard_exports.smk, holobiont.microbiome.exports) ---
def get_export_shotgun_input(wildcards):
    return {
        "bracken": [
            f"results/shotgun/bracken/{s}.bracken.tsv" for s in shotgun_samples()
        ],
        "taxonomy": shotgun_taxonomy_files(),
    }


def multiqc_custom_sections():
    """MultiQC custom-content sections of rule multiqc_custom_content, for the assays the
    sheet has (a section without a measured sample is not written)."""
    sections = ["pgx_coverage"] if host_samples() else []
    if shotgun_samples():
        sections += (["identity"] if host_samples() else []) + ["human_fraction"]
    return sections


def multiqc_pgx_coverage_files():
    """Host sample -> its PGx coverage table (rows of the PGx coverage section)."""
    return {s: f"results/host/coverage/{s}.pgx_coverage.tsv" for s in host_samples()}


def get_multiqc_custom_input(wildcards):
    inputs = {"coverage": list(multiqc_pgx_coverage_files().values())}
    if shotgun_samples():
        inputs["host_fraction"] = "results/shotgun/host_fraction.tsv"
        if host_samples():
            inputs["identity"] = "results/identity/identity.tsv"
    return inputs


def standard_export_outputs():
    """Standard data exports (standard_exports.smk) of the assays the sheet has."""
    out = ["results/exports/16s/taxonomy_qiime2.tsv"] if amplicon_samples() else []
    out += [f"results/exports/16s/taxonomy_{name}_qiime2.tsv" for name in EXTRA_16S]
    if shotgun_samples():
        out += [
            "results/exports/shotgun/taxpasta_bracken.tsv",
            "results/exports/shotgun/metaphlan_table.tsv",
        ]
        out += [f"results/exports/shotgun/cami/{s}.profile" for s in shotgun_samples()]
        out += [
            f"results/shotgun/bracken/{s}.bracken_report.txt" for s in shotgun_samples()
        ]
    return out


# --- changed references (holobiont.pipeline.stamps): checked once, by the process that plans the run ---
# (A dry-run records the stamps too: its time is later than every output, which only makes
# the check stricter.)
if workflow.is_main_process:
    from holobiont.pipeline.stamps import stale_inputs, stale_message

    _stale = stale_inputs(
        reference_files(), Path(".snakemake/holobiont/reference_stamps.json")
    )
    if _stale:
        raise WorkflowError(stale_message(_stale))
