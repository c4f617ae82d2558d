"""The regional column transport model: conservation, translation, linearity, steady state
against independent formulas, CFL sub-stepping and bad winds."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from openmrv.constants import constant
from openmrv.errors import InputError
from openmrv.estimate.inversion import transport as tr

R = 6371008.8  # GRS80 mean radius [m], as in openmrv/data/physical_constants.csv (checked below)
DAY = 86400.0


def test_constants_table():
    assert constant("R_earth") == R
    assert constant("p_surface_standard") == 101325.0
    assert tr.parameter("ventilation_timescale") == 4 * DAY


def grid(nx=30, ny=20, res=0.25):
    return tr.Grid.from_bounds(55.0, 37.0, 55.0 + nx * res, 37.0 + ny * res, res)


def test_grid_area_sums_to_spherical_band():
    g = grid()
    w, s, e, n = g.bounds
    exact = R**2 * np.radians(e - w) * (np.sin(np.radians(n)) - np.sin(np.radians(s)))
    assert g.area().sum() == pytest.approx(exact, rel=1e-12)
    assert g.locate([37.01, 41.99], [55.01, 62.49]).tolist() == [0, g.size - 1]


def test_mass_conserved_with_closed_edges_in_a_varying_wind():
    g = grid()
    rng = np.random.default_rng(1)
    u = rng.normal(2, 3, g.shape)
    v = rng.normal(-1, 3, g.shape)
    mat = tr.operator(g, u, v, 5e3, None, boundary="closed")
    m0 = rng.uniform(0, 1, (g.size, 3))
    m1, n = tr.advance(m0, mat, None, 2 * DAY)
    assert n > 1
    np.testing.assert_allclose(m1.sum(0), m0.sum(0), rtol=1e-12)
    assert m1.min() >= 0
    # and with loss, mass decays no faster than exp(-t/tau) allows (explicit Euler)
    tau = 4 * DAY
    mat = tr.operator(g, u, v, 5e3, tau, boundary="closed")
    m2, n = tr.advance(m0, mat, None, 2 * DAY)
    dt = 2 * DAY / n
    np.testing.assert_allclose(m2.sum(0), m0.sum(0) * (1 - dt / tau) ** n, rtol=1e-10)


def test_uniform_wind_translates_a_puff_by_u_t():
    g = grid(nx=60, ny=5)
    u = 5.0
    mat = tr.operator(g, u, 0.0, 0.0, None, boundary="closed")
    m0 = np.zeros(g.shape)
    m0[2, 5:8] = [1.0, 2.0, 1.0]
    t = 0.5 * DAY
    m1, _ = tr.advance(m0.ravel(), mat, None, t)
    m1 = m1.reshape(g.shape)
    x0 = (m0[2] * g.lon).sum() / m0[2].sum()
    x1 = (m1[2] * g.lon).sum() / m1[2].sum()
    expected = np.degrees(u * t / (R * np.cos(np.radians(g.lat[2]))))
    # exact up to the cell's mean width, A / dy = R cos(phi) dlambda (1 - dphi^2 / 24)
    assert x1 - x0 == pytest.approx(expected, rel=1e-5)
    assert m1[[0, 1, 3, 4]].sum() == 0  # nothing moves across rows
    # northward: the centre of mass moves v t along the meridian (to the cell geometry)
    g = grid(nx=4, ny=60)
    m0 = np.zeros(g.shape)
    m0[5:8, 1] = [1.0, 2.0, 1.0]
    m1, _ = tr.advance(m0.ravel(), tr.operator(g, 0.0, 4.0, 0.0, None, "closed"), None, t)
    m1 = m1.reshape(g.shape)
    y1 = (m1[:, 1] * g.lat).sum() / m1.sum()
    y0 = (m0[:, 1] * g.lat).sum() / m0.sum()
    assert y1 - y0 == pytest.approx(np.degrees(4.0 * t / R), rel=0.01)


def test_steady_point_source_gives_q_over_u_across_the_plume():
    """Steady state, uniform wind U, no loss: the crosswind integral of the column at any
    distance downwind is Q/U (mass balance), and the plume is the K-theory Gaussian."""
    g = grid(nx=40, ny=41, res=0.1)
    q, u = 10.0, 5.0
    src = np.zeros((g.size, 1))
    src[g.locate(g.lat[20], g.lon[3])] = q
    dx, dy = g.cell_widths()
    mat = tr.operator(g, u, 0.0, 0.0, None)
    col = (tr.steady_state(mat, src)[:, 0] / g.area().ravel()).reshape(g.shape)
    cross = (col * dy).sum(axis=0)  # kg/m along the wind
    np.testing.assert_allclose(cross[3:], q / u, rtol=1e-10)
    assert np.all(cross[:3] == 0)
    # with loss: discrete exponential decay (1 + dx/(U tau))^-k per cell downwind
    tau = 0.5 * DAY
    col = tr.steady_state(tr.operator(g, u, 0.0, 0.0, tau), src)[:, 0]
    cross = ((col / g.area().ravel()).reshape(g.shape) * dy).sum(axis=0)
    row = 20
    k = np.arange(37)
    first = q / (u + dx[row] / tau)
    np.testing.assert_allclose(cross[3:], first * (1 + dx[row] / (u * tau)) ** -k, rtol=1e-3)
    # with crosswind diffusion: Gaussian of sigma^2 = 2 K x / U (+ the source cell width)
    kh = 2e4
    col = tr.steady_state(tr.operator(g, u, 0.0, kh, None), src)[:, 0]
    col = (col / g.area().ravel()).reshape(g.shape)
    i = 30
    x = (i - 3) * dx[row]
    sig = np.sqrt(2 * kh * x / u + dy**2 / 12)
    centre = q / (np.sqrt(2 * np.pi) * sig * u)
    assert col[row, i] == pytest.approx(centre, rel=0.05)
    assert (col[:, i] * dy).sum() == pytest.approx(q / u, rel=0.02)


def test_cfl_substeps_and_convergence():
    g = grid()
    mat = tr.operator(g, 10.0, 3.0, 1e4, None)
    dt = tr.max_step(mat, 0.9)
    m0 = np.zeros(g.size)
    m0[g.locate(38.0, 56.0)] = 1.0
    m1, n = tr.advance(m0, mat, None, 6 * 3600.0)
    assert n == int(np.ceil(6 * 3600.0 / dt))
    assert dt * np.max(-mat.diagonal()) == pytest.approx(0.9)
    m2, n2 = tr.advance(m0, mat, None, 6 * 3600.0, cfl=0.3)
    assert n2 > 2.9 * n
    assert m1.min() >= 0 and m2.min() >= 0
    np.testing.assert_allclose(m1.sum(), m2.sum(), rtol=0.01)
    with pytest.raises(InputError, match="cfl"):
        tr.advance(m0, mat, None, 3600.0, cfl=1.5)


def winds(g, times, u=4.0, v=1.0, pad=1.0):
    lat = np.arange(g.lat[0] - pad, g.lat[-1] + pad + 0.01, 0.5)
    lon = np.arange(g.lon[0] - pad, g.lon[-1] + pad + 0.01, 0.5)
    shape = (len(times), lat.size, lon.size)
    uu = np.broadcast_to(np.asarray(u, float).reshape(-1, 1, 1), shape)
    vv = np.broadcast_to(np.asarray(v, float).reshape(-1, 1, 1), shape)
    return xr.Dataset(
        {
            "u": (("time", "latitude", "longitude"), uu, {"units": "m s-1"}),
            "v": (("time", "latitude", "longitude"), vv, {"units": "m s-1"}),
        },
        coords={"time": times, "latitude": lat, "longitude": lon},
    )


def test_time_stepping_reaches_the_steady_state_and_is_linear():
    g = grid(nx=16, ny=12)
    times = pd.date_range("2020-01-01", periods=13, freq="D").values
    w = winds(g, times)
    src = np.zeros((g.size, 2))
    src[g.locate(38.0, 56.0), 0] = 5.0
    src[g.locate(39.0, 57.0), 1] = 2.0
    cells = g.locate([38.2, 39.5, 39.9], [57.0, 58.0, 58.5])
    t_obs = np.full(3, times[-1])
    tau = tr.parameter("ventilation_timescale") / 4  # a day: steady after 12 lifetimes
    kh = tr.parameter("eddy_diffusivity")
    out = tr.sample_run(g, w, src, t_obs, cells, times[0], kh, tau, edges=True)
    steady = tr.steady_state(tr.operator(g, 4.0, 1.0, kh, tau), src)[cells]
    np.testing.assert_allclose(out[:, :2], steady, rtol=1e-3)
    fr = tr.edge_fractions(g, 4.0, 1.0, kh)[cells]
    np.testing.assert_allclose(out[:, 2:], fr, atol=1e-3)
    np.testing.assert_allclose(out[:, 2:].sum(1), 1.0)
    assert out[0, 3] < 1e-6  # upwind of the east edge only diffusion reaches, and barely
    combo = tr.sample_run(g, w, src @ [[2.0], [-3.0]], t_obs, cells, times[0], kh, tau)
    np.testing.assert_allclose(combo[:, 0], out[:, :2] @ [2.0, -3.0], rtol=1e-10)


def test_winds_must_cover_domain_time_and_be_in_m_per_s():
    g = grid(nx=8, ny=8)
    times = pd.date_range("2020-01-01", periods=3, freq="6h").values
    src = np.ones((g.size, 1))
    cell = g.locate([38.0], [56.0])
    with pytest.raises(InputError, match="winds cover lat"):
        tr.sample_run(g, winds(g, times, pad=-0.6), src, times[-1:], cell, times[0], 0, None)
    with pytest.raises(InputError, match="the run needs"):
        late = times[-1] + np.timedelta64(1, "D")
        tr.sample_run(g, winds(g, times), src, [late], cell, times[0], 0, None)
    bad = winds(g, times)
    bad["u"].attrs["units"] = "km h-1"
    with pytest.raises(InputError, match="expected m/s"):
        tr.sample_run(g, bad, src, times[-1:], cell, times[0], 0, None)
    with pytest.raises(InputError, match="outside the model domain"):
        g.locate([50.0], [56.0])
    with pytest.raises(InputError, match="NaN"):
        tr.operator(g, np.nan, 1.0, 0.0, None)
    with pytest.raises(InputError, match="singular"):
        tr.steady_state(tr.operator(g, 1.0, 0.0, 0.0, None, "closed"), src)
