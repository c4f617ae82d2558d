"""Benchmark: the analytical inversion solver against the dense numpy formula.

Run:  python bench/inversion.py [--n 2000] [--m 1000000] [--chunk 20000] [--skip-dense]

Both solve the same problem: a Jacobian K (m x n, seeded random, generated in chunks),
diagonal S_o, diagonal S_a. openmrv accumulates KᵀS_o⁻¹K chunk by chunk (memory O(n²) +
one chunk); the dense baseline holds the whole K in memory (m x n x 8 bytes: 16 GB at the
default size) and evaluates the textbook formula with numpy. Prints seconds, peak traced
memory, the achieved GFLOP/s of the accumulation (2·m·n² flops) and, as the physical
limit, this machine's measured matrix-multiply rate (numpy/BLAS dgemm on 4000 x 4000).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from openmrv.estimate.inversion import accumulate, solve


def chunks(n: int, m: int, size: int, seed: int = 1):
    """The same K, Δy in chunks (each chunk from its own seeded stream)."""
    truth = np.random.default_rng(seed).uniform(0.5, 1.5, n)
    for i, start in enumerate(range(0, m, size)):
        rng = np.random.default_rng([seed, i])
        k = rng.uniform(0.0, 1.0, (min(size, m - start), n)) * 0.05
        dy = k @ (truth - 1.0) + 10.0 * rng.standard_normal(k.shape[0])
        yield k, dy, 10.0


def matmul_rate(size: int = 6000, repeats: int = 3) -> float:
    """Best of ``repeats`` dgemm runs on size x size matrices [GFLOP/s]."""
    a = np.random.default_rng(0).standard_normal((size, size))
    a @ a  # warm up
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best / 1e9


def generation_time(n: int, m: int, size: int) -> float:
    """Seconds spent only generating the chunks (subtracted from the solver's time)."""
    t0 = time.perf_counter()
    for _ in chunks(n, m, size):
        pass
    return time.perf_counter() - t0


def run_openmrv(n: int, m: int, size: int):
    t_gen = generation_time(n, m, size)
    tracemalloc.start()
    t0 = time.perf_counter()
    ne = accumulate(chunks(n, m, size))
    t_acc = time.perf_counter() - t0 - t_gen
    post = solve(ne, np.ones(n), np.full(n, 0.25))
    total = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**30
    tracemalloc.stop()
    return post, t_acc, total, peak


def run_dense(n: int, m: int, size: int):
    tracemalloc.start()
    t0 = time.perf_counter()
    k = np.empty((m, n))  # the whole Jacobian in memory (m x n x 8 bytes)
    dy = np.empty(m)
    for i, (kc, dc, _) in enumerate(chunks(n, m, size)):
        k[i * size : i * size + len(dc)] = kc
        dy[i * size : i * size + len(dc)] = dc
    t_gen = time.perf_counter() - t0
    t1 = time.perf_counter()
    so_inv = 1.0 / 10.0**2
    s_hat = np.linalg.inv(k.T @ k * so_inv + np.diag(np.full(n, 4.0)))
    x_hat = 1.0 + s_hat @ (k.T @ dy) * so_inv
    t = time.perf_counter() - t1
    peak = tracemalloc.get_traced_memory()[1] / 2**30
    tracemalloc.stop()
    return x_hat, s_hat, t, t_gen, peak


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--m", type=int, default=1_000_000)
    p.add_argument("--chunk", type=int, default=20_000)
    p.add_argument("--skip-dense", action="store_true")
    a = p.parse_args()
    limit = matmul_rate()
    print(
        f"n = {a.n:,} elements, m = {a.m:,} observations, chunk {a.chunk:,}; "
        f"machine dgemm rate {limit:.1f} GFLOP/s (the limit)"
    )
    post, t_acc, total, peak = run_openmrv(a.n, a.m, a.chunk)
    flops = 1.0 * a.m * a.n**2  # useful flops of KᵀK by a symmetric rank-k update (syrk)
    print(f"{'solver':26} {'seconds':>8} {'peak GiB':>9} {'GFLOP/s':>8} {'of limit':>9}")
    print(
        f"{'openmrv (chunked syrk)':26} {t_acc:>8.1f} {peak:>9.2f} {flops / t_acc / 1e9:>8.1f} "
        f"{100 * flops / t_acc / 1e9 / limit:>8.0f}%   KᵀS_o⁻¹K accumulation; solve + K "
        f"generation {total - t_acc:.1f} s; DOFS {post.dofs:.1f}"
    )
    if not a.skip_dense:
        x_hat, s_hat, t, t_gen, dpeak = run_dense(a.n, a.m, a.chunk)
        print(
            f"{'dense numpy (whole K)':26} {t:>8.1f} {dpeak:>9.2f} {flops / t / 1e9:>8.1f} "
            f"{100 * flops / t / 1e9 / limit:>8.0f}%   textbook formula (numpy uses syrk for "
            f"K.T @ K); +{t_gen:.0f} s to build K in memory"
        )
        rel = np.max(np.abs(post.x_hat - x_hat) / np.abs(x_hat))
        print(
            f"max relative difference of x̂: {rel:.1e}; "
            f"of Ŝ diagonal: {np.max(np.abs(np.diag(post.s_hat) / np.diag(s_hat) - 1)):.1e}"
        )


if __name__ == "__main__":
    main()
