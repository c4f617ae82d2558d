"""Synthetic plume scenes from openmrv's column Gaussian plume forward model
(:mod:`openmrv.estimate.inversion.forward`), for tests and the U_eff calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage

from openmrv.constants import table_value
from openmrv.errors import InputError
from openmrv.estimate.inversion.forward import column_to_ppb, plume_column


def gaussian_plume_scene(
    q_kg_s: float,
    u: float,
    direction_deg: float = 0.0,
    shape: tuple[int, int] = (32, 32),
    pixel_m: tuple[float, float] = (7000.0, 5500.0),
    source_rc: tuple[float, float] | None = None,
    surface_pressure: float = 101325.0,
    stability: str = "D",
    subsamples: int = 5,
    max_along_m: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """XCH4 enhancement [ppb] of a source of Q [kg/s] in a uniform wind of speed u [m/s]
    blowing towards ``direction_deg`` (0 = east, 90 = north), averaged over each pixel
    (rows x cols; row height and column width ``pixel_m`` [m]).

    ``max_along_m``: the plume's front [m downwind]: a release that began
    ``max_along_m / u`` seconds ago (nothing beyond it); default a steady plume without end.

    Returns (enhancement_ppb, x_m, y_m): y_m increases with the row, x_m with the column.
    """
    rows, cols = shape
    ph, pw = pixel_m
    sr, sc = (rows / 2 - 0.5, cols / 2 - 0.5) if source_rc is None else source_rc
    yc = (np.arange(rows) - sr) * ph
    xc = (np.arange(cols) - sc) * pw
    xm, ym = np.meshgrid(xc, yc)
    off = (np.arange(subsamples) + 0.5) / subsamples - 0.5
    th = np.deg2rad(direction_deg)
    ex, ey = np.cos(th), np.sin(th)
    total = np.zeros(shape)
    for oy in off:
        for ox in off:
            dx, dy = xm + ox * pw, ym + oy * ph
            along = dx * ex + dy * ey
            cross = -dx * ey + dy * ex
            total += np.where(
                along <= max_along_m, plume_column(q_kg_s, u, along, cross, stability), 0.0
            )
    col = total / subsamples**2
    return column_to_ppb(col, surface_pressure), xm, ym


def correlated_noise(
    shape: tuple[int, int], sigma: float, length_pixels: float, rng: np.random.Generator
) -> np.ndarray:
    """Gaussian noise of standard deviation ``sigma`` correlated over about
    ``length_pixels`` (white noise smoothed by a Gaussian of that width, rescaled): a
    stand-in for retrieval artefacts that span several pixels (albedo, aerosol, terrain)."""
    f = ndimage.gaussian_filter(rng.normal(0.0, 1.0, shape), length_pixels, mode="wrap")
    return sigma * f / f.std()


WIND_PROFILE = Path(__file__).parent / "data" / "wind_profile.csv"


def daytime_stability(u10: float) -> str:
    """The Pasquill-Gifford class of a sunny day at 10 m wind ``u10`` [m/s] (Turner 1970,
    strong insolation; ``data/wind_profile.csv``)."""
    for cls in ("A", "B", "C"):
        if u10 < table_value(WIND_PROFILE, "u10_max", "m/s", stability=cls):
            return cls
    return "C"


def boundary_layer_wind_factor(u10: float, depth_m: float) -> float:
    """The mean wind of a boundary layer ``depth_m`` deep over its 10 m wind ``u10``:
    the mean of the power law u(z) = u10 (z / 10 m)^p from 10 m to the top, p for the
    daytime class at ``u10`` (US EPA ISC3, rural; ``data/wind_profile.csv``):
    10 / (h − 10) · ((h / 10)^(p + 1) − 1) / (p + 1)."""
    if depth_m <= 10.0:
        raise InputError(f"boundary layer depth {depth_m} m: must exceed 10 m", field="depth_m")
    p = table_value(WIND_PROFILE, "exponent", "1", stability=daytime_stability(u10))
    return float(10.0 / (depth_m - 10.0) * ((depth_m / 10.0) ** (p + 1) - 1.0) / (p + 1))


def daytime_boundary_layer_depths(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` daytime boundary-layer depths [m], uniform between ``boundary_layer_min`` and
    ``boundary_layer_max`` of ``data/wind_profile.csv`` (assumption, stated there)."""
    lo = table_value(WIND_PROFILE, "boundary_layer_min", "m", stability="*")
    hi = table_value(WIND_PROFILE, "boundary_layer_max", "m", stability="*")
    return rng.uniform(lo, hi, n)
