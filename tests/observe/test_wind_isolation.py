"""Issue 20: wind and gridded netCDF files are read in the isolated reading process
(openmrv.observe.isolation) like the satellite files, so a damaged file that makes the
netCDF-C/HDF5 libraries loop cannot hang a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from openmrv.observe import isolation

DATA = Path(__file__).parents[1] / "data" / "observe"
ERA5_SL = DATA / "Matimba_ERA5-sl-20210725.nc"


@pytest.fixture
def calls(monkeypatch):
    """The paths read through the reading process (the real call still runs)."""
    seen: list[Path] = []
    real = isolation.call

    def spy(path, fn, *args, **kwargs):
        seen.append(Path(path))
        return real(path, fn, *args, **kwargs)

    monkeypatch.setattr(isolation, "call", spy)
    return seen


def test_era5_winds_are_read_in_the_reading_process(calls):
    from openmrv.observe.winds import read_era5_winds

    ds = read_era5_winds(ERA5_SL)
    assert {"u", "v"} <= set(ds.data_vars) and ds.sizes["time"] > 0
    assert ERA5_SL in calls


def test_inversion_winds_file_is_read_in_the_reading_process(calls):
    from openmrv.stages.inversion import open_winds

    ds = open_winds(ERA5_SL)
    assert {"u", "v"} == set(ds.data_vars)
    assert calls and all(p == ERA5_SL for p in calls)


def test_a_wind_read_that_does_not_finish_is_a_typed_error(monkeypatch, tmp_path):
    """A read that outlasts the time limit is stopped: CorruptFileError naming the file
    (the limit is set below the time a read takes, as a stand-in for a loop)."""
    from openmrv.errors import CorruptFileError
    from openmrv.observe.winds import read_era5_winds

    monkeypatch.setattr(isolation, "_local", type(isolation._local)())  # a fresh process
    monkeypatch.setenv(isolation.ENV_TIMEOUT, "0.000001")
    with pytest.raises(CorruptFileError) as exc:
        read_era5_winds(ERA5_SL)
    assert ERA5_SL.name in str(exc.value) and "looks damaged" in str(exc.value)
