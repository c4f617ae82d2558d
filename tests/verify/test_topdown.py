"""Bottom-up against top-down: z, flags, split-normal sigma, explanations (hand-computed)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from openmrv.errors import InputError
from openmrv.gwp import gwp
from openmrv.verify import topdown as td

Z = 1.959963984540054


def _bu(value=100.0, low=80.0, high=120.0, year=2020, category="1.B.2"):
    return pd.DataFrame(
        [(category, "CH4", year, value, low, high)],
        columns=["category", "gas", "year", "value_kt", "low_kt", "high_kt"],
    )


def _td(value, sigma, kind="total", year=2020, **extra):
    row = {
        "category": "1.B.2",
        "gas": "CH4",
        "year": year,
        "value_kt": value,
        "sigma_kt": sigma,
        "evidence": "inversion",
        "kind": kind,
        **extra,
    }
    return pd.DataFrame([row])


def test_symmetric_z_by_hand():
    # sigma_bu = 20 / 1.96 = 10.204; combined sqrt(10.204^2 + 15^2) = 18.142
    out = td.compare_topdown(_bu(), _td(130.0, 15.0)).iloc[0]
    sbu = 20 / Z
    assert out["z"] == pytest.approx(30 / math.sqrt(sbu**2 + 15**2))
    assert out["z"] == pytest.approx(1.6536, abs=1e-4)
    assert out["flag"] == "consistent"
    assert list(out.index) == td.COLUMNS


def test_asymmetric_interval_uses_the_side_of_the_difference():
    # lognormal-like interval 50..300 around 100: above uses (300-100)/1.96, below (100-50)/1.96
    up = td.compare_topdown(_bu(100, 50, 300), _td(250.0, 10.0)).iloc[0]
    assert up["z"] == pytest.approx(150 / math.hypot(200 / Z, 10))  # 1.45: consistent
    assert up["flag"] == "consistent"
    down = td.compare_topdown(_bu(100, 50, 300), _td(40.0, 5.0)).iloc[0]
    assert down["z"] == pytest.approx(-60 / math.hypot(50 / Z, 5))  # -2.33
    assert down["flag"] == "inventory likely high"


def test_flags_total_and_lower_bound():
    low_bound = "inventory likely low (below the observed lower bound)"
    no_contra = "no contradiction (lower bound below the inventory)"
    assert td.consistency_test(100, 80, 120, 200, 10)[1] == "inventory likely low"
    # a lower bound: likely low only when td - 1.96 sd > bu_high (120)
    assert td.consistency_test(100, 80, 120, 140, 5, "lower_bound")[1] == low_bound
    # 125 - 1.96 x 5 = 115.2 < 120: no contradiction, although z = 25 / 11.36 = 2.2 > 1.96
    z, flag = td.consistency_test(100, 80, 120, 125, 5, "lower_bound")
    assert z == pytest.approx(25 / math.hypot(20 / Z, 5)) and z > Z
    assert flag == no_contra
    assert td.consistency_test(100, 80, 120, 125, 5, "total")[1] == "inventory likely low"
    # a lower bound far below the inventory never says "likely high" nor "consistent"
    assert td.consistency_test(100, 80, 120, 10, 1, "lower_bound")[1] == no_contra


def test_sensitivity_threshold_from_table():
    limit = td.sensitivity_thresholds()["dofs"]
    low = _td(300.0, 10.0, sensitivity=limit / 2, sensitivity_measure="dofs")
    out = td.compare_topdown(_bu(), low).iloc[0]
    assert out["flag"] == "not comparable (sensitivity too low)"
    assert "mostly its prior" in out["explanation"]
    ok = _td(300.0, 10.0, sensitivity=limit * 2, sensitivity_measure="dofs")
    assert td.compare_topdown(_bu(), ok).iloc[0]["flag"] == "inventory likely low"
    with pytest.raises(InputError, match="sensitivity measure 'xyz'"):
        td.compare_topdown(_bu(), _td(1, 1, sensitivity=1.0, sensitivity_measure="xyz"))


def test_explanation_names_top_contributors_and_year_mapping():
    contrib = pd.DataFrame(
        {
            "category": "1.B.2",
            "gas": "CH4",
            "evidence": "inversion",
            "year": 2021,
            "name": ["field A", "field B", "field C", "field D"],
            "value_kt": [60.0, 25.0, 10.0, 5.0],
        }
    )
    out = td.compare_topdown(_bu(), _td(100.0, 10.0, year=2021, osse=True), contrib).iloc[0]
    assert out["inventory_year"] == 2020 and out["evidence_year"] == 2021
    assert "field A 60.0 kt (60 %)" in out["explanation"]
    assert "field D" not in out["explanation"] and "of 4 sources" in out["explanation"]
    assert bool(out["osse"])


def test_bad_tables():
    with pytest.raises(InputError, match="lacks columns"):
        td.compare_topdown(_bu().drop(columns="low_kt"), _td(1, 1))
    with pytest.raises(InputError, match="no bottom-up estimate"):
        td.compare_topdown(_bu(category="1.A"), _td(1, 1))
    with pytest.raises(InputError, match="precedes"):
        td.compare_topdown(_bu(), _td(1, 1, year=2010))
    with pytest.raises(InputError, match="kind"):
        td.consistency_test(1, 1, 1, 1, 1, "upper")


def test_co2e_interval_as_gas_by_hand():
    g = gwp("CH4", "AR5GWP100")  # 28
    # 10 kt CH4 = 280 kt CO2e of a 400 kt CO2e category (share 0.7), interval 300..600
    low, high = td.co2e_interval_as_gas(10.0, 400.0, 300.0, 600.0, g)
    assert (low, high) == pytest.approx((300 * 0.7 / 28, 600 * 0.7 / 28))
    assert (low, high) == pytest.approx((7.5, 15.0))
