"""Orchestration of the demo cohort: inputs -> every output file, deterministically.

:func:`generate` is what ``python -m holobiont.demo`` runs. Every random step draws from its own
stream, seeded from the global seed and a label (e.g. ``"host:P02-host:L002"``), so libraries can
be simulated in parallel worker processes in any order and the bytes stay the same.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import DEMO_VERSION
from . import amplicon as amp
from . import host as hst
from . import reads as rd
from . import shotgun as sg
from .files import MANIFEST_NAME, manifest_text, read_manifest, verify_manifest, write_text
from .pgx_sites import PANEL_GENES, load_alleles, load_genes, load_sites, resources_dir

PROJECT_ROOT = Path(__file__).resolve().parents[3]
#: Committed checksums of the default output (``resources/demo/MANIFEST.sha256``).
COMMITTED_MANIFEST = resources_dir() / MANIFEST_NAME
MARKER = ".holobiont-demo"
#: What the generator owns inside the output directory (listed in the manifest).
OUTPUT_DIRS = ("reads", "reference", "truth", "outside_calls")
OUTPUT_FILES = ("samples.tsv", "demo_info.json")
#: PharmCAT outside calls "from another assay" (genes not called from a VCF: CYP2D6, HLA-B),
#: written to outside_calls/<patient>.tsv and named in the sheet's pgx_outside_calls column.
OUTSIDE_CALLS = {
    "P01": "# demo: CYP2D6 and HLA-B from a genotyping array\nCYP2D6\t*1/*4\nHLA-B\t\t*57:01 negative\n",
    "P05": "# demo: CYP2D6 from a genotyping array\nCYP2D6\t*4/*4\n",
}
PATIENT_LIBS = ("host", "16s", "shotgun")
#: Follow-up patients: 16S stool samples at several timepoints (days), each with the planted
#: share of one drug-relevant taxon; the rest of the community is the patient's own
#: (Dirichlet around its group), scaled to fill the remainder. P09 starts levodopa-relevant
#: Enterococcus faecalis (tyrosine decarboxylase) low and ends with a fifth of the community.
TIMECOURSE = {
    "P09": {"taxon": "Enterococcus faecalis", "timepoints": (0, 28, 56), "share": (0.02, 0.08, 0.2)}
}
SAMPLE_SUFFIX = {"16s": "16S", "shotgun": "stool-sg"}


@dataclass(frozen=True)
class Params:
    """Size and randomness parameters. The committed manifest is for the defaults.

    Attributes
    ----------
    seed : int
        Global seed.
    scale : float
        Multiplies every read count (host coverage, 16S and shotgun pairs); for fast tests.
    host_coverage : float
        Diploid fold coverage of the host sequence windows (per sample; split across units).
    pairs_16s, pairs_shotgun : int
        Read pairs per 16S / shotgun library.
    human_fraction : tuple of float
        Range of the per-sample human read fraction in shotgun libraries (uniform).
    chimera_fraction : float
        Fraction of 16S pairs that are two-parent PCR chimeras.
    private_snps : int
        Size of the cohort's private SNP pool (about 45 % of it is non-reference per patient).
    concentration : float
        Dirichlet concentration of the per-patient community around its group mean.
    path_prefix : str or None
        Directory written into ``samples.tsv`` before ``reads/``; default: the output directory
        relative to the project root (absolute when outside the project).
    """

    seed: int = 20250917
    scale: float = 1.0
    host_coverage: float = 30.0
    pairs_16s: int = 6000
    pairs_shotgun: int = 25000
    human_fraction: tuple[float, float] = (0.02, 0.05)
    chimera_fraction: float = 0.01
    private_snps: int = 330
    concentration: float = 150.0
    path_prefix: str | None = None

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["human_fraction"] = list(self.human_fraction)
        return d


def rng_for(seed: int, label: str) -> np.random.Generator:
    """Independent random stream for ``label``."""
    key = int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence([seed, key]))


# --------------------------------------------------------------------------------------------
# committed inputs


@dataclass(frozen=True)
class Patient:
    patient_id: str
    group: str
    sex: str
    host_assay: str
    host_units: tuple[str, ...]
    libraries: tuple[str, ...]
    diplotypes: dict


@dataclass(frozen=True)
class Member:
    taxon: str
    otu: str
    shotgun_taxid: int | None
    weight: dict
    present_in: str
    drug_note: str

    def present(self, patient: str) -> bool:
        return self.present_in == "all" or patient in self.present_in.split(",")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader((x for x in fh if not x.startswith("#")), delimiter="\t"))


def load_cohort(resources: Path) -> list[Patient]:
    """Read ``cohort.tsv``."""
    return [
        Patient(
            r["patient_id"],
            r["group"],
            r["sex"],
            r["host_assay"],
            tuple(r["host_units"].split(",")),
            tuple(r["libraries"].split(",")),
            {g: r[g] for g in PANEL_GENES},
        )
        for r in _rows(resources / "cohort.tsv")
    ]


@dataclass(frozen=True)
class Plant:
    """A diplotype planted from the PGx catalog (``pgx_plants.tsv``)."""

    patient_id: str
    gene: str
    allele1: str
    allele2: str
    undocumented: str
    expected_call: str
    note: str


def load_plants(resources: Path, cohort: list[Patient]) -> list[Plant]:
    """Read ``pgx_plants.tsv`` and complete it: every patient without a row for a listed gene
    outside pypgx's panel carries that gene's reference allele on both haplotypes (hemizygous
    in a male for chrX); panel genes come from ``cohort.tsv`` unless planted here.
    """
    path = resources / "pgx_plants.tsv"
    if not path.is_file():
        return []
    from holobiont.pgx import load_catalog

    catalog = load_catalog()
    given = [
        Plant(
            r["patient_id"],
            r["gene"],
            r["allele1"],
            r["allele2"],
            r["undocumented"],
            r["expected_call"],
            r["note"],
        )
        for r in _rows(path)
    ]
    sex = {pt.patient_id: pt.sex for pt in cohort}
    genes = list(dict.fromkeys(p.gene for p in given))
    have = {(p.patient_id, p.gene) for p in given}
    if len(have) != len(given):
        raise ValueError(f"{path}: a (patient_id, gene) pair is listed twice")
    out = list(given)
    for gene in genes:
        if gene in PANEL_GENES:  # the others come from cohort.tsv ("-" where planted here)
            continue
        ref = catalog.genes[gene].reference.name
        for pt in cohort:
            if (pt.patient_id, gene) in have:
                continue
            male_x = catalog.genes[gene].sex_chromosome and pt.sex == "M"
            out.append(
                Plant(pt.patient_id, gene, ref, ref, "", ref if male_x else f"{ref}/{ref}", "")
            )
    for p in out:
        if p.patient_id not in sex:
            raise ValueError(f"{path}: patient {p.patient_id} is not in cohort.tsv")
        male_x = catalog.genes[p.gene].sex_chromosome and sex[p.patient_id] == "M"
        if male_x and p.allele1 != p.allele2:
            raise ValueError(
                f"{path}: {p.patient_id} is male; {p.gene} (chrX) needs the same allele "
                "on both haplotypes (hemizygous)"
            )
    order = {pt.patient_id: i for i, pt in enumerate(cohort)}
    out.sort(key=lambda p: (order[p.patient_id], genes.index(p.gene)))
    return out


def load_community(resources: Path) -> list[Member]:
    """Read ``community.tsv``."""
    return [
        Member(
            r["taxon"],
            r["gg_otu_id"],
            int(r["shotgun_taxid"]) if r["shotgun_taxid"] else None,
            {"A": float(r["weight_A"]), "B": float(r["weight_B"])},
            r["present_in"],
            r["drug_note"],
        )
        for r in _rows(resources / "community.tsv")
    ]


def sample_id(patient: str, lib: str, day: int | None = None) -> str:
    """``P01-host``, ``P01-16S``, ``P01-stool-sg``; a follow-up timepoint: ``P09-16S-d28``."""
    base = f"{patient}-{SAMPLE_SUFFIX.get(lib, lib)}"
    return base if day is None else f"{base}-d{day}"


def followup_samples(patient: str) -> list[tuple[str, int]]:
    """``[(sample_id, day)]`` of a follow-up patient's 16S samples ([] for the others)."""
    course = TIMECOURSE.get(patient)
    return [(sample_id(patient, "16s", d), d) for d in course["timepoints"]] if course else []


def timecourse_community(base: dict[str, float], taxon: str, share: float) -> dict[str, float]:
    """``base`` with ``taxon`` at ``share`` and every other member scaled to fill the rest."""
    rest = sum(v for k, v in base.items() if k != taxon)
    return {k: (share if k == taxon else v * (1 - share) / rest) for k, v in base.items()}


def read_paths(sample: str, unit: str) -> tuple[str, str]:
    """FASTQ paths relative to the output directory."""
    return (f"reads/{sample}_{unit}_R1.fastq.gz", f"reads/{sample}_{unit}_R2.fastq.gz")


# --------------------------------------------------------------------------------------------
# state shared with worker processes (inherited through fork)

_STATE: dict = {}


def _job_reference(out: Path) -> dict:
    return hst.write_reference(_STATE["panel"], out / "reference")


def _job_host(out: Path, pid: str, unit: str, n_units: int) -> dict:
    p: Params = _STATE["params"]
    sample = sample_id(pid, "host")
    rng = rng_for(p.seed, f"host:{sample}:{unit}")
    lane = int(unit.lstrip("L") or 1)
    pairs = hst.simulate_host_library(
        rng,
        _STATE["genomes"][pid],
        sample,
        lane,
        rd.library_index(sample),
        p.host_coverage * p.scale / n_units,
    )
    f1, f2 = read_paths(sample, unit)
    rd.write_fastq_pair(str(out / f1), str(out / f2), pairs, rd.library_index(sample))
    return {"pairs": len(pairs)}


def _job_16s(out: Path, pid: str, day: int | None = None) -> dict:
    p: Params = _STATE["params"]
    sample = sample_id(pid, "16s", day)
    rng = rng_for(p.seed, f"16s:{sample}")
    comp = _STATE["communities"][pid] if day is None else _STATE["timecourse"][sample]
    products = _STATE["products"]
    members = [m for m in _STATE["members"] if m.taxon in comp]
    x = np.array([comp[m.taxon] for m in members])
    n_pairs = max(int(round(p.pairs_16s * p.scale)), 10)
    chimera_tag = pid if day is None else sample
    n_chim = int(round(n_pairs * p.chimera_fraction))
    member_amps = {products[m.otu].amplicon for m in members}
    chimeras = []
    top = [members[i] for i in np.argsort(-x, kind="stable")[:3]]
    while len(chimeras) < 2 and n_chim >= 2:
        a, b = rng.choice(len(top), size=2, replace=False)
        pa, pb = products[top[a].otu], products[top[b].otu]
        bp = int(rng.integers(80, 180))
        chim = amp.make_chimera(pa.amplicon, pb.amplicon, bp)
        if chim in member_amps or any(c["amplicon"] == chim for c in chimeras):
            continue
        f_site = pa.product[: len(amp.PRIMER_F)]
        r_site = pb.product[len(pb.product) - len(amp.PRIMER_R) :]
        chimeras.append(
            {
                "otu": f"chimera_{chimera_tag}_{len(chimeras) + 1}",
                "parents": (top[a].otu, top[b].otu),
                "breakpoint": bp,
                "amplicon": chim,
                "product": f_site + chim + r_site,
            }
        )
    n_members = n_pairs - (n_chim if chimeras else 0)
    counts = rng.multinomial(n_members, x / x.sum())
    chim_counts = [n_chim // 2, n_chim - n_chim // 2] if chimeras else []
    prods = [products[m.otu].product for m in members] + [c["product"] for c in chimeras]
    all_counts = np.concatenate([counts, np.array(chim_counts, dtype=np.int64)]).astype(np.int64)
    names = rd.read_names(rng, sample, 1, int(all_counts.sum()))
    pairs = amp.simulate_amplicon_pairs(
        rng, prods, all_counts, 250, names, rd.library_index(sample)
    )
    f1, f2 = read_paths(sample, "L001")
    rd.write_fastq_pair(str(out / f1), str(out / f2), pairs, rd.library_index(sample))
    rows = []
    for m, xi, c in zip(members, x, counts, strict=True):
        rows.append(
            {
                "sample_id": sample,
                "patient_id": pid,
                "otu_id": m.otu,
                "taxon": m.taxon,
                "taxonomy": _STATE["gg_tax"][m.otu],
                "is_chimera": "false",
                "expected_fraction": float(xi) * n_members / n_pairs,
                "reads_simulated": int(c),
                "amplicon": products[m.otu].amplicon,
            }
        )
    for ch, c in zip(chimeras, chim_counts, strict=True):
        rows.append(
            {
                "sample_id": sample,
                "patient_id": pid,
                "otu_id": ch["otu"],
                "taxon": f"chimera of {ch['parents'][0]} and {ch['parents'][1]} "
                f"(breakpoint {ch['breakpoint']})",
                "taxonomy": "",
                "is_chimera": "true",
                "expected_fraction": c / n_pairs,
                "reads_simulated": int(c),
                "amplicon": ch["amplicon"],
            }
        )
    return {"pairs": len(pairs), "rows": rows, "chimeras": chimeras}


def _job_shotgun(out: Path, pid: str) -> dict:
    p: Params = _STATE["params"]
    sample = sample_id(pid, "shotgun")
    rng = rng_for(p.seed, f"shotgun:{sample}")
    specs: list[sg.GenomeSpec] = _STATE["specs"]
    # the patient's strains: the reference genomes plus the drug-metabolism genes it carries
    genomes, gene_rows = sg.plant_genes(
        _STATE["shotgun_genomes"], _STATE["gene_specs"], _STATE["gene_proteins"], pid
    )
    comp = _STATE["communities"][pid]
    species = {}
    for m in _STATE["members"]:
        if m.shotgun_taxid is not None and m.taxon in comp:
            species[m.shotgun_taxid] = comp[m.taxon]
    total = sum(species.values())
    k12 = float(rng.uniform(0.3, 0.8))
    cells: dict[int, float] = {}
    strains: dict[int, list[sg.GenomeSpec]] = {}
    for sp in specs:
        strains.setdefault(sp.species_taxid, []).append(sp)
    for sp_taxid, frac in species.items():
        members = strains[sp_taxid]
        if len(members) == 1:
            cells[members[0].taxid] = frac / total
        else:  # two E. coli strains
            shares = [k12, 1.0 - k12] + [0.0] * (len(members) - 2)
            for sp, share in zip(members, shares, strict=True):
                cells[sp.taxid] = frac / total * share
    hf = float(rng.uniform(*p.human_fraction))
    n_pairs = max(int(round(p.pairs_shotgun * p.scale)), 20)
    pairs, counts, n_human = sg.simulate_shotgun_sample(
        rng,
        specs,
        genomes,
        cells,
        _STATE["genomes"][pid],
        n_pairs,
        hf,
        sample,
        1,
        rd.library_index(sample),
    )
    f1, f2 = read_paths(sample, "L001")
    rd.write_fastq_pair(str(out / f1), str(out / f2), pairs, rd.library_index(sample))
    lens = {sp.taxid: sp.length for sp in specs}
    per_len = {t: counts[t] / lens[t] for t in counts}
    norm = sum(per_len.values()) or 1.0
    rows = []
    for sp in specs:
        if cells.get(sp.taxid, 0.0) <= 0.0:
            continue
        rows.append(
            {
                "sample_id": sample,
                "patient_id": pid,
                "taxid": sp.taxid,
                "species_taxid": sp.species_taxid,
                "name": sp.name,
                "genome_length": sp.length,
                "expected_cell_fraction": cells[sp.taxid],
                "reads_simulated": counts[sp.taxid],
                "read_fraction": counts[sp.taxid] / n_pairs,
                "cell_fraction": per_len[sp.taxid] / norm,
            }
        )
    rows.append(
        {
            "sample_id": sample,
            "patient_id": pid,
            "taxid": 9606,
            "species_taxid": 9606,
            "name": "Homo sapiens",
            "genome_length": "",
            "expected_cell_fraction": "",
            "reads_simulated": n_human,
            "read_fraction": n_human / n_pairs,
            "cell_fraction": "",
        }
    )
    for g in gene_rows:
        # expected pairs from the gene: the genome's pairs times the gene's share of it
        g["sample_id"] = sample
        g["expected_pairs"] = round(
            counts[g["taxid"]] * g["gene_length"] * g["carried"] / len(genomes[g["taxid"]]), 1
        )
    return {
        "pairs": len(pairs),
        "rows": rows,
        "genes": gene_rows,
        "human": {"pairs": n_pairs, "human_pairs": n_human, "design_fraction": hf},
    }


def _run_job(job: tuple) -> tuple[tuple, dict]:
    kind, out, *args = job
    t0 = time.perf_counter()
    res = {
        "reference": _job_reference,
        "host": _job_host,
        "16s": _job_16s,
        "shotgun": _job_shotgun,
    }[kind](out, *args)
    res["seconds"] = time.perf_counter() - t0
    return job, res


# --------------------------------------------------------------------------------------------
# output helpers


def _fmt(x: object) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def _tsv(rows: list[dict], columns: list[str]) -> str:
    lines = ["\t".join(columns)]
    lines += ["\t".join(_fmt(r[c]) for c in columns) for r in rows]
    return "\n".join(lines) + "\n"


def _default_prefix(out: Path) -> str:
    try:
        return out.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return out.resolve().as_posix()


def _is_up_to_date(out: Path, params: Params) -> bool:
    info, man = out / "demo_info.json", out / MANIFEST_NAME
    if not (info.is_file() and man.is_file()):
        return False
    try:
        stored = json.loads(info.read_text())
    except ValueError:
        return False
    if stored.get("version") != DEMO_VERSION or stored.get("params") != params.as_dict():
        return False
    return not verify_manifest(out, read_manifest(man))


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def _catalog_bases() -> list[tuple[str, int, str]]:
    """(chrom, pos, GRCh38 REF) of every PGx catalog position (what PharmCAT reads)."""
    from holobiont.pgx import load_catalog

    return sorted({(p.chrom, p.pos, p.ref) for p in load_catalog().positions()})


def generate(
    out: str | os.PathLike,
    params: Params | None = None,
    *,
    force: bool = False,
    workers: int = 2,
    resources: str | os.PathLike | None = None,
    quiet: bool = False,
) -> dict:
    """Generate the demo cohort into ``out``.

    Parameters
    ----------
    out : path-like
        Output directory (created).
    params : Params, optional
        Defaults reproduce ``resources/demo/MANIFEST.sha256``.
    force : bool
        Regenerate even if ``out`` is up to date, and write into a non-empty directory that
        was not made by this generator.
    workers : int
        Worker processes for the read libraries (results do not depend on it).
    resources : path-like, optional
        Directory of the committed inputs (default ``resources/demo``).
    quiet : bool
        No progress messages on stderr.

    Returns
    -------
    dict
        ``{"status": "up-to-date" | "generated", "seconds": float, "info": demo_info}``.
    """
    t_start = time.perf_counter()
    out = Path(out)
    params = params or Params()
    if params.path_prefix is None:
        params = dataclasses.replace(params, path_prefix=_default_prefix(out))
    res_dir = Path(resources) if resources else resources_dir()

    if out.exists() and not force:
        if _is_up_to_date(out, params):
            _log(f"{out}: up to date (matches its {MANIFEST_NAME}); nothing to do.", quiet)
            info = json.loads((out / "demo_info.json").read_text())
            return {"status": "up-to-date", "seconds": 0.0, "info": info}
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise FileExistsError(
                f"{out} exists, is not empty and was not made by the demo generator; "
                "use --force to write into it anyway."
            )
    out.mkdir(parents=True, exist_ok=True)
    if (out / MARKER).exists():  # our own earlier output: start clean (no stale files)
        for sub in OUTPUT_DIRS:
            shutil.rmtree(out / sub, ignore_errors=True)
    for name in (MANIFEST_NAME, *OUTPUT_FILES):  # an incomplete run must not look complete
        (out / name).unlink(missing_ok=True)
    write_text(out / MARKER, "Output of python -m holobiont.demo (safe to delete).\n")

    # ---- inputs and designs (main process)
    sites, genes, alleles = load_sites(res_dir), load_genes(res_dir), load_alleles(res_dir)
    cohort = load_cohort(res_dir)
    members = load_community(res_dir)
    specs = sg.load_genome_specs(res_dir)
    taxa = sg.load_taxonomy(res_dir)
    gene_specs = sg.load_gene_specs(res_dir)
    gene_proteins = sg.make_gene_proteins(gene_specs, rng_for(params.seed, "shotgun-genes"))
    panel, plants, catalog_bases = design_panel(
        res_dir, sites, genes, cohort, rng_for(params.seed, "reference")
    )
    pool = hst.private_snp_pool(
        panel,
        sites,
        rng_for(params.seed, "snp-pool"),
        n_sites=params.private_snps,
        avoid=catalog_bases,
    )
    genomes = {
        pt.patient_id: design_genome(
            pt,
            sites,
            alleles,
            pool,
            panel,
            rng_for(params.seed, f"genotype:{pt.patient_id}"),
            plants,
        )
        for pt in cohort
    }
    _log(f"host design ready ({time.perf_counter() - t_start:.1f} s)", quiet)

    gg_tax = amp.load_gg_taxonomy()
    gg_seq = amp.load_gg_sequences()
    products = {}
    for m in members:
        prod = amp.in_silico_pcr(gg_seq[m.otu])
        if prod is None:
            raise ValueError(f"community OTU {m.otu} has no V4 product")
        products[m.otu] = prod
    if len({p.amplicon for p in products.values()}) != len(products):
        raise ValueError("community amplicons are not pairwise distinct")
    genera = {amp.genus_species(gg_tax[m.otu])[0].strip("[]") for m in members}
    sintax = amp.sintax_reference(
        gg_tax, gg_seq, genera, [m.otu for m in members], rng_for(params.seed, "sintax")
    )
    del gg_seq
    communities = {}
    for pt in cohort:
        present = [m for m in members if m.present(pt.patient_id)]
        w = np.array([m.weight[pt.group] for m in present])
        x = rng_for(params.seed, f"community:{pt.patient_id}").dirichlet(
            params.concentration * w / w.sum()
        )
        communities[pt.patient_id] = {m.taxon: float(v) for m, v in zip(present, x, strict=True)}
    timecourse = {}
    for pid, course in TIMECOURSE.items():
        for (sample, _), share in zip(followup_samples(pid), course["share"], strict=True):
            timecourse[sample] = timecourse_community(communities[pid], course["taxon"], share)
    shotgun_genomes = sg.make_genomes(specs, rng_for(params.seed, "shotgun-genomes"))
    _log(f"16S and shotgun designs ready ({time.perf_counter() - t_start:.1f} s)", quiet)

    _STATE.clear()
    _STATE.update(
        params=params,
        panel=panel,
        genomes=genomes,
        members=members,
        products=products,
        gg_tax=gg_tax,
        communities=communities,
        timecourse=timecourse,
        specs=specs,
        shotgun_genomes=shotgun_genomes,
        gene_specs=gene_specs,
        gene_proteins=gene_proteins,
    )

    # ---- heavy jobs (parallel)
    jobs: list[tuple] = [("reference", out)]
    for pt in cohort:
        if "shotgun" in pt.libraries:
            jobs.append(("shotgun", out, pt.patient_id))
    for pt in cohort:
        if "16s" in pt.libraries:
            jobs += [("16s", out, pt.patient_id, d) for _, d in followup_samples(pt.patient_id)]
            if not followup_samples(pt.patient_id):
                jobs.append(("16s", out, pt.patient_id))
        if "host" not in pt.libraries:
            continue
        for unit in pt.host_units:
            jobs.append(("host", out, pt.patient_id, unit, len(pt.host_units)))
    results: dict[tuple, dict] = {}
    if workers > 1:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(min(workers, len(jobs))) as pool_:
            for job, res in pool_.imap_unordered(_run_job, jobs):
                results[(job[0], *job[2:])] = res
    else:
        for job in jobs:
            _, res = _run_job(job)
            results[(job[0], *job[2:])] = res
    _log(f"reference and reads written ({time.perf_counter() - t_start:.1f} s)", quiet)

    # ---- small outputs (main process)
    ref = out / "reference"
    write_text(ref / "16s_sintax.fasta", "".join(f">{h}\n{s}\n" for h, s in sintax))
    sg.write_genomes(specs, shotgun_genomes, ref)
    sg.write_gene_proteins(gene_specs, gene_proteins, ref)
    sg.write_taxonomy(taxa, ref)
    truth = out / "truth"
    hosted = [pt for pt in cohort if "host" in pt.libraries]
    for pt in hosted:
        hst.write_vcf_bgz(
            truth / f"{pt.patient_id}.host.vcf.gz",
            hst.truth_vcf_text(genomes[pt.patient_id], panel, DEMO_VERSION),
        )
    write_text(truth / "pgx_diplotypes.tsv", _diplotype_table(hosted, genomes, alleles, plants))

    rows16, asvs = [], [f">{m.otu} {m.taxon}\n{products[m.otu].amplicon}\n" for m in members]
    for pt in cohort:
        if "16s" not in pt.libraries:
            continue
        keys = [("16s", pt.patient_id, d) for _, d in followup_samples(pt.patient_id)]
        for key in keys or [("16s", pt.patient_id)]:
            r = results[key]
            rows16 += r["rows"]
            for ch in r["chimeras"]:
                asvs.append(
                    f">{ch['otu']} chimera parents={ch['parents'][0]},{ch['parents'][1]} "
                    f"breakpoint={ch['breakpoint']}\n{ch['amplicon']}\n"
                )
    write_text(
        truth / "16s_composition.tsv",
        _tsv(
            rows16,
            [
                "sample_id",
                "patient_id",
                "otu_id",
                "taxon",
                "taxonomy",
                "is_chimera",
                "expected_fraction",
                "reads_simulated",
                "amplicon",
            ],
        ),
    )
    write_text(truth / "16s_asvs.fasta", "".join(asvs))
    rows_sg, rows_h = [], []
    for pt in cohort:
        if "shotgun" in pt.libraries:
            r = results[("shotgun", pt.patient_id)]
            rows_sg += r["rows"]
            h = r["human"]
            rows_h.append(
                {
                    "sample_id": sample_id(pt.patient_id, "shotgun"),
                    "patient_id": pt.patient_id,
                    "read_pairs": h["pairs"],
                    "human_pairs": h["human_pairs"],
                    "human_fraction": h["human_pairs"] / h["pairs"],
                }
            )
    write_text(
        truth / "shotgun_composition.tsv",
        _tsv(
            rows_sg,
            [
                "sample_id",
                "patient_id",
                "taxid",
                "species_taxid",
                "name",
                "genome_length",
                "expected_cell_fraction",
                "reads_simulated",
                "read_fraction",
                "cell_fraction",
            ],
        ),
    )
    write_text(
        truth / "shotgun_genes.tsv",
        _tsv(
            [
                g
                for pt in cohort
                if "shotgun" in pt.libraries
                for g in results[("shotgun", pt.patient_id)]["genes"]
            ],
            [
                "sample_id",
                "patient_id",
                "gene",
                "taxid",
                "carried",
                "gene_length",
                "expected_pairs",
            ],
        ),
    )
    write_text(
        truth / "shotgun_human.tsv",
        _tsv(rows_h, ["sample_id", "patient_id", "read_pairs", "human_pairs", "human_fraction"]),
    )
    write_text(truth / "communities.tsv", _community_table(cohort, members, communities))
    write_text(
        truth / "16s_timecourse.tsv",
        _timecourse_table(cohort, members, timecourse, gg_tax),
    )

    sheet, lib_counts = [], {}
    for pid, text in OUTSIDE_CALLS.items():
        write_text(out / "outside_calls" / f"{pid}.tsv", text)
    for pt in cohort:
        for lib in PATIENT_LIBS:
            if lib not in pt.libraries:
                continue
            follow = followup_samples(pt.patient_id) if lib == "16s" else []
            for sample, day in follow or [(sample_id(pt.patient_id, lib), None)]:
                units = pt.host_units if lib == "host" else ("L001",)
                for unit in units:
                    if lib == "host":
                        key = ("host", pt.patient_id, unit, len(units))
                    elif day is not None:
                        key = (lib, pt.patient_id, day)
                    else:
                        key = (lib, pt.patient_id)
                    lib_counts[f"{sample}_{unit}"] = results[key]["pairs"]
                    f1, f2 = read_paths(sample, unit)
                    sheet.append(
                        {
                            "patient_id": pt.patient_id,
                            "sample_id": sample,
                            "assay": pt.host_assay if lib == "host" else lib,
                            "unit": unit,
                            "fastq_1": f"{params.path_prefix}/{f1}",
                            "fastq_2": f"{params.path_prefix}/{f2}",
                            "group": pt.group,
                            "sex": pt.sex,
                            "pgx_outside_calls": (
                                f"{params.path_prefix}/outside_calls/{pt.patient_id}.tsv"
                                if lib == "host" and pt.patient_id in OUTSIDE_CALLS
                                else ""
                            ),
                            "timepoint": "" if day is None else str(day),
                        }
                    )
    write_text(
        out / "samples.tsv",
        _tsv(
            sheet,
            [
                "patient_id",
                "sample_id",
                "assay",
                "unit",
                "fastq_1",
                "fastq_2",
                "group",
                "sex",
                "pgx_outside_calls",
                "timepoint",
            ],
        ),
    )
    info = {
        "generator": "holobiont.demo",
        "version": DEMO_VERSION,
        "seed": params.seed,
        "params": params.as_dict(),
        "patients": len(cohort),
        "libraries": len(sheet),
        "read_pairs": lib_counts,
        "human_pairs": {r["sample_id"]: r["human_pairs"] for r in rows_h},
        "reference": results[("reference",)] | {"contigs": panel.contigs},
        "private_snp_pool": len(pool),
        "sintax_records": len(sintax),
        "community_members": len(members),
        "shotgun_genomes": len(specs),
    }
    info["reference"].pop("seconds", None)
    write_text(out / "demo_info.json", json.dumps(info, indent=2, sort_keys=True) + "\n")

    files = sorted(
        [*OUTPUT_FILES]
        + [
            p.relative_to(out).as_posix()
            for sub in OUTPUT_DIRS
            for p in (out / sub).rglob("*")
            if p.is_file() and not p.name.startswith(".")
        ]
    )
    _STATE.clear()
    write_text(out / MANIFEST_NAME, manifest_text(out, files))
    seconds = time.perf_counter() - t_start
    _log(f"done: {len(files)} files in {out} ({seconds:.1f} s)", quiet)
    return {
        "status": "generated",
        "seconds": seconds,
        "info": info,
        "job_seconds": {"/".join(map(str, k)): v["seconds"] for k, v in results.items()},
    }


def design_panel(res_dir: Path, sites, genes, cohort: list[Patient], rng, flank: int = 200):
    """The host reference design: the pypgx panel's windows (``flank`` bp around them) plus
    every position PharmCAT reads in the catalog-planted genes (pgx_plants.tsv), with the
    catalog's bases at the catalog positions. Returns (panel, plants, catalog bases)."""
    catalog_bases = _catalog_bases()
    plants = load_plants(res_dir, cohort)
    panel = hst.build_panel(
        sites,
        genes,
        rng,
        flank=flank,
        reference_bases=catalog_bases,
        extra_sites=_plant_sites(plants),
    )
    return panel, plants, catalog_bases


def design_genome(pt: Patient, sites, alleles, pool, panel, rng, plants: list[Plant]):
    """One patient's planted genome: its pypgx diplotypes, private SNPs and catalog plants."""
    return hst.patient_genome(
        pt.patient_id,
        pt.diplotypes,
        sites,
        alleles,
        pool,
        panel,
        rng,
        plants=_plant_variants(plants, pt.patient_id),
    )


def _plant_sites(plants: list[Plant]) -> list[tuple[str, str, int, str]]:
    """Capture targets of the catalog-planted genes: every position PharmCAT reads there."""
    from holobiont.pgx import load_catalog

    catalog = load_catalog()
    out = []
    for gene in dict.fromkeys(p.gene for p in plants):
        for p in catalog.genes[gene].all_positions:
            if p.role in ("definition", "extra"):
                out.append((gene, p.chrom, p.pos, p.ref))
    return out


def _plant_variants(plants: list[Plant], patient: str) -> list[tuple]:
    from holobiont.pgx import load_catalog

    catalog = load_catalog()
    out = []
    for p in plants:
        if p.patient_id == patient:
            pair, haps = hst.catalog_plant(
                catalog.genes[p.gene], p.allele1, p.allele2, p.undocumented
            )
            out.append((p.gene, pair, haps))
    return out


def _diplotype_table(
    cohort: list[Patient], genomes: dict, alleles, plants: list[Plant] = ()
) -> str:
    """``truth/pgx_diplotypes.tsv``: one row per patient and planted gene.

    ``allele_names``: ``pypgx`` (cohort.tsv, pypgx names) or ``pharmcat`` (pgx_plants.tsv,
    catalog names); ``expected_call`` (catalog rows): the call PharmCAT's rules give.
    """
    from holobiont.pgx import load_catalog

    func = {(a.gene, a.allele): a.function for a in alleles}
    planted = {(p.patient_id, p.gene): p for p in plants}
    if plants:
        catalog = load_catalog()
        for p in plants:
            gdef = catalog.genes[p.gene]
            func[(p.gene, p.allele1)] = gdef.allele(p.allele1).function
            func[(p.gene, p.allele2)] = gdef.allele(p.allele2).function
    plant_genes = list(dict.fromkeys(p.gene for p in plants))
    rows = []
    for pt in cohort:
        g = genomes[pt.patient_id]
        for gene in [*PANEL_GENES, *(x for x in plant_genes if x not in PANEL_GENES)]:
            a1, a2 = g.diplotypes[gene]
            plant = planted.get((pt.patient_id, gene))
            gts: dict[tuple, list] = {}
            for h, hap in enumerate(g.haplotypes):
                for v in hap:
                    if v.kind == "pgx" and v.gene == gene:
                        gts.setdefault((v.pos, v.id, v.ref, v.alt), [0, 0])[h] = 1
            defining = sorted(gts, key=lambda k: k[0])
            rows.append(
                {
                    "patient_id": pt.patient_id,
                    "gene": gene,
                    "diplotype": f"{a1}/{a2}",
                    "allele1": a1,
                    "allele2": a2,
                    "allele1_function": func[(gene, a1)],
                    "allele2_function": func[(gene, a2)],
                    "defining_rsids": ",".join(k[1] for k in defining) or ".",
                    "genotypes": ",".join(
                        f"{k[1]}:{k[2]}>{k[3]}:{gts[k][0]}|{gts[k][1]}" for k in defining
                    )
                    or ".",
                    "allele_names": "pharmcat" if plant else "pypgx",
                    "undocumented": (plant.undocumented if plant else "") or ".",
                    "expected_call": plant.expected_call if plant else ".",
                    "note": (plant.note if plant else "") or ".",
                }
            )
    cols = [
        "patient_id",
        "gene",
        "diplotype",
        "allele1",
        "allele2",
        "allele1_function",
        "allele2_function",
        "defining_rsids",
        "genotypes",
        "allele_names",
        "undocumented",
        "expected_call",
        "note",
    ]
    return _tsv(rows, cols)


def _timecourse_table(
    cohort: list[Patient], members: list[Member], timecourse: dict, gg_tax: dict
) -> str:
    """``truth/16s_timecourse.tsv``: the planted community of every follow-up timepoint, per
    member and summed per Greengenes genus (``rank`` member / genus; cell fractions)."""
    rows = []
    for pt in cohort:
        for sample, day in followup_samples(pt.patient_id):
            comp = timecourse[sample]
            genera: dict[str, float] = {}
            for m in members:
                if m.taxon not in comp:
                    continue
                genus = amp.genus_species(gg_tax[m.otu])[0].strip("[]")
                genera[genus] = genera.get(genus, 0.0) + comp[m.taxon]
                rows.append(
                    {
                        "patient_id": pt.patient_id,
                        "sample_id": sample,
                        "timepoint": day,
                        "rank": "member",
                        "name": m.taxon,
                        "expected_fraction": comp[m.taxon],
                    }
                )
            rows += [
                {
                    "patient_id": pt.patient_id,
                    "sample_id": sample,
                    "timepoint": day,
                    "rank": "genus",
                    "name": g,
                    "expected_fraction": v,
                }
                for g, v in sorted(genera.items())
            ]
    cols = ["patient_id", "sample_id", "timepoint", "rank", "name", "expected_fraction"]
    return _tsv(rows, cols)


def _community_table(cohort: list[Patient], members: list[Member], communities: dict) -> str:
    rows = []
    for pt in cohort:
        comp = communities[pt.patient_id]
        for m in members:
            if m.taxon not in comp:
                continue
            rows.append(
                {
                    "patient_id": pt.patient_id,
                    "group": pt.group,
                    "taxon": m.taxon,
                    "gg_otu_id": m.otu,
                    "shotgun_taxid": m.shotgun_taxid or "",
                    "cell_fraction": comp[m.taxon],
                    "drug_note": m.drug_note,
                }
            )
    cols = [
        "patient_id",
        "group",
        "taxon",
        "gg_otu_id",
        "shotgun_taxid",
        "cell_fraction",
        "drug_note",
    ]
    return _tsv(rows, cols)


def check(out: str | os.PathLike, manifest: str | os.PathLike | None = None) -> list[str]:
    """Verify ``out`` against a manifest (default: the committed one); return problems."""
    man = Path(manifest) if manifest else COMMITTED_MANIFEST
    if not man.is_file():
        return [f"manifest {man} not found"]
    return verify_manifest(out, read_manifest(man))


def install_manifest(out: str | os.PathLike) -> Path:
    """Copy ``out/MANIFEST.sha256`` of a default-parameter run to ``resources/demo``."""
    out = Path(out)
    info = json.loads((out / "demo_info.json").read_text())
    default = Params(path_prefix=info["params"]["path_prefix"]).as_dict()
    if info["params"] != default or info["params"]["path_prefix"] != "resources/demo/data":
        raise ValueError(
            "the committed manifest must come from a default run into resources/demo/data"
        )
    shutil.copyfile(out / MANIFEST_NAME, COMMITTED_MANIFEST)
    return COMMITTED_MANIFEST
