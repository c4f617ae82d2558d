"""Hamiltonian Monte Carlo for the lognormal posterior, with convergence diagnostics and
zero-variance control variates for posterior means.

Target: the exact posterior of z (ln x on lognormal elements, x elsewhere) for a forward
model linear in x, written with the normal equations only (G = KᵀS_o⁻¹K, b = KᵀS_o⁻¹Δy):

.. math::
    E(z) = \\tfrac{γ}{2}[Δy^T S_o^{-1} Δy − 2 d^T b + d^T G d]
           + \\tfrac12 (z − z_a)^T S_a^{-1} (z − z_a), \\qquad d = x(z) − x_a,

so π(z) ∝ exp(−E). The mass matrix is the inverse Laplace covariance Ŝ⁻¹ (momentum
p ~ N(0, Ŝ⁻¹), velocity Ŝp): where the posterior is close to its Laplace Gaussian the
sampler sees a nearly isotropic unit Gaussian and a trajectory of length ≈ π/2 gives a
nearly independent draw (for a unit Gaussian the exact flow is z(t) = z₀ cos t + v sin t).
All chains advance together as one (chains, n) matrix; each leapfrog step costs two
matrix products (velocity Ŝp and Gd; a third when S_a is not diagonal) and no Python
loop over elements. Chains start from Laplace draws, so a short warm-up (step-size
adaptation toward 60–90 % acceptance) suffices; the step is jittered ±20 % per iteration.

Posterior means use zero-variance control variates (Mira, Solgi & Imparato 2013; Stein's
identity): for any smooth φ with E_π[∇·φ + φ·∇ln π] = 0, regressing f on such terms
and subtracting the fit leaves the mean unchanged and removes the variance the terms
explain. Two families: the score s = −∇E (constant φ; removes the part of f linear in
z) and, per element i, q_i = Ŝ_ii + (z_i − ẑ_i)(Ŝ s)_i (φ = Ŝ e_i (z_i − ẑ_i); for a
Gaussian posterior q_i = Ŝ_ii − (z_i − ẑ_i)², the quadratic part of exp(z_i)). The
coefficients are fitted by least squares on the same draws (bias O(p/N), p = 2n
regressors, N draws). Standard errors, effective sample sizes and split R-hat come from
the chains: batch means with one batch per chain.

References
----------
Neal, R. M. (2011), MCMC using Hamiltonian dynamics, Handbook of MCMC, ch. 5.
Mira, A., Solgi, R. & Imparato, D. (2013), Zero variance Markov chain Monte Carlo for
Bayesian estimators, Stat. Comput. 23, 653-662, doi:10.1007/s11222-012-9344-6.
Gelman, A. et al. (2013), Bayesian Data Analysis, 3rd ed., §11.4-11.5 (R-hat, n_eff).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular


@dataclass
class Target:
    """The posterior of z on the normal equations (see the module docstring)."""

    z_hat: np.ndarray  # Laplace mode
    s_hat: np.ndarray  # Laplace covariance (the inverse mass matrix)
    x_a: np.ndarray
    z_a: np.ndarray
    sa_inv: np.ndarray  # inverse prior covariance of z, (n, n)
    lognormal: np.ndarray  # bool mask
    ktk: np.ndarray
    ktdy: np.ndarray
    dyy: float
    gamma: float


@dataclass
class HMCResult:
    """Draws and diagnostics of one :func:`sample` run.

    Attributes
    ----------
    x
        Draws of x, (iterations, chains, n): iteration-major, one column per chain.
    mean
        Posterior mean of x with control variates (n,).
    mean_raw
        Plain average of the draws (n,).
    sd
        Posterior standard deviation of x (n,), from the control-variate means of x and
        of (x − mean_raw)².
    se
        Monte Carlo standard error of ``mean`` (n,), from the chains' means of the
        control-variate residuals.
    ess
        Effective sample size of the plain mean (n,): chains × var(x) / var(chain means).
    ess_cv
        Equivalent independent draws for ``mean``: var(x) / se² (n,).
    rhat
        Split R-hat per element (n,) (Gelman et al. 2013; 1.00 when converged).
    acceptance
        Mean Metropolis acceptance after warm-up.
    step
        Final leapfrog step (in the whitened scale) and steps per trajectory.
    """

    x: np.ndarray
    mean: np.ndarray
    mean_raw: np.ndarray
    sd: np.ndarray
    se: np.ndarray
    ess: np.ndarray
    ess_cv: np.ndarray
    rhat: np.ndarray
    acceptance: float
    step: tuple[float, int]
    _regressors: np.ndarray  # (iterations, chains, p), centred control variates

    @property
    def draws(self) -> np.ndarray:
        """Draws of x as (size, n)."""
        return self.x.reshape(-1, self.x.shape[-1])

    def expect(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Control-variate posterior mean and its standard error of a function of x,
        given its values at the draws, (iterations, chains) or (iterations, chains, k)."""
        return _cv_mean(np.asarray(values, dtype=float), self._regressors)


def sample(
    t: Target,
    draws: int,
    seed: int = 0,
    chains: int = 250,
    warmup: int = 6,
    trajectory: float = 2.2,
    step_size: float | None = None,
) -> HMCResult:
    """Draw ≥ ``draws`` samples of x from the exact posterior by HMC (see module doc).

    Parameters
    ----------
    t
        The target.
    draws
        Number of kept draws (rounded up to whole iterations of all chains).
    seed
        Seed of the generator (draws are reproducible).
    chains
        Chains advanced together; at least 4 (split R-hat and batch means need several).
    warmup
        Iterations discarded while the step size adapts.
    trajectory
        Trajectory length in the whitened scale: π/2 ≈ 1.57 decorrelates a unit
        Gaussian, 2.2 (default) anti-correlates successive draws (cos 2.2 = −0.59), which
        raises the effective sample size of means.
    step_size
        Initial leapfrog step in the whitened scale; default 1.3 n^(-1/4).
    """
    n = t.z_hat.size
    chains = max(4, int(chains))
    rng = np.random.default_rng(seed)
    low = np.linalg.cholesky((t.s_hat + t.s_hat.T) / 2)
    low_inv = solve_triangular(low, np.eye(n), lower=True)  # p = ξ L⁻¹ ~ N(0, Ŝ⁻¹)
    s_hat = low @ low.T
    diag_prior = np.count_nonzero(t.sa_inv - np.diag(np.diag(t.sa_inv))) == 0
    sa_diag = np.diag(t.sa_inv).copy()
    all_log = bool(np.all(t.lognormal))
    gam, g, b = t.gamma, t.ktk, t.ktdy

    def grad(z):
        """∂E/∂z, with d = x − x_a and Gd for the energy."""
        x = np.exp(z) if all_log else np.where(t.lognormal, np.exp(np.where(t.lognormal, z, 0)), z)
        d = x - t.x_a
        gd = d @ g
        dz = z - t.z_a
        sdz = dz * sa_diag if diag_prior else dz @ t.sa_inv
        r = gd - b
        gz = gam * (r * x if all_log else np.where(t.lognormal, x, 1.0) * r) + sdz
        return gz, x, d, gd, sdz

    def energy(d, gd, dz, sdz):
        quad = np.einsum("ij,ij->i", d, gd - 2 * b)
        return gam * (t.dyy + quad) / 2 + np.einsum("ij,ij->i", dz, sdz) / 2

    eps = 1.3 * n**-0.25 if step_size is None else float(step_size)
    z = t.z_hat + rng.standard_normal((chains, n)) @ low.T
    gz, x, d, gd, sdz = grad(z)
    e = energy(d, gd, z - t.z_a, sdz)
    iterations = warmup + -(-draws // chains)
    keep_z = np.empty((iterations - warmup, chains, n))
    keep_g = np.empty_like(keep_z)
    keep_x = np.empty_like(keep_z)
    rates = []
    steps = max(2, round(trajectory / eps))
    for it in range(iterations):
        h = eps * rng.uniform(0.8, 1.2)
        xi = rng.standard_normal((chains, n))
        p = xi @ low_inv
        h0 = e + 0.5 * np.einsum("ij,ij->i", xi, xi)
        zn, pn, gn = z, p - 0.5 * h * gz, gz
        with np.errstate(over="ignore", invalid="ignore"):  # divergent paths: rejected
            for s in range(steps):
                zn = zn + h * (pn @ s_hat)
                gn, xn, dn, gdn, sdzn = grad(zn)
                if s < steps - 1:
                    pn = pn - h * gn
            pn = pn - 0.5 * h * gn
            en = energy(dn, gdn, zn - t.z_a, sdzn)
            h1 = en + 0.5 * np.einsum("ij,ij->i", pn @ s_hat, pn)
            acc = np.log(rng.uniform(size=chains)) < np.nan_to_num(h0 - h1, nan=-np.inf)
        z = np.where(acc[:, None], zn, z)
        e = np.where(acc, en, e)
        gz = np.where(acc[:, None], gn, gz)
        x = np.where(acc[:, None], xn, x)
        rate = float(acc.mean())
        if it < warmup:
            eps *= 0.8 if rate < 0.6 else (1.1 if rate > 0.9 else 1.0)
            steps = max(2, round(trajectory / eps))
        else:
            k = it - warmup
            keep_z[k], keep_g[k], keep_x[k] = z, gz, x
            rates.append(rate)
    return _summarise(keep_x, keep_z, keep_g, t.z_hat, s_hat, float(np.mean(rates)), (eps, steps))


def _summarise(x, z, gz, z_hat, s_hat, acceptance, step) -> HMCResult:
    """Means with control variates, standard errors, ESS and split R-hat."""
    score = -gz
    quad = np.diag(s_hat) + (z - z_hat) * (score @ s_hat)
    regs = np.concatenate([score, quad], axis=-1)  # Stein terms: mean 0 under π
    n = x.shape[-1]
    mean_raw = x.mean(axis=(0, 1))
    var = x.var(axis=(0, 1))
    chains = x.shape[1]
    ess = chains * var / np.maximum(x.mean(axis=0).var(axis=0), 1e-300)
    moments, se2 = _cv_mean(np.concatenate([x, (x - mean_raw) ** 2], axis=-1), regs)
    mean, se = moments[:n], se2[:n]
    sd = np.sqrt(np.maximum(moments[n:] - (mean - mean_raw) ** 2, 0.0))
    return HMCResult(
        x=x,
        mean=mean,
        mean_raw=mean_raw,
        sd=sd,
        se=se,
        ess=np.minimum(ess, x.shape[0] * chains * 10.0),
        ess_cv=var / np.maximum(se**2, 1e-300),
        rhat=split_rhat(x),
        acceptance=acceptance,
        step=step,
        _regressors=regs,
    )


def _cv_mean(values: np.ndarray, regs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``values`` (iterations, chains[, k]) minus its least-squares fit on the
    control variates ``regs`` (iterations, chains, p; expectation 0 under the posterior),
    the coefficients fitted to the centred draws; standard error from the chains' means
    of the residuals."""
    scalar = values.ndim == 2
    f = values[..., None] if scalar else values
    it, ch, k = f.shape
    a = regs.reshape(it * ch, -1)
    fc = f.reshape(it * ch, k)
    ac = a - a.mean(0)
    gram = ac.T @ ac
    scale = np.sqrt(np.maximum(np.diag(gram), 1e-300))
    coef = np.linalg.lstsq(gram / np.outer(scale, scale), (ac.T @ fc) / scale[:, None])[0]
    resid = (fc - a @ (coef / scale[:, None])).reshape(it, ch, k)
    mean = resid.mean(axis=(0, 1))
    se = resid.mean(axis=0).std(axis=0, ddof=1) / np.sqrt(ch)
    return (mean[0], se[0]) if scalar else (mean, se)


def split_rhat(x: np.ndarray) -> np.ndarray:
    """Split R-hat (Gelman et al. 2013, §11.4) of draws (iterations, chains, n)."""
    half = x.shape[0] // 2
    if half < 2:
        return np.full(x.shape[-1], np.nan)
    parts = np.concatenate([x[:half], x[half : 2 * half]], axis=1)  # (half, 2·chains, n)
    w = parts.var(axis=0, ddof=1).mean(axis=0)
    b = half * parts.mean(axis=0).var(axis=0, ddof=1)
    var_plus = (half - 1) / half * w + b / half
    return np.sqrt(var_plus / np.maximum(w, 1e-300))
