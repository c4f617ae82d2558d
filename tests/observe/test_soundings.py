"""The soundings format: ensure_valid_soundings, one rule at a time."""

from __future__ import annotations

import numpy as np
import pytest

from observe.synthetic import BLENDED, UOL
from openmrv.errors import InputError, ObservationError
from openmrv.observe import concat_soundings, ensure_valid_soundings, read_soundings
from openmrv.observe.soundings import REQUIRED, make_soundings


def _small():
    n = 3
    return make_soundings(
        {
            "time": np.array(["2020-01-01T00:00"] * n, dtype="datetime64[ns]"),
            "latitude": np.array([10.0, 20.0, 30.0]),
            "longitude": np.array([50.0, 60.0, 70.0]),
            "xch4": np.array([1850.0, 1860.0, 1870.0]),
            "xch4_uncertainty": np.array([10.0, 10.0, 10.0]),
            "qa_value": np.array([1.0, 0.4, 1.0]),
        },
        product="test",
        product_version="1",
        source_file="x.nc",
    )


def test_make_soundings_is_valid():
    ds = ensure_valid_soundings(_small())
    assert set(REQUIRED) <= set(ds.variables)
    assert ds.attrs["missing_variables"] == ""


def test_missing_required_are_nan_and_listed():
    ds = _small().drop_vars("xch4_uncertainty")
    with pytest.raises(ObservationError, match="xch4_uncertainty"):
        ensure_valid_soundings(ds)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.rename_dims(sounding="obs"), "sounding"),
        (lambda d: d.assign(xch4=d.xch4.assign_attrs(units="ppm")), "units"),
        (lambda d: d.assign(latitude=d.latitude + 100), "latitude"),
        (lambda d: d.assign(longitude=d.longitude * np.nan), "longitude"),
        (lambda d: d.assign(xch4=d.xch4 * 0), "xch4"),
        (lambda d: d.assign(xch4_uncertainty=-d.xch4_uncertainty), "uncertainty"),
        (lambda d: d.assign(qa_value=d.qa_value * 2), "qa_value"),
        (lambda d: d.assign(time=d.time.astype("int64")), "time"),
        (lambda d: d.drop_attrs(deep=False), "missing_variables"),
    ],
)
def test_each_rule_catches_its_fault(change, match):
    with pytest.raises(ObservationError, match=match) as exc:
        ensure_valid_soundings(change(_small()))
    assert isinstance(exc.value, InputError)


def test_concat_pads_levels_and_unions_missing():
    a = read_soundings(UOL).isel(sounding=slice(0, 5))
    b = read_soundings(BLENDED).isel(sounding=slice(0, 4))
    both = ensure_valid_soundings(concat_soundings([a, b]))
    assert both.sizes == {"sounding": 9, "level": 20, "corner": 4}
    assert np.isnan(both.averaging_kernel.values[5:, 12:]).all()
    assert set(both["product"].values) == {"gosat_uol_proxy", "tropomi_gosat_blended"}
