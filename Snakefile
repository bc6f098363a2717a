# Holobiont's workflow is workflow/Snakefile (where snakedeploy, the workflow catalog and
# `module` users look); this file lets `snakemake` run from the project folder. Snakemake
# ignores the default_target of an included file, so the default target is named here.
include: "workflow/Snakefile"


rule default:
    default_target: True
    input:
        rules.all.input,
