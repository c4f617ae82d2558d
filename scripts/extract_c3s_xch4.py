"""Cut the regional subsets of the Turkmenistan case's satellite record from their sources.

1. The C3S merged XCH4 record (XCH4 L3 OBS4MIPs merged v4.3, monthly, 5 degree,
   2003-01..2020-06) as a GeoTIFF copy (shared/data/satellite/c3s_xch4_obs4mips_v4.3):
   the cells 20-55 N, 30-90 E, all 210 months, written as a CF netCDF in the layout of the
   original C3S OBS4MIPs file (variable ``xch4``, dims time/lat/lon, mole fraction "1",
   fill 1e20), which ``openmrv.observe.xch4_l3.read_xch4_l3`` reads.
2. The ERA-Interim monthly means of pydata/xarray-data ``eraint_uvz.nc`` (January and July;
   200/500/850 hPa): u and v at 850 and 500 hPa over the same region.

Reading the GeoTIFF needs ``tifffile`` and ``imagecodecs`` (LZW); they are needed only
here, not by openmrv at run time (install them in a throw-away environment).

Run:  python scripts/extract_c3s_xch4.py TIF ERAINT_NC OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

SOUTH, NORTH, WEST, EAST = 20.0, 55.0, 30.0, 90.0
RES = 5.0
FIRST_MONTH = "2003-01-01"
FILL = 1.0e20
LICENCE = "Generated using Copernicus Climate Change Service information 2025"


def xch4_subset(tif: Path) -> xr.Dataset:
    import tifffile  # only for this extraction

    with tifffile.TiffFile(tif) as t:
        cube = t.asarray()  # (36 rows from 90N, 72 columns from 180W, 210 months)
        tie = t.pages[0].tags["ModelTiepointTag"].value
        scale = t.pages[0].tags["ModelPixelScaleTag"].value
    if tuple(tie[3:5]) != (-180.0, 90.0) or tuple(scale[:2]) != (RES, RES):
        sys.exit(f"unexpected grid: tie point {tie}, pixel scale {scale}")
    lat_c = 90.0 - RES * (np.arange(cube.shape[0]) + 0.5)
    lon_c = -180.0 + RES * (np.arange(cube.shape[1]) + 0.5)
    rows = np.where((lat_c > SOUTH) & (lat_c < NORTH))[0]
    cols = np.where((lon_c > WEST) & (lon_c < EAST))[0]
    sub = cube[np.ix_(rows, cols)].astype("float64")  # (lat desc, lon, time)
    sub[~np.isfinite(sub) | (sub < 0)] = np.nan  # GDAL no-data -3.4e38
    sub = np.moveaxis(sub, 2, 0)[:, ::-1, :]  # (time, lat ascending, lon)
    time = pd.date_range(FIRST_MONTH, periods=sub.shape[0], freq="MS") + pd.Timedelta(days=14)
    ds = xr.Dataset(
        {
            "xch4": (
                ("time", "lat", "lon"),
                sub,
                {
                    "standard_name": "dry_atmosphere_mole_fraction_of_methane",
                    "long_name": "column-averaged dry-air mole fraction of atmospheric methane",
                    "units": "1",
                    "cell_methods": "time: mean (monthly) area: mean (5 x 5 degree)",
                },
            )
        },
        coords={
            "time": ("time", time, {"standard_name": "time", "long_name": "time"}),
            "lat": ("lat", lat_c[rows][::-1], _coord("latitude", "degrees_north")),
            "lon": ("lon", lon_c[cols], _coord("longitude", "degrees_east")),
        },
    )
    ds.attrs = {
        "Conventions": "CF-1.8",
        "title": "C3S XCH4 L3 OBS4MIPs merged v4.3, regional subset 20-55 N, 30-90 E",
        "source": (
            "Copernicus Climate Change Service (C3S), Climate Data Store: satellite-methane, "
            "XCH4 Level 3 OBS4MIPs merged (EMMA ensemble of SCIAMACHY and GOSAT-series "
            "products), file 200301_202006-C3S-L3_GHG-GHG_PRODUCTS-MERGED-MERGED-OBS4MIPS-"
            "MERGED-v4.3.nc, via its GeoTIFF copy github.com/WellcomeIdeathon2023/TTTTTT "
            "input/copernicus.tif (commit 525fadeb8310), cut by openmrv "
            "scripts/extract_c3s_xch4.py"
        ),
        "product": "XCH4_OBS4MIPS merged v4.3 (C3S, University of Bremen IUP)",
        "licence": LICENCE,
        "citation": (
            "Buchwitz, M., Reuter, M. et al., C3S XCH4 L3 OBS4MIPs merged v4.3, Copernicus "
            "Climate Change Service Climate Data Store, doi:10.24381/cds.b25419f8"
        ),
        "comment": (
            "Only xch4 is kept: the GeoTIFF copy carries no uncertainty, sounding counts "
            "or averaging kernels. Cells with no data are NaN (fill 1e20 in the file)."
        ),
    }
    return ds


def wind_subset(eraint: Path) -> xr.Dataset:
    src = xr.open_dataset(eraint)
    lat = src["latitude"].values
    lon = src["longitude"].values
    sel = src.sel(
        level=[850, 500],
        latitude=lat[(lat >= SOUTH) & (lat <= NORTH)],
        longitude=lon[(lon >= WEST) & (lon <= EAST)],
    )[["u", "v"]]
    sel = sel.sortby("latitude").rename(latitude="lat", longitude="lon")
    out = xr.Dataset(
        {
            "u": (sel["u"].dims, sel["u"].values.astype("float32"), _wind("eastward")),
            "v": (sel["v"].dims, sel["v"].values.astype("float32"), _wind("northward")),
        },
        coords={
            "month": ("month", sel["month"].values.astype("int32"), {"long_name": "month"}),
            "level": ("level", sel["level"].values.astype("int32"), {"units": "hPa"}),
            "lat": ("lat", sel["lat"].values, _coord("latitude", "degrees_north")),
            "lon": ("lon", sel["lon"].values, _coord("longitude", "degrees_east")),
        },
    )
    out.attrs = {
        "Conventions": "CF-1.8",
        "title": "ERA-Interim monthly mean winds, Jan and Jul, 850 and 500 hPa, 20-55 N 30-90 E",
        "source": (
            "ECMWF ERA-Interim reanalysis (Dee et al. 2011, QJRMS 137, 553-597, "
            "doi:10.1002/qj.828), monthly means as packaged in github.com/pydata/xarray-data "
            "eraint_uvz.nc (commit 7009dcdad81b, 'Monthly ERA-Interim data. Downloaded and "
            "edited by fabien.maussion@uibk.ac.at'); the averaging period is not stated there"
        ),
        "licence": (
            "ERA-Interim: ECMWF public dataset, free use with attribution to ECMWF "
            "(ECMWF terms of use for public datasets); the xarray-data repository carries "
            "no licence file of its own"
        ),
    }
    return out


def _coord(name: str, units: str) -> dict:
    return {"standard_name": name, "long_name": name, "units": units}


def _wind(direction: str) -> dict:
    return {"standard_name": f"{direction}_wind", "units": "m s-1"}


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    tif, eraint, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    ds = xch4_subset(tif)
    enc = {"xch4": {"_FillValue": FILL, "dtype": "float32", "zlib": True}}
    enc["time"] = {"units": "days since 1970-01-01", "calendar": "standard"}
    ds.to_netcdf(out / "c3s_xch4_obs4mips_merged_v4.3_20-55N_30-90E.nc", encoding=enc)
    w = wind_subset(eraint)
    w.to_netcdf(
        out / "eraint_uv_850_500hPa_jan_jul_20-55N_30-90E.nc",
        encoding={k: {"zlib": True} for k in ("u", "v")},
    )
    n = int(np.isfinite(ds["xch4"]).sum())
    print(f"xch4: {dict(ds.sizes)}, {n} cells with data; winds: {dict(w.sizes)}")


if __name__ == "__main__":
    main()
