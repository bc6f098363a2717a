"""Snakemake shim: SINTAX database of Greengenes 13_8 97 % OTUs (holobiont.microbiome.sintax_ref)."""

import importlib.metadata
import sys

import qiime_default_reference as qdr

from holobiont.microbiome.sintax_ref import build_greengenes_13_8

# Line-buffered and never closed here, so that a traceback still reaches the log.
log = sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115
build_greengenes_13_8(
    qdr.get_reference_sequences(),
    qdr.get_reference_taxonomy(),
    importlib.metadata.version("qiime-default-reference"),
    snakemake.output.fasta,
    snakemake.output.record,
    log=log,
)
