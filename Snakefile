# Holobiont: a patient's genome and gut microbiome, side by side.
# Entry point only: configuration, validation, includes and the default target.
# Every helper lives in workflow/rules/common.smk; every stage in its own .smk file.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/host.smk"
include: "workflow/rules/shotgun.smk"
include: "workflow/rules/amplicon.smk"
include: "workflow/rules/cohort.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
