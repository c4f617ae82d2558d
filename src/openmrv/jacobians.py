"""Readers of external Jacobians and footprints for the inversion.

IMI (Integrated Methane Inversion) per-orbit files ``*_GCtoSatellite.npz``: ``K``
(n_obs x n_state, mol/mol per unit of each state element: a scale factor for emission
elements, 1 ppb for boundary-condition elements), ``obs_GC`` (n_obs x 5: observed XCH4,
modelled XCH4 at the prior [ppb], longitude, latitude, number of pixels averaged).

Footprints of Lagrangian particle models, one sensitivity map per receptor:

- STILT (R version, ``write_footprint``): one netCDF file per receptor, variable
  ``foot(time, lat, lon)`` [``ppm (umol-1 m2 s)``], cell-centre ``lon``/``lat``, ``time``
  in seconds since 1970; the receptor is named by the file,
  ``<YYYYmmddHHMM>_<lon>_<lat>_<zagl>_foot.nc``.
- FLEXPART (netCDF output of a backward run, ``grid_time_<date>.nc``):
  ``spec001_mr(nageclass, pointspec, time, height, latitude, longitude)`` [``s m3 kg-1``],
  one ``pointspec`` per receptor with its release box ``RELLNG1/2``, ``RELLAT1/2`` and
  ``RELZZ1/2`` [m]; ``height`` holds the tops of the output layers [m].

The readers sum the sensitivity over time (and age classes) and keep its unit; turning
it into a Jacobian for a state vector is ``openmrv.estimate.inversion.footprint``.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from openmrv.errors import InputError, UnitError
from openmrv.units import registry

MOL_PER_MOL_TO_PPB = 1e9  # unit conversion (definition of ppb), not a coefficient


@dataclass
class JacobianChunk:
    """One file's observations and Jacobian rows, in ppb."""

    file: Path
    k: np.ndarray  # (m, n) ppb per state unit
    dy: np.ndarray  # (m,) observed - prior model [ppb]
    lon: np.ndarray
    lat: np.ndarray
    count: np.ndarray


def read_imi_jacobian(path: str | Path) -> JacobianChunk:
    """Read one IMI ``*_GCtoSatellite.npz`` file.

    Raises
    ------
    InputError
        Naming the file, for an unreadable file, a missing array, mismatched shapes or
        non-finite values.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = {"K", "obs_GC"} - set(z.files)
            if missing:
                raise InputError(
                    f"arrays {sorted(missing)} missing (have {z.files}); is this "
                    "an IMI GCtoSatellite file?",
                    file=path,
                )
            k = np.asarray(z["K"], dtype=float) * MOL_PER_MOL_TO_PPB
            obs = np.asarray(z["obs_GC"], dtype=float)
    except InputError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(f"cannot be read as a numpy .npz file ({exc})", file=path) from None
    if k.ndim != 2 or obs.ndim != 2 or obs.shape[1] < 5 or obs.shape[0] != k.shape[0]:
        raise InputError(
            f"K {k.shape} and obs_GC {obs.shape} do not match (expected "
            "n_obs x n_state and n_obs x 5)",
            file=path,
        )
    if not (np.isfinite(k).all() and np.isfinite(obs[:, :2]).all()):
        raise InputError(
            "K or the observed/modelled columns contain NaN or infinite values", file=path
        )
    return JacobianChunk(path, k, obs[:, 0] - obs[:, 1], obs[:, 2], obs[:, 3], obs[:, 4])


def read_imi_jacobians(
    directory: str | Path, domain: tuple[float, float, float, float] | None = None
) -> list[JacobianChunk]:
    """All ``*_GCtoSatellite.npz`` files of a directory, in name order.

    Parameters
    ----------
    directory
        Folder of per-orbit files.
    domain
        (lon_min, lon_max, lat_min, lat_max) [degree] of the inversion domain; an
        observation outside it is an error naming the file and the rows.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError("Jacobian directory not found", file=directory)
    files = sorted(directory.glob("*_GCtoSatellite.npz"))
    if not files:
        raise InputError("no *_GCtoSatellite.npz files in the directory", file=directory)
    chunks = []
    for f in files:
        c = read_imi_jacobian(f)
        if chunks and c.k.shape[1] != chunks[0].k.shape[1]:
            raise InputError(
                f"K has {c.k.shape[1]} state elements but {chunks[0].file.name} has "
                f"{chunks[0].k.shape[1]}: all files must come from one state vector",
                file=f,
            )
        if domain is not None:
            _check_domain(c.lon, c.lat, domain, f)
        chunks.append(c)
    return chunks


def _check_domain(lon, lat, domain, file) -> None:
    lon0, lon1, lat0, lat1 = domain
    out = np.flatnonzero(~((lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)))
    if out.size:
        rows = ", ".join(f"{i} ({lon[i]:.2f}, {lat[i]:.2f})" for i in out[:5])
        raise InputError(
            f"{out.size} observations lie outside the inversion domain lon "
            f"[{lon0}, {lon1}], lat [{lat0}, {lat1}] (0-based rows, lon, lat: {rows}); "
            "crop the observations or enlarge the domain",
            file=file,
        )


@dataclass
class Footprint:
    """Time-integrated sensitivity of one receptor to surface fluxes on a lat/lon grid.

    ``values`` (lat, lon) are in ``unit`` (mixing ratio per flux, e.g.
    ``ppm / (umol / m**2 / s)``); ``mixing_ratio`` is ``"mole"`` (mole fraction) or
    ``"mass"`` (mass mixing ratio, FLEXPART).
    """

    file: Path
    receptor: str
    lon: float
    lat: float
    grid_lon: np.ndarray  # cell centres [degree east]
    grid_lat: np.ndarray  # cell centres [degree north]
    values: np.ndarray  # (lat, lon)
    unit: str
    mixing_ratio: str = "mole"


#: unit strings as the models write them -> pint syntax
_UNIT_SPELLINGS = {
    "ppm (umol-1 m2 s)": "ppm / (umol / m**2 / s)",
    "s m3 kg-1": "s * m**3 / kg",
}


def _unit(text: str, expected: str, file: Path, variable: str) -> str:
    """Check a footprint unit: parsable, and of the dimension of ``expected``."""

    ureg = registry()
    spelled = _UNIT_SPELLINGS.get(text.strip(), text)
    try:
        q = ureg.Quantity(1.0, spelled)
    except Exception as exc:  # pint raises several kinds for unparsable text
        raise UnitError(
            f"unit '{text}' of '{variable}' cannot be parsed ({exc})", file=file
        ) from None
    if q.dimensionality != ureg.Quantity(1.0, expected).dimensionality:
        raise UnitError(
            f"'{variable}' is in '{text}' ({q.dimensionality}); a footprint here must be "
            f"in units like '{expected}'",
            file=file,
        )
    return spelled


def _open(path: Path):

    if not path.is_file():
        raise InputError("footprint file not found", file=path)
    try:
        return xr.open_dataset(path, decode_times=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read as netCDF ({exc})", file=path) from None


def read_stilt_footprint(path: str | Path) -> Footprint:
    """Read one STILT footprint file (``foot(time, lat, lon)``) and sum it over time.

    Raises
    ------
    InputError
        Naming the file: unreadable, no ``foot`` variable, wrong dimensions, non-finite
        values, or a file name that does not name the receptor.
    UnitError
        If ``foot`` is not a mixing ratio per flux.
    """
    path = Path(path)
    parts = path.name.removesuffix("_foot.nc").split("_")
    try:
        rlon, rlat = float(parts[1]), float(parts[2])
    except (IndexError, ValueError):
        raise InputError(
            "STILT file names must read <YYYYmmddHHMM>_<lon>_<lat>_<zagl>_foot.nc (the receptor)",
            file=path,
        ) from None
    with _open(path) as ds:
        if "foot" not in ds:
            raise InputError(f"no 'foot' variable (have {list(ds.data_vars)})", file=path)
        foot = ds["foot"]
        dims = set(foot.dims)
        if not {"lat", "lon"} <= dims or not dims <= {"time", "lat", "lon"}:
            raise InputError(
                f"'foot' has dimensions {foot.dims}, expected (time, lat, lon)", file=path
            )
        unit = _unit(foot.attrs.get("units", ""), "ppm / (umol / m**2 / s)", path, "foot")
        values = foot.sum("time") if "time" in dims else foot
        values = values.transpose("lat", "lon").values.astype(float)
        glon, glat = ds["lon"].values.astype(float), ds["lat"].values.astype(float)
    if not np.all(np.isfinite(values)):
        raise InputError("'foot' contains NaN or infinite values", file=path)
    return Footprint(path, parts[0], rlon, rlat, glon, glat, values, unit, "mole")


def read_flexpart_footprints(path: str | Path) -> list[Footprint]:
    """Read the receptors (``pointspec``) of a FLEXPART backward-run netCDF output.

    The sensitivity of the lowest output layer, summed over time and age classes, is
    divided by that layer's depth (``height[0]``, its top [m]) so that it applies to a
    surface flux: [s m3 kg-1] / [m] = per (kg m-2 s-1) of mass mixing ratio.

    Raises
    ------
    InputError, UnitError
        Naming the file.
    """
    path = Path(path)
    with _open(path) as ds:
        if "spec001_mr" not in ds:
            raise InputError(f"no 'spec001_mr' variable (have {list(ds.data_vars)})", file=path)
        v = ds["spec001_mr"]
        need = {"pointspec", "time", "height", "latitude", "longitude"}
        if not need <= set(v.dims):
            raise InputError(
                f"'spec001_mr' has dimensions {v.dims}, expected (nageclass, pointspec, "
                "time, height, latitude, longitude)",
                file=path,
            )
        _unit(v.attrs.get("units", ""), "s * m**3 / kg", path, "spec001_mr")
        heights = ds["height"].values.astype(float)
        if heights[0] <= 0:
            raise InputError(f"lowest layer top {heights[0]} m must be positive", file=path)
        low = v.isel(height=0).sum([d for d in ("time", "nageclass") if d in v.dims])
        values = low.transpose("pointspec", "latitude", "longitude").values / heights[0]
        glon = ds["longitude"].values.astype(float)
        glat = ds["latitude"].values.astype(float)
        missing = [n for n in ("RELLNG1", "RELLNG2", "RELLAT1", "RELLAT2") if n not in ds]
        if missing:
            raise InputError(f"receptor positions {missing} missing", file=path)
        rlon = (ds["RELLNG1"].values + ds["RELLNG2"].values) / 2
        rlat = (ds["RELLAT1"].values + ds["RELLAT2"].values) / 2
    if not np.all(np.isfinite(values)):
        raise InputError("'spec001_mr' contains NaN or infinite values", file=path)
    return [
        Footprint(
            path,
            f"pointspec {i + 1}",
            float(rlon[i]),
            float(rlat[i]),
            glon,
            glat,
            values[i],
            "s * m**2 / kg",
            "mass",
        )
        for i in range(values.shape[0])
    ]


def stack_footprints(footprints: list[Footprint]):
    """Stack footprints on one grid: (values (m, lat, lon), unit, mixing ratio kind,
    receptor lon (m,), lat (m,), grid lat, grid lon).

    Raises
    ------
    InputError
        If grids, units or mixing-ratio kinds differ (naming the first file that differs).
    """
    if not footprints:
        raise InputError("no footprints given", field="footprints")
    first = footprints[0]
    for f in footprints[1:]:
        same_grid = (
            f.grid_lon.shape == first.grid_lon.shape
            and f.grid_lat.shape == first.grid_lat.shape
            and np.allclose(f.grid_lon, first.grid_lon)
            and np.allclose(f.grid_lat, first.grid_lat)
        )
        if not same_grid:
            raise InputError(
                f"footprint grid {f.values.shape} differs from that of {first.file.name} "
                f"{first.values.shape}; regrid the footprints to one grid",
                file=f.file,
            )
        if f.unit != first.unit or f.mixing_ratio != first.mixing_ratio:
            raise UnitError(
                f"footprint unit '{f.unit}' ({f.mixing_ratio}) differs from "
                f"'{first.unit}' ({first.mixing_ratio}) of {first.file.name}",
                file=f.file,
            )
    return (
        np.stack([f.values for f in footprints]),
        first.unit,
        first.mixing_ratio,
        np.array([f.lon for f in footprints]),
        np.array([f.lat for f in footprints]),
        first.grid_lat,
        first.grid_lon,
    )
