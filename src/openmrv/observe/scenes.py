"""Plume scenes: a file read by the observe readers (TROPOMI ``.npz`` plume patches and
L2 orbits) rebuilt as the 2-D arrays :mod:`openmrv.estimate.plumes.scene` works on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from openmrv.errors import InputError, NoSoundingsError
from openmrv.observe.registry import read_soundings


def scene_arrays(path: Path) -> dict:
    """A scene file read by the observe readers, as 2-D arrays (rows, cols)."""
    path = Path(path)
    ds = read_soundings(path)
    shape = tuple(int(s) for s in ds.attrs.get("scene_shape", ()))
    if len(shape) != 2:
        raise InputError(
            "not a 2-D scene (no scene_shape): openmrv plumes reads plume patches (.npz) "
            "and TROPOMI L2 orbits (searched in windows); this product has no pixel grid",
            file=path,
        )
    if ds.sizes.get("sounding", 0) == 0:
        raise NoSoundingsError(
            "no pixel of the scene holds a retrieval; it cannot show a plume", file=path
        )
    r, c = ds["scene_row"].values, ds["scene_col"].values

    def grid(name: str, extra: tuple = ()) -> np.ndarray:
        g = np.full(shape + extra, np.nan)
        if name in ds:
            g[r, c] = ds[name].values
        return g

    qa = grid("qa_value")
    x = grid("xch4")
    x[~(qa >= 0.5)] = np.nan
    t = pd.to_datetime(ds["time"].values)
    times = np.full(shape, np.datetime64("NaT"), "datetime64[ns]")
    times[r, c] = ds["time"].values
    return {
        "times": times,
        "scene": path.name,
        "xch4": x,
        "noise": grid("xch4_uncertainty"),
        "lat": grid("latitude"),
        "lon": grid("longitude"),
        "lat_bounds": grid("latitude_bounds", (4,)),
        "lon_bounds": grid("longitude_bounds", (4,)),
        "u10": grid("eastward_wind"),
        "v10": grid("northward_wind"),
        "surface_pressure": grid("surface_pressure") if "surface_pressure" in ds else None,
        "time": t[len(t) // 2],
    }
