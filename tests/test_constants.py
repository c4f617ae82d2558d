"""The one home of physical constants (openmrv.constants, data/physical_constants.csv)."""

from __future__ import annotations

import ast
import csv
from pathlib import Path

import pytest

import openmrv
from openmrv import constants
from openmrv.constants import PHYSICAL_CONSTANTS, constant, table_row, table_value
from openmrv.errors import UnitError
from openmrv.units import registry as _registry

registry = _registry()

PACKAGE = Path(openmrv.__file__).parent

with PHYSICAL_CONSTANTS.open(newline="") as _fh:
    ROWS = list(csv.DictReader(_fh))

# Published values, written here independently of the table, each with its citation.
PUBLISHED = {
    # CODATA 2018 (Tiesinga et al. 2021, Rev. Mod. Phys. 93, 025010): R = N_A k, exact in
    # the 2019 SI (N_A = 6.02214076e23 mol-1, k = 1.380649e-23 J/K), quoted 8.314 462 618...
    "R": 6.02214076e23 * 1.380649e-23,
    # 3rd CGPM (1901): standard acceleration of gravity g_n, exact
    "g": 9.80665,
    # U.S. Standard Atmosphere 1976 (NOAA-S/T 76-1562) Sect. 1.2.1: M0 = 28.9644 g/mol
    "M_air": 28.9644e-3,
    # Wieser (2006), IUPAC atomic weights 2005: C 12.0107, H 1.00794, O 15.9994 g/mol
    "M_CH4": (12.0107 + 4 * 1.00794) * 1e-3,
    "M_CO2": (12.0107 + 2 * 15.9994) * 1e-3,
    # U.S. Standard Atmosphere 1976 Sect. 1.2.1: R* / M0 = 8.31432 / 28.9644e-3
    "R_d": 8.31432 / 28.9644e-3,
    # U.S. Standard Atmosphere 1976 Table 4, ISO 2533:1975: sea-level T0 and p0
    "T_standard": 288.15,
    "p_surface_standard": 101325.0,
    # Moritz (2000), GRS80, J. Geodesy 74, 128-133: mean radius R1 = 6371008.7714 m
    "R_earth": 6371008.7714,
    # IAU: the Julian year, 365.25 days of 86400 s
    "seconds_per_year": 365.25 * 86400.0,
}
# the table's rounding of the published value (R_earth to 0.1 m, R_d to 1 mJ kg-1 K-1)
ABS_TOL = {"R_earth": 0.05, "R_d": 5e-4}

# the same constant as pint (CODATA 2018 / SI definitions) knows it
PINT_NAMES = {
    "R": "molar_gas_constant",
    "g": "standard_gravity",
    "seconds_per_year": "julian_year",
    "p_surface_standard": "atmosphere",
}
# the dimension each constant must have
DIMENSIONS = {
    "g": "m / s**2",
    "M_air": "kg / mol",
    "M_CH4": "kg / mol",
    "M_CO2": "kg / mol",
    "R": "J / mol / K",
    "R_d": "J / kg / K",
    "T_standard": "K",
    "p_surface_standard": "Pa",
    "R_earth": "m",
    "seconds_per_year": "s",
}


def test_every_row_has_value_unit_source_and_edition():
    assert ROWS, "empty table"
    for col in ("name", "value", "unit", "source", "edition", "table", "uncertainty", "note"):
        assert col in ROWS[0], col
    names = [r["name"] for r in ROWS]
    assert len(names) == len(set(names)), "a constant listed twice"
    for r in ROWS:
        float(r["value"])
        for col in ("unit", "source", "edition", "table"):
            assert r[col].strip(), (r["name"], col)


def test_pint_agrees_with_the_units_and_values():
    assert set(DIMENSIONS) == {r["name"] for r in ROWS}
    for r in ROWS:
        unit = registry.Unit(r["unit"])
        assert unit.dimensionality == registry.Unit(DIMENSIONS[r["name"]]).dimensionality
        assert registry.Quantity(1.0, unit).to(DIMENSIONS[r["name"]]).magnitude == 1.0
    for name, pint_name in PINT_NAMES.items():
        row = table_row(PHYSICAL_CONSTANTS, name)
        theirs = registry.Quantity(1.0, pint_name).to(row["unit"]).magnitude
        assert constant(name) == pytest.approx(theirs, rel=1e-12), name


def test_values_match_published_values():
    assert set(PUBLISHED) == {r["name"] for r in ROWS}
    for name, value in PUBLISHED.items():
        assert constant(name) == pytest.approx(value, rel=1e-12, abs=ABS_TOL.get(name, 0)), name


def test_unit_is_checked_and_unknown_names_are_refused():
    assert constant("R_earth", "m") == 6371008.8
    with pytest.raises(UnitError, match="R_earth"):
        constant("R_earth", "km")
    with pytest.raises(KeyError, match="known"):
        constant("no_such_constant")
    assert constants.constant_row("g")["source"].startswith("3rd CGPM")


def test_method_tables_share_the_loader():
    plumes = PACKAGE / "estimate" / "plumes" / "data" / "parameters.csv"
    assert table_value(plumes, "swath_window_pixels", "1") == 32.0
    dispersion = PACKAGE / "estimate" / "inversion" / "data" / "dispersion.csv"
    assert table_value(dispersion, "sigma_y_a", "1", stability="D") == 0.08
    assert table_row(
        PACKAGE / "estimate" / "plumes" / "data" / "ueff.csv", "CO2M", key="instrument"
    )


def _package_tables():
    for path in sorted(PACKAGE.rglob("*.csv")):
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            key = next((k for k in ("name", "parameter") if k in (reader.fieldnames or [])), None)
            if key is not None:
                yield path, [r[key] for r in reader]


def test_each_physical_constant_lives_once():
    physical = {r["name"] for r in ROWS}
    # the synonyms the constants had in the tables before they were gathered here
    synonyms = {"standard_gravity", "dry_air_gas_constant", "reference_temperature"}
    synonyms |= {"p_standard"}
    for path, names in _package_tables():
        if path == PHYSICAL_CONSTANTS:
            continue
        assert not (set(names) & (physical | synonyms)), path


def _python_files():
    return sorted(PACKAGE.rglob("*.py"))


def test_gases_defined_once():
    defined = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            if any(isinstance(t, ast.Name) and t.id == "GASES" for t in targets):
                defined.append(path.relative_to(PACKAGE).as_posix())
    assert defined == ["gases.py"]  # dataformat re-exports it


PENDING_EARTH_RADIUS: set[str] = set()


def test_earth_radius_is_not_written_inline():
    found = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
                v = abs(node.value)
                if 6371 <= v < 6372 or 6371000 <= v < 6372000:  # km or m
                    found.add(path.relative_to(PACKAGE).as_posix())
    assert found <= PENDING_EARTH_RADIUS, sorted(found)
