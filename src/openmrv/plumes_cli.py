"""``openmrv plumes``: detect and quantify a plume in each scene (TROPOMI plume patches).

Reads each scene through the observe readers, rebuilds the 2-D scene, runs
:mod:`openmrv.estimate.plumes` and writes ``plumes.csv`` (one row per scene: the IME rate,
and the CSF rate in ``rate_csf_t_per_h``) into the output folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from openmrv.errors import InputError
from openmrv.estimate.plumes import csf_rate, detect_plume, ime_rate, local_xy, pixel_areas
from openmrv.estimate.plumes.quantify import pixel_areas_from_centres, plume_table
from openmrv.observe.registry import read_soundings

REL_WIND_ERROR = 0.3  # relative 1-sigma error of the scene's 10 m wind (stated assumption)


def scene_arrays(path: Path) -> dict:
    """A scene file read by the observe readers, as 2-D arrays (rows, cols)."""
    ds = read_soundings(path)
    shape = tuple(int(s) for s in ds.attrs.get("scene_shape", ()))
    if len(shape) != 2:
        raise InputError("not a scene (no scene_shape): plumes need a 2-D patch", file=path)
    r, c = ds["scene_row"].values, ds["scene_col"].values

    def grid(name: str, extra: tuple = ()) -> np.ndarray:
        g = np.full(shape + extra, np.nan)
        if name in ds:
            g[r, c] = ds[name].values
        return g

    qa = grid("qa_value")
    x = grid("xch4")
    x[~(qa >= 0.5)] = np.nan
    lat, lon = grid("latitude"), grid("longitude")
    lat_b, lon_b = grid("latitude_bounds", (4,)), grid("longitude_bounds", (4,))
    t = pd.to_datetime(ds["time"].values)
    return {
        "scene": path.name,
        "xch4": x,
        "noise": grid("xch4_uncertainty"),
        "lat": lat,
        "lon": lon,
        "lat_bounds": lat_b,
        "lon_bounds": lon_b,
        "u10": grid("eastward_wind"),
        "v10": grid("northward_wind"),
        "surface_pressure": grid("surface_pressure") if "surface_pressure" in ds else None,
        "time": t[len(t) // 2],
    }


def quantify_scene(sc: dict, source_latlon: tuple[float, float] | None = None) -> list[dict]:
    """IME and CSF rows (plume-table dicts) for one scene from :func:`scene_arrays`."""
    lat, lon = sc["lat"], sc["lon"]
    src = None
    if source_latlon is not None:
        d = (lat - source_latlon[0]) ** 2 + (
            (lon - source_latlon[1]) * np.cos(np.deg2rad(source_latlon[0]))
        ) ** 2
        i = int(np.nanargmin(d))
        src = (i // lat.shape[1], i % lat.shape[1])
    base = {"time": sc["time"], "source": "openmrv", "facility_id": None, "scene": sc["scene"]}
    det = detect_plume(sc["xch4"], sc["noise"], source=src)
    if not det.detected:
        return [
            {
                **base,
                "lat": np.nan,
                "lon": np.nan,
                "rate_t_per_h": np.nan,
                "rate_sigma_t_per_h": np.nan,
                "method": m,
                "flags": "; ".join(det.flags),
            }
            for m in ("IME", "CSF")
        ]
    r0, c0 = det.source
    if np.isfinite(sc["lat_bounds"]).any():
        area = pixel_areas(sc["lat_bounds"], sc["lon_bounds"])
    else:
        area = pixel_areas_from_centres(lat, lon)
    if not np.isfinite(area).all():
        area = np.where(np.isfinite(area), area, np.nanmedian(area))
    x_m, y_m = local_xy(lat, lon, float(lat[r0, c0]), float(lon[r0, c0]))
    um, vm = float(np.nanmean(sc["u10"][det.mask])), float(np.nanmean(sc["v10"][det.mask]))
    speed = float(np.hypot(um, vm))
    ps = sc["surface_pressure"]
    out = []
    for est in (
        ime_rate(sc["xch4"], det, area, speed, REL_WIND_ERROR, ps),
        csf_rate(sc["xch4"], det, x_m, y_m, area, speed, (um, vm), REL_WIND_ERROR, ps),
    ):
        out.append(
            {
                **base,
                "lat": float(lat[r0, c0]),
                "lon": float(lon[r0, c0]),
                "rate_t_per_h": est.rate_t_per_h,
                "rate_sigma_t_per_h": est.sigma_t_per_h,
                "method": est.method,
                "flags": "; ".join(est.flags),
            }
        )
    return out


def plumes_command(
    scenes: Annotated[list[Path], typer.Argument(help="Scene files (.npz plume patches).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder for plumes.csv.")],
    case: Annotated[
        Path | None, typer.Option("--case", help="Case folder (attribution is planned).")
    ] = None,
) -> None:
    """Detect and quantify one plume per scene; write OUT/plumes.csv (IME rate per scene)."""
    rows = []
    for p in scenes:
        res = quantify_scene(scene_arrays(p))
        ime = next(r for r in res if r["method"] == "IME")
        csf = next(r for r in res if r["method"] == "CSF")
        rows.append(
            {
                **ime,
                "rate_csf_t_per_h": csf["rate_t_per_h"],
                "rate_csf_sigma_t_per_h": csf["rate_sigma_t_per_h"],
            }
        )
    table = plume_table(rows)
    for k in ("rate_csf_t_per_h", "rate_csf_sigma_t_per_h"):
        table[k] = [r[k] for r in rows]
    try:
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "plumes.csv", index=False)
    except OSError as exc:
        raise InputError(f"cannot write plumes.csv: {exc}", file=out) from exc
    typer.echo(f"wrote {out / 'plumes.csv'} ({len(table)} scenes)")
