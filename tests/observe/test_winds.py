"""Winds: ERA5 readers (both CDS layouts), boundary-layer mean, interpolation, product winds."""

from __future__ import annotations

import shutil
from pathlib import Path

import netCDF4
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.integrate import quad

from observe.synthetic import (
    ERA5_LEGACY_PL,
    ERA5_PL,
    ERA5_SL,
    PATCH,
    TROPOMI_SUB,
    write_era5_legacy_single_levels,
    write_tropomi_varsubset,
)
from openmrv.errors import CorruptFileError, MissingVariableError, ObservationError, UnitError
from openmrv.observe import read_soundings
from openmrv.observe.winds import (
    attach_winds,
    pressure_weighted_mean,
    product_winds,
    read_era5_pressure_levels,
    read_era5_single_levels,
    read_era5_winds,
    winds_at,
)

G, RD = 9.80665, 287.053  # U.S. Standard Atmosphere 1976, written here independently


def _column_mean(p_hpa, u, p_s, p_t):
    """Independent reference: numerical quadrature of the linear profile (constant ends)
    through the levels above the ground (p <= p_s; all below: the highest level)."""
    p = np.asarray(p_hpa, float) * 100.0
    u = np.asarray(u, float)
    air = p <= p_s if (p <= p_s).any() else p == p.min()
    p, u = p[air], u[air]
    order = np.argsort(p)
    f = lambda x: np.interp(x, p[order], u[order])  # noqa: E731
    return quad(f, p_t, p_s, points=p[order], limit=200)[0] / (p_s - p_t)


def test_single_levels_cds_layout():
    w = read_era5_single_levels(ERA5_SL)
    assert w.sizes == {"time": 24, "latitude": 10, "longitude": 17}
    assert w.attrs["level"] == "10m" and w.attrs["layout"] == "CDS"
    assert w.attrs["source_file"] == ERA5_SL.name
    assert (np.diff(w.latitude) > 0).all()  # stored decreasing in the file
    assert {"boundary_layer_height", "surface_pressure", "temperature_2m"} <= set(w)
    with netCDF4.Dataset(ERA5_SL) as raw:  # file row 0 is the northernmost latitude
        assert float(w.u.isel(time=12, latitude=-1, longitude=3)) == pytest.approx(
            float(raw["u10"][12, 0, 3]), abs=1e-6
        )
        assert float(w.surface_pressure.isel(time=0, latitude=0, longitude=0)) == pytest.approx(
            float(raw["sp"][0, -1, 0])
        )
    assert np.abs(w.u).max() < 30 and 80_000 < w.surface_pressure.min()


def test_boundary_layer_mean_cds_layout_against_quadrature():
    w = read_era5_winds(ERA5_SL, ERA5_PL)  # order does not matter
    assert w.attrs["level"] == "boundary-layer mean"
    assert w.attrs["boundary_layer_depth_source"] == "blh"
    with netCDF4.Dataset(ERA5_PL) as pl, netCDF4.Dataset(ERA5_SL) as sl:
        for t, j, i in ((12, 4, 9), (0, 0, 0), (20, 9, 16)):
            ps, blh, t2m = (float(sl[n][t, j, i]) for n in ("sp", "blh", "t2m"))
            p_top = ps * np.exp(-G * blh / (RD * t2m))
            levels = pl["pressure_level"][:]
            for name in ("u", "v"):
                expected = _column_mean(levels, pl[name][t, :, j, i], ps, p_top)
                got = float(w[name].isel(time=t, latitude=9 - j, longitude=i))
                assert got == pytest.approx(expected, abs=1e-6)
    # the boundary-layer mean differs from the 10 m wind (winds grow with height)
    ten = read_era5_single_levels(ERA5_SL)
    assert float(np.abs(w.u - ten.u).mean()) > 0.3


def test_legacy_layout_with_packing_and_default_depth(tmp_path: Path):
    sl_path = write_era5_legacy_single_levels(tmp_path / "era5_sl_legacy.nc")
    ten = read_era5_single_levels(sl_path)
    assert ten.attrs["layout"] == "CDS legacy"
    np.testing.assert_allclose(ten.u.values.ravel().min(), 3.0, atol=1e-3)  # unpacked
    w = read_era5_pressure_levels(ERA5_LEGACY_PL, sl_path)
    assert w.attrs["layout"] == "CDS legacy"
    assert w.attrs["boundary_layer_depth_source"].startswith("default depth 1000 m")
    assert w.attrs["temperature_source"].startswith("reference temperature 288.15 K")
    with netCDF4.Dataset(ERA5_LEGACY_PL) as pl, netCDF4.Dataset(sl_path) as sl:
        ps = float(sl["sp"][0, 1, 2])
        p_top = ps * np.exp(-G * 1000.0 / (RD * 288.15))
        expected = _column_mean(pl["level"][:], pl["u"][0, :, 1, 2], ps, p_top)
    assert float(w.u.isel(time=0, latitude=1, longitude=2)) == pytest.approx(expected, abs=1e-6)


def test_pressure_weighted_mean_known_profile():
    levels = np.array([1000.0, 850.0, 700.0, 500.0]) * 100  # Pa
    a, b = 2.0, 3e-4
    u = a + b * levels  # linear in p: mean over [pt, ps] is a + b (ps + pt) / 2
    ps, pt = np.array([95_000.0, 99_000.0]), np.array([80_000.0, 60_000.0])
    got = pressure_weighted_mean(np.tile(u, (2, 1)), levels, ps, pt)
    np.testing.assert_allclose(got, a + b * (ps + pt) / 2, rtol=1e-12)
    # below the lowest level the profile is held constant
    u2 = np.array([5.0, 3.0, 1.0, 0.0])
    got2 = pressure_weighted_mean(u2, levels, np.array(103_000.0), np.array(90_000.0))
    assert float(got2) == pytest.approx(_column_mean(levels / 100, u2, 103_000.0, 90_000.0))
    with pytest.raises(ObservationError, match="bottom pressure"):
        pressure_weighted_mean(u2, levels, np.array(80_000.0), np.array(90_000.0))


def _linear_winds() -> tuple[xr.Dataset, callable]:
    time = pd.date_range("2021-07-25", periods=4, freq="6h").values
    lat = np.linspace(-26.0, -22.0, 9)
    lon = np.linspace(25.0, 30.0, 11)
    hours = (time - time[0]) / np.timedelta64(1, "h")

    def field(lo, la, h):
        return 2.0 + 0.5 * lo - 0.3 * la + 0.1 * h

    tt, yy, xx = np.meshgrid(hours, lat, lon, indexing="ij")
    coords = {"time": time, "latitude": lat, "longitude": lon}
    dims = ("time", "latitude", "longitude")
    w = xr.Dataset({"u": (dims, field(xx, yy, tt)), "v": (dims, -field(xx, yy, tt))}, coords=coords)
    w.attrs = {"source_file": "linear.nc", "level": "10m", "product": "test"}
    return w, field


def test_winds_at_is_exact_on_a_linear_field():
    w, field = _linear_winds()
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(25, 30, 50), rng.uniform(-26, -22, 50)
    h = rng.uniform(0, 18, 50)
    t = np.datetime64("2021-07-25", "ns") + (h * 3600e9).astype("timedelta64[ns]")
    u, v = winds_at(w, lon, lat, t)
    np.testing.assert_allclose(u, field(lon, lat, h), atol=1e-9)
    np.testing.assert_allclose(v, -field(lon, lat, h), atol=1e-9)


def test_winds_at_outside_the_domain_or_time():
    w, _ = _linear_winds()
    inside = np.datetime64("2021-07-25T03:00", "ns")
    with pytest.raises(ObservationError, match=r"linear\.nc.*outside the winds"):
        winds_at(w, [31.0], [-24.0], [inside])
    with pytest.raises(ObservationError, match="outside the winds"):
        winds_at(w, [26.0], [-24.0], [np.datetime64("2021-07-26T12:00", "ns")])
    u, _ = winds_at(w, [31.0, 26.0], [-24.0, -24.0], [inside, inside], outside="nan")
    assert np.isnan(u[0]) and np.isfinite(u[1])
    with pytest.raises(ObservationError, match="give the times"):
        winds_at(w, [26.0], [-24.0])


def test_product_winds_plume_patch_and_tropomi(tmp_path: Path):
    patch = read_soundings(PATCH)
    pw = product_winds(patch)
    raw = np.load(PATCH, allow_pickle=True)
    rows, cols = patch.scene_row.values, patch.scene_col.values
    np.testing.assert_allclose(pw.u.values, raw["u10"][rows, cols])
    np.testing.assert_allclose(pw.v.values, raw["v10"][rows, cols])
    assert pw.attrs["level"] == "10m"
    name = TROPOMI_SUB.name.replace(".SUB", "_winds")
    trop = read_soundings(write_tropomi_varsubset(tmp_path / name, winds=(4.0, -2.0)))
    tw = product_winds(trop)
    assert (tw.u == 4.0).all() and (tw.v == -2.0).all()
    with pytest.raises(MissingVariableError, match="ships no winds"):
        product_winds(read_soundings(TROPOMI_SUB))  # processor 01.02.02: no winds inside


def test_attach_winds_to_soundings():
    w, field = _linear_winds()
    n = 5
    t = np.datetime64("2021-07-25T06:00", "ns")
    ds = xr.Dataset(
        {
            "longitude": ("sounding", np.linspace(26, 29, n)),
            "latitude": ("sounding", np.linspace(-25, -23, n)),
            "time": ("sounding", np.full(n, t)),
        }
    )
    ds["longitude"].values[-1] = 40.0  # outside
    out = attach_winds(ds, w)
    np.testing.assert_allclose(
        out.u.values[:-1], field(ds.longitude.values[:-1], ds.latitude.values[:-1], 6.0)
    )
    assert np.isnan(out.u.values[-1]) and out.attrs["soundings_outside_winds"] == 1
    assert out.u.attrs["units"] == "m s-1" and out.u.attrs["level"] == "10m"


def _copy_with(tmp_path: Path, src: Path, edit) -> Path:
    path = tmp_path / src.name
    shutil.copy(src, path)
    with netCDF4.Dataset(path, "a") as ds:
        edit(ds)
    return path


def test_bad_inputs_name_the_file(tmp_path: Path):
    no_v10 = tmp_path / "no_v10.nc"
    with xr.open_dataset(ERA5_SL) as ds:
        ds.drop_vars("v10").to_netcdf(no_v10)
    with pytest.raises(MissingVariableError, match=r"no_v10\.nc.*'v10'"):
        read_era5_single_levels(no_v10)
    knots = _copy_with(tmp_path, ERA5_SL, lambda ds: ds["u10"].setncattr("units", "knots"))
    with pytest.raises(UnitError, match=r"Matimba_ERA5-sl-20210725\.nc.*'u10'.*knots"):
        read_era5_single_levels(knots)
    broken = tmp_path / "broken.nc"
    broken.write_bytes(ERA5_SL.read_bytes()[:4000])
    with pytest.raises(CorruptFileError, match=r"broken\.nc"):
        read_era5_single_levels(broken)
    no_sp = tmp_path / "no_sp.nc"
    with xr.open_dataset(ERA5_SL) as ds:
        ds.drop_vars("sp").to_netcdf(no_sp)
    with pytest.raises(MissingVariableError, match=r"no_sp\.nc.*'sp'"):
        read_era5_pressure_levels(ERA5_PL, no_sp)
    with pytest.raises(ObservationError, match="one ERA5 pressure-level and one single-level"):
        read_era5_winds(ERA5_SL, ERA5_SL)
    with pytest.raises(MissingVariableError, match="pressure-level dimension"):
        read_era5_pressure_levels(ERA5_SL, ERA5_SL)
