"""The netCDF files of a run folder follow CF-1.8 (openmrv.runfolder.cf): global attributes,
a standard_name or long_name and UDUNITS units per variable, no _FillValue on
coordinates, no 64-bit integers; and compliance-checker's cf:1.8 check passes (no
high-priority failure) where compliance-checker is installed (it is in the test extras)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from openmrv.case import load_case
from openmrv.cli import app
from openmrv.observe.batch import write_soundings
from openmrv.observe.registry import read_soundings
from openmrv.runfolder.cf import attribute_table, cf_ready
from openmrv.stages.inventory import _write_netcdf, estimate_inventory

sys.path.insert(0, str(Path(__file__).parent / "observe"))
from synthetic import write_gosat_nies

HAS_CC = importlib.util.find_spec("compliance_checker") is not None
#: primap2's entity units (``Gg CO2 / yr``) that UDUNITS cannot read (docs/data-format.md)
PRIMAP2_UNITS = {"Gg CO2 / yr", "Gg CH4 / yr", "Gg N2O / yr"}


def check_cf(path: Path) -> None:
    """The CF-1.8 attributes openmrv promises, read with netCDF4 (independent of xarray)."""
    with netCDF4.Dataset(path) as nc:
        assert nc.getncattr("Conventions") == "CF-1.8"
        for name in ("title", "history", "institution", "source", "references"):
            assert str(nc.getncattr(name)).strip(), name
        for name, var in nc.variables.items():
            attrs = set(var.ncattrs())
            assert attrs & {"standard_name", "long_name"}, f"{path.name}: {name}"
            assert var.dtype not in (np.int64, np.uint64), f"{path.name}: {name} is 64-bit"
            if var.dimensions == (name,) or var.dtype == str or var.dtype.kind in "iu":
                assert "_FillValue" not in attrs, f"{path.name}: {name} has _FillValue"
            if "units" in attrs and HAS_CC:
                import cf_units

                units = var.getncattr("units")
                if units not in PRIMAP2_UNITS:
                    cf_units.Unit(units)  # raises on a unit UDUNITS cannot read


def compliance(path: Path, tmp_path: Path) -> bool:
    from compliance_checker.runner import CheckSuite, ComplianceChecker

    CheckSuite().load_all_available_checkers()
    ok, errors = ComplianceChecker.run_checker(
        str(path), ["cf:1.8"], 0, "normal", str(tmp_path / f"{path.stem}.json"), "json"
    )
    return bool(ok) and not errors


def test_table_names_real_standard_names():
    """Only names of the CF Standard Name Table that fit the quantity are used."""
    names = {r["standard_name"] for r in attribute_table().values()} - {""}
    assert names == {"time", "latitude", "longitude", "air_pressure", "surface_air_pressure"}


def test_cf_ready_refuses_unknown_file_and_big_integers():
    import xarray as xr

    with pytest.raises(KeyError):
        cf_ready(xr.Dataset(), "nope")
    with pytest.raises(ValueError, match="32-bit"):
        cf_ready(xr.Dataset({"element": ("element", np.array([2**40]))}), "inversion")


def test_soundings_nc_is_cf(tmp_path):
    src = write_gosat_nies(tmp_path / "GOSATTFTS20120101_02C02SV0295R12030800010.h5", n=8)
    out = write_soundings(read_soundings(src), tmp_path / "soundings.nc")
    check_cf(out)
    with netCDF4.Dataset(out) as nc:
        assert nc["latitude"].standard_name == "latitude"
        assert nc["xch4"].coordinates == "time latitude longitude"
        assert nc["surface_pressure"].units == "Pa"
    if HAS_CC:
        assert compliance(out, tmp_path)


def test_inventory_and_inversion_nc_are_cf(mini_case, tmp_path):
    write_gosat_nies(mini_case / "GOSATTFTS20120101_02C02SV0295R12030800010.h5", n=12)
    cfg = yaml.safe_load((mini_case / "case.yaml").read_text())
    cfg["top_down"] = {"inversion": {
        "resolution": 1.0, "padding": 1.0, "soundings": ["GOSATTFTS*.h5"],
        "period": {"start": "2012-01-01", "end": "2012-01-06"}, "obs_error": 12,
        "state_vector": {"mode": "clusters", "clusters": 6, "hotspot_fraction": 0.05},
        "sectors": ["1.A", "1.B.2", "3.A", "4.A"],
    }}  # fmt: skip
    (mini_case / "case.yaml").write_text(yaml.safe_dump(cfg))
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["invert", str(mini_case), "--out", str(out)])
    assert res.exit_code == 0, res.output
    result = out / "inversion" / "result.nc"
    check_cf(result)
    with netCDF4.Dataset(result) as nc:
        assert nc["latitude"].axis == "Y" and nc["element"].dtype == np.int32
        assert nc.osse == 0  # the inversion's own attributes are kept
    if HAS_CC:
        assert compliance(result, tmp_path)


def test_inventory_nc_is_cf_but_for_primap2_units(mini_case, tmp_path):
    inventory = tmp_path / "inventory.nc"
    _write_netcdf(estimate_inventory(load_case(mini_case)).dataset, inventory)
    check_cf(inventory)
    with netCDF4.Dataset(inventory) as nc:
        assert nc["CO2"].units == "Gg CO2 / yr"  # primap2's unit kept
        assert nc["time"].standard_name == "time"
        assert "AR5" in nc["KYOTOGHG (AR5GWP100)"].long_name
        # primap2's ensure_valid() refused the file for want of these (issue 15);
        # bench/check_primap2.py runs primap2 itself on a run folder
        assert nc["notation_key (CO2)"].entity == "notation_key (CO2)"
        assert all("entity" in v.ncattrs() for v in nc.variables.values() if v.dimensions
                   and v.name not in nc.dimensions)  # fmt: skip
