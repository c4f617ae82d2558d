"""A national inversion of a case: ``openmrv invert CASE`` and the run folder's ``inversion/``.

Wires the stages (this module opens files, so it sits at the pipeline level): the case's
``top_down: inversion:`` settings, the inventory's CH4 by sector as the prior, the facility
register and the country mask (:mod:`openmrv.observe.region`) to lay the prior on a grid,
the state vector (:mod:`openmrv.estimate.inversion.statevector`), the regional transport
model (:mod:`openmrv.estimate.inversion.transport`) for the Jacobian, the soundings (real
files through :mod:`openmrv.observe`, or an OSSE), and the analytical solver.

Without a winds file the transport runs in a *climatological* wind rose from
``data/transport.csv`` (each day one of its equally likely directions at its stated
speed, the steady state of that wind): the result is labelled so. Without real
soundings it is an OSSE: truth = prior × ``truth_scale`` per sector; soundings drawn with
the design's density and precision (``data/sampling.csv``), super-observations per cell
and day with the Chen et al. (2023) error; the truth is simulated in winds perturbed by a
spatially correlated random field (``wind_error_sigma``, ``wind_error_length``) that the
inversion does not know, so transport error enters as it would in reality. Every output
carries ``osse = 1`` then.

The inversion's observation errors carry that transport error (``transport_error``,
default ``ensemble``): per day S_o = D + E Eᵀ with E the spread of a perturbed-wind
ensemble and the ensemble mean as the model, applied by Woodbury in the normal equations
(docs/inversion.md, "Transport error in S_o").
"""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy.ndimage import gaussian_filter

from openmrv.case import Case, read_facilities
from openmrv.errors import InputError
from openmrv.estimate.inventory import InventoryResult
from openmrv.estimate.inversion import transport as tr
from openmrv.estimate.inversion.solver import (
    Accumulator,
    NormalEquations,
    Posterior,
    SolverSettings,
    choose_gamma,
    exponential_covariance,
    solve,
)
from openmrv.estimate.inversion.statevector import StateVector, build_state_vector, sector_fields

Progress = Callable[[str], None]
SECONDS_PER_YEAR = 365.25 * 86400.0
KG_S_TO_KT = SECONDS_PER_YEAR / 1e6  # kg/s -> kt/yr
DEFAULT_SECTORS = ["1.A", "1.B.1", "1.B.2", "2", "3.A", "3.B", "3.C", "4.A", "4.B", "4.D"]
#: uncorrelated share of the prior variance kept for numerical definiteness
NUGGET = 1e-6
#: how the transport (model) error enters S_o: perturbed-wind ensemble, rank-one scaling
TRANSPORT_ERRORS = ("ensemble", "scaling", "none")
SAMPLING_TABLE = Path(tr.__file__).parent / "data" / "sampling.csv"


@dataclass
class Settings:
    """Inversion settings (case.yaml ``top_down: inversion:``) with their defaults."""

    region: str
    year: int
    resolution: float = 0.25
    padding: float = 1.0
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    winds: Path | None = None
    prior_error: float = 0.5
    obs_error: float | None = None
    bc_error: float = 10.0
    gamma: float = 1.0
    correlation_length_km: float = 0.0
    sector_prior_error: str = "inventory"
    mode: str = "clusters"
    clusters: int = 150
    hotspot_fraction: float = 0.01
    sectors: list[str] = field(default_factory=lambda: list(DEFAULT_SECTORS))
    soundings: list[Path] = field(default_factory=list)
    sampling: str = "gosat"
    truth_scale: dict[str, float] = field(default_factory=dict)
    seed: int = 20251220
    wind_error: bool = True
    transport_error: str = "ensemble"

    @property
    def osse(self) -> bool:
        return not self.soundings

    @classmethod
    def from_case(cls, case: Case) -> Settings:
        cfg = dict(case.inversion or {})
        year = int(cfg.get("year", case.last_year))
        if not case.first_year <= year <= case.last_year:
            raise InputError(
                f"year {year} is outside the inventory's {case.first_year}-{case.last_year}; "
                "choose a year the inventory covers",
                file=case.config_file,
                field="top_down.inversion.year",
            )
        start, end = cfg.get(
            "period", (pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{year}-12-31"))
        )
        sv = cfg.get("state_vector") or {}
        osse = cfg.get("osse") or {}
        s = cls(
            region=str(cfg.get("region", case.country)),
            year=year,
            resolution=float(cfg.get("resolution", 0.25)),
            padding=float(cfg.get("padding", 1.0)),
            start=start,
            end=end,
            winds=cfg.get("winds"),
            prior_error=float(cfg.get("prior_error", 0.5)),
            obs_error=None if cfg.get("obs_error") is None else float(cfg["obs_error"]),
            bc_error=float(cfg.get("bc_error", 10.0)),
            gamma=float(cfg.get("gamma", 1.0)),
            correlation_length_km=float(cfg.get("correlation_length_km", 0.0)),
            sector_prior_error=str(cfg.get("sector_prior_error", "inventory")),
            mode=str(sv.get("mode", "clusters")),
            clusters=int(sv.get("clusters", 150)),
            hotspot_fraction=float(sv.get("hotspot_fraction", 0.01)),
            sectors=[str(c) for c in cfg.get("sectors", DEFAULT_SECTORS)],
            soundings=list(cfg.get("soundings", [])),
            sampling=str(osse.get("sampling", "gosat")),
            truth_scale={str(k): float(v) for k, v in (osse.get("truth_scale") or {}).items()},
            seed=int(osse.get("seed", 20251220)),
            wind_error=bool(osse.get("wind_error", True)),
            transport_error=str(cfg.get("transport_error", "ensemble")),
        )
        if s.transport_error not in TRANSPORT_ERRORS:
            raise InputError(
                f"transport_error '{s.transport_error}' unknown; use one of "
                f"{', '.join(TRANSPORT_ERRORS)}",
                file=case.config_file,
                field="top_down.inversion.transport_error",
            )
        designs = sampling_designs()
        if s.osse and s.sampling not in designs:
            raise InputError(
                f"sampling '{s.sampling}' unknown; use one of {', '.join(designs)}",
                file=case.config_file,
                field="top_down.inversion.osse.sampling",
            )
        for a in s.sectors:
            for b in s.sectors:
                if a != b and b.startswith(a + "."):
                    raise InputError(
                        f"sectors {a} and {b} overlap (one holds the other); list disjoint codes",
                        file=case.config_file,
                        field="top_down.inversion.sectors",
                    )
        bad = set(s.truth_scale) - set(s.sectors) - {"all", "other"}
        if bad:
            raise InputError(
                f"truth_scale names {sorted(bad)}, not among the sectors {s.sectors}",
                file=case.config_file,
                field="top_down.inversion.osse.truth_scale",
            )
        return s


def sampling_designs() -> dict[str, dict[str, str]]:
    """The sampling designs of ``data/sampling.csv`` by name."""
    with SAMPLING_TABLE.open() as fh:
        return {r["design"]: r for r in csv.DictReader(fh)}


@dataclass
class CaseInversion:
    """What :func:`run_case_inversion` produced."""

    settings: Settings
    state: StateVector
    posterior: Posterior
    totals: pd.DataFrame
    placement: pd.DataFrame
    truth: np.ndarray | None
    winds_label: str
    files: list[Path]
    n_soundings: int

    @property
    def osse(self) -> bool:
        return self.settings.osse


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


def _domain(settings: Settings) -> tuple[tr.Grid, np.ndarray]:
    from openmrv.observe.region import country_polygons, region_mask

    polys = country_polygons(settings.region)
    pts = np.concatenate([p[0] for p in polys])
    r, pad = settings.resolution, settings.padding
    west = np.floor((pts[:, 0].min() - pad) / r) * r
    south = np.floor((pts[:, 1].min() - pad) / r) * r
    east = np.ceil((pts[:, 0].max() + pad) / r) * r
    north = np.ceil((pts[:, 1].max() + pad) / r) * r
    grid = tr.Grid.from_bounds(west, south, east, north, r)
    la, lo = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    land = region_mask(lo.ravel(), la.ravel(), settings.region).reshape(grid.shape)
    return grid, land


def _facilities(case: Case) -> pd.DataFrame:
    fac = read_facilities(case)
    out = fac[["lat", "lon", "category"]].copy()
    out["weight"] = pd.to_numeric(fac["capacity"], errors="coerce")
    # weights only compare within one unit: mixed units fall back to equal shares
    for _, grp in fac.groupby(fac["category"].str[:5]):
        if grp["capacity_unit"].nunique() > 1:
            out.loc[grp.index, "weight"] = np.nan
    return out


def sector_errors(
    case: Case, result: InventoryResult, sectors: list[str], year: int
) -> dict[str, float]:
    """Relative 1-sigma uncertainty of each sector's CH4 in ``year`` by Approach 1 (IPCC
    2006 Vol 1 Ch 3: Eq. 3.1 per estimate, Eq. 3.2 over the sector's estimates; the 95 %
    half-width over 1.96). Empty when the case gives no activity uncertainties."""
    if case.uncertainty_file is None:
        return {}
    from openmrv.case import read_activity_uncertainty
    from openmrv.estimate.inventory.montecarlo import ActivityUncertainty
    from openmrv.estimate.inventory.uncertainty import (
        combine_product,
        combine_sum,
        estimate_rows,
    )

    unc = ActivityUncertainty(read_activity_uncertainty(case))
    rows = estimate_rows(result, unc, case.gwp, (case.first_year, year))
    rows = rows[(rows["gas"] == "CH4") & (rows["D"] > 0)]
    out = {}
    for sector in sectors:
        sel = rows[(rows["category"] == sector) | rows["category"].str.startswith(sector + ".")]
        if len(sel):
            u = combine_product(sel["E"].to_numpy(), sel["F"].to_numpy())
            out[sector] = combine_sum(sel["D"].to_numpy(), u) / 100.0 / 1.96
    return out


def _prior_covariance(
    sv: StateVector, s: Settings, shared: dict[str, float] | None = None
) -> np.ndarray:
    """S_a: per element ``prior_error`` (independent, or exp(-d/L)-correlated), plus for
    each sector in ``shared`` an error common to all its elements (its total's relative
    1-sigma times the sector's prior in each element: rank one per sector), so that the
    prior uncertainty of a sector total is at least the inventory's own."""
    x = sv.x_a[: sv.n_emission]
    if s.correlation_length_km > 0:
        y = np.radians(sv.lat) * 6371.0
        xk = np.radians(sv.lon) * 6371.0 * np.cos(np.radians(sv.lat))
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


def _wind_rose() -> list[tuple[float, float]]:
    speed = tr.parameter("climatological_wind_speed")
    n = int(tr.parameter("climatological_wind_directions"))
    ang = 2 * np.pi * np.arange(n) / n
    return [(speed * np.sin(a), speed * np.cos(a)) for a in ang]  # wind towards angle a


def _steady_jacobian(sv: StateVector, u, v, cells=None, patterns=None, edges=True) -> np.ndarray:
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
    k = tr.column_to_ppb(m / area, tr.constant("p_surface_standard"))
    if edges:
        k = np.c_[k, tr.edge_fractions(g, u, v, kh, rows)]
    return k if rows is not None or cells is None else k[cells]


def _wind_error(rng: np.random.Generator, shape, dx: np.ndarray, dy: float):
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


def _draw_soundings(s: Settings, grid: tr.Grid, rng: np.random.Generator):
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


def _truth(sv: StateVector, s: Settings) -> np.ndarray:
    g = sv.sector_matrix()[:, : sv.n_emission]
    share = g * sv.x_a[: sv.n_emission]  # (sectors, elements) prior by sector
    scale = np.array([s.truth_scale.get(sec, s.truth_scale.get("all", 1.0)) for sec in sv.sectors])
    return np.r_[scale @ share, np.zeros(sv.n - sv.n_emission)]


@functools.cache
def _superobs_settings() -> SolverSettings:
    from openmrv.observe.superobs import load_parameters

    par = load_parameters()  # the cited table, read once
    return SolverSettings(superobs=True, superobs_r=par.r, superobs_sigma_t=par.sigma_t)


def _superobs_errors(sigma_o: float, count: np.ndarray) -> np.ndarray:
    """Super-observation errors s(P) (Chen et al. 2023, the cited table of
    ``openmrv.observe.superobs``): the same formula for OSSE and real soundings."""
    return _superobs_settings().observation_errors(sigma_o, count.astype(float))


def _member_rng(s: Settings) -> np.random.Generator:
    """The transport-error ensemble's own random stream: independent of the OSSE truth's
    wind-error draws (never the truth's own field)."""
    return np.random.default_rng([s.seed, 0x7E])


def _ensemble_error(anomalies: np.ndarray, base: np.ndarray):
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


def _reference(sv: StateVector, x_ref) -> np.ndarray:
    """Emission state at which the transport error is evaluated: x_a, or (second pass)
    the first posterior, negative elements set to 0."""
    x = sv.x_a if x_ref is None else np.asarray(x_ref, float)
    return np.maximum(x[: sv.n_emission], 0.0)


def _model_offset(k, n_e, rho, bias, x_a, x_e):
    """bias + (ρ − 1)K_e(x_a − x_ref): F(x_a) − Kx_a of the corrected model (ρK_e, bias
    evaluated at x_ref)."""
    if rho == 1.0:
        return bias
    return bias + (rho - 1.0) * (k[:, :n_e] @ (x_a[:n_e] - x_e))


def _rose_model_error(sv: StateVector, s: Settings, rose, k_rose, pat, x_ref=None):
    """Per rose direction: (ρ, bias (N,), E (N, r) or None) of the modelled XCH4 [ppb]
    (ρ scales the emission Jacobian, see ``_ensemble_error``).

    ``ensemble``: members of the wind-error model (``_wind_error``) added to the
    direction's wind, each the steady state of the reference emission field (x_a or, in
    the second pass, the first posterior; one tracer);
    anomalies = member − unperturbed. Their mean corrects the model (wind errors raise the
    mean speed, |u + δ|² = U² + 2σ², and spread plumes: the expected column is not the
    column of the expected wind) and their spread is E. ``scaling``: E = σ_wind/U ·
    (K x_ref), the day's whole enhancement scaled by the relative wind-speed error.
    """
    n_e = sv.n_emission
    x_e = _reference(sv, x_ref)
    if s.transport_error == "none":
        return [(1.0, 0.0, None)] * len(rose)
    if s.transport_error == "scaling":
        rel = tr.parameter("wind_error_sigma") / tr.parameter("climatological_wind_speed")
        return [(1.0, 0.0, rel * (k[:, :n_e] @ x_e)[:, None]) for k in k_rose]
    rng = _member_rng(s)
    members = int(tr.parameter("transport_error_members"))
    dx, dy = sv.grid.cell_widths()
    field_a = pat @ x_e
    out = []
    for (u, v), k in zip(rose, k_rose, strict=True):
        base = k[:, :n_e] @ x_e
        anomalies = np.empty((base.size, members))
        for j in range(members):
            du, dv = _wind_error(rng, sv.grid.shape, dx, dy)
            anomalies[:, j] = (
                _steady_jacobian(sv, u + du, v + dv, None, field_a[:, None], edges=False)[:, 0]
                - base
            )
        out.append(_ensemble_error(anomalies, base))
    return out


def rose_jacobians(sv: StateVector, s: Settings, x_ref=None):
    """The rose's Jacobians (one per direction, all cells) and their transport errors
    (``_rose_model_error`` at ``x_ref``): what every day of a climatological run draws
    from."""
    rose = _wind_rose()
    k_rose = [_steady_jacobian(sv, u, v) for u, v in rose]
    return k_rose, _rose_model_error(sv, s, rose, k_rose, sv.patterns(), x_ref)


def _osse_climatological(sv, s, rng, progress, truth=None, rose_setup=None, x_ref=None):
    """Normal equations of an OSSE in the climatological wind rose.

    Each day one direction of the rose; the truth (``_truth`` unless given, e.g. drawn
    from the prior) is simulated as one tracer in that wind plus a correlated error field
    drawn for the day. The inversion's observation errors per day are the super-observation
    errors plus the transport error of ``s.transport_error`` (``_rose_model_error``),
    correlated among the day's soundings (S_o,day = D + E Eᵀ, by Woodbury).
    ``rose_setup`` reuses a :func:`rose_jacobians` result.
    """
    rose = _wind_rose()
    k_rose, model_error = rose_setup or rose_jacobians(sv, s, x_ref)
    x_e = _reference(sv, x_ref)
    days, sigma_o = _draw_soundings(s, sv.grid, rng)
    sigma_o = s.obs_error or sigma_o
    truth = _truth(sv, s) if truth is None else np.asarray(truth, float)
    n_e = sv.n_emission
    truth_field = (sv.patterns() @ truth[:n_e])[:, None]
    dx, dy = sv.grid.cell_widths()
    acc = Accumulator()
    for i, (_, cells, count) in enumerate(days):
        r = int(rng.integers(len(rose)))
        k = k_rose[r][cells]
        rho, bias, e = model_error[r]
        if s.wind_error:
            du, dv = _wind_error(rng, sv.grid.shape, dx, dy)
            u, v = rose[r][0] + du, rose[r][1] + dv
            field = _steady_jacobian(sv, u, v, None, truth_field, edges=False)[cells, 0]
            y_true = field + k[:, n_e:] @ truth[n_e:]  # background keeps the rose's
        else:
            y_true = k @ truth
        err = _superobs_errors(sigma_o, count)
        y = y_true + rng.normal(0.0, err)
        b = bias[cells] if np.ndim(bias) else bias
        dy_a = y - k @ sv.x_a - _model_offset(k, n_e, rho, b, sv.x_a, x_e)
        k = _scaled(k, n_e, rho)
        acc.add(k, dy_a, err, correlated=None if e is None else e[cells])
        if progress is not None and i % 30 == 0:
            progress(f"inversion: day {i + 1} of {len(days)}")
    return acc.result(), truth


def _perturbed_winds(winds: xr.Dataset, rng) -> xr.Dataset:
    """Winds plus an independent non-divergent error field at each time."""
    la = winds["latitude"].values
    lo = winds["longitude"].values
    r = tr.constant("R_earth")
    dy = abs(float(np.radians(la[1] - la[0]))) * r
    dx = r * np.cos(np.radians(la)) * abs(float(np.radians(lo[1] - lo[0])))
    out = winds.copy(deep=True)
    errs = [_wind_error(rng, (la.size, lo.size), dx, dy) for _ in range(winds.sizes["time"])]
    for k, name in enumerate(("u", "v")):
        out[name] = winds[name] + np.stack([e[k] for e in errs])
        out[name].attrs = winds[name].attrs
    return out


def _run_jacobian(sv, winds, times, cells, start, progress):
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
    ppb = tr.column_to_ppb(out[:, :n_e] / area, tr.constant("p_surface_standard"))
    return np.c_[ppb, out[:, n_e:]]


def _run_field(sv, winds, times, cells, start, field: np.ndarray) -> np.ndarray:
    """XCH4 enhancement [ppb] at the soundings of one emission field [kg/s per cell]
    (one tracer) run through ``winds``."""
    kh = tr.parameter("eddy_diffusivity")
    tau = tr.parameter("ventilation_timescale")
    out = tr.sample_run(sv.grid, winds, field[:, None], times, cells, start, kh, tau)[:, 0]
    area = sv.grid.area().ravel()[cells]
    return tr.column_to_ppb(out / area, tr.constant("p_surface_standard"))


def _mean_speed(winds: xr.Dataset) -> float:
    return float(np.sqrt(winds["u"] ** 2 + winds["v"] ** 2).mean())


def _winds_model_error(sv, s, winds, times, cells, start, k, progress, x_ref=None):
    """(ρ, bias (m,), E (m, r) or None) [ppb] of the soundings in a winds-file run:
    ``ensemble`` runs the prior's emission field (one tracer) through members of the
    wind-error model (independent draws, ``_member_rng``); ``scaling`` is σ_wind/Ū ·
    K x_a with Ū the winds' mean speed."""
    n_e = sv.n_emission
    x_e = _reference(sv, x_ref)
    base = k[:, :n_e] @ x_e
    if s.transport_error == "none":
        return 1.0, 0.0, None
    if s.transport_error == "scaling":
        rel = tr.parameter("wind_error_sigma") / max(_mean_speed(winds), 0.1)
        return 1.0, 0.0, rel * base[:, None]
    rng = _member_rng(s)
    field_a = sv.patterns() @ x_e
    members = int(tr.parameter("transport_error_members"))
    anomalies = np.empty((base.size, members))
    for j in range(members):
        if progress is not None:
            progress(f"transport error: member {j + 1} of {members}")
        pert = _perturbed_winds(winds, rng)
        anomalies[:, j] = _run_field(sv, pert, times, cells, start, field_a) - base
    return _ensemble_error(anomalies, base)


def _scaled(k: np.ndarray, n_e: int, rho: float) -> np.ndarray:
    """The Jacobian with its emission columns scaled by ρ (mean transport-error effect)."""
    return k if rho == 1.0 else np.c_[rho * k[:, :n_e], k[:, n_e:]]


def _accumulate_by_day(k, dy, err, e, times) -> NormalEquations:
    """Normal equations with S_o block-diagonal by UTC day: D + E_day E_dayᵀ (one wind
    field a day: its transport error is correlated among the day's soundings)."""
    day = np.asarray(times, dtype="datetime64[D]")
    acc = Accumulator()
    for d in np.unique(day):
        i = np.flatnonzero(day == d)
        acc.add(k[i], dy[i], err[i], correlated=None if e is None else e[i])
    return acc.result()


def _spinup_start(s: Settings, winds: xr.Dataset) -> pd.Timestamp:
    """Three ventilation lifetimes before the period, or the winds' start if later."""
    spin = pd.Timedelta(seconds=3 * tr.parameter("ventilation_timescale"))
    return max(pd.Timestamp(s.start) - spin, pd.Timestamp(winds["time"].values[0]))


def _osse_winds(sv, s, winds, rng, progress, truth=None, x_ref=None):
    days, sigma_o = _draw_soundings(s, sv.grid, rng)
    sigma_o = s.obs_error or sigma_o
    times = np.concatenate([np.full(c.size, np.datetime64(t, "ns")) for t, c, _ in days])
    cells = np.concatenate([c for _, c, _ in days])
    count = np.concatenate([n for _, _, n in days])
    start = _spinup_start(s, winds)
    k = _run_jacobian(sv, winds, times, cells, start, progress)
    truth = _truth(sv, s) if truth is None else np.asarray(truth, float)
    n_e = sv.n_emission
    if s.wind_error:
        field = sv.patterns() @ truth[:n_e]
        pert = _perturbed_winds(winds, rng)
        y_true = _run_field(sv, pert, times, cells, start, field) + k[:, n_e:] @ truth[n_e:]
    else:
        y_true = k @ truth
    err = _superobs_errors(sigma_o, count)
    y = y_true + rng.normal(0.0, err)
    rho, bias, e = _winds_model_error(sv, s, winds, times, cells, start, k, progress, x_ref)
    dy = y - k @ sv.x_a - _model_offset(k, n_e, rho, bias, sv.x_a, _reference(sv, x_ref))
    return _accumulate_by_day(_scaled(k, n_e, rho), dy, err, e, times), truth


def _real(sv, s, winds, progress, x_ref=None):
    """Normal equations from real soundings: super-observations per cell and day."""
    from openmrv.observe.batch import read_file
    from openmrv.observe.soundings import concat_soundings
    from openmrv.observe.superobs import superobservations

    w, so, e, n = sv.grid.bounds
    parts = []
    for i, f in enumerate(s.soundings):
        ds, _, _, err = read_file(f, region=(w, so, e, n), qa=True)
        if err:
            raise InputError(err, file=f, field="top_down.inversion.soundings")
        if ds is not None:
            parts.append(ds)
        if progress is not None:
            progress(f"soundings: file {i + 1} of {len(s.soundings)}")
    if not parts:
        raise InputError(
            "no QA-passed soundings fall in the inversion domain; give files that cover "
            "the country or widen top_down.inversion.padding",
            field="top_down.inversion.soundings",
        )
    obs = concat_soundings(parts) if len(parts) > 1 else parts[0]
    t = obs["time"].values
    keep = (t >= np.datetime64(s.start)) & (t <= np.datetime64(s.end + pd.Timedelta(days=1)))
    obs = obs.isel(sounding=np.flatnonzero(keep))
    if obs.sizes["sounding"] == 0:
        raise InputError(
            f"no soundings in the period {s.start:%Y-%m-%d} to {s.end:%Y-%m-%d}; set "
            "top_down.inversion.period to the dates of the sounding files",
            field="top_down.inversion.period",
        )
    obs, extra = _with_operator(obs)
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
        start = _spinup_start(s, winds)
        k = _run_jacobian(sv, winds, times, cells, start, progress)
        rho, bias, e = _winds_model_error(sv, s, winds, times, cells, start, k, progress, x_ref)
    else:
        rho = 1.0
        k_rose = [_steady_jacobian(sv, u, v)[cells] for u, v in _wind_rose()]
        k = np.mean(k_rose, axis=0)
        x_e = _reference(sv, x_ref)
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
        - _model_offset(k, n_e, rho, bias, sv.x_a, _reference(sv, x_ref))
    )
    k = _scaled(k, n_e, rho)
    return _accumulate_by_day(k, dy, err, e, times), background


def _with_operator(obs: xr.Dataset) -> tuple[xr.Dataset, tuple[str, ...]]:
    """Soundings with their boundary-layer sensitivity (``bl_sensitivity``), when they carry
    averaging kernels; else unchanged (the column enhancement is taken as seen fully)."""
    from openmrv.observe.operator import boundary_layer_sensitivity

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


def _open_winds(path: Path) -> xr.Dataset:
    """Winds [m/s] on (time, latitude, longitude): a file that already holds ``u``, ``v``
    (e.g. written by openmrv), else an ERA5 single-level file read by
    :func:`openmrv.observe.winds.read_era5_winds` (10 m wind)."""
    try:
        with xr.open_dataset(path) as ds:
            has_uv = "u" in ds and "v" in ds
            if has_uv:
                return ds[["u", "v"]].load()
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read the winds file ({exc}); give a netCDF file with u, v [m/s] on "
            "(time, latitude, longitude) or an ERA5 single-level file",
            file=path,
        ) from None
    from openmrv.observe.winds import read_era5_winds

    return read_era5_winds(path)[["u", "v"]]


def _totals(sv: StateVector, post: Posterior, s: Settings) -> pd.DataFrame:
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


def _maps(sv: StateVector, post: Posterior, land: np.ndarray, out: Path, label: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm, Normalize

    w, s, e, n = sv.grid.bounds
    prior = sv.to_map(post.x_a) * 1e9 * SECONDS_PER_YEAR / 1e6  # kg/s/m2 -> t/km2/yr
    postm = sv.to_map(post.x_hat) * 1e9 * SECONDS_PER_YEAR / 1e6
    ratio = np.where(prior > 0, postm / np.where(prior > 0, prior, 1), np.nan)
    ak = np.full(sv.grid.shape, np.nan)
    lab = sv.labels
    ak[lab >= 0] = np.diag(post.a)[lab[lab >= 0]]
    panels = [
        ("prior.png", prior, "prior CH4 [t km⁻² yr⁻¹]", "viridis", None),
        ("posterior.png", postm, "posterior CH4 [t km⁻² yr⁻¹]", "viridis", None),
        ("ratio.png", ratio, "posterior / prior", "RdBu_r", (0.0, 2.0)),
        ("sensitivity.png", ak, "averaging-kernel sensitivity (diagonal of A)", "magma", (0, 1)),
    ]
    files = []
    for name, data, title, cmap, lim in panels:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        if lim is None:  # emissions span orders of magnitude: log scale, zero masked
            pos = data[np.isfinite(data) & (data > 0)]
            norm = LogNorm(pos.min(), pos.max()) if pos.size else None
            data = np.where(data > 0, data, np.nan)
        else:
            norm = Normalize(*lim)
        im = ax.imshow(
            np.ma.masked_invalid(data),
            origin="lower",
            extent=(w, e, s, n),
            cmap=cmap,
            norm=norm,
            aspect="auto",
        )
        ax.contour(
            sv.grid.lon, sv.grid.lat, land.astype(float), levels=[0.5], colors="k", linewidths=0.6
        )
        fig.colorbar(im, ax=ax)
        ax.set_title(f"{title}\n{label}", fontsize=9)
        ax.set_xlabel("longitude [°E]")
        ax.set_ylabel("latitude [°N]")
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        files.append(out / name)
    return files


def _diagnostics_attrs(post: Posterior) -> dict:
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


def _write(res: CaseInversion, land: np.ndarray, out_dir: Path, extra: dict) -> list[Path]:
    inv = Path(out_dir) / "inversion"
    inv.mkdir(parents=True, exist_ok=True)
    sv, post, s = res.state, res.posterior, res.settings
    i = np.arange(sv.n)
    attrs = {
        "osse": int(s.osse),
        "winds": res.winds_label,
        "region": s.region,
        "year": s.year,
        "period": f"{s.start:%Y-%m-%d}/{s.end:%Y-%m-%d}",
        "resolution_deg": s.resolution,
        "prior_error": s.prior_error,
        "obs_error_ppb": -1.0 if s.obs_error is None else s.obs_error,
        "bc_error_ppb": s.bc_error,
        "gamma": post.gamma,
        "correlation_length_km": s.correlation_length_km,
        "state_vector": f"{s.mode}; clusters {s.clusters}; hotspot_fraction {s.hotspot_fraction}",
        "sampling": s.sampling if s.osse else "real soundings",
        "truth_scale": json.dumps(s.truth_scale),
        "n_obs": post.m,
        "J_A": post.j_a,
        "J_O": post.j_o,
        "transport_error": s.transport_error,
        "superobs_error": "Chen et al. (2023) s(P), openmrv.observe.superobs table",
        **_diagnostics_attrs(post),
        "units": "emission elements kg/s; boundary elements ppb",
        "method": "analytical Gaussian posterior; regional column transport (openmrv)",
        **extra,
    }
    ds = post.to_dataset(
        i,
        name=("element", sv.names),
        kind=("element", sv.kinds),
        sector=sv.sectors,
        latitude=sv.grid.lat,
        longitude=sv.grid.lon,
    )
    ds["G"] = (("sector", "element"), sv.sector_matrix())
    ds["element_of_cell"] = (("latitude", "longitude"), sv.labels)
    ds.attrs = attrs
    if res.truth is not None:
        ds["x_true"] = ("element", res.truth)
    files = [inv / "result.nc", inv / "totals.csv", inv / "elements.csv"]
    ds.to_netcdf(files[0])
    res.totals.to_csv(files[1], index=False)
    tab = sv.element_table()
    tab["prior"], tab["posterior"] = post.x_a, post.x_hat
    tab["posterior_sigma"] = np.sqrt(np.diag(post.s_hat))
    tab["averaging_kernel"] = np.diag(post.a)
    tab.to_csv(files[2], index=False)
    label = ("OSSE (synthetic soundings), " if s.osse else "") + res.winds_label
    return files + _maps(sv, post, land, inv, label)


def setup_state(case: Case, inventory_result: InventoryResult, s: Settings):
    """The domain's land mask, national prior by sector [kg/s], the placement table and
    the state vector of a case's inversion."""
    grid, land = _domain(s)
    totals = sector_totals(inventory_result, s.sectors, s.year)
    fields, placed = sector_fields(grid, totals, _facilities(case), land)
    sv = build_state_vector(
        grid,
        fields,
        list(totals),
        mode=s.mode,
        n_clusters=s.clusters,
        hotspot_fraction=s.hotspot_fraction,
        seed=s.seed,
    )
    return land, totals, placed, sv


def run_case_inversion(
    case: Case,
    inventory_result: InventoryResult,
    out_dir: str | Path,
    progress: Progress | None = None,
) -> CaseInversion:
    """Run the case's national inversion and write ``<out_dir>/inversion/``.

    Parameters
    ----------
    case
        The loaded case; settings from ``top_down: inversion:`` (defaults if absent).
    inventory_result
        The compiled inventory: its CH4 by sector for the settings' year is the prior.
    out_dir
        Run folder; ``inversion/`` is created in it with result.nc, totals.csv,
        elements.csv and prior/posterior/ratio/sensitivity maps (PNG).
    progress
        Called with a short text at each stage.

    Returns
    -------
    CaseInversion
        Settings, state vector, posterior, ``totals`` (DataFrame: group, gas, year,
        prior_kt, prior_sigma_kt, posterior_kt, posterior_sigma_kt, dofs, osse), the
        OSSE truth (None for real soundings), written files.
    """
    say = progress or (lambda _text: None)
    s = Settings.from_case(case)
    say("inversion: prior on the grid")
    land, totals, placed, sv = setup_state(case, inventory_result, s)
    winds = _open_winds(s.winds) if s.winds is not None else None
    label = f"winds {s.winds.name}" if winds is not None else "climatological winds"
    say(f"inversion: {sv.n} elements, Jacobian by transport ({label})")
    extra: dict = {}
    shared = (
        sector_errors(case, inventory_result, s.sectors, s.year)
        if s.sector_prior_error == "inventory"
        else {}
    )
    s_a = _prior_covariance(sv, s, shared)
    extra["sector_prior_error"] = (
        "; ".join(f"{k} {v:.3f}" for k, v in shared.items()) if shared else "none"
    )

    def normal(x_ref=None):
        # the same random stream in every pass: the same soundings, truth and noise
        r = np.random.default_rng(s.seed)
        if not s.osse:
            return _real(sv, s, winds, progress, x_ref)
        if winds is None:
            return _osse_climatological(sv, s, r, progress, x_ref=x_ref)
        return _osse_winds(sv, s, winds, r, progress, x_ref=x_ref)

    ne, other = normal()
    gamma = s.gamma if s.gamma > 0 else choose_gamma(ne, sv.x_a, s_a)[0]
    post = solve(ne, sv.x_a, s_a, gamma)
    if s.transport_error != "none":
        # the transport error scales with the emissions: evaluate it again at the
        # first posterior (one outer iteration) and solve once more
        say("inversion: transport error at the first posterior")
        ne, other = normal(post.x_hat)
        post = solve(ne, sv.x_a, s_a, gamma)
    truth = other if s.osse else None
    if not s.osse:
        extra["background_ppb"] = other
    res = CaseInversion(s, sv, post, _totals(sv, post, s), placed, truth, label, [], ne.m)
    if truth is not None:
        # the truth by sector is known exactly (prior x truth_scale); the state vector
        # holds its projection on fixed sector shares within each element
        true = {
            k: q * s.truth_scale.get(k, s.truth_scale.get("all", 1.0)) for k, q in totals.items()
        }
        res.totals["truth_kt"] = [
            KG_S_TO_KT * (sum(true.values()) if g == s.region else true[g])
            for g in res.totals["group"]
        ]
    say("inversion: writing")
    res.files = _write(res, land, Path(out_dir), extra)
    return res
