"""Paths of the real test files and writers of synthetic files in the real layouts."""

from __future__ import annotations

from pathlib import Path

import h5py
import netCDF4
import numpy as np

DATA = Path(__file__).parents[1] / "data" / "observe"
SHARED = Path(__file__).parents[3] / "shared" / "data"
UOL = DATA / "ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc"
BLENDED = DATA / (
    "S5P_BLND_L2__CH4____20180505T204433_20180505T222604_02901_03_020400_20230614T001047.nc"
)
SUPEROBS = DATA / (
    "S5P_BLND_L2__CH4____20180505T190303_20180505T204433_02900_03_020400_20230614T000922"
    "_superobservations.nc"
)
TROPOMI_SUB = DATA / (
    "S5P_OFFL_L2__CH4____20190311T101655_20190311T115825_07293_01_010202_20190317T121015.SUB.nc4"
)
PATCH = DATA / "20210103_08-42-34_25.91_70.95_0949.npz"
PATCH_NO_BOUNDS = DATA / "20210107_07-26-12_24.83_90.31_9051.npz"
VARSUBSET = (
    SHARED
    / "satellite"
    / "tropomi_offl"
    / (
        "S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_20190325T125810"
        "_varsubset.nc4"
    )
)
REAL_FILES = (UOL, BLENDED, SUPEROBS, TROPOMI_SUB, PATCH, PATCH_NO_BOUNDS)


def _h5_var(f: h5py.File, path: str, data, unit: str | None, attr: str = "unit") -> None:
    d = f.create_dataset(path, data=data)
    if unit is not None:
        d.attrs[attr] = np.array([unit.encode()])


def write_gosat_nies(path: Path, n: int = 6, unit: str = "ppb") -> Path:
    """A GOSAT TANSO-FTS SWIR L2 CH4 file in the NIES layout (attributes named ``unit``)."""
    rng = np.random.default_rng(1)
    with h5py.File(path, "w") as f:
        _h5_var(f, "Data/geolocation/latitude", np.linspace(36, 40, n).astype("f4"), "deg")
        _h5_var(f, "Data/geolocation/longitude", np.linspace(55, 62, n).astype("f4"), "deg")
        _h5_var(f, "Data/mixingRatio/XCH4", (1850 + rng.normal(0, 10, n)).astype("f4"), unit)
        _h5_var(f, "Data/mixingRatio/XCH4Error", np.full(n, 12.0, "f4"), unit)
        flags = np.zeros(n, "i1")
        flags[::3] = 1
        _h5_var(f, "Data/retrievalQuality/totalPostScreeningResult", flags, None)
        times = [f"2012-01-0{1 + i % 5} 08:1{i % 10}:00.000".encode() for i in range(n)]
        f.create_dataset("scanAttribute/time", data=np.array(times, dtype="S23"))
        _h5_var(f, "Data/auxiliaryParameter/surfacePressure", np.full(n, 1000.0, "f4"), "hPa")
    return path


def write_gosat2_nies(path: Path, n: int = 5, nlev: int = 15, top_first: bool = False) -> Path:
    """A GOSAT-2 TANSO-FTS-2 SWIR L2 file in the NIES layout.

    Kernels and profiles on ``nlev`` layers, ``pressure_level`` on the ``nlev + 1``
    layer boundaries (as open readers of the real files use it, docs/observe.md).
    """
    with h5py.File(path, "w") as f:
        _h5_var(f, "SoundingGeometry/latitude", np.linspace(37, 39, n).astype("f4"), "deg")
        _h5_var(f, "SoundingGeometry/longitude", np.linspace(58, 60, n).astype("f4"), "deg")
        times = [f"2020-06-0{1 + i}T09:00:00.000Z".encode() for i in range(n)]
        f.create_dataset("SoundingAttribute/observationTime", data=np.array(times, dtype="S24"))
        _h5_var(f, "RetrievalResult/xch4", np.full(n, 1880.0, "f4"), "ppb")
        _h5_var(f, "RetrievalResult/xch4_uncert", np.full(n, 9.0, "f4"), "ppb")
        _h5_var(f, "RetrievalResult/xco2", np.full(n, 412.0, "f4"), "ppm")
        _h5_var(f, "RetrievalResult/xco2_uncert", np.full(n, 1.0, "f4"), "ppm")
        _h5_var(f, "RetrievalResult/xch4_quality_flag", np.array([0, 1, 0, 0, 2][:n], "i1"), None)
        flip = slice(None, None, -1) if top_first else slice(None)
        ak = np.tile(np.linspace(1.1, 0.6, nlev), (n, 1)).astype("f4")[:, flip]
        _h5_var(f, "RetrievalResult/xch4_column_averaging_kernel", ak, "1")
        prior = np.tile(np.linspace(1.85, 1.60, nlev), (n, 1)).astype("f4")[:, flip]
        _h5_var(f, "RetrievalResult/ch4_profile_apriori", prior, "ppm")
        lev = np.tile(np.linspace(1000, 10, nlev + 1), (n, 1)).astype("f4")[:, flip]
        _h5_var(f, "RetrievalResult/pressure_level", lev, "hPa")
        _h5_var(f, "RetrievalResult/pressure_weighting_function", np.full((n, nlev), 1 / nlev), "1")
        _h5_var(f, "RetrievalResult/surface_pressure", np.full(n, 1000.0, "f4"), "hPa")
    return path


def write_tropomi_varsubset(
    path: Path, nscan: int = 4, npix: int = 3, winds: tuple[float, float] | None = None
) -> Path:
    """A TROPOMI L2 CH4 file with the variable-subset layout (no qa_value, no kernels)."""
    with netCDF4.Dataset(path, "w") as ds:
        g = ds.createGroup("PRODUCT")
        g.createDimension("time", 1)
        g.createDimension("scanline", nscan)
        g.createDimension("ground_pixel", npix)
        dims = ("time", "scanline", "ground_pixel")
        for name, units, val in (
            ("latitude", "degrees_north", 38.0),
            ("longitude", "degrees_east", 58.0),
            ("methane_mixing_ratio", "1e-9", 1870.0),
        ):
            v = g.createVariable(name, "f4", dims, fill_value=np.float32(9.96921e36))
            v.units = units
            data = np.full((1, nscan, npix), val, "f4")
            if name == "methane_mixing_ratio":
                data = np.ma.masked_array(data, mask=np.zeros_like(data, bool))
                data.mask[0, 0, 0] = True
            v[:] = data
        t = g.createVariable("time", "i4", ("time",))
        t.units = "seconds since 2010-01-01 00:00:00"
        t[:] = [290217600]
        d = g.createVariable("delta_time", "i4", ("time", "scanline"))
        d.units = "milliseconds"
        d[:] = np.arange(nscan)[None, :] * 840
        if winds is not None:  # processor >= 02.00 ships the ECMWF 10 m wind here
            inp = g.createGroup("SUPPORT_DATA").createGroup("INPUT_DATA")
            for name, value in zip(("eastward_wind", "northward_wind"), winds, strict=True):
                w = inp.createVariable(name, "f4", dims)
                w.units = "m s-1"
                w[:] = np.full((1, nscan, npix), value, "f4")
        ds.processor_version = "1.2.2"
    return path


ERA5_PL = DATA / "Matimba_ERA5-pl-20210725.nc"
ERA5_SL = DATA / "Matimba_ERA5-sl-20210725.nc"
ERA5_LEGACY_PL = DATA / "Matimba_ERA5-wind-20150401t1200.nc"


def _packed(ds: netCDF4.Dataset, name: str, units: str, data: np.ndarray, dims) -> None:
    """An int16 variable with scale_factor/add_offset, as the legacy CDS netCDF wrote them."""
    lo, hi = float(data.min()), float(data.max())
    scale = (hi - lo) / 65000 if hi > lo else 1.0
    var = ds.createVariable(name, "i2", dims, fill_value=np.int16(-32767))
    var.scale_factor = scale
    var.add_offset = (hi + lo) / 2
    var.missing_value = np.int16(-32767)
    var.units = units
    var[:] = data  # netCDF4 packs on write


def write_era5_legacy_single_levels(
    path: Path, u10: float = 3.0, v10: float = -1.5, sp: float = 88_000.0, units: str = "m s**-1"
) -> Path:
    """An ERA5 single-level file in the legacy CDS layout on the legacy Matimba test grid.

    Dims ``time`` (hours since 1900-01-01), ``latitude`` (decreasing), ``longitude``;
    ``u10``, ``v10``, ``sp`` packed as int16; no ``blh``, no ``t2m``.
    """
    with netCDF4.Dataset(ERA5_LEGACY_PL) as src, netCDF4.Dataset(path, "w") as ds:
        ds.Conventions = "CF-1.6"
        for dim in ("longitude", "latitude", "time"):
            ds.createDimension(dim, len(src.dimensions[dim]))
            var = ds.createVariable(dim, src[dim].dtype, (dim,))
            var.setncatts({k: src[dim].getncattr(k) for k in src[dim].ncattrs()})
            var[:] = src[dim][:]
        dims = ("time", "latitude", "longitude")
        shape = (len(src.dimensions["time"]), 3, 3)
        ramp = np.arange(9, dtype=float).reshape(1, 3, 3) * 0.1
        _packed(ds, "u10", units, u10 + ramp * np.ones(shape), dims)
        _packed(ds, "v10", units, v10 + ramp * np.ones(shape), dims)
        _packed(ds, "sp", "Pa", sp + 100 * ramp * np.ones(shape), dims)
    return path
