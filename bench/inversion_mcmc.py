"""Benchmark: openmrv's analytical inversion against openghg-inversions' MCMC (RHIME).

Run:  python bench/inversion_mcmc.py [--m 720 --n 100 --draws 5000 --tune 2000 --chains 2]
      [--sampler numpyro] [--peer-python /tmp/openghg_venv/bin/python] [--small]

One shared synthetic problem (seeded): m observations at 4 sites, n regions, H ≥ 0
[ppb per unit scale factor] decaying with a random site–region distance, truth drawn from
the prior, noise from the stated errors. Two priors both models express exactly:

- Gaussian: x ~ N(1, 0.5²) per region; y ~ N(H x, σ_o). openmrv's posterior is exact
  (``solve``); the MCMC estimates the same posterior from draws.
- Lognormal: ln x ~ N(0, σ_z²), σ_z for a 50 % relative error. openmrv: mode by
  Gauss-Newton/LM, Laplace covariance, means by sampling the Laplace Gaussian
  (``solve_lognormal``, 20,000 draws; row "laplace"), or exact draws by openmrv's
  Laplace-preconditioned HMC on the normal equations (``hmc_sample``, 200 chains at once,
  20,000 draws; row "hmc"). The MCMC samples the exact posterior, so the "laplace" row
  shows the bias of the Laplace approximation.

openghg-inversions runs in its own venv (its pins conflict with openmrv's) in a
subprocess, through ``build_inferpymc_model(..., use_bc=False, no_model_error=True)`` and
``sample``; the problem goes to it as an .npz in a temporary folder. Its import time is
reported apart. Prints a table: time, speed-up, largest relative difference of the
regional posterior means, the total's mean and sd. Goal: ≥ 100× faster, means within 2 %.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# openmrv's matrices here are small (100 x 100, 200 chains x 100): one BLAS thread; two
# threads thrash when other jobs share the cores. The peer keeps the original setting.
PEER_ENV = dict(os.environ)
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from openmrv.estimate.inversion import lognormal_sigma, solve, solve_lognormal  # noqa: E402
from openmrv.estimate.inversion.solver import normal_equations  # noqa: E402

HERE = Path(__file__).parent
PRIOR_SIGMA = 0.5  # relative prior error of the scale factors (IMI's default, PEERS.md)
OBS_ERROR = 2.0  # ppb


def problem(m: int, n: int, prior: str, seed: int = 7):
    """Shared synthetic problem: H (m, n), y, σ_o, prior σ, truth."""
    rng = np.random.default_rng(seed)
    site = rng.integers(0, 4, m)
    dist = rng.uniform(0.2, 3.0, (4, n))  # site-region distance [arbitrary]
    h = rng.exponential(1.0, (m, n)) * np.exp(-dist[site] * 1.5) * 2.0
    if prior == "normal":
        sig = PRIOR_SIGMA
        truth = 1.0 + sig * rng.standard_normal(n)
    else:
        sig = float(lognormal_sigma(PRIOR_SIGMA))
        truth = np.exp(sig * rng.standard_normal(n))
    err = np.full(m, OBS_ERROR)
    y = h @ truth + err * rng.standard_normal(m)
    return h, y, err, sig, truth


def ours(h, y, err, sig, prior: str, method: str = "hmc"):
    """openmrv: returns (time [s], regional means, total mean, total sd)."""
    n = h.shape[1]
    x_a = np.ones(n)
    t0 = time.perf_counter()
    ne = normal_equations(h, y - h @ x_a, err)
    if prior == "normal":
        post = solve(ne, x_a, np.full(n, sig**2))
        mean = post.x_hat
        _, _, tot, tot_sd = post.total(np.ones(n))
    else:
        post = solve_lognormal(ne, x_a, np.full(n, sig**2))
        draws = post.hmc_sample(20_000, seed=1)[0] if method == "hmc" else post.sample(20_000, 1)
        mean = draws.mean(0)
        tot, tot_sd = float(draws.sum(1).mean()), float(draws.sum(1).std())
    return time.perf_counter() - t0, mean, tot, tot_sd


def peer(h, y, err, sig, prior, args):
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "problem.npz", Path(tmp) / "draws.npz"
        np.savez(src, H=h, y=y, y_error=err, prior_sigma=sig)
        cmd = [
            args.peer_python,
            str(HERE / "_openghg_mcmc.py"),
            str(src),
            str(out),
            prior,
            args.sampler,
            str(args.draws),
            str(args.tune),
            str(args.chains),
        ]
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env=PEER_ENV)
        wall = time.perf_counter() - t0
        if res.returncode != 0:
            raise RuntimeError(f"peer failed:\n{res.stderr[-3000:]}")
        info = json.loads(res.stdout.strip().splitlines()[-1])
        x = np.load(out)["x"]
    return info, wall, x


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--m", type=int, default=720)
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--draws", type=int, default=5000)
    p.add_argument("--tune", type=int, default=2000)
    p.add_argument("--chains", type=int, default=2)
    p.add_argument("--sampler", default="numpyro", choices=["numpyro", "pymc"])
    p.add_argument("--peer-python", default="/tmp/openghg_venv/bin/python")
    p.add_argument("--small", action="store_true", help="120 obs x 20 regions, short chains")
    a = p.parse_args()
    if a.small:
        a.m, a.n, a.draws, a.tune = 120, 20, 1000, 500
    if not Path(a.peer_python).exists():
        sys.exit(
            f"peer python {a.peer_python} not found: install openghg-inversions 0.7.4 in "
            "its own venv (see bench/inversion_mcmc.py)"
        )
    print(
        f"m = {a.m} observations, n = {a.n} regions; peer: openghg-inversions RHIME, "
        f"{a.sampler} NUTS, {a.chains} chains x ({a.tune} tune + {a.draws} draws)"
    )
    head = (
        f"{'prior, method':18} {'openmrv s':>10} {'peer s':>8} {'speed-up':>9} "
        f"{'max |Δmean|/mean':>17} {'max |Δmean|/sd':>15} {'total ours':>15} {'total peer':>15}"
    )
    print(head)
    for prior, method in (("normal", ""), ("lognormal", "laplace"), ("lognormal", "hmc")):
        h, y, err, sig, _truth = problem(a.m, a.n, prior)
        ours(h, y, err, sig, prior, method)  # warm-up (imports, BLAS threads)
        t_ours, mean, tot, tot_sd = min(
            (ours(h, y, err, sig, prior, method) for _ in range(3)), key=lambda r: r[0]
        )
        if method != "hmc":  # the hmc row compares with the same peer run
            info, _, x = peer(h, y, err, sig, prior, a)
        t_peer = info["build_s"] + info["sample_s"]
        pm, psd = x.mean(0), x.std(0)
        rel = np.max(np.abs(mean - pm) / np.abs(pm))
        in_sd = np.max(np.abs(mean - pm) / psd)
        pt, pts = x.sum(1).mean(), x.sum(1).std()
        label = f"{prior} {method}".strip()
        print(
            f"{label:18} {t_ours:>10.4f} {t_peer:>8.1f} {t_peer / t_ours:>8.0f}x "
            f"{100 * rel:>16.2f}% {in_sd:>15.3f} {tot:>8.2f}±{tot_sd:<6.2f} "
            f"{pt:>8.2f}±{pts:<6.2f}"
        )
        print(
            f"{'':18} peer import {info['import_s']:.1f} s (not counted); model build "
            f"{info['build_s']:.1f} s, sampling {info['sample_s']:.1f} s, {info['draws']} draws"
        )


if __name__ == "__main__":
    main()
