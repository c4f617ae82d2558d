"""The wind at a plume's source: from the scene's own 10 m wind or an external wind.

An external wind is either a plain ``(u, v)`` pair [m/s] or an xarray dataset with
variables ``u`` and ``v`` [m/s] on ``(time, latitude, longitude)`` (as ERA5 is
distributed, e.g. read by ``openmrv.observe``); it is interpolated linearly in time,
latitude and longitude to the source. Nothing here opens files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from openmrv.errors import InputError
from openmrv.limits import out_of_range


@dataclass(frozen=True)
class Wind:
    """A wind vector [m/s] and where it came from."""

    u: float
    v: float
    origin: str  # 'scene u10/v10', 'supplied (u, v)', 'winds dataset'

    def __post_init__(self) -> None:
        why = out_of_range(self.speed, "wind_speed_10m")
        if why is not None:
            raise InputError(
                f"{self.origin} wind speed {why}; check the wind (its unit is m/s)",
                field="winds" if self.origin.startswith(("supplied", "winds")) else "u10",
            )

    @property
    def speed(self) -> float:
        return float(np.hypot(self.u, self.v))


def scene_wind(u10: np.ndarray, v10: np.ndarray, mask: np.ndarray) -> Wind:
    """Mean of the scene's 10 m wind over the plume mask (all valid pixels if none there)."""
    u10, v10 = np.asarray(u10, float), np.asarray(v10, float)
    sel = mask & np.isfinite(u10) & np.isfinite(v10)
    if not sel.any():
        sel = np.isfinite(u10) & np.isfinite(v10)
    if not sel.any():
        raise InputError(
            "the scene has no 10 m wind (u10/v10 missing); supply a wind (winds=...)",
            field="u10",
        )
    return Wind(float(u10[sel].mean()), float(v10[sel].mean()), "scene u10/v10")


def external_wind(winds, time, lat: float, lon: float) -> Wind:
    """The wind of ``winds`` at (time, lat, lon).

    Parameters
    ----------
    winds
        ``(u, v)`` [m/s], or an xarray Dataset with ``u``, ``v`` on
        (time, latitude, longitude).

    Raises
    ------
    InputError
        Missing variables or dimensions, or a point outside the dataset's domain.
    """
    if isinstance(winds, tuple | list) and len(winds) == 2:
        u, v = (float(w) for w in winds)
        if not (np.isfinite(u) and np.isfinite(v)):
            raise InputError(f"supplied wind {winds} is not finite", field="winds")
        return Wind(u, v, "supplied (u, v)")
    missing = [k for k in ("u", "v") if k not in getattr(winds, "data_vars", {})]
    if missing:
        raise InputError(
            f"winds must be (u, v) or a dataset with variables u and v; missing {missing}",
            field="winds",
        )
    dims = {"time", "latitude", "longitude"}
    if not dims <= set(winds["u"].dims):
        raise InputError(
            f"winds u has dims {winds['u'].dims}; expected (time, latitude, longitude)",
            field="winds",
        )
    lats, lons = winds["latitude"].values, winds["longitude"].values
    if not (lats.min() <= lat <= lats.max() and lons.min() <= lon <= lons.max()):
        raise InputError(
            f"source at {lat:.3f}N {lon:.3f}E lies outside the winds dataset "
            f"({lats.min()}..{lats.max()}N, {lons.min()}..{lons.max()}E)",
            field="winds",
        )
    t = np.datetime64(pd.Timestamp(time).tz_localize(None), "ns")
    times = winds["time"].values
    if not times.min() <= t <= times.max():
        raise InputError(
            f"scene time {t} lies outside the winds dataset ({times.min()}..{times.max()})",
            field="winds",
        )
    # interpolate on time as float nanoseconds (a datetime coordinate interpolates to
    # NaN in some xarray versions); latitude sorted ascending (ERA5 runs north to south)
    w = winds[["u", "v"]].sortby(["time", "latitude", "longitude"])
    w = w.assign_coords(
        time=w["time"].values.astype("datetime64[ns]").astype("int64").astype(float)
    )
    pt = w.interp(time=float(t.astype("int64")), latitude=lat, longitude=lon)
    u, v = float(pt["u"]), float(pt["v"])
    if not (np.isfinite(u) and np.isfinite(v)):
        raise InputError(f"winds dataset has no value at {lat:.3f}N {lon:.3f}E {t}", field="winds")
    return Wind(u, v, "winds dataset")
