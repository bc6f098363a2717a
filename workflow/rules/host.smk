# Stage 2 -- host genome: alignment of the QC'd reads to GRCh38, duplicate marking, variant
# calling and normalisation, then the PGx path: coverage and calls at every catalog position, a
# PharmCAT-ready VCF and diplotypes / phenotypes / drug guidance per patient.


rule faidx_host_reference:
    input:
        HOST_FASTA,
    output:
        HOST_FAI,
    log:
        "logs/host/faidx.log",
    conda:
        "../../envs/samtools.yaml"
    shell:
        "samtools faidx {input} 2> {log}"


rule check_host_reference:
    input:
        fasta=HOST_FASTA,
        fai=HOST_FAI,
        # the build a FASTA of GRCh38 windows declares (AS:GRCh38), when it has a .dict
        dict=host_dict_input,
        catalog=PGX_CATALOG_FILES,
    output:
        "results/host/reference_check.json",
    log:
        "logs/host/check_reference.log",
    conda:
        "../../envs/python.yaml"
    params:
        catalog=lambda wc, input: os.path.dirname(input.catalog[0]),
        enabled=lookup(dpath="host/check_reference", within=config),
    script:
        "../../scripts/check_host_reference.py"


rule minimap2_index:
    input:
        HOST_FASTA,
    output:
        mmi="results/host/reference/host.mmi",
        versions=f"{VERSIONS}/minimap2_index.yml",
    log:
        "logs/host/minimap2_index.log",
    conda:
        "../../envs/align.yaml"
    threads: threads_of("build")
    resources:
        mem_mb=lambda wc, input: max(2000, int(3 * input.size_mb) + 1000),
    shell:
        tool_versions("minimap2")
        + "minimap2 -x sr -t {threads} -d {output.mmi} {input} 2> {log}"


rule bwa_index:
    input:
        HOST_FASTA,
    output:
        multiext("results/host/reference/host", ".amb", ".ann", ".bwt", ".pac", ".sa"),
        versions=f"{VERSIONS}/bwa_index.yml",
    log:
        "logs/host/bwa_index.log",
    conda:
        "../../envs/align.yaml"
    resources:
        mem_mb=lambda wc, input: max(2000, int(6 * input.size_mb)),
    params:
        prefix=lambda wc, output: os.path.splitext(output[0])[0],
    shell:
        tool_versions("bwa") + "bwa index -p {params.prefix} {input} 2> {log}"


rule align_host:
    input:
        unpack(get_align_host_input),
    output:
        bam="results/host/bam/{sample}.bam",
        bai="results/host/bam/{sample}.bam.bai",
        dup="results/host/bam/{sample}.markdup.txt",
        # samtools stats of the final BAM (MultiQC, QC table); written here rather than by a
        # job of its own: one job fewer per sample in the DAG and on the cluster
        stats="results/host/stats/{sample}.samtools_stats.txt",
        versions=f"{VERSIONS}/align_host/{{sample}}.yml",
    log:
        "logs/host/align/{sample}.log",
    benchmark:
        "logs/benchmarks/align_host/{sample}.tsv"
    conda:
        "../../envs/align.yaml"
    threads: threads_of("align")
    resources:
        # index + reads + per thread: the sort buffer and minimap2's own working memory
        mem_mb=sized(
            0, 1, fixed=host_index_files, base=4000, per_thread=SORT_MEM_MB + 256
        ),
        runtime=sized(20, 1 / 5),
    params:
        cmd=get_align_host_command,
        index=get_align_host_index,
        rg=get_read_group,
        sort_mem=SORT_MEM_MB,
    shell:
        tool_versions(HOST_ALIGNER, "samtools")
        + "({params.cmd} -t {threads} -R '{params.rg}' {params.index} {input.r1} {input.r2}"
        " | samtools fixmate --no-PG -m -u - -"
        " | samtools sort --no-PG -u -@ {threads} -m {params.sort_mem}M"
        " -T {resources.tmpdir}/{wildcards.sample}.sort -"
        " | samtools markdup --no-PG -f {output.dup} --write-index - {output.bam}##idx##{output.bai}"
        " && samtools stats --reference {input.fasta} {output.bam} > {output.stats}"
        ") 2> {log}"


checkpoint host_chunks:
    input:
        fasta=HOST_FASTA,
        fai=HOST_FAI,
        genes=f"{config['references']['pgx_catalog']}/genes.tsv",
        # nothing is planned on a reference of the wrong build
        reference_check="results/host/reference_check.json",
    output:
        "results/host/chunks/plan.tsv",
    log:
        "logs/host/chunks.log",
    conda:
        "../../envs/python.yaml"
    params:
        chunks=lookup(dpath="host/scatter/chunks", within=config),
        chunk_mb=lookup(dpath="host/scatter/chunk_mb", within=config),
    script:
        "../../scripts/host_chunks.py"


# One job per reference chunk (host_wgs, scattered) or per sample (chunk "all": panel, WES and
# unscattered WGS). One mpileup feeds two callers: the variant calls (-v) and the gVCF (every
# covered site, hom-ref sites in blocks by depth band), through a named pipe.
rule call_variants_chunk:
    input:
        unpack(get_call_variants_input),
    output:
        vcf=temp("results/host/vcf/chunks/{sample}/{chunk}.vcf.bcf"),
        gvcf=temp("results/host/vcf/chunks/{sample}/{chunk}.g.bcf"),
    log:
        "logs/host/call_variants/{sample}.{chunk}.log",
    benchmark:
        "logs/benchmarks/call_variants_chunk/{sample}.{chunk}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    resources:
        mem_mb=2000,
        runtime=get_call_variants_chunk_runtime,
    params:
        regions=get_call_variants_regions,
        write_regions=get_call_variants_write_regions,
        mapq=lookup(dpath="host/min_mapq", within=config),
        baseq=lookup(dpath="host/min_baseq", within=config),
        max_depth=lookup(dpath="host/max_depth", within=config),
        prior=lookup(dpath="host/call_prior", within=config),
        extra=lookup(dpath="host/mpileup_extra", within=config),
        filter=lookup(dpath="host/filter", within=config),
        gvcf_bands=lambda wc: f"1,{config['host']['gvcf_min_depth']}",
        upper=UPPER_ALLELES,
    shell:
        "(fifo=$(mktemp -u -p {resources.tmpdir} call_variants.XXXXXX); mkfifo $fifo;"
        " regions=$fifo.regions; trap 'rm -f $fifo $regions' EXIT; {params.write_regions}"
        " {{ bcftools call --no-version -m -g {params.gvcf_bands} -P {params.prior} -Ov < $fifo"
        " | {params.upper}"
        " | bcftools norm --no-version -f {input.fasta} --check-ref e -Ob -o {output.gvcf}; }} &"
        " gvcf_pid=$!;"
        " bcftools mpileup --no-version -f {input.fasta} {params.regions} -a FORMAT/AD,FORMAT/DP {params.extra}"
        " -q {params.mapq} -Q {params.baseq} --max-depth {params.max_depth} -Ou {input.bam}"
        " | tee $fifo"
        " | bcftools call --no-version -m -v -P {params.prior} -Ov"
        " | {params.upper}"
        # split, left-align and stop on a REF that disagrees with the FASTA (--check-ref e)
        " | bcftools norm --no-version -f {input.fasta} --check-ref e -m -any -Ou"
        " | bcftools filter --no-version -s LowQual -e '{params.filter}' -Ob -o {output.vcf};"
        " wait $gvcf_pid) 2> {log}"


# Gather: the chunks in order, sorted (left-aligned indels may move before a chunk's start).
rule call_variants:
    input:
        # named, not unpacked: while the chunk plan is still to be made (a dry-run),
        # Snakemake puts the checkpoint's output in place of this one input
        chunks=get_call_variants_gather_input,
        fasta=HOST_FASTA,
        fai=HOST_FAI,
    output:
        vcf="results/host/vcf/{sample}.vcf.gz",
        tbi="results/host/vcf/{sample}.vcf.gz.tbi",
        gvcf="results/host/gvcf/{sample}.g.vcf.gz",
        gtbi="results/host/gvcf/{sample}.g.vcf.gz.tbi",
        # bcftools stats of the VCF (MultiQC), written by the gathering job
        stats="results/host/stats/{sample}.bcftools_stats.txt",
        versions=f"{VERSIONS}/call_variants/{{sample}}.yml",
    log:
        "logs/host/call_variants/{sample}.log",
    benchmark:
        "logs/benchmarks/call_variants/{sample}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    resources:
        mem_mb=2000,
        runtime=sized(10, 1 / 20),
    params:
        vcfs=lambda wc, input: [f for f in input.chunks if f.endswith(".vcf.bcf")],
        gvcfs=lambda wc, input: [f for f in input.chunks if f.endswith(".g.bcf")],
        sort_mem="1500M",
    shell:
        tool_versions("bcftools", "tabix")
        + "(bcftools concat --no-version -Ou {params.vcfs}"
        " | bcftools sort -m {params.sort_mem} -T {resources.tmpdir}/{wildcards.sample}.vcf.sort -Oz -o {output.vcf}"
        " && tabix -p vcf {output.vcf}"
        " && bcftools concat --no-version -Ou {params.gvcfs}"
        " | bcftools sort -m {params.sort_mem} -T {resources.tmpdir}/{wildcards.sample}.gvcf.sort -Oz -o {output.gvcf}"
        " && tabix -p vcf {output.gvcf}"
        " && bcftools stats -F {input.fasta} -s - {output.vcf} > {output.stats}) 2> {log}"


# Optional cohort VCF (host.cohort_vcf): every host sample's gVCF merged, one column each.
rule host_cohort_vcf:
    input:
        gvcfs=lambda wc: [f"results/host/gvcf/{s}.g.vcf.gz" for s in host_samples()],
        fasta=HOST_FASTA,
        fai=HOST_FAI,
    output:
        vcf="results/host/cohort/host_cohort.g.vcf.gz",
        tbi="results/host/cohort/host_cohort.g.vcf.gz.tbi",
        versions=f"{VERSIONS}/host_cohort_vcf.yml",
    log:
        "logs/host/cohort_vcf.log",
    conda:
        "../../envs/bcftools.yaml"
    resources:
        mem_mb=4000,
    shell:
        tool_versions("bcftools", "tabix")
        + "(bcftools merge --no-version --gvcf {input.fasta} --force-samples"
        " -Oz -o {output.vcf}.tmp.vcf.gz {input.gvcfs}"
        " && mv {output.vcf}.tmp.vcf.gz {output.vcf} && tabix -p vcf {output.vcf}) 2> {log}"


rule pgx_positions:
    input:
        catalog=PGX_CATALOG_FILES,
    output:
        "results/host/pgx/catalog_positions.tsv",
    log:
        "logs/host/pgx_positions.log",
    conda:
        "../../envs/python.yaml"
    params:
        catalog=lambda wc, input: os.path.dirname(input.catalog[0]),
    script:
        "../../scripts/pgx_positions.py"


rule call_pgx_sites:
    input:
        bam="results/host/bam/{sample}.bam",
        bai="results/host/bam/{sample}.bam.bai",
        fasta=HOST_FASTA,
        fai=HOST_FAI,
        positions="results/host/pgx/catalog_positions.tsv",
    output:
        vcf=temp("results/host/pgx/{sample}.sites.vcf.gz"),
        versions=f"{VERSIONS}/call_pgx_sites/{{sample}}.yml",
    log:
        "logs/host/call_pgx_sites/{sample}.log",
    conda:
        "../../envs/bcftools.yaml"
    params:
        mapq=lookup(dpath="host/min_mapq", within=config),
        baseq=lookup(dpath="host/min_baseq", within=config),
        max_depth=lookup(dpath="host/max_depth", within=config),
        prior=lookup(dpath="host/call_prior", within=config),
        extra=lookup(dpath="host/mpileup_extra", within=config),
        upper=UPPER_ALLELES,
    shell:
        # All sites (no -v): reference calls are kept so that covered = 0/0.
        tool_versions("bcftools")
        + "(bcftools mpileup --no-version -f {input.fasta} -T {input.positions} -a FORMAT/AD,FORMAT/DP {params.extra}"
        " -q {params.mapq} -Q {params.baseq} --max-depth {params.max_depth} -Ou {input.bam}"
        " | bcftools call --no-version -m -P {params.prior} -Ov"
        " | {params.upper}"
        " | bcftools view --no-version -Oz -o {output.vcf}) 2> {log}"


rule phase_host:
    # Read-backed phasing (WhatsHap) of the calls at the catalog positions: heterozygous
    # variants that share reads (or read pairs) get one phase set (PS) and "|" genotypes, which
    # the PGx caller uses (PharmCAT's phase-set rule). Enabled by host.phase.
    # --no-reference: alleles are read from the alignments' CIGAR (no re-alignment against
    # the reference); WhatsHap's reference mode loads every contig through pyfaidx, which
    # had not finished chr2 after 400 s on the bgzipped, N-padded demo reference (4 s without).
    input:
        vcf="results/host/pgx/{sample}.sites.vcf.gz",
        bam="results/host/bam/{sample}.bam",
        bai="results/host/bam/{sample}.bam.bai",
    output:
        vcf=temp("results/host/pgx/{sample}.sites.phased.vcf.gz"),
        versions=f"{VERSIONS}/phase_host/{{sample}}.yml",
    log:
        "logs/host/phase_host/{sample}.log",
    conda:
        "../../envs/whatshap.yaml"
    resources:
        mem_mb=2000,
    shell:
        tool_versions("whatshap", "samtools")
        # a library without mapped reads (it goes on as empty: QC FAIL) has nothing to phase
        + 'if [ "$(samtools view -c -F 4 {input.bam})" -eq 0 ]; then'
        ' echo "{input.bam} has no mapped reads: calls kept unphased" > {log};'
        " cp {input.vcf} {output.vcf}; else"
        " whatshap phase --no-reference -o {output.vcf} {input.vcf} {input.bam} > {log} 2>&1;"
        " fi"


rule pharmcat_vcf:
    input:
        sites=get_pharmcat_vcf_sites,
        fasta=HOST_FASTA,
        fai=HOST_FAI,
        catalog=PGX_CATALOG_FILES,
    output:
        vcf="results/host/pgx/{sample}.pharmcat.vcf.gz",
        tbi="results/host/pgx/{sample}.pharmcat.vcf.gz.tbi",
    log:
        "logs/host/pharmcat_vcf/{sample}.log",
    conda:
        "../../envs/python.yaml"
    params:
        catalog=lambda wc, input: os.path.dirname(input.catalog[0]),
        patient=lambda wc: patient_of(wc.sample),
        min_depth=lookup(dpath="host/pgx_min_depth", within=config),
    script:
        "../../scripts/pharmcat_vcf.py"


rule pgx_coverage:
    input:
        bam="results/host/bam/{sample}.bam",
        bai="results/host/bam/{sample}.bam.bai",
        catalog=PGX_CATALOG_FILES,
    output:
        "results/host/coverage/{sample}.pgx_coverage.tsv",
    log:
        "logs/host/pgx_coverage/{sample}.log",
    conda:
        "../../envs/python.yaml"
    params:
        catalog=lambda wc, input: os.path.dirname(input.catalog[0]),
        min_depth=lookup(dpath="host/pgx_min_depth", within=config),
        mapq=lookup(dpath="host/min_mapq", within=config),
        baseq=lookup(dpath="host/min_baseq", within=config),
    script:
        "../../scripts/pgx_coverage.py"


rule pgx_call:
    input:
        vcf="results/host/pgx/{sample}.pharmcat.vcf.gz",
        catalog=PGX_CATALOG_FILES,
        outside=get_pgx_outside_calls,
    output:
        tsv="results/host/pgx/{sample}.pgx.tsv",
        json="results/host/pgx/{sample}.pgx.json",
    log:
        "logs/host/pgx_call/{sample}.log",
    conda:
        "../../envs/python.yaml"
    params:
        catalog=lambda wc, input: os.path.dirname(input.catalog[0]),
        patient=lambda wc: patient_of(wc.sample),
        min_called_fraction=lookup(dpath="host/pgx_min_called_fraction", within=config),
        sex=lambda wc: patient_metadata(patient_of(wc.sample)).get("sex", ""),
    script:
        "../../scripts/pgx_call.py"
