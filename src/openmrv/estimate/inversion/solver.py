"""Analytical Bayesian inversion (Rodgers 2000; Jacob et al. 2016; Varon et al. 2022).

With state vector x (prior x_a, covariance S_a), observations y with errors S_o (diagonal,
or diagonal plus a low-rank correlated part per block, by Woodbury), Jacobian K and
regularisation γ:

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
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.linalg.blas import dsyrk
from scipy.linalg.lapack import dpocon, dtrtrs

from openmrv.errors import InputError
from openmrv.observe.superobs import superobs_error

#: below this reciprocal condition number (about 1e3 x machine epsilon) a posterior
#: would carry fewer than ~3 significant digits: numerical limit, not a coefficient
RCOND_LIMIT = 1e3 * np.finfo(float).eps

#: narrowest column block of the blocked ``KᵀK`` update (design choice, measured on this
#: project's 2-core machine, see docs/performance.md: OpenBLAS's gemm on blocks of 500-700
#: columns ran at 0.3-0.6 of its square-matrix rate, on 1,000 at 0.7-1.0): ``n`` state
#: elements are split into ``n // BLOCK_COLUMNS`` near-equal blocks
BLOCK_COLUMNS = 1000
#: chunks with fewer rows than this go to one ``dsyrk`` (the blocked update pays an extra
#: pass over the n² sums per chunk, worth it only when a chunk carries many rows)
BLOCK_MIN_ROWS = 1024


class IllConditionedError(InputError):
    """The inversion is singular or too ill-conditioned to solve: the message gives the
    condition estimate, the elements without sensitivity and what to change."""


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


class Accumulator:
    """Running sums of the normal equations, one chunk of observations at a time.

    Only the lower triangle of ``KᵀS_o⁻¹K`` is accumulated (m·n² flops per chunk, half a
    general product), in place. A chunk of at least :data:`BLOCK_MIN_ROWS` rows with
    at least 2 × :data:`BLOCK_COLUMNS` state elements is split into column blocks
    K = [K_1 … K_B]: the blocks below the diagonal, K_iᵀK_j (i > j), are general
    matrix products (``dgemm``, every flop useful, at the full matrix-multiply rate), the
    diagonal blocks K_iᵀK_i symmetric rank-k updates (``syrk``), all on strided views of
    the chunk (no copy); OpenBLAS's syrk runs at about 0.8 of its dgemm per useful flop,
    so only 1/B of the work pays that. Smaller chunks take one BLAS ``dsyrk`` (lower,
    β = 1) on the chunk seen as Fortran-ordered Kᵀ (C-ordered chunk) or ``trans=1``
    (Fortran-ordered chunk), no copy. The triangle is mirrored once, in :meth:`result`.
    Non-finite Jacobian entries are detected without a pass over the chunk: any NaN or
    infinity in K makes ``KᵀΔy`` non-finite.
    """

    def __init__(self) -> None:
        self._c: np.ndarray | None = None
        self.ktdy: np.ndarray | None = None
        self.dyy = 0.0
        self.m = 0
        self.chunks = 0

    def add(
        self,
        k: ArrayLike,
        dy: ArrayLike,
        obs_error: ArrayLike,
        source: object = None,
        correlated: ArrayLike | None = None,
    ):
        """Add one chunk: Jacobian rows k (m, n) [obs unit / state unit], Δy = y − F(x_a)
        (m,) [obs unit], 1-sigma errors (scalar or (m,)) [obs unit]; ``source`` (a file
        name) is named in errors.

        ``correlated`` (m, r) [obs unit] adds an error correlated across the chunk's
        observations: the chunk's error covariance is S = D + E Eᵀ (D = diag(σ²), E =
        ``correlated``, e.g. model-error columns of one day's soundings), applied exactly
        by the Woodbury identity S⁻¹ = D⁻¹ − D⁻¹E C⁻¹EᵀD⁻¹, C = I + EᵀD⁻¹E (r × r):
        KᵀS⁻¹K = KᵀD⁻¹K − WWᵀ with W = KᵀD⁻¹E L⁻ᵀ (C = LLᵀ), one more ``dsyrk`` of rank
        r; the same for KᵀS⁻¹Δy and ΔyᵀS⁻¹Δy. Memory stays O(n²) + O(mr).
        """
        where = source if source is not None else f"chunk {self.chunks + 1}"
        k = np.asarray(k, dtype=float)
        dy = np.asarray(dy, dtype=float)
        if k.ndim != 2 or dy.shape != (k.shape[0],):
            raise InputError(
                f"Jacobian of shape {k.shape} does not match {dy.shape} observations",
                file=where,
                field="K",
            )
        if self.ktdy is not None and k.shape[1] != self.ktdy.size:
            raise InputError(
                f"Jacobian has {k.shape[1]} state elements, earlier chunks "
                f"{self.ktdy.size}: all files must share one state vector",
                file=where,
                field="K",
            )
        sig = np.broadcast_to(np.asarray(obs_error, dtype=float), dy.shape)
        if not np.all(np.isfinite(dy)) or not np.all(np.isfinite(sig)):
            raise InputError("observations or their errors contain NaN or inf", file=where)
        if np.any(sig <= 0):
            raise InputError("observation errors must be positive", file=where, field="obs_error")
        if k.shape[0] == 0:
            return
        w = 1.0 / sig
        if np.all(sig == sig[0]):
            alpha, kw = w[0] ** 2, k
            ktdy = (k.T @ dy) * alpha
        else:
            alpha, kw = 1.0, k * w[:, None]
            ktdy = kw.T @ (dy * w)
        if not np.all(np.isfinite(ktdy)):
            raise InputError("Jacobian contains NaN or infinite values", file=where, field="K")
        if self._c is None:
            self._c = np.zeros((k.shape[1], k.shape[1]), order="F")
            self.ktdy = ktdy
        else:
            self.ktdy += ktdy
        self._rank_k(alpha, kw)
        dw = dy * w
        self.dyy += float(dw @ dw)
        if correlated is not None:
            self._low_rank(k, dw, w, correlated, where)
        self.m += int(k.shape[0])
        self.chunks += 1

    def _rank_k(self, alpha: float, a: np.ndarray) -> None:
        """Lower triangle of the sums += α aᵀa, a of shape (rows, n), any memory order."""
        rows, n = a.shape
        blocks = n // BLOCK_COLUMNS
        if blocks < 2 or rows < BLOCK_MIN_ROWS:
            at, trans = (a, 1) if a.flags.f_contiguous and not a.flags.c_contiguous else (a.T, 0)
            self._c = dsyrk(alpha, at, beta=1.0, c=self._c, trans=trans, lower=1, overwrite_c=1)
            return
        edges = np.linspace(0, n, blocks + 1).round().astype(int)
        cols = [slice(edges[b], edges[b + 1]) for b in range(blocks)]
        for i, ci in enumerate(cols):
            ai = a[:, ci]
            for cj in cols[: i + 1]:
                # numpy hands strided views to BLAS directly (gemm; syrk when cj is ci)
                prod = ai.T @ a[:, cj]
                if alpha != 1.0:
                    prod *= alpha
                self._c[ci, cj] += prod

    def _low_rank(self, k, dw, w, e, where) -> None:
        """Subtract the Woodbury correction of a correlated error E from the sums."""
        e = np.asarray(e, dtype=float)
        if e.ndim == 1:
            e = e[:, None]
        if e.ndim != 2 or e.shape[0] != k.shape[0]:
            raise InputError(
                f"correlated error of shape {e.shape} does not match {k.shape[0]} observations",
                file=where,
                field="correlated",
            )
        if not np.all(np.isfinite(e)):
            raise InputError("correlated error contains NaN or inf", file=where)
        if e.shape[1] == 0:
            return
        ew = e * w[:, None]  # D^-1/2 E
        c = np.eye(e.shape[1]) + ew.T @ ew
        low = np.linalg.cholesky(c)  # C = I + E'D^-1E is positive definite
        p = k.T @ (ew * w[:, None])  # K'D^-1 E, (n, r)
        # L^-1 E'D^-1 K (r, n) and L^-1 E'D^-1 dy by LAPACK's triangular solve
        wmat = dtrtrs(low, np.asfortranarray(p.T), lower=1)[0]
        q = dtrtrs(low, ew.T @ dw, lower=1)[0]
        self._c = dsyrk(-1.0, wmat, beta=1.0, c=self._c, trans=1, lower=1, overwrite_c=1)
        self.ktdy -= wmat.T @ q
        self.dyy -= float(q @ q)

    def result(self) -> NormalEquations:
        """The accumulated normal equations (full symmetric ``KᵀS_o⁻¹K``)."""
        if self._c is None:
            raise InputError("no observations: nothing to invert", field="observations")
        c = np.tril(self._c)
        c += np.tril(c, -1).T
        return NormalEquations(c, self.ktdy.copy(), self.dyy, self.m)


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
    acc = Accumulator()
    acc.add(k, dy, obs_error)
    return acc.result()


def low_rank_normal_equations(
    k: ArrayLike, dy: ArrayLike, obs_error: ArrayLike, correlated: ArrayLike
) -> NormalEquations:
    """Normal-equation sums of one block of observations whose errors are correlated:
    S_o = diag(σ²) + E Eᵀ with E = ``correlated`` (m, r) [observation unit], by the
    Woodbury identity (see :meth:`Accumulator.add`); never forms the m × m S_o."""
    acc = Accumulator()
    acc.add(k, dy, obs_error, correlated=correlated)
    return acc.result()


def accumulate(chunks: Iterable[tuple]) -> NormalEquations:
    """Sum the normal equations over chunks of (K, Δy, σ_o) or (K, Δy, σ_o, source)."""
    acc = Accumulator()
    for chunk in chunks:
        acc.add(*chunk)
    return acc.result()


@dataclass(frozen=True)
class SolverSettings:
    """Settings of an inversion that are not data.

    Attributes
    ----------
    gamma
        Regularisation parameter γ (> 0); 0 chooses it by J_A/n ≈ 1.
    superobs
        Inflate the error of super-observations (means of P soundings) by the Chen et al.
        (2023) formula s(P) = sqrt(σ_o²((1 − r)/P + r) + σ_t²) instead of σ_o/√P.
    superobs_r, superobs_sigma_t
        Override r [1] and σ_t [ppb]; None takes the cited table of
        ``openmrv.observe.superobs`` (r = 0.55, σ_t = 4.5 ppb).
    lognormal
        Solve for ln(scale factors) of the emission elements (``lognormal.solve_lognormal``).
    """

    gamma: float = 1.0
    superobs: bool = True
    superobs_r: float | None = None
    superobs_sigma_t: float | None = None
    lognormal: bool = False

    def observation_errors(self, sigma_o: ArrayLike, count: ArrayLike | None = None):
        """1-sigma errors of observations that each average ``count`` soundings [ppb].

        ``count`` may be fractional (IMI counts pixels by the fraction of their area in
        the cell, so a super-observation can hold less than one pixel: its error exceeds σ_o).

        Without ``count`` (single soundings) or with ``superobs=False`` the retrieval
        error σ_o is used as given.
        """
        sigma_o = np.asarray(sigma_o, dtype=float)
        if count is None or not self.superobs:
            return sigma_o
        count = np.asarray(count, dtype=float)
        if np.any(~np.isfinite(count)) or np.any(count <= 0):
            bad = np.flatnonzero(~(np.isfinite(count) & (count > 0)))
            raise InputError(
                f"super-observation counts must be > 0; observations {bad[:5].tolist()} "
                f"have {count.ravel()[bad[:5]].tolist()}",
                field="count",
            )
        return superobs_error(sigma_o, count, self.superobs_r, self.superobs_sigma_t)


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
class Diagnostics:
    """Conditioning of an inversion: the reciprocal condition estimates (LAPACK
    ``dpocon``, 1-norm) of the prior covariance and of the posterior Hessian, and the
    elements with no sensitivity (a zero column of K: the posterior equals the prior)."""

    rcond_prior: float
    rcond_hessian: float
    no_sensitivity: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @property
    def condition(self) -> float:
        """Condition number estimate of the posterior Hessian."""
        return 1.0 / self.rcond_hessian if self.rcond_hessian > 0 else np.inf


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
    diagnostics: Diagnostics | None = None

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

    def to_dataset(self, element=None, **coords) -> xr.Dataset:
        """The posterior as a dataset (``result.nc``): x_a, xhat, S_a, S_post, A, dofs on
        dims ``element``/``element2`` (coordinate ``element``: default 0..n-1), with the
        element ``coords`` given (e.g. ``kind=("element", [...])``)."""
        i = np.arange(self.n) if element is None else np.asarray(element)
        return xr.Dataset(
            {
                "x_a": ("element", self.x_a),
                "xhat": ("element", self.x_hat),
                "S_a": (("element", "element2"), self.s_a),
                "S_post": (("element", "element2"), self.s_hat),
                "A": (("element", "element2"), self.a),
                "dofs": ((), self.dofs),
            },
            coords={"element": i, "element2": i, **coords},
        )


def _elements(idx: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(i) for i in idx[:limit])
    more = f" and {idx.size - limit} more" if idx.size > limit else ""
    return f"{shown}{more}"


def _factor(matrix: np.ndarray, what: str, no_sens: np.ndarray):
    """Cholesky factor and reciprocal condition estimate; a typed error if singular."""
    hint = (
        f"; elements without sensitivity (zero Jacobian column, 0-based): {_elements(no_sens)}"
        if no_sens.size
        else ""
    )
    if not np.all(np.isfinite(matrix)):
        raise IllConditionedError(f"{what} contains NaN or infinite values{hint}", field=what)
    try:
        c = cho_factor(matrix, lower=True, check_finite=False)
    except LinAlgError as exc:
        raise IllConditionedError(
            f"{what} is singular or not positive definite ({exc}){hint}; give every "
            "element a finite, positive prior error, or merge/drop the elements named",
            field=what,
        ) from None
    rcond, info = dpocon(c[0], np.abs(matrix).sum(axis=0).max(), uplo="L")
    if info != 0 or not rcond > RCOND_LIMIT:
        raise IllConditionedError(
            f"{what} is ill-conditioned (condition estimate {1 / max(rcond, 1e-300):.1e}, "
            f"limit {1 / RCOND_LIMIT:.1e}){hint}; bound the prior errors of these "
            "elements, shorten the correlation length, or merge elements",
            field=what,
        )
    return c, float(rcond)


def _check_state(ne: NormalEquations, x_a: np.ndarray, s_a: np.ndarray) -> None:
    n = x_a.size
    if ne.ktk.shape != (n, n) or s_a.shape != (n, n):
        raise InputError(
            f"state size {n} does not match the Jacobian ({ne.ktk.shape}) or the "
            f"prior covariance ({s_a.shape})",
            field="state",
        )
    if not (np.all(np.isfinite(ne.ktk)) and np.all(np.isfinite(ne.ktdy))):
        raise InputError("normal equations contain NaN or infinite values", field="K")
    if not np.all(np.isfinite(x_a)):
        raise InputError("prior state contains NaN or infinite values", field="x_a")


def no_sensitivity(ne: NormalEquations) -> np.ndarray:
    """Indices (0-based) of the elements no observation is sensitive to."""
    return np.flatnonzero(np.diag(ne.ktk) <= 0)


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

    Raises
    ------
    IllConditionedError
        If the prior covariance or the posterior Hessian is singular or ill-conditioned
        (the message gives the condition estimate and the elements without sensitivity);
        the result never contains NaN.
    """
    x_a = np.asarray(x_a, dtype=float)
    n = x_a.size
    s_a = np.asarray(s_a, dtype=float)
    if s_a.ndim == 1:
        s_a = np.diag(s_a)
    _check_state(ne, x_a, s_a)
    if not gamma > 0:
        raise InputError(f"gamma must be positive, got {gamma}", field="gamma")
    no_sens = no_sensitivity(ne)
    ca, rc_a = _factor(s_a, "prior covariance", no_sens)
    sa_inv = cho_solve(ca, np.eye(n))
    hess = gamma * ne.ktk + sa_inv
    ch, rc_h = _factor((hess + hess.T) / 2, "posterior Hessian", no_sens)
    dx = cho_solve(ch, gamma * ne.ktdy)
    s_hat = cho_solve(ch, np.eye(n))
    s_hat = (s_hat + s_hat.T) / 2
    a = np.eye(n) - s_hat @ sa_inv
    j_a = float(dx @ cho_solve(ca, dx))
    # observation cost (y - Kx̂)ᵀS_o⁻¹(y - Kx̂) from the normal equations
    j_o = float(ne.dyy - 2 * dx @ ne.ktdy + dx @ ne.ktk @ dx)
    diag = Diagnostics(rc_a, rc_h, no_sens)
    return Posterior(x_a, x_a + dx, s_a, s_hat, a, float(gamma), ne.m, j_a, j_o, diag)


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
