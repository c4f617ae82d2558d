"""A national inversion on the regional transport model (pure functions; no files opened).

The inventory's CH4 by sector is the prior (:func:`sector_totals`), laid on the grid by
:mod:`.statevector`; the Jacobian comes from the regional transport model
(:mod:`.transport`) in a winds dataset or, without one, in a *climatological* wind rose
from ``data/transport.csv`` (each day one of its equally likely directions at its stated
speed, the steady state of that wind): the result is labelled so. Without real soundings
it is an OSSE: truth = prior × ``truth_scale`` per sector; soundings drawn with the
design's density and precision (``data/sampling.csv``), super-observations per cell and
day with the Chen et al. (2023) error; the truth is simulated in winds perturbed by a
spatially correlated random field (``wind_error_sigma``, ``wind_error_length``) that the
inversion does not know, so transport error enters as it would in reality.

The inversion's observation errors carry that transport error (``transport_error``,
default ``ensemble``; :mod:`.transport_error`): per day S_o = D + E Eᵀ with E the spread
of a perturbed-wind ensemble and the ensemble mean as the model, applied by Woodbury in
the normal equations (docs/inversion.md, "Transport error in S_o"). :func:`invert` runs
it all: normal equations, the posterior, and a second pass with the transport error
evaluated at the first posterior.

The case-level wiring (settings from case.yaml, the facility register, the country mask,
reading winds and sounding files, writing ``inversion/``) is the inversion stage,
:mod:`openmrv.stages.inversion`.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from threadpoolctl import threadpool_limits

from openmrv.constants import constant
from openmrv.errors import InputError
from openmrv.estimate.inventory import InventoryResult
from openmrv.estimate.inventory.uncertainty import combine_product, combine_sum
from openmrv.estimate.inversion import transport as tr
from openmrv.estimate.inversion.reuse import reusing_steady_states
from openmrv.estimate.inversion.solver import (
    Accumulator,
    NormalEquations,
    Posterior,
    SolverSettings,
    choose_gamma,
    exponential_covariance,
    solve,
)
from openmrv.estimate.inversion.statevector import StateVector
from openmrv.estimate.inversion.transport_error import (
    accumulate_by_day,
    model_offset,
    perturbed_winds,
    reference_state,
    rose_jacobians,
    run_field,
    run_jacobian,
    scaled,
    spinup_start,
    steady_jacobian,
    wind_error,
    wind_rose,
    winds_model_error,
)
from openmrv.observe.operator import boundary_layer_sensitivity
from openmrv.observe.superobs import load_parameters, superobservations
from openmrv.settings import InversionSettings as Settings

Progress = Callable[[str], None]

SECONDS_PER_YEAR = constant("seconds_per_year", "s")
KG_S_TO_KT = SECONDS_PER_YEAR / 1e6  # kg/s -> kt/yr
#: share of the variance kept uncorrelated in an exp(-d/L) prior covariance
NUGGET = 1e-6
SAMPLING_TABLE = Path(tr.__file__).parent / "data" / "sampling.csv"


def sampling_designs() -> dict[str, dict[str, str]]:
    """The sampling designs of ``data/sampling.csv`` by name."""
    with SAMPLING_TABLE.open() as fh:
        return {r["design"]: r for r in csv.DictReader(fh)}


def sector_totals(result: InventoryResult, sectors: list[str], year: int) -> dict[str, float]:
    """National CH4 of each sector in ``year`` [kg/s], plus 'other' for the rest of the
    national total (category 0) when positive."""
    ds = result.dataset
    cat = ds.attrs["cat"]
    ch4 = ds["CH4"].sel(time=str(year)).isel({"area (ISO3)": 0, "source": 0})
    codes = list(ds[cat].values)
    out = {}
    for s in sectors:
        v = float(ch4.sel({cat: s}).values[0]) if s in codes else np.nan
        if np.isfinite(v) and v > 0:
            out[s] = v * 1e6 / SECONDS_PER_YEAR  # Gg/yr -> kg/s
    if "0" in codes:
        rest = float(ch4.sel({cat: "0"}).values[0]) * 1e6 / SECONDS_PER_YEAR - sum(out.values())
        if rest > 1e-9 * max(1.0, sum(out.values())):
            out["other"] = rest
    if not out:
        raise InputError(
            f"the inventory has no CH4 in {year} for the sectors {sectors}; list sectors "
            "with CH4 estimates under top_down.inversion.sectors",
            field="top_down.inversion.sectors",
        )
    return out


def prior_covariance(
    sv: StateVector, s: Settings, shared: dict[str, float] | None = None
) -> np.ndarray:
    """S_a: per element ``prior_error`` (independent, or exp(-d/L)-correlated), plus for
    each sector in ``shared`` an error common to all its elements (its total's relative
    1-sigma times the sector's prior in each element: rank one per sector), so that the
    prior uncertainty of a sector total is at least the inventory's own."""
    x = sv.x_a[: sv.n_emission]
    if s.correlation_length_km > 0:
        r_km = constant("R_earth", "m") / 1e3
        y = np.radians(sv.lat) * r_km
        xk = np.radians(sv.lon) * r_km * np.cos(np.radians(sv.lat))
        se = exponential_covariance(s.prior_error * x, np.c_[xk, y], s.correlation_length_km)
        # exp(-d/L) is positive definite in exact arithmetic but, for elements much closer
        # than L, numerically singular: keep a 10^-6 share of the variance uncorrelated
        se = (1 - NUGGET) * se + NUGGET * np.diag(np.diag(se))
    else:
        se = np.diag((s.prior_error * x) ** 2)
    g = sv.sector_matrix()[:, : sv.n_emission]
    for k, sector in enumerate(sv.sectors):
        if sector in (shared or {}):
            v = shared[sector] * g[k] * x  # the sector's prior in each element x its error
            se = se + np.outer(v, v)
    nb = sv.n - sv.n_emission
    out = np.zeros((sv.n, sv.n))
    out[: sv.n_emission, : sv.n_emission] = se
    out[sv.n_emission :, sv.n_emission :] = np.eye(nb) * s.bc_error**2
    return out


def draw_soundings(s: Settings, grid: tr.Grid, rng: np.random.Generator):
    """Per day: cells with soundings and pixel counts, from the design's sampling."""
    d = sampling_designs()[s.sampling]
    area = grid.area().ravel()
    days = pd.date_range(s.start, s.end, freq="D")
    out = []
    for day in days:
        if d["soundings_per_day_per_1e6_km2"]:
            lam = float(d["soundings_per_day_per_1e6_km2"]) * area.sum() / 1e12
            k = rng.poisson(lam)
            cells = rng.choice(grid.size, size=k, p=area / area.sum())
            cells, count = np.unique(cells, return_counts=True)
        else:
            imaged = rng.uniform(size=grid.size) < float(d["imaged_fraction_per_day"])
            n_pix = area / (float(d["footprint_km2"]) * 1e6)
            count = rng.binomial(np.floor(n_pix).astype(int), float(d["valid_fraction"]))
            count = np.where(imaged, count, 0)
            cells = np.flatnonzero(count > 0)
            count = count[cells]
        if cells.size:
            out.append((day + pd.Timedelta(hours=8), cells, count))
    return out, float(d["precision_ppb"])


def truth_state(sv: StateVector, s: Settings) -> np.ndarray:
    g = sv.sector_matrix()[:, : sv.n_emission]
    share = g * sv.x_a[: sv.n_emission]  # (sectors, elements) prior by sector
    scale = np.array([s.truth_scale.get(sec, s.truth_scale.get("all", 1.0)) for sec in sv.sectors])
    return np.r_[scale @ share, np.zeros(sv.n - sv.n_emission)]


@functools.cache
def _superobs_settings() -> SolverSettings:
    par = load_parameters()  # the cited table, read once
    return SolverSettings(superobs=True, superobs_r=par.r, superobs_sigma_t=par.sigma_t)


def superobs_errors(sigma_o: float, count: np.ndarray) -> np.ndarray:
    """Super-observation errors s(P) (Chen et al. 2023, the cited table of
    ``openmrv.observe.superobs``): the same formula for OSSE and real soundings."""
    return _superobs_settings().observation_errors(sigma_o, count.astype(float))


def osse_climatological(sv, s, rng, progress, truth=None, rose_setup=None, x_ref=None):
    """Normal equations of an OSSE in the climatological wind rose.

    Each day one direction of the rose; the truth (``truth_state`` unless given, e.g. drawn
    from the prior) is simulated as one tracer in that wind plus a correlated error field
    drawn for the day. The inversion's observation errors per day are the super-observation
    errors plus the transport error of ``s.transport_error`` (``rose_model_error``),
    correlated among the day's soundings (S_o,day = D + E Eᵀ, by Woodbury).
    ``rose_setup`` reuses a :func:`rose_jacobians` result.
    """
    rose = wind_rose()
    k_rose, model_error = rose_setup or rose_jacobians(sv, s, x_ref)
    x_e = reference_state(sv, x_ref)
    days, sigma_o = draw_soundings(s, sv.grid, rng)
    sigma_o = s.obs_error or sigma_o
    truth = truth_state(sv, s) if truth is None else np.asarray(truth, float)
    n_e = sv.n_emission
    truth_field = (sv.patterns() @ truth[:n_e])[:, None]
    dx, dy = sv.grid.cell_widths()
    acc = Accumulator()
    for i, (_, cells, count) in enumerate(days):
        r = int(rng.integers(len(rose)))
        k = k_rose[r][cells]
        rho, bias, e = model_error[r]
        if s.wind_error:
            du, dv = wind_error(rng, sv.grid.shape, dx, dy)
            u, v = rose[r][0] + du, rose[r][1] + dv
            field = steady_jacobian(sv, u, v, None, truth_field, edges=False)[cells, 0]
            y_true = field + k[:, n_e:] @ truth[n_e:]  # background keeps the rose's
        else:
            y_true = k @ truth
        err = superobs_errors(sigma_o, count)
        y = y_true + rng.normal(0.0, err)
        b = bias[cells] if np.ndim(bias) else bias
        dy_a = y - k @ sv.x_a - model_offset(k, n_e, rho, b, sv.x_a, x_e)
        k = scaled(k, n_e, rho)
        acc.add(k, dy_a, err, correlated=None if e is None else e[cells])
        if progress is not None and i % 30 == 0:
            progress(f"inversion: day {i + 1} of {len(days)}")
    return acc.result(), truth


def osse_winds(sv, s, winds, rng, progress, truth=None, x_ref=None):
    days, sigma_o = draw_soundings(s, sv.grid, rng)
    sigma_o = s.obs_error or sigma_o
    times = np.concatenate([np.full(c.size, np.datetime64(t, "ns")) for t, c, _ in days])
    cells = np.concatenate([c for _, c, _ in days])
    count = np.concatenate([n for _, _, n in days])
    start = spinup_start(s, winds)
    k = run_jacobian(sv, winds, times, cells, start, progress)
    truth = truth_state(sv, s) if truth is None else np.asarray(truth, float)
    n_e = sv.n_emission
    if s.wind_error:
        field = sv.patterns() @ truth[:n_e]
        pert = perturbed_winds(winds, rng)
        y_true = run_field(sv, pert, times, cells, start, field) + k[:, n_e:] @ truth[n_e:]
    else:
        y_true = k @ truth
    err = superobs_errors(sigma_o, count)
    y = y_true + rng.normal(0.0, err)
    rho, bias, e = winds_model_error(sv, s, winds, times, cells, start, k, progress, x_ref)
    dy = y - k @ sv.x_a - model_offset(k, n_e, rho, bias, sv.x_a, reference_state(sv, x_ref))
    return accumulate_by_day(scaled(k, n_e, rho), dy, err, e, times), truth


def real_normal_equations(sv, s, obs: xr.Dataset, winds, progress, x_ref=None):
    """Normal equations from real soundings ``obs`` (QA-passed, in the domain; see
    :func:`openmrv.stages.inversion.read_inversion_soundings`): super-observations per
    cell and day. Returns the normal equations and the background [ppb] the boundary
    elements are offsets from (the median sounding)."""
    w, so, _, _ = sv.grid.bounds
    t = obs["time"].values
    keep = (t >= np.datetime64(s.start)) & (t <= np.datetime64(s.end + pd.Timedelta(days=1)))
    obs = obs.isel(sounding=np.flatnonzero(keep))
    if obs.sizes["sounding"] == 0:
        raise InputError(
            f"no soundings in the period {s.start:%Y-%m-%d} to {s.end:%Y-%m-%d}; set "
            "top_down.inversion.period to the dates of the sounding files",
            field="top_down.inversion.period",
        )
    obs, extra = with_operator(obs)
    # the same Chen et al. (2023) super-observation error s(P) as the OSSE paths
    sup = superobservations(
        obs,
        resolution=(s.resolution, s.resolution),
        origin=(so, w),
        sigma_o=s.obs_error,
        extra=extra,
    )
    cells = sv.grid.locate(sup["latitude"].values, sup["longitude"].values)
    y = sup["xch4"].values
    err = sup["xch4_uncertainty"].values
    times = sup["time"].values
    n_e = sv.n_emission
    if winds is not None:
        start = spinup_start(s, winds)
        k = run_jacobian(sv, winds, times, cells, start, progress)
        rho, bias, e = winds_model_error(sv, s, winds, times, cells, start, k, progress, x_ref)
    else:
        rho = 1.0
        k_rose = [steady_jacobian(sv, u, v)[cells] for u, v in wind_rose()]
        k = np.mean(k_rose, axis=0)
        x_e = reference_state(sv, x_ref)
        base = k[:, :n_e] @ x_e
        bias, e = 0.0, None
        if s.transport_error == "ensemble":  # the day's direction is unknown: the rose
            dev = np.stack([kr[:, :n_e] @ x_e - base for kr in k_rose], axis=1)
            e = dev / np.sqrt(dev.shape[1])
        elif s.transport_error == "scaling":
            rel = tr.parameter("wind_error_sigma") / tr.parameter("climatological_wind_speed")
            e = rel * base[:, None]
    if extra:  # the satellite sees the emission part through its averaging kernel
        sens = sup["bl_sensitivity"].values
        k[:, :n_e] *= sens[:, None]
        bias = bias * sens
        e = None if e is None else e * sens[:, None]
    background = float(np.median(y))  # boundary elements are offsets from this
    dy = (
        y
        - background
        - k @ sv.x_a
        - model_offset(k, n_e, rho, bias, sv.x_a, reference_state(sv, x_ref))
    )
    k = scaled(k, n_e, rho)
    return accumulate_by_day(k, dy, err, e, times), background


def with_operator(obs: xr.Dataset) -> tuple[xr.Dataset, tuple[str, ...]]:
    """Soundings with their boundary-layer sensitivity (``bl_sensitivity``), when they carry
    averaging kernels; else unchanged (the column enhancement is taken as seen fully)."""
    need = ("averaging_kernel", "ch4_profile_apriori")
    if not all(n in obs for n in need) or not (
        "pressure_weight" in obs or "dry_air_subcolumns" in obs
    ):
        return obs, ()
    sens = boundary_layer_sensitivity(obs, tr.parameter("boundary_layer_pressure_fraction"))
    if not np.isfinite(sens.values).all():
        bad = int((~np.isfinite(sens.values)).sum())
        raise InputError(
            f"{bad} soundings have averaging kernels or priors with gaps; screen them first",
            field="averaging_kernel",
        )
    return obs.assign(bl_sensitivity=sens), ("bl_sensitivity",)


def totals_table(sv: StateVector, post: Posterior, s: Settings) -> pd.DataFrame:
    g = sv.sector_matrix()
    a_diag = np.diag(post.a)
    rows = []
    groups = [(s.region, np.r_[np.ones(sv.n_emission), np.zeros(sv.n - sv.n_emission)])]
    groups += list(zip(sv.sectors, g, strict=True))
    for name, w in groups:
        pa, psd, xh, xsd = post.total(w)
        rows.append(
            {
                "group": name,
                "gas": "CH4",
                "year": s.year,
                "prior_kt": pa * KG_S_TO_KT,
                "prior_sigma_kt": psd * KG_S_TO_KT,
                "posterior_kt": xh * KG_S_TO_KT,
                "posterior_sigma_kt": xsd * KG_S_TO_KT,
                "dofs": float(np.minimum(w, 1.0)[: sv.n_emission] @ a_diag[: sv.n_emission]),
                "osse": int(s.osse),
            }
        )
    return pd.DataFrame(rows)


def diagnostics_attrs(post: Posterior) -> dict:
    """The solver's condition diagnostics as netCDF attributes."""
    d = post.diagnostics
    if d is None:
        return {}
    return {
        "rcond_prior": d.rcond_prior,
        "rcond_hessian": d.rcond_hessian,
        "condition_hessian": d.condition,
        "no_sensitivity_elements": np.asarray(d.no_sensitivity, dtype=np.int64)
        if d.no_sensitivity.size
        else "none",
    }


def sector_relative_errors(rows: pd.DataFrame, sectors: list[str]) -> dict[str, float]:
    """Relative 1-sigma uncertainty of each sector's CH4 by Approach 1 (IPCC 2006 Vol 1
    Ch 3: Eq. 3.1 per estimate, Eq. 3.2 over the sector's estimates; the 95 % half-width
    over 1.96) from the Approach 1 rows of the inversion year (columns category, gas,
    D, E, F of :func:`openmrv.estimate.inventory.uncertainty.estimate_rows`)."""
    rows = rows[(rows["gas"] == "CH4") & (rows["D"] > 0)]
    out = {}
    for sector in sectors:
        sel = rows[(rows["category"] == sector) | rows["category"].str.startswith(sector + ".")]
        if len(sel):
            u = combine_product(sel["E"].to_numpy(), sel["F"].to_numpy())
            out[sector] = combine_sum(sel["D"].to_numpy(), u) / 100.0 / 1.96
    return out


@dataclass
class NationalInversion:
    """What :func:`invert` produced: the posterior, its normal equations, the prior
    covariance, the OSSE truth (None for real soundings) and, for real soundings, the
    background [ppb] the boundary elements are offsets from."""

    posterior: Posterior
    normal_equations: NormalEquations
    s_a: np.ndarray
    truth: np.ndarray | None
    background_ppb: float | None


def invert(
    sv: StateVector,
    s: Settings,
    winds: xr.Dataset | None = None,
    obs: xr.Dataset | None = None,
    shared: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> NationalInversion:
    """The national inversion on state vector ``sv``: an OSSE when ``s.soundings`` is
    empty, else from the real soundings ``obs``; in ``winds`` (time, latitude, longitude;
    u, v [m/s]) or the climatological rose when None. ``shared``: relative 1-sigma per
    sector common to all its elements (:func:`prior_covariance`). With a transport error,
    it is evaluated again at the first posterior and the system solved once more."""
    s_a = prior_covariance(sv, s, shared)

    def normal(x_ref=None):
        # the same random stream in every pass: the same soundings, truth and noise
        r = np.random.default_rng(s.seed)
        if not s.osse:
            return real_normal_equations(sv, s, obs, winds, progress, x_ref)
        if winds is None:
            return osse_climatological(sv, s, r, progress, x_ref=x_ref)
        return osse_winds(sv, s, winds, r, progress, x_ref=x_ref)

    # the second pass re-solves the first's systems; one BLAS thread: the products
    # here are small (n state elements, a day's soundings), and BLAS threads would
    # cost more in waiting than they gain, most of all on a busy machine
    with reusing_steady_states(), threadpool_limits(limits=1, user_api="blas"):
        ne, other = normal()
        gamma = s.gamma if s.gamma > 0 else choose_gamma(ne, sv.x_a, s_a)[0]
        post = solve(ne, sv.x_a, s_a, gamma)
        if s.transport_error != "none":
            # the transport error scales with the emissions: evaluate it again at the
            # first posterior (one outer iteration) and solve once more
            if progress is not None:
                progress("inversion: transport error at the first posterior")
            ne, other = normal(post.x_hat)
            post = solve(ne, sv.x_a, s_a, gamma)
    if s.osse:
        return NationalInversion(post, ne, s_a, other, None)
    return NationalInversion(post, ne, s_a, None, other)
