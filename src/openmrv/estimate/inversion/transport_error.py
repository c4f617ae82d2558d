"""Transport error of the national inversion: wind errors, perturbed-wind ensembles and the
steady-state and time-stepped Jacobians they perturb (pure functions on a state vector).

The wind error is a non-divergent random field (:func:`wind_error`); an ensemble of such
fields added to the winds gives, per day, the spread ``E`` of the modelled columns
(S_o = D + E Eᵀ, applied by Woodbury in the normal equations) and the mean effect ``ρ``,
``bias`` of the error on the model (:func:`ensemble_error`). ``transport_error`` in the
settings chooses ``ensemble``, ``scaling`` (E from the relative wind-speed error) or
``none`` (docs/inversion.md, "Transport error in S_o"). Coefficients come from
``data/transport.csv`` and ``data/constants.csv`` through :mod:`.transport`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy.ndimage import gaussian_filter

from openmrv.constants import constant
from openmrv.estimate.inversion import transport as tr
from openmrv.estimate.inversion.solver import Accumulator, NormalEquations
from openmrv.estimate.inversion.statevector import StateVector
from openmrv.settings import InversionSettings as Settings


def wind_rose() -> list[tuple[float, float]]:
    speed = tr.parameter("climatological_wind_speed")
    n = int(tr.parameter("climatological_wind_directions"))
    ang = 2 * np.pi * np.arange(n) / n
    return [(speed * np.sin(a), speed * np.cos(a)) for a in ang]  # wind towards angle a


def steady_jacobian(sv: StateVector, u, v, cells=None, patterns=None, edges=True) -> np.ndarray:
    """K (N cells or ``cells``, n) for a steady wind: emission tracers [ppb per kg/s] and
    (``edges``) the edges' air fractions [ppb per ppb]. With ``cells`` fewer than the
    elements, the rows come from adjoint solves (one per cell), else from forward tracers."""
    g = sv.grid
    kh = tr.parameter("eddy_diffusivity")
    tau = tr.parameter("ventilation_timescale")
    rows = None if cells is None or len(cells) >= sv.n_emission else cells
    pat = sv.patterns() if patterns is None else patterns
    m = tr.steady_state(tr.operator(g, u, v, kh, tau), pat, rows)
    area = g.area().ravel()
    area = area[:, None] if rows is None else area[rows][:, None]
    k = tr.column_to_ppb(m / area, constant("p_surface_standard", "Pa"))
    if edges:
        k = np.c_[k, tr.edge_fractions(g, u, v, kh, rows)]
    return k if rows is not None or cells is None else k[cells]


def wind_error(rng: np.random.Generator, shape, dx: np.ndarray, dy: float):
    """A non-divergent random wind error (du, dv) [m/s] on cells of widths ``dx`` (per
    row) and ``dy`` [m]: u = −∂ψ/∂y, v = ∂ψ/∂x of a streamfunction ψ, white noise
    smoothed to the Gaussian correlation length ``wind_error_length``, scaled to the
    1-sigma per component ``wind_error_sigma``. Rotational, so the error moves mass
    around without piling it up (a divergent error would, in a 2-D flux-form model)."""
    sigma, length = tr.parameter("wind_error_sigma"), tr.parameter("wind_error_length")
    psi = gaussian_filter(rng.normal(size=shape), length / dy / np.sqrt(2), mode="wrap")
    du = -np.gradient(psi, dy, axis=0)
    dv = np.gradient(psi, axis=1) / np.asarray(dx).reshape(-1, 1)
    scale = sigma / max(float(np.sqrt((du.var() + dv.var()) / 2)), 1e-30)
    return du * scale, dv * scale


def member_rng(s: Settings) -> np.random.Generator:
    """The transport-error ensemble's own random stream: independent of the OSSE truth's
    wind-error draws (never the truth's own field)."""
    return np.random.default_rng([s.seed, 0x7E])


def ensemble_error(anomalies: np.ndarray, base: np.ndarray):
    """Mean effect and low-rank factor of the model error from member anomalies
    (N, members) of the prior's modelled enhancement ``base`` (N,).

    Returns (ρ, bias, E): E = centred anomalies / sqrt(members − 1), so E Eᵀ is the sample
    covariance; the mean anomaly (bias) is the expected column under wind error minus the
    column of the expected wind. The model becomes F(x) = ρK_e x_e + K_b x_b + bias −
    (ρ − 1)K_e x_ref: equal to the ensemble mean at the reference state x_ref, with the
    bias's part proportional to the signal, ρ − 1 = bias·base / base·base (dilution: the
    mean speed |u + δ| exceeds |u|, and plumes spread), growing with the emissions.
    """
    bias = anomalies.mean(axis=1)
    e = (anomalies - bias[:, None]) / np.sqrt(max(anomalies.shape[1] - 1, 1))
    bb = float(base @ base)
    rho = 1.0 + float(bias @ base) / bb if bb > 0 else 1.0
    return rho, bias, e


def reference_state(sv: StateVector, x_ref) -> np.ndarray:
    """Emission state at which the transport error is evaluated: x_a, or (second pass)
    the first posterior, negative elements set to 0."""
    x = sv.x_a if x_ref is None else np.asarray(x_ref, float)
    return np.maximum(x[: sv.n_emission], 0.0)


def model_offset(k, n_e, rho, bias, x_a, x_e):
    """bias + (ρ − 1)K_e(x_a − x_ref): F(x_a) − Kx_a of the corrected model (ρK_e, bias
    evaluated at x_ref)."""
    if rho == 1.0:
        return bias
    return bias + (rho - 1.0) * (k[:, :n_e] @ (x_a[:n_e] - x_e))


def rose_model_error(sv: StateVector, s: Settings, rose, k_rose, pat, x_ref=None):
    """Per rose direction: (ρ, bias (N,), E (N, r) or None) of the modelled XCH4 [ppb]
    (ρ scales the emission Jacobian, see ``ensemble_error``).

    ``ensemble``: members of the wind-error model (``wind_error``) added to the
    direction's wind, each the steady state of the reference emission field (x_a or, in
    the second pass, the first posterior; one tracer);
    anomalies = member − unperturbed. Their mean corrects the model (wind errors raise the
    mean speed, |u + δ|² = U² + 2σ², and spread plumes: the expected column is not the
    column of the expected wind) and their spread is E. ``scaling``: E = σ_wind/U ·
    (K x_ref), the day's whole enhancement scaled by the relative wind-speed error.
    """
    n_e = sv.n_emission
    x_e = reference_state(sv, x_ref)
    if s.transport_error == "none":
        return [(1.0, 0.0, None)] * len(rose)
    if s.transport_error == "scaling":
        rel = tr.parameter("wind_error_sigma") / tr.parameter("climatological_wind_speed")
        return [(1.0, 0.0, rel * (k[:, :n_e] @ x_e)[:, None]) for k in k_rose]
    rng = member_rng(s)
    members = int(tr.parameter("transport_error_members"))
    dx, dy = sv.grid.cell_widths()
    field_a = pat @ x_e
    out = []
    for (u, v), k in zip(rose, k_rose, strict=True):
        base = k[:, :n_e] @ x_e
        anomalies = np.empty((base.size, members))
        for j in range(members):
            du, dv = wind_error(rng, sv.grid.shape, dx, dy)
            anomalies[:, j] = (
                steady_jacobian(sv, u + du, v + dv, None, field_a[:, None], edges=False)[:, 0]
                - base
            )
        out.append(ensemble_error(anomalies, base))
    return out


def rose_jacobians(sv: StateVector, s: Settings, x_ref=None):
    """The rose's Jacobians (one per direction, all cells) and their transport errors
    (``rose_model_error`` at ``x_ref``): what every day of a climatological run draws
    from."""
    rose = wind_rose()
    k_rose = [steady_jacobian(sv, u, v) for u, v in rose]
    return k_rose, rose_model_error(sv, s, rose, k_rose, sv.patterns(), x_ref)


def perturbed_winds(winds: xr.Dataset, rng) -> xr.Dataset:
    """Winds plus an independent non-divergent error field at each time."""
    la = winds["latitude"].values
    lo = winds["longitude"].values
    r = constant("R_earth", "m")
    dy = abs(float(np.radians(la[1] - la[0]))) * r
    dx = r * np.cos(np.radians(la)) * abs(float(np.radians(lo[1] - lo[0])))
    out = winds.copy(deep=True)
    errs = [wind_error(rng, (la.size, lo.size), dx, dy) for _ in range(winds.sizes["time"])]
    for k, name in enumerate(("u", "v")):
        out[name] = winds[name] + np.stack([e[k] for e in errs])
        out[name].attrs = winds[name].attrs
    return out


def run_jacobian(sv, winds, times, cells, start, progress):
    kh = tr.parameter("eddy_diffusivity")
    tau = tr.parameter("ventilation_timescale")

    def step(done: int, total: int) -> None:
        if progress is not None and done % 24 == 0:
            progress(f"transport: interval {done} of {total}")

    out = tr.sample_run(
        sv.grid, winds, sv.patterns(), times, cells, start, kh, tau, edges=True, progress=step
    )
    n_e = sv.n_emission
    area = sv.grid.area().ravel()[cells][:, None]
    ppb = tr.column_to_ppb(out[:, :n_e] / area, constant("p_surface_standard", "Pa"))
    return np.c_[ppb, out[:, n_e:]]


def run_field(sv, winds, times, cells, start, field: np.ndarray) -> np.ndarray:
    """XCH4 enhancement [ppb] at the soundings of one emission field [kg/s per cell]
    (one tracer) run through ``winds``."""
    kh = tr.parameter("eddy_diffusivity")
    tau = tr.parameter("ventilation_timescale")
    out = tr.sample_run(sv.grid, winds, field[:, None], times, cells, start, kh, tau)[:, 0]
    area = sv.grid.area().ravel()[cells]
    return tr.column_to_ppb(out / area, constant("p_surface_standard", "Pa"))


def mean_speed(winds: xr.Dataset) -> float:
    return float(np.sqrt(winds["u"] ** 2 + winds["v"] ** 2).mean())


def winds_model_error(sv, s, winds, times, cells, start, k, progress, x_ref=None):
    """(ρ, bias (m,), E (m, r) or None) [ppb] of the soundings in a winds-file run:
    ``ensemble`` runs the prior's emission field (one tracer) through members of the
    wind-error model (independent draws, ``member_rng``); ``scaling`` is σ_wind/Ū ·
    K x_a with Ū the winds' mean speed."""
    n_e = sv.n_emission
    x_e = reference_state(sv, x_ref)
    base = k[:, :n_e] @ x_e
    if s.transport_error == "none":
        return 1.0, 0.0, None
    if s.transport_error == "scaling":
        rel = tr.parameter("wind_error_sigma") / max(mean_speed(winds), 0.1)
        return 1.0, 0.0, rel * base[:, None]
    rng = member_rng(s)
    field_a = sv.patterns() @ x_e
    members = int(tr.parameter("transport_error_members"))
    anomalies = np.empty((base.size, members))
    for j in range(members):
        if progress is not None:
            progress(f"transport error: member {j + 1} of {members}")
        pert = perturbed_winds(winds, rng)
        anomalies[:, j] = run_field(sv, pert, times, cells, start, field_a) - base
    return ensemble_error(anomalies, base)


def scaled(k: np.ndarray, n_e: int, rho: float) -> np.ndarray:
    """The Jacobian with its emission columns scaled by ρ (mean transport-error effect)."""
    return k if rho == 1.0 else np.c_[rho * k[:, :n_e], k[:, n_e:]]


def accumulate_by_day(k, dy, err, e, times) -> NormalEquations:
    """Normal equations with S_o block-diagonal by UTC day: D + E_day E_dayᵀ (one wind
    field a day: its transport error is correlated among the day's soundings)."""
    day = np.asarray(times, dtype="datetime64[D]")
    acc = Accumulator()
    for d in np.unique(day):
        i = np.flatnonzero(day == d)
        acc.add(k[i], dy[i], err[i], correlated=None if e is None else e[i])
    return acc.result()


def spinup_start(s: Settings, winds: xr.Dataset) -> pd.Timestamp:
    """Three ventilation lifetimes before the period, or the winds' start if later."""
    spin = pd.Timedelta(seconds=3 * tr.parameter("ventilation_timescale"))
    return max(pd.Timestamp(s.start) - spin, pd.Timestamp(winds["time"].values[0]))
