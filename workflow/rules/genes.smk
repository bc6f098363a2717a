# Stage 3b -- gene-level evidence for the microbe-drug table (shotgun libraries): the read
# pairs of the drug-metabolism genes named in resources/microbe_drug/interactions.tsv
# (gene_family), by DIAMOND blastx of the microbial reads against the protein reference of
# shotgun.genes.proteins (holobiont.microbiome.genes).


rule gene_reference:
    input:
        proteins=lambda wc: GENES["proteins"],
        interactions=MICROBE_DRUG_FILE,
    output:
        "results/shotgun/genes/reference.tsv",
    log:
        "logs/shotgun/genes/reference.log",
    conda:
        "../../envs/python.yaml"
    script:
        # header format and gene names checked before DIAMOND sees the file
        "../../scripts/gene_reference.py"


rule diamond_makedb:
    input:
        proteins=lambda wc: GENES["proteins"],
        table="results/shotgun/genes/reference.tsv",
    output:
        db="results/shotgun/genes/reference.dmnd",
        versions=f"{VERSIONS}/diamond_makedb.yml",
    log:
        "logs/shotgun/genes/makedb.log",
    conda:
        "../../envs/diamond.yaml"
    threads: threads_of("diamond")
    params:
        db=lambda wc, output: output.db.removesuffix(".dmnd"),
    shell:
        tool_versions("diamond")
        + "diamond makedb --in {input.proteins} --db {params.db} --threads {threads} > {log} 2>&1"


rule diamond_blastx:
    input:
        r1="results/shotgun/microbial/{sample}_R1.fastq.gz",
        r2="results/shotgun/microbial/{sample}_R2.fastq.gz",
        db="results/shotgun/genes/reference.dmnd",
    output:
        hits="results/shotgun/genes/{sample}.diamond.tsv",
        versions=f"{VERSIONS}/diamond_blastx/{{sample}}.yml",
    log:
        "logs/shotgun/genes/blastx/{sample}.log",
    benchmark:
        "logs/benchmarks/diamond_blastx/{sample}.tsv"
    conda:
        "../../envs/diamond.yaml"
    threads: threads_of("diamond")
    resources:
        mem_mb=sized(2000, 1, base=1000),
        runtime=sized(10, 1 / 5),
    params:
        reads=lambda wc, resources: f"{resources.tmpdir}/{wc.sample}.genes.fastq.gz",
        identity=lookup(dpath="shotgun/genes/min_identity", within=config),
        cover=lookup(dpath="shotgun/genes/min_query_cover", within=config),
        evalue=lookup(dpath="shotgun/genes/evalue", within=config),
        extra=lookup(dpath="shotgun/genes/extra", within=config),
    shell:
        # both mates in one query file (concatenated gzip members); best hit per read;
        # the hits keep their final name only once DIAMOND has finished
        # a library without microbial reads (DIAMOND refuses an empty query) gets no hits
        tool_versions("diamond") + "(cat {input.r1} {input.r2} > {params.reads}"
        ' && if [ -n "$(gzip -cd {params.reads} | head -c 1)" ]; then'
        " diamond blastx --query {params.reads} --db {input.db} --out {output.hits}.tmp"
        " --outfmt 6 qseqid sseqid pident length evalue bitscore --max-target-seqs 1"
        " --id {params.identity} --query-cover {params.cover} --evalue {params.evalue}"
        " --threads {threads} --tmpdir {resources.tmpdir} {params.extra};"
        " else : > {output.hits}.tmp; fi"
        " && mv {output.hits}.tmp {output.hits} && rm {params.reads}) > {log} 2>&1"


rule gene_abundance:
    input:
        unpack(get_gene_abundance_input),
    output:
        "results/shotgun/genes/gene_abundance.tsv",
    log:
        "logs/shotgun/genes/abundance.log",
    conda:
        "../../envs/python.yaml"
    params:
        samples=shotgun_samples(),
        min_pairs=lookup(dpath="shotgun/genes/min_pairs", within=config),
    script:
        "../../scripts/gene_abundance.py"
