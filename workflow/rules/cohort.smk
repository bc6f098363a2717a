# Stage 4 -- cohort: diversity of each microbiome assay through the numpy core (rarefaction,
# alpha incl. Faith PD, Bray-Curtis/Jaccard/UniFrac, PCoA, PERMANOVA over sheet metadata) and
# the identity check of stool libraries against the patients' host genotypes.


rule diversity_16s:
    input:
        table="results/16s/asv_table.tsv",
        tree="results/16s/tree.nwk",
    output:
        alpha=report(
            "results/diversity/16s/alpha.tsv",
            caption="../report/diversity.rst",
            category="Microbiome",
            labels={"assay": "16s", "table": "alpha diversity"},
        ),
        rarefaction="results/diversity/16s/rarefaction.tsv",
        permanova=report(
            "results/diversity/16s/permanova.tsv",
            caption="../report/diversity.rst",
            category="Microbiome",
            labels={"assay": "16s", "table": "PERMANOVA"},
        ),
        summary="results/diversity/16s/summary.json",
        beta=expand(
            "results/diversity/16s/{kind}_{metric}.tsv",
            kind=["beta", "pcoa"],
            metric=[
                "braycurtis",
                "jaccard",
                "unweighted_unifrac",
                "weighted_normalized_unifrac",
            ],
        ),
    log:
        "logs/diversity/16s.log",
    conda:
        "../../envs/python.yaml"
    resources:
        mem_mb=lambda wc, input: 2000 + int(20 * input.size_mb),
    params:
        metadata=lambda wc: diversity_metadata("16s"),
        cohort_samples=COHORT_SAMPLES.get("16s", []),
        depth=lookup(dpath="diversity/rarefaction_depth", within=config),
        min_depth=lookup(dpath="diversity/min_depth", within=config),
        permutations=lookup(dpath="diversity/permutations", within=config),
        iterations=lookup(dpath="diversity/iterations", within=config),
        seed=lookup(dpath="seed", within=config),
    script:
        "../../scripts/diversity.py"


rule diversity_shotgun:
    input:
        table="results/shotgun/species_reads.tsv",
    output:
        alpha=report(
            "results/diversity/shotgun/alpha.tsv",
            caption="../report/diversity.rst",
            category="Microbiome",
            labels={"assay": "shotgun", "table": "alpha diversity"},
        ),
        rarefaction="results/diversity/shotgun/rarefaction.tsv",
        permanova=report(
            "results/diversity/shotgun/permanova.tsv",
            caption="../report/diversity.rst",
            category="Microbiome",
            labels={"assay": "shotgun", "table": "PERMANOVA"},
        ),
        summary="results/diversity/shotgun/summary.json",
        beta=expand(
            "results/diversity/shotgun/{kind}_{metric}.tsv",
            kind=["beta", "pcoa"],
            metric=["braycurtis", "jaccard"],
        ),
    log:
        "logs/diversity/shotgun.log",
    conda:
        "../../envs/python.yaml"
    resources:
        mem_mb=lambda wc, input: 2000 + int(20 * input.size_mb),
    params:
        metadata=lambda wc: diversity_metadata("shotgun"),
        cohort_samples=COHORT_SAMPLES.get("shotgun", []),
        depth=lookup(dpath="diversity/rarefaction_depth", within=config),
        min_depth=lookup(dpath="diversity/min_depth", within=config),
        permutations=lookup(dpath="diversity/permutations", within=config),
        iterations=lookup(dpath="diversity/iterations", within=config),
        seed=lookup(dpath="seed", within=config),
    script:
        "../../scripts/diversity.py"


rule identity_check:
    input:
        unpack(get_identity_input),
    output:
        report(
            "results/identity/identity.tsv",
            caption="../report/identity.rst",
            category="Quality control",
        ),
    log:
        "logs/identity.log",
    conda:
        "../../envs/python.yaml"
    params:
        stool=lambda wc: identity_stool(),
        host=lambda wc: identity_host_vcfs(),
        host_gvcfs=lambda wc: identity_host_gvcfs(),
        min_depth=lookup(dpath="host/gvcf_min_depth", within=config),
        min_mapq=lookup(dpath="host/min_mapq", within=config),
        min_baseq=lookup(dpath="host/min_baseq", within=config),
    script:
        "../../scripts/identity_check.py"
