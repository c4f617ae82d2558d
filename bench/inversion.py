"""Benchmark: the analytical inversion solver against the dense numpy formula.

Run:  python bench/inversion.py [--n 2000] [--m 1000000] [--chunk 32768] [--pool 2]
      [--skip-dense] [--small]

Both solve the same problem: a Jacobian K (m x n), diagonal S_o (one error), diagonal
S_a. K is made of ``pool`` distinct seeded random chunks of ``chunk`` rows, generated
once before any timing and reused in turn (chunk i is ``pool[i % pool]``), so the
timings measure the solver, not random-number generation; reading real chunks from
files would overlap with the arithmetic the same way.

- openmrv: ``Accumulator`` adds KᵀS_o⁻¹K chunk by chunk with an in-place BLAS ``dsyrk``
  (lower triangle, β = 1) on the C-ordered chunk seen as a Fortran-ordered Kᵀ, no copy;
  memory O(n²) + the chunk it is handed.
- dense: the whole K in memory (m x n x 8 bytes: 16 GB at the default size), the
  textbook formula with numpy (``K.T @ K`` is a syrk inside numpy).

The physical limit is this machine's matrix-multiply rate, measured in the same run
right before each timed solver (dgemm on 4000 x 4000, best of 3), because other jobs may
share the cores. Useful flops of KᵀK by syrk: m·n² (half of a general product's 2·m·n²).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from openmrv.estimate.inversion import Accumulator, solve

SIGMA_O = 10.0  # observation error [ppb] of the synthetic problem
PRIOR_VAR = 0.25  # prior variance of the scale factors (50 % error)


def make_pool(n: int, size: int, pool: int, seed: int = 1):
    """``pool`` distinct chunks (K, Δy) of ``size`` rows, C-ordered."""
    truth = np.random.default_rng(seed).uniform(0.5, 1.5, n)
    out = []
    for i in range(pool):
        rng = np.random.default_rng([seed, i])
        k = rng.random((size, n)) * 0.05
        dy = k @ (truth - 1.0) + SIGMA_O * rng.standard_normal(size)
        out.append((k, dy))
    return out


def stream(pool, m: int):
    """The chunks of K in order: pool[i % len(pool)], the last one cut to m."""
    size = pool[0][0].shape[0]
    for i, start in enumerate(range(0, m, size)):
        k, dy = pool[i % len(pool)]
        rows = min(size, m - start)
        yield (k, dy) if rows == size else (k[:rows], dy[:rows])


def matmul_rate(size: int = 4000, repeats: int = 3) -> float:
    """Best of ``repeats`` dgemm runs on size x size matrices [GFLOP/s]."""
    a = np.random.default_rng(0).standard_normal((size, size))
    a @ a  # warm up
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best / 1e9


def run_openmrv(pool, n: int, m: int):
    tracemalloc.start()
    t0 = time.perf_counter()
    acc = Accumulator()
    for k, dy in stream(pool, m):
        acc.add(k, dy, SIGMA_O)
    ne = acc.result()
    t_acc = time.perf_counter() - t0
    post = solve(ne, np.ones(n), np.full(n, PRIOR_VAR))
    t_all = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**30
    tracemalloc.stop()
    return post, t_acc, t_all, peak


def run_dense(pool, n: int, m: int):
    tracemalloc.start()
    t0 = time.perf_counter()
    k = np.empty((m, n))  # the whole Jacobian in memory
    dy = np.empty(m)
    row = 0
    for kc, dc in stream(pool, m):
        k[row : row + len(dc)] = kc
        dy[row : row + len(dc)] = dc
        row += len(dc)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    ktk = k.T @ k
    t_ktk = time.perf_counter() - t1
    so_inv = 1.0 / SIGMA_O**2
    s_hat = np.linalg.inv(ktk * so_inv + np.diag(np.full(n, 1 / PRIOR_VAR)))
    x_hat = 1.0 + s_hat @ (k.T @ dy) * so_inv
    t_all = time.perf_counter() - t1
    peak = tracemalloc.get_traced_memory()[1] / 2**30
    tracemalloc.stop()
    del k
    return x_hat, s_hat, t_ktk, t_all, t_build, peak


def available_gib() -> float:
    try:
        with open("/proc/meminfo") as fh:
            info = dict(line.split(":", 1) for line in fh)
        return int(info["MemAvailable"].split()[0]) / 2**20
    except (OSError, KeyError, ValueError):
        return float("inf")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--m", type=int, default=1_000_000)
    p.add_argument("--chunk", type=int, default=32_768)
    p.add_argument("--pool", type=int, default=2)
    p.add_argument("--skip-dense", action="store_true")
    p.add_argument("--small", action="store_true", help="n = 1,000, m = 100,000 (seconds)")
    a = p.parse_args()
    if a.small:
        a.n, a.m, a.chunk = 1000, 100_000, 16_384
    t0 = time.perf_counter()
    pool = make_pool(a.n, min(a.chunk, a.m), a.pool)
    t_gen = time.perf_counter() - t0
    flops = 1.0 * a.m * a.n**2  # useful flops of KᵀK by a symmetric rank-k update
    print(
        f"n = {a.n:,} elements, m = {a.m:,} observations, chunks of {a.chunk:,} rows "
        f"({a.pool} distinct, generated once in {t_gen:.1f} s, "
        f"{a.pool * a.chunk * a.n * 8 / 2**30:.2f} GiB); {os.cpu_count()} cores"
    )
    print(
        f"{'solver':24} {'KᵀK s':>7} {'total s':>8} {'peak GiB':>9} {'GFLOP/s':>8} "
        f"{'dgemm now':>9} {'of dgemm':>9}"
    )
    limit = matmul_rate()
    post, t_acc, t_all, peak = run_openmrv(pool, a.n, a.m)
    rate = flops / t_acc / 1e9
    print(
        f"{'openmrv (chunked syrk)':24} {t_acc:>7.1f} {t_all:>8.1f} {peak:>9.2f} {rate:>8.1f} "
        f"{limit:>9.1f} {100 * rate / limit:>8.0f}%"
    )
    if a.skip_dense:
        return
    need = a.m * a.n * 8 / 2**30 * 1.05
    if available_gib() < need:
        print(f"dense skipped: needs {need:.1f} GiB, {available_gib():.1f} GiB available")
        return
    limit_d = matmul_rate()
    x_hat, s_hat, t_ktk, t_dense, t_build, dpeak = run_dense(pool, a.n, a.m)
    rate_d = flops / t_ktk / 1e9
    print(
        f"{'dense numpy (whole K)':24} {t_ktk:>7.1f} {t_dense:>8.1f} {dpeak:>9.2f} "
        f"{rate_d:>8.1f} {limit_d:>9.1f} {100 * rate_d / limit_d:>8.0f}%   "
        f"+{t_build:.0f} s to assemble K in memory"
    )
    rel = np.max(np.abs(post.x_hat - x_hat) / np.abs(x_hat))
    print(
        f"openmrv / dense: time {t_acc / t_ktk:.2f}, memory {peak / dpeak:.3f}; max relative "
        f"difference of x̂ {rel:.1e}, of diag(Ŝ) "
        f"{np.max(np.abs(np.diag(post.s_hat) / np.diag(s_hat) - 1)):.1e}"
    )


if __name__ == "__main__":
    main()
