"""The emissions dataset format: ensure_valid rules, netCDF and primap2 interchange round trips."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from openmrv.case import load_case
from openmrv.dataformat import ensure_valid, read_interchange, write_interchange
from openmrv.errors import InputError
from openmrv.stages.inventory import estimate_inventory


@pytest.fixture
def ds(mini_case):
    return estimate_inventory(load_case(mini_case)).dataset


def test_engine_output_is_valid(ds):
    assert ensure_valid(ds) is ds


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.assign_attrs(cat="category (IPCC1996)"), "attrs.cat"),
        (lambda d: d.rename({"source": "src"}), "source"),
        (lambda d: d.assign_coords(time=d["time"] + np.timedelta64(1, "D")), "1 January"),
        (
            lambda d: d.assign_coords(
                {"category (IPCC2006)": ["9.Z", *d["category (IPCC2006)"].values[1:]]}
            ),
            "9.Z",
        ),
        (lambda d: d.assign(CH4=d["CH4"].assign_attrs(units="Gg CO2 / yr")), "CH4"),
        (lambda d: d.assign(CH4=d["CH4"].assign_attrs(units="")), "units"),
        (
            lambda d: d.assign({"notation_key (CO2)": d["notation_key (CO2)"].where(False, "XX")}),
            "XX",
        ),
        (
            lambda d: d.assign({"notation_key (CO2)": d["notation_key (CO2)"].where(False, "NO")}),
            "both",
        ),
        (lambda d: d.assign(CO2=d["CO2"].where(d["CO2"].isnull(), np.inf)), "infinite"),
    ],
)
def test_rules_catch_violations(ds, mutate, fragment):
    with pytest.raises(InputError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        ensure_valid(mutate(ds))


def test_interchange_round_trip(ds, tmp_path):
    write_interchange(ds, tmp_path / "inv")
    back = read_interchange(tmp_path / "inv.yaml")
    cat = "category (IPCC2006)"
    for gas in ("CO2", "CH4", "N2O", "KYOTOGHG (AR5GWP100)"):
        a = ds[gas].sel({cat: back[cat].values})
        np.testing.assert_allclose(back[gas].values, a.values, rtol=1e-12)
        assert back[gas].attrs["units"] == ds[gas].attrs["units"]
    assert back["KYOTOGHG (AR5GWP100)"].attrs["gwp_context"] == "AR5GWP100"
    # notation keys survive the round trip
    nk = back["notation_key (CO2)"].sel({cat: "2.A.1"}).values
    assert set(np.unique(nk)) == {"NO"}


def test_netcdf_round_trip(ds, tmp_path):
    ds.to_netcdf(tmp_path / "x.nc", engine="netcdf4")
    with xr.open_dataset(tmp_path / "x.nc", engine="netcdf4") as back:
        ensure_valid(back.load())
        xr.testing.assert_allclose(back["CH4"], ds["CH4"])
