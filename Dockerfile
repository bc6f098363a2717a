FROM condaforge/miniforge3:latest
LABEL io.github.snakemake.containerized="true"
LABEL io.github.snakemake.conda_env_hash="a072a6577bf695b7eb9bdbff265eb374ebed821cf976018f821996be59e0488b"
# Conda environment:
#   source: envs/align.yaml
#   prefix: /conda-envs/2e2b4ce487a73f902a2d3176311410cf
#   # Pinned environment for the align rules (HPC users: snakemake --sdm conda).
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - bioconda::minimap2=2.24
#     - bioconda::bwa=0.7.17
#     - bioconda::samtools=1.16.1
RUN mkdir -p /conda-envs/2e2b4ce487a73f902a2d3176311410cf
COPY envs/align.yaml /conda-envs/2e2b4ce487a73f902a2d3176311410cf/environment.yaml
# Conda environment:
#   source: envs/bcftools.yaml
#   prefix: /conda-envs/a8e98c5445b1d1e97d455ef21bc1f936
#   # Pinned environment for the bcftools rules (HPC users: snakemake --sdm conda).
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - bioconda::bcftools=1.16
#     - bioconda::htslib=1.16
RUN mkdir -p /conda-envs/a8e98c5445b1d1e97d455ef21bc1f936
COPY envs/bcftools.yaml /conda-envs/a8e98c5445b1d1e97d455ef21bc1f936/environment.yaml
# Conda environment:
#   source: envs/cutadapt.yaml
#   prefix: /conda-envs/2f51459af26f298be0758c269f801224
#   # Pinned environment for the cutadapt rules (HPC users: snakemake --sdm conda).
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - bioconda::cutadapt=5.2
RUN mkdir -p /conda-envs/2f51459af26f298be0758c269f801224
COPY envs/cutadapt.yaml /conda-envs/2f51459af26f298be0758c269f801224/environment.yaml
# Conda environment:
#   source: envs/diamond.yaml
#   prefix: /conda-envs/a6298744005bc0a501ff502dcc89d98d
#   # Pinned environment for the DIAMOND rules (gene-level evidence; HPC users: snakemake --sdm conda).
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - bioconda::diamond=2.1.3
RUN mkdir -p /conda-envs/a6298744005bc0a501ff502dcc89d98d
COPY envs/diamond.yaml /conda-envs/a6298744005bc0a501ff502dcc89d98d/environment.yaml
# Conda environment:
#   source: envs/fastp.yaml
#   prefix: /conda-envs/5cc547025ed701e3e41845358316552c
#   # Pinned environment for the fastp rules (HPC users: snakemake --sdm conda).
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - bioconda::fastp=0.23.2
RUN mkdir -p /conda-envs/5cc547025ed701e3e41845358316552c
COPY envs/fastp.yaml /conda-envs/5cc547025ed701e3e41845358316552c/environment.yaml
# Conda environment:
#   source: envs/greengenes.yaml
#   prefix: /conda-envs/dd68b318a1206c9255bc93f2aeb33b98
#   # Environment of rule amplicon_greengenes_reference: Python and the qiime-default-reference
#   # package, which ships the Greengenes 13_8 97 % OTU sequences and taxonomy (version as in
#   # requirements.lock). The conversion itself needs only the standard library.
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - conda-forge::python=3.11
#     - bioconda::qiime-default-reference=0.1.3
RUN mkdir -p /conda-envs/dd68b318a1206c9255bc93f2aeb33b98
COPY envs/greengenes.yaml /conda-envs/dd68b318a1206c9255bc93f2aeb33b98/environment.yaml
# Conda environment:
#   source: envs/kraken2.yaml
#   prefix: /conda-envs/148ba44df10734bd35b067fa683470fb
#   # Pinned environment for the Kraken 2 rules (HPC users: snakemake --sdm conda). Python and
#   # numpy/scipy are here for bracken_build, whose script drives kraken2 (holobiont.bracken).
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - bioconda::kraken2=2.1.2
#     - conda-forge::python=3.11
#     - conda-forge::numpy=2.4.6
#     - conda-forge::scipy=1.17.1
RUN mkdir -p /conda-envs/148ba44df10734bd35b067fa683470fb
COPY envs/kraken2.yaml /conda-envs/148ba44df10734bd35b067fa683470fb/environment.yaml
# Conda environment:
#   source: envs/multiqc.yaml
#   prefix: /conda-envs/4926010781984cac8dc8c832cf1cf395
#   # Pinned environment for the multiqc rules (HPC users: snakemake --sdm conda).
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - bioconda::multiqc=1.35
RUN mkdir -p /conda-envs/4926010781984cac8dc8c832cf1cf395
COPY envs/multiqc.yaml /conda-envs/4926010781984cac8dc8c832cf1cf395/environment.yaml
# Conda environment:
#   source: envs/phylogeny.yaml
#   prefix: /conda-envs/3b5aa1857934da3700bf7e229967fb89
#   # Pinned environment for the ASV alignment and tree (HPC users: snakemake --sdm conda).
#   # Versions match the Debian packages the apt + venv path installs.
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - bioconda::mafft=7.505
#     - bioconda::fasttree=2.1.11
RUN mkdir -p /conda-envs/3b5aa1857934da3700bf7e229967fb89
COPY envs/phylogeny.yaml /conda-envs/3b5aa1857934da3700bf7e229967fb89/environment.yaml
# Conda environment:
#   source: envs/python.yaml
#   prefix: /conda-envs/5cd4af6a9e2d41e612ee907a142f634d
#   # Pinned environment for the Python steps (holobiont core package): every package their scripts
#   # import, through holobiont (tests/unit/test_envs.py). Versions match requirements.lock, which
#   # the apt + venv path installs.
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - conda-forge::python=3.11
#     - conda-forge::numpy=2.4.6
#     - conda-forge::scipy=1.17.1
#     - conda-forge::pandas=3.1.1
#     - conda-forge::pyyaml=6.0.3
#     - conda-forge::jsonschema=4.26.0
#     - conda-forge::biom-format=2.1.18
#     - conda-forge::h5py=3.16.0
#     - bioconda::pysam=0.24.1
#     - conda-forge::jinja2=3.1.6
#     - conda-forge::markupsafe=3.0.4
RUN mkdir -p /conda-envs/5cd4af6a9e2d41e612ee907a142f634d
COPY envs/python.yaml /conda-envs/5cd4af6a9e2d41e612ee907a142f634d/environment.yaml
# Conda environment:
#   source: envs/samtools.yaml
#   prefix: /conda-envs/4756396cc11c629761ab23adee2e8314
#   # Pinned environment for the samtools rules (HPC users: snakemake --sdm conda).
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - bioconda::samtools=1.16.1
RUN mkdir -p /conda-envs/4756396cc11c629761ab23adee2e8314
COPY envs/samtools.yaml /conda-envs/4756396cc11c629761ab23adee2e8314/environment.yaml
# Conda environment:
#   source: envs/vsearch.yaml
#   prefix: /conda-envs/4664577bf661ddc04974ea7f39d300c5
#   # Pinned environment for the vsearch rules of the 16S stage (HPC users: snakemake --sdm conda).
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - bioconda::vsearch=2.22.1
RUN mkdir -p /conda-envs/4664577bf661ddc04974ea7f39d300c5
COPY envs/vsearch.yaml /conda-envs/4664577bf661ddc04974ea7f39d300c5/environment.yaml
# Conda environment:
#   source: envs/whatshap.yaml
#   prefix: /conda-envs/1c11f663541f7ed1e7a96772b32dd21f
#   # Read-backed phasing of the host PGx calls (rule phase_host; samtools counts the mapped reads
#   # first). Versions match requirements.lock and envs/samtools.yaml.
#   channels:
#     - conda-forge
#     - bioconda
#     - nodefaults
#   dependencies:
#     - conda-forge::python=3.11
#     - bioconda::whatshap=2.8
#     - bioconda::pysam=0.24.1
#     - bioconda::samtools=1.16.1
RUN mkdir -p /conda-envs/1c11f663541f7ed1e7a96772b32dd21f
COPY envs/whatshap.yaml /conda-envs/1c11f663541f7ed1e7a96772b32dd21f/environment.yaml

RUN conda env create --prefix /conda-envs/2e2b4ce487a73f902a2d3176311410cf --file /conda-envs/2e2b4ce487a73f902a2d3176311410cf/environment.yaml && \
    conda env create --prefix /conda-envs/a8e98c5445b1d1e97d455ef21bc1f936 --file /conda-envs/a8e98c5445b1d1e97d455ef21bc1f936/environment.yaml && \
    conda env create --prefix /conda-envs/2f51459af26f298be0758c269f801224 --file /conda-envs/2f51459af26f298be0758c269f801224/environment.yaml && \
    conda env create --prefix /conda-envs/a6298744005bc0a501ff502dcc89d98d --file /conda-envs/a6298744005bc0a501ff502dcc89d98d/environment.yaml && \
    conda env create --prefix /conda-envs/5cc547025ed701e3e41845358316552c --file /conda-envs/5cc547025ed701e3e41845358316552c/environment.yaml && \
    conda env create --prefix /conda-envs/dd68b318a1206c9255bc93f2aeb33b98 --file /conda-envs/dd68b318a1206c9255bc93f2aeb33b98/environment.yaml && \
    conda env create --prefix /conda-envs/148ba44df10734bd35b067fa683470fb --file /conda-envs/148ba44df10734bd35b067fa683470fb/environment.yaml && \
    conda env create --prefix /conda-envs/4926010781984cac8dc8c832cf1cf395 --file /conda-envs/4926010781984cac8dc8c832cf1cf395/environment.yaml && \
    conda env create --prefix /conda-envs/3b5aa1857934da3700bf7e229967fb89 --file /conda-envs/3b5aa1857934da3700bf7e229967fb89/environment.yaml && \
    conda env create --prefix /conda-envs/5cd4af6a9e2d41e612ee907a142f634d --file /conda-envs/5cd4af6a9e2d41e612ee907a142f634d/environment.yaml && \
    conda env create --prefix /conda-envs/4756396cc11c629761ab23adee2e8314 --file /conda-envs/4756396cc11c629761ab23adee2e8314/environment.yaml && \
    conda env create --prefix /conda-envs/4664577bf661ddc04974ea7f39d300c5 --file /conda-envs/4664577bf661ddc04974ea7f39d300c5/environment.yaml && \
    conda env create --prefix /conda-envs/1c11f663541f7ed1e7a96772b32dd21f --file /conda-envs/1c11f663541f7ed1e7a96772b32dd21f/environment.yaml && \
    conda clean --all -y
