"""HMC for the lognormal posterior (estimate/inversion/hmc.py): known posteriors are
recovered, control variates shrink the error without moving the mean, diagnostics flag
what they should. No timing assertions."""

import numpy as np
import pytest

from openmrv.estimate.inversion import hmc, solve, solve_lognormal
from openmrv.estimate.inversion.solver import normal_equations


def _quadrature_1d(y, err, sz):
    """Exact posterior mean and sd of x = exp(z), z ~ N(0, sz²), y_i ~ N(x, err²)."""
    z = np.linspace(-6, 3, 400_001)
    cost = ((y[:, None] - np.exp(z)) ** 2).sum(0) / err**2 + z**2 / sz**2
    dens = np.exp(-(cost - cost.min()) / 2)
    mean = (dens * np.exp(z)).sum() / dens.sum()
    return mean, np.sqrt((dens * (np.exp(z) - mean) ** 2).sum() / dens.sum())


def test_one_dimension_matches_quadrature_and_control_variates_help():
    """1-D analytic posterior (quadrature): the control-variate mean is within 4 of its
    standard errors and 0.3 % of the exact mean, its standard error is far below the plain
    average's, and the sd is within 2 %."""
    y, err, sz = np.array([0.3, 0.5, 0.2]), 0.3, 0.47
    post = solve_lognormal(normal_equations(np.ones((3, 1)), y - 1.0, err), np.ones(1), [sz**2])
    exact, exact_sd = _quadrature_1d(y, err, sz)
    assert post.x_mean[0] > exact * 1.03  # the Laplace mean is biased: a real test
    res = post.hmc(4000, seed=3)
    assert abs(res.mean[0] - exact) < 4 * res.se[0]
    assert res.mean[0] == pytest.approx(exact, rel=3e-3)
    assert res.sd[0] == pytest.approx(exact_sd, rel=2e-2)
    raw_se = res.sd[0] / np.sqrt(res.ess[0])
    assert res.se[0] < raw_se / 3
    assert 0.6 < res.acceptance < 0.95
    assert res.rhat[0] < 1.05


def test_prior_only_lognormal_in_many_dimensions():
    """Data without sensitivity: the posterior is the lognormal prior, mean exp(σ²/2) and
    sd exp(σ²/2)·sqrt(exp(σ²) − 1) in each of 40 correlated-free dimensions."""
    n, sz = 40, 0.47
    ne = normal_equations(np.zeros((5, n)), np.zeros(5), 1.0)
    post = solve_lognormal(ne, np.ones(n), np.full(n, sz**2))
    res = post.hmc(6000, seed=5)
    mean = np.exp(sz**2 / 2)
    sd = mean * np.sqrt(np.expm1(sz**2))
    assert np.all(np.abs(res.mean - mean) < 5 * res.se)
    np.testing.assert_allclose(res.mean, mean, rtol=5e-3)
    np.testing.assert_allclose(res.sd, sd, rtol=6e-2)  # sd of a lognormal: heavy tail
    assert np.max(res.rhat) < 1.1
    assert np.min(res.ess) > 0.3 * res.draws.shape[0]


def test_linear_gaussian_elements_equal_the_analytical_posterior():
    """No lognormal element: x = z, the posterior is Gaussian and known in closed form
    (``solve``); HMC's means and sds equal it in 12 correlated dimensions."""
    rng = np.random.default_rng(11)
    n, m = 12, 30
    k = rng.uniform(0, 1, (m, n))
    x_true = 1 + 0.5 * rng.standard_normal(n)
    y = k @ x_true + 0.3 * rng.standard_normal(m)
    ne = normal_equations(k, y - k @ np.ones(n), 0.3)
    exact = solve(ne, np.ones(n), np.full(n, 0.25))
    post = solve_lognormal(ne, np.ones(n), np.full(n, 0.25), lognormal=np.zeros(n, bool))
    res = post.hmc(3000, seed=2)
    sd = np.sqrt(np.diag(exact.s_hat))
    np.testing.assert_allclose(res.mean, exact.x_hat, atol=0.02 * sd.min())
    np.testing.assert_allclose(res.sd, sd, rtol=5e-2)


def test_two_correlated_dimensions_match_a_grid():
    """Two lognormal elements seen together: means by quadrature on a grid in z; the
    HMC's control-variate means agree to 0.5 %, the total by ``total(method='hmc')``."""
    sz = 0.47
    k = np.array([[1.0, 0.8], [0.6, 1.0], [1.0, 1.0], [0.2, 0.9]])
    y = np.array([1.2, 0.9, 1.5, 0.4])
    post = solve_lognormal(normal_equations(k, y - k.sum(1), 0.3), np.ones(2), [sz**2] * 2)
    zz = np.linspace(-4, 2.5, 1301)
    z1, z2 = np.meshgrid(zz, zz, indexing="ij")
    x1, x2 = np.exp(z1), np.exp(z2)
    res_grid = y[:, None, None] - k[:, :1, None] * x1 - k[:, 1:, None] * x2
    cost = (res_grid**2).sum(0) / 0.09 + (z1**2 + z2**2) / sz**2
    d = np.exp(-(cost - cost.min()) / 2)
    exact = np.array([(d * x1).sum(), (d * x2).sum()]) / d.sum()
    res = post.hmc(4000, seed=8)
    np.testing.assert_allclose(res.mean, exact, rtol=5e-3)
    _, _, tot, _ = post.total(np.ones(2), samples=4000, seed=8, method="hmc")
    assert tot == pytest.approx(exact.sum(), rel=5e-3)


def test_split_rhat_flags_chains_that_disagree():
    rng = np.random.default_rng(0)
    iid = rng.standard_normal((200, 8, 3))
    assert np.all(hmc.split_rhat(iid) < 1.02)
    stuck = iid + np.arange(8)[None, :, None]  # each chain around its own value
    assert np.all(hmc.split_rhat(stuck) > 1.5)


def test_hmc_draws_are_reproducible():
    ne = normal_equations(np.ones((3, 2)), np.array([0.2, -0.1, 0.3]), 0.5)
    post = solve_lognormal(ne, np.ones(2), [0.2, 0.2])
    a, b = post.hmc(500, seed=4), post.hmc(500, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, post.hmc(500, seed=5).x)
