"""Issue 20, the last input checks: a header-only activity file through the engine, factor
tables and facility capacities against plausible ranges, the inversion grid's cell cap --
each a clear error naming the file, line and field (exit code 2), never a result."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmrv.case import load_case, read_facilities
from openmrv.case_limits import limit
from openmrv.cli import app
from openmrv.errors import CaseError, FactorError
from openmrv.factors import FactorLibrary
from openmrv.settings import InversionSettings

ROOT = Path(__file__).parents[1]
TKM = ROOT / "examples" / "turkmenistan"
runner = CliRunner()


@pytest.fixture
def tkm(tmp_path: Path) -> Path:
    """A writable copy of the Turkmenistan case (its inputs only)."""
    dst = tmp_path / "turkmenistan"
    shutil.copytree(TKM, dst, ignore=shutil.ignore_patterns("runs", "*.partial"))
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


# --- 2. a header-only activity file -----------------------------------------------------


def test_header_only_fugitive_file_stops_the_inventory_with_exit_2(tkm: Path, tmp_path: Path):
    """The issue's case: a fugitive.csv with only its header used to remove 1.B silently
    (or end in a traceback); now the run stops before computing, naming the file."""
    fugitive = tkm / "activity" / "fugitive.csv"
    fugitive.write_text(fugitive.read_text().splitlines()[0] + "\n")
    out = tmp_path / "out"
    res = runner.invoke(app, ["inventory", str(tkm), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "fugitive.csv" in res.output and "no rows" in res.output, res.output
    assert "Traceback" not in res.output
    assert not out.exists()  # nothing written


# --- 3. factor tables and facility capacities -------------------------------------------

FACTORS_CS = "factors_cs.csv"
# IPCC 2006 Vol 2 Ch 1 Table 1.4: natural gas CO2 56 100 kg/TJ, 95 % range 54 300-58 300
GAS_CO2 = "56100,kg CO2 / TJ,54300,58300"


@pytest.mark.parametrize(
    ("value", "side"), [("56100000", "above"), ("56.1", "below")], ids=["g-as-kg", "t-as-kg"]
)
def test_country_factor_far_outside_the_ipcc_range_is_refused(mini_case: Path, value, side):
    """A unit mistake of 1e3: 56 100 kg/TJ written in g (5.61e7) or in t (56.1), more than
    100 x beyond the IPCC range 54 300-58 300 kg/TJ (5.83e6 above, 543 below)."""
    _edit(mini_case / FACTORS_CS, GAS_CO2 + ",", f"{value},kg CO2 / TJ,,,5")  # +-5 %
    with pytest.raises(FactorError) as exc:
        FactorLibrary.default(extra=[mini_case / FACTORS_CS])
    msg = str(exc.value)
    for frag in (FACTORS_CS, "line 2", "field 'value'", side, "factor_ratio_to_ipcc_range"):
        assert frag in msg, msg


def test_country_factor_within_a_factor_of_100_is_accepted(mini_case: Path):
    """Tier 2 may differ from the default: 10 x below its range (5 430 kg/TJ) is read."""
    _edit(mini_case / FACTORS_CS, GAS_CO2, "5430,kg CO2 / TJ,5000,6000")
    lib = FactorLibrary.default(extra=[mini_case / FACTORS_CS])
    f = lib.lookup("EF", "1.A.1.a", activity="fuel_consumption", key="natural_gas", gas="CO2")
    assert f.value == 5430 and f.tier == 2


def test_country_factor_uncertainty_beyond_1000_pct_is_refused(mini_case: Path):
    _edit(
        mini_case / FACTORS_CS,
        "0.002,Gg CH4 / (1e6 m**3),,,50,",
        "0.002,Gg CH4 / (1e6 m**3),,,1e6,",
    )
    with pytest.raises(FactorError) as exc:
        FactorLibrary.default(extra=[mini_case / FACTORS_CS])
    assert "line 5" in str(exc.value) and "uncertainty_pct" in str(exc.value), exc.value


def test_the_cases_own_factor_tables_pass():
    for table in (TKM / "factors" / "country.csv", ROOT / "tests/data/mini_case" / FACTORS_CS):
        FactorLibrary.default(extra=[table])


@pytest.mark.parametrize(
    ("capacity", "unit", "expect"),
    [
        ("1e300", "MW", "plausible maximum"),
        ("inf", "MW", "not a finite number"),
        ("-5", "Mt / yr", "negative"),
        ("lots", "Mt / yr", "not a number"),
        ("10", "", "capacity_unit"),
        # 1e13 kt urea a year = 1e16 t, above activity_mass (1e12 t, ten times the world's
        # material extraction): the product word is left out, the rate taken over a year
        ("1e13", "kt urea / yr", "activity_mass"),
    ],
)
def test_implausible_facility_capacity_is_refused(tkm: Path, capacity, unit, expect):
    _edit(tkm / "facilities.csv", ",2013,,,", f",2013,{capacity},{unit},")
    with pytest.raises(CaseError) as exc:
        read_facilities(load_case(tkm))
    msg = str(exc.value)
    rows = (tkm / "facilities.csv").read_text().splitlines()
    line = next(i for i, r in enumerate(rows, 1) if f",2013,{capacity},{unit}," in r)
    for frag in ("facilities.csv", f"line {line}", expect):
        assert frag in msg, msg


def test_the_cases_facility_capacities_pass():
    fac = read_facilities(load_case(TKM))
    assert (fac["capacity"] != "").sum() >= 8  # the capacities are there, and checked


# --- 4. the inversion grid's cell cap ---------------------------------------------------


def test_an_enormous_inversion_grid_is_refused_before_it_is_built(tkm: Path):
    from openmrv.stages.inversion import domain

    # Turkmenistan spans more than 14 x 7 degrees; padded by 40 degrees at 0.05 degree
    # the grid is at least (94 / 0.05) x (87 / 0.05) = 3.3 million cells
    s = InversionSettings(region="TKM", year=2020, resolution=0.05, padding=40.0)
    with pytest.raises(CaseError) as exc:
        domain(s, tkm / "case.yaml")
    msg = str(exc.value)
    cap = int(limit("inversion_grid_cells_max"))
    for frag in ("case.yaml", "top_down.inversion.resolution", f"{cap}", "cells"):
        assert frag in msg, msg
    n = int(msg.split(" = ")[1].split()[0])
    assert n >= (94 / 0.05) * (87 / 0.05) > cap


def test_the_cases_inversion_grid_is_built():
    from openmrv.stages.inversion import domain

    grid, land = domain(InversionSettings(region="TKM", year=2020, resolution=0.25))
    assert 0 < grid.size <= limit("inversion_grid_cells_max") and land.any()
