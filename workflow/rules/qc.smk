# Stage 1 -- read QC: integrity check of every unit, fastp (host, shotgun), cutadapt primer
# removal (16S), merge of the units of a sample, read-count summary and a cohort MultiQC report.


onerror:
    # A job that failed for want of space often says only "write error": name it and where.
    report_disk_full()


rule check_fastq:
    input:
        unpack(get_fastq),
    output:
        "results/qc/check/{sample}/{unit}.json",
    log:
        "logs/qc/check_fastq/{sample}.{unit}.log",
    conda:
        "../../envs/python.yaml"
    params:
        primers=get_check_primers,
        stamp=get_fastq_stamp,  # content change with an older mtime reruns (common.smk)
    script:
        "../../scripts/check_fastq.py"


rule fastq_check_summary:
    # Every unit's check, one table; fails (listing them) when a unit failed its check, after
    # the other units went on (their checks pass, the failed ones carry status FAIL).
    input:
        get_fastq_check_summary_input,
    output:
        "results/qc/check/summary.tsv",
    log:
        "logs/qc/fastq_check_summary.log",
    conda:
        "../../envs/python.yaml"
    params:
        checks=lambda wc: provenance_checks(),
    script:
        "../../scripts/fastq_check_summary.py"


rule fastp:
    input:
        unpack(get_fastq),
        check=get_check,
    output:
        r1=temp("results/qc/fastp/{sample}/{sample}.{unit}_R1.fastq.gz"),
        r2=temp("results/qc/fastp/{sample}/{sample}.{unit}_R2.fastq.gz"),
        json="results/qc/fastp/{sample}/{sample}.{unit}.fastp.json",
        html="results/qc/fastp/{sample}/{sample}.{unit}.fastp.html",
        versions=f"{VERSIONS}/fastp/{{sample}}.{{unit}}.yml",
    log:
        "logs/qc/fastp/{sample}.{unit}.log",
    benchmark:
        "logs/benchmarks/fastp/{sample}.{unit}.tsv"
    conda:
        "../../envs/fastp.yaml"
    threads: threads_of("fastp")
    resources:
        mem_mb=sized(1024, 2),
        runtime=sized(10, 1 / 20),
    params:
        # host libraries: adapters only by default; shotgun: quality filter + 3' trimming;
        # adapters: detected (host), pair overlap only (shotgun) or the configured sequences
        trimming=get_fastp_trimming,
        extra=lookup(dpath="qc/fastp/extra", within=config),
        staged=staged_reads("fastp"),  # no input path in the reports (common.smk)
        stamp=get_fastq_stamp,
    shell:
        tool_versions("fastp") + "{params.staged.link}"
        " && fastp --in1 {params.staged.r1} --in2 {params.staged.r2}"
        " --out1 {output.r1} --out2 {output.r2}"
        " {params.trimming}"
        " --thread {threads} --json {output.json} --html {output.html}"
        " --report_title {wildcards.sample:q}.{wildcards.unit:q} {params.extra} > {log} 2>&1"
        " && rm -r {params.staged.dir}"


rule cutadapt_16s:
    input:
        unpack(get_fastq),
        check=get_check,
    output:
        r1=temp("results/qc/cutadapt/{sample}/{sample}.{unit}_R1.fastq.gz"),
        r2=temp("results/qc/cutadapt/{sample}/{sample}.{unit}_R2.fastq.gz"),
        json="results/qc/cutadapt/{sample}/{sample}.{unit}.cutadapt.json",
        report="results/qc/cutadapt/{sample}/{sample}.{unit}.cutadapt.log",
        versions=f"{VERSIONS}/cutadapt_16s/{{sample}}.{{unit}}.yml",
    log:
        "logs/qc/cutadapt/{sample}.{unit}.log",
    conda:
        "../../envs/cutadapt.yaml"
    threads: threads_of("cutadapt")
    resources:
        mem_mb=1024,
        runtime=sized(10, 1 / 20),
    params:
        primers=get_cutadapt_primer_args,
        error_rate=lookup(dpath="qc/cutadapt/error_rate", within=config),
        min_length=lookup(dpath="qc/cutadapt/min_length", within=config),
        extra=lookup(dpath="qc/cutadapt/extra", within=config),
        staged=staged_reads("cutadapt"),  # no input path in the reports (common.smk)
        stamp=get_fastq_stamp,
    shell:
        tool_versions("cutadapt") + "{params.staged.link}"
        " && cutadapt {params.primers} -e {params.error_rate}"
        " -m {params.min_length} --cores {threads}"
        " --json {output.json} -o {output.r1} -p {output.r2} {params.extra}"
        " {params.staged.r1} {params.staged.r2}"
        " > {output.report} 2> {log} && rm -r {params.staged.dir}"


rule merge_units:
    input:
        unpack(get_merge_units_input),
    output:
        r1="results/qc/merged/{sample}_R1.fastq.gz",
        r2="results/qc/merged/{sample}_R2.fastq.gz",
    log:
        "logs/qc/merge_units/{sample}.log",
    conda:
        "../../envs/python.yaml"
    shell:
        # Concatenated gzip members form a valid gzip file.
        "(cat {input.r1} > {output.r1} && cat {input.r2} > {output.r2}) 2> {log}"


rule qc_summary:
    input:
        get_qc_summary_input,
    output:
        report(
            "results/qc/read_counts.tsv",
            caption="../report/read_counts.rst",
            category="Quality control",
        ),
        mqc="results/qc/read_counts_mqc.tsv",
    log:
        "logs/qc/qc_summary.log",
    conda:
        "../../envs/python.yaml"
    params:
        units=qc_summary_records(),
    script:
        "../../scripts/qc_summary.py"


rule provenance:
    input:
        unpack(get_provenance_input),
    output:
        json="results/provenance/provenance.json",
        versions="results/provenance/software_mqc_versions.yml",
    log:
        "logs/provenance.log",
    conda:
        "../../envs/python.yaml"
    params:
        checks=lambda wc: provenance_checks(),
        sintax_16s=lambda wc: sintax_reference_record(),
        sintax_16s_extra=lambda wc: extra_sintax_records(),
        snakemake_version=SNAKEMAKE_VERSION,
    script:
        "../../scripts/provenance.py"


rule multiqc_version:
    # MultiQC reads the merged versions (rule provenance), so its own is asked by this job in
    # its environment rather than by rule multiqc.
    output:
        versions=f"{VERSIONS}/multiqc_version.yml",
    log:
        "logs/qc/multiqc_version.log",
    conda:
        "../../envs/multiqc.yaml"
    shell:
        tool_versions("multiqc") + "echo 'multiqc version recorded' > {log}"


rule multiqc:
    input:
        unpack(get_multiqc_input),
        config=workflow.source_path("../report/multiqc_config.yaml"),
    output:
        report(
            "results/qc/multiqc/multiqc_report.html",
            caption="../report/multiqc.rst",
            category="Quality control",
        ),
        directory("results/qc/multiqc/multiqc_report_data"),
    log:
        "logs/qc/multiqc.log",
    conda:
        "../../envs/multiqc.yaml"
    shell:
        "multiqc --force --no-ansi --config {input.config} --outdir results/qc/multiqc"
        " --filename multiqc_report.html {input.fastp} {input.cutadapt} {input.host_stats}"
        " {input.versions}"
        " {input.counts} {input.tracking_16s} {input.kraken} {input.custom} > {log} 2>&1"
