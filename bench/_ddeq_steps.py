"""ddeq's CO2 plume steps shared by the SMARTCARB peer scripts (run only with the ddeq peer
venv's python, never imported by openmrv): preparation (detection on NO2 to the plume
signal in kg/m²) and the IME and CSF estimates with their timings and failures."""

import time
from functools import partial

import numpy as np


def prepare(ddeq, data, sources, crs):
    """Detection on NO2, centre curves, natural coordinates, plume areas, CO2 background
    and plume signal, units converted (ddeq's documented sequence for SMARTCARB)."""
    data = ddeq.dplume.detect_plumes(data, sources, variable="NO2", variable_std="NO2_std", crs=crs)
    data = ddeq.curves.fit_to_detections(data)
    data = ddeq.curves.compute_natural_coords(data)
    data = ddeq.curves.compute_plume_areas(data)
    data["CO2_isfinite"] = np.isfinite(data["CO2"])
    data = ddeq.background.estimate(data, "CO2")
    data = ddeq.emissions.compute_plume_signal(data, "CO2")
    for var in ("CO2", "CO2_estimated_background", "CO2_minus_estimated_background"):
        ddeq.emissions.convert_units(data, "CO2", var)  # in place
    return data


def estimate(ddeq, data, winds, sources, crs, drop_nan: bool = False) -> dict:
    """ddeq_ime, ddeq_csf [kg/s] with _sigma and _s (seconds), or _error (the peer's own
    failures are reported, not hidden). ``drop_nan``: a NaN estimate counts as none."""
    r = {}
    for key, fn in (
        ("ddeq_ime", partial(ddeq.ime.estimate_emissions, data, winds, sources, "CO2")),
        ("ddeq_csf", partial(ddeq.csf.estimate_emissions, data, winds, sources, "CO2", crs=crs)),
    ):
        t = time.perf_counter()
        try:
            res = fn()
            val = float(res["CO2_emissions"].values.ravel()[0])
            if np.isfinite(val) or not drop_nan:
                r[key] = val
                r[key + "_sigma"] = (
                    float(res["CO2_emissions_precision"].values.ravel()[0])
                    if "CO2_emissions_precision" in res
                    else float("nan")
                )
        except Exception as exc:
            r[key + "_error"] = f"{type(exc).__name__}: {str(exc)[:80]}"
        r[key + "_s"] = time.perf_counter() - t
    return r
