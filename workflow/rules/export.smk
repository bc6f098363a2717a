# Stage 6 -- exports of the patient reports for other systems: an HL7 FHIR R4 bundle per
# patient (Genomics Reporting IG; holobiont.fhir, mapping in docs/fhir.md), made from the
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
