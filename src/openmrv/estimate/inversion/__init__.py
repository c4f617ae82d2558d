"""Bayesian inversion of emissions from observations (analytical Gaussian posterior).

``solver`` holds the pure numerics: normal equations accumulated chunk by chunk, the
posterior by Cholesky solves, averaging kernel, DOFS, cost terms and the choice of the
regularisation parameter gamma.
"""

from openmrv.estimate.inversion.solver import (
    NormalEquations,
    Posterior,
    accumulate,
    choose_gamma,
    exponential_covariance,
    solve,
)

__all__ = [
    "NormalEquations",
    "Posterior",
    "accumulate",
    "choose_gamma",
    "exponential_covariance",
    "solve",
]
