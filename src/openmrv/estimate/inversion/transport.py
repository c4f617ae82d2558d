"""A regional column transport model for national domains over days to months.

The model carries the *column mass enhancement* M [kg] of each grid cell of a regular
latitude/longitude grid, in the boundary-layer winds (u, v) [m/s]:

.. math:: \\frac{\\partial \\Omega}{\\partial t} + \\nabla\\cdot(\\mathbf{u}\\,\\Omega)
          = \\nabla\\cdot(K_h \\nabla \\Omega) + E - \\Omega/\\tau

with Ω = M / area [kg m⁻²], emissions E [kg m⁻² s⁻¹], horizontal eddy diffusivity K_h
[m² s⁻¹] and a first-order loss with timescale τ [s] standing for the ventilation of the
boundary layer into the free troposphere, whose faster winds carry the methane out of a
national domain (a 2-D model's stand-in for the third dimension; methane's chemical
lifetime, about 9 years, plays no role over days).

Numerics (all in :func:`operator`): finite volumes; the flux through a cell face is the
face wind (mean of the two cell-centre winds) times the upwind cell's Ω times the face
length, plus the diffusive flux K_h ΔΩ / distance times the face length. Written for the
cell masses, the scheme is one sparse matrix L (N × N, N cells) whose columns sum to zero
without loss and with closed edges, so mass is conserved to round-off. Time stepping is
forward Euler, dM/dt = L M + S, in sub-steps no longer than ``cfl / max|L_ii|`` — the
Courant–Friedrichs–Lewy condition of upwind advection and explicit diffusion together —
which keeps every cell's mass non-negative (a monotone scheme). For a steady wind the
steady state L M = −S is solved directly (sparse LU) for all tracers at once.

The model is linear in the emissions, so the Jacobian of column enhancements to the state
elements comes from one *forward tracer per state element* (all tracers in one array,
sharing the operator): its cost grows with the number of elements n, not with the number
of soundings m; for satellites m ≫ n, so forward tracers beat one adjoint run per
sounding. Lateral edges are open (mass flows out; nothing flows in for emission
tracers); background tracers enter through one edge each (:func:`boundary_sources`).

Limits (stated in ``docs/inversion.md``): one well-mixed boundary layer with a single
ventilation timescale; first-order upwind adds numerical diffusion of about
u Δx / 2 (≈ 50,000 m² s⁻¹ at 25 km and 4 m s⁻¹); with divergent 2-D winds the flux form
piles up column mass in convergence zones that a 3-D model would lift away.
Coefficients are in ``data/transport.csv``, physical constants in :mod:`openmrv.constants`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.linalg import splu

from openmrv.constants import constant, table_value
from openmrv.errors import InputError
from openmrv.estimate.inversion import reuse
from openmrv.estimate.inversion.forward import column_to_ppb

DATA = Path(__file__).parent / "data"
Boundary = Literal["open", "closed"]
EDGES: tuple[str, ...] = ("north", "east", "south", "west")


def parameter(name: str) -> float:
    """A transport coefficient from ``data/transport.csv`` (SI units, see the table)."""
    try:
        return table_value(DATA / "transport.csv", name)
    except KeyError as e:
        raise InputError(f"no transport parameter: {e.args[0]}") from None


@dataclass(frozen=True)
class Grid:
    """A regular latitude/longitude grid of cell centres [degree], ascending."""

    lat: np.ndarray
    lon: np.ndarray

    @classmethod
    def from_bounds(
        cls, west: float, south: float, east: float, north: float, resolution: float
    ) -> Grid:
        """Cells of ``resolution`` degrees covering the box [degree]."""
        if not (west < east and south < north and resolution > 0):
            raise InputError(
                f"grid box ({west}, {south}, {east}, {north}) with resolution {resolution}: "
                "need west < east, south < north and a positive resolution",
                field="domain",
            )
        nx = int(np.ceil((east - west) / resolution - 1e-9))
        ny = int(np.ceil((north - south) / resolution - 1e-9))
        lon = west + resolution * (np.arange(nx) + 0.5)
        lat = south + resolution * (np.arange(ny) + 0.5)
        return cls(lat, lon)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.lat.size, self.lon.size)

    @property
    def size(self) -> int:
        return self.lat.size * self.lon.size

    @property
    def dlat(self) -> float:
        return float(self.lat[1] - self.lat[0]) if self.lat.size > 1 else 1.0

    @property
    def dlon(self) -> float:
        return float(self.lon[1] - self.lon[0]) if self.lon.size > 1 else 1.0

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the cell edges [degree]."""
        return (
            float(self.lon[0] - self.dlon / 2),
            float(self.lat[0] - self.dlat / 2),
            float(self.lon[-1] + self.dlon / 2),
            float(self.lat[-1] + self.dlat / 2),
        )

    def cell_widths(self) -> tuple[np.ndarray, float]:
        """East-west width of each row at the cell centre [m] (ny,) and the north-south
        height of every cell [m]."""
        r = constant("R_earth")
        return r * np.cos(np.radians(self.lat)) * np.radians(self.dlon), r * np.radians(self.dlat)

    def area(self) -> np.ndarray:
        """Cell areas [m²], shape (ny, nx): R² Δλ (sin φ_n − sin φ_s)."""
        r = constant("R_earth")
        s = np.sin(np.radians(self.lat + self.dlat / 2)) - np.sin(
            np.radians(self.lat - self.dlat / 2)
        )
        return np.broadcast_to((r**2 * np.radians(self.dlon) * s)[:, None], self.shape).copy()

    def locate(self, lat: ArrayLike, lon: ArrayLike) -> np.ndarray:
        """Flat cell index of each point; :class:`InputError` for points off the grid."""
        lat = np.atleast_1d(np.asarray(lat, float))
        lon = np.atleast_1d(np.asarray(lon, float))
        w, s, e, n = self.bounds
        out = ~((lat >= s) & (lat <= n) & (lon >= w) & (lon <= e))
        if out.any():
            k = int(np.flatnonzero(out)[0])
            raise InputError(
                f"{int(out.sum())} point(s) lie outside the model domain "
                f"(lon {w:g}..{e:g}, lat {s:g}..{n:g}), e.g. lat {lat[k]:g} lon {lon[k]:g}; "
                "cut the soundings to the domain first",
                field="soundings",
            )
        j = np.clip(((lat - s) / self.dlat).astype(int), 0, self.lat.size - 1)
        i = np.clip(((lon - w) / self.dlon).astype(int), 0, self.lon.size - 1)
        return j * self.lon.size + i


def _faces(grid: Grid, u: np.ndarray, v: np.ndarray):
    """Face winds [m/s]: east faces (ny, nx+1), north faces (ny+1, nx); edge faces take
    the edge cell's wind."""
    ue = np.concatenate([u[:, :1], (u[:, 1:] + u[:, :-1]) / 2, u[:, -1:]], axis=1)
    vn = np.concatenate([v[:1], (v[1:] + v[:-1]) / 2, v[-1:]], axis=0)
    return ue, vn


def _check_wind(grid: Grid, u: ArrayLike, v: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    u = np.broadcast_to(np.asarray(u, float), grid.shape)
    v = np.broadcast_to(np.asarray(v, float), grid.shape)
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        raise InputError("winds contain NaN or infinite values on the model grid", field="winds")
    return u, v


def operator(
    grid: Grid,
    u: ArrayLike,
    v: ArrayLike,
    diffusivity: float,
    lifetime: float | None,
    boundary: Boundary = "open",
) -> sp.csr_matrix:
    """The transport operator L [s⁻¹] acting on cell masses, dM/dt = L M (+ sources).

    Parameters
    ----------
    grid
        Model grid.
    u, v
        Eastward and northward wind at the cell centres [m/s], shape (ny, nx) or scalars.
    diffusivity
        Horizontal eddy diffusivity K_h [m² s⁻¹].
    lifetime
        Ventilation timescale τ [s]; None for no loss.
    boundary
        "open" (outflow leaves the domain, diffusion towards zero outside) or "closed"
        (no flux through the edges).
    """
    if boundary not in ("open", "closed"):
        raise InputError(f"boundary '{boundary}' unknown; use 'open' or 'closed'")
    if diffusivity < 0 or (lifetime is not None and lifetime <= 0):
        raise InputError("diffusivity must be >= 0 and the lifetime > 0", field="transport")
    u, v = _check_wind(grid, u, v)
    ny, nx = grid.shape
    dx, dy = grid.cell_widths()
    area = grid.area().ravel()
    r = constant("R_earth")
    idx = np.arange(grid.size).reshape(grid.shape)
    ue, vn = _faces(grid, u, v)
    rows, cols, vals = [], [], []

    def link(src: np.ndarray, dst: np.ndarray | None, rate: np.ndarray) -> None:
        """Mass moves from ``src`` to ``dst`` (None: out of the domain) at ``rate`` [kg/s
        per kg/m² of the source] ."""
        k = rate / area[src]
        rows.append(src)
        cols.append(src)
        vals.append(-k)
        if dst is not None:
            rows.append(dst)
            cols.append(src)
            vals.append(k)

    # east-west faces: length dy, distance dx (row-dependent)
    dxr = np.broadcast_to(dx[:, None], (ny, nx + 1))
    for side in ("interior", "west", "east"):
        if side == "interior":
            f = ue[:, 1:-1]
            left, right = idx[:, :-1].ravel(), idx[:, 1:].ravel()
            f, d = f.ravel(), dxr[:, 1:-1].ravel()
            link(left, right, np.maximum(f, 0) * dy + diffusivity * dy / d)
            link(right, left, np.maximum(-f, 0) * dy + diffusivity * dy / d)
        elif boundary == "open":
            col = 0 if side == "west" else -1
            f = ue[:, col] * (-1 if side == "west" else 1)  # outward wind
            cells = idx[:, col]
            link(cells, None, np.maximum(f, 0) * dy + diffusivity * dy / (dx / 2))
    # north-south faces: length R cos(φ_face) Δλ, distance dy
    lat_f = np.concatenate([grid.lat - grid.dlat / 2, grid.lat[-1:] + grid.dlat / 2])
    len_f = r * np.cos(np.radians(lat_f)) * np.radians(grid.dlon)
    for side in ("interior", "south", "north"):
        if side == "interior":
            f = vn[1:-1]
            lf = np.broadcast_to(len_f[1:-1, None], f.shape).ravel()
            low, up = idx[:-1].ravel(), idx[1:].ravel()
            f = f.ravel()
            link(low, up, np.maximum(f, 0) * lf + diffusivity * lf / dy)
            link(up, low, np.maximum(-f, 0) * lf + diffusivity * lf / dy)
        elif boundary == "open":
            row = 0 if side == "south" else -1
            f = vn[row] * (-1 if side == "south" else 1)
            lf = len_f[row]
            link(idx[row], None, np.maximum(f, 0) * lf + diffusivity * lf / (dy / 2))
    if lifetime is not None:
        rows.append(idx.ravel())
        cols.append(idx.ravel())
        vals.append(np.full(grid.size, -1.0 / lifetime))
    mat = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(grid.size, grid.size),
    )
    return mat.tocsr()


def boundary_sources(
    grid: Grid, u: ArrayLike, v: ArrayLike, diffusivity: float, value: float = 1.0
) -> np.ndarray:
    """Inflow [kg/s per cell] of a column value ``value`` [kg/m²] held outside each edge,
    shape (N, 4) in the order of :data:`EDGES` (north, east, south, west): the source
    terms of the open-edge operator's outside neighbours."""
    u, v = _check_wind(grid, u, v)
    dx, dy = grid.cell_widths()
    ue, vn = _faces(grid, u, v)
    r = constant("R_earth")
    out = np.zeros((*grid.shape, 4))
    lat_s = grid.lat[0] - grid.dlat / 2
    lat_n = grid.lat[-1] + grid.dlat / 2
    len_s = r * np.cos(np.radians(lat_s)) * np.radians(grid.dlon)
    len_n = r * np.cos(np.radians(lat_n)) * np.radians(grid.dlon)
    out[-1, :, 0] = (np.maximum(-vn[-1], 0) * len_n + diffusivity * len_n / (dy / 2)) * value
    out[:, -1, 1] = (np.maximum(-ue[:, -1], 0) * dy + diffusivity * dy / (dx / 2)) * value
    out[0, :, 2] = (np.maximum(vn[0], 0) * len_s + diffusivity * len_s / (dy / 2)) * value
    out[:, 0, 3] = (np.maximum(ue[:, 0], 0) * dy + diffusivity * dy / (dx / 2)) * value
    return out.reshape(grid.size, 4)


def max_step(mat: sp.spmatrix, cfl: float = 0.9) -> float:
    """Longest stable forward-Euler step [s]: ``cfl / max|L_ii|`` (0 < cfl <= 1)."""
    if not 0 < cfl <= 1:
        raise InputError(f"cfl {cfl} must lie in (0, 1]", field="cfl")
    rate = float(np.max(-mat.diagonal()))
    return np.inf if rate <= 0 else cfl / rate


def advance(
    mass: np.ndarray,
    mat: sp.spmatrix,
    source: np.ndarray | None,
    duration: float,
    cfl: float = 0.9,
) -> tuple[np.ndarray, int]:
    """Step cell masses [kg], shape (N,) or (N, tracers), over ``duration`` [s].

    Uses ``ceil(duration / max_step)`` equal sub-steps (the CFL limit); returns the new
    masses and the number of sub-steps.
    """
    if duration < 0:
        raise InputError(f"duration {duration} s is negative")
    if duration == 0:
        return mass, 0
    n = max(1, int(np.ceil(duration / max_step(mat, cfl) - 1e-12)))
    dt = duration / n
    m = np.array(mass, dtype=float)
    for _ in range(n):
        m = m + dt * (mat @ m)
        if source is not None:
            m += dt * source
    return m, n


def _lu(mat: sp.spmatrix):
    # the operator's pattern is structurally symmetric (each link goes both ways), so the
    # minimum-degree ordering of A + Aᵀ suits it: on the 2,535-cell Turkmenistan grid
    # 72,000 non-zeros in L + U against COLAMD's 112,000, and half the time
    try:
        return splu(sp.csc_matrix(mat), permc_spec="MMD_AT_PLUS_A")
    except RuntimeError as exc:
        raise InputError(
            f"the transport operator is singular ({exc}): a steady state needs open edges "
            "or a finite lifetime",
            field="transport",
        ) from None


def steady_state(
    mat: sp.spmatrix, source: np.ndarray, cells: ArrayLike | None = None
) -> np.ndarray:
    """Steady cell masses [kg] for sources [kg/s]: the solution of L M = −S.

    Parameters
    ----------
    mat
        Transport operator L (:func:`operator`).
    source
        Sources, shape (N, n_tracers).
    cells
        If given, only the rows of M at these cells are returned, computed by the
        adjoint: M[c] = −(L⁻ᵀ e_c)ᵀ S, one solve per cell instead of one per tracer
        (cheaper when there are fewer cells than tracers, e.g. a day of sparse soundings).

    Inside :func:`openmrv.estimate.inversion.reuse.reusing_steady_states` a system
    solved before (same operator, sources and cells) is not solved again.
    """
    key = reuse.digest(mat, source, cells) if reuse.active() else None
    if key is not None and (kept := reuse.lookup(key)) is not None:
        return kept
    lu = _lu(mat)
    src = np.asarray(source, float)
    if cells is None:
        out = lu.solve(np.asfortranarray(-src))  # column-major: SuperLU solves in place
    else:
        cells = np.asarray(cells, int)
        e = np.zeros((mat.shape[0], cells.size))
        e[cells, np.arange(cells.size)] = 1.0
        out = -(src.T @ lu.solve(np.asfortranarray(e), trans="T")).T
    if not np.all(np.isfinite(out)):
        raise InputError("steady state is not finite; check winds and lifetime")
    if key is not None:
        reuse.keep(key, out)
    return out


def mass_to_ppb(mass: np.ndarray, grid: Grid, surface_pressure: ArrayLike = None) -> np.ndarray:
    """Cell masses [kg], shape (N, ...), to column enhancements ΔXCH4 [ppb]."""
    ps = constant("p_surface_standard") if surface_pressure is None else surface_pressure
    area = grid.area().reshape(grid.size, *([1] * (np.ndim(mass) - 1)))
    return column_to_ppb(np.asarray(mass) / area, ps)


def check_winds(winds, grid: Grid, start: np.datetime64, end: np.datetime64) -> None:
    """Raise :class:`InputError` unless ``winds`` (xarray with ``u``, ``v`` [m/s] on
    time, latitude, longitude) cover the grid's cell centres and [start, end]."""
    for name in ("u", "v"):
        if name not in winds:
            raise InputError(
                f"winds have no variable '{name}'; expected u, v [m/s] on "
                "(time, latitude, longitude)",
                field="winds",
            )
        if tuple(winds[name].dims) != ("time", "latitude", "longitude"):
            raise InputError(
                f"winds '{name}' has dims {winds[name].dims}; expected (time, latitude, longitude)",
                field="winds",
            )
        units = str(winds[name].attrs.get("units", "m s-1")).replace("**", "").replace(" ", "")
        if units not in ("ms-1", "m/s", "ms^-1", "meter/second", "m.s-1"):
            raise InputError(f"winds '{name}' in '{units}'; expected m/s", field="winds")
    la, lo = winds["latitude"].values, winds["longitude"].values
    if not (
        la.min() <= grid.lat[0]
        and la.max() >= grid.lat[-1]
        and lo.min() <= grid.lon[0]
        and lo.max() >= grid.lon[-1]
    ):
        raise InputError(
            f"winds cover lat {la.min():g}..{la.max():g}, lon {lo.min():g}..{lo.max():g}; "
            f"the model grid needs lat {grid.lat[0]:g}..{grid.lat[-1]:g}, lon "
            f"{grid.lon[0]:g}..{grid.lon[-1]:g}",
            field="winds",
        )
    t = winds["time"].values
    if t.size < 2 or t.min() > start or t.max() < end:
        raise InputError(
            f"winds cover {t.min() if t.size else 'no time'} to {t.max() if t.size else ''}; "
            f"the run needs {start} to {end}",
            field="winds",
        )


def winds_on_grid(winds, grid: Grid, time: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """u, v [m/s] at the cell centres at one time (linear in time and space)."""
    t = winds["time"].values.astype("datetime64[ns]").astype(np.int64)
    now = np.datetime64(time, "ns").astype(np.int64)
    k = int(np.clip(np.searchsorted(t, now) - 1, 0, t.size - 2))
    f = float(np.clip((now - t[k]) / (t[k + 1] - t[k]), 0.0, 1.0))
    w = (
        winds[["u", "v"]]
        .isel(time=[k, k + 1])
        .interp(latitude=grid.lat, longitude=grid.lon, method="linear")
    )
    u = (1 - f) * w["u"].values[0] + f * w["u"].values[1]
    v = (1 - f) * w["v"].values[0] + f * w["v"].values[1]
    return _check_wind(grid, u, v)


def sample_run(
    grid: Grid,
    winds,
    sources: np.ndarray,
    obs_time: ArrayLike,
    obs_cell: ArrayLike,
    start: np.datetime64,
    diffusivity: float,
    lifetime: float | None,
    cfl: float = 0.9,
    edges: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Run tracers through time-varying winds and sample them at the soundings.

    Parameters
    ----------
    grid
        Model grid.
    winds
        xarray.Dataset with ``u``, ``v`` [m/s] on (time, latitude, longitude).
    sources
        Emission of each tracer [kg/s], shape (N, n_tracers): one column per state
        element (its spatial pattern per unit emission). Tracers start from zero.
    obs_time, obs_cell
        Sounding times (datetime64) and flat cell indices (:meth:`Grid.locate`).
    start
        Start of the run (emissions switch on; allow a spin-up of a few lifetimes).
    edges
        Also run four background tracers, one per edge (north, east, south, west), that
        enter with a column of 1 kg m⁻² through their edge, start at 1/4 everywhere and
        have no loss; their columns are returned as fractions of their sum.

    Returns
    -------
    numpy.ndarray
        Tracer masses [kg] in each sounding's cell at its time, shape (m, n_tracers)
        (plus 4 edge fractions [1] when ``edges``). Winds are taken at the middle of each
        wind interval (piecewise constant); soundings are sampled at the end of the
        sub-step that reaches their time.
    """
    t_obs = np.asarray(obs_time, dtype="datetime64[ns]")
    cells = np.asarray(obs_cell, dtype=int)
    start = np.datetime64(start, "ns")
    end = t_obs.max() if t_obs.size else start
    if t_obs.size and t_obs.min() < start:
        raise InputError(f"soundings before the run start {start}", field="soundings")
    check_winds(winds, grid, start, end)
    wt = winds["time"].values.astype("datetime64[ns]")
    bounds = np.unique(np.concatenate([[start], wt[(wt > start) & (wt < end)], [end]]))
    order = np.argsort(t_obs, kind="stable")
    n_e = sources.shape[1]
    out = np.zeros((t_obs.size, n_e + (4 if edges else 0)))
    m = np.zeros(sources.shape)
    area = grid.area().reshape(-1, 1)
    b = np.repeat(area / 4, 4, axis=1) if edges else None
    k = 0
    for step, (t0, t1) in enumerate(itertools.pairwise(bounds)):
        u, v = winds_on_grid(winds, grid, t0 + (t1 - t0) / 2)
        mat = operator(grid, u, v, diffusivity, lifetime)
        mats = [mat]
        if edges:
            mats.append(operator(grid, u, v, diffusivity, None))
            bsrc = boundary_sources(grid, u, v, diffusivity)
        span = (t1 - t0) / np.timedelta64(1, "s")
        n = max(1, int(np.ceil(span / min(max_step(x, cfl) for x in mats) - 1e-12)))
        dt = span / n
        for s in range(n):
            m = m + dt * (mat @ m + sources)
            if edges:
                b = b + dt * (mats[1] @ b + bsrc)
            now = t0 + np.timedelta64(round((s + 1) * dt * 1e9), "ns")
            last = step == len(bounds) - 2 and s == n - 1
            while k < order.size and (t_obs[order[k]] <= now or last):
                i = order[k]
                out[i, :n_e] = m[cells[i]]
                if edges:
                    out[i, n_e:] = b[cells[i]] / b[cells[i]].sum()
                k += 1
        if progress is not None:
            progress(step + 1, len(bounds) - 1)
    return out


def edge_fractions(
    grid: Grid, u: ArrayLike, v: ArrayLike, diffusivity: float, cells: ArrayLike | None = None
) -> np.ndarray:
    """Steady share of the air in each cell (or only ``cells``) that entered through each
    edge, shape (N or len(cells), 4) (north, east, south, west), from four background
    tracers without loss."""
    mat = operator(grid, u, v, diffusivity, None)
    b = steady_state(mat, boundary_sources(grid, u, v, diffusivity), cells)
    tot = b.sum(axis=1, keepdims=True)
    return np.where(tot > 0, b / np.where(tot > 0, tot, 1.0), 0.25)
