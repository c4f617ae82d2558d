"""National methane emissions from a gridded XCH4 record by a data-driven mass balance.

The method of Buchwitz et al. (2017, ACP 17, 5751, Eq. 1): the annual emission of a
source region is

.. math:: E = M \\, M_{exp} \\, \\Delta XCH_4 \\, V \\, L \\, C

with ΔXCH4 [ppb] the region's mean enhancement over a background, M [kg m⁻² ppb⁻¹] the
methane column mass of 1 ppb at standard surface pressure (M_CH4/M_air × p0/g × 1e-9,
from :mod:`openmrv.constants`; Buchwitz quotes 5.345e-9 Mt km⁻² ppb⁻¹, 7 % less than
this, for reasons the restatement available offline does not give), M_exp = exp(-h/H)
the surface-elevation correction, V [m/s] the wind speed, L [m] the region's length scale
and C = 2 (the region-mean enhancement is half the outflow enhancement). Every
coefficient is in ``data/mass_balance.csv``.

Applied to a 5° record, the source region is the block of cells that cover the country
(:func:`source_region`); the enhancement is taken over several background definitions
(:func:`enhancements`: latitude band, surrounding-cell median, upwind cells per wind
case), the wind over the climatological cases of the region (:func:`wind_cases`), and
the national share of the region's emission between the country's area share and 1.
:func:`estimate` draws all of them in a Monte Carlo per year and states a detection
limit. The synthetic test of the method is :mod:`openmrv.estimate.massbalance.synthetic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.constants import constant, table_row, table_value
from openmrv.errors import InputError

TABLE = Path(__file__).parent / "data" / "mass_balance.csv"
#: background definitions (the upwind one is per wind case)
BACKGROUNDS = ("latitude band", "surrounding median", "upwind")


def parameter(name: str) -> float:
    """A coefficient of ``data/mass_balance.csv``."""
    try:
        return table_value(TABLE, name)
    except KeyError:
        raise InputError(f"no mass-balance parameter '{name}'", file=TABLE) from None


def parameter_range(name: str) -> tuple[float, float]:
    """(low, high) of a coefficient of ``data/mass_balance.csv``."""
    row = table_row(TABLE, name)
    return float(row["low"]), float(row["high"])


def column_mass_per_ppb() -> float:
    """M: methane column mass of 1 ppb at standard surface pressure [kg m⁻² ppb⁻¹]."""
    return (
        constant("M_CH4", "kg / mol")
        / constant("M_air", "kg / mol")
        * constant("p_surface_standard", "Pa")
        / constant("g", "m / s**2")
        * 1e-9
    )


def emission_kt(
    enhancement_ppb, wind_m_s, length_m, c=2.0, elevation_factor=1.0, share=1.0
) -> np.ndarray:
    """E = share × M × Mexp × ΔXCH4 × V × L × C, in kt per year (arrays broadcast)."""
    kg_s = (
        np.asarray(share)
        * column_mass_per_ppb()
        * np.asarray(elevation_factor)
        * np.asarray(enhancement_ppb)
        * np.asarray(wind_m_s)
        * np.asarray(length_m)
        * np.asarray(c)
    )
    return kg_s * constant("seconds_per_year", "s") / 1e6


@dataclass(frozen=True)
class SourceRegion:
    """A rectangular block of grid cells that covers the country."""

    rows: slice
    cols: slice
    #: south, north, west, east edges [degree]
    bounds: tuple[float, float, float, float]
    #: the country's share of the block's area [1]
    area_share: float

    @property
    def extents_m(self) -> tuple[float, float]:
        """North-south and east-west extent [m] (east-west at the mid latitude)."""
        s, n, w, e = self.bounds
        r = constant("R_earth")
        return r * np.radians(n - s), r * np.cos(np.radians((s + n) / 2)) * np.radians(e - w)

    @property
    def area_m2(self) -> float:
        s, n, w, e = self.bounds
        r = constant("R_earth")
        return r**2 * np.radians(e - w) * (np.sin(np.radians(n)) - np.sin(np.radians(s)))

    @property
    def length_m(self) -> tuple[float, float, float]:
        """L: central sqrt(area), low and high the smaller and larger extent [m]."""
        ns, ew = self.extents_m
        return float(np.sqrt(self.area_m2)), float(min(ns, ew)), float(max(ns, ew))


def source_region(lat, lon, fraction, threshold: float | None = None) -> SourceRegion:
    """The smallest block of cells holding every cell with at least ``threshold`` of its
    area in the country (``fraction``, shape (lat, lon); default threshold from the table)."""
    lat, lon, fraction = np.asarray(lat, float), np.asarray(lon, float), np.asarray(fraction)
    thr = parameter("source_cell_threshold") if threshold is None else threshold
    ii, jj = np.nonzero(fraction >= thr)
    if ii.size == 0:
        raise InputError(
            f"no grid cell has {thr:.0%} of its area in the country; the record does not cover it",
            field="xch4_record",
        )
    r0, r1, c0, c1 = ii.min(), ii.max() + 1, jj.min(), jj.max() + 1
    if r0 == 0 or c0 == 0 or r1 == lat.size or c1 == lon.size:
        raise InputError(
            "the source region touches the edge of the record; give a record that extends "
            "at least one cell around the country (background cells)",
            field="xch4_record",
        )
    dlat, dlon = float(np.diff(lat).mean()), float(np.diff(lon).mean())
    bounds = (
        lat[r0] - dlat / 2,
        lat[r1 - 1] + dlat / 2,
        lon[c0] - dlon / 2,
        lon[c1 - 1] + dlon / 2,
    )
    w = np.cos(np.radians(lat[r0:r1]))[:, None] * np.ones(c1 - c0)
    share = float((fraction[r0:r1, c0:c1] * w).sum() / w.sum())
    return SourceRegion(slice(r0, r1), slice(c0, c1), bounds, share)


def wind_cases(winds: xr.Dataset, region: SourceRegion) -> pd.DataFrame:
    """The region's mean wind vector per month and level (850 hPa, and the mean of 850
    and 500 hPa as a boundary-layer-to-column wind where 500 hPa is given): columns case,
    u, v, speed [m/s]."""
    s, n, w, e = region.bounds
    box = winds.sel(lat=slice(s, n), lon=slice(w, e)).mean(["lat", "lon"])
    levels = [int(x) for x in box["level"].values]
    if 850 not in levels:
        raise InputError("the wind climatology has no 850 hPa level", field="winds")
    rows = []
    for m in box["month"].values:
        at = box.sel(month=m)
        u8, v8 = float(at["u"].sel(level=850)), float(at["v"].sel(level=850))
        rows.append((f"month {int(m)}, 850 hPa", u8, v8))
        if 500 in levels:
            u5, v5 = float(at["u"].sel(level=500)), float(at["v"].sel(level=500))
            rows.append((f"month {int(m)}, 850-500 hPa mean", (u8 + u5) / 2, (v8 + v5) / 2))
    out = pd.DataFrame(rows, columns=["case", "u", "v"])
    out["speed"] = np.hypot(out["u"], out["v"])
    return out


def annual_means(xch4: xr.DataArray, min_months: int | None = None) -> xr.DataArray:
    """Annual mean XCH4 [ppb] per cell, NaN where fewer than ``min_months`` months have data;
    coordinate ``months`` gives the months of data in the year (any cell)."""
    need = int(parameter("min_months")) if min_months is None else min_months
    by = xch4.groupby("time.year")
    mean = by.mean()
    count = np.isfinite(xch4).groupby("time.year").sum()
    out = mean.where(count >= need)
    months = xch4["time"].dt.year.to_series().groupby(xch4["time"].dt.year.values).size()
    return out.assign_coords(months=("year", months.reindex(out["year"].values).to_numpy()))


def _upwind(annual: xr.DataArray, region: SourceRegion, u: float, v: float) -> xr.DataArray:
    """Mean of the cells next to the region on its upwind sides, weighted by the wind
    components (|u| for the west or east column, |v| for the south or north row)."""
    r, c = region.rows, region.cols
    col = c.start - 1 if u >= 0 else c.stop
    row = r.start - 1 if v >= 0 else r.stop
    side_x = annual.isel(lat=r, lon=col).mean("lat", skipna=True)
    side_y = annual.isel(lat=row, lon=c).mean("lon", skipna=True)
    return (abs(u) * side_x + abs(v) * side_y) / (abs(u) + abs(v))


def enhancements(annual: xr.DataArray, region: SourceRegion, winds: pd.DataFrame) -> pd.DataFrame:
    """ΔXCH4 [ppb] of the region per year and background definition: columns year,
    background, case ('' or the wind case of an upwind background), enhancement_ppb."""
    r, c = region.rows, region.cols
    inside = annual.isel(lat=r, lon=c)
    complete = inside.notnull().all(["lat", "lon"])
    src = inside.mean(["lat", "lon"]).where(complete)
    half = parameter("band_half_width")
    _, _, w, e = region.bounds
    lon = annual["lon"]
    band_cells = ((lon >= w - half) & (lon < w)) | ((lon > e) & (lon <= e + half))
    band = annual.isel(lat=r).where(band_cells).mean(["lat", "lon"], skipna=True)
    ring = annual.isel(lat=slice(r.start - 1, r.stop + 1), lon=slice(c.start - 1, c.stop + 1))
    vals = ring.transpose("year", "lat", "lon").values.copy()
    vals[:, 1:-1, 1:-1] = np.nan
    med = np.nanmedian(vals.reshape(vals.shape[0], -1), axis=1)
    rows = []
    years = annual["year"].values
    for k, y in enumerate(years):
        rows.append((int(y), "latitude band", "", float(src[k] - band[k])))
        rows.append((int(y), "surrounding median", "", float(src[k] - med[k])))
    for case in winds.itertuples(index=False):
        up = _upwind(annual, region, case.u, case.v)
        rows += [(int(y), "upwind", case.case, float(src[k] - up[k])) for k, y in enumerate(years)]
    return pd.DataFrame(rows, columns=["year", "background", "case", "enhancement_ppb"])
