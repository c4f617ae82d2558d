"""STILT and FLEXPART footprints to a Jacobian.

The files are synthetic, written here in the layouts the models document: STILT-R's
``write_footprint`` (``foot`` in ``ppm (umol-1 m2 s)``, dims time/lat/lon, cell centres,
receptor in the file name) and FLEXPART's netCDF output of a backward run
(``spec001_mr(nageclass, pointspec, time, height, latitude, longitude)`` in
``s m3 kg-1``, receptors ``RELLNG1/2``, ``RELLAT1/2``). Expected values are computed by
hand from the written numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from openmrv.errors import InputError, UnitError
from openmrv.estimate.inversion.footprint import footprint_factor, footprint_jacobian
from openmrv.jacobians import (
    read_flexpart_footprints,
    read_stilt_footprint,
    stack_footprints,
)

LAT = np.array([38.05, 38.15, 38.25])
LON = np.array([58.05, 58.15, 58.25, 58.35])
M_CH4, M_AIR = 0.01604246, 0.0289644  # kg/mol (IUPAC; US Standard Atmosphere 1976)


def _stilt(path, foot, units="ppm (umol-1 m2 s)", lon=58.2, lat=38.1):
    name = path / f"202001011200_{lon}_{lat}_5_foot.nc"
    xr.Dataset(
        {"foot": (("time", "lat", "lon"), foot, {"units": units})},
        coords={"time": [1.5778e9, 1.5778e9 - 3600], "lat": LAT, "lon": LON},
        attrs={"title": "STILT Footprint Output", "conventions": "CF-1.4"},
    ).to_netcdf(name)
    return name


def test_stilt_footprint_to_jacobian_by_hand(tmp_path):
    rng = np.random.default_rng(0)
    f1, f2 = rng.uniform(0, 1e-3, (2, 2, 3, 4))
    files = [_stilt(tmp_path, f1), _stilt(tmp_path, f2, lon=58.1)]
    fps = [read_stilt_footprint(f) for f in files]
    assert fps[0].lon == 58.2 and fps[1].lon == 58.1 and fps[0].receptor == "202001011200"
    values, unit, kind, rlon, rlat, glat, glon = stack_footprints(fps)
    emap = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, -1, -1]])
    # elements = uniform fluxes [umol m-2 s-1], observation in ppm: sums of cells
    k = footprint_jacobian(
        values,
        unit,
        glat,
        glon,
        rlon,
        rlat,
        emap,
        obs_unit="ppm",
        flux_unit="umol / m**2 / s",
        mixing_ratio=kind,
    )
    for i, f in enumerate((f1, f2)):
        tot = f.sum(0)
        assert k[i, 0] == pytest.approx(tot[:2, :2].sum(), rel=1e-12)
        assert k[i, 1] == pytest.approx(tot[:2, 2:].sum(), rel=1e-12)
        assert k[i, 2] == pytest.approx(tot[2, :2].sum(), rel=1e-12)
    # the same in ppb per (kg CH4 m-2 s-1): 1 kg = 1/M_CH4 mol = 1e6/M_CH4 umol; ppm = 1e3 ppb
    k2 = footprint_jacobian(values, unit, glat, glon, rlon, rlat, emap, mixing_ratio=kind)
    np.testing.assert_allclose(k2, k * 1e3 * 1e6 / M_CH4, rtol=1e-12)
    # scale factors on a prior flux map: K_ij = sum over cells of f * E_a
    ea = rng.uniform(0, 2, (3, 4))
    k3 = footprint_jacobian(
        values,
        unit,
        glat,
        glon,
        rlon,
        rlat,
        emap,
        prior_flux=ea,
        obs_unit="ppm",
        flux_unit="umol / m**2 / s",
    )
    assert k3[1, 1] == pytest.approx((f2.sum(0) * ea)[:2, 2:].sum(), rel=1e-12)
    # every cell its own element (row-major)
    k4 = footprint_jacobian(
        values, unit, glat, glon, rlon, rlat, obs_unit="ppm", flux_unit="umol / m**2 / s"
    )
    np.testing.assert_allclose(k4[0], f1.sum(0).ravel(), rtol=1e-12)


def test_flexpart_footprint_by_hand(tmp_path):
    rng = np.random.default_rng(1)
    spec = rng.uniform(0, 50, (1, 2, 3, 2, 3, 4))  # s m3 kg-1
    path = tmp_path / "grid_time_20200101120000.nc"
    xr.Dataset(
        {
            "spec001_mr": (
                ("nageclass", "pointspec", "time", "height", "latitude", "longitude"),
                spec,
                {"units": "s m3 kg-1"},
            ),
            "RELLNG1": ("pointspec", [58.1, 58.2]),
            "RELLNG2": ("pointspec", [58.1, 58.2]),
            "RELLAT1": ("pointspec", [38.1, 38.2]),
            "RELLAT2": ("pointspec", [38.1, 38.2]),
        },
        coords={
            "height": [100.0, 500.0],
            "latitude": LAT,
            "longitude": LON,
            "time": [0, -10800, -21600],
        },
    ).to_netcdf(path)
    fps = read_flexpart_footprints(path)
    assert len(fps) == 2 and fps[1].lat == 38.2
    values, unit, kind, rlon, rlat, glat, glon = stack_footprints(fps)
    k = footprint_jacobian(values, unit, glat, glon, rlon, rlat, mixing_ratio=kind)
    # lowest layer summed over time / 100 m -> kg/kg per (kg m-2 s-1); x M_air/M_CH4 -> mol/mol
    hand = spec[0, 0, :, 0].sum(0) / 100.0 * M_AIR / M_CH4 * 1e9
    np.testing.assert_allclose(k[0], hand.ravel(), rtol=1e-12)


def test_unit_mismatch_is_a_typed_error(tmp_path):
    foot = np.ones((2, 3, 4)) * 1e-4
    with pytest.raises(UnitError, match=r"foot.*kg"):
        read_stilt_footprint(_stilt(tmp_path, foot, units="kg"))
    # a footprint per area without time does not convert to ppb per flux
    with pytest.raises(UnitError, match="does not convert"):
        footprint_factor("ppm / (umol / m**2)")
    with pytest.raises(UnitError, match="does not convert"):
        footprint_factor("ppm / (umol / m**2 / s)", obs_unit="kg")
    with pytest.raises(InputError, match="no molar mass"):
        footprint_factor("ppm / (umol / m**2 / s)", gas="SF6")


def test_receptor_outside_domain_and_grid_mismatch(tmp_path):
    foot = np.ones((2, 3, 4)) * 1e-4
    fp = read_stilt_footprint(_stilt(tmp_path, foot, lon=61.0))
    values, unit, _, rlon, rlat, glat, glon = stack_footprints([fp])
    with pytest.raises(InputError, match=r"1 receptors lie outside.*61\.000"):
        footprint_jacobian(values, unit, glat, glon, rlon, rlat)
    other = tmp_path / "other"
    other.mkdir()
    name = other / "202001011200_58.1_38.1_5_foot.nc"
    xr.Dataset(
        {"foot": (("time", "lat", "lon"), np.ones((1, 2, 4)), {"units": "ppm (umol-1 m2 s)"})},
        coords={"time": [0.0], "lat": LAT[:2], "lon": LON},
    ).to_netcdf(name)
    with pytest.raises(InputError, match=r"other/202001011200.*grid"):
        stack_footprints([fp, read_stilt_footprint(name)])
    with pytest.raises(InputError, match="element map"):
        footprint_jacobian(values, unit, glat, glon, [58.1], [38.1], np.zeros((2, 2), int))
    with pytest.raises(InputError, match="file names must read"):
        bad = tmp_path / "foot.nc"
        bad.write_bytes(b"")
        read_stilt_footprint(bad)
    with pytest.raises(InputError, match="cannot be read as netCDF"):
        bad = tmp_path / "202001011200_58.1_38.1_5_foot.nc"
        bad.write_bytes(b"garbage")
        read_stilt_footprint(bad)
