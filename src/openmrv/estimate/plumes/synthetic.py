"""Synthetic plume scenes from openmrv's column Gaussian plume forward model
(:mod:`openmrv.estimate.inversion.forward`), for tests and the U_eff calibration."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

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
