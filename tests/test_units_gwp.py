"""Units and GWP: round trips and agreement with an independent implementation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmrv.errors import InputError, UnitError
from openmrv.gwp import GWP_SETS, gwp
from openmrv.units import conversion_factor, parse_unit, registry


def test_volume_scale_is_kept():
    assert conversion_factor("1e9 m**3", "1e6 m**3") == pytest.approx(1000.0)


def test_head_and_person_are_their_own_dimension():
    assert conversion_factor("kg CH4 / head / yr * head * yr", "kg CH4") == pytest.approx(1.0)
    with pytest.raises(UnitError, match="cannot be converted"):
        conversion_factor("head", "person")


@pytest.mark.parametrize("bad", ["", "furlongs of CH4", "kg CH4 /", None])
def test_bad_units_raise_clear_errors(bad):
    with pytest.raises(UnitError):
        parse_unit(bad, where="x.csv, line 3")


@pytest.mark.parametrize("gwp_set", GWP_SETS)
@pytest.mark.parametrize("gas", ["CH4", "N2O"])
def test_gwp_agrees_with_openscm_units_contexts(gwp_set, gas):
    # openscm_units carries its own GWP contexts: an independent source for the same values.
    ureg = registry()
    with ureg.context(gwp_set):
        expected = ureg.Quantity(1.0, f"Gg {gas}").to("Gg CO2").magnitude
    assert gwp(gas, gwp_set) == pytest.approx(expected)


def test_published_values():
    # IPCC AR5 WG1 Table 8.7 (no climate-carbon feedback): CH4 28, N2O 265; SAR: 21, 310.
    assert gwp("CH4", "AR5GWP100") == 28
    assert gwp("N2O", "AR5GWP100") == 265
    assert gwp("CH4", "SARGWP100") == 21
    assert gwp("N2O", "SARGWP100") == 310


def test_unknown_gwp_set():
    with pytest.raises(InputError, match="AR5GWP100"):
        gwp("CH4", "AR7GWP100")


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_unit_round_trip(x):
    there = x * conversion_factor("Gg CH4", "t CH4")
    back = there * conversion_factor("t CH4", "Gg CH4")
    assert back == pytest.approx(x, rel=1e-12, abs=1e-12)
