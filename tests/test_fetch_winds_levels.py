"""ERA5 pressure levels into the inversion (issue 14, item 3): the pressure-level months
are joined like the single levels, and where the cache holds both for the period the
inversion's transport model (and its wind-error ensemble) reads the pressure-weighted
boundary-layer-mean wind instead of the 10 m wind, and says so.

The ERA5 months are synthetic, in the layout the new CDS writes (cfgrib conversion:
``valid_time`` in seconds since 1970, ``pressure_level`` [hPa] decreasing, latitude
decreasing, scalar ``number``, ``expver`` per time; ECMWF, "GRIB to netCDF conversion on
new CDS and ADS systems"), with a wind linear in pressure so that the layer mean has a
closed form, computed here independently of openmrv's quadrature.
"""

from __future__ import annotations

import sys
import threading
import types

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from observe.synthetic import UOL
from openmrv.case import load_case
from openmrv.cli import app
from openmrv.errors import CaseError
from openmrv.fetch.cache import Cache
from openmrv.fetch.fetcher import execute
from openmrv.fetch.plan import Request, plan
from openmrv.fetch.products import load_products
from openmrv.report.inversion_sources import sources_note
from openmrv.stages.inversion_sources import case_winds
from test_fetch_to_run import PERIOD, _cache_with
from test_inversion_case import with_inversion

G, RD = 9.80665, 287.053  # U.S. Standard Atmosphere 1976, written here independently
LEVELS_HPA = np.array([1000.0, 925.0, 850.0, 775.0, 700.0])  # as the product table asks
LAT = np.arange(44.0, 33.9, -1.0)  # decreasing, as the CDS writes it
LON = np.arange(50.0, 70.1, 1.0)
A_U, B_U, A_V, B_V = 14.0, -1.2e-4, -6.0, 5.0e-5  # u = a + b p [m/s, p in Pa]
JUNK = 55.0  # [m/s] the 1000 hPa wind where that level lies below the ground


def surface_pressure() -> np.ndarray:
    """[Pa] (lat, lon): 950 hPa west of 60E (1000 hPa below the ground), 1010 hPa east."""
    return np.where(LON[None, :] < 60.0, 95_000.0, 101_000.0) + 0.0 * LAT[:, None]


def _times(month: str) -> pd.DatetimeIndex:
    start = pd.Timestamp(f"{month}-01")
    return pd.date_range(start, start + pd.offsets.MonthEnd(0) + pd.Timedelta(hours=21), freq="3h")


def _cds(data: dict, t: pd.DatetimeIndex, levels: bool) -> xr.Dataset:
    coords = {
        "valid_time": (
            "valid_time",
            ((t - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)).astype("int64"),
            {"units": "seconds since 1970-01-01", "calendar": "proleptic_gregorian"},
        ),
        "latitude": ("latitude", LAT, {"units": "degrees_north"}),
        "longitude": ("longitude", LON, {"units": "degrees_east"}),
        "number": ((), 0),
        "expver": ("valid_time", np.array(["0001"] * t.size)),
    }
    if levels:
        coords["pressure_level"] = ("pressure_level", LEVELS_HPA, {"units": "hPa"})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs = {"Conventions": "CF-1.7", "institution": "synthetic (openmrv test)"}
    return ds


def blh(t: pd.DatetimeIndex) -> np.ndarray:
    """[m] boundary-layer height: 600 m at night, 1600 m by day (time only)."""
    return np.where((t.hour >= 6) & (t.hour <= 15), 1600.0, 600.0)


def write_month(path, month: str, levels: bool) -> None:
    t = _times(month)
    shape2 = (t.size, LAT.size, LON.size)
    ps = np.broadcast_to(surface_pressure(), shape2)
    if not levels:
        data = {
            "u10": (("valid_time", "latitude", "longitude"), np.full(shape2, 1.0, "f4")),
            "v10": (("valid_time", "latitude", "longitude"), np.full(shape2, -1.0, "f4")),
            "sp": (("valid_time", "latitude", "longitude"), ps.astype("f4")),
            "blh": (
                ("valid_time", "latitude", "longitude"),
                np.broadcast_to(blh(t)[:, None, None], shape2).astype("f4"),
            ),
            "t2m": (("valid_time", "latitude", "longitude"), np.full(shape2, 290.0, "f4")),
        }
        units = {"u10": "m s**-1", "v10": "m s**-1", "sp": "Pa", "blh": "m", "t2m": "K"}
    else:
        p = LEVELS_HPA[None, :, None, None] * 100.0
        u = np.broadcast_to(A_U + B_U * p, (t.size, LEVELS_HPA.size, LAT.size, LON.size)).copy()
        v = np.broadcast_to(A_V + B_V * p, u.shape).copy()
        below = (p > ps[:, None]) & np.ones_like(u, bool)
        u[below], v[below] = JUNK, -JUNK  # ERA5 fills levels below the ground
        dims = ("valid_time", "pressure_level", "latitude", "longitude")
        data = {"u": (dims, u.astype("f4")), "v": (dims, v.astype("f4"))}
        units = {"u": "m s**-1", "v": "m s**-1"}
    ds = _cds(data, t, levels)
    for k, unit in units.items():
        ds[k].attrs["units"] = unit
    ds.to_netcdf(path)


def expected_mean(a: float, b: float, ps: float, h: float, temp: float = 290.0) -> float:
    """Closed form of the pressure-weighted mean of u = a + b p over [p_top, ps], the
    levels below the ground left out (the lowest level above held down to ps) and the
    profile held constant beyond the levels."""
    pt = ps * np.exp(-G * h / (RD * temp))
    p_low = max(x for x in LEVELS_HPA * 100.0 if x <= ps)  # lowest level above the ground
    assert 70_000.0 <= pt
    if pt >= p_low:
        return a + b * p_low
    linear = a * (p_low - pt) + 0.5 * b * (p_low**2 - pt**2)
    return (linear + (ps - p_low) * (a + b * p_low)) / (ps - pt)


@pytest.fixture()
def fake_cdsapi(monkeypatch):
    calls = []
    hdf5 = threading.Lock()  # the fetcher calls retrieve from threads; HDF5 is not safe

    class Client:
        def __init__(self, **kw):
            pass

        def retrieve(self, dataset, request, target):
            calls.append((dataset, request))
            month = f"{request['year'][0]}-{request['month'][0]}"
            with hdf5:
                write_month(target, month, levels="pressure_level" in request)

    fake = types.ModuleType("cdsapi")
    fake.Client = Client
    monkeypatch.setitem(sys.modules, "cdsapi", fake)
    return calls


def _fetch_winds(case_dir) -> list[str]:
    products = load_products()
    req = Request(
        51.5, 34.25, 67.75, 44.0, pd.Timestamp(PERIOD["start"]), pd.Timestamp(PERIOD["end"])
    )
    ps = [products["era5_single_levels"], products["era5_pressure_levels"]]
    out = execute(plan(ps, req), req, Cache(case_dir / "cache"))
    return [o.status for o in out]


def test_the_pressure_level_months_are_joined_and_read_as_the_boundary_layer_mean(
    mini_case, fake_cdsapi
):
    with_inversion(mini_case, period=PERIOD, obs_error=12)
    _cache_with(mini_case, "uol_gosat_proxy_v72", UOL)
    assert _fetch_winds(mini_case).count("joined") == 2
    assert {c[0] for c in fake_cdsapi} == {
        "reanalysis-era5-single-levels",
        "reanalysis-era5-pressure-levels",
    }
    case = load_case(mini_case)
    s = case.inversion_settings
    cache = mini_case / "cache"
    assert s.winds == cache / "era5_single_levels" / "era5_sl_20120101_20120106.nc"
    assert s.winds_levels == cache / "era5_pressure_levels" / "era5_pl_20120101_20120106.nc"
    assert s.winds_levels in case.inputs()  # so the signed manifest names it
    w, label, level = case_winds(s)
    assert level == "boundary-layer mean" and "era5_pl_20120101_20120106.nc" in label
    for when, lon, lat in (("2012-01-03T12:00", 55.0, 40.0), ("2012-01-04T00:00", 65.0, 37.0)):
        ps = 95_000.0 if lon < 60 else 101_000.0
        h = blh(pd.DatetimeIndex([when]))[0]
        got = w.sel(time=when, latitude=lat, longitude=lon)
        assert float(got.u) == pytest.approx(expected_mean(A_U, B_U, ps, h), abs=1e-4)
        assert float(got.v) == pytest.approx(expected_mean(A_V, B_V, ps, h), abs=1e-4)
    # the below-ground junk never enters: west of 60E the mean stays near the profile
    assert float(np.abs(w.u.sel(longitude=slice(50, 59))).max()) < 10.0


def test_the_run_labels_the_winds_and_a_case_may_choose_the_10m_wind(
    mini_case, fake_cdsapi, tmp_path
):
    with_inversion(mini_case, period=PERIOD, obs_error=12)
    _cache_with(mini_case, "uol_gosat_proxy_v72", UOL)
    _fetch_winds(mini_case)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["invert", str(mini_case), "--out", str(out)])
    assert res.exit_code == 0, res.output
    with xr.open_dataset(out / "inversion" / "result.nc") as r:
        assert r.attrs["wind_level"] == "boundary-layer mean"
        assert r.attrs["winds"].startswith("ERA5 boundary-layer-mean wind (era5_pl_2012")
        assert r.attrs["osse"] == 0
    note = sources_note(out)  # the report's line under the inversion's totals
    assert "ensemble: ERA5 boundary-layer-mean wind (era5_pl_2012" in note
    with_inversion(mini_case, period=PERIOD, obs_error=12, wind_level="10m")
    w, label, level = case_winds(load_case(mini_case).inversion_settings)
    assert level == "10m" and label == "winds era5_sl_20120101_20120106.nc (10 m)"
    assert float(w.u.mean()) == pytest.approx(1.0)  # the synthetic u10


def test_case_yaml_may_name_the_pressure_levels(mini_case):
    write_month(mini_case / "sl.nc", "2012-01", levels=False)
    write_month(mini_case / "pl.nc", "2012-01", levels=True)
    with_inversion(mini_case, period=PERIOD, winds="sl.nc", winds_levels="pl.nc")
    case = load_case(mini_case)
    s = case.inversion_settings
    assert s.winds_levels == mini_case / "pl.nc" and s.winds_levels in case.inputs()
    w, label, level = case_winds(s)
    assert level == "boundary-layer mean" and label.endswith("(pl.nc + sl.nc)")
    got = w.sel(time="2012-01-20T12:00", latitude=36.0, longitude=66.0)
    assert float(got.u) == pytest.approx(expected_mean(A_U, B_U, 101_000.0, 1600.0), abs=1e-4)
    with_inversion(mini_case, period=PERIOD, winds="sl.nc", winds_levels="nope.nc")
    with pytest.raises(CaseError, match="winds_levels"):
        load_case(mini_case)
