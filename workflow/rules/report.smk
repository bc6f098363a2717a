# Stage 5 -- reports: one offline HTML + JSON per patient (host PGx, microbiome, microbe-drug
# interactions, QC, identity, provenance), built by holobiont.report from the result tables.


rule patient_report:
    input:
        unpack(get_patient_report_input),
    output:
        html="results/reports/{patient}.html",
        json="results/reports/{patient}.json",
    log:
        "logs/reports/{patient}.log",
    conda:
        "../../envs/python.yaml"
    params:
        diversity=lambda wc, input: report_diversity_files(input),
        metadata=lambda wc: patient_metadata(wc.patient),
        min_abundance=0.001,
    script:
        "../../scripts/patient_report.py"
