# Stage 3 -- shotgun metagenomes: removal of the patient's reads by alignment to the host
# reference (kept as a BAM for the identity check), Kraken 2 classification against a prebuilt
# or pipeline-built database, Bracken-style re-estimation of the species reads
# (holobiont.microbiome.bracken) and the cohort species tables.


rule shotgun_host_align:
    input:
        r1="results/qc/merged/{sample}_R1.fastq.gz",
        r2="results/qc/merged/{sample}_R2.fastq.gz",
        index="results/host/reference/host.mmi",
        # the build check of the host reference (GRCh38 lengths / declared subset), as for
        # the host assays: human reads are kept for the identity check against host VCFs
        reference_check="results/host/reference_check.json",
    output:
        # name-grouped (minimap2 order): mates stay adjacent for samtools fastq
        bam=temp("results/shotgun/host/{sample}.namegrouped.bam"),
        versions=f"{VERSIONS}/shotgun_host_align/{{sample}}.yml",
    log:
        "logs/shotgun/host_align/{sample}.log",
    benchmark:
        "logs/benchmarks/shotgun_host_align/{sample}.tsv"
    conda:
        "../../envs/align.yaml"
    threads: threads_of("align")
    resources:
        mem_mb=sized(0, 1, fixed=lambda: [MINIMAP2_INDEX], base=4000, per_thread=256),
        runtime=sized(20, 1 / 5),
    params:
        # as the host BAMs: SM = pseudonymous patient ID, for the identity check
        rg=get_read_group,
    shell:
        tool_versions("minimap2", "samtools")
        + "(minimap2 -ax sr -t {threads} -R '{params.rg}' {input.index} {input.r1} {input.r2}"
        " | samtools view --no-PG -u -o {output.bam} -) 2> {log}"


rule shotgun_split_host:
    input:
        "results/shotgun/host/{sample}.namegrouped.bam",
    output:
        r1="results/shotgun/microbial/{sample}_R1.fastq.gz",
        r2="results/shotgun/microbial/{sample}_R2.fastq.gz",
        bam="results/shotgun/human/{sample}.bam",
        bai="results/shotgun/human/{sample}.bam.bai",
        counts="results/shotgun/host/{sample}.host_fraction.tsv",
        versions=f"{VERSIONS}/shotgun_split_host/{{sample}}.yml",
    log:
        "logs/shotgun/split_host/{sample}.log",
    conda:
        "../../envs/align.yaml"
    threads: threads_of("sort")
    resources:
        mem_mb=sized(2000, base=1000, per_thread=SORT_MEM_MB),
        runtime=sized(10, 1 / 20),
    params:
        sort_mem=SORT_MEM_MB,
    shell:
        # microbial: both mates unmapped (-f 12); human: at least one mate mapped (-G 12),
        # primary records only (-F 2304: no secondary, no supplementary)
        tool_versions("samtools")
        + "(samtools fastq -f 12 -F 2304 -n -1 {output.r1} -2 {output.r2} -0 /dev/null"
        " -s /dev/null {input}"
        " && samtools view --no-PG -u -G 12 -F 2304 {input}"
        " | samtools sort --no-PG -@ {threads} -m {params.sort_mem}M"
        " -T {resources.tmpdir}/{wildcards.sample}.human"
        " --write-index -o {output.bam}##idx##{output.bai} -"
        " && pairs=$(samtools view -c -f 64 -F 2304 {input})"
        " && microbial=$(samtools view -c -f 76 -F 2304 {input})"
        " && awk -v s={wildcards.sample:q} -v n=$pairs -v m=$microbial 'BEGIN {{"
        ' printf "sample_id\\tread_pairs\\thuman_pairs\\tmicrobial_pairs\\thuman_fraction\\n";'
        ' printf "%s\\t%d\\t%d\\t%d\\t%.6f\\n", s, n, n - m, m, (n > 0 ? (n - m) / n : 0) }}\''
        " > {output.counts}) 2> {log}"


rule shotgun_host_summary:
    input:
        [r["file"] for r in shotgun_host_records()],
    output:
        "results/shotgun/host_fraction.tsv",
    log:
        "logs/shotgun/host_summary.log",
    conda:
        "../../envs/python.yaml"
    params:
        records=shotgun_host_records(),
    script:
        "../../scripts/shotgun_host_summary.py"


rule kraken2_library:
    input:
        unpack(get_shotgun_library_input),
    output:
        fasta="results/shotgun/reference/library.fna",
        seqid2taxid="results/shotgun/reference/seqid2taxid.map",
    log:
        "logs/shotgun/kraken2_library.log",
    conda:
        "../../envs/python.yaml"
    script:
        "../../scripts/kraken2_library.py"


rule kraken2_build_db:
    input:
        library="results/shotgun/reference/library.fna",
        names=f"{SHOTGUN['build_db']['taxonomy']}/names.dmp",
        nodes=f"{SHOTGUN['build_db']['taxonomy']}/nodes.dmp",
    output:
        hash=f"{KRAKEN2_DB_BUILT}/hash.k2d",
        opts=f"{KRAKEN2_DB_BUILT}/opts.k2d",
        taxo=f"{KRAKEN2_DB_BUILT}/taxo.k2d",
        seqid2taxid=f"{KRAKEN2_DB_BUILT}/seqid2taxid.map",
        versions=f"{VERSIONS}/kraken2_build_db.yml",
    log:
        "logs/shotgun/kraken2_build_db.log",
    benchmark:
        "logs/benchmarks/kraken2_build_db.tsv"
    conda:
        "../../envs/kraken2.yaml"
    # the job reserves the thread count the build uses (shotgun.build_db.threads, capped by
    # --cores locally); not in the profiles' set-threads, which would reserve other counts
    threads: lookup(dpath="shotgun/build_db/threads", within=config)
    resources:
        mem_mb=lambda wc, input: max(2000, int(6 * input.size_mb) + 1000),
        runtime=lambda wc, input: max(20, int(input.size_mb)),
    params:
        db=lambda wc, output: os.path.dirname(output.hash),
        masking=(
            ""
            if lookup(dpath="shotgun/build_db/mask_low_complexity", within=config)
            else "--no-masking"
        ),
        extra=lookup(dpath="shotgun/build_db/extra", within=config),
        build_threads=lookup(dpath="shotgun/build_db/threads", within=config),
    shell:
        # the library is added as one taxid-tagged FASTA (kraken2_library), then built; the
        # copy kraken2-build makes of it is removed afterwards (library.fna stays). The build
        # runs with the configured thread count, not {threads}: hash.k2d's bytes depend on it.
        # OMP_NUM_THREADS lets build_db start that many threads where the job sees fewer CPUs
        # (it refuses more threads than OpenMP offers).
        tool_versions("kraken2-build")
        + "(rm -rf {params.db}/library {params.db}/taxonomy"
        " && mkdir -p {params.db}/taxonomy && cp {input.names} {input.nodes} {params.db}/taxonomy/"
        " && kraken2-build --db {params.db} --add-to-library {input.library} {params.masking}"
        " && OMP_NUM_THREADS={params.build_threads} kraken2-build --db {params.db} --build"
        " --threads {params.build_threads} {params.extra}"
        " && rm -rf {params.db}/library) > {log} 2>&1"


rule bracken_build:
    input:
        db=rules.kraken2_build_db.output,
        library="results/shotgun/reference/library.fna",
    output:
        KMER_DISTRIB_BUILT,
    log:
        "logs/shotgun/bracken_build.log",
    benchmark:
        "logs/benchmarks/bracken_build.tsv"
    conda:
        "../../envs/kraken2.yaml"
    threads: threads_of("build")
    resources:
        mem_mb=lambda wc, input: max(2000, int(1.5 * input.size_mb) + 1000),
        runtime=lambda wc, input: max(
            20,
            int(input.size_mb / lookup(dpath="shotgun/bracken/step", within=config)),
        ),
    params:
        db=lambda wc, input: os.path.dirname(input.db[0]),
        read_length=lookup(dpath="shotgun/bracken/read_length", within=config),
        step=lookup(dpath="shotgun/bracken/step", within=config),
        confidence=lookup(dpath="shotgun/kraken2/confidence", within=config),
    script:
        "../../scripts/bracken_build.py"


rule kraken2:
    input:
        unpack(get_kraken2_input),
    output:
        report=temp("results/shotgun/kraken2/{sample}.kraken2.raw_report.txt"),
        reads=temp("results/shotgun/kraken2/{sample}.kraken2.out"),
        versions=f"{VERSIONS}/kraken2/{{sample}}.yml",
    log:
        "logs/shotgun/kraken2/{sample}.log",
    benchmark:
        "logs/benchmarks/kraken2/{sample}.tsv"
    conda:
        "../../envs/kraken2.yaml"
    threads: threads_of("kraken2")
    resources:
        # the whole hash table is loaded: memory follows the database size
        mem_mb=sized(1000, 1.2, fixed=kraken2_db_files, fixed_factor=1.2, base=500),
        runtime=sized(10, 1 / 50, fixed=kraken2_db_files, fixed_factor=1 / 50),
    params:
        db=lambda wc, input: os.path.dirname(input.db[0]),
        confidence=lookup(dpath="shotgun/kraken2/confidence", within=config),
        extra=lookup(dpath="shotgun/kraken2/extra", within=config),
    shell:
        # kraken2 writes neither file for a sample without reads: touch keeps the DAG whole
        tool_versions("kraken2")
        + "(kraken2 --db {params.db} --threads {threads} --paired --gzip-compressed"
        " --confidence {params.confidence} --report {output.report} --output {output.reads}"
        " {params.extra} {input.r1} {input.r2}"
        " && touch {output.report} {output.reads}) > {log} 2>&1"


rule kraken2_report:
    input:
        unpack(get_kraken2_report_input),
    output:
        "results/shotgun/kraken2/{sample}.kraken2.report.txt",
    log:
        "logs/shotgun/kraken2_report/{sample}.log",
    conda:
        "../../envs/python.yaml"
    script:
        # Kraken 2.1.2-2.1.3 leave some rank codes empty (root, domains: kraken2 issues 759,
        # 796), which breaks Bracken and MultiQC: rewrite them from the database's taxonomy
        "../../scripts/kraken2_report.py"


rule bracken:
    input:
        unpack(get_bracken_input),
    output:
        table="results/shotgun/bracken/{sample}.bracken.tsv",
        # the Bracken-corrected Kraken report (bracken -w; holobiont.microbiome.exports)
        report="results/shotgun/bracken/{sample}.bracken_report.txt",
    log:
        "logs/shotgun/bracken/{sample}.log",
    conda:
        "../../envs/python.yaml"
    params:
        level=lookup(dpath="shotgun/bracken/level", within=config),
        threshold=lookup(dpath="shotgun/bracken/threshold", within=config),
    script:
        "../../scripts/bracken_estimate.py"


rule shotgun_profile:
    input:
        unpack(get_shotgun_profile_input),
    output:
        reads=report(
            "results/shotgun/species_reads.tsv",
            caption="../report/shotgun_species.rst",
            category="Shotgun metagenomes",
        ),
        biom="results/shotgun/species_reads.biom",
        relative="results/shotgun/species_relative.tsv",
    log:
        "logs/shotgun/profile.log",
    conda:
        "../../envs/python.yaml"
    params:
        samples=shotgun_samples(),
    script:
        "../../scripts/shotgun_profile.py"
