"""Source rate by fitting openmrv's column Gaussian plume to a detected plume.

The model of the scene near the plume (pixels of the plume mask dilated by ``margin``
pixels) is

.. math:: X_i = B + Q \\cdot K_i(x_0, y_0, \\theta) \\quad [ppb]

with K the pixel-averaged column Gaussian plume of
:func:`openmrv.estimate.inversion.forward.plume_jacobian` (ppb per kg/s; stability
class D, Briggs 1973) for a source at (x0, y0) [m] in a wind of the given speed U
blowing towards θ. B is the detection's scene background (default; ``background="fit"``
makes it a free parameter). The parameters (Q, θ, x0, y0, w) are found by weighted
nonlinear least squares (:func:`scipy.optimize.least_squares`, trust-region
reflective), with weak Gaussian priors that keep the source within about one pixel of
the detected source pixel (1-sigma: one pixel side) and the wind direction within 30
degrees (1-sigma) of the given wind. Weights are the detection's per-pixel noise.

Uncertainty budget (1-sigma, quadrature, [kg/s]):

- fit: sqrt of the Q element of (JᵀJ)⁻¹ at the optimum (J the Jacobian of the weighted
  residuals including the priors), inflated by sqrt(max(1, χ²_red)) so that structure
  the model does not explain widens the interval (Press et al., Numerical Recipes,
  2007, §15.4-15.5);
- wind: the fitted Q scales with U (the column is Q / U), so its relative error is the
  wind's relative error;
- stability: half the spread of the Q refitted with stability classes C and E (the
  crosswind spread the model assumes);
- background (B fixed): |dQ/dB| = |sum(w K) / sum(w K²)| times the background's
  standard error.

Gaussian-fit rates from pixels coarser than ``gaussian_validated_max_pixel_m``
(``data/parameters.csv``, 1 km) carry the flag :data:`NOT_VALIDATED`: on real TROPOMI and
realistic CO2M scenes the fit was biased low (docs/plumes.md).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.optimize import least_squares

from openmrv.constants import constant
from openmrv.errors import InputError
from openmrv.estimate.inversion.forward import plume_jacobian
from openmrv.estimate.plumes.detect import Detection
from openmrv.estimate.plumes.parameters import parameter
from openmrv.estimate.plumes.quantify import RateEstimate, _check_wind, _combine

#: flag on Gaussian-fit rates from pixels coarser than ``gaussian_validated_max_pixel_m``
NOT_VALIDATED = "not validated on real scenes (coarse pixels: biased low on TROPOMI and CO2M)"


SUBSAMPLES = 3  # points per pixel side averaged by the model


def _subpixels(xy: np.ndarray, ps: np.ndarray, pix: float) -> tuple[np.ndarray, np.ndarray]:
    """SUBSAMPLES² points spread over each (square) pixel, as one flat array, so that the
    forward model is called once per evaluation (the same average as its ``pixel_size``)."""
    off = ((np.arange(SUBSAMPLES) + 0.5) / SUBSAMPLES - 0.5) * pix
    grid = np.stack(np.meshgrid(off, off), -1).reshape(-1, 2)
    pts = (xy[:, None, :] + grid[None, :, :]).reshape(-1, 2)
    return pts, np.repeat(ps, len(grid))


_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite.hermgauss(3)


def _kernel(th, x0, y0, w, sub, speed, stability):
    """Pixel-averaged column plume [ppb per kg/s] (forward.plume_jacobian at sub-points),
    convolved crosswind with a Gaussian of width w [m] (3-point Gauss-Hermite)."""
    pts, ps = sub
    n = len(pts)
    normal = np.array([-np.sin(th), np.cos(th)])
    shifted = np.concatenate([pts + np.sqrt(2.0) * abs(w) * t * normal for t in _GH_NODES])
    k = plume_jacobian(
        shifted,
        np.array([[x0, y0]]),
        np.full(len(shifted), speed * np.cos(th)),
        np.full(len(shifted), speed * np.sin(th)),
        np.tile(ps, len(_GH_NODES)),
        stability,
    )[:, 0].reshape(len(_GH_NODES), n)
    k = (_GH_WEIGHTS / np.sqrt(np.pi)) @ k
    return k.reshape(-1, SUBSAMPLES**2).mean(axis=1)


def _linear(k, obs, sig, b_fixed=None):
    """Weighted least squares for (Q, B) of obs = B + Q k; with ``b_fixed``, Q alone."""
    if b_fixed is not None:
        w = 1.0 / sig**2
        den = float(np.sum(w * k * k))
        return np.array([np.sum(w * k * (obs - b_fixed)) / den if den > 0 else 0.0, b_fixed])
    a = np.column_stack([k, np.ones_like(k)]) / sig[:, None]
    return np.linalg.lstsq(a, obs / sig, rcond=None)[0]


def _background_term(k, sig, det) -> float:
    """|dQ/dB| x the background's standard error, for Q fitted with B fixed [kg/s]."""
    w = 1.0 / sig**2
    den = float(np.sum(w * k * k))
    return abs(float(np.sum(w * k)) / den) * det.background_error if den > 0 else 0.0


def _fit(obs, sig, xy, speed, ps, pix, th0, src_xy, stability, b_fixed=None):
    """Variable projection: (θ, x0, y0, w) by nonlinear least squares, (Q, B) linear at
    each step; then the Jacobian of all six parameters at the optimum (central
    differences)."""
    sub = _subpixels(xy, ps, pix)
    prior_sd = np.array([np.deg2rad(parameter("gaussian_direction_prior_deg", "degree")), pix, pix])
    prior_mu = np.array([th0, src_xy[0], src_xy[1]])

    def full(p):
        k = _kernel(*p[2:], sub, speed, stability)
        return np.concatenate([(obs - p[1] - p[0] * k) / sig, (p[2:5] - prior_mu) / prior_sd])

    def reduced(g):
        k = _kernel(*g, sub, speed, stability)
        q, b = _linear(k, obs, sig, b_fixed)
        return np.concatenate([(obs - b - q * k) / sig, (g[:3] - prior_mu) / prior_sd])

    # bounds: the direction within 90 degrees of the wind, the source within three
    # pixels of the detected one (beyond either it is another plume); tolerances at the
    # precision the data hold (1e-3 of a radian or of a pixel; 1e-4 of the cost): the
    # default 1e-8 cannot be met by a cost that the 3-point quadrature makes slightly
    # rough, which left most real fits "not converged" at the evaluation limit
    lo = [th0 - np.pi / 2, src_xy[0] - 3 * pix, src_xy[1] - 3 * pix, 0.0]
    hi = [th0 + np.pi / 2, src_xy[0] + 3 * pix, src_xy[1] + 3 * pix, 20 * pix]
    res = least_squares(
        reduced,
        np.array([*prior_mu, 0.25 * pix]),
        x_scale=np.array([0.3, pix, pix, pix]),
        bounds=(lo, hi),
        method="trf",
        xtol=1e-3,
        ftol=1e-4,
        max_nfev=200,
    )
    k = _kernel(*res.x, sub, speed, stability)
    q, b = _linear(k, obs, sig, b_fixed)
    p = np.array([q, b, *res.x])
    steps = np.array([max(abs(q), 1e-3) * 1e-3, 1e-3, 1e-4, pix * 1e-3, pix * 1e-3, pix * 1e-3])
    eye = np.eye(len(p))
    jac = np.column_stack(
        [
            (full(p + eye[i] * steps[i]) - full(p - eye[i] * steps[i])) / (2 * steps[i])
            for i in range(len(p))
        ]
    )
    return p, full(p), jac, res, sub


def gaussian_plume_fit(
    scene: np.ndarray,
    det: Detection,
    x_m: np.ndarray,
    y_m: np.ndarray,
    wind: tuple[float, float],
    rel_wind_error: float = 0.3,
    surface_pressure: np.ndarray | float | None = None,
    pixel_size: float | None = None,
    margin: int = 3,
    stability: str = "D",
    molar_mass: float | None = None,
    background: str = "scene",
) -> RateEstimate:
    """Gaussian plume fit rate [kg/s] of the plume ``det`` on ``scene``.

    Parameters
    ----------
    scene
        Column mole fractions [ppb], rows x cols (NaN where invalid).
    det
        A detection (:func:`openmrv.estimate.plumes.detect_plume`) with ``detected``.
    x_m, y_m
        Pixel centres [m], east and north, any origin.
    wind
        (u, v) wind [m/s] at the source (eastward, northward).
    rel_wind_error
        Relative 1-sigma error of the wind speed.
    surface_pressure
        [Pa], scalar or per pixel; None: 101325 Pa.
    pixel_size
        Side [m] of the square footprint over which the model is averaged; None: the
        median spacing of neighbouring pixel centres.
    molar_mass
        [kg/mol] of the gas; None: CH4.
    background
        ``"scene"`` (default): B fixed at the detection's scene background, its standard
        error propagated into the budget; ``"fit"``: B a free parameter of the fit. A
        free B absorbed part of real, diffuse plumes (on the 52 TROPOMI patches it came out
        a median 4.3 ppb above the scene background) and biased Q low.

    Raises
    ------
    InputError
        No detection, a missing or zero wind, or too few valid pixels to fit.
    """
    if background not in ("scene", "fit"):
        raise InputError(f"background must be 'scene' or 'fit', not {background!r}")
    u, v = (float(w) for w in wind)
    speed = float(np.hypot(u, v))
    _check_wind(speed)
    if not det.detected or det.source is None:
        raise InputError("no plume detected: nothing to quantify", field="mask")
    x = np.asarray(scene, float)
    region = ndimage.binary_dilation(det.mask, iterations=margin) & np.isfinite(x)
    if region.sum() < 8:
        raise InputError(f"only {int(region.sum())} valid pixels near the plume; need 8")
    if pixel_size is None:
        gr, gc = np.gradient(x_m), np.gradient(y_m)
        pixel_size = float(
            np.sqrt(np.nanmedian(np.hypot(gr[0], gc[0])) * np.nanmedian(np.hypot(gr[1], gc[1])))
        )
    ps = constant("p_surface_standard", "Pa") if surface_pressure is None else surface_pressure
    # the forward model converts CH4 columns; another gas's ppb per kg/m² differs by
    # M_CH4 / M, the same as a surface pressure scaled by M / M_CH4
    mm = constant("M_CH4", "kg / mol") if molar_mass is None else molar_mass
    ps = np.broadcast_to(np.asarray(ps, float), x.shape)[region] * mm / constant("M_CH4")
    xy = np.column_stack([x_m[region], y_m[region]])
    obs = x[region]
    sig = np.asarray(det.sigma, float)[region]
    r0, c0 = det.source
    src_xy = (float(x_m[r0, c0]), float(y_m[r0, c0]))
    th0 = float(np.arctan2(v, u))
    b_fixed = float(det.background) if background == "scene" else None
    p, fun, jac, res, sub = _fit(
        obs, sig, xy, speed, ps, pixel_size, th0, src_xy, stability, b_fixed
    )
    q = float(p[0])
    k_opt = _kernel(*p[2:], sub, speed, stability)
    # other stability classes: (Q, B) refitted with the fitted geometry
    qs = [q]
    for st in {"C", "E"} - {stability}:
        qs.append(float(_linear(_kernel(*p[2:], sub, speed, st), obs, sig, b_fixed)[0]))
    n_obs = int(region.sum())
    dof = max(n_obs - len(p), 1)
    chi2 = float(np.sum(fun[:n_obs] ** 2)) / dof
    flags = list(det.flags)
    try:
        j = jac if b_fixed is None else np.delete(jac, 1, axis=1)  # B not a fit parameter
        cov = np.linalg.pinv(j.T @ j)  # pinv: w at its bound 0 has no gradient
        sd_fit = float(np.sqrt(max(cov[0, 0], 0.0)) * np.sqrt(max(1.0, chi2)))
    except np.linalg.LinAlgError:
        sd_fit = abs(q)
        flags.append("singular fit Jacobian: fit uncertainty set to 100 %")
    if not res.success:
        flags.append(f"least squares did not converge ({res.message})")
    budget = {
        "fit": sd_fit,
        "wind": abs(q) * rel_wind_error,
        "stability": (max(qs) - min(qs)) / 2,
        # fixed background: dQ/dB = -sum(w k) / sum(w k^2), times the background's 1-sigma
        "background": _background_term(k_opt, sig, det) if b_fixed is not None else 0.0,
    }
    if q <= 0:
        flags.append("non-positive fitted rate")
    calm = parameter("gaussian_min_wind", "m/s")
    if speed < calm:
        flags.append(
            f"wind {speed:.1f} m/s below the Gaussian plume model's calm threshold ({calm:g} m/s)"
        )
    if pixel_size > parameter("gaussian_validated_max_pixel_m", "m"):
        flags.append(NOT_VALIDATED)
    return RateEstimate(
        "Gaussian",
        q,
        _combine(budget),
        budget,
        flags,
        {
            "chi2_red": chi2,
            "direction_deg": float(np.rad2deg(p[2])),
            "source_x_m": float(p[3]),
            "source_y_m": float(p[4]),
            "background": float(p[1]),
            "extra_width_m": float(p[5]),
            "n_pixels": n_obs,
        },
    )
