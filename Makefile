# Holobiont: the two commands of the README are `make demo` and `make test`.
# Both install what is missing first (tools/install.sh: Debian packages + .venv), idempotently.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
CORES ?= 2
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export PYTHONPATH := $(CURDIR)/scripts
SNAKEMAKE := snakemake --cores $(CORES) --printshellcmds --show-failed-logs

.PHONY: demo test install install-test demo-data lint unit workflow-tests bench lock clean

## demo: install, generate the demo cohort, run the whole pipeline on it
demo: install demo-data
	$(SNAKEMAKE)
	@echo "Done. Reports: results/reports/ (one HTML per patient, cohort.html); QC: results/qc/multiqc/multiqc_report.html"

## test: install and run the full test suite (lint, unit, workflow) -- what CI runs
test: install-test demo-data lint
	pytest -n $(CORES) --dist loadfile --durations=40

install:
	@bash tools/install.sh

install-test:
	@bash tools/install.sh --test

demo-data: install
	python -m holobiont.demo --out resources/demo/data

lint:
	ruff check scripts tests benchmarks
	ruff format --check scripts tests benchmarks
	snakefmt --check Snakefile workflow/Snakefile workflow/rules
	SLURM_CONF=$${SLURM_CONF:-/dev/null} $(SNAKEMAKE) --lint

## bench: speed of the numpy core vs scikit-bio and Striped UniFrac (not part of the tests)
bench:
	@bash tools/install.sh --bench
	python benchmarks/bench_diversity.py

## lock: re-resolve requirements.in into requirements.lock (needs network to PyPI)
lock:
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements.in
	.lock-venv/bin/pip freeze --exclude-editable > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf results logs .snakemake benchmarks/runs
