"""Honest time series (issue 17, item 3): a series with one reported year is held constant
(flag C), not "trend extrapolated"; the run says so in run.json, on the console and in the
report's time-series section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openmrv.case import load_case, read_activity
from openmrv.estimate.inventory import timeseries
from openmrv.estimate.inventory.series import build_series
from openmrv.report.timeseries import filled_by_sector, time_series_html

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "turkmenistan"


def test_one_reported_year_is_held_constant_and_flagged_c():
    years = np.arange(1990, 1996)
    v, f = timeseries.extrapolate_trend(years, [np.nan] * 5 + [7.0])
    assert list(v) == [7.0] * 6
    assert list(f) == ["C"] * 5 + [""]
    # two reported years give a trend: E, and the values follow the line
    v, f = timeseries.extrapolate_trend(years, [np.nan] * 4 + [6.0, 7.0])
    assert list(f) == ["E"] * 4 + ["", ""]
    assert v[0] == pytest.approx(2.0)  # 6 - 4 * (7 - 6)


def _log(rows):
    return pd.DataFrame(rows, columns=["category", "activity", "key", "year", "flag", "technique"])


def test_held_constant_counts_series_held_over_half_the_years():
    rows = [("3.A.1", "head", "sheep", y, "C", "held") for y in range(1990, 2020)]
    rows += [("3.A.1", "head", "camels", y, "C", "held") for y in (1990, 1991)]  # 2 of 31
    rows += [("1.A.1", "fuel", "gas", y, "E", "trend") for y in range(1990, 2000)]
    held = timeseries.held_constant(_log(rows), 1990, 2020)
    assert held[["category", "key", "years_held", "first_held", "last_held"]].values.tolist() == [
        ["3.A.1", "sheep", 30, 1990, 2019]
    ]
    (w,) = timeseries.held_constant_warnings(_log(rows), 1990, 2020)
    assert w.startswith("sector 3: 1 activity series (3.A.1) have one reported year held")
    assert "over 1990-2019" in w and "Vol 1 Ch 5" in w and "flat by construction" in w
    assert timeseries.held_constant_warnings(_log(rows[30:]), 1990, 2020) == []


def test_the_turkmen_livestock_series_are_no_longer_held_constant():
    case = load_case(EXAMPLE)
    _, log = build_series(read_activity(case), case.inventory_settings)
    held = timeseries.held_constant(log, case.first_year, case.last_year)
    livestock = held[held["category"].str.startswith("3.")]
    # every species is an annual FAOSTAT series from 1992 (openmrv/data/public): before
    # issue 17's second pass goats, horses, asses, pigs and poultry were one 2020 value held
    # constant back to 1990 (9 series of sector 3)
    assert livestock.empty
    # the annual series start in 1992: only 1990-1991 are filled, by the USSR surrogate
    # (flag S) where the USSR rows are packaged, else by trend extrapolation (flag E)
    filled = log[log["category"].str.startswith("3.")]
    assert set(filled["year"]) == {1990, 1991}
    by_flag = filled.groupby("flag")["category"].agg(set)
    assert {"3.A.1.a.i", "3.A.1.c", "3.A.1.e", "3.C.4"} <= by_flag["E"]
    assert {"3.A.1.d", "3.A.2.d", "3.A.1.h", "3.A.2.i", "3.C.7"} <= by_flag["S"]
    assert not by_flag["S"] & by_flag["E"] - {"3.C.7"}  # 3.C.7: the season length is E
    assert not log[log["category"].str.startswith("3.") & (log["flag"] == "C")].size
    warnings = timeseries.held_constant_warnings(log, case.first_year, case.last_year)
    assert not [w for w in warnings if w.startswith("sector 3")]


def test_the_report_section_names_the_technique_and_the_flat_sector(tmp_path):
    rows = [("3.A.1", "head", "sheep", y, "C", timeseries.FLAGS["C"]) for y in range(1990, 2020)]
    _log(rows).to_csv(tmp_path / "gap_filling.csv", index=False)
    warn = timeseries.held_constant_warnings(_log(rows), 1990, 2020)
    (tmp_path / "run.json").write_text(pd.Series({"warnings": warn}).to_json())
    table = filled_by_sector(_log(rows))
    assert table.values.tolist() == [["3", timeseries.FLAGS["C"], 1, 30, "1990-2019"]]
    page = time_series_html(tmp_path)
    assert "Time-series consistency (IPCC 2006 Vol 1 Ch 5)" in page
    assert "Flat by construction." in page and "sector 3: 1 activity series" in page
