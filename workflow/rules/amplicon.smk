# Stage 3 -- 16S amplicons: ASVs with vsearch (merge, expected-error filter, UNOISE3, UCHIME3),
# filtered reads mapped back per sample and a per-sample abundance floor, SINTAX taxonomy
# (demo, Greengenes 13_8 built on first use, or the user's database), MAFFT + FastTree tree
# rooted at its midpoint, and the read tracking of every library. Works on the primer-trimmed reads of the QC stage.
# A library that loses every read stays in the outputs (all-zero column, status EMPTY).


rule amplicon_merge_filter:
    # Two vsearch steps in one job (one job per sample fewer in the DAG and on the cluster);
    # each keeps its own log, with vsearch's merged / not merged and kept / discarded reports.
    input:
        r1="results/qc/merged/{sample}_R1.fastq.gz",
        r2="results/qc/merged/{sample}_R2.fastq.gz",
    output:
        merged=temp("results/16s/work/{sample}/merged.fastq"),
        merged_uniques="results/16s/work/{sample}/merged_uniques.fasta",
        filtered=temp("results/16s/work/{sample}/filtered.fasta"),
        uniques="results/16s/work/{sample}/filtered_uniques.fasta",
        versions=f"{VERSIONS}/amplicon_merge_filter/{{sample}}.yml",
    log:
        merge="logs/16s/merge_pairs/{sample}.log",
        filter="logs/16s/filter/{sample}.log",
    benchmark:
        "logs/benchmarks/amplicon_merge_filter/{sample}.tsv"
    conda:
        "../../envs/vsearch.yaml"
    threads: threads_of("vsearch")
    resources:
        mem_mb=sized(1024, 4),
        runtime=sized(10, 3 / 20),
    params:
        maxdiffs=lookup(dpath="amplicon/merge_maxdiffs", within=config),
        minovlen=lookup(dpath="amplicon/merge_minovlen", within=config),
        maxee=lookup(dpath="amplicon/max_ee", within=config),
        minlen=lookup(dpath="amplicon/min_length", within=config),
        maxns=lookup(dpath="amplicon/max_ns", within=config),
    shell:
        # Labels carry ;sample=<id>.
        tool_versions("vsearch")
        + "(vsearch --fastq_mergepairs {input.r1} --reverse {input.r2}"
        " --fastq_maxdiffs {params.maxdiffs} --fastq_minovlen {params.minovlen}"
        " --relabel {wildcards.sample}. --label_suffix ';sample={wildcards.sample}'"
        " --threads {threads} --fastqout {output.merged}"
        " && vsearch --fastx_uniques {output.merged} --sizeout --fasta_width 0"
        " --fastaout {output.merged_uniques}) > {log.merge} 2>&1"
        " && (vsearch --fastq_filter {output.merged} --fastq_maxee {params.maxee}"
        " --fastq_minlen {params.minlen} --fastq_maxns {params.maxns}"
        " --fasta_width 0 --fastaout {output.filtered}"
        " && vsearch --derep_fulllength {output.filtered} --sizeout --fasta_width 0"
        " --output {output.uniques}) > {log.filter} 2>&1"


rule amplicon_denoise:
    input:
        get_amplicon_denoise_input,
    output:
        pooled=temp("results/16s/work/pooled_uniques.fasta"),
        centroids="results/16s/work/unoise_centroids.fasta",
        nonchimeras="results/16s/work/nonchimeras.fasta",
        uchime="results/16s/work/uchime3.tsv",
        versions=f"{VERSIONS}/amplicon_denoise.yml",
    log:
        "logs/16s/denoise.log",
    benchmark:
        "logs/benchmarks/amplicon_denoise.tsv"
    conda:
        "../../envs/vsearch.yaml"
    threads: threads_of("vsearch")
    resources:
        mem_mb=lambda wc, input: max(2000, int(10 * input.size_mb)),
        runtime=lambda wc, input: max(10, int(input.size_mb)),
    params:
        minsize=lookup(dpath="amplicon/unoise_minsize", within=config),
        alpha=lookup(dpath="amplicon/unoise_alpha", within=config),
    shell:
        # Pool the samples' unique sequences (abundances add up), then denoise and remove
        # chimeras. Every sample may be empty: then the outputs are empty too.
        tool_versions("vsearch")
        + "(cat {input} | vsearch --derep_fulllength - --sizein --sizeout --relabel_md5"
        " --fasta_width 0 --output {output.pooled}"
        " && if [ -s {output.pooled} ]; then"
        " vsearch --cluster_unoise {output.pooled} --sizein --sizeout"
        " --minsize {params.minsize} --unoise_alpha {params.alpha} --threads {threads}"
        " --fasta_width 0 --centroids {output.centroids}"
        " && vsearch --uchime3_denovo {output.centroids} --sizein --sizeout --fasta_width 0"
        " --nonchimeras {output.nonchimeras} --uchimeout {output.uchime};"
        " else echo 'WARNING: no read of any sample passed the filters; no ASVs.';"
        " : > {output.centroids}; : > {output.nonchimeras}; : > {output.uchime}; fi"
        ") > {log} 2>&1"


rule amplicon_asvs:
    input:
        centroids="results/16s/work/unoise_centroids.fasta",
        nonchimeras="results/16s/work/nonchimeras.fasta",
    output:
        asvs="results/16s/asv_seqs.fasta",
        database="results/16s/work/mapping_db.fasta",
    log:
        "logs/16s/asvs.log",
    conda:
        "../../envs/python.yaml"
    script:
        "../../scripts/amplicon_asvs.py"


rule amplicon_map:
    # Only reads that passed the expected-error filter are mapped back (as DADA2 counts only
    # the filtered reads it denoises); merged_uniques.fasta stays for the read tracking.
    input:
        reads="results/16s/work/{sample}/filtered_uniques.fasta",
        database="results/16s/work/mapping_db.fasta",
    output:
        hits="results/16s/work/{sample}/hits.tsv",
        versions=f"{VERSIONS}/amplicon_map/{{sample}}.yml",
    log:
        "logs/16s/map/{sample}.log",
    benchmark:
        "logs/benchmarks/amplicon_map/{sample}.tsv"
    conda:
        "../../envs/vsearch.yaml"
    threads: threads_of("vsearch")
    resources:
        mem_mb=sized(1024, 4),
        runtime=sized(10, 1 / 2),
    params:
        identity=lookup(dpath="amplicon/map_identity", within=config),
    shell:
        # Best hit of every unique filtered read among ASVs and chimeras (exhaustive search).
        tool_versions("vsearch")
        + "(if [ -s {input.reads} ] && [ -s {input.database} ]; then"
        " vsearch --usearch_global {input.reads} --db {input.database} --id {params.identity}"
        " --strand plus --maxaccepts 0 --maxrejects 0 --maxhits 1 --threads {threads}"
        " --userout {output.hits}.unsorted --userfields query+target"
        " && LC_ALL=C sort {output.hits}.unsorted > {output.hits} && rm {output.hits}.unsorted;"  # thread order
        " else echo 'No filtered reads or no ASVs: nothing to map.'; : > {output.hits}; fi"
        ") > {log} 2>&1"


rule amplicon_greengenes_reference:
    # references.sintax_16s: greengenes_13_8. Built once into amplicon.sintax_cache
    # (not committed, ~140 MB) with a JSON record of the inputs' and output's SHA-256 and the
    # package version, checked again by rule provenance.
    output:
        fasta=SINTAX_GREENGENES,
        record=f"{SINTAX_GREENGENES}.json",
    log:
        "logs/16s/greengenes_reference.log",
    conda:
        "../../envs/greengenes.yaml"
    resources:
        mem_mb=2048,
        runtime=20,
    script:
        "../../scripts/amplicon_greengenes_reference.py"


rule amplicon_sintax:
    input:
        asvs="results/16s/asv_seqs.fasta",
        database=get_amplicon_sintax_reference,
    output:
        tsv="results/16s/work/sintax.tsv",
        versions=f"{VERSIONS}/amplicon_sintax.yml",
    log:
        "logs/16s/sintax.log",
    conda:
        "../../envs/vsearch.yaml"
    # One thread: with a fixed --randseed, SINTAX's bootstrap is then reproducible.
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(1024, int(20 * input.size_mb)),
    params:
        cutoff=lookup(dpath="amplicon/sintax_cutoff", within=config),
        seed=lambda wc: config["seed"] or 1,
    shell:
        tool_versions("vsearch")
        + "vsearch --sintax {input.asvs} --db {input.database} --sintax_cutoff {params.cutoff}"
        " --strand both --randseed {params.seed} --threads {threads}"
        " --tabbedout {output.tsv} > {log} 2>&1"


rule amplicon_sintax_extra:
    # amplicon.extra_references: the same ASVs and SINTAX settings against a further reference
    input:
        asvs="results/16s/asv_seqs.fasta",
        database=get_amplicon_sintax_extra_reference,
    output:
        tsv="results/16s/work/sintax_{reference}.tsv",
        versions=f"{VERSIONS}/amplicon_sintax_extra/{{reference}}.yml",
    log:
        "logs/16s/sintax_{reference}.log",
    benchmark:
        "logs/benchmarks/amplicon_sintax_extra/{reference}.tsv"
    wildcard_constraints:
        reference=EXTRA_16S_NAME,
    conda:
        "../../envs/vsearch.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(1024, int(20 * input.size_mb)),
    params:
        cutoff=lookup(dpath="amplicon/sintax_cutoff", within=config),
        seed=lambda wc: config["seed"] or 1,
    shell:
        tool_versions("vsearch")
        + "(if [ -s {input.asvs} ]; then vsearch --sintax {input.asvs} --db {input.database}"
        " --sintax_cutoff {params.cutoff} --strand both --randseed {params.seed}"
        " --threads {threads} --tabbedout {output.tsv};"
        " else echo 'No ASVs: nothing to classify.'; : > {output.tsv}; fi) > {log} 2>&1"


rule amplicon_taxonomy_extra:
    # the taxonomy table of a further reference (same columns as results/16s/taxonomy.tsv)
    input:
        asvs="results/16s/asv_seqs.fasta",
        sintax="results/16s/work/sintax_{reference}.tsv",
    output:
        "results/16s/taxonomy_{reference}.tsv",
    log:
        "logs/16s/taxonomy_{reference}.log",
    wildcard_constraints:
        reference=EXTRA_16S_NAME,
    conda:
        "../../envs/python.yaml"
    params:
        cutoff=lookup(dpath="amplicon/sintax_cutoff", within=config),
    script:
        "../../scripts/amplicon_taxonomy.py"


rule amplicon_align:
    input:
        "results/16s/asv_seqs.fasta",
    output:
        fasta="results/16s/work/asv_aligned.fasta",
        versions=f"{VERSIONS}/amplicon_align.yml",
    log:
        "logs/16s/mafft.log",
    conda:
        "../../envs/phylogeny.yaml"
    # One thread: MAFFT's multithreaded alignment can differ from run to run, and the tree,
    # Faith PD and UniFrac depend on it (found by the SLURM-vs-local byte comparison).
    threads: 1
    resources:
        mem_mb=lambda wc, input: max(1024, int(200 * input.size_mb)),
        runtime=lambda wc, input: max(10, int(20 * input.size_mb)),
    shell:
        tool_versions("mafft")
        + "(if [ -s {input} ]; then mafft --auto --thread 1 {input} > {output.fasta};"
        " else echo 'No ASVs: nothing to align.'; : > {output.fasta}; fi) 2> {log}"


rule amplicon_tree:
    input:
        "results/16s/work/asv_aligned.fasta",
    output:
        tree="results/16s/work/asv_unrooted.nwk",
        versions=f"{VERSIONS}/amplicon_tree.yml",
    log:
        "logs/16s/fasttree.log",
    conda:
        "../../envs/phylogeny.yaml"
    resources:
        mem_mb=lambda wc, input: max(1024, int(50 * input.size_mb)),
        runtime=lambda wc, input: max(10, int(20 * input.size_mb)),
    shell:
        # No support values: midpoint rooting re-orients branches, their labels would not follow.
        tool_versions("FastTree")
        + "(if [ -s {input} ]; then FastTree -nt -gtr -nosupport -quiet {input} > {output.tree};"
        " else echo 'No ASVs: no tree.'; : > {output.tree}; fi) 2> {log}"


rule amplicon_root_tree:
    input:
        tree="results/16s/work/asv_unrooted.nwk",
        asvs="results/16s/asv_seqs.fasta",
    output:
        "results/16s/tree.nwk",
    log:
        "logs/16s/root_tree.log",
    conda:
        "../../envs/python.yaml"
    script:
        "../../scripts/amplicon_root_tree.py"


rule amplicon_table:
    input:
        unpack(get_amplicon_table_input),
    output:
        table="results/16s/asv_table.tsv",
        biom="results/16s/asv_table.biom",
        taxonomy="results/16s/taxonomy.tsv",
        tracking="results/16s/read_tracking.tsv",
        mqc="results/16s/read_tracking_mqc.tsv",
        floor="results/16s/abundance_floor.tsv",
    log:
        "logs/16s/table.log",
    conda:
        "../../envs/python.yaml"
    params:
        samples=lambda wc: amplicon_table_records(),
        cutoff=lookup(dpath="amplicon/sintax_cutoff", within=config),
        min_reads=lookup(dpath="amplicon/abundance_floor/min_reads", within=config),
        min_fraction=lookup(
            dpath="amplicon/abundance_floor/min_fraction", within=config
        ),
    script:
        "../../scripts/amplicon_table.py"
