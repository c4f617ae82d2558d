"""Benchmark: the streaming inversion solver against dgemm and the dense numpy formula.

Run:  python bench/inversion.py [--n 2000] [--m 1000000] [--chunk 32768] [--rounds 3]
      [--dense-m M] [--syrk] [--no-memory] [--small]

One synthetic problem: a Jacobian K (m x n), diagonal S_o (one error), diagonal S_a. K is
made of ``pool`` (2) distinct seeded random chunks of ``chunk`` rows, generated once before
any timing and used in turn (chunk i is ``pool[i % pool]``), so the timings measure the
solver, not random-number generation (a reader handing chunks from files would overlap the
same way; it is not on the solver's critical path).

Each round, interleaved so that load drifting during the run touches every side alike:
1. dgemm: this machine's matrix-multiply rate now (numpy, 4000 x 4000, best of 2);
2. ours: ``Accumulator`` over the m rows and the posterior (``solve``): the blocked
   KᵀK update (off-diagonal column blocks by dgemm, diagonal blocks by syrk);
3. with ``--syrk``: the same with one ``dsyrk`` per chunk (the method before the blocked
   update), for comparison;
4. dense: the whole K (``dense-m`` rows) in memory and the textbook formula with numpy
   (``K.T @ K`` is numpy's syrk; then the explicit inverse); timed from a K already
   assembled (assembly, a copy of every row, is reported apart); ours is also timed on
   the same ``dense-m`` rows when ``dense-m`` differs from m.

Ratios per round: ours' rate (useful flops m·n², half a general product's 2·m·n²) over
the dgemm rate of the same round (goal >= 85 %), and dense time / ours' time on the same
rows (goal >= 1), both with the posterior (ours: ``solve``'s x̂, Ŝ, A, J_A, J_O and
condition estimates; dense: x̂ and Ŝ); and the same two for KᵀK alone (ours' accumulation
over the rows against dense's ``K.T @ K``). The median and the spread (min-max) over
rounds are printed.

Peak memory is measured in a separate pass, each solver in a fresh process (``VmHWM``
after less before the solver, the chunk pool already in memory): no timing in that pass.
``dense-m`` defaults to m when its K (m·n·8 bytes) fits in 60 % of the available memory,
else the largest multiple of the chunk that does.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from openmrv.estimate.inversion import Accumulator, solve, solver

SIGMA_O = 10.0  # observation error [ppb] of the synthetic problem
PRIOR_VAR = 0.25  # prior variance of the scale factors (50 % error)


def make_pool(n: int, size: int, pool: int = 2, seed: int = 1):
    """``pool`` distinct chunks (K, Δy) of ``size`` rows, C-ordered."""
    truth = np.random.default_rng(seed).uniform(0.5, 1.5, n)
    out = []
    for i in range(pool):
        rng = np.random.default_rng([seed, i])
        k = np.empty((size, n))
        rng.random(out=k)  # in place: no temporary of the chunk's size
        k *= 0.05
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


def matmul_rate(size: int = 4000, repeats: int = 2) -> float:
    """Best of ``repeats`` numpy dgemm runs on size x size matrices [GFLOP/s]."""
    a = np.random.default_rng(0).standard_normal((size, size))
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best / 1e9


def run_ours(pool, n: int, m: int, blocked: bool = True):
    """Accumulate and solve; (posterior, seconds in all, seconds to accumulate)."""
    saved = solver.BLOCK_COLUMNS
    solver.BLOCK_COLUMNS = saved if blocked else 10**9  # 10**9: one dsyrk per chunk
    try:
        t0 = time.perf_counter()
        acc = Accumulator()
        for k, dy in stream(pool, m):
            acc.add(k, dy, SIGMA_O)
        ne = acc.result()
        t_acc = time.perf_counter() - t0
        post = solve(ne, np.ones(n), np.full(n, PRIOR_VAR))
        return post, time.perf_counter() - t0, t_acc
    finally:
        solver.BLOCK_COLUMNS = saved


def assemble(pool, n: int, m: int):
    """The whole K and Δy in memory."""
    k = np.empty((m, n))
    dy = np.empty(m)
    row = 0
    for kc, dc in stream(pool, m):
        k[row : row + len(dc)] = kc
        dy[row : row + len(dc)] = dc
        row += len(dc)
    return k, dy


def run_dense(k, dy, n: int):
    """The textbook formula on the whole K; (x̂, Ŝ, seconds in all, seconds for KᵀK)."""
    t0 = time.perf_counter()
    so_inv = 1.0 / SIGMA_O**2
    ktk = k.T @ k
    t_ktk = time.perf_counter() - t0
    s_hat = np.linalg.inv(ktk * so_inv + np.diag(np.full(n, 1 / PRIOR_VAR)))
    x_hat = 1.0 + s_hat @ (k.T @ dy) * so_inv
    return x_hat, s_hat, time.perf_counter() - t0, t_ktk


def available_gib() -> float:
    try:
        with open("/proc/meminfo") as fh:
            info = dict(line.split(":", 1) for line in fh)
        return int(info["MemAvailable"].split()[0]) / 2**20
    except (OSError, KeyError, ValueError):
        return float("inf")


def dense_rows(a) -> int:
    """Rows of K the dense formula can hold (see the module docstring)."""
    fit = int(0.6 * available_gib() * 2**30 / (a.n * 8))
    return min(a.m, max(a.chunk, fit // a.chunk * a.chunk))


def spread(values) -> str:
    v = np.asarray(values)
    return f"{np.median(v):6.2f} [{v.min():.2f}-{v.max():.2f}]"


def memory_child(which: str, n: int, m: int, chunk: int) -> None:
    """Print the peak resident memory [MiB] one solver adds (run in a fresh process)."""
    pool = make_pool(n, min(chunk, m))
    try:  # reset the peak to the current resident size (Linux >= 4.0)
        Path("/proc/self/clear_refs").write_text("5")
        peak = lambda: _vm("VmHWM")  # noqa: E731
    except OSError:
        peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # noqa: E731
    before = peak()
    if which == "ours":
        run_ours(pool, n, m)
    else:
        k, dy = assemble(pool, n, m)
        run_dense(k, dy, n)
    after = peak()
    print((after - before) / 1024)


def _vm(field: str) -> int:
    """A field of /proc/self/status [KiB]."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(field)


def memory_pass(a, m_dense: int) -> None:
    print("\npeak memory (separate pass, fresh process each, VmHWM above the chunk pool):")
    for which, m in (("ours", a.m), ("dense", m_dense)):
        cmd = [sys.executable, __file__, "--memory-child", which, "--n", str(a.n)]
        cmd += ["--m", str(m), "--chunk", str(a.chunk)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        mib = float(out.stdout.split()[-1])
        print(
            f"  {which:6} m = {m:>9,}: {mib:8.0f} MiB  (n² sums {a.n**2 * 8 / 2**20:.0f} MiB, "
            f"one chunk {a.chunk * a.n * 8 / 2**20:.0f} MiB, K {m * a.n * 8 / 2**20:.0f} MiB)"
        )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--m", type=int, default=1_000_000)
    p.add_argument("--chunk", type=int, default=32_768)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--dense-m", type=int, default=0, help="rows for the dense formula")
    p.add_argument("--syrk", action="store_true", help="also time one dsyrk per chunk")
    p.add_argument("--no-memory", action="store_true", help="skip the memory pass")
    p.add_argument("--small", action="store_true", help="n = 2,000, m = 131,072 (minutes)")
    p.add_argument("--memory-child", choices=("ours", "dense"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.small:
        a.m = 131_072
    if a.memory_child:
        memory_child(a.memory_child, a.n, a.m, a.chunk)
        return
    m_dense = a.dense_m or dense_rows(a)
    pool = make_pool(a.n, min(a.chunk, a.m))
    print(
        f"n = {a.n:,}, m = {a.m:,} (dense formula: {m_dense:,} rows), chunks of {a.chunk:,} "
        f"rows, {a.rounds} rounds; {os.cpu_count()} cores, load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    rows = []
    for r in range(a.rounds):
        row = {"dgemm": matmul_rate()}
        post, t, t_acc = run_ours(pool, a.n, a.m)
        row["ours"] = a.m * a.n**2 / t / 1e9
        row["ours_acc"] = a.m * a.n**2 / t_acc / 1e9
        if a.syrk:
            _, t_s, _ = run_ours(pool, a.n, a.m, blocked=False)
            row["syrk"] = a.m * a.n**2 / t_s / 1e9
        k, dy = assemble(pool, a.n, m_dense)
        x_hat, s_hat, t_d, t_dk = run_dense(k, dy, a.n)
        del k
        if m_dense != a.m:
            post, t, t_acc = run_ours(pool, a.n, m_dense)
        row["dense"] = m_dense * a.n**2 / t_d / 1e9
        row["dense_over_ours"] = t_d / t
        row["ktk_dense_over_ours"] = t_dk / t_acc
        rows.append(row)
        print(
            f"round {r + 1}: dgemm {row['dgemm']:.1f} GFLOP/s, ours {row['ours']:.1f} "
            + (f"(one dsyrk per chunk {row['syrk']:.1f}) " if a.syrk else "")
            + f"dense {row['dense']:.1f}; dense time / ours {row['dense_over_ours']:.2f}; "
            f"load {os.getloadavg()[0]:.2f}"
        )
    print(f"\n{'ratio (median [min-max] over rounds)':44} {'value':>22} {'goal':>7}")
    table = [
        ("ours rate / dgemm rate", [r["ours"] / r["dgemm"] for r in rows], ">= 0.85"),
        ("  KᵀK alone: ours / dgemm", [r["ours_acc"] / r["dgemm"] for r in rows], ""),
        ("one dsyrk per chunk / dgemm", [r.get("syrk", 0) / r["dgemm"] for r in rows], ""),
        ("dense rate / dgemm rate", [r["dense"] / r["dgemm"] for r in rows], ""),
        ("dense time / ours (same rows)", [r["dense_over_ours"] for r in rows], ">= 1"),
        ("  KᵀK alone: dense / ours", [r["ktk_dense_over_ours"] for r in rows], ""),
    ]
    for name, values, goal in table:
        if a.syrk or "dsyrk" not in name:
            print(f"{name:44} {spread(values):>22} {goal:>7}")
    print(
        "rates GFLOP/s (median): dgemm {:.1f}, ours {:.1f}, dense {:.1f}".format(
            *(np.median([r[key] for r in rows]) for key in ("dgemm", "ours", "dense"))
        )
    )
    rel = np.max(np.abs(post.x_hat - x_hat) / np.abs(x_hat))
    rel_s = np.max(np.abs(np.diag(post.s_hat) / np.diag(s_hat) - 1))
    print(f"ours against dense: max relative difference x̂ {rel:.1e}, diag(Ŝ) {rel_s:.1e}")
    if not a.no_memory:
        memory_pass(a, m_dense)


if __name__ == "__main__":
    main()
