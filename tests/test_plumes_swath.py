"""Plume search over a whole TROPOMI L2 orbit (windows at a Bonferroni false-alarm rate),
on synthetic orbits in the operational L2 layout with a known source, rate and wind."""

from __future__ import annotations

from pathlib import Path

import netCDF4
import numpy as np
import pytest

from openmrv.estimate.plumes.scene import split_swath
from openmrv.estimate.plumes.synthetic import gaussian_plume_scene
from openmrv.observe.scenes import scene_arrays
from openmrv.stages.plumes import detect_scenes

NAME = "S5P_OFFL_L2__CH4____20210928T071234_20210928T085404_20503_02_020200_20210929T224533.nc"
ROWS, COLS = 192, 96  # scanlines x ground pixels: a piece of an orbit, 1,300 x 530 km
PIX = (7000.0, 5500.0)  # m: row height, column width
TRUTH = {"q_kg_s": 25.0, "u": 4.0, "row": 120, "col": 40}


def write_orbit(path: Path, plume: bool, seed: int = 3, noise_ppb: float = 8.0) -> Path:
    """An L2 CH4 orbit piece in the OFFL group layout: lat/lon on a regular grid of
    7 km x 5.5 km pixels near 40N, XCH4 = 1870 ppb + white noise (+ a plume)."""
    rng = np.random.default_rng(seed)
    lat0 = 38.0
    lat = lat0 + np.arange(ROWS)[:, None] * PIX[0] / 111_195.0 + np.zeros((1, COLS))
    lon = 58.0 + np.arange(COLS)[None, :] * PIX[1] / (111_195.0 * np.cos(np.deg2rad(40.0)))
    lon = lon + np.zeros((ROWS, 1))
    x = 1870.0 + rng.normal(0.0, noise_ppb, (ROWS, COLS))
    if plume:
        enh, _, _ = gaussian_plume_scene(
            TRUTH["q_kg_s"],
            TRUTH["u"],
            0.0,
            shape=(ROWS, COLS),
            pixel_m=PIX,
            source_rc=(TRUTH["row"], TRUTH["col"]),
        )
        x = x + enh
    with netCDF4.Dataset(path, "w") as ds:
        g = ds.createGroup("PRODUCT")
        g.createDimension("time", 1)
        g.createDimension("scanline", ROWS)
        g.createDimension("ground_pixel", COLS)
        dims = ("time", "scanline", "ground_pixel")
        for name, units, val in (
            ("latitude", "degrees_north", lat),
            ("longitude", "degrees_east", lon),
            ("methane_mixing_ratio_bias_corrected", "1e-9", x),
            ("methane_mixing_ratio_precision", "1e-9", np.full((ROWS, COLS), noise_ppb)),
            ("qa_value", "1", np.ones((ROWS, COLS))),
        ):
            v = g.createVariable(name, "f4", dims, fill_value=np.float32(9.96921e36))
            v.units = units
            v[:] = val[None].astype("f4")
        t = g.createVariable("time", "i4", ("time",))
        t.units = "seconds since 2010-01-01 00:00:00"
        t[:] = [370396800]  # 2021-09-28
        d = g.createVariable("delta_time", "i4", ("time", "scanline"))
        d.units = "milliseconds"
        d[:] = 27_000_000 + np.arange(ROWS)[None, :] * 840
        inp = g.createGroup("SUPPORT_DATA").createGroup("INPUT_DATA")
        for name, value in (("eastward_wind", TRUTH["u"]), ("northward_wind", 0.0)):
            w = inp.createVariable(name, "f4", dims)
            w.units = "m s-1"
            w[:] = np.full((1, ROWS, COLS), value, "f4")
        ds.processor_version = "2.2.0"
    return path


def test_an_orbit_reads_as_a_scene_with_its_pixel_grid(tmp_path):
    sc = scene_arrays(write_orbit(tmp_path / NAME, plume=False))
    assert sc["xch4"].shape == (ROWS, COLS)
    assert np.isfinite(sc["xch4"]).all()
    # the scanline time of each row: 840 ms apart
    dt = np.diff(sc["times"][:, 0]).astype("timedelta64[ms]").astype(int)
    assert (dt == 840).all()


def test_one_plume_found_in_an_orbit_at_its_source_and_rate(tmp_path):
    table, figs = detect_scenes([write_orbit(tmp_path / NAME, plume=True)], out=tmp_path)
    found = table[table["detected"]]
    assert len(found) == 1, table[["scene", "flags"]]
    row = found.iloc[0]
    r, c = (int(v) for v in row["scene"].split("@")[1].split("_"))
    assert abs(r - TRUTH["row"]) <= 2 and abs(c - TRUTH["col"]) <= 2
    truth_t_h = TRUTH["q_kg_s"] * 3.6
    # within 3 stated sigma (IME, U_eff calibrated on synthetic scenes: docs/plumes.md)
    assert abs(row["rate_t_per_h"] - truth_t_h) < 3 * row["rate_sigma_t_per_h"]
    assert row["wind_origin"] and row["wind_u"] == pytest.approx(TRUTH["u"], rel=1e-3)
    assert len(figs) == 1 and figs[0].exists()


def test_no_detection_in_a_plume_free_orbit(tmp_path):
    sc = scene_arrays(write_orbit(tmp_path / NAME, plume=False, seed=11))
    assert split_swath(sc) == []
    table, _ = detect_scenes([tmp_path / NAME])
    assert len(table) == 1 and not table["detected"].any()
    assert "no plume candidate" in table["flags"].iloc[0]
