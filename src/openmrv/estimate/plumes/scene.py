"""One plume scene: search an orbit in windows, detect and quantify the plume, find the
known sources that may share its mask (pure functions on the arrays of a scene; the
scene is read by :func:`openmrv.observe.scenes.scene_arrays`).

A scene is a dict of 2-D arrays (``xch4``, ``noise``, ``lat``, ``lon``, their pixel
corners, ``u10``, ``v10``, ``surface_pressure``) plus ``scene`` (its name) and ``time``.
:func:`quantify_scene` returns one plume-table row with every method's rate and 1-sigma
(IME, CSF, Gaussian plume fit) and the working arrays the quick-look figure draws.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import ndimage

from openmrv.errors import InputError
from openmrv.estimate.plumes.detect import detect_plume, split_mask
from openmrv.estimate.plumes.gaussian import NOT_VALIDATED, gaussian_plume_fit
from openmrv.estimate.plumes.parameters import parameter
from openmrv.estimate.plumes.quantify import (
    csf_rate,
    ime_rate,
    local_xy,
    pixel_areas,
    pixel_areas_from_centres,
    with_neighbour_term,
)
from openmrv.estimate.plumes.wind import external_wind, scene_wind

METHODS = ("IME", "CSF", "Gaussian")
Method = Literal["IME", "CSF", "Gaussian"]


def split_swath(sc: dict) -> list[dict]:
    """Windows around the plume candidates of a large scene (an L2 orbit); a scene of patch
    size is returned as it is.

    The scene is searched in windows of ``swath_window_pixels`` (the validation patches'
    size), overlapping by half, each tested by :func:`detect_plume` at a false-alarm rate
    of ``swath_false_alarm`` / number of windows (Bonferroni: at most ``swath_false_alarm``
    false detections per orbit on plume-free white noise). Candidates closer than half a
    window to a stronger one are dropped; each kept candidate gets a window centred on its
    source pixel, named ``<scene>@<row>_<col>``, which :func:`quantify_scene` then treats
    like a patch (same false-alarm rate, source pixel given).
    """
    size = int(parameter("swath_window_pixels", "1"))
    x = sc["xch4"]
    rows, cols = x.shape
    if rows < 2 * size and cols < 2 * size:
        return [sc]
    step = size // 2

    def starts(n: int) -> list[int]:
        s = list(range(0, max(n - size, 0) + 1, step))
        return s if s[-1] == max(n - size, 0) else [*s, n - size]

    tiles = [(r, c) for r in starts(rows) for c in starts(cols)]
    alpha = parameter("swath_false_alarm", "1") / len(tiles)
    noise = np.broadcast_to(np.asarray(sc["noise"], float), x.shape)
    union = np.zeros(x.shape, bool)  # every window's plume mask, in scene pixels
    found = []
    for r, c in tiles:
        win = (slice(r, r + size), slice(c, c + size))
        if np.isfinite(x[win]).sum() < size * size // 4:
            continue  # mostly cloud or no data: no background to test against
        try:
            det = detect_plume(x[win], noise[win], alpha=alpha)
        except InputError:
            continue
        if det.detected:
            peak = float(np.nanmax(np.where(det.mask, det.z_smooth, -np.inf)))
            found.append((peak, r + det.source[0], c + det.source[1]))
            union[win] |= det.mask
    # one candidate per connected plume (a plume seen by several windows, or whose tail
    # looks like a second source downwind): the one with the strongest peak
    labels, _ = ndimage.label(union, structure=np.ones((3, 3)))
    kept: list[tuple[float, int, int]] = []
    seen: set[int] = set()
    for peak, r0, c0 in sorted(found, reverse=True):
        if labels[r0, c0] not in seen:
            seen.add(int(labels[r0, c0]))
            kept.append((peak, r0, c0))
    windows = []
    for _, r0, c0 in kept:
        r = min(max(r0 - step, 0), max(rows - size, 0))
        c = min(max(c0 - step, 0), max(cols - size, 0))
        win = (slice(r, r + size), slice(c, c + size))
        sub = {
            k: (v[win] if isinstance(v, np.ndarray) and v.shape[:2] == x.shape else v)
            for k, v in sc.items()
        }
        t = sc["times"][r0, c0]
        sub.update(
            scene=f"{sc['scene']}@{r0}_{c0}",
            time=pd.Timestamp(t) if not np.isnat(t) else sc["time"],
            alpha=alpha,
            source_pixel=(r0 - r, c0 - c),
        )
        windows.append(sub)
    return windows


def _source_pixel(lat, lon, source_latlon):
    if source_latlon is None:
        return None
    d = (lat - source_latlon[0]) ** 2 + (
        (lon - source_latlon[1]) * np.cos(np.deg2rad(source_latlon[0]))
    ) ** 2
    i = int(np.nanargmin(d))
    return (i // lat.shape[1], i % lat.shape[1])


def quantify_scene(
    sc: dict,
    source_latlon: tuple[float, float] | None = None,
    winds=None,
    rel_wind_error: float | None = None,
    method: Method = "IME",
    methods: tuple[str, ...] = METHODS,
    neighbours: list[tuple[float, float]] | None = None,
    detection: dict | None = None,
) -> tuple[dict, dict]:
    """One plume-table row for a scene from :func:`scene_arrays`, and the working arrays.

    ``winds``: None (the scene's u10/v10 over the plume), a ``(u, v)`` pair [m/s] or an
    xarray dataset with ``u``, ``v`` on (time, latitude, longitude). ``method``: the
    method whose rate fills ``rate_t_per_h``; every method's rate is in its own column.
    ``methods``: the methods to run (default all). ``neighbours``: (lat, lon) of other
    known sources near this one; each rate's budget then gets a ``neighbours`` term
    (:func:`openmrv.estimate.plumes.quantify.with_neighbour_term` over the part of the
    mask :func:`openmrv.estimate.plumes.split_mask` leaves to this source). Known sources
    within one pixel (the square root of the median pixel area) of the detected source
    are the source itself, not neighbours, and are left out. ``detection``: keyword
    arguments for :func:`openmrv.estimate.plumes.detect_plume` (e.g. ``z_mask``), for
    benchmarks that compare detection settings.
    """
    if rel_wind_error is None:  # the stated default of the parameters table
        rel_wind_error = parameter("rel_wind_error", "1")
    if method not in METHODS:
        raise InputError(f"unknown method '{method}'; use one of {METHODS}", field="method")
    lat, lon = sc["lat"], sc["lon"]
    row: dict = {
        "time": sc["time"],
        "lat": np.nan,
        "lon": np.nan,
        "rate_t_per_h": np.nan,
        "rate_sigma_t_per_h": np.nan,
        "method": method,
        "source": "openmrv",
        "facility_id": "",
        "scene": sc["scene"],
        "detected": False,
        "wind_u": np.nan,
        "wind_v": np.nan,
        "wind_origin": "",
    }
    source = _source_pixel(lat, lon, source_latlon)
    if source is None:
        source = sc.get("source_pixel")
    det = detect_plume(
        sc["xch4"], sc["noise"], source=source, alpha=sc.get("alpha", 0.01), **(detection or {})
    )
    work = {"scene": sc, "det": det, "wind": None}
    if not det.detected:
        row["flags"] = "; ".join(det.flags)
        return row, work
    r0, c0 = det.source
    row.update(lat=float(lat[r0, c0]), lon=float(lon[r0, c0]), detected=True)
    if winds is None:
        wind = scene_wind(sc["u10"], sc["v10"], det.mask)
    else:
        wind = external_wind(winds, sc["time"], row["lat"], row["lon"])
    work["wind"] = wind
    row.update(wind_u=wind.u, wind_v=wind.v, wind_origin=wind.origin, wind_speed_m_s=wind.speed)
    if np.isfinite(sc["lat_bounds"]).any():
        area = pixel_areas(sc["lat_bounds"], sc["lon_bounds"])
    else:
        area = pixel_areas_from_centres(lat, lon)
    if not np.isfinite(area).all():
        area = np.where(np.isfinite(area), area, np.nanmedian(area))
    pixel = float(np.sqrt(np.median(area)))  # [m]
    row["pixel_km"] = pixel / 1000.0  # for the attribution radius
    x_m, y_m = local_xy(lat, lon, row["lat"], row["lon"])
    ps = sc["surface_pressure"]
    speed, x = wind.speed, sc["xch4"]
    run = {
        "IME": lambda: ime_rate(x, det, area, speed, rel_wind_error, ps),
        "CSF": lambda: csf_rate(
            x, det, x_m, y_m, area, speed, (wind.u, wind.v), rel_wind_error, ps
        ),
        "Gaussian": lambda: gaussian_plume_fit(
            x,
            det,
            x_m,
            y_m,
            (wind.u, wind.v),
            rel_wind_error,
            ps,
            pixel_size=pixel,
        ),
    }
    ests = [run[m]() for m in METHODS if m in methods]
    others = np.empty((0, 2))
    if neighbours:
        nb = np.asarray(neighbours, float).reshape(-1, 2)
        others = np.column_stack(local_xy(nb[:, 0], nb[:, 1], row["lat"], row["lon"]))
        # a known source within one pixel of the detected one cannot be told apart from it
        others = others[np.hypot(others[:, 0], others[:, 1]) > pixel]
    if len(others):
        own_mask, given = split_mask(
            det.mask, x_m, y_m, (0.0, 0.0), others, (wind.u, wind.v), pixel
        )
        if given and own_mask.sum() >= 3:
            whole = det.mask
            det.mask = own_mask
            try:
                ests = [with_neighbour_term(e, run[e.method]()) for e in ests]
            finally:
                det.mask = whole
    flags = list(det.flags)
    for e in ests:
        key = f"rate_{e.method.lower()}"
        row[f"{key}_t_per_h"] = e.rate_t_per_h
        row[f"{key}_sigma_t_per_h"] = e.sigma_t_per_h
        flags += [f"{e.method}: {f}" for f in e.flags if f not in det.flags]
        if e.method == method:
            if NOT_VALIDATED in e.flags:
                # a fit that does not hold on coarse pixels is no rate: its value stays
                # in rate_gaussian_t_per_h for diagnosis, rate_t_per_h stays empty
                flags.append(
                    "Gaussian: not reported as the rate (not validated at this pixel size)"
                )
                continue
            row["rate_t_per_h"], row["rate_sigma_t_per_h"] = e.rate_t_per_h, e.sigma_t_per_h
    row["flags"] = "; ".join(flags)
    work["estimates"] = ests
    return row, work


def scene_neighbours(sc: dict, register: pd.DataFrame) -> list[tuple[float, float]]:
    """The (lat, lon) of the register's facilities inside a scene's footprint (the
    bounding box of its pixel centres, widened by one pixel): the known sources whose
    plumes may share a plume mask there."""
    missing = {"lat", "lon"} - set(register.columns)
    if missing:
        raise InputError(
            f"the facility register has no {sorted(missing)} column(s): neighbouring "
            "sources need each facility's lat and lon; add them (decimal degrees) to the "
            "register, or leave out --neighbours",
            field="neighbours",
        )
    lat, lon = np.asarray(sc["lat"], float), np.asarray(sc["lon"], float)
    if not np.isfinite(lat).any():
        return []
    rows, cols = lat.shape
    pad_lat = (np.nanmax(lat) - np.nanmin(lat)) / max(rows - 1, 1)
    pad_lon = (np.nanmax(lon) - np.nanmin(lon)) / max(cols - 1, 1)
    pad = max(pad_lat, pad_lon)
    flat = pd.to_numeric(register["lat"], errors="coerce").to_numpy(float)
    flon = pd.to_numeric(register["lon"], errors="coerce").to_numpy(float)
    inside = (
        (flat >= np.nanmin(lat) - pad)
        & (flat <= np.nanmax(lat) + pad)
        & (flon >= np.nanmin(lon) - pad)
        & (flon <= np.nanmax(lon) + pad)
    )
    return list(zip(flat[inside].tolist(), flon[inside].tolist(), strict=True))
