"""Run by bench/plumes_patches.py --ddeq with the ddeq peer venv's python (never imported
by openmrv): ddeq's IME and CSF on the TROPOMI plume patches, each patch a scene with one
source at the catalogue position and the patch's own 10 m wind at the source pixel.
Prints one JSON line: per file ddeq_ime, ddeq_csf [t/h] and seconds."""

import json
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
import ddeq  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402
from _ddeq_steps import estimate, prepare, wind_dataset  # noqa: E402
from cartopy import crs as ccrs  # noqa: E402


def corners(c):
    """(rows, cols, 4) corners of a grid of centres: means of the 4 surrounding centres."""
    p = np.pad(c, 1, mode="reflect", reflect_type="odd")
    q = 0.25 * (p[:-1, :-1] + p[1:, :-1] + p[:-1, 1:] + p[1:, 1:])  # (rows+1, cols+1)
    return np.stack([q[:-1, :-1], q[:-1, 1:], q[1:, 1:], q[1:, :-1]], axis=-1)


folder = Path(sys.argv[1])
cat = pd.read_csv(folder / "catalogue.csv")
dims = ("nobs", "nrows")
rows = []
for rec in cat.itertuples():
    r = {"file": rec.file}
    t0 = time.perf_counter()
    try:
        z = np.load(folder / rec.file, allow_pickle=True)
        x = np.where(z["qa"] >= 0.5, z["methane"], np.nan).astype(float)
        lat, lon = z["lat"].astype(float), z["lon"].astype(float)
        if "methane_precision" in z:
            prec = np.asarray(z["methane_precision"], float)
        else:  # no retrieval precision in the patch: the scene's robust spread (1.4826 MAD)
            prec = np.full(x.shape, 1.4826 * np.nanmedian(np.abs(x - np.nanmedian(x))))
        ds = xr.Dataset(
            {
                "lon": (dims, lon),
                "lat": (dims, lat),
                "CH4": (
                    dims,
                    x,
                    {"units": "ppbv", "noise_level": float(np.nanmedian(prec))},
                ),
                "CH4_std": (dims, prec, {"units": "ppbv"}),
                "psurf": (dims, np.full(x.shape, 101325.0)),
            },
            attrs={"time": str(pd.Timestamp(str(rec.date) + " " + rec.time_utc))},
        )
        if "lon_bounds" in z:  # corners, where the patch has them
            lonc, latc = z["lon_bounds"].astype(float), z["lat_bounds"].astype(float)
        else:  # else midway between neighbouring centres (edges extrapolated)
            lonc, latc = corners(lon), corners(lat)
        ds["lonc"] = ((*dims, "ncorners"), lonc)
        ds["latc"] = ((*dims, "ncorners"), latc)
        ds["time"] = pd.Timestamp(str(rec.date) + " " + rec.time_utc)
        src = xr.Dataset(
            {
                "label": ("source", ["S"]),
                "lon": ("source", [float(rec.lon)]),
                "lat": ("source", [float(rec.lat)]),
                "diameter": ("source", [7000]),
            },
            coords={"source": ["S"]},
        )
        crs = ccrs.UTM(int((rec.lon + 180) // 6) + 1, southern_hemisphere=rec.lat < 0)
        d = (lat - rec.lat) ** 2 + ((lon - rec.lon) * np.cos(np.deg2rad(rec.lat))) ** 2
        i, j = np.unravel_index(np.nanargmin(d), d.shape)
        winds = wind_dataset(ddeq, ["S"], [float(z["u10"][i, j])], [float(z["v10"][i, j])])
        ds = prepare(ddeq, ds, src, crs, gas="CH4", detect_on="CH4", require_pixels=True)
        r["ddeq_detected_px"] = int(ds["detected_plume"].sum())
        r["ddeq_pre_s"] = time.perf_counter() - t0
        r.update(estimate(ddeq, ds, winds, src, crs, gas="CH4", scale=3.6))  # kg/s -> t/h
    except Exception as exc:
        r["error"] = f"{type(exc).__name__}: {str(exc)[:60]}"
    r["seconds"] = time.perf_counter() - t0
    rows.append(r)
    print(json.dumps(r), file=sys.stderr)
print(json.dumps(rows))
