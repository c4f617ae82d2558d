"""Analytical Bayesian inversion (Rodgers 2000; Jacob et al. 2016; Varon et al. 2022).

With state vector x (prior x_a, covariance S_a), observations y with errors S_o (diagonal
here), Jacobian K and regularisation γ:

.. math::
    \\hat{x} = x_a + \\hat S\\, \\gamma K^T S_o^{-1} (y - F(x_a)), \\qquad
    \\hat S = (\\gamma K^T S_o^{-1} K + S_a^{-1})^{-1}, \\\\
    A = I - \\hat S S_a^{-1}, \\qquad DOFS = \\mathrm{tr}(A).

The observation space is reduced to the normal equations ``KᵀS_o⁻¹K`` (n × n) and
``KᵀS_o⁻¹(y − F(x_a))`` (n), accumulated chunk by chunk over observations, so memory is
O(n²) whatever the number of observations, and chunks may come from many files or dask
workers. Linear systems are solved through Cholesky factors (``scipy.linalg.cho_factor``);
no explicit inverse of an ill-conditioned matrix is formed.

References
----------
Rodgers, C. D. (2000), Inverse Methods for Atmospheric Sounding, World Scientific.
Jacob, D. J. et al. (2016), Atmos. Chem. Phys. 16, 14371-14396, doi:10.5194/acp-16-14371-2016.
Varon, D. J. et al. (2022), Geosci. Model Dev. 15, 5787-5805, doi:10.5194/gmd-15-5787-2022.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.linalg.blas import dsyrk

from openmrv.errors import InputError


@dataclass
class NormalEquations:
    """Observation-space sums: ``KᵀS_o⁻¹K``, ``KᵀS_o⁻¹Δy``, ``ΔyᵀS_o⁻¹Δy`` and the count."""

    ktk: np.ndarray
    ktdy: np.ndarray
    dyy: float
    m: int

    def __add__(self, other: NormalEquations) -> NormalEquations:
        return NormalEquations(
            self.ktk + other.ktk, self.ktdy + other.ktdy, self.dyy + other.dyy, self.m + other.m
        )


def normal_equations(k: ArrayLike, dy: ArrayLike, obs_error: ArrayLike) -> NormalEquations:
    """Normal-equation sums of one chunk of observations.

    Parameters
    ----------
    k
        Jacobian rows, shape (m, n) [observation unit per state unit].
    dy
        y − F(x_a), shape (m,) [observation unit].
    obs_error
        1-sigma observation errors, scalar or shape (m,) [observation unit].
    """
    k = np.asarray(k, dtype=float)
    dy = np.asarray(dy, dtype=float)
    if k.ndim != 2 or dy.shape != (k.shape[0],):
        raise InputError(
            f"Jacobian of shape {k.shape} does not match {dy.shape} observations", field="K"
        )
    sig = np.broadcast_to(np.asarray(obs_error, dtype=float), dy.shape)
    if not np.all(np.isfinite(k)) or not np.all(np.isfinite(dy)):
        raise InputError("Jacobian or observations contain NaN or infinite values", field="K")
    if np.any(sig <= 0):
        raise InputError("observation errors must be positive", field="obs_error")
    w = 1.0 / sig
    dw = dy * w
    # KᵀS_o⁻¹K by the BLAS symmetric rank-k update (half the flops of a general product);
    # k.T is Fortran-ordered, so no copy is made; dsyrk fills the upper triangle. With one
    # error for the whole chunk the weight is the scalar alpha and K is not copied at all.
    if np.all(sig == sig[0]):
        upper = dsyrk(w[0] ** 2, k.T, trans=0)
        ktdy = (k.T @ dy) * w[0] ** 2
    else:
        kw = k * w[:, None]
        upper = dsyrk(1.0, kw.T, trans=0)
        ktdy = kw.T @ dw
    ktk = np.triu(upper) + np.triu(upper, 1).T
    return NormalEquations(ktk, ktdy, float(dw @ dw), int(k.shape[0]))


def accumulate(chunks: Iterable[tuple[ArrayLike, ArrayLike, ArrayLike]]) -> NormalEquations:
    """Sum the normal equations over chunks of (K, Δy, σ_o)."""
    total = None
    for k, dy, sig in chunks:
        part = normal_equations(k, dy, sig)
        total = part if total is None else total + part
    if total is None:
        raise InputError("no observations: nothing to invert", field="observations")
    return total


def exponential_covariance(
    sigma: ArrayLike, coords: ArrayLike | None = None, length: float | None = None
) -> np.ndarray:
    """Prior error covariance: diagonal, or correlated as exp(−d/L).

    Parameters
    ----------
    sigma
        Prior 1-sigma errors of the state elements, shape (n,).
    coords
        Element positions, shape (n, 2) (e.g. km east, km north) for the correlation.
    length
        Correlation length L in the unit of ``coords``; None or 0 gives a diagonal matrix.
    """
    s = np.asarray(sigma, dtype=float)
    if np.any(s <= 0):
        raise InputError("prior errors must be positive", field="prior_error")
    if coords is None or not length:
        return np.diag(s**2)
    xy = np.asarray(coords, dtype=float)
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    return np.outer(s, s) * np.exp(-d / length)


@dataclass
class Posterior:
    """Result of an analytical inversion."""

    x_a: np.ndarray
    x_hat: np.ndarray
    s_a: np.ndarray
    s_hat: np.ndarray
    a: np.ndarray
    gamma: float
    m: int
    j_a: float
    j_o: float

    @property
    def dofs(self) -> float:
        """Degrees of freedom for signal, tr(A)."""
        return float(np.trace(self.a))

    @property
    def n(self) -> int:
        return int(self.x_a.size)

    def total(self, weights: ArrayLike) -> tuple[float, float, float, float]:
        """Prior and posterior of a weighted sum of elements (e.g. a sector total) with its
        full covariance: (prior, prior sigma, posterior, posterior sigma)."""
        w = np.asarray(weights, dtype=float)
        return (
            float(w @ self.x_a),
            float(np.sqrt(w @ self.s_a @ w)),
            float(w @ self.x_hat),
            float(np.sqrt(w @ self.s_hat @ w)),
        )


def _chol(matrix: np.ndarray, what: str):
    try:
        return cho_factor(matrix, lower=True, check_finite=True)
    except (LinAlgError, ValueError) as exc:
        raise InputError(f"{what} is not positive definite ({exc})", field=what) from None


def solve(ne: NormalEquations, x_a: ArrayLike, s_a: ArrayLike, gamma: float = 1.0) -> Posterior:
    """Posterior mean, covariance and averaging kernel from the normal equations.

    Parameters
    ----------
    ne
        Accumulated normal equations.
    x_a
        Prior state, shape (n,).
    s_a
        Prior covariance, shape (n, n) or its diagonal (n,).
    gamma
        Regularisation parameter γ (> 0) weighting the observation term.
    """
    x_a = np.asarray(x_a, dtype=float)
    n = x_a.size
    s_a = np.asarray(s_a, dtype=float)
    if s_a.ndim == 1:
        s_a = np.diag(s_a)
    if ne.ktk.shape != (n, n) or s_a.shape != (n, n):
        raise InputError(
            f"state size {n} does not match the Jacobian ({ne.ktk.shape}) or the "
            f"prior covariance ({s_a.shape})",
            field="state",
        )
    if not gamma > 0:
        raise InputError(f"gamma must be positive, got {gamma}", field="gamma")
    ca = _chol(s_a, "prior covariance")
    sa_inv = cho_solve(ca, np.eye(n))
    hess = gamma * ne.ktk + sa_inv
    ch = _chol((hess + hess.T) / 2, "posterior Hessian")
    dx = cho_solve(ch, gamma * ne.ktdy)
    s_hat = cho_solve(ch, np.eye(n))
    s_hat = (s_hat + s_hat.T) / 2
    a = np.eye(n) - s_hat @ sa_inv
    j_a = float(dx @ cho_solve(ca, dx))
    # observation cost (y - Kx̂)ᵀS_o⁻¹(y - Kx̂) from the normal equations
    j_o = float(ne.dyy - 2 * dx @ ne.ktdy + dx @ ne.ktk @ dx)
    return Posterior(x_a, x_a + dx, s_a, s_hat, a, float(gamma), ne.m, j_a, j_o)


def choose_gamma(
    ne: NormalEquations,
    x_a: ArrayLike,
    s_a: ArrayLike,
    candidates: ArrayLike | None = None,
) -> tuple[float, np.ndarray]:
    """γ for which J_A/n is closest to 1 (the expected value of the prior cost term).

    Returns the chosen γ and J_A/n for every candidate (default 10⁻³ … 10, 41 values).
    """
    candidates = np.logspace(-3, 1, 41) if candidates is None else np.asarray(candidates)
    n = np.asarray(x_a).size
    ratios = np.array([solve(ne, x_a, s_a, g).j_a / n for g in candidates])
    best = int(np.argmin(np.abs(np.log(np.maximum(ratios, 1e-300)))))
    return float(np.asarray(candidates)[best]), ratios


@dataclass
class Member:
    """One member of a hyper-parameter ensemble."""

    prior_error: float
    obs_error: float
    gamma: float
    posterior: Posterior

    @property
    def ja_over_n(self) -> float:
        return self.posterior.j_a / self.posterior.n


def ensemble(
    ne_unit: NormalEquations,
    x_a: ArrayLike,
    prior_scale: ArrayLike,
    prior_errors: Iterable[float],
    obs_errors: Iterable[float],
    gammas: Iterable[float],
    ja_range: tuple[float, float] = (0.5, 2.0),
) -> list[Member]:
    """Posterior ensemble over hyper-parameters (as IMI does), keeping the members whose
    J_A/n lies in ``ja_range``.

    Parameters
    ----------
    ne_unit
        Normal equations accumulated with unit observation errors (σ_o = 1); a uniform
        σ_o scales them by 1/σ_o².
    x_a
        Prior state.
    prior_scale
        Per-element multiplier of the prior error (e.g. 1 for scale factors, or the
        boundary elements' error in ppb divided by the prior-error hyper-parameter).
    prior_errors, obs_errors, gammas
        Hyper-parameter values to combine.
    """
    x_a = np.asarray(x_a, dtype=float)
    scale = np.asarray(prior_scale, dtype=float)
    out = []
    for pe in prior_errors:
        for oe in obs_errors:
            ne = NormalEquations(
                ne_unit.ktk / oe**2, ne_unit.ktdy / oe**2, ne_unit.dyy / oe**2, ne_unit.m
            )
            for g in gammas:
                post = solve(ne, x_a, (pe * scale) ** 2, g)
                member = Member(pe, oe, g, post)
                if ja_range[0] <= member.ja_over_n <= ja_range[1]:
                    out.append(member)
    return out
