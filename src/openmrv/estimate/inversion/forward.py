"""Forward models that yield the Jacobian K of satellite columns to point-source emissions.

The column Gaussian plume: a steady source Q [kg/s] in a uniform wind U [m/s] gives, at
downwind distance x and crosswind offset y, the vertically integrated enhancement

.. math:: \\Delta\\Omega(x, y) = \\frac{Q}{\\sqrt{2\\pi}\\, \\sigma_y(x)\\, U}
          \\exp\\left(-\\frac{y^2}{2\\sigma_y(x)^2}\\right)  \\quad [kg\\,m^{-2}]

(the vertical spread integrates out), with the Briggs (1973) open-country σ_y for the
Pasquill stability class. The mass column converts to a dry-air mole fraction with the
surface pressure: ΔX = ΔΩ · (M_air / M_CH4) · g / p_s. The flux through any crosswind
line, ∫ΔΩ U dy, equals Q: mass is conserved.

Valid for local domains (tens of km, hours): it ignores wind shear, changing winds and
chemistry. The coefficients are in ``data/dispersion.csv``, the physical constants in
``openmrv/data/physical_constants.csv`` (:mod:`openmrv.constants`), with their sources.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from openmrv.constants import constant, table_value
from openmrv.errors import InputError

DISPERSION = Path(__file__).parent / "data" / "dispersion.csv"


def sigma_y(x: ArrayLike, stability: str = "D") -> np.ndarray:
    """Crosswind spread σ_y [m] at downwind distance x [m] (Briggs 1973, open country)."""
    try:
        a = table_value(DISPERSION, "sigma_y_a", "1", stability=stability)
    except KeyError:
        raise InputError(
            f"unknown stability class '{stability}'; use A-F", field="stability"
        ) from None
    b = table_value(DISPERSION, "sigma_y_b", stability="*")
    x = np.asarray(x, dtype=float)
    return a * x / np.sqrt(1.0 + b * x)


def plume_column(
    q: ArrayLike, u: ArrayLike, x: ArrayLike, y: ArrayLike, stability: str = "D"
) -> np.ndarray:
    """Column mass enhancement [kg/m²] of a source of Q [kg/s] in wind U [m/s] at downwind
    x and crosswind y [m]; zero upwind (x <= 0)."""
    u = np.asarray(u, dtype=float)
    if np.any(u <= 0):
        raise InputError("wind speed must be positive for a Gaussian plume", field="wind")
    x = np.asarray(x, dtype=float)
    xs = np.where(x > 0, x, 1.0)
    sy = sigma_y(xs, stability)
    col = (
        np.asarray(q, float)
        / (np.sqrt(2 * np.pi) * sy * u)
        * np.exp(-(np.asarray(y, float) ** 2) / (2 * sy**2))
    )
    return np.where(x > 0, col, 0.0)


def column_to_ppb(mass_column: ArrayLike, surface_pressure: ArrayLike) -> np.ndarray:
    """Mass column enhancement [kg CH4/m²] to dry-air mole fraction [ppb] at p_s [Pa]."""
    return (
        np.asarray(mass_column, float)
        * constant("M_air", "kg / mol")
        / constant("M_CH4", "kg / mol")
        * constant("g", "m / s**2")
        / np.asarray(surface_pressure, float)
        * 1e9
    )


def plume_jacobian(
    sounding_xy: ArrayLike,
    source_xy: ArrayLike,
    wind_u: ArrayLike,
    wind_v: ArrayLike,
    surface_pressure: ArrayLike = 101325.0,
    stability: str = "D",
    pixel_size: float = 0.0,
    subsamples: int = 5,
) -> np.ndarray:
    """Jacobian of XCH4 soundings [ppb] to source emissions [kg/s]: shape (m, n).

    Parameters
    ----------
    sounding_xy
        Sounding positions, shape (m, 2) [m] in a local east/north frame.
    source_xy
        Source positions, shape (n, 2) [m].
    wind_u, wind_v
        Wind components at each sounding, shape (m,) [m/s] (eastward, northward).
    surface_pressure
        Surface pressure at each sounding [Pa].
    pixel_size
        Side of the (square) footprint [m]; when > 0 the column is averaged over
        ``subsamples`` x ``subsamples`` points of the footprint, as a satellite pixel
        averages the plume (0: point values at the footprint centres).
    """
    if pixel_size > 0:
        off = (np.arange(subsamples) + 0.5) / subsamples - 0.5
        grid = np.stack(np.meshgrid(off, off), -1).reshape(-1, 2) * pixel_size
        return np.mean(
            [
                plume_jacobian(
                    np.asarray(sounding_xy, float) + g,
                    source_xy,
                    wind_u,
                    wind_v,
                    surface_pressure,
                    stability,
                )
                for g in grid
            ],
            axis=0,
        )
    s = np.asarray(sounding_xy, float)
    src = np.asarray(source_xy, float)
    u = np.asarray(wind_u, float)[:, None]
    v = np.asarray(wind_v, float)[:, None]
    speed = np.hypot(u, v)
    d = s[:, None, :] - src[None, :, :]
    along = (d[..., 0] * u + d[..., 1] * v) / speed
    cross = (-d[..., 0] * v + d[..., 1] * u) / speed
    col = plume_column(1.0, np.broadcast_to(speed, along.shape), along, cross, stability)
    ps = np.asarray(surface_pressure, float)
    return column_to_ppb(col, ps[:, None] if ps.ndim else ps)
