"""EDGAR v8.0 gridded CH4 emissions by sector: one sector's map of one year.

The files are those of the product table (``fetch/data/products.csv``, row
``edgar_v8_ch4_gridded``): ``v8.0_FT2022_GHG_CH4_{year}_{sector}_emi_nc.zip``, a zip
holding one netCDF ``v8.0_FT2022_GHG_CH4_{year}_{sector}_emi.nc`` with the variable
``emissions`` [tonnes of CH4 per 0.1 x 0.1 degree cell per year] on ``lat``, ``lon``
(cell centres, -89.95..89.95 and -179.95..179.95). The unzipped netCDF is read too
(files placed by hand). Only the ``_emi`` files (mass per cell) are accepted; the
``_flx`` files (kg m-2 s-1) would need the cell areas first.

References
----------
Crippa, M. et al. (2024), Insights into the spatial distribution of global, national,
and subnational greenhouse gas emissions in EDGAR v8.0, Earth Syst. Sci. Data 16,
2811-2830, doi:10.5194/essd-16-2811-2024.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import netCDF4
import numpy as np
import xarray as xr

from openmrv.errors import CorruptFileError, InputError, MissingVariableError

#: the variable of an EDGAR v8.0 ``_emi`` file and the units it may carry (mass per cell)
VARIABLE = "emissions"
MASS_UNITS = ("tonnes", "tonne", "t", "ton", "tons")


def _dataset(path: Path) -> xr.Dataset:
    """The netCDF of ``path`` (itself, or the one netCDF inside a zip), loaded."""
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as z:
                members = [n for n in z.namelist() if n.lower().endswith(".nc")]
                if len(members) != 1:
                    raise InputError(
                        f"holds {len(members)} netCDF files; an EDGAR _emi_nc.zip holds one",
                        file=path,
                    )
                data = z.read(members[0])
            nc = netCDF4.Dataset(members[0], memory=data)
        else:
            nc = netCDF4.Dataset(path)
        with xr.open_dataset(xr.backends.NetCDF4DataStore(nc)) as ds:
            return ds.load()
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, RuntimeError) as exc:
        raise CorruptFileError(
            f"cannot read as an EDGAR netCDF (or zip): {exc}", file=path
        ) from exc


def read_edgar_sector(
    path: str | Path, bounds: tuple[float, float, float, float] | None = None
) -> xr.DataArray:
    """One EDGAR sector map [tonnes per cell per year] on ascending cell centres.

    Parameters
    ----------
    path
        An EDGAR v8.0 ``..._emi_nc.zip`` or the ``..._emi.nc`` inside it.
    bounds
        (west, south, east, north) [degree]: keep the cells that overlap this box.

    Returns
    -------
    xarray.DataArray
        ``emissions`` on (latitude, longitude) [degree, cell centres], longitude in
        [-180, 180), attribute ``units = "t"`` and ``source_file``.

    Raises
    ------
    openmrv.errors.InputError
        A subclass naming the file: not readable, no ``emissions``, not a mass per cell,
        negative or non-finite values.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=path)
    ds = _dataset(path)
    names = set(map(str, ds.variables)) | set(map(str, ds.dims))
    ds = ds.rename({k: v for k, v in (("lat", "latitude"), ("lon", "longitude")) if k in names})
    if VARIABLE not in ds:
        raise MissingVariableError(
            f"no variable '{VARIABLE}' (have {sorted(map(str, ds.data_vars))}); give an "
            "EDGAR v8.0 _emi file (tonnes per cell), not a _flx file",
            file=path,
            field=VARIABLE,
        )
    em = ds[VARIABLE]
    units = str(em.attrs.get("units", "")).strip().lower()
    if units not in MASS_UNITS:
        raise InputError(
            f"'{VARIABLE}' in '{em.attrs.get('units')}'; expected tonnes per cell (an EDGAR "
            "_emi file)",
            file=path,
            field=VARIABLE,
        )
    if set(em.dims) != {"latitude", "longitude"}:
        em = em.squeeze(drop=True)
        if set(em.dims) != {"latitude", "longitude"}:
            raise InputError(f"'{VARIABLE}' has dims {em.dims}; expected lat, lon", file=path)
    lon = ((em["longitude"].values + 180.0) % 360.0) - 180.0
    em = em.assign_coords(longitude=lon).sortby(["latitude", "longitude"])
    em = em.transpose("latitude", "longitude")
    if bounds is not None:  # cut first: a global map is 1800 x 3600 cells
        w, s, e, n = bounds
        half_lat = 0.5 * cell_width(em["latitude"].values)
        half_lon = 0.5 * cell_width(em["longitude"].values)
        la, lo = em["latitude"].values, em["longitude"].values
        em = em.isel(
            latitude=np.flatnonzero((la + half_lat > s) & (la - half_lat < n)),
            longitude=np.flatnonzero((lo + half_lon > w) & (lo - half_lon < e)),
        )
    em = em.astype(np.float64).fillna(0.0)  # EDGAR leaves cells without emission empty
    if not np.isfinite(em.values).all() or (em.values < 0).any():
        raise InputError("has negative or non-finite emissions", file=path, field=VARIABLE)
    em.attrs = {"units": "t", "source_file": path.name}
    return em.rename(VARIABLE)


def cell_width(centres: np.ndarray) -> float:
    """The spacing of regular cell centres [degree] (0.1 for EDGAR)."""
    d = np.diff(np.asarray(centres, float))
    if d.size == 0 or not np.allclose(d, d[0], rtol=1e-4, atol=1e-6):
        raise InputError("EDGAR cell centres are not regularly spaced", field="lat/lon")
    return float(d[0])
