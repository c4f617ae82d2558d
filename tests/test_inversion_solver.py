"""Solver extensions: lognormal inversion, conditioning diagnostics, super-observation
errors, and bad input (shapes, NaN, singular systems)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from openmrv.errors import InputError
from openmrv.estimate.inversion import (
    Accumulator,
    IllConditionedError,
    SolverSettings,
    accumulate,
    exponential_covariance,
    lognormal_sigma,
    solve,
    solve_lognormal,
)
from openmrv.estimate.inversion.solver import normal_equations
from openmrv.jacobians import read_imi_jacobians

IMI = Path(__file__).parent / "data" / "imi"


def _imi():
    chunks = read_imi_jacobians(IMI)
    k = np.vstack([c.k for c in chunks])
    dy = np.concatenate([c.dy for c in chunks])
    return chunks, k, dy


# ---------------------------------------------------------------- lognormal


def test_lognormal_without_lognormal_elements_is_the_linear_solution():
    _, k, dy = _imi()
    ne = normal_equations(k, dy, 15.0)
    x_a = np.r_[np.ones(23), np.zeros(4)]
    sa = np.r_[np.full(23, 0.25), np.full(4, 100.0)]
    lin = solve(ne, x_a, sa)
    log = solve_lognormal(ne, x_a, sa, lognormal=np.zeros(27, bool))
    np.testing.assert_allclose(log.x_hat, lin.x_hat, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(log.s_hat, lin.s_hat, rtol=1e-10, atol=1e-14)
    assert log.dofs == pytest.approx(lin.dofs, rel=1e-10)


def test_lognormal_small_error_limit_is_gaussian():
    """With a 1 % prior error the map x = exp(z) is nearly linear over the posterior:
    x̂ and diag(D Ŝ_z D) approach the Gaussian solution with S_a = x_a² σ_z²."""
    _, k, dy = _imi()
    k = k * 200.0  # informative enough that the data move x̂ by several σ_posterior
    ne = normal_equations(k, dy, 15.0)
    x_a = np.r_[np.ones(23), np.zeros(4)]
    mask = np.r_[np.ones(23, bool), np.zeros(4, bool)]
    sz = lognormal_sigma(0.01)
    s_log = np.r_[np.full(23, sz**2), np.full(4, 100.0)]
    lin = solve(ne, x_a, s_log)
    log = solve_lognormal(ne, x_a, s_log, lognormal=mask)
    np.testing.assert_allclose(log.x_hat[:23], lin.x_hat[:23], rtol=1e-4)
    np.testing.assert_allclose(log.x_hat[23:], lin.x_hat[23:], atol=0.01)  # ppb
    d = np.where(mask, log.x_hat, 1.0)
    np.testing.assert_allclose(np.diag(log.s_hat) * d**2, np.diag(lin.s_hat), rtol=2e-2)


def test_lognormal_mode_is_the_minimum_of_the_full_cost():
    """Independent check of the Gauss-Newton/LM mode: minimise the cost written with the
    whole K (not the normal equations) by BFGS."""
    rng = np.random.default_rng(5)
    k = rng.uniform(0, 1, (60, 6))
    truth = np.array([0.2, 3.0, 1.0, 0.05, 2.0, 1.0])
    y = k @ truth + 0.1 * rng.standard_normal(60)
    x_a = np.ones(6)
    sz = np.full(6, lognormal_sigma(1.0) ** 2)
    post = solve_lognormal(normal_equations(k, y - k @ x_a, 0.1), x_a, sz)

    def cost(z):
        r = y - k @ np.exp(z)
        return r @ r / 0.01 + (z @ z) / sz[0]

    ref = minimize(cost, np.zeros(6), method="BFGS", options={"gtol": 1e-9})
    np.testing.assert_allclose(post.z_hat, ref.x, atol=1e-5)
    assert post.j_o + post.j_a == pytest.approx(ref.fun, rel=1e-8)
    # Laplace covariance = inverse of the exact Hessian of J/2 (finite differences)
    h, eps = np.zeros((6, 6)), 1e-4
    for i in range(6):
        e = np.eye(6)[i] * eps
        h[i] = (_grad(cost, post.z_hat + e) - _grad(cost, post.z_hat - e)) / (2 * eps)
    np.testing.assert_allclose(post.s_hat, np.linalg.inv(h / 2), rtol=1e-3, atol=1e-8)


def _grad(f, z, eps=1e-6):
    return np.array([(f(z + e) - f(z - e)) / (2 * eps) for e in np.eye(z.size) * eps])


def test_lognormal_keeps_emissions_positive():
    """Data that pull an element below zero: the Gaussian posterior goes negative, the
    lognormal one stays positive, and so do all its samples."""
    rng = np.random.default_rng(1)
    k = rng.uniform(0, 1, (200, 5))
    truth = np.array([1.0, 0.02, 1.0, 1.0, 1.0])
    noise = 0.3 * rng.standard_normal(200)
    y = k @ truth + noise - 0.2 * k[:, 1]  # a negative bias on element 1
    x_a = np.ones(5)
    ne = normal_equations(k, y - k @ x_a, 0.3)
    lin = solve(ne, x_a, np.full(5, 1.0))
    assert lin.x_hat[1] < 0
    log = solve_lognormal(ne, x_a, np.full(5, lognormal_sigma(1.0) ** 2))
    assert np.all(log.x_hat > 0) and np.all(log.sample(2000, seed=3) > 0)
    prior_mean, _, post_mean, post_sd = log.total(np.ones(5))
    assert prior_mean == pytest.approx(5 * np.exp(lognormal_sigma(1.0) ** 2 / 2), rel=0.03)
    assert post_sd > 0 and post_mean > 0


def test_lognormal_osse_coverage():
    """Known truth drawn from the lognormal prior; observations = K exp(z_true) + noise
    with the real IMI Jacobian (x20): the Laplace 1-sigma interval of z covers the truth
    68 +/- 5 % of the time over 300 realisations, and the sampled 1-sigma of the total
    covers the true total 68 +/- 8 % of the time."""
    _, k, _ = _imi()
    k = k[:, :23] * 20.0
    x_a = np.ones(23)
    sz = lognormal_sigma(0.5)
    rng = np.random.default_rng(11)
    inside, inside_total = [], []
    for r in range(300):
        z_true = sz * rng.standard_normal(23)
        y = k @ np.exp(z_true) + 15.0 * rng.standard_normal(k.shape[0])
        post = solve_lognormal(normal_equations(k, y - k @ x_a, 15.0), x_a, np.full(23, sz**2))
        inside.append(np.abs(post.z_hat - z_true) <= np.sqrt(np.diag(post.s_hat)))
        if r < 100:
            _, _, mean, sd = post.total(np.ones(23), samples=4000, seed=r)
            inside_total.append(abs(mean - np.exp(z_true).sum()) <= sd)
    assert 0.63 <= np.mean(inside) <= 0.73
    assert 0.60 <= np.mean(inside_total) <= 0.76


def test_importance_weights_recover_the_exact_posterior_mean():
    """One element, three observations: the exact posterior mean of x by quadrature;
    the Laplace mean is biased, the importance-weighted draws are not."""
    k, y, sz = np.ones((3, 1)), np.array([0.3, 0.5, 0.2]), 0.47
    post = solve_lognormal(normal_equations(k, y - 1.0, 0.3), np.ones(1), np.full(1, sz**2))
    z = np.linspace(-6, 3, 200_001)
    cost = ((y[:, None] - np.exp(z)) ** 2).sum(0) / 0.09 + z**2 / sz**2
    dens = np.exp(-(cost - cost.min()) / 2)
    exact = (dens * np.exp(z)).sum() / dens.sum()
    x, w, ess = post.weighted_sample(100_000, seed=2)
    assert ess > 50_000
    assert w @ x[:, 0] == pytest.approx(exact, rel=3e-3)
    assert x[:, 0].mean() > exact * 1.03  # the plain Laplace mean is biased high
    _, _, mean, _ = post.total([1.0], samples=100_000, seed=2, method="importance")
    assert mean == pytest.approx(exact, rel=3e-3)


def test_hmc_draws_match_quadrature_and_importance_sampling():
    """HMC on the normal equations samples the exact posterior: in one dimension its mean
    and sd equal the quadrature values; in
    two dimensions its means equal those by quadrature on a grid."""
    k, y, sz = np.ones((3, 1)), np.array([0.3, 0.5, 0.2]), 0.47
    post = solve_lognormal(normal_equations(k, y - 1.0, 0.3), np.ones(1), np.full(1, sz**2))
    z = np.linspace(-6, 3, 200_001)
    cost = ((y[:, None] - np.exp(z)) ** 2).sum(0) / 0.09 + z**2 / sz**2
    dens = np.exp(-(cost - cost.min()) / 2)
    mean = (dens * np.exp(z)).sum() / dens.sum()
    sd = np.sqrt((dens * (np.exp(z) - mean) ** 2).sum() / dens.sum())
    x, acc = post.hmc_sample(40_000, seed=1)
    assert 0.6 < acc < 0.95
    assert x[:, 0].mean() == pytest.approx(mean, rel=5e-3)
    assert x[:, 0].std() == pytest.approx(sd, rel=2e-2)
    # two correlated elements: posterior means of x by quadrature on a grid in z
    k2 = np.array([[1.0, 0.8], [0.6, 1.0], [1.0, 1.0], [0.2, 0.9]])
    y2 = np.array([1.2, 0.9, 1.5, 0.4])
    post2 = solve_lognormal(
        normal_equations(k2, y2 - k2.sum(1), 0.3), np.ones(2), np.full(2, sz**2)
    )
    zz = np.linspace(-4, 2.5, 1301)
    z1, z2 = np.meshgrid(zz, zz, indexing="ij")
    x1, x2 = np.exp(z1), np.exp(z2)
    res = y2[:, None, None] - k2[:, :1, None] * x1 - k2[:, 1:, None] * x2
    cost2 = (res**2).sum(0) / 0.09 + (z1**2 + z2**2) / sz**2
    d2 = np.exp(-(cost2 - cost2.min()) / 2)
    exact2 = np.array([(d2 * x1).sum(), (d2 * x2).sum()]) / d2.sum()
    xh, _ = post2.hmc_sample(40_000, seed=4)
    np.testing.assert_allclose(xh.mean(0), exact2, rtol=1e-2)
    _, _, tot, _ = post2.total(np.ones(2), samples=40_000, seed=4, method="hmc")
    assert tot == pytest.approx(exact2.sum(), rel=1e-2)
    assert abs(post2.sample(40_000, 4).sum(1).mean() - exact2.sum()) > abs(tot - exact2.sum())
    with pytest.raises(InputError, match="method 'mcmc' unknown"):
        post2.total(np.ones(2), method="mcmc")


def test_lognormal_bad_prior():
    ne = normal_equations(np.ones((3, 2)), np.ones(3), 1.0)
    with pytest.raises(InputError, match="positive prior"):
        solve_lognormal(ne, np.array([1.0, 0.0]), np.ones(2))
    with pytest.raises(InputError, match="relative prior errors"):
        lognormal_sigma(0.0)


# ---------------------------------------------------------------- conditioning, bad input


def test_element_without_sensitivity_is_reported_and_posterior_is_prior():
    rng = np.random.default_rng(2)
    k = rng.normal(size=(50, 4))
    k[:, 2] = 0.0
    post = solve(normal_equations(k, rng.normal(size=50), 1.0), np.ones(4), np.ones(4))
    assert post.diagnostics.no_sensitivity.tolist() == [2]
    assert post.x_hat[2] == 1.0 and post.s_hat[2, 2] == pytest.approx(1.0)
    assert np.isfinite(post.diagnostics.condition)


def test_unbounded_prior_on_unobserved_element_is_a_clear_error_not_nan():
    rng = np.random.default_rng(2)
    k = rng.normal(size=(50, 4))
    k[:, 2] = 0.0
    ne = normal_equations(k, rng.normal(size=50), 1.0)
    with pytest.raises(IllConditionedError, match=r"condition estimate .*sensitivity.*: 2"):
        solve(ne, np.ones(4), np.array([1.0, 1.0, 1e40, 1.0]))
    with pytest.raises(IllConditionedError, match="not positive definite"):
        solve(ne, np.ones(4), np.array([1.0, 1.0, 0.0, 1.0]))
    with pytest.raises(IllConditionedError, match="NaN"):
        solve(ne, np.ones(4), np.array([1.0, 1.0, np.inf, 1.0]))


def test_over_long_correlation_length_is_ill_conditioned():
    coords = np.c_[np.arange(30.0), np.zeros(30)]
    s = exponential_covariance(np.ones(30), coords, length=1e15)
    ne = normal_equations(np.eye(30), np.zeros(30), 1.0)
    with pytest.raises(IllConditionedError, match="prior covariance is ill-conditioned"):
        solve(ne, np.ones(30), s)


def test_accumulator_names_the_chunk_with_bad_data():
    good = (np.ones((4, 3)), np.zeros(4), 1.0, "a.npz")
    k_nan = np.ones((4, 3))
    k_nan[1, 2] = np.nan
    with pytest.raises(InputError, match=r"b\.npz.*NaN"):
        accumulate([good, (k_nan, np.zeros(4), 1.0, "b.npz")])
    with pytest.raises(InputError, match=r"c\.npz.*2 state elements"):
        accumulate([good, (np.ones((4, 2)), np.zeros(4), 1.0, "c.npz")])
    with pytest.raises(InputError, match="does not match"):
        accumulate([(np.ones((4, 3)), np.zeros(5), 1.0)])
    with pytest.raises(InputError, match="nothing to invert"):
        accumulate([])


def test_fortran_and_c_ordered_chunks_agree_with_numpy():
    rng = np.random.default_rng(4)
    k = rng.normal(size=(300, 7))
    sig = rng.uniform(1, 2, 300)
    ref = k.T @ np.diag(1 / sig**2) @ k
    acc = Accumulator()
    acc.add(k[:100], np.zeros(100), sig[:100])
    acc.add(np.asfortranarray(k[100:]), np.zeros(200), sig[100:])
    np.testing.assert_allclose(acc.result().ktk, ref, rtol=1e-12)
    acc = Accumulator()
    acc.add(np.asfortranarray(k), np.zeros(300), 2.0)
    np.testing.assert_allclose(acc.result().ktk, k.T @ k / 4, rtol=1e-12)


def test_inconsistent_jacobian_files_name_the_file(tmp_path):
    obs = np.c_[np.ones((2, 2)), [[60.0, 38.0], [61.0, 39.0]], np.ones(2)]
    np.savez(tmp_path / "a_GCtoSatellite.npz", K=np.ones((2, 3)), obs_GC=obs)
    np.savez(tmp_path / "b_GCtoSatellite.npz", K=np.ones((2, 4)), obs_GC=obs)
    with pytest.raises(InputError, match=r"b_GCtoSatellite\.npz.*4 state elements"):
        read_imi_jacobians(tmp_path)
    (tmp_path / "b_GCtoSatellite.npz").unlink()
    assert len(read_imi_jacobians(tmp_path, domain=(55, 65, 35, 42))) == 1
    with pytest.raises(InputError, match=r"a_GCtoSatellite\.npz.*1 observations lie outside"):
        read_imi_jacobians(tmp_path, domain=(55, 60.5, 35, 42))


# ---------------------------------------------------------------- super-observations


def test_superobs_errors_in_the_imi_case():
    """With the super-observation option, observation i (mean of P_i pixels) gets
    s(P) = sqrt(σ²((1 − r)/P + r) + σ_t²), r = 0.55, σ_t = 4.5 ppb (Chen et al. 2023,
    doi:10.5194/acp-23-5945-2023); the posterior equals dense numpy with these errors."""
    chunks, k, _ = _imi()
    count = np.concatenate([c.count for c in chunks])
    assert count.max() > 1  # the IMI files hold real super-observations
    settings = SolverSettings(superobs=True)
    sig = settings.observation_errors(15.0, count)
    hand = np.sqrt(15.0**2 * (0.45 / count + 0.55) + 4.5**2)
    np.testing.assert_allclose(sig, hand, rtol=1e-12)
    post = solve(
        accumulate((c.k, c.dy, settings.observation_errors(15.0, c.count)) for c in chunks),
        np.r_[np.ones(23), np.zeros(4)],
        np.r_[np.full(23, 0.25), np.full(4, 100.0)],
    )
    so_inv = np.diag(1 / hand**2)
    sa_inv = np.diag(1 / np.r_[np.full(23, 0.25), np.full(4, 100.0)])
    s_hat = np.linalg.inv(k.T @ so_inv @ k + sa_inv)
    np.testing.assert_allclose(post.s_hat, s_hat, rtol=1e-6, atol=1e-14)
    # errors larger than independent averaging (σ/√P) would give: less information
    many = count > 1
    assert np.all(sig[many] > 15.0 / np.sqrt(count[many]))
    indep = solve(
        accumulate((c.k, c.dy, 15.0 / np.sqrt(c.count)) for c in chunks), post.x_a, post.s_a
    )
    assert post.dofs < indep.dofs
    off = SolverSettings(superobs=False).observation_errors(15.0, count)
    assert np.all(off == 15.0)
    with pytest.raises(InputError, match="counts must be > 0"):
        settings.observation_errors(15.0, np.array([1.0, 0.0]))


def test_low_rank_plus_diagonal_errors_equal_the_dense_inverse():
    """S_o = D + E Eᵀ per block (Woodbury, chunk by chunk) against a dense numpy S_o⁻¹."""
    from scipy.linalg import block_diag

    from openmrv.estimate.inversion import Accumulator, low_rank_normal_equations

    rng = np.random.default_rng(3)
    n, blocks = 7, [(40, 3), (25, 1), (60, 5)]
    acc = Accumulator()
    ks, dys, covs = [], [], []
    for m, r in blocks:
        k = rng.normal(size=(m, n))
        dy = rng.normal(size=m)
        sig = rng.uniform(0.5, 2.0, m)
        e = rng.normal(size=(m, r)) * 1.5
        acc.add(k, dy, sig, correlated=e)
        ks.append(k)
        dys.append(dy)
        covs.append(np.diag(sig**2) + e @ e.T)
    ne = acc.result()
    k, dy = np.vstack(ks), np.concatenate(dys)
    s_inv = np.linalg.inv(block_diag(*covs))
    np.testing.assert_allclose(ne.ktk, k.T @ s_inv @ k, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ne.ktdy, k.T @ s_inv @ dy, rtol=1e-10, atol=1e-12)
    assert ne.dyy == pytest.approx(dy @ s_inv @ dy, rel=1e-10)
    assert ne.m == sum(m for m, _ in blocks)
    # one block through the function; no correlated columns = the diagonal case
    one = low_rank_normal_equations(ks[0], dys[0], 1.0, None)
    np.testing.assert_allclose(one.ktk, ks[0].T @ ks[0], rtol=1e-12)
    with pytest.raises(InputError, match="does not match"):
        low_rank_normal_equations(ks[0], dys[0], 1.0, np.ones((3, 2)))


# ---------------------------------------------------------------- blocked KᵀK update


def test_blocked_update_equals_dense_reference(monkeypatch):
    """The blocked KᵀS_o⁻¹K update (dgemm off the diagonal, syrk on it) against dense
    numpy within rounding: uneven column blocks, C- and Fortran-ordered chunks, one and
    many errors, small chunks through one dsyrk, a correlated error (Woodbury)."""
    from openmrv.estimate.inversion import solver

    monkeypatch.setattr(solver, "BLOCK_COLUMNS", 8)  # n = 29: 3 blocks of 9-10 columns
    monkeypatch.setattr(solver, "BLOCK_MIN_ROWS", 50)
    rng = np.random.default_rng(11)
    n, m = 29, 400
    k = rng.normal(size=(m, n))
    dy = rng.normal(size=m)
    sig = rng.uniform(0.5, 2.0, m)
    sig[:120] = 1.5  # first chunk: one error for all rows
    calls = []
    real = solver.dsyrk
    monkeypatch.setattr(solver, "dsyrk", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    acc = Accumulator()
    acc.add(k[:120], dy[:120], 1.5)  # blocked, scalar error
    assert calls == []  # no dsyrk on the blocked path
    acc.add(np.asfortranarray(k[120:300]), dy[120:300], sig[120:300])  # blocked, F-order
    acc.add(k[300:330], dy[300:330], sig[300:330])  # 30 rows < 50: one dsyrk
    assert len(calls) == 1
    e = rng.normal(size=(70, 2))
    acc.add(k[330:], dy[330:], sig[330:], correlated=e)  # blocked + Woodbury
    ne = acc.result()
    s_inv = np.diag(1 / sig**2)
    cov = np.diag(sig[330:] ** 2) + e @ e.T
    s_inv[330:, 330:] = np.linalg.inv(cov)
    ref = k.T @ s_inv @ k
    np.testing.assert_allclose(ne.ktk, ref, rtol=1e-11, atol=1e-11 * np.abs(ref).max())
    np.testing.assert_array_equal(ne.ktk, ne.ktk.T)
    np.testing.assert_allclose(ne.ktdy, k.T @ s_inv @ dy, rtol=1e-10, atol=1e-12)
    assert ne.dyy == pytest.approx(dy @ s_inv @ dy, rel=1e-10)


def test_blocked_and_single_syrk_agree_at_bench_shape(monkeypatch):
    """At the default block settings (n = 2,000 -> 2 blocks) the blocked update and one
    dsyrk per chunk give the same sums within rounding (they add the same products in a
    different order)."""
    from openmrv.estimate.inversion import solver

    rng = np.random.default_rng(12)
    k = rng.random((solver.BLOCK_MIN_ROWS, 2 * solver.BLOCK_COLUMNS)) * 0.05
    dy = rng.normal(size=k.shape[0])
    blocked = normal_equations(k, dy, 10.0)
    monkeypatch.setattr(solver, "BLOCK_COLUMNS", 10**9)
    single = normal_equations(k, dy, 10.0)
    np.testing.assert_allclose(blocked.ktk, single.ktk, rtol=1e-12)
    np.testing.assert_allclose(blocked.ktk, k.T @ k / 100.0, rtol=1e-12)
