"""Reports: the per-patient and cohort HTML, methods, PDF, FHIR and run differences.

- :mod:`holobiont.report.patient` -- the per-patient report (HTML + JSON).
- :mod:`holobiont.report.cohort` -- the cohort report.
- :mod:`holobiont.report.templating` -- Jinja2 templates (shipped in ``templates/``, site overrides).
- :mod:`holobiont.report.methods` -- the methods and limitations section, database checksums.
- :mod:`holobiont.report.pdf` -- the PDF print of a report (headless Chromium).
- :mod:`holobiont.report.fhir` -- the HL7 FHIR R4 Genomics Reporting bundle.
- :mod:`holobiont.report.rundiff` -- what changed between two runs' conclusions.
"""
