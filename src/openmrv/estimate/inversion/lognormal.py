"""Lognormal inversion: emission scale factors x = exp(z) with a Gaussian prior on z.

Emissions cannot be negative; a Gaussian prior on scale factors with a 50–100 % error
puts real probability below zero, and the analytical posterior can go negative where
the data pull down. Solving for z = ln x keeps every emission positive (Maasakkers et
al. 2019 use the same device). The forward model stays linear in x,
F(x) = F(x_a) + K (x − x_a), so it is non-linear in z and the posterior mode is found by
iteration. Elements not flagged lognormal (boundary conditions in ppb, which may be
negative) keep z = x.

Cost, with Δy = y − F(x_a), G = KᵀS_o⁻¹K, b = KᵀS_o⁻¹Δy (the normal equations, so the
memory stays O(n²) whatever the number of observations):

.. math::
    J(z) = γ\\,[Δy^T S_o^{-1} Δy − 2 d^T b + d^T G d] + (z − z_a)^T S_z^{-1} (z − z_a),
    \\qquad d = x(z) − x_a.

Gauss–Newton steps with the Levenberg–Marquardt damping λ (raised ×10 when a step does
not lower J, lowered ×10 when it does):

.. math::
    (γ D G D + S_z^{-1} + λ\\,\\mathrm{diag}) δ = γ D (b − G d) − S_z^{-1}(z − z_a),
    \\qquad D = \\mathrm{diag}(\\partial x/\\partial z).

The posterior is the Laplace approximation at the mode ẑ: a Gaussian in z with
covariance Ŝ_z = H⁻¹, H the exact Hessian of J/2 (the Gauss–Newton term plus the
curvature of exp, −γ diag(x ⊙ (b − G d)) on lognormal elements). Totals of x (a sum of
lognormals) have no closed form: they are sampled from N(ẑ, Ŝ_z) with a fixed seed.
Optionally the draws are importance-weighted by the exact posterior over the Laplace
density, w ∝ exp(−J(z)/2 + ½ εᵀε) for z = ẑ + Lε (self-normalised importance sampling;
J(z) needs only the normal equations). That removes the bias of the Gaussian
approximation where the posterior in z is skewed, but in many dimensions the weights
degenerate: check the effective sample size it returns.

Limits: the Laplace posterior is exact in the two limits (element unconstrained by the
data: the prior, Gaussian in z; element tightly constrained: Gaussian in x and in z). In
between the posterior in z is skewed and the Laplace mean of x is biased high; on the
benchmark's 720 × 100 problem the total came out 1.9 % (1.7 σ) above the MCMC's
(``bench/inversion_mcmc.py``, ``docs/inversion.md``). :meth:`LognormalPosterior.hmc_sample`
draws from the exact posterior (Hamiltonian Monte Carlo whitened by the Laplace
covariance, on the normal equations; :mod:`openmrv.estimate.inversion.hmc`) with
control-variate means, standard errors, ESS and R-hat; it matches that MCMC's means within
its sampling noise.

References
----------
Rodgers, C. D. (2000), Inverse Methods for Atmospheric Sounding, ch. 5, World Scientific.
Maasakkers, J. D. et al. (2019), Atmos. Chem. Phys. 19, 7859-7881,
doi:10.5194/acp-19-7859-2019.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import cho_solve

from openmrv.errors import InputError
from openmrv.estimate.inversion.hmc import HMCResult, Target
from openmrv.estimate.inversion.hmc import sample as hmc_draw
from openmrv.estimate.inversion.solver import (
    Diagnostics,
    IllConditionedError,
    NormalEquations,
    _check_state,
    _factor,
    no_sensitivity,
)


def lognormal_sigma(relative_error: ArrayLike) -> np.ndarray:
    """σ of ln x for a lognormal whose relative standard deviation is ``relative_error``:
    σ_z = sqrt(ln(1 + r²)) [1] (e.g. 0.5 → 0.472)."""
    r = np.asarray(relative_error, dtype=float)
    if np.any(r <= 0):
        raise InputError("relative prior errors must be positive", field="prior_error")
    return np.sqrt(np.log1p(r**2))


@dataclass
class LognormalPosterior:
    """Laplace posterior in z (ln of scale factors on lognormal elements, x elsewhere)."""

    x_a: np.ndarray
    z_a: np.ndarray
    s_a: np.ndarray  # prior covariance of z
    z_hat: np.ndarray
    s_hat: np.ndarray  # posterior covariance of z (Laplace)
    a: np.ndarray
    lognormal: np.ndarray  # bool mask
    gamma: float
    m: int
    j_a: float
    j_o: float
    iterations: int
    diagnostics: Diagnostics | None = None
    ne: NormalEquations | None = None  # kept for importance weights of the samples

    @property
    def x_hat(self) -> np.ndarray:
        """Posterior mode in z mapped to x: the posterior median of lognormal elements."""
        return _to_x(self.z_hat, self.lognormal)

    @property
    def x_mean(self) -> np.ndarray:
        """Posterior mean of x: exp(ẑ + σ²/2) on lognormal elements."""
        var = np.diag(self.s_hat)
        return np.where(self.lognormal, np.exp(self.z_hat + var / 2), self.z_hat)

    @property
    def dofs(self) -> float:
        """Degrees of freedom for signal, tr(A) in z."""
        return float(np.trace(self.a))

    @property
    def n(self) -> int:
        return int(self.z_a.size)

    def sample(self, size: int, seed: int = 0, prior: bool = False) -> np.ndarray:
        """``size`` draws of x (size, n) from the posterior (or the prior), seeded."""
        mean, cov = (self.z_a, self.s_a) if prior else (self.z_hat, self.s_hat)
        low = np.linalg.cholesky((cov + cov.T) / 2)
        z = mean + np.random.default_rng(seed).standard_normal((size, mean.size)) @ low.T
        return _to_x(z, self.lognormal)

    def weighted_sample(self, size: int, seed: int = 0):
        """Posterior draws of x (size, n) from the Laplace Gaussian with self-normalised
        importance weights toward the exact posterior: (draws, weights summing to 1,
        effective sample size)."""
        low = np.linalg.cholesky((self.s_hat + self.s_hat.T) / 2)
        eps = np.random.default_rng(seed).standard_normal((size, self.n))
        z = self.z_hat + eps @ low.T
        x = _to_x(z, self.lognormal)
        if self.ne is None:
            return x, np.full(size, 1.0 / size), float(size)
        d = x - self.x_a
        j_o = self.ne.dyy - 2 * d @ self.ne.ktdy + np.einsum("ij,ij->i", d @ self.ne.ktk, d)
        dz = z - self.z_a
        j_a = np.einsum("ij,ij->i", dz @ np.linalg.inv(self.s_a), dz)
        logw = -(self.gamma * j_o + j_a) / 2 + 0.5 * np.einsum("ij,ij->i", eps, eps)
        w = np.exp(logw - logw.max())
        w /= w.sum()
        return x, w, float(1.0 / (w @ w))

    def hmc(
        self,
        draws: int = 2000,
        seed: int = 0,
        chains: int = 250,
        warmup: int = 6,
        trajectory: float = 2.2,
    ) -> HMCResult:
        """Exact posterior by Hamiltonian Monte Carlo (:func:`hmc.sample`): the Laplace
        covariance as inverse mass matrix, all chains as one matrix, control-variate
        means, standard errors, effective sample sizes and split R-hat."""
        if self.ne is None:
            raise InputError("HMC needs the normal equations kept on the posterior", field="ne")
        target = Target(
            self.z_hat,
            self.s_hat,
            self.x_a,
            self.z_a,
            np.linalg.inv(self.s_a),
            self.lognormal,
            self.ne.ktk,
            self.ne.ktdy,
            self.ne.dyy,
            self.gamma,
        )
        return hmc_draw(target, draws, seed, chains, warmup, trajectory)

    def hmc_sample(
        self, size: int, seed: int = 0, chains: int = 250, warmup: int = 6
    ) -> tuple[np.ndarray, float]:
        """``size`` draws of x (size, n) from the exact posterior by :meth:`hmc`, and the
        mean acceptance rate."""
        res = self.hmc(size, seed, chains, warmup)
        return res.draws[:size], res.acceptance

    def total(
        self,
        weights: ArrayLike,
        samples: int = 20_000,
        seed: int = 0,
        method: Literal["laplace", "importance", "hmc"] = "laplace",
    ) -> tuple[float, float, float, float]:
        """Prior mean and sigma, posterior mean and sigma of a weighted sum of x
        (e.g. a sector total), by sampling with the full covariance: from the Laplace
        Gaussian, importance-weighted toward the exact posterior, or exact by HMC."""
        w = np.asarray(weights, dtype=float)
        pri = self.sample(samples, seed, prior=True) @ w
        if method == "importance":
            x, iw, _ = self.weighted_sample(samples, seed + 1)
        elif method == "hmc":  # control-variate mean and sd
            res = self.hmc(samples, seed + 1)
            tot = res.x @ w
            mean = float(res.expect(tot)[0])
            sd = float(np.sqrt(max(float(res.expect((tot - tot.mean()) ** 2)[0]), 0.0)))
            return float(pri.mean()), float(pri.std()), mean, sd
        elif method == "laplace":
            x, iw = self.sample(samples, seed + 1), np.full(samples, 1.0 / samples)
        else:
            raise InputError(
                f"method '{method}' unknown; use 'laplace', 'importance' or 'hmc'", field="method"
            )
        post = x @ w
        mean = float(iw @ post)
        return float(pri.mean()), float(pri.std()), mean, float(np.sqrt(iw @ (post - mean) ** 2))


def _to_x(z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask, np.exp(np.where(mask, z, 0.0)), z)


def _cost(ne, gamma, x_a, z_a, sa_chol, z, mask):
    d = _to_x(z, mask) - x_a
    j_o = ne.dyy - 2 * d @ ne.ktdy + d @ ne.ktk @ d
    dz = z - z_a
    j_a = dz @ cho_solve(sa_chol, dz)
    return float(gamma * j_o + j_a), float(j_o), float(j_a)


def solve_lognormal(
    ne: NormalEquations,
    x_a: ArrayLike,
    s_a: ArrayLike,
    gamma: float = 1.0,
    lognormal: ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> LognormalPosterior:
    """Posterior mode and Laplace covariance of z = ln x (lognormal elements).

    Parameters
    ----------
    ne
        Normal equations accumulated with Δy = y − F(x_a).
    x_a
        Prior state: the point at which F was evaluated, and the prior median of the
        lognormal elements (z_a = ln x_a there; they must be > 0).
    s_a
        Prior covariance of z, (n, n) or its diagonal (n,): [1] (of ln x) on lognormal
        elements (see :func:`lognormal_sigma`), state units elsewhere.
    gamma
        Regularisation parameter γ (> 0).
    lognormal
        Boolean mask (n,) of the lognormal elements; default all.
    max_iter, tol
        Iteration limit; convergence when the largest step in z is below ``tol``
        (relative to 1 + |z|) or J stops decreasing.

    Raises
    ------
    IllConditionedError
        Singular prior or Hessian (with the condition estimate and the elements without
        sensitivity), or no convergence within ``max_iter``.
    """
    x_a = np.asarray(x_a, dtype=float)
    n = x_a.size
    mask = np.ones(n, bool) if lognormal is None else np.asarray(lognormal, dtype=bool)
    s_a = np.asarray(s_a, dtype=float)
    if s_a.ndim == 1:
        s_a = np.diag(s_a)
    _check_state(ne, x_a, s_a)
    if mask.shape != (n,):
        raise InputError(
            f"lognormal mask has shape {mask.shape}, expected ({n},)", field="lognormal"
        )
    if np.any(x_a[mask] <= 0):
        bad = np.flatnonzero(mask & (x_a <= 0))
        raise InputError(
            f"lognormal elements need a positive prior; elements {bad[:10].tolist()} are <= 0",
            field="x_a",
        )
    if not gamma > 0:
        raise InputError(f"gamma must be positive, got {gamma}", field="gamma")
    no_sens = no_sensitivity(ne)
    ca, rc_a = _factor(s_a, "prior covariance", no_sens)
    sa_inv = cho_solve(ca, np.eye(n))
    z_a = np.where(mask, np.log(np.where(mask, x_a, 1.0)), x_a)
    z = z_a.copy()
    cost = _cost(ne, gamma, x_a, z_a, ca, z, mask)[0]
    lam, iterations = 0.0, 0
    for _ in range(max_iter):
        iterations += 1
        x = _to_x(z, mask)
        dvec = np.where(mask, x, 1.0)
        resid = ne.ktdy - ne.ktk @ (x - x_a)
        hess = gamma * ne.ktk * np.outer(dvec, dvec) + sa_inv
        grad = gamma * dvec * resid - sa_inv @ (z - z_a)  # minus half the gradient of J
        while True:
            damped = hess + lam * np.diag(np.diag(hess))
            ch, _ = _factor((damped + damped.T) / 2, "posterior Hessian", no_sens)
            step = cho_solve(ch, grad)
            new = _cost(ne, gamma, x_a, z_a, ca, z + step, mask)[0]
            if np.isfinite(new) and new <= cost:
                break
            lam = max(lam * 10.0, 1e-4)
            if lam > 1e12:
                step = np.zeros(n)
                new = cost
                break
        z = z + step
        small = np.max(np.abs(step) / (1.0 + np.abs(z))) < tol
        stalled = cost - new <= 1e-15 * max(abs(cost), 1.0)
        cost, lam = new, lam / 10.0 if lam > 1e-4 else 0.0
        if small or stalled:
            break
    else:
        raise IllConditionedError(
            f"lognormal inversion did not converge in {max_iter} iterations (last step "
            f"{np.max(np.abs(step)):.1e}); check that the prior and the data are compatible "
            "or raise max_iter",
            field="lognormal",
        )
    x = _to_x(z, mask)
    dvec = np.where(mask, x, 1.0)
    resid = ne.ktdy - ne.ktk @ (x - x_a)
    hess = gamma * ne.ktk * np.outer(dvec, dvec) + sa_inv
    hess -= np.diag(np.where(mask, gamma * x * resid, 0.0))  # curvature of exp
    ch, rc_h = _factor((hess + hess.T) / 2, "posterior Hessian", no_sens)
    s_hat = cho_solve(ch, np.eye(n))
    s_hat = (s_hat + s_hat.T) / 2
    a = np.eye(n) - s_hat @ sa_inv
    _, j_o, j_a = _cost(ne, gamma, x_a, z_a, ca, z, mask)
    return LognormalPosterior(
        x_a,
        z_a,
        s_a,
        z,
        s_hat,
        a,
        mask,
        float(gamma),
        ne.m,
        j_a,
        j_o,
        iterations,
        Diagnostics(rc_a, rc_h, no_sens),
        ne,
    )
