"""Winds: ERA5 netCDF (single and pressure levels), winds shipped in products, winds at points.

One canonical winds dataset comes out of every reader: variables ``u`` and ``v``
[m s-1] (eastward, northward) on ``(time, latitude, longitude)``, latitude and
longitude ascending, longitude in [-180, 180), with the attributes ``level``
(``"10m"`` or ``"boundary-layer mean"``), ``source_file``, ``product`` and
``layout`` (``"CDS"``: the Copernicus Climate Data Store layout since 2024,
``valid_time``/``pressure_level``/``number``/``expver``; ``"CDS legacy"``:
``time``/``level``, short names, int16 packing with ``scale_factor``/``add_offset``).

Boundary-layer-mean wind
------------------------
The pressure-weighted mean of the wind between the surface pressure
:math:`p_s` and the pressure :math:`p_t` at the top of the boundary layer,

.. math:: \\bar u = \\frac{1}{p_s - p_t} \\int_{p_t}^{p_s} u(p)\\, dp,

with :math:`u(p)` linear in :math:`p` between the pressure levels and held
constant beyond the lowest and highest level; levels below the ground (pressure above
:math:`p_s`, filled by extrapolation in ERA5) are excluded, the lowest level above the
ground held down to :math:`p_s` (:func:`above_ground`). The weights are the pressure
thicknesses :math:`dp`, i.e. the air mass :math:`dp/g` of each layer, as in ERA5's
vertical integrals (ERA5 data documentation, Copernicus Knowledge Base, "vertical
integrals"; Hersbach et al. 2020). The top follows from the boundary layer height
:math:`h` (ERA5 ``blh``, m above the surface) by the hypsometric equation with the 2 m
temperature :math:`T` (``t2m``) as the layer temperature,

.. math:: p_t = p_s \\exp\\left(-\\frac{g h}{R_d T}\\right),

where ``blh`` is absent a default depth (``data/winds_parameters.csv``), and where
``t2m`` is absent the standard temperature; g, R_d and that temperature are physical
constants of :mod:`openmrv.constants`, each with its source. The dataset's attributes
record which was used.

References
----------
.. [ERA5] Hersbach, H. et al. (2020), The ERA5 global reanalysis, Q. J. R. Meteorol.
   Soc. 146, 1999-2049, doi:10.1002/qj.3803. Variables ``u10``, ``v10`` (10 m wind),
   ``blh`` (boundary layer height), ``sp`` (surface pressure), ``t2m``; ``u``, ``v``
   on pressure levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import xarray as xr

from openmrv.constants import PHYSICAL_CONSTANTS, constant, table_row, table_value
from openmrv.errors import (
    CorruptFileError,
    InputError,
    MissingVariableError,
    ObservationError,
)
from openmrv.observe import isolation
from openmrv.observe._files import conversion_factor

_TABLE = Path(__file__).parent / "data" / "winds_parameters.csv"
_RENAME = {
    "valid_time": "time",
    "pressure_level": "level",
    "isobaricInhPa": "level",
    "lat": "latitude",
    "lon": "longitude",
}
LEVEL_10M = "10m"
LEVEL_BL = "boundary-layer mean"


@dataclass(frozen=True)
class WindConstants:
    """Constants of the boundary-layer mean, from the packaged, cited tables."""

    g: float  # [m s-2]
    r_d: float  # [J kg-1 K-1]
    t_ref: float  # [K]
    default_depth: float  # [m]
    depth_source: str


def load_constants() -> WindConstants:
    """Read g, R_d, the reference temperature (physical constants) and the default
    boundary-layer depth (``data/winds_parameters.csv``), each in the unit used here."""
    depth = "default_boundary_layer_depth"
    return WindConstants(
        g=constant("g", "m / s**2"),
        r_d=constant("R_d", "J / kg / K"),
        t_ref=constant("T_standard", "K"),
        default_depth=table_value(_TABLE, depth, "m"),
        depth_source=table_row(_TABLE, depth)["source"],
    )


# --------------------------------------------------------------------------- files


def _open(path: Path) -> tuple[xr.Dataset, str]:
    """Open an ERA5 netCDF file and bring it to (time, [level,] latitude, longitude).

    The file is opened and loaded in the reading process of
    :mod:`openmrv.observe.isolation`, with its time limit, like the satellite files: a
    damaged netCDF4/HDF5 file that makes the C libraries loop is refused with a
    :class:`~openmrv.errors.CorruptFileError` instead of hanging the run."""
    path = Path(path)
    if not path.is_file():
        raise ObservationError("no such file", file=path)
    if isolation.wanted(path):
        return isolation.call(path, _open_here, path)
    return _open_here(path)


def _open_here(path: Path) -> tuple[xr.Dataset, str]:
    """:func:`_open` in this process."""
    try:
        with xr.open_dataset(path, engine="netcdf4", mask_and_scale=True) as raw:
            ds = raw.load()
    except (OSError, RuntimeError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise CorruptFileError(f"cannot open as ERA5 netCDF: {exc}", file=path) from exc
    layout = "CDS" if "valid_time" in ds.dims else "CDS legacy"
    ds = ds.rename({k: v for k, v in _RENAME.items() if k in ds.variables or k in ds.dims})
    for dim in ("time", "latitude", "longitude"):
        if dim not in ds.dims:
            raise MissingVariableError(
                f"not an ERA5 grid: dimension '{dim}' (or valid_time) is missing; "
                f"have {sorted(map(str, ds.dims))}",
                file=path,
            )
    if "number" in ds.dims:
        if ds.sizes["number"] != 1:
            raise ObservationError(
                f"holds {ds.sizes['number']} ensemble members; select one member first",
                file=path,
                field="number",
            )
        ds = ds.isel(number=0)
    if "expver" in ds.dims:  # legacy ERA5/ERA5T mix: one value per time in one expver
        merged = ds.isel(expver=0)
        for i in range(1, ds.sizes["expver"]):
            merged = merged.combine_first(ds.isel(expver=i))
        ds = merged
    ds = ds.drop_vars([v for v in ("number", "expver") if v in ds.variables])
    if not np.issubdtype(ds["time"].dtype, np.datetime64):
        raise ObservationError("time is not decodable to dates", file=path, field="time")
    lon = ((ds["longitude"].values + 180.0) % 360.0) - 180.0
    ds = ds.assign_coords(longitude=lon).sortby(["latitude", "longitude", "time"])
    return ds, layout


def _field(ds: xr.Dataset, name: str, canonical: str, path: Path) -> xr.DataArray:
    """A variable in canonical units, NaN-free, or a typed error naming the file."""
    if name not in ds:
        raise MissingVariableError(f"variable '{name}' is missing", file=path, field=name)
    var = ds[name]
    factor = conversion_factor(var.attrs.get("units"), canonical, file=path, field=name)
    out = var.astype(np.float64) * factor
    if not np.isfinite(out.values).all():
        raise ObservationError("has missing values (fill values)", file=path, field=name)
    out.attrs = {"units": canonical}
    return out


def _winds(u: xr.DataArray, v: xr.DataArray, attrs: dict[str, object]) -> xr.Dataset:
    ds = xr.Dataset({"u": u, "v": v})
    ds["u"].attrs = {"units": "m s-1", "standard_name": "eastward_wind"}
    ds["v"].attrs = {"units": "m s-1", "standard_name": "northward_wind"}
    ds.attrs = {"Conventions": "CF-1.8", "title": "openmrv winds", **attrs}
    return ds.transpose("time", "latitude", "longitude")


def read_era5_single_levels(path: str | Path) -> xr.Dataset:
    """ERA5 single levels: the 10 m wind, plus ``blh``, ``sp``, ``t2m`` where present.

    Parameters
    ----------
    path
        ERA5 single-level netCDF (either CDS layout) with ``u10`` and ``v10`` [m s-1].

    Returns
    -------
    xarray.Dataset
        Winds (``u``, ``v`` [m s-1], attribute ``level = "10m"``) and, where the
        file holds them, ``boundary_layer_height`` [m], ``surface_pressure`` [Pa],
        ``temperature_2m`` [K].

    Raises
    ------
    openmrv.errors.InputError
        A subclass naming the file: corrupt file, missing variable, unknown unit.
    """
    path = Path(path)
    ds, layout = _open(path)
    out = _winds(
        _field(ds, "u10", "m s-1", path),
        _field(ds, "v10", "m s-1", path),
        {
            "level": LEVEL_10M,
            "source_file": path.name,
            "product": "ERA5 single levels",
            "layout": layout,
        },
    )
    for name, canonical, new in (
        ("blh", "m", "boundary_layer_height"),
        ("sp", "Pa", "surface_pressure"),
        ("t2m", "K", "temperature_2m"),
    ):
        if name in ds:
            out[new] = _field(ds, name, canonical, path)
    return out


def pressure_weighted_mean(
    values: np.ndarray, levels: np.ndarray, p_bottom: np.ndarray, p_top: np.ndarray
) -> np.ndarray:
    """Mean of a profile over [p_top, p_bottom], weighted by pressure.

    Parameters
    ----------
    values
        Profile, levels on the last axis [any unit].
    levels
        Pressure of each level [Pa], 1-D, any order.
    p_bottom, p_top
        Bounds of the layer [Pa], broadcastable to ``values.shape[:-1]``;
        ``p_bottom > p_top``.

    Returns
    -------
    numpy.ndarray
        :math:`\\frac{1}{p_b - p_t}\\int_{p_t}^{p_b} u(p)\\,dp` with ``u`` linear
        between levels and constant beyond the outermost ones.
    """
    order = np.argsort(levels)
    p = np.asarray(levels, dtype=float)[order]
    u = np.asarray(values, dtype=float)[..., order]
    seg = 0.5 * (u[..., 1:] + u[..., :-1]) * np.diff(p)
    cum = np.concatenate([np.zeros((*u.shape[:-1], 1)), np.cumsum(seg, axis=-1)], axis=-1)

    def primitive(x: np.ndarray) -> np.ndarray:
        x = np.broadcast_to(x, u.shape[:-1])
        k = np.clip(np.searchsorted(p, x, side="right") - 1, 0, len(p) - 2)[..., None]
        pk, pk1 = p[k[..., 0]], p[k[..., 0] + 1]
        uk = np.take_along_axis(u, k, -1)[..., 0]
        uk1 = np.take_along_axis(u, k + 1, -1)[..., 0]
        ck = np.take_along_axis(cum, k, -1)[..., 0]
        xc = np.clip(x, p[0], p[-1])
        ux = uk + (uk1 - uk) * (xc - pk) / (pk1 - pk)
        inside = ck + 0.5 * (uk + ux) * (xc - pk)
        below = np.where(x < p[0], (x - p[0]) * u[..., 0], 0.0)
        above = np.where(x > p[-1], (x - p[-1]) * u[..., -1], 0.0)
        return inside + below + above

    if len(p) < 2:
        raise ObservationError("a boundary-layer mean needs at least two pressure levels")
    p_bottom = np.asarray(p_bottom, dtype=float)
    p_top = np.asarray(p_top, dtype=float)
    if np.any(p_bottom <= p_top):
        raise ObservationError("the layer's bottom pressure must exceed its top pressure")
    return (primitive(p_bottom) - primitive(p_top)) / (p_bottom - p_top)


def above_ground(values: np.ndarray, levels: np.ndarray, p_surface: np.ndarray) -> np.ndarray:
    """A profile with its levels below the ground (pressure above ``p_surface``) replaced
    by the lowest level above it (where every level is below, by the highest level).

    ERA5 gives values on the pressure levels below the orography too (extrapolated);
    they are not air, so the layer mean holds the lowest real level down to the
    surface instead.

    Parameters
    ----------
    values
        Profile, levels on the last axis; ``levels`` [Pa] 1-D, any order.
    p_surface
        Surface pressure [Pa], shape ``values.shape[:-1]``.
    """
    p, u = np.asarray(levels, float), np.asarray(values, float)
    ps = np.asarray(p_surface, float)[..., None]
    air = p <= ps
    k = np.where(air.any(-1), np.where(air, p, -np.inf).argmax(-1), p.argmin())[..., None]
    return np.where(air, u, np.take_along_axis(u, k, -1))


def _matching(sl: xr.Dataset, pl: xr.Dataset, name: str, path: str) -> xr.DataArray:
    """A single-level field on the pressure-level grid (exact, or linear if grids differ)."""
    field = sl[name]
    same = all(
        sl.sizes[d] == pl.sizes[d] and np.array_equal(sl[d].values, pl[d].values)
        for d in ("time", "latitude", "longitude")
    )
    if not same:
        field = field.interp(time=pl.time, latitude=pl.latitude, longitude=pl.longitude)
        if not np.isfinite(field.values).all():
            raise ObservationError(
                "the single-level file does not cover the pressure-level file's times and grid",
                file=path,
                field=name,
            )
    return field


def read_era5_pressure_levels(
    path: str | Path, single_levels: str | Path | xr.Dataset
) -> xr.Dataset:
    """ERA5 pressure levels: the boundary-layer-mean wind (see the module notes).

    Parameters
    ----------
    path
        ERA5 pressure-level netCDF with ``u``, ``v`` [m s-1] on ``level`` or
        ``pressure_level`` [hPa].
    single_levels
        The matching ERA5 single-level file (or its dataset from
        :func:`read_era5_single_levels`): ``sp`` is required, ``blh`` and ``t2m``
        are used where present.

    Returns
    -------
    xarray.Dataset
        Winds with ``level = "boundary-layer mean"``, plus ``boundary_layer_top``
        [Pa]; attributes ``boundary_layer_depth_source`` and ``temperature_source``.
    """
    path = Path(path)
    sl = (
        single_levels
        if isinstance(single_levels, xr.Dataset)
        else (read_era5_single_levels(single_levels))
    )
    sl_name = str(sl.attrs.get("source_file", "single levels"))
    ds, layout = _open(path)
    if "level" not in ds.dims:
        raise MissingVariableError(
            "no pressure-level dimension (level or pressure_level)", file=path, field="level"
        )
    unit = ds["level"].attrs.get("units")
    levels = ds["level"].values.astype(float) * conversion_factor(
        unit, "Pa", file=path, field="level"
    )
    u = _field(ds, "u", "m s-1", path).transpose("time", "latitude", "longitude", "level")
    v = _field(ds, "v", "m s-1", path).transpose("time", "latitude", "longitude", "level")
    if "surface_pressure" not in sl:
        raise MissingVariableError(
            "a boundary-layer mean needs the surface pressure 'sp' in the single-level file",
            file=sl_name,
            field="sp",
        )
    c = load_constants()
    ps = _matching(sl, ds, "surface_pressure", sl_name).values
    if "temperature_2m" in sl:
        temp, t_source = _matching(sl, ds, "temperature_2m", sl_name).values, "t2m"
    else:
        temp, t_source = c.t_ref, f"reference temperature {c.t_ref} K ({PHYSICAL_CONSTANTS.name})"
    if "boundary_layer_height" in sl:
        depth = _matching(sl, ds, "boundary_layer_height", sl_name).values
        d_source = "blh"
    else:
        depth = c.default_depth
        d_source = f"default depth {c.default_depth:g} m ({_TABLE.name}: {c.depth_source})"
    p_top = ps * np.exp(-c.g * np.asarray(depth) / (c.r_d * np.asarray(temp)))
    u, v = (above_ground(x.values, levels, ps) for x in (u, v))
    dims = ("time", "latitude", "longitude")
    coords = {d: ds[d] for d in dims}
    attrs = {
        "level": LEVEL_BL,
        "source_file": f"{path.name} + {sl_name}",
        "product": "ERA5 pressure levels",
        "layout": layout,
        "boundary_layer_depth_source": d_source,
        "temperature_source": t_source,
    }
    out = _winds(
        xr.DataArray(pressure_weighted_mean(u, levels, ps, p_top), coords, dims),
        xr.DataArray(pressure_weighted_mean(v, levels, ps, p_top), coords, dims),
        attrs,
    )
    out["boundary_layer_top"] = xr.DataArray(p_top, coords, dims, attrs={"units": "Pa"})
    return out


def read_era5_winds(*paths: str | Path) -> xr.Dataset:
    """Winds from one ERA5 single-level file (10 m) or a pressure-level + single-level pair.

    The role of each file is found from its content (a pressure-level dimension or
    not), so the order does not matter.
    """
    if len(paths) not in (1, 2):
        raise ObservationError(f"give one or two ERA5 files, got {len(paths)}")
    if len(paths) == 1:
        return read_era5_single_levels(paths[0])
    kinds = {}
    for p in map(Path, paths):
        ds, _ = _open(p)
        kinds["pressure" if "level" in ds.dims else "single"] = p
    if set(kinds) != {"pressure", "single"}:
        raise ObservationError(
            "with two files, give one ERA5 pressure-level and one single-level file",
            file=", ".join(map(str, paths)),
        )
    return read_era5_pressure_levels(kinds["pressure"], kinds["single"])


# --------------------------------------------------------------------------- use


def read_winds_file(path: str | Path) -> xr.Dataset:
    """Winds [m/s] on (time, latitude, longitude) from a file that already holds ``u``,
    ``v`` (e.g. written by openmrv), else from an ERA5 single-level file (10 m wind,
    :func:`read_era5_winds`). Both are opened in the reading process (:func:`_open`).

    Raises
    ------
    openmrv.errors.InputError
        Naming the file: unreadable, damaged (a read that did not finish in time), or
        neither layout.
    """
    path = Path(path)
    if not path.is_file():
        raise ObservationError("no such file", file=path)
    uv = isolation.call(path, _uv_here, path) if isolation.wanted(path) else _uv_here(path)
    return uv if uv is not None else read_era5_winds(path)[["u", "v"]]


def _uv_here(path: Path) -> xr.Dataset | None:
    """``u`` and ``v`` of a file that holds them, loaded; None if it lacks them."""
    try:
        with xr.open_dataset(path) as ds:
            return ds[["u", "v"]].load() if "u" in ds and "v" in ds else None
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read the winds file ({exc}); give a netCDF file with u, v [m/s] on "
            "(time, latitude, longitude) or an ERA5 single-level file",
            file=path,
        ) from None


def winds_at(
    winds: xr.Dataset,
    lon: np.ndarray,
    lat: np.ndarray,
    time: np.ndarray | None = None,
    outside: Literal["raise", "nan"] = "raise",
) -> tuple[np.ndarray, np.ndarray]:
    """Winds at points: linear in longitude, latitude and time.

    Parameters
    ----------
    winds
        A canonical winds dataset.
    lon, lat
        Points [degrees_east, degrees_north].
    time
        Times (datetime64); None only for winds with one time step.
    outside
        ``"raise"``: points outside the grid or time range are an error;
        ``"nan"``: they get NaN.

    Returns
    -------
    u, v
        [m s-1] at each point.
    """
    lon = ((np.atleast_1d(np.asarray(lon, dtype=float)) + 180.0) % 360.0) - 180.0
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    src = str(winds.attrs.get("source_file", "winds"))
    if time is None:
        if winds.sizes["time"] != 1:
            raise ObservationError(
                f"the winds have {winds.sizes['time']} time steps: give the times", file=src
            )
        t = np.full(lon.shape, winds["time"].values[0])
    else:
        t = np.atleast_1d(np.asarray(time, dtype="datetime64[ns]"))
    lo, hi = {}, {}
    for name in ("longitude", "latitude", "time"):
        values = winds[name].values
        if name == "time":
            values = values.astype("datetime64[ns]")
        lo[name], hi[name] = values.min(), values.max()
    ok = (
        (lon >= lo["longitude"])
        & (lon <= hi["longitude"])
        & (lat >= lo["latitude"])
        & (lat <= hi["latitude"])
        & (t >= lo["time"])
        & (t <= hi["time"])
    )
    if not ok.all() and outside == "raise":
        i = int(np.flatnonzero(~ok)[0])
        raise ObservationError(
            f"{int((~ok).sum())} of {ok.size} points lie outside the winds "
            f"(lon {lo['longitude']:g}..{hi['longitude']:g}, lat {lo['latitude']:g}.."
            f"{hi['latitude']:g}, time {lo['time']}..{hi['time']}); first: lon {lon[i]:g}, "
            f"lat {lat[i]:g}, time {t[i]}",
            file=src,
        )
    u = np.full(lon.shape, np.nan)
    v = np.full(lon.shape, np.nan)
    if ok.any():
        pts = {
            "longitude": xr.DataArray(lon[ok], dims="point"),
            "latitude": xr.DataArray(lat[ok], dims="point"),
        }
        w = winds[["u", "v"]]
        w = w.assign_coords(time=w["time"].values.astype("datetime64[ns]"))
        if winds.sizes["time"] > 1:
            pts["time"] = xr.DataArray(t[ok], dims="point")
        else:
            w = w.isel(time=0)
        for dim in ("longitude", "latitude"):
            if winds.sizes[dim] == 1:
                w = w.isel({dim: 0})
                pts.pop(dim)
        at = w.interp(pts, method="linear") if pts else w
        u[ok], v[ok] = at["u"].values, at["v"].values
    return u, v


def product_winds(soundings: xr.Dataset) -> xr.Dataset:
    """The 10 m winds shipped inside a product, per sounding.

    TROPOMI L2 (``PRODUCT/SUPPORT_DATA/INPUT_DATA/eastward_wind``, ``northward_wind``)
    and the plume patches (``u10``, ``v10``) are read into the soundings as
    ``eastward_wind`` and ``northward_wind``; this returns them as ``u``, ``v`` on
    ``sounding``.
    """
    have = [n for n in ("eastward_wind", "northward_wind") if n in soundings]
    missing = {"eastward_wind", "northward_wind"} - set(have)
    files = ",".join(sorted(set(map(str, soundings["source_file"].values))))
    if missing or any(
        n in str(soundings.attrs.get("missing_variables", "")).split(",") for n in have
    ):
        raise MissingVariableError(
            "the product ships no winds (eastward_wind/northward_wind); use ERA5 winds",
            file=files or None,
        )
    out = xr.Dataset(
        {
            "u": ("sounding", soundings["eastward_wind"].values.astype(float)),
            "v": ("sounding", soundings["northward_wind"].values.astype(float)),
        }
    )
    out["u"].attrs = {"units": "m s-1", "standard_name": "eastward_wind"}
    out["v"].attrs = {"units": "m s-1", "standard_name": "northward_wind"}
    out.attrs = {"level": LEVEL_10M, "source_file": files, "product": "winds in the product"}
    return out


def attach_winds(soundings: xr.Dataset, winds: xr.Dataset) -> xr.Dataset:
    """Soundings with ``u``, ``v`` [m s-1] interpolated from ``winds`` at each sounding.

    Soundings outside the winds' grid or time range get NaN; their number is in
    the attribute ``soundings_outside_winds``.
    """
    u, v = winds_at(
        winds,
        soundings["longitude"].values,
        soundings["latitude"].values,
        soundings["time"].values,
        outside="nan",
    )
    attrs = {
        "units": "m s-1",
        "level": str(winds.attrs.get("level", "")),
        "source": f"{winds.attrs.get('product', '')}: {winds.attrs.get('source_file', '')}",
    }
    out = soundings.assign(u=("sounding", u, attrs), v=("sounding", v, dict(attrs)))
    out["u"].attrs["standard_name"] = "eastward_wind"
    out["v"].attrs["standard_name"] = "northward_wind"
    out.attrs["soundings_outside_winds"] = int(np.isnan(u).sum())
    return out
