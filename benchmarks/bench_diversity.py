"""Benchmark Holobiont's diversity code against scikit-bio and Striped UniFrac.

Run from the repository root::

    .venv/bin/python benchmarks/bench_diversity.py            # full run (~15-20 min)
    .venv/bin/python benchmarks/bench_diversity.py --quick    # smoke run (seconds)

What it does
------------
1. Builds a deterministic synthetic table (default 1,000 samples x 5,000 taxa, ~90% zeros,
   negative-binomial counts with taxon prevalences ~ Beta(0.5, 4.5)) and a random binary tree
   over the taxa (random merges, branch lengths ``round(U(0.01, 1), 3)``).
2. For every metric, times ours (median of ``--repeats`` runs) and scikit-bio's
   (``alpha_diversity``, ``beta_diversity``, ``pcoa``, ``permanova``) and reports the largest
   absolute difference. Alpha, rarefaction, CLR, PCoA and PERMANOVA alternate the two sides
   (ours, scikit-bio, ours, ...; ``--repeats`` runs each), so that a load change on a shared
   machine falls on both; the beta rows time scikit-bio after ours (median of up to three
   runs, one when a run takes more than 20 s). Every in-process computation runs on one
   thread (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` default to 1).
   A scikit-bio run estimated above ``--max-ref-seconds`` (default 600) is timed on a subset
   of samples and extrapolated quadratically; the row says so.
3. For the UniFracs, also times Striped UniFrac (Debian ``python3-unifrac``) in a
   ``/usr/bin/python3`` subprocess, timing only the ``unifrac.<metric>(table, tree)`` call
   (which includes its own BIOM/Newick reading) with its default threads (OpenMP: all CPUs
   unless ``OMP_NUM_THREADS`` is set). Its default calls compute in float32; the ``_fp64``
   calls are reported as well.
4. Times Bray--Curtis and unweighted UniFrac (ours, and Striped UniFrac for unweighted) on
   ``--large-samples`` (default 10,000) samples; scikit-bio is not run there (its time is
   extrapolated quadratically from the 1,000-sample run and marked as such).

5. Prints a **machine floor** for each row, measured in the same run on the same data: the
   time of the memory traffic or the matrix product that no implementation of that metric can
   avoid on this machine (see ``FLOORS``): a numpy sum over the table (one read: alpha
   metrics, Faith PD), a copy of it (one read + one write: CLR, rarefaction, which write a
   table), a same-shaped dense matrix product (``(n, k) @ (k, n)``, float32 for presence /
   absence metrics, float64 otherwise; for PERMANOVA ``D^2`` times the one-hot matrix of all
   permutations). ``ours / floor`` is how far from that limit we are; pair-wise L1 metrics
   (Bray-Curtis, weighted UniFrac) are min-plus products, which BLAS cannot do, so their GEMM
   floor is optimistic.

Peak memory is the ``tracemalloc`` peak of the call (numpy and Python allocations; BLAS
workspace is not included), measured in a separate untimed run.

Results are printed as a Markdown table and written to ``benchmarks/out/`` (TSV + Markdown).
This is a script, not a test: nothing is asserted about timings.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

#: one thread for every in-process computation (ours, BLAS/LAPACK, scikit-bio's OpenMP Cython
#: loops) unless the environment already says otherwise; set before numpy and scikit-bio load
#: their thread pools. Under load, scikit-bio's two-thread PERMANOVA took 10-14 s here against
#: 0.9-1.2 s on one thread (2026-12-02). Striped UniFrac's subprocess sets its own threads.
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for _var in ONE_THREAD:
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from holobiont.core.beta import beta_diversity  # noqa: E402
from holobiont.core.ordination import pcoa, permanova  # noqa: E402
from holobiont.core.table import FeatureTable, clr, rarefy  # noqa: E402
from holobiont.core.tree import read_newick  # noqa: E402

#: what bounds each benchmark row from below on this machine (see the module docstring)
FLOORS = {
    "read": "numpy row sums of the table (one read)",
    "copy": "copy of the table (one read + one write)",
    "gemm32-taxa": "float32 (n, taxa) @ (taxa, n)",
    "gemm32-branches": "float32 (n, branches) @ (branches, n)",
    "gemm64-taxa": "float64 (n, taxa) @ (taxa, n)",
    "gemm64-branches": "float64 (n, branches) @ (branches, n)",
    "gemm64-permanova": "float64 D^2 @ one-hot (n, permutations x (groups - 1))",
    "sytrd": "LAPACK dsytrd: tridiagonal reduction of the (n, n) Gower matrix",
}

DEBIAN_PYTHON = "/usr/bin/python3"

STRIPED_SCRIPT = r"""
import json, os, statistics, sys, time
import numpy as np
import biom, h5py, unifrac
counts_path, tree_path, workdir, repeats = sys.argv[1:5]
names = sys.argv[5:]
x = np.load(counts_path)
n, m = x.shape
taxa = [f"T{i}" for i in range(m)]
sids = [f"S{i}" for i in range(n)]
table_path = os.path.join(workdir, "table.biom")
with h5py.File(table_path, "w") as fh:
    biom.Table(x.T, taxa, sids).to_hdf5(fh, "holobiont benchmark")
out = {"cpus": os.cpu_count(), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
       "version": getattr(unifrac, "__version__", "?")}
for name in names:
    fn = getattr(unifrac, name)
    times = []
    for _ in range(int(repeats)):
        t0 = time.perf_counter()
        dm = fn(table_path, tree_path)
        times.append(time.perf_counter() - t0)
    order = [dm.ids.index(s) for s in sids]
    np.save(os.path.join(workdir, name + ".npy"), dm.data[np.ix_(order, order)])
    out[name] = times
print(json.dumps(out))
"""


# ------------------------------------------------------------------------------ data


def make_table(n_samples: int, n_taxa: int, seed: int = 0) -> np.ndarray:
    """Deterministic (n_samples, n_taxa) float64 counts, ~90% zeros, no empty sample."""
    rng = np.random.default_rng(seed)
    prevalence = rng.beta(0.5, 4.5, n_taxa)
    mean = np.exp(rng.normal(2.0, 1.5, n_taxa))
    depth = np.exp(rng.normal(0.0, 0.5, n_samples))
    present = rng.random((n_samples, n_taxa)) < prevalence
    lam = rng.gamma(0.5, mean * depth[:, None] / 0.5)
    x = np.where(present, rng.poisson(lam) + 1, 0).astype(np.float64)
    empty = np.flatnonzero(x.sum(axis=1) == 0)
    x[empty, rng.integers(0, n_taxa, empty.size)] = 1.0
    return x


def make_tree(n_taxa: int, seed: int = 1) -> str:
    """Random binary tree over T0..T{n-1} (random merges), 3-decimal branch lengths."""
    rng = np.random.default_rng(seed)
    nodes = [f"T{i}:{round(float(rng.uniform(0.01, 1)), 3)}" for i in range(n_taxa)]
    k = 0
    while len(nodes) > 1:
        i, j = rng.choice(len(nodes), 2, replace=False)
        a, b = nodes[i], nodes[j]
        for idx in sorted((int(i), int(j)), reverse=True):
            nodes[idx] = nodes[-1]
            nodes.pop()
        k += 1
        nodes.append(f"({a},{b})N{k}:{round(float(rng.uniform(0.01, 1)), 3)}")
    return nodes[0][: nodes[0].rfind(":")] + ";"


# ------------------------------------------------------------------------------ timing


#: how the repeats of one timing are summarised (``--stat``): the median on a quiet machine;
#: the minimum under load (the least disturbed run is the closest to the code's own cost)
STAT = statistics.median


def timed(fn, repeats: int):
    """(summary seconds (STAT: median or min), list of seconds, last result)."""
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return STAT(times), times, result


def paired(ours_fn, ref_fn, repeats: int):
    """Time ours and the reference alternately (ours, ref, ours, ref, ...), so that a load
    change on the shared machine falls on both sides of a row alike.

    Returns (ours STAT seconds, ref STAT seconds, ours result, ref result).
    """
    ours_t, ref_t, ours, ref = [], [], None, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        ours = ours_fn()
        t1 = time.perf_counter()
        ref = ref_fn()
        t2 = time.perf_counter()
        ours_t.append(t1 - t0)
        ref_t.append(t2 - t1)
    return STAT(ours_t), STAT(ref_t), ours, ref


def peak_mib(fn) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def reference_time(fn_for, n: int, max_seconds: float, probe: int):
    """Time fn_for(n) unless a probe on `probe` samples extrapolates above max_seconds.

    Returns (seconds, result or None, note).
    """
    if n > probe:
        t_probe, _, _ = timed(lambda: fn_for(probe), 1)
        estimate = t_probe * (n / probe) ** 2
        if estimate > max_seconds:
            sub = max(probe, int(probe * np.sqrt(max_seconds / 4 / max(t_probe, 1e-9))))
            sub = min(sub, n)
            t_sub, _, _ = timed(lambda: fn_for(sub), 1)
            return t_sub * (n / sub) ** 2, None, f"extrapolated (n^2) from {sub} samples"
    t0 = time.perf_counter()
    result = fn_for(n)
    first = time.perf_counter() - t0
    if first > 20:
        return first, result, "1 run"
    med, times, result = timed(lambda: fn_for(n), 2)
    return STAT([first, *times]), result, f"{STAT.__name__} of 3"


def striped(
    x: np.ndarray, newick: str, names: list[str], repeats: int, threads: str = "all"
) -> dict | None:
    if not Path(DEBIAN_PYTHON).exists():
        return None
    check = subprocess.run(
        [DEBIAN_PYTHON, "-c", "import unifrac, biom, h5py"], capture_output=True, text=True
    )
    if check.returncode != 0:
        print(f"[striped] unavailable: {check.stderr.strip().splitlines()[-1:]}")
        return None
    work = Path(tempfile.mkdtemp(prefix="holobiont-striped-"))
    try:
        np.save(work / "counts.npy", x)
        (work / "tree.nwk").write_text(newick)
        (work / "run.py").write_text(STRIPED_SCRIPT)
        env = dict(os.environ)
        env.pop("OMP_NUM_THREADS", None)
        if threads != "all":
            env["OMP_NUM_THREADS"] = str(threads)
        proc = subprocess.run(
            [DEBIAN_PYTHON, str(work / "run.py"), str(work / "counts.npy"),
             str(work / "tree.nwk"), str(work), str(repeats), *names],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        if proc.returncode != 0:
            print(f"[striped] failed:\n{proc.stderr[-2000:]}")
            return None
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        for name in names:
            out[name + "_matrix"] = np.load(work / f"{name}.npy")
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------------------ floors

SECTIONS = ("alpha", "rarefaction", "clr", "beta", "striped", "pcoa", "permanova", "large")


def gemm_floor(n: int, k: int, m: int, dtype, repeats: int) -> float:
    """Median time of a dense (n, k) @ (k, m) product (random data: BLAS does not care)."""
    rng = np.random.default_rng(7)
    a = rng.random((n, k)).astype(dtype)
    b = a.T.copy() if m == n else rng.random((k, m)).astype(dtype)
    a @ b  # warm-up (BLAS threads, page faults)
    return timed(lambda: a @ b, max(repeats, 3))[0]


def measure_floors(x: np.ndarray, n_branches: int, repeats: int, only: set) -> dict:
    """Machine floors of :data:`FLOORS`, measured now on this machine."""
    reps = max(repeats, 5)
    xi = x.astype(np.int64)
    buf = np.empty_like(x)
    n, m = x.shape
    out = {
        # per-row sums: the fastest full read here (a flat int64 x.sum() is ~5x slower)
        "read": timed(lambda: xi.sum(axis=1), reps)[0],
        "copy": timed(lambda: np.copyto(buf, x), reps)[0],
    }
    if only & {"beta", "striped"}:
        out["gemm32-taxa"] = gemm_floor(n, m, n, np.float32, repeats)
        out["gemm64-taxa"] = gemm_floor(n, m, n, np.float64, repeats)
        out["gemm32-branches"] = gemm_floor(n, n_branches, n, np.float32, repeats)
        out["gemm64-branches"] = gemm_floor(n, n_branches, n, np.float64, repeats)
    return out


# ------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--taxa", type=int, default=5000)
    ap.add_argument("--large-samples", type=int, default=10000)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--skip-striped", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-ref-seconds", type=float, default=600.0)
    ap.add_argument("--quick", action="store_true", help="120 x 600 table, no large run")
    ap.add_argument(
        "--stat",
        choices=("median", "min"),
        default="median",
        help="summary of the repeats (default median; min on a loaded machine)",
    )
    ap.add_argument(
        "--only",
        help="comma-separated sections to run (default all): " + ", ".join(SECTIONS),
    )
    ap.add_argument(
        "--striped-threads",
        default="1,all",
        help="comma-separated OpenMP thread counts for Striped UniFrac ('all' = unset; "
        "default 1,all)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = ap.parse_args(argv)
    if args.quick:
        args.samples, args.taxa, args.large_samples = 120, 600, 400
        args.repeats = min(args.repeats, 2)
    warnings.simplefilter("ignore")
    global STAT
    STAT = min if args.stat == "min" else statistics.median
    only = set(SECTIONS if not args.only else args.only.split(","))
    if only - set(SECTIONS):
        ap.error(f"unknown section(s) {sorted(only - set(SECTIONS))}; known: {SECTIONS}")

    from skbio import TreeNode
    from skbio.diversity import alpha_diversity as sk_alpha
    from skbio.diversity import beta_diversity as sk_beta
    from skbio.stats import subsample_counts
    from skbio.stats.composition import clr as sk_clr
    from skbio.stats.composition import multi_replace
    from skbio.stats.distance import DistanceMatrix
    from skbio.stats.distance import permanova as sk_permanova
    from skbio.stats.ordination import pcoa as sk_pcoa

    n, m = args.samples, args.taxa
    print(f"# data: {n} samples x {m} taxa", flush=True)
    x = make_table(n, m)
    newick = make_tree(m)
    taxa = [f"T{i}" for i in range(m)]
    tree = read_newick(newick)
    sk_tree = TreeNode.read([newick])
    print(f"# zeros: {np.mean(x == 0):.3f}; tree: {tree.n_tips} tips", flush=True)
    rows: list[dict] = []
    floors = measure_floors(x, tree.n_nodes - 1, args.repeats, only)
    for name, t in floors.items():
        print(f"# floor {name:18s} {t:9.4f}s  ({FLOORS[name]})", flush=True)

    def add(metric, ours_s, ref_s, diff, mem, note="", reference="scikit-bio", floor=None):
        ratio = ref_s / ours_s if (ref_s and ours_s) else float("nan")
        floor_s = floors.get(floor, float("nan"))
        row = dict(metric=metric, reference=reference, ours_s=ours_s, ref_s=ref_s,
                   ratio=ratio, floor=floor or "", floor_s=floor_s,
                   ours_over_floor=ours_s / floor_s, max_abs_diff=diff, peak_mib=mem,
                   note=note)  # fmt: skip
        rows.append(row)
        print(
            f"{metric:34s} {reference:22s} ours {ours_s:9.3f}s  ref {ref_s:9.3f}s  "
            f"x{ratio:7.1f}  floor {floor_s:8.2e}s ({row['ours_over_floor']:5.1f}x)  "
            f"diff {diff:.1e}  mem {mem:8.1f} MiB  {note}",
            flush=True,
        )

    # --- alpha (the other module; optional)
    try:
        from holobiont.core import alpha as alpha_mod
    except ImportError:
        alpha_mod = None
        print("# holobiont.core.alpha not found: alpha metrics skipped")
    if alpha_mod is not None and "alpha" in only:
        sk_name = {"observed": "sobs", "pielou": "pielou_e"}
        xi = x.astype(np.int64)
        for metric in alpha_mod.METRICS:
            kw = {"taxa": taxa, "tree": tree} if metric == "faith_pd" else {}
            sk_kw = {"taxa": taxa, "tree": sk_tree} if metric == "faith_pd" else {}
            name = sk_name.get(metric, metric)
            t_ours, t_ref, ours, ref = paired(
                lambda metric=metric, kw=kw: alpha_mod.alpha_diversity(metric, xi, **kw),
                lambda name=name, sk_kw=sk_kw: sk_alpha(name, xi, **sk_kw),
                args.repeats,
            )
            mem = peak_mib(lambda metric=metric, kw=kw: alpha_mod.alpha_diversity(metric, xi, **kw))
            diff = float(np.nanmax(np.abs(np.asarray(ours, float) - np.asarray(ref, float))))
            add(f"alpha {metric}", t_ours, t_ref, diff, mem, floor="read")
    # --- rarefaction and CLR (tables out)
    if "rarefaction" in only:
        xi = x.astype(np.int64)
        depth = int(np.quantile(xi.sum(axis=1), 0.1))
        ft = FeatureTable(xi, tuple(f"S{i}" for i in range(n)), tuple(taxa))
        keep = xi.sum(axis=1) >= depth

        def sk_rarefy():
            return np.stack([subsample_counts(row, depth) for row in xi[keep]])

        t_ours, t_ref, ours, ref = paired(lambda: rarefy(ft, depth, 0), sk_rarefy, args.repeats)
        mem = peak_mib(lambda: rarefy(ft, depth, 0))
        ok = ours.table.counts.sum(axis=1).tolist() == ref.sum(axis=1).tolist()
        # random draws differ: compare what must agree (depths, kept samples, support)
        same_support = bool(np.all((ours.table.counts > 0) <= (xi[keep] > 0)))
        add(f"rarefaction (depth {depth})", t_ours, t_ref, float("nan"), mem,
            f"random draws: diff n/a; depths equal {ok}, support within input {same_support}",
            floor="copy")  # fmt: skip
    if "clr" in only:
        t_ours, t_ref, ours, ref = paired(
            lambda: clr(x), lambda: sk_clr(multi_replace(x)), args.repeats
        )
        mem = peak_mib(lambda: clr(x))
        add("clr (multiplicative replacement)", t_ours, t_ref,
            float(np.max(np.abs(ours - ref))), mem, "ref = clr(multi_replace)",
            floor="copy")  # fmt: skip

    # --- beta vs scikit-bio
    beta_kw = {"taxa": taxa, "tree": tree}
    sk_name = {"weighted_normalized_unifrac": "weighted_unifrac"}
    ours_matrices = {}
    beta_floor = {
        "braycurtis": "gemm64-taxa",
        "jaccard": "gemm32-taxa",
        "aitchison": "gemm64-taxa",
        "unweighted_unifrac": "gemm32-branches",
        "weighted_unifrac": "gemm64-branches",
        "weighted_normalized_unifrac": "gemm64-branches",
    }
    needed = set()
    if "beta" in only:
        needed |= set(beta_floor)
    if "striped" in only:
        needed |= {"unweighted_unifrac", "weighted_unifrac", "weighted_normalized_unifrac"}
    if only & {"pcoa", "permanova"}:
        needed.add("braycurtis")
    for metric in [m for m in beta_floor if m in needed]:
        kw = beta_kw if "unifrac" in metric else {}
        t_ours, _, ours = timed(
            lambda metric=metric, kw=kw: beta_diversity(metric, x, **kw), args.repeats
        )
        ours_matrices[metric] = ours
        mem = peak_mib(lambda metric=metric, kw=kw: beta_diversity(metric, x, **kw))
        if "beta" not in only:
            rows.append(dict(metric=f"beta {metric}", reference="-", ours_s=t_ours, peak_mib=mem))
            continue

        def ref_for(k, metric=metric):
            xs = x[:k]
            if metric == "aitchison":
                z = sk_clr(multi_replace(xs).reshape(xs.shape))
                return sk_beta("euclidean", z, validate=False).data
            if "unifrac" in metric:
                extra = {"normalized": True} if metric == "weighted_normalized_unifrac" else {}
                name = sk_name.get(metric, metric)
                return sk_beta(name, xs, taxa=taxa, tree=sk_tree, **extra).data
            return sk_beta(metric, xs).data

        t_ref, ref, note = reference_time(ref_for, n, args.max_ref_seconds, probe=min(n, 100))
        if ref is None:
            k = min(n, 100)
            sub = beta_diversity(metric, x[:k], **kw)
            diff = float(np.max(np.abs(sub - ref_for(k))))
            note += f"; diff on {k} samples"
        else:
            diff = float(np.nanmax(np.abs(ours - ref)))
        if metric == "aitchison":
            note = (note + "; ref = clr(multi_replace) + euclidean").strip("; ")
        add(f"beta {metric}", t_ours, t_ref, diff, mem, note, floor=beta_floor[metric])

    # --- beta vs Striped UniFrac
    for threads in args.striped_threads.split(",") if "striped" in only else []:
        if args.skip_striped:
            break
        names = [
            "unweighted", "unweighted_fp64",
            "weighted_normalized", "weighted_normalized_fp64",
            "weighted_unnormalized", "weighted_unnormalized_fp64",
        ]  # fmt: skip
        res = striped(x, newick, names, args.repeats, threads)
        if res is not None:
            threads = res.get("OMP_NUM_THREADS") or f"{res['cpus']} (all CPUs)"
            ours_of = {
                "unweighted": "unweighted_unifrac",
                "weighted_normalized": "weighted_normalized_unifrac",
                "weighted_unnormalized": "weighted_unifrac",
            }
            for name in names:
                base = name.removesuffix("_fp64")
                metric = ours_of[base]
                t_ours = next(r["ours_s"] for r in rows if r["metric"] == f"beta {metric}")
                mem = next(r["peak_mib"] for r in rows if r["metric"] == f"beta {metric}")
                diff = float(np.max(np.abs(ours_matrices[metric] - res[name + "_matrix"])))
                label = "Striped fp64" if name.endswith("_fp64") else "Striped (fp32 default)"
                add(f"beta {metric}", t_ours, STAT(res[name]), diff, mem,
                    f"Striped threads={threads}; ours 1 thread", reference=label,
                    floor=beta_floor[metric])  # fmt: skip

    # --- ordination
    d = ours_matrices.get("braycurtis")
    dm = DistanceMatrix(d) if d is not None else None
    if "pcoa" in only:
        from scipy.linalg.lapack import dsytrd, dsytrd_lwork

        b = -0.5 * d * d
        b -= b.mean(axis=0)
        b -= b.mean(axis=1)[:, None]
        # the blocked (BLAS-3) reduction needs its workspace: the wrapper's default is unblocked
        lwork = int(dsytrd_lwork(n, lower=1)[0])
        floors["sytrd"] = timed(lambda: dsytrd(b, lower=1, lwork=lwork), max(args.repeats, 3))[0]
    for label, n_axes in (("all axes", None), ("10 axes", 10)) if "pcoa" in only else ():
        dims = 0 if n_axes is None else n_axes
        t_ours, t_ref, ours, ref = paired(
            lambda n_axes=n_axes: pcoa(d, n_axes=n_axes),
            lambda dims=dims: sk_pcoa(DistanceMatrix(d), dimensions=dims),
            args.repeats,
        )
        mem = peak_mib(lambda n_axes=n_axes: pcoa(d, n_axes=n_axes))
        k = min(10, ours.coordinates.shape[1])
        a, b = ours.coordinates[:, :k], ref.samples.values[:, :k]
        signs = np.sign((a * b).sum(axis=0))
        signs[signs == 0] = 1
        diff = max(
            float(np.max(np.abs(a - b * signs))),
            float(np.max(np.abs(ours.eigenvalues - ref.eigvals.values))),
        )
        add(f"pcoa ({label}, Bray-Curtis)", t_ours, t_ref, diff, mem,
            "diff: first 10 axes up to sign + eigenvalues", floor="sytrd")  # fmt: skip
    if "permanova" in only:
        groups = np.random.default_rng(2).integers(0, 3, n).astype(str)
        floors["gemm64-permanova"] = gemm_floor(n, n, 999 * 2, np.float64, args.repeats)
        t_ours, t_ref, ours, ref = paired(
            lambda: permanova(d, groups, permutations=999, seed=0),
            lambda: sk_permanova(dm, groups, permutations=999, seed=0),
            args.repeats,
        )
        mem = peak_mib(lambda: permanova(d, groups, permutations=999, seed=0))
        diff = abs(ours.test_statistic - ref["test statistic"])
        add("permanova (999 perms, 3 groups)", t_ours, t_ref, diff, mem,
            f"diff: pseudo-F; p ours {ours.p_value:.3f} vs skbio {ref['p-value']:.3f}",
            floor="gemm64-permanova")  # fmt: skip

    # --- large run
    if not args.skip_large and "large" in only:
        big = args.large_samples
        print(f"# large: {big} samples x {m} taxa", flush=True)
        xl = make_table(big, m, seed=5)
        for metric in ("braycurtis", "unweighted_unifrac"):
            kw = beta_kw if "unifrac" in metric else {}
            t_ours, _, ours = timed(
                lambda metric=metric, kw=kw: beta_diversity(metric, xl, **kw), 1
            )
            mem = peak_mib(lambda metric=metric, kw=kw: beta_diversity(metric, xl, **kw))
            small = next(r for r in rows if r["metric"] == f"beta {metric}" and
                         r["reference"] == "scikit-bio")  # fmt: skip
            est = small["ref_s"] * (big / n) ** 2
            add(f"beta {metric} [{big} samples]", t_ours, est, float("nan"), mem,
                f"skbio not run (too slow): n^2 extrapolation of the {n}-sample time")  # fmt: skip
            if metric == "unweighted_unifrac" and not args.skip_striped:
                res = striped(xl, newick, ["unweighted"], 1)
                if res is not None:
                    diff = float(np.max(np.abs(ours - res["unweighted_matrix"])))
                    threads = res.get("OMP_NUM_THREADS") or f"{res['cpus']} (all CPUs)"
                    add(f"beta {metric} [{big} samples]", t_ours, statistics.median(res["unweighted"]),
                        diff, mem, f"threads={threads}", reference="Striped (fp32 default)")  # fmt: skip
            del ours

    # --- report
    stamp = datetime.date.today().isoformat()
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    header = (
        f"Holobiont diversity benchmark, {stamp}; {n} samples x {m} taxa "
        f"(large run: {'skipped' if args.skip_large else args.large_samples} samples); "
        f"{machine}; Python {platform.python_version()}; repeats={args.repeats} ({args.stat})"
    )
    rows = [r for r in rows if r["reference"] != "-"]
    lines = [
        f"<!-- {header} -->",
        "| metric | reference | ours (s) | theirs (s) | ratio (theirs/ours) | floor (s) "
        "| ours / floor | max abs diff | our peak MiB (tracemalloc) | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        floor = f"{r['floor_s']:.3g} ({r['floor']})" if r["floor"] else "-"
        over = f"{r['ours_over_floor']:.1f}" if r["floor"] else "-"
        lines.append(
            f"| {r['metric']} | {r['reference']} | {r['ours_s']:.3f} | {r['ref_s']:.3f} | "
            f"{r['ratio']:.1f} | {floor} | {over} | {r['max_abs_diff']:.1e} | "
            f"{r['peak_mib']:.0f} | {r['note']} |"
        )
    table = "\n".join(lines)
    print()
    print(header)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    tag = "quick" if args.quick else f"{n}x{m}"
    (args.out / f"bench_diversity_{tag}.md").write_text(header + "\n\n" + table + "\n")
    with open(args.out / f"bench_diversity_{tag}.tsv", "w") as fh:
        keys = list(rows[0])
        fh.write("\t".join(keys) + "\n")
        for r in rows:
            fh.write("\t".join(str(r[k]) for k in keys) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
