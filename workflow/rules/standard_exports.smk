# Stage 7 -- standard data exports: the results in formats other tools load (holobiont.microbiome.exports),
# written from the stage outputs: QIIME 2 taxonomy (16S), taxpasta, CAMI and MetaPhlAn-style
# profiles (shotgun), and MultiQC custom content (PGx coverage, identity verdicts, human
# fraction, species) that rule multiqc picks up. The Bracken-corrected Kraken report is
# written by rule bracken itself (shotgun.smk), as `bracken -w` does.


rule export_qiime2_taxonomy:
    input:
        "results/16s/taxonomy.tsv",
    output:
        "results/exports/16s/taxonomy_qiime2.tsv",
    log:
        "logs/exports/qiime2_taxonomy.log",
    conda:
        "../../envs/python.yaml"
    script:
        "../../scripts/export_qiime2_taxonomy.py"


rule export_qiime2_taxonomy_extra:
    # the classification against each of amplicon.extra_references
    input:
        "results/16s/taxonomy_{reference}.tsv",
    output:
        "results/exports/16s/taxonomy_{reference}_qiime2.tsv",
    log:
        "logs/exports/qiime2_taxonomy_{reference}.log",
    wildcard_constraints:
        reference=EXTRA_16S_NAME,
    conda:
        "../../envs/python.yaml"
    script:
        "../../scripts/export_qiime2_taxonomy.py"


rule export_shotgun_profiles:
    input:
        unpack(get_export_shotgun_input),
    output:
        taxpasta="results/exports/shotgun/taxpasta_bracken.tsv",
        mpa="results/exports/shotgun/metaphlan_table.tsv",
        cami=[f"results/exports/shotgun/cami/{s}.profile" for s in shotgun_samples()],
        mqc="results/qc/mqc/species_mqc.tsv",
    log:
        "logs/exports/shotgun_profiles.log",
    conda:
        "../../envs/python.yaml"
    params:
        samples=shotgun_samples(),
    script:
        "../../scripts/export_shotgun_profiles.py"


rule multiqc_custom_content:
    input:
        unpack(get_multiqc_custom_input),
    output:
        [f"results/qc/mqc/{name}_mqc.tsv" for name in multiqc_custom_sections()],
    log:
        "logs/exports/multiqc_custom_content.log",
    conda:
        "../../envs/python.yaml"
    params:
        host=lambda wc: multiqc_pgx_coverage_files(),
        sections=multiqc_custom_sections(),
    script:
        "../../scripts/multiqc_custom_content.py"
