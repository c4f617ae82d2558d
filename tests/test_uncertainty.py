"""Approach 1 (Vol 1 Ch 3 Eq. 3.1, 3.2, Table 3.2) against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from openmrv.estimate.inventory.uncertainty import approach1_table, combine_product, combine_sum


def test_eq_3_1_product():
    assert combine_product(3.0, 4.0) == pytest.approx(5.0)


def test_eq_3_2_sum():
    # 100 +/- 10 % and 300 +/- 20 %: sqrt(10^2 + 60^2) / 400 = 15.2 %
    assert combine_sum([100, 300], [10, 20]) == pytest.approx(math.sqrt(1000**2 + 6000**2) / 400)


def test_table_3_2_two_categories_by_hand():
    rows = pd.DataFrame(
        {"C": [100.0, 50.0], "D": [120.0, 40.0], "E": [5.0, 10.0], "F": [20.0, 50.0]}
    )
    t, tot = approach1_table(rows)
    g = np.sqrt([5**2 + 20**2, 10**2 + 50**2])
    np.testing.assert_allclose(t["G"], g)
    level = math.sqrt((g[0] * 120) ** 2 + (g[1] * 40) ** 2) / 160
    assert tot["level_pct"] == pytest.approx(level)
    # trend = (160 - 150)/150 = 6.667 %; type A for category 1: (1.2 + 160 - 1 - 150)/(1 + 150)
    trend = 10 / 150 * 100
    a1 = (1.2 + 160 - 1 - 150) / 151 * 100 - trend
    a2 = (0.4 + 160 - 0.5 - 150) / 150.5 * 100 - trend
    b1, b2 = 120 / 150, 40 / 150
    m = (
        (a1 * 20) ** 2
        + (b1 * 5 * math.sqrt(2)) ** 2
        + (a2 * 50) ** 2
        + (b2 * 10 * math.sqrt(2)) ** 2
    )
    assert tot["trend_pct"] == pytest.approx(math.sqrt(m))
    assert tot["trend_pct_of_base"] == pytest.approx(trend)


def test_fully_correlated_factor_gives_no_trend_uncertainty():
    _, tot = approach1_table(pd.DataFrame({"C": [80.0], "D": [130.0], "E": [0.0], "F": [60.0]}))
    assert tot["trend_pct"] == pytest.approx(0.0, abs=1e-9)
    assert tot["level_pct"] == pytest.approx(60.0)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ({"C": [1.0], "D": [1.0], "E": [np.nan], "F": [1.0]}, "missing"),
        ({"C": [1.0], "D": [1.0], "E": [-5.0], "F": [1.0]}, "negative"),
        ({"C": [1.0], "D": [1.0], "F": [1.0]}, "column E"),
    ],
)
def test_bad_inputs(rows, match):
    with pytest.raises(ValueError, match=match):
        approach1_table(pd.DataFrame(rows))
