"""ddeq's plume steps shared by the peer scripts ``_ddeq_*.py`` (run only with the ddeq
peer venv's python, never imported by openmrv): the wind dataset ddeq expects, the
preparation (detection to the plume signal in kg/m²) and the IME and CSF estimates with
their timings and failures."""

import time
from functools import partial

import numpy as np
import xarray as xr


def wind_dataset(ddeq, names, u, v) -> xr.Dataset:
    """Winds per source as ddeq's emission methods read them (no wind error)."""
    coord = {"source": list(names)}
    winds = xr.Dataset(
        {
            "U": xr.DataArray(list(u), dims="source", coords=coord),
            "V": xr.DataArray(list(v), dims="source", coords=coord),
        }
    )
    winds["speed"] = np.hypot(winds.U, winds.V)
    winds["speed_precision"] = 0.0 * winds.speed
    winds["direction"] = ddeq.wind.calculate_wind_direction(winds.U, winds.V)
    return winds


def prepare(ddeq, data, sources, crs, gas="CO2", detect_on="NO2", require_pixels=False):
    """Detection on ``detect_on``, centre curves, natural coordinates, plume areas, the
    ``gas`` background and plume signal, units converted (ddeq's documented sequence).
    ``require_pixels``: a detection without any plume pixel raises RuntimeError."""
    data = ddeq.dplume.detect_plumes(
        data, sources, variable=detect_on, variable_std=f"{detect_on}_std", crs=crs
    )
    if require_pixels and int(data["detected_plume"].sum()) == 0:
        raise RuntimeError("ddeq detected no plume pixel (defaults: q 0.99, filter 0.5)")
    data = ddeq.curves.fit_to_detections(data)
    data = ddeq.curves.compute_natural_coords(data)
    data = ddeq.curves.compute_plume_areas(data)
    data[f"{gas}_isfinite"] = np.isfinite(data[gas])
    data = ddeq.background.estimate(data, gas)
    data = ddeq.emissions.compute_plume_signal(data, gas)
    for var in (gas, f"{gas}_estimated_background", f"{gas}_minus_estimated_background"):
        ddeq.emissions.convert_units(data, gas, var)  # in place
    return data


def estimate(ddeq, data, winds, sources, crs, gas="CO2", scale=1.0, drop_nan=False) -> dict:
    """ddeq_ime, ddeq_csf [kg/s x ``scale``] with _sigma and _s (seconds), or _error (the
    peer's own failures are reported, not hidden). ``drop_nan``: a NaN estimate counts as
    none."""
    r = {}
    for key, fn in (
        ("ddeq_ime", partial(ddeq.ime.estimate_emissions, data, winds, sources, gas)),
        ("ddeq_csf", partial(ddeq.csf.estimate_emissions, data, winds, sources, gas, crs=crs)),
    ):
        t = time.perf_counter()
        try:
            res = fn()
            val = float(res[f"{gas}_emissions"].values.ravel()[0])
            if np.isfinite(val) or not drop_nan:
                r[key] = scale * val
                prec = f"{gas}_emissions_precision"
                r[key + "_sigma"] = (
                    scale * float(res[prec].values.ravel()[0]) if prec in res else float("nan")
                )
        except Exception as exc:
            r[key + "_error"] = f"{type(exc).__name__}: {str(exc)[:80]}"
        r[key + "_s"] = time.perf_counter() - t
    return r
