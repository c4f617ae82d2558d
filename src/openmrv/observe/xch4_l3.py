"""Gridded (Level 3) XCH4 records and the climatological winds read with them.

:func:`read_xch4_l3` reads the C3S OBS4MIPs layout: the Copernicus Climate Change
Service product "XCH4 L3 OBS4MIPs merged" (file name ``YYYYMM_YYYYMM-C3S-L3_XCH4-GHG_PRODUCTS-
MERGED-MERGED-OBS4MIPS-MERGED-vX.Y.nc`` or, to v4.4, ``..._GHG-GHG_PRODUCTS-...``): a variable
``xch4`` on dims ``(time, lat, lon)``, monthly, 5 x 5 degree, a dry-air mole fraction in
units "1" (or "1e-9", "ppb"), missing cells as the fill value 1e20 (or NaN); optional
``xch4_stderr``, ``xch4_nobs``. A regional subset written in the same layout (the
case's ``observations/c3s_xch4_obs4mips_merged_v4.3_20-55N_30-90E.nc``) reads the same
way. Out comes a DataArray in ppb, latitude and longitude ascending.

:func:`read_wind_climatology` reads monthly-mean winds on pressure levels: ``u`` and ``v``
on ``(month, level, lat, lon)`` (names ``latitude``/``longitude`` accepted), as in the
ERA-Interim file of the xarray tutorial data (``eraint_uvz.nc``) and the case's subset of it.

:func:`country_cell_fraction` gives the share of each grid cell's area inside a country
(Natural Earth polygons of :mod:`openmrv.observe.region`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from openmrv.errors import InputError
from openmrv.observe import isolation
from openmrv.observe.region import country_polygons, points_in_polygons

#: the OBS4MIPs fill value for missing cells
FILL_VALUE = 1.0e20
#: scale of the units a file may give to ppb
_TO_PPB = {"1": 1e9, "mol/mol": 1e9, "mol mol-1": 1e9, "1e-9": 1.0, "ppb": 1.0}


def _open(path: str | Path, what: str) -> xr.Dataset:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} file not found; check the path in case.yaml", file=path)
    if isolation.wanted(path):  # loaded in the reading process, with its time limit
        return isolation.call(path, _load, path, what)
    return _load(path, what)


def _load(path: Path, what: str) -> xr.Dataset:
    """The file's contents in memory (the file closed)."""
    try:
        with xr.open_dataset(path, decode_times=True, mask_and_scale=True) as ds:
            return ds.load()
    except Exception as exc:  # any netCDF decoding failure
        raise InputError(
            f"cannot be read as netCDF ({type(exc).__name__}: {exc}); give a {what} netCDF file",
            file=path,
        ) from None


def _rename(ds: xr.Dataset) -> xr.Dataset:
    names = {"latitude": "lat", "longitude": "lon"}
    return ds.rename({k: v for k, v in names.items() if k in ds.dims or k in ds.variables})


def read_xch4_l3(path: str | Path) -> xr.DataArray:
    """Monthly gridded XCH4 [ppb] on ``(time, lat, lon)`` from a C3S OBS4MIPs file.

    Raises
    ------
    InputError
        Missing or unreadable file, no ``xch4`` variable, other dimensions, unknown
        units, or values outside 1000-3000 ppb.
    """
    ds = _rename(_open(path, "gridded XCH4 (C3S OBS4MIPs layout)"))
    if "xch4" not in ds:
        raise InputError(
            f"has no variable 'xch4' (it has {sorted(ds.data_vars)}); give a C3S XCH4 "
            "L3 OBS4MIPs file or a subset in its layout",
            file=path,
            field="xch4",
        )
    da = ds["xch4"]
    if set(da.dims) != {"time", "lat", "lon"}:
        raise InputError(
            f"variable 'xch4' has dims {da.dims}; the OBS4MIPs layout is (time, lat, lon)",
            file=path,
            field="xch4",
        )
    units = str(da.attrs.get("units", "1")).strip()
    if units not in _TO_PPB:
        raise InputError(
            f"variable 'xch4' has units '{units}'; expected one of {sorted(_TO_PPB)}",
            file=path,
            field="xch4",
        )
    values = da.transpose("time", "lat", "lon").values.astype(float)
    values[~np.isfinite(values) | (np.abs(values) >= FILL_VALUE / 10)] = np.nan
    ppb = values * _TO_PPB[units]
    good = ppb[np.isfinite(ppb)]
    if good.size == 0:
        raise InputError("variable 'xch4' holds no valid value", file=path, field="xch4")
    if good.min() < 1000 or good.max() > 3000:
        raise InputError(
            f"xch4 ranges {good.min():.4g}-{good.max():.4g} ppb after units '{units}'; "
            "expected 1000-3000 ppb (check the units attribute)",
            file=path,
            field="xch4",
        )
    out = xr.DataArray(
        ppb,
        dims=("time", "lat", "lon"),
        coords={"time": ds["time"].values, "lat": ds["lat"].values, "lon": ds["lon"].values},
        name="xch4",
        attrs={
            "units": "ppb",
            "source_file": str(path),
            **{k: str(ds.attrs[k]) for k in ("product", "licence", "citation") if k in ds.attrs},
        },
    )
    return out.sortby("lat").sortby("lon")


def read_wind_climatology(path: str | Path) -> xr.Dataset:
    """Monthly-mean winds ``u``, ``v`` [m/s] on ``(month, level, lat, lon)``, level in hPa.

    Raises
    ------
    InputError
        Missing or unreadable file, no ``u``/``v``, other dimensions, or winds above
        150 m/s.
    """
    ds = _rename(_open(path, "wind climatology"))
    lacking = [v for v in ("u", "v") if v not in ds]
    if lacking:
        raise InputError(
            f"lacks the wind variables {lacking}; give monthly-mean u and v on "
            "(month, level, lat, lon), e.g. ERA-Interim eraint_uvz.nc",
            file=path,
            field=lacking[0],
        )
    for v in ("u", "v"):
        if set(ds[v].dims) != {"month", "level", "lat", "lon"}:
            raise InputError(
                f"variable '{v}' has dims {ds[v].dims}; expected (month, level, lat, lon)",
                file=path,
                field=v,
            )
    out = ds[["u", "v"]].transpose("month", "level", "lat", "lon").astype(float)
    speed = np.hypot(out["u"].values, out["v"].values)
    if not np.all(np.isfinite(speed)) or speed.max() > 150:
        raise InputError("winds hold missing values or speeds above 150 m/s", file=path, field="u")
    out.attrs = {"source_file": str(path), **{k: str(v) for k, v in ds.attrs.items()}}
    return out.sortby("lat").sortby("lon")


def country_cell_fraction(
    lat: np.ndarray, lon: np.ndarray, iso3: str, samples: int = 20
) -> np.ndarray:
    """Share of each cell's area inside the country ``iso3`` (Natural Earth 1:110m),
    shape (lat, lon), from ``samples`` x ``samples`` points per cell weighted by
    cos(latitude). Cells are centred on ``lat``, ``lon`` with their regular spacing."""
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    dlat = float(np.diff(lat).mean()) if lat.size > 1 else 5.0
    dlon = float(np.diff(lon).mean()) if lon.size > 1 else 5.0
    off = (np.arange(samples) + 0.5) / samples - 0.5
    polys = country_polygons(iso3)
    out = np.zeros((lat.size, lon.size))
    for i, la in enumerate(lat):
        plat = la + off * dlat
        w = np.cos(np.radians(plat))
        for j, lo in enumerate(lon):
            glat, glon = np.meshgrid(plat, lo + off * dlon, indexing="ij")
            inside = points_in_polygons(glon.ravel(), glat.ravel(), polys).reshape(glat.shape)
            out[i, j] = float((inside * w[:, None]).sum() / (w.sum() * samples))
    return out
