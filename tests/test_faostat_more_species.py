"""FAOSTAT goats, horses, asses, pigs, chickens, turkeys and rice area packaged for KAZ, TKM,
UZB (and the USSR, 1961-1991) and used by ``openmrv case new`` and the Turkmenistan case
(issue 17).

Expected values are quoted from the upstream pages read with the tool library's
``read_file`` (github.com/open-numbers/ddf--unfao--faostat commit
0f42e2c665c1135f3720447c7cf74322da02a9c4, ``datapoints/QCL/ddf--datapoints--<stem>--by--geo
--year.csv``); the packaged copies are read here with the csv module, not through
:mod:`openmrv.draft_series`.
"""

from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest

from openmrv.case import load_case, read_activity
from openmrv.draft import write_draft
from openmrv.estimate.inventory import timeseries
from openmrv.estimate.inventory.series import build_series

PUBLIC = files("openmrv") / "data" / "public"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "turkmenistan"

#: (geo, year) -> value as printed in the upstream file (commit 0f42e2c66)
UPSTREAM = {
    "qcl_goats_stocks": {("213", 1992): 220000, ("213", 2020): 4683497, ("108", 2020): 1814000,
                         ("235", 2020): 3629600, ("228", 1990): 6562000, ("228", 1991): 6692000},
    "qcl_horses_stocks": {("213", 2020): 27295, ("108", 1992): 1666400, ("235", 2023): 275900,
                          ("228", 1961): 9900000, ("228", 1991): 5919000},
    "qcl_asses_stocks": {("213", 2020): 24845, ("108", 2015): 29379, ("235", 1992): 142700,
                         ("228", 1991): 310000},
    "qcl_swine_pigs_stocks": {("213", 1992): 237000, ("213", 2020): 7352, ("108", 2020): 570000,
                              ("235", 2020): 52430, ("228", 1990): 78963008},
    "qcl_chickens_stocks": {("213", 2020): 20606, ("108", 2020): 41668, ("235", 2020): 76536,
                            ("228", 1991): 1124000},
    "qcl_turkeys_stocks": {("213", 2020): 476, ("108", 2020): 1673, ("235", 2020): 692,
                           ("228", 1990): 37900},
    "qcl_rice_area_harvested": {("213", 1992): 28000, ("213", 2012): 72290, ("213", 2020): 20382,
                                ("108", 2020): 102278, ("235", 2020): 47425,
                                ("228", 1990): 614000},
}  # fmt: skip


def _packaged(stem: str) -> dict[tuple[str, int], float]:
    text = (PUBLIC / f"faostat_{stem}.csv").read_text(encoding="utf-8")
    return {(r["geo"], int(r["year"])): float(r[stem]) for r in csv.DictReader(text.splitlines())}


@pytest.mark.parametrize("stem", sorted(UPSTREAM))
def test_packaged_rows_are_the_upstream_rows(stem):
    packaged = _packaged(stem)
    for key, value in UPSTREAM[stem].items():
        assert packaged[key] == value, (stem, key)
    # the three countries 1992-2023 and the USSR 1961-1991, every year, nothing else
    for geo in ("108", "213", "235"):
        assert sorted(y for g, y in packaged if g == geo) == list(range(1992, 2024))
    assert sorted(y for g, y in packaged if g == "228") == list(range(1961, 1992))
    assert {g for g, _ in packaged} == {"108", "213", "228", "235"}
    sources = (PUBLIC / "SOURCES.md").read_text(encoding="utf-8")
    assert f"datapoints/QCL/ddf--datapoints--{stem}--by--geo--year.csv" in sources


def test_uzbek_draft_carries_goats_poultry_and_rice(tmp_path):
    write_draft("UZB", tmp_path / "case")
    act = pd.read_csv(tmp_path / "case" / "activity" / "activity.csv")

    def one(cat, key, year):
        hit = act[(act.category == cat) & (act.key == key) & (act.year == year)]
        assert len(hit) == 1, (cat, key, year)
        return hit.iloc[0]

    assert one("3.A.1.d", "goats", 2020).value == 3629600
    assert one("3.A.2.h", "swine", 2020).value == 52430
    # poultry = (chickens + turkeys) x 1000 head: (76536 + 692) x 1000
    assert one("3.A.2.i", "poultry", 2020).value == 77228000
    rice = act[(act.category == "3.C.7") & (act.year == 2020)].set_index("activity")
    assert set(rice.key) == {"continuously_flooded:non_flooded_gt180"}
    assert rice.loc["area_harvested", "value"] == 47425
    assert rice.loc["rice_cultivation_period", "value"] == 120
    assert "assumption (openmrv)" in rice.loc["area_harvested", "notes"]


def test_turkmen_case_uses_the_annual_series_and_rice():
    ag = pd.read_csv(EXAMPLE / "activity" / "agriculture.csv")

    def val(cat, act, year):
        hit = ag[(ag.category == cat) & (ag.activity == act) & (ag.year == year)]
        assert len(hit) == 1, (cat, act, year)
        return float(hit.value.iloc[0])

    assert val("3.A.1.d", "head", 2020) == 4683497 and val("3.A.2.d", "head", 1992) == 220000
    assert val("3.A.1.h", "head", 1992) == 237000
    assert val("3.A.2.i", "head", 2020) == (20606 + 476) * 1000
    assert val("3.C.7", "area_harvested", 2012) == 72290
    assert val("3.C.7", "rice_cultivation_period", 2012) == 120
    for species in ("goats", "horses", "mules_asses", "swine", "poultry"):
        years = ag[ag.key == species].year
        assert years.min() == 1992 and years.max() == 2020, species


def test_surrogate_of_a_predecessor_that_ends_the_year_before():
    # Eq. 5.2 with t the series' first year and s_t the proxy's last value (no common year)
    v, f = timeseries.surrogate([float("nan"), float("nan"), 10.0, 12.0], [40.0, 50.0, None, None])
    assert v.tolist() == pytest.approx([8.0, 10.0, 10.0, 12.0])  # 10 x 40/50, 10 x 50/50
    assert f.tolist() == ["S", "S", "", ""]
    with pytest.raises(ValueError, match="ends the year before"):  # a gap between them
        timeseries.surrogate([float("nan"), float("nan"), 10.0], [40.0, None, None])


def test_turkmen_1990_1991_follow_the_ussr_series():
    case = load_case(EXAMPLE)
    series, log = build_series(read_activity(case), case.inventory_settings)
    goats = series[("3.A.2.d", "head", "goats")]
    # y_1990 = y_1992 x USSR_1990 / USSR_1991 = 220000 x 6562000 / 6692000 (upstream rows)
    assert goats.values[:3].tolist() == pytest.approx([220000 * 6562000 / 6692000, 220000, 220000])
    assert goats.flags[:3].tolist() == ["S", "S", ""]
    rice = series[("3.C.7", "area_harvested", "continuously_flooded:non_flooded_gt180")]
    assert rice.values[0] == pytest.approx(28000 * 614000 / 599400)
    poultry = series[("3.A.2.i", "head", "poultry")]
    # (chickens + turkeys) 1992 x USSR (1137400 + 37900) / (1124000 + 37500), all x 1000
    assert poultry.values[0] == pytest.approx(7800e3 * 1175300 / 1161500)
    s = log[log["flag"] == "S"]
    assert set(s["year"]) == {1990, 1991} and s["technique"].str.contains("5.3.3.2").all()
    # the proxies themselves are not gap-filled
    assert not log["activity"].eq("surrogate_proxy").any()
