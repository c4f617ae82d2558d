"""The analytical inversion of emission scale factors from external Jacobians (e.g. the
IMI's per-orbit files): a prior of ones for the emission elements and zeros for the
boundary elements, diagonal prior and observation errors, the normal equations
accumulated chunk by chunk (:mod:`.solver`)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from openmrv.errors import InputError
from openmrv.estimate.inversion.solver import Posterior, accumulate, choose_gamma, solve


def scale_factor_inversion(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]],
    n: int,
    prior_error: float,
    obs_error: float,
    gamma: float,
    bc_error: float,
    bc_elements: int,
) -> tuple[Posterior, float]:
    """Posterior scale factors from Jacobian chunks ``(K, y - K x_a)`` of ``n`` elements,
    the last ``bc_elements`` of them boundary elements [ppb].

    ``prior_error``: relative 1-sigma of the emission scale factors; ``bc_error``: the
    boundary elements' 1-sigma [ppb]; ``obs_error``: the observations' [ppb]; ``gamma``:
    the regularisation parameter, 0 to choose it so that J_A/n is closest to 1. Returns
    the posterior and the gamma used."""
    if not 0 <= bc_elements < n:
        raise InputError(
            f"--bc-elements {bc_elements} must lie in [0, {n - 1}]", field="bc_elements"
        )
    n_emis = n - bc_elements
    x_a = np.r_[np.ones(n_emis), np.zeros(bc_elements)]
    s_a = np.r_[np.full(n_emis, prior_error**2), np.full(bc_elements, bc_error**2)]
    ne = accumulate((k, dy, obs_error) for k, dy in chunks)
    g = gamma if gamma > 0 else choose_gamma(ne, x_a, s_a)[0]
    return solve(ne, x_a, s_a, g), g
