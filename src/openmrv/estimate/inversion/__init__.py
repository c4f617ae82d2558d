"""Bayesian inversion of emissions from observations (analytical Gaussian posterior).

``solver`` holds the pure numerics: normal equations accumulated chunk by chunk, the
posterior by Cholesky solves, averaging kernel, DOFS, cost terms and the choice of the
regularisation parameter gamma, condition diagnostics and the solver settings
(super-observation errors); ``lognormal`` the inversion for ln(scale factors) by
Gauss-Newton/Levenberg-Marquardt with a Laplace posterior.
"""

from openmrv.estimate.inversion.lognormal import (
    LognormalPosterior,
    lognormal_sigma,
    solve_lognormal,
)
from openmrv.estimate.inversion.solver import (
    Accumulator,
    Diagnostics,
    IllConditionedError,
    NormalEquations,
    Posterior,
    SolverSettings,
    accumulate,
    choose_gamma,
    exponential_covariance,
    low_rank_normal_equations,
    solve,
)

__all__ = [
    "Accumulator",
    "Diagnostics",
    "IllConditionedError",
    "LognormalPosterior",
    "NormalEquations",
    "Posterior",
    "SolverSettings",
    "accumulate",
    "choose_gamma",
    "exponential_covariance",
    "lognormal_sigma",
    "low_rank_normal_equations",
    "solve",
    "solve_lognormal",
]
