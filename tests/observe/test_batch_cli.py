"""observe() on dask.distributed and the observe command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
import xarray as xr
from typer.testing import CliRunner

from observe.synthetic import BLENDED, REAL_FILES, UOL
from openmrv.cli.observe import observe_command
from openmrv.errors import NoSoundingsError
from openmrv.observe.batch import observe


def test_observe_many_files_with_a_bad_one(tmp_path: Path):
    bad = tmp_path / BLENDED.name.replace("02901", "02999")
    bad.write_bytes(BLENDED.read_bytes()[:5000])
    out = tmp_path / "soundings.nc"
    ds, summary = observe([*REAL_FILES, bad], out=out, n_workers=2)
    assert [p for p, _ in summary.bad_files] == [str(bad)]
    assert summary.soundings_kept == ds.sizes["sounding"] == 959 + 1652 + 19 + 946 + 693
    assert summary.dropped["xch4_quality_flag != 0"] == 1317
    assert summary.by_product["gosat_uol_proxy"] == 959
    back = xr.open_dataset(out)
    assert back.sizes["sounding"] == ds.sizes["sounding"]
    assert str(back["product"].values[0])
    back.close()


def test_observe_region_tkm(tmp_path: Path):
    ds, summary = observe([UOL, BLENDED], region="TKM", processes=False, n_workers=1)
    assert ds.sizes["sounding"] == 3
    assert summary.dropped["outside the region"] == 959 + 1652 - 3


def test_observe_nothing_left(tmp_path: Path):
    with pytest.raises(NoSoundingsError) as exc:
        observe([BLENDED], region=(0.0, 0.0, 1.0, 1.0), processes=False, n_workers=1)
    assert exc.value.summary.files == 1


def test_cli(tmp_path: Path):
    app = typer.Typer()
    app.command("observe")(observe_command)
    app.command("noop")(lambda: None)
    files = [shutil.copy(UOL, tmp_path), str(tmp_path / "nonsense.nc")]
    (tmp_path / "nonsense.nc").write_text("x")
    out = tmp_path / "s.nc"
    res = CliRunner().invoke(
        app,
        [
            "observe",
            *map(str, files),
            "--region",
            "50,30,70,45",
            "--out",
            str(out),
            "--workers",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "soundings kept" in res.output and "bad file" in res.output
    assert out.exists() and out.with_suffix(".png").stat().st_size > 1000


def _era5_like(path: Path) -> Path:
    """A small ERA5 single-level file (CDS layout) over 50-70 E, 30-45 N on 2012-01-02."""
    import numpy as np
    import pandas as pd

    lon, lat = np.arange(50.0, 70.25, 0.25), np.arange(45.0, 29.75, -0.25)
    time = pd.to_datetime(["2012-01-02T00:00", "2012-01-03T00:00"]).values
    u = np.broadcast_to(1.0 + 0.1 * lon, (2, lat.size, lon.size)).astype("f4")
    v = np.broadcast_to(-0.2 * lat[:, None], (2, lat.size, lon.size)).astype("f4")
    dims = ("valid_time", "latitude", "longitude")
    ds = xr.Dataset(
        {"u10": (dims, u, {"units": "m s**-1"}), "v10": (dims, v, {"units": "m s**-1"})},
        coords={"valid_time": time, "latitude": lat, "longitude": lon},
    )
    ds.to_netcdf(path)
    return path


def test_cli_attaches_winds(tmp_path: Path):
    app = typer.Typer()
    app.command("observe")(observe_command)
    app.command("noop")(lambda: None)
    winds = _era5_like(tmp_path / "era5_sl.nc")
    out = tmp_path / "s.nc"
    args = ["observe", str(UOL), "--region", "50,30,70,45", "--out", str(out)]
    res = CliRunner().invoke(app, [*args, "--workers", "1", "--winds", str(winds)])
    assert res.exit_code == 0, res.output
    assert "winds (10m, era5_sl.nc)" in res.output
    back = xr.load_dataset(out)
    assert back.sizes["sounding"] > 0
    import numpy as np

    np.testing.assert_allclose(back.u, 1.0 + 0.1 * back.longitude, atol=1e-5)
    np.testing.assert_allclose(back.v, -0.2 * back.latitude, atol=1e-5)
    assert back.u.attrs["level"] == "10m"
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf")
    res = CliRunner().invoke(app, [*args, "--winds", str(bad)])
    assert res.exit_code == 2 and "bad.nc" in res.output


def test_observe_bad_file_is_named_and_exits_2(tmp_path):
    """Only a damaged file: no sounding, the file named with the reason, exit code 2
    (bad input), as every other command."""
    bad = tmp_path / "broken_gosat.nc"
    bad.write_bytes(b"garbage")
    app = typer.Typer()
    app.command("observe")(observe_command)
    app.command("noop")(lambda: None)
    res = CliRunner().invoke(app, ["observe", str(bad), "--region", "TKM"])
    assert res.exit_code == 2, res.output
    assert "bad file" in res.output and "broken_gosat.nc" in res.output
