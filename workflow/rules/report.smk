# Stage 5 -- reports: one offline HTML + JSON (+ PDF, config report.pdf) per patient (host PGx,
# microbiome, microbe-drug interactions, QC, identity, methods and limitations, provenance),
# built by holobiont.report.patient from the result tables and rendered from Jinja2 templates
# (holobiont/report/templates, or a site's report.template_dir).


ruleorder: cohort_report > patient_report  # results/reports/cohort.* is not a patient


rule patient_report:
    input:
        unpack(get_patient_report_input),
    output:
        html=report(
            "results/reports/{patient}.html",
            caption="../report/patient_report.rst",
            category="Reports",
            labels={"report": "patient {patient}"},
        ),
        json="results/reports/{patient}.json",
    log:
        "logs/reports/{patient}.log",
    wildcard_constraints:
        patient=PATIENT_REPORT_ID,
    conda:
        "../../envs/python.yaml"
    params:
        diversity=lambda wc, input: report_diversity_files(input),
        tables=lambda wc, input: report_tables(input),
        metadata=lambda wc: patient_metadata(wc.patient),
        timepoints=lambda wc: patient_timepoints(wc.patient),
        cohort_samples=COHORT_SAMPLES,
        min_abundance=lookup(dpath="report/min_abundance", within=config),
        genes_configured=bool(GENES["proteins"]),
        document=report_document_params(),
        template_dir=lookup(dpath="report/template_dir", within=config, default=None),
    script:
        "../../scripts/patient_report.py"


rule patient_report_pdf:
    input:
        json="results/reports/{patient}.json",
        templates=report_template_files(),
    output:
        "results/reports/{patient}.pdf",
    log:
        "logs/reports/{patient}.pdf.log",
    wildcard_constraints:
        patient=PATIENT_REPORT_ID,
    conda:
        "../../envs/python.yaml"
    params:
        template_dir=lookup(dpath="report/template_dir", within=config, default=None),
    script:
        "../../scripts/patient_report_pdf.py"


rule report_databases:
    input:
        unpack(get_report_databases_input),
    output:
        REPORT_DATABASES,
    log:
        "logs/reports/databases.log",
    conda:
        "../../envs/python.yaml"
    params:
        kraken2_name=kraken2_db_name(),
        extra_16s=EXTRA_16S,
    script:
        "../../scripts/report_databases.py"


rule cohort_report:
    input:
        unpack(get_cohort_report_input),
    output:
        html=report(
            "results/reports/cohort.html",
            caption="../report/cohort_report.rst",
            category="Reports",
            labels={"report": "cohort"},
        ),
        json="results/reports/cohort.json",
    log:
        "logs/reports/cohort.log",
    conda:
        "../../envs/python.yaml"
    params:
        diversity=lambda wc, input: report_diversity_files(input),
        tables=lambda wc, input: report_tables(input),
        group_by=lookup(dpath="report/group_by", within=config, default=None),
        compare_with=lookup(dpath="report/compare_with", within=config, default=None),
        document=report_document_params(),
        template_dir=lookup(dpath="report/template_dir", within=config, default=None),
    script:
        "../../scripts/cohort_report.py"
