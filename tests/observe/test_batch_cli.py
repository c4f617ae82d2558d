"""observe() on dask.distributed and the observe command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
import xarray as xr
from typer.testing import CliRunner

from observe.synthetic import BLENDED, REAL_FILES, UOL
from openmrv.errors import NoSoundingsError
from openmrv.observe.batch import observe
from openmrv.observe.cli import observe_command


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
