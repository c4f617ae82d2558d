"""Analytical inversion: IMI's test case against plain dense numpy, and an OSSE."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from openmrv.cli import app
from openmrv.errors import InputError
from openmrv.estimate.inversion import accumulate, choose_gamma, exponential_covariance, solve
from openmrv.estimate.inversion.solver import normal_equations
from openmrv.jacobians import read_imi_jacobian, read_imi_jacobians

IMI = Path(__file__).parent / "data" / "imi"


def _imi_prior(n=27, n_bc=4):
    return (
        np.r_[np.ones(n - n_bc), np.zeros(n_bc)],
        np.r_[np.full(n - n_bc, 0.25), np.full(n_bc, 100.0)],
    )


def test_imi_case_matches_dense_numpy():
    chunks = read_imi_jacobians(IMI)
    x_a, sa = _imi_prior()
    post = solve(accumulate((c.k, c.dy, 15.0) for c in chunks), x_a, sa, gamma=1.0)
    # plain dense evaluation of the same equations
    k = np.vstack([c.k for c in chunks])
    dy = np.concatenate([c.dy for c in chunks])
    so_inv = np.eye(k.shape[0]) / 15.0**2
    s_hat = np.linalg.inv(k.T @ so_inv @ k + np.linalg.inv(np.diag(sa)))
    x_hat = x_a + s_hat @ k.T @ so_inv @ dy
    a = np.eye(27) - s_hat @ np.linalg.inv(np.diag(sa))
    np.testing.assert_allclose(post.x_hat, x_hat, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(post.s_hat, s_hat, rtol=1e-6, atol=1e-14)
    np.testing.assert_allclose(post.a, a, rtol=1e-6, atol=1e-9)
    assert post.dofs == pytest.approx(1.446, abs=5e-3)  # PEERS.md: DOFS about 1.45
    assert post.m == 41


def test_chunking_does_not_matter():
    rng = np.random.default_rng(0)
    k, dy, sig = rng.normal(size=(500, 8)), rng.normal(size=500), rng.uniform(1, 2, 500)
    whole = normal_equations(k, dy, sig)
    parts = accumulate((k[i : i + 37], dy[i : i + 37], sig[i : i + 37]) for i in range(0, 500, 37))
    np.testing.assert_allclose(parts.ktk, whole.ktk, rtol=1e-12)
    np.testing.assert_allclose(parts.ktdy, whole.ktdy, rtol=1e-12)


def test_osse_coverage_and_chi_square():
    """Truth drawn from the prior, observations from the real IMI Jacobian plus noise:
    the posterior 1-sigma covers the truth 68 +/- 5 % of the time, and the cost at the
    solution, J_O + J_A, averages to its expectation m (the number of observations)."""
    chunks = read_imi_jacobians(IMI)
    k = np.vstack([c.k for c in chunks]) * 20.0  # a denser network: more information
    x_a, sa = _imi_prior()
    rng = np.random.default_rng(42)
    sig = 15.0
    inside, chi2, dofs = [], [], None
    for _ in range(400):
        truth = x_a + np.sqrt(sa) * rng.standard_normal(27)
        y = k @ truth + sig * rng.standard_normal(k.shape[0])
        post = solve(normal_equations(k, y - k @ x_a, sig), x_a, sa)
        s = np.sqrt(np.diag(post.s_hat))
        inside.append(np.abs(post.x_hat - truth) <= s)
        chi2.append(post.j_o + post.j_a)
        dofs = post.dofs
    cover = np.mean(inside)
    assert 0.63 <= cover <= 0.73
    # E[J(x̂)] = m for a correctly specified linear-Gaussian problem (J_O + J_A at x̂)
    assert np.mean(chi2) == pytest.approx(k.shape[0], rel=0.1)
    assert dofs > 1.446


def test_gamma_choice_and_correlated_prior():
    chunks = read_imi_jacobians(IMI)
    x_a, sa = _imi_prior()
    ne = accumulate((c.k, c.dy, 15.0) for c in chunks)
    g, ratios = choose_gamma(ne, x_a, sa)
    assert ratios.size == 41 and g > 0
    coords = np.c_[np.arange(27.0), np.zeros(27)]
    s_corr = exponential_covariance(np.sqrt(sa), coords, length=3.0)
    assert s_corr[0, 1] == pytest.approx(0.25 * np.exp(-1 / 3))
    post = solve(ne, x_a, s_corr)
    w = np.r_[np.ones(23), np.zeros(4)]
    prior_total, prior_sd, _, post_sd = post.total(w)
    assert prior_total == 23.0 and post_sd < prior_sd
    # full covariance, not summed variances
    assert prior_sd > np.sqrt(23 * 0.25)


def test_cli_writes_result(tmp_path):
    out = tmp_path / "r.nc"
    res = CliRunner().invoke(app, ["invert", "--jacobians", str(IMI), "--out", str(out)])
    assert res.exit_code == 0, res.output
    with xr.open_dataset(out) as ds:
        assert float(ds["dofs"]) == pytest.approx(1.446, abs=5e-3)
        assert ds["S_post"].shape == (27, 27) and ds.attrs["n_obs"] == 41


def test_bad_jacobian_files(tmp_path):
    (tmp_path / "x_GCtoSatellite.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"x_GCtoSatellite\.npz"):
        read_imi_jacobian(tmp_path / "x_GCtoSatellite.npz")
    np.savez(tmp_path / "y_GCtoSatellite.npz", K=np.ones((3, 2)))
    with pytest.raises(InputError, match="obs_GC"):
        read_imi_jacobian(tmp_path / "y_GCtoSatellite.npz")
    res = CliRunner().invoke(app, ["invert", "--jacobians", str(tmp_path / "none")])
    assert res.exit_code == 2 and "not found" in res.output
    with pytest.raises(InputError, match="positive"):
        normal_equations(np.ones((2, 2)), np.ones(2), 0.0)


def test_hyperparameter_ensemble():
    from openmrv.estimate.inversion.solver import ensemble

    chunks = read_imi_jacobians(IMI)
    x_a, _ = _imi_prior()
    ne1 = accumulate((c.k, c.dy, 1.0) for c in chunks)
    scale = np.r_[np.ones(23), np.full(4, 20.0)]  # boundary elements: 10 ppb at error 0.5
    members = ensemble(
        ne1, x_a, scale, [0.25, 0.5, 1.0], [10.0, 15.0, 20.0], [0.1, 1.0], ja_range=(0.0, np.inf)
    )
    assert len(members) == 18
    # the member with IMI's settings equals the direct solution
    m = next(x for x in members if (x.prior_error, x.obs_error, x.gamma) == (0.5, 15.0, 1.0))
    direct = solve(accumulate((c.k, c.dy, 15.0) for c in chunks), *_imi_prior(), 1.0)
    np.testing.assert_allclose(m.posterior.x_hat, direct.x_hat, rtol=1e-10)
    kept = ensemble(ne1, x_a, scale, [0.25, 0.5, 1.0], [10.0, 15.0, 20.0], [0.1, 1.0])
    assert all(0.5 <= k.ja_over_n <= 2.0 for k in kept)


def test_gaussian_plume_conserves_mass_and_recovers_a_source():
    from openmrv.constants import constant
    from openmrv.estimate.inversion.forward import plume_column, plume_jacobian

    # flux through a crosswind line = Q, at any downwind distance
    y = np.linspace(-20_000, 20_000, 40_001)
    for x in (500.0, 5_000.0, 30_000.0):
        flux = np.trapezoid(plume_column(10.0, 4.0, x, y), y) * 4.0
        assert flux == pytest.approx(10.0, rel=1e-6)
    # ppb conversion: 1 kg/m² CH4 at 1013.25 hPa
    ppb = plume_jacobian(np.array([[1000.0, 0.0]]), np.array([[0.0, 0.0]]), [5.0], [0.0])
    expected = (
        plume_column(1.0, 5.0, 1000.0, 0.0)
        * constant("M_air")
        / constant("M_CH4")
        * constant("g")
        / 101325.0
        * 1e9
    )
    assert ppb[0, 0] == pytest.approx(expected)
    # synthetic plume: invert three sources from noisy soundings on a 1 km grid
    gx, gy = np.meshgrid(np.arange(-5e3, 40e3, 1e3), np.arange(-15e3, 15e3, 1e3))
    xy = np.c_[gx.ravel(), gy.ravel()]
    src = np.array([[0.0, 0.0], [10e3, 5e3], [20e3, -6e3]])
    k = plume_jacobian(xy, src, np.full(len(xy), 4.0), np.zeros(len(xy)))
    truth = np.array([5.0, 2.0, 8.0])  # kg/s
    rng = np.random.default_rng(3)
    y_obs = k @ truth + 10.0 * rng.standard_normal(len(xy))
    x_a = np.full(3, 4.0)
    post = solve(normal_equations(k, y_obs - k @ x_a, 10.0), x_a, np.full(3, 25.0))
    assert np.all(np.abs(post.x_hat - truth) < 3 * np.sqrt(np.diag(post.s_hat)))
    assert post.dofs > 2.9
