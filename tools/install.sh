#!/usr/bin/env bash
# Install what Holobiont needs on a plain Debian 12 machine, idempotently:
#   1. the command-line tools the rules call (Debian packages), and
#   2. a project-local virtual environment (.venv) with the pinned Python packages
#      (requirements.lock).
# A second call skips what is already installed. Without root, a missing tool is named and the
# conda environments in envs/ are pointed at (the HPC path: snakemake --sdm conda).
#
# Usage: tools/install.sh [--test | --bench]   (what the tests / the benchmarks need in addition)
set -euo pipefail
cd "$(dirname "$0")/.."

WANT_TEST=0
WANT_BENCH=0
[[ "${1:-}" == "--test" ]] && WANT_TEST=1
[[ "${1:-}" == "--bench" ]] && WANT_BENCH=1

# command -> Debian package
declare -A TOOLS=(
  [fastp]=fastp [minimap2]=minimap2 [bwa]=bwa [samtools]=samtools [bcftools]=bcftools
  [tabix]=tabix [bgzip]=tabix [vsearch]=vsearch [kraken2]=kraken2 [mafft]=mafft
  [FastTree]=fasttree [pigz]=pigz [diamond]=diamond-aligner [chromium]=chromium
)
# Chromium (above) prints the PDF reports and runs the browser test; the PDF test reads them
# with poppler's pdftotext/pdfinfo; the SLURM test starts a real single-node SLURM
# (tools/slurm_local.sh).
declare -A TEST_TOOLS=(
  [pdftotext]=poppler-utils [pdfinfo]=poppler-utils [slurmctld]=slurmctld [slurmd]=slurmd [sbatch]=slurm-client [munged]=munge
)

log() { printf '[install] %s\n' "$*"; }

missing_pkgs=()
missing_cmds=()
for cmd in "${!TOOLS[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || { missing_cmds+=("$cmd"); missing_pkgs+=("${TOOLS[$cmd]}"); }
done
if (( WANT_TEST )); then
  for cmd in "${!TEST_TOOLS[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || { missing_cmds+=("$cmd"); missing_pkgs+=("${TEST_TOOLS[$cmd]}"); }
  done
fi
# Benchmarks compare with Striped UniFrac, importable from Debian's own python3, and simulate
# Illumina host reads with ART (benchmarks/host_simulated.py).
if (( WANT_BENCH )) && ! /usr/bin/python3 -c 'import unifrac, biom' >/dev/null 2>&1; then
  missing_cmds+=("python3 unifrac module"); missing_pkgs+=(python3-unifrac unifrac-tools)
fi
if (( WANT_BENCH )) && ! command -v art_illumina >/dev/null 2>&1; then
  missing_cmds+=(art_illumina); missing_pkgs+=(art-nextgen-simulation-tools)
fi
# python3 -m venv needs Debian's python3-venv when python3 is the system one.
PYTHON=${PYTHON:-}
if [[ -z "$PYTHON" ]]; then
  for p in python3.11 python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON=$(command -v "$p"); break
    fi
  done
fi
if [[ -z "$PYTHON" ]]; then
  missing_cmds+=(python3.11); missing_pkgs+=(python3)
elif ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing_cmds+=("python3 venv module"); missing_pkgs+=(python3-venv)
fi

if (( ${#missing_pkgs[@]} )); then
  pkgs=$(printf '%s\n' "${missing_pkgs[@]}" | sort -u | tr '\n' ' ')
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Debian packages: $pkgs"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
  else
    echo "Holobiont needs these tools, which are not on PATH: ${missing_cmds[*]}" >&2
    echo "  On Debian/Ubuntu, as root:  apt-get install $pkgs" >&2
    echo "  On an HPC cluster without root: run Snakemake with --sdm conda; every rule" >&2
    echo "  has a pinned conda environment in envs/ (see README, 'Running on a cluster')." >&2
    exit 1
  fi
else
  log "Debian tools present"
fi
[[ -n "$PYTHON" ]] || PYTHON=$(command -v python3)

LOCK_SUM=$(sha256sum requirements.lock | cut -d' ' -f1)
STAMP=.venv/.requirements.lock.sha256
if [[ -x .venv/bin/python && -f $STAMP && "$(cat $STAMP)" == "$LOCK_SUM" ]]; then
  log "virtual environment .venv up to date"
else
  log "creating .venv with the pinned packages of requirements.lock (a few minutes)"
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  echo "$LOCK_SUM" > "$STAMP"
fi
# pypgx is a data-only dependency: holobiont.pgx.generate reads its bundled CPIC tables
# (pypgx/api/data, MIT), found with importlib.util.find_spec without importing pypgx, so its
# heavy dependencies (fuc, scikit-learn, ...) are not installed.
if ! .venv/bin/python -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("pypgx") is None)'; then
  log "installing pypgx 0.27.0 (data only, --no-deps)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps pypgx==0.27.0
fi
# The holobiont package itself, editable (scripts/holobiont; pyproject.toml's setuptools build),
# without dependencies: the lock above already pins them. Gives the `holobiont` command and
# `import holobiont` without PYTHONPATH; the Snakemake shims work either way.
if ! env -u PYTHONPATH .venv/bin/python - "$PWD" >/dev/null 2>&1 <<'PY'
import json, sys
from importlib.metadata import distribution
url = json.loads(distribution("holobiont").read_text("direct_url.json"))
sys.exit(not (url.get("dir_info", {}).get("editable") and url["url"] == "file://" + sys.argv[1]))
PY
then
  log "installing the holobiont package (pip install --no-deps -e .)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
fi
log "ready: tools on PATH, Python packages in .venv"
