# Stage 6 -- exports of the patient reports for other systems: an HL7 FHIR R4 bundle per
# patient (Genomics Reporting IG; holobiont.report.fhir, mapping in docs/fhir.md), made from the
# patient report JSON alone.


rule patient_fhir:
    input:
        json="results/reports/{patient}.json",
    output:
        fhir="results/reports/{patient}.fhir.json",
    log:
        "logs/reports/{patient}.fhir.log",
    wildcard_constraints:
        patient=PATIENT_REPORT_ID,
    conda:
        "../../envs/python.yaml"
    script:
        "../../scripts/patient_fhir.py"


# Optional (config report.compare_with): every patient conclusion that changed since an
# earlier run, e.g. before/after a catalog update (holobiont.report.rundiff; empty table = no change).
rule run_diff:
    input:
        reports=expand("results/reports/{patient}.json", patient=patients()),
    output:
        tsv="results/reports/changes.tsv",
    log:
        "logs/reports/changes.log",
    conda:
        "../../envs/python.yaml"
    params:
        old=lookup(dpath="report/compare_with", within=config),
        scripts=PROJECT / "scripts",
    shell:
        "PYTHONPATH={params.scripts:q} python -m holobiont.report.rundiff {params.old:q} results/reports"
        " --out {output.tsv:q} > {log:q} 2>&1"
