"""The inversion stage: a case's national inversion (``openmrv invert CASE`` and the run
folder's ``inversion/``).

It wires, without science of its own: the case's ``top_down: inversion:`` settings, the
inventory's CH4 by sector as the prior, the facility register and the country mask
(:mod:`openmrv.observe.region`) to lay the prior on a grid, the winds and sounding files
(:mod:`openmrv.observe`), and the science of :mod:`openmrv.estimate.inversion.national`
(state vector, transport, OSSE or real soundings, transport error, the posterior).
:func:`compute` returns a :class:`CaseInversion`; :func:`write` writes ``inversion/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv import runfolder as rf
from openmrv.case import Case, read_facilities
from openmrv.case_limits import check_grid_cells
from openmrv.errors import CaseError, InputError
from openmrv.estimate.inventory import InventoryResult
from openmrv.estimate.inversion import transport as tr
from openmrv.estimate.inversion.national import (
    KG_S_TO_KT,
    SECONDS_PER_YEAR,
    diagnostics_attrs,
    invert,
    sector_relative_errors,
    sector_totals,
    totals_table,
)
from openmrv.estimate.inversion.placement import proxy_field
from openmrv.estimate.inversion.solver import Posterior
from openmrv.estimate.inversion.statevector import StateVector, build_state_vector, sector_fields
from openmrv.fetch.cache import check_cached
from openmrv.observe.batch import read_file
from openmrv.observe.region import country_polygons, region_mask
from openmrv.observe.soundings import concat_soundings
from openmrv.observe.winds import read_winds_file
from openmrv.report import figures
from openmrv.runfolder.cf import cf_ready
from openmrv.settings import InversionSection, InversionSettings
from openmrv.stages import places
from openmrv.stages.inversion_sources import case_winds, place_by_edgar
from openmrv.stages.uncertainty import approach1_rows

Progress = Callable[[str], None]


@dataclass
class CaseInversion:
    """What :func:`compute` produced."""

    settings: InversionSettings
    state: StateVector
    posterior: Posterior
    totals: pd.DataFrame
    placement: pd.DataFrame
    truth: np.ndarray | None
    winds_label: str
    files: list[Path]
    n_soundings: int
    #: the domain's land mask (for the maps)
    land: np.ndarray | None = None
    #: extra attributes of result.nc (sector prior errors, the background of real soundings)
    attrs: dict = field(default_factory=dict)
    #: real soundings only: QA-passed soundings in the domain per month and product
    soundings_per_month: pd.DataFrame | None = None

    @property
    def osse(self) -> bool:
        return self.settings.osse


def inversion_settings(case: Case) -> InversionSettings:
    """The case's ``top_down: inversion:`` settings, checked, with their defaults (all
    defaults when the case has no such section)."""
    settings = case.inversion_settings
    if settings is None:
        settings = InversionSettings.from_section(
            InversionSection(),
            country=case.country,
            first_year=case.first_year,
            last_year=case.last_year,
            file=case.config_file,
        )
    return settings


def check_domain(
    settings: InversionSettings, file: Path | None = None
) -> tuple[float, float, float, float]:
    """The padded domain's (west, south, east, north) [degree], refused before anything is
    built when it crosses a pole or has more cells than ``inversion_grid_cells_max``.

    A latitude-longitude grid ends at +-90 degrees: a padding that would take the domain
    past a pole is an error naming the largest padding that fits (not clipped, so the
    margin a case asks for is the margin it gets; docs/inversion.md).

    Raises
    ------
    CaseError
        Naming ``top_down.inversion.padding`` (or ``.resolution``) and ``file``.
    """
    pts = np.concatenate([p[0] for p in country_polygons(settings.region)])
    r, pad = settings.resolution, settings.padding
    west = np.floor((pts[:, 0].min() - pad) / r) * r
    south = np.floor((pts[:, 1].min() - pad) / r) * r
    east = np.ceil((pts[:, 0].max() + pad) / r) * r
    north = np.ceil((pts[:, 1].max() + pad) / r) * r
    if south < -90.0 or north > 90.0:
        edge = np.floor(90.0 / r) * r  # the last cell edge before a pole
        room = max(0.0, min(edge - pts[:, 1].max(), pts[:, 1].min() + edge))
        raise CaseError(
            f"{settings.region} spans latitudes {pts[:, 1].min():.2f} to "
            f"{pts[:, 1].max():.2f}; padded by {pad:g} degree the inversion domain would "
            f"reach {max(north, -south):.2f} degree {'N' if north > 90 else 'S'}, past the "
            f"pole (a latitude-longitude grid ends at 90); set top_down.inversion.padding to "
            f"at most {np.floor(room / r) * r:g} degree",
            file=file,
            field="top_down.inversion.padding",
        )
    check_grid_cells(round((north - south) / r), round((east - west) / r), file=file)
    return float(west), float(south), float(east), float(north)


def domain(settings: InversionSettings, file: Path | None = None) -> tuple[tr.Grid, np.ndarray]:
    """The inversion grid around the region (padded) and its land mask, checked first by
    :func:`check_domain` (``file``: the case.yaml to name)."""
    west, south, east, north = check_domain(settings, file)
    r = settings.resolution
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


def on_carriers(
    case: Case,
    result: InventoryResult,
    year: int,
    grid: tr.Grid,
    land: np.ndarray,
    totals: dict[str, float],
    fields: np.ndarray,
    placed: pd.DataFrame,
) -> None:
    """For a case with geography (pipelines or regions), re-place each sector that the
    spatial proxies cover (1.B.2) by its sub-categories' carriers
    (:func:`openmrv.estimate.inversion.placement.proxy_field`: fields, plants, pipelines
    as line sources, land), in place of the register's equal or capacity shares."""
    if case.pipelines_file is None and case.region_files is None:
        return
    regions = places.case_regions(case)
    country = places.country_shape(case, regions)
    lines = places.case_pipelines(case, year, country)
    register = read_facilities(case)
    for k, sec in enumerate(totals):
        parts = places.sector_parts(result, sec, year) if places.placed(sec) else {}
        if not parts:
            continue
        scale = totals[sec] / sum(parts.values())  # Gg -> kg/s, summing to the total
        field, rows = proxy_field(
            grid, {c: v * scale for c, v in parts.items()}, register, lines, land
        )
        fields[k] = field
        i = placed.index[placed["sector"] == sec]
        placed.loc[i, "method"] = "sub-categories on carriers (" + "; ".join(rows["proxy"]) + ")"
        placed.loc[i, "facilities"] = int(rows["carriers"].sum())
        placed.loc[i, "facilities_off_grid"] = int(rows["carriers_off_grid"].sum())


def sector_errors(
    case: Case,
    result: InventoryResult,
    sectors: list[str],
    year: int,
    rows: pd.DataFrame | None = None,
) -> dict[str, float]:
    """Relative 1-sigma uncertainty of each sector's CH4 in ``year`` by Approach 1
    (:func:`openmrv.estimate.inversion.national.sector_relative_errors`); ``rows``: the
    Approach 1 rows of (first year, ``year``) when already computed. Empty when the case
    gives no activity uncertainties."""
    if case.uncertainty_file is None:
        return {}
    if rows is None:
        rows = approach1_rows(case, result, (case.first_year, year))
    return sector_relative_errors(rows, sectors)


def setup_state(case: Case, inventory_result: InventoryResult, s: InversionSettings):
    """The domain's land mask, national prior by sector [kg/s], the placement table and
    the state vector of a case's inversion."""
    grid, land = domain(s, case.config_file)
    totals = sector_totals(inventory_result, s.sectors, s.year)
    fields, placed = sector_fields(grid, totals, _facilities(case), land)
    on_carriers(case, inventory_result, s.year, grid, land, totals, fields, placed)
    placed.attrs["prior_geography"] = place_by_edgar(s, grid, land, totals, fields, placed)
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


def open_winds(path: Path) -> xr.Dataset:
    """Winds [m/s] on (time, latitude, longitude): a file that already holds ``u``, ``v``
    (e.g. written by openmrv), else an ERA5 single-level file read by
    :func:`openmrv.observe.winds.read_era5_winds` (10 m wind); a file from an
    ``openmrv fetch`` cache is re-verified against its manifest first."""
    check_cached([path], field="top_down.inversion.winds")
    return read_winds_file(path)  # in the reading process (observe.isolation)


def read_inversion_soundings(
    files: list[Path], bounds: tuple[float, float, float, float], progress: Progress | None
) -> xr.Dataset:
    """The QA-passed soundings of ``files`` inside ``bounds`` (west, south, east, north);
    files from an ``openmrv fetch`` cache are re-verified against its manifest first."""
    check_cached(files, field="top_down.inversion.soundings")
    parts = []
    for i, f in enumerate(files):
        ds, _, _, err = read_file(f, region=bounds, qa=True)
        if err:
            raise InputError(err, file=f, field="top_down.inversion.soundings")
        if ds is not None:
            parts.append(ds)
        if progress is not None:
            progress(f"soundings: file {i + 1} of {len(files)}")
    if not parts:
        raise InputError(
            "no QA-passed soundings fall in the inversion domain; give files that cover "
            "the country or widen top_down.inversion.padding",
            field="top_down.inversion.soundings",
        )
    return concat_soundings(parts) if len(parts) > 1 else parts[0]


def soundings_per_month(obs: xr.Dataset, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The real soundings the inversion read (QA-passed, in its domain), counted per
    month and product, with those inside the inversion period."""
    t = pd.DatetimeIndex(obs["time"].values)
    frame = pd.DataFrame(
        {
            "month": t.strftime("%Y-%m"),
            "product": obs["product"].values.astype(str),
            "in_period": (t >= start) & (t < end + pd.Timedelta(days=1)),
        }
    )
    out = frame.groupby(["month", "product"], as_index=False).agg(
        soundings=("in_period", "size"), in_period=("in_period", "sum")
    )
    return out.astype({"soundings": int, "in_period": int})


def compute(
    case: Case,
    inventory_result: InventoryResult,
    progress: Progress | None = None,
    rows: pd.DataFrame | None = None,
) -> CaseInversion:
    """Run the case's national inversion (nothing written; see :func:`write`).

    Parameters
    ----------
    case
        The loaded case; settings from ``top_down: inversion:`` (defaults if absent).
    inventory_result
        The compiled inventory: its CH4 by sector for the settings' year is the prior.
    progress
        Called with a short text at each step.
    rows
        Approach 1 rows of (first year, inversion year), when the uncertainty stage has
        them; else computed here when the sector prior errors need them.

    Returns
    -------
    CaseInversion
        Settings, state vector, posterior, ``totals`` (DataFrame: group, gas, year,
        prior_kt, prior_sigma_kt, posterior_kt, posterior_sigma_kt, dofs, osse), the
        OSSE truth (None for real soundings).
    """
    say = progress or (lambda _text: None)
    s = inversion_settings(case)
    say("inversion: prior on the grid")
    land, totals, placed, sv = setup_state(case, inventory_result, s)
    winds, label, level = case_winds(s)
    say(f"inversion: {sv.n} elements, Jacobian by transport ({label})")
    shared = (
        sector_errors(case, inventory_result, s.sectors, s.year, rows)
        if s.sector_prior_error == "inventory"
        else {}
    )
    attrs: dict = {
        "sector_prior_error": (
            "; ".join(f"{k} {v:.3f}" for k, v in shared.items()) if shared else "none"
        ),
        "wind_level": level,
        "prior_geography": placed.attrs["prior_geography"],
        "prior_placement": "; ".join(f"{r.sector}: {r.method}" for r in placed.itertuples()),
    }
    obs = None if s.osse else read_inversion_soundings(s.soundings, sv.grid.bounds, progress)
    national = invert(sv, s, winds, obs, shared, progress)
    post, truth = national.posterior, national.truth
    if not s.osse:
        attrs["background_ppb"] = national.background_ppb
    res = CaseInversion(
        s,
        sv,
        post,
        totals_table(sv, post, s),
        placed,
        truth,
        label,
        [],
        national.normal_equations.m,
        land,
        attrs,
    )
    if obs is not None:
        res.soundings_per_month = soundings_per_month(obs, s.start, s.end)
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
    return res


def write(res: CaseInversion, run_dir: Path) -> list[Path]:
    """Write ``inversion/`` into ``run_dir``: result.nc, totals.csv, elements.csv and the
    prior, posterior, ratio and sensitivity maps."""
    inv = Path(run_dir) / rf.INVERSION_DIR
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
        **diagnostics_attrs(post),
        "units": "emission elements kg/s; boundary elements ppb",
        "method": "analytical Gaussian posterior; regional column transport (openmrv)",
        **res.attrs,
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
    names = (rf.INVERSION_RESULT_NC, rf.INVERSION_TOTALS_CSV, rf.INVERSION_ELEMENTS_CSV)
    files = [Path(run_dir) / n for n in names]
    out, enc = cf_ready(ds, "inversion")
    out.to_netcdf(files[0], encoding=enc)
    res.totals.to_csv(files[1], index=False)
    tab = sv.element_table()
    tab["prior"], tab["posterior"] = post.x_a, post.x_hat
    tab["posterior_sigma"] = np.sqrt(np.diag(post.s_hat))
    tab["averaging_kernel"] = np.diag(post.a)
    tab.to_csv(files[2], index=False)
    if res.soundings_per_month is not None:
        files.append(Path(run_dir) / rf.INVERSION_SOUNDINGS_CSV)
        res.soundings_per_month.to_csv(files[-1], index=False)
    label = ("OSSE (synthetic soundings), " if s.osse else "") + res.winds_label
    to_t_km2_yr = 1e9 * SECONDS_PER_YEAR / 1e6  # kg/s/m2 -> t/km2/yr
    ak = np.full(sv.grid.shape, np.nan)
    lab = sv.labels
    ak[lab >= 0] = np.diag(post.a)[lab[lab >= 0]]
    maps = figures.inversion_maps(
        sv.to_map(post.x_a) * to_t_km2_yr,
        sv.to_map(post.x_hat) * to_t_km2_yr,
        ak,
        res.land,
        sv.grid.lon,
        sv.grid.lat,
        sv.grid.bounds,
        inv,
        label,
    )
    return files + maps


def run_case_inversion(
    case: Case,
    inventory_result: InventoryResult,
    out_dir: str | Path,
    progress: Progress | None = None,
    rows: pd.DataFrame | None = None,
) -> CaseInversion:
    """:func:`compute`, then :func:`write` into ``<out_dir>/inversion/``; the written
    files are in the result's ``files``."""
    res = compute(case, inventory_result, progress, rows)
    if progress is not None:
        progress("inversion: writing")
    res.files = write(res, Path(out_dir))
    return res
