"""Source rates from a detected plume: integrated mass enhancement (IME) and
cross-sectional flux (CSF), each with an uncertainty budget.

Column mass per mole-fraction enhancement (Jacob et al. 2016; the inverse of
``openmrv.estimate.inversion.forward.column_to_ppb``):

.. math:: \\Delta\\Omega\\,[kg\\,m^{-2}] = \\Delta X\\,[ppb] \\cdot 10^{-9}
          \\cdot \\frac{M_{gas}}{M_{air}} \\cdot \\frac{p_s}{g}

IME (Varon et al. 2018, AMT 11, 5673): Q = U_eff · IME / L, IME = Σ ΔΩ_i A_i over the
plume mask, L = sqrt(Σ A_i), U_eff = a · U10 + b with (a, b) for the instrument in
``data/ueff.csv``: for real scenes the row calibrated on synthetic plumes carried by a
daytime boundary layer's mean wind (``<instrument> boundary-layer transport``, where there
is one), for synthetic scenes of openmrv's forward model the row of plumes carried by U10.

CSF: Q = U · ∫ ΔΩ dy across the plume, averaged over transects perpendicular to the wind
at several distances downwind; each transect integral is the mass in a strip one
transect-width deep divided by that width.

Uncertainty budgets (1-sigma, combined in quadrature, all as rates [kg/s]):

- wind: ``rel_wind_error`` x U10 (stated by the caller; default 0.3), propagated through
  U_eff;
- background: the standard error of the background median times the mask's area;
- retrieval noise: per-pixel noise propagated through the sums;
- method: for IME the relative error measured on real scenes where there is one
  (TROPOMI: ``ime_real_scene_rel_error_TROPOMI`` in ``data/parameters.csv``, from the
  cross-validation against the SRON catalogue, bench/plumes_cv.py), else the relative
  calibration residual of U_eff on synthetic scenes (``data/ueff.csv``); for CSF the
  standard error of the mean over transects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy import ndimage

from openmrv import constants
from openmrv.constants import table_row
from openmrv.errors import InputError
from openmrv.estimate.plumes.detect import Detection
from openmrv.estimate.plumes.parameters import parameter

UEFF = Path(__file__).parent / "data" / "ueff.csv"
KG_S_TO_T_H = 3.6  # 1 kg/s = 3600 kg/h = 3.6 t/h


def ueff_coefficients(instrument: str = "TROPOMI", scenes: str = "synthetic") -> dict[str, float]:
    """(a, b, rel_residual, u10_min, u10_max) of U_eff = a·U10 + b for ``instrument``
    (``data/ueff.csv``; u10_min, u10_max [m/s]: the wind range of the calibration).

    ``scenes="real"``: the row ``<instrument> boundary-layer transport`` where there is one
    (calibrated on synthetic plumes carried by a daytime boundary layer's mean wind while
    the method sees U10, as on real scenes), else the instrument's row; ``"synthetic"``:
    the instrument's row (plumes carried by U10 itself, openmrv's forward model)."""
    names = [f"{instrument} boundary-layer transport", instrument]
    if scenes != "real":
        names = names[1:]
    for name in names:
        try:
            r = table_row(UEFF, name, key="instrument")
            break
        except KeyError:
            continue
    else:
        raise InputError(f"no U_eff calibration for instrument '{instrument}'", field="instrument")
    return {k: float(r[k]) for k in ("a", "b", "rel_residual", "u10_min", "u10_max")}


def method_rel_error(instrument: str, synthetic: float) -> float:
    """The IME's relative method 1-sigma for ``instrument``: the real-scene value of
    ``data/parameters.csv`` (``ime_real_scene_rel_error_<instrument>``, measured by
    cross-validation against a catalogue) where there is one, else ``synthetic`` (the
    U_eff calibration's residual on synthetic scenes, which understates real scenes)."""
    try:
        return parameter(f"ime_real_scene_rel_error_{instrument}", "1")
    except KeyError:
        return synthetic


def ppb_to_kg_m2(
    dx_ppb: np.ndarray | float,
    surface_pressure: np.ndarray | float | None = None,
    molar_mass: float | None = None,
) -> np.ndarray:
    """Column mass enhancement [kg/m²] of a dry-air mole-fraction enhancement [ppb].

    ``surface_pressure`` [Pa]: None uses the standard 101325 Pa (ISO 2533), which
    overstates the mass over high ground by 101325 Pa / p_s. ``molar_mass`` [kg/mol]:
    None is CH4.
    """
    p = (
        constants.constant("p_surface_standard", "Pa")
        if surface_pressure is None
        else np.asarray(surface_pressure, float)
    )
    m = constants.constant("M_CH4", "kg / mol") if molar_mass is None else molar_mass
    g = constants.constant("g", "m / s**2")
    return np.asarray(dx_ppb, float) * 1e-9 * m / constants.constant("M_air", "kg / mol") * p / g


def local_xy(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> tuple[np.ndarray, ...]:
    """East/north distances [m] from (lat0, lon0) (equirectangular; fine for < 500 km)."""
    r = constants.constant("R_earth", "m")
    x = np.deg2rad(np.asarray(lon, float) - lon0) * r * np.cos(np.deg2rad(lat0))
    y = np.deg2rad(np.asarray(lat, float) - lat0) * r
    return x, y


def pixel_areas(lat_bounds: np.ndarray, lon_bounds: np.ndarray) -> np.ndarray:
    """Pixel areas [m²] from corner coordinates (..., 4) (shoelace in a local frame)."""
    lat_b = np.asarray(lat_bounds, float)
    lon_b = np.asarray(lon_bounds, float)
    x, y = local_xy(lat_b, lon_b, float(np.nanmean(lat_b)), float(np.nanmean(lon_b)))
    return 0.5 * np.abs(np.sum(x * np.roll(y, -1, axis=-1) - np.roll(x, -1, axis=-1) * y, axis=-1))


def pixel_areas_from_centres(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Pixel areas [m²] of a 2-D grid of pixel centres (no corners): |∂r/∂row x ∂r/∂col|."""
    x, y = local_xy(lat, lon, float(np.nanmean(lat)), float(np.nanmean(lon)))
    xr_, xc = np.gradient(x)
    yr, yc = np.gradient(y)
    return np.abs(xr_ * yc - xc * yr)


@dataclass
class RateEstimate:
    """A source rate [kg/s] with its 1-sigma budget [kg/s]."""

    method: str
    rate: float
    sigma: float
    budget: dict[str, float]
    flags: list[str] = field(default_factory=list)
    details: dict[str, float] = field(default_factory=dict)

    @property
    def rate_t_per_h(self) -> float:
        return self.rate * KG_S_TO_T_H

    @property
    def sigma_t_per_h(self) -> float:
        return self.sigma * KG_S_TO_T_H


def _check_wind(u10: float) -> None:
    if not np.isfinite(u10):
        raise InputError("wind speed is missing (NaN)", field="u10")
    if u10 <= 0:
        raise InputError(
            f"wind speed {u10} m/s: IME and CSF need a positive wind; "
            "the rate cannot be estimated in calm conditions",
            field="u10",
        )


def _combine(budget: dict[str, float]) -> float:
    return float(np.sqrt(sum(v**2 for v in budget.values())))


def with_neighbour_term(whole: RateEstimate, own: RateEstimate) -> RateEstimate:
    """``whole`` (the rate over the whole detected mask) with a ``neighbours`` term added to
    its budget: |whole − own|, ``own`` being the same method over the part of the mask
    that :func:`openmrv.estimate.plumes.detect.split_mask` leaves to this source. Which
    source the shared pixels belong to is not known; the difference is taken as a 1-sigma
    term (stated assumption, docs/plumes.md)."""
    budget = dict(whole.budget)
    budget["neighbours"] = abs(whole.rate - own.rate)
    flags = list(whole.flags)
    if budget["neighbours"] > 0:
        flags.append("other known sources' plumes may be in the mask (neighbours term)")
    details = {**whole.details, "rate_own_part": own.rate}
    return RateEstimate(whole.method, whole.rate, _combine(budget), budget, flags, details)


def ime_rate(
    scene: np.ndarray,
    det: Detection,
    pixel_area: np.ndarray | float,
    u10: float,
    rel_wind_error: float = 0.3,
    surface_pressure: np.ndarray | float | None = None,
    instrument: str = "TROPOMI",
    molar_mass: float | None = None,
    scenes: str = "real",
) -> RateEstimate:
    """IME rate [kg/s] of the plume ``det.mask`` on ``scene`` [ppb] with wind speed u10 [m/s].

    ``scenes``: ``"real"`` (default) takes the method error measured on real scenes where
    there is one (:func:`method_rel_error`); ``"synthetic"`` the U_eff calibration's
    residual on openmrv's synthetic scenes (for scenes of that forward model).
    """
    if scenes not in ("real", "synthetic"):
        raise InputError(f"scenes must be 'real' or 'synthetic', not {scenes!r}", field="scenes")
    _check_wind(u10)
    if not det.detected:
        raise InputError("no plume detected: nothing to quantify", field="mask")
    x = np.asarray(scene, float)
    m = det.mask & np.isfinite(x)
    area = np.broadcast_to(np.asarray(pixel_area, float), x.shape)
    conv = ppb_to_kg_m2(1.0, surface_pressure, molar_mass)
    conv = np.broadcast_to(np.asarray(conv, float), x.shape)
    w = area[m] * conv[m]  # kg per ppb for each mask pixel
    ime = float(np.sum((x[m] - det.background_at(m)) * w))
    length = float(np.sqrt(np.sum(area[m])))
    c = ueff_coefficients(instrument, scenes)
    ueff = c["a"] * u10 + c["b"]
    q = ueff * ime / length
    budget = {
        "wind": abs(ime / length * c["a"] * rel_wind_error * u10),
        "background": ueff / length * det.background_error * float(np.sum(w)),
        "retrieval_noise": ueff / length * float(np.sqrt(np.sum((det.sigma[m] * w) ** 2))),
        "method": abs(q)
        * (
            method_rel_error(instrument, c["rel_residual"])
            if scenes == "real"
            else c["rel_residual"]
        ),
    }
    flags = list(det.flags)
    if q <= 0:
        flags.append("non-positive IME")
    if not c["u10_min"] <= u10 <= c["u10_max"]:
        flags.append(
            f"wind {u10:.1f} m/s outside the U_eff calibration range "
            f"({c['u10_min']:g}-{c['u10_max']:g} m/s): extrapolated"
        )
    return RateEstimate(
        "IME",
        q,
        _combine(budget),
        budget,
        flags,
        {"ime_kg": ime, "length_m": length, "u_eff": ueff, "n_pixels": int(m.sum())},
    )


def csf_rate(
    scene: np.ndarray,
    det: Detection,
    x_m: np.ndarray,
    y_m: np.ndarray,
    pixel_area: np.ndarray | float,
    u10: float,
    wind_dir: tuple[float, float],
    rel_wind_error: float = 0.3,
    surface_pressure: np.ndarray | float | None = None,
    spacing: float | None = None,
    molar_mass: float | None = None,
) -> RateEstimate:
    """CSF rate [kg/s]: mean flux through transects downwind of ``det.source``.

    ``x_m``, ``y_m``: pixel centres [m] east/north; ``wind_dir``: (u, v) wind components
    (only their direction is used); ``spacing``: transect depth [m] (default: the square
    root of the median pixel area). Transects run from one spacing downwind of the source
    to the far end of the mask; each integrates the pixels of the mask widened by one
    pixel (4-connected dilation) that fall in it: the plume's own cross-section at that
    distance plus a pixel either side, not the full width the plume reaches anywhere
    (which would take in background structure along its sides).
    """
    _check_wind(u10)
    if not det.detected or det.source is None:
        raise InputError("no plume detected: nothing to quantify", field="mask")
    x = np.asarray(scene, float)
    valid = np.isfinite(x)
    area = np.broadcast_to(np.asarray(pixel_area, float), x.shape)
    conv = np.broadcast_to(np.asarray(ppb_to_kg_m2(1.0, surface_pressure, molar_mass)), x.shape)
    du, dv = wind_dir
    sp = float(np.hypot(du, dv))
    if sp <= 0:
        raise InputError("wind direction undefined (zero wind vector)", field="u10")
    ex, ey = du / sp, dv / sp
    r0, c0 = det.source
    dx, dy = x_m - x_m[r0, c0], y_m - y_m[r0, c0]
    along = dx * ex + dy * ey
    h = float(np.sqrt(np.median(area))) if spacing is None else spacing
    m = det.mask & valid
    far = float(np.max(along[m])) if m.any() else 0.0
    near = ndimage.binary_dilation(det.mask) & valid
    edges = np.arange(0.5 * h, far + 0.5 * h, h)
    flags = list(det.flags)
    fluxes, noise_terms, areas = [], [], []
    for lo, hi in pairwise(edges):
        strip = near & (along >= lo) & (along < hi)
        if strip.sum() < 2:
            continue
        w = area[strip] * conv[strip] / h
        fluxes.append(float(np.sum((x[strip] - det.background_at(strip)) * w)))
        noise_terms.append(float(np.sqrt(np.sum((det.sigma[strip] * w) ** 2))))
        areas.append(float(np.sum(w)))
    if not fluxes:
        flags.append("no transect downwind of the source within the plume")
        return RateEstimate("CSF", float("nan"), float("nan"), {}, flags)
    line = np.asarray(fluxes)
    n = len(line)
    q = u10 * float(np.mean(line))
    budget = {
        "wind": abs(q) * rel_wind_error,
        "background": u10 * det.background_error * float(np.mean(areas)),
        "retrieval_noise": u10 * float(np.sqrt(np.sum(np.square(noise_terms)))) / n,
        "method": u10 * float(np.std(line, ddof=1)) / np.sqrt(n) if n > 1 else abs(q),
    }
    if n == 1:
        flags.append("one transect only: method uncertainty set to 100 %")
    return RateEstimate("CSF", q, _combine(budget), budget, flags, {"n_transects": n})
