"""LULUCF Tier 1 (issue 17): mineral-soil carbon of cropland remaining cropland (3.B.2.a,
CRT 4.B) and grassland remaining grassland (3.B.3.a, CRT 4.C), against hand calculations
from IPCC 2006 Vol 4 Ch 2 Eq. 2.25:

    SOC = SOC_REF x F_LU x F_MG x F_I x A,  dC = (SOC_t - SOC_(t-20)) / 20,  CO2 = -dC x 44/12

with the 2019R defaults for a warm temperate dry climate, high-activity clay soil:
SOC_REF 38 t C/ha (Table 2.3); cropland annual F_LU 0.76, full till 1.00, no till 1.04,
medium input 1.00 (Table 5.5); grassland nominally managed 1.00, severely degraded 0.70
(Table 6.2). Removals are negative emissions; the national total (category 0, CRT Total)
includes them, the total without LULUCF does not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openmrv.case import load_case, read_activity
from openmrv.errors import CaseError
from openmrv.estimate.inventory import compile_inventory, lulucf
from openmrv.notation import read_notation_keys
from openmrv.report.crt import WITHOUT_LULUCF, crt_tables, lulucf_codes, total_without_lulucf
from openmrv.stages.inventory import factor_library

CAT = "category (IPCC2006)"
C_TO_CO2 = 44 / 12


def _rows(cat: str, key: str, values: dict[int, float]) -> str:
    return "".join(f"{cat},land_area,{key},{y},{v},ha,synthetic,\n" for y, v in values.items())


# 1,000 ha move from full to no tillage between 2000 and 2020 (linear), 100,000 ha stay
NO_TILL = {y: 1000.0 * max(y - 2000, 0) / 20 for y in range(1999, 2021)}
FULL_TILL = {y: 101000.0 - NO_TILL[y] for y in range(1999, 2021)}
# 5,000 ha of grassland degrade severely between 1999 and 2019, then stay
DEGRADED = {y: 5000.0 * min(y - 1999, 20) / 20 for y in range(1999, 2021)}
NOMINAL = {y: 50000.0 - DEGRADED[y] for y in range(1999, 2021)}
ROWS = (
    _rows("3.B.2.a", "HAC:annual:full_till:medium", FULL_TILL)
    + _rows("3.B.2.a", "HAC:annual:no_till:medium", NO_TILL)
    + _rows("3.B.3.a", "HAC:nominally_managed", NOMINAL)
    + _rows("3.B.3.a", "HAC:severely_degraded", DEGRADED)
    + "2.A.2,lime_production,unspecified,2019,100,kt,synthetic,\n"
    + "2.A.2,lime_production,unspecified,2020,100,kt,synthetic,\n"
)


def _case(tmp_path: Path, rows: str = ROWS) -> Path:
    (tmp_path / "activity.csv").write_text(
        "category,activity,key,year,value,unit,source,notes\n" + rows
    )
    (tmp_path / "case.yaml").write_text(
        "name: neighbour\ncountry: UZB\nyears: {first: 2019, last: 2020}\n"
        "qualifiers: {climate: warm_temperate_dry}\nactivity: [activity.csv]\n"
    )
    return tmp_path


def _inventory(folder: Path):
    c = load_case(folder)
    return compile_inventory(c, read_activity(c), read_notation_keys(c), factor_library(c))


def _val(ds, var: str, code: str, year: int) -> float:
    return float(ds[var].sel({CAT: code, "time": str(year)}).values.squeeze())


def _cropland_by_hand(year: int) -> float:
    """Gg CO2: only the tillage change moves the stock (both strata are annual, medium)."""
    stock = lambda y: 38 * 0.76 * (FULL_TILL[y] * 1.00 + NO_TILL[y] * 1.04)  # noqa: E731
    return -(stock(year) - stock(year - 20)) / 20 * C_TO_CO2 * 1e-3


def _grassland_by_hand(year: int) -> float:
    stock = lambda y: 38 * (NOMINAL[y] * 1.00 + DEGRADED[y] * 0.70)  # noqa: E731
    return -(stock(year) - stock(year - 20)) / 20 * C_TO_CO2 * 1e-3


def test_pure_equations_by_hand():
    assert lulucf.soc_stock(100.0, 38.0, 0.76, 1.04, 1.0) == pytest.approx(3003.52)
    change = lulucf.soc_change([100.0, 110.0, 130.0], 2)
    assert np.isnan(change[:2]).all() and change[2] == pytest.approx(15.0)
    assert lulucf.co2_from_carbon_change(3.0, C_TO_CO2) == pytest.approx(-11.0)


def test_removals_and_emissions_by_hand(tmp_path):
    ds = _inventory(_case(tmp_path)).dataset
    # cropland 2020: 1,000 ha x 38 x 0.76 x 0.04 = 1,155.2 t C gained over 20 yr
    # -> 57.76 t C/yr -> -211.79 t CO2 = -0.21179 Gg (a removal)
    assert _cropland_by_hand(2020) == pytest.approx(-0.2117867, rel=1e-6)
    assert _val(ds, "CO2", "3.B.2.a", 2020) == pytest.approx(_cropland_by_hand(2020))
    assert _val(ds, "CO2", "3.B.2.a", 2019) == pytest.approx(_cropland_by_hand(2019))
    # grassland 2020: 4,750 ha degraded since 2000 -> 4,750 x 38 x 0.30 / 20 = 2,707.5 t C
    # lost per yr -> +9,927.5 t CO2 = +9.9275 Gg (an emission)
    assert _grassland_by_hand(2020) == pytest.approx(9.9275, rel=1e-6)
    assert _val(ds, "CO2", "3.B.3.a", 2020) == pytest.approx(_grassland_by_hand(2020))
    # with LULUCF: category 0 adds the land; without: lime only (100 kt x 0.75)
    lime = 75.0
    land = _cropland_by_hand(2020) + _grassland_by_hand(2020)
    assert _val(ds, "CO2", "0", 2020) == pytest.approx(lime + land)
    assert lulucf_codes()[:2] == ["3.B", "3.C.1.a"]
    without = total_without_lulucf(ds, "KYOTOGHG (AR5GWP100)")
    assert without[-1] == pytest.approx(lime)


def test_crt_summary_totals_with_and_without_lulucf(tmp_path):
    ds = _inventory(_case(tmp_path)).dataset
    s2 = crt_tables(ds)["Summary2"]
    s2 = s2[s2["year"] == 2020].set_index("code")
    lime, crop, grass = 75.0, _cropland_by_hand(2020), _grassland_by_hand(2020)
    assert s2.loc["4", "Total [kt CO2 eq]"] == pytest.approx(crop + grass)
    assert s2.loc["Total", "Total [kt CO2 eq]"] == pytest.approx(lime + crop + grass)
    assert s2.loc[WITHOUT_LULUCF, "Total [kt CO2 eq]"] == pytest.approx(lime)
    s1 = crt_tables(ds)["Summary1"]
    s1_2020 = s1[s1["year"] == 2020].set_index("code")
    assert s1_2020.loc["4.B", "CO2 [kt]"] == pytest.approx(crop)
    assert s1_2020.loc["4.C", "CO2 [kt]"] == pytest.approx(grass)
    memo = s1[(s1["code"] == WITHOUT_LULUCF) & (s1["year"] == 2019)].iloc[0]
    assert memo["CO2 [kt]"] == pytest.approx(lime)


def test_no_memo_row_without_lulucf_numbers(tmp_path):
    rows = "".join(f"2.A.2,lime_production,unspecified,{y},100,kt,s,\n" for y in (2019, 2020))
    ds = _inventory(_case(tmp_path, rows)).dataset
    assert WITHOUT_LULUCF not in set(crt_tables(ds)["Summary2"]["code"])


def test_monte_carlo_model_follows_factors_and_areas(tmp_path):
    res = _inventory(_case(tmp_path))
    (est,) = [e for e in res.estimates if e.series.key == "HAC:annual:no_till:medium"]
    i = list(est.series.years).index(2020)
    ones = lambda s: np.ones((1, s.values.size))  # noqa: E731
    got = est.simulate(lambda f: np.ones((1, 1)), ones)[0, i]
    assert got == pytest.approx(est.values[i])
    soc = next(f for f in est.factors if f.parameter == "SOC_REF")
    got = est.simulate(lambda f: np.full((1, 1), 1.5 if f is soc else 1.0), ones)[0, i]
    assert got == pytest.approx(1.5 * est.values[i])

    # a 10 % larger area in 2020 only: 10 % of the 2020 stock term alone
    def area(s):
        r = np.ones((1, s.values.size))
        r[0, i] = 1.1
        return r

    got = est.simulate(lambda f: np.ones((1, 1)), area)[0, i]
    extra = -0.1 * 1000 * 38 * 0.76 * 1.04 / 20 * C_TO_CO2 * 1e-3
    assert got == pytest.approx(est.values[i] + extra)


def test_missing_history_and_bad_keys_are_refused(tmp_path):
    short = _rows("3.B.2.a", "HAC:annual:full_till:medium", {2010: 1.0, 2019: 1.0, 2020: 1.0})
    with pytest.raises(CaseError, match="give land_area from 1999"):
        _inventory(_case(tmp_path, short))
    bad = _rows("3.B.3.a", "HAC:improved", {y: 1.0 for y in range(1999, 2021)})
    with pytest.raises(CaseError, match=r"<soil>:<management>\[:<input>\]"):
        _inventory(_case(tmp_path, bad))


# --- forest land remaining forest land (3.B.1.a, CRT 4.A), gain-loss (Eq. 2.7, 2.9-2.13) ---
# temperate continental forest > 20 years, Asia: G_W 4.0 t d.m./ha/yr (Table 4.9); temperate
# conifers 50-150 t/ha: R 0.29 (Table 4.4); CF 0.47 (Table 4.3); temperate pines, growing
# stock 41-100 m3/ha: BCEF_R 0.83 t/m3 (Table 4.5)
FOREST = (
    "3.B.1.a,forest_area,temperate_continental:gt20:temperate_conifers_50_150,2020,10000,ha,s,\n"
    "3.B.1.a,wood_removals,temperate_conifers_50_150:temperate_pines:41_100,2020,20000,m**3,s,\n"
    "3.B.1.a,fuelwood_removals,temperate_conifers_50_150:temperate_pines:41_100,2020,5000,m**3,s,\n"
)
GAIN_GG = -10000 * 4.0 * (1 + 0.29) * 0.47 * C_TO_CO2 * 1e-3  # -88.924 Gg CO2
LOSS_GG = 25000 * 0.83 * (1 + 0.29) * 0.47 * C_TO_CO2 * 1e-3  # +46.129 Gg CO2


def _forest_case(tmp_path: Path, rows: str = FOREST) -> Path:
    (tmp_path / "activity.csv").write_text(
        "category,activity,key,year,value,unit,source,notes\n" + rows
    )
    (tmp_path / "case.yaml").write_text(
        "name: neighbour\ncountry: UZB\nyears: {first: 2020, last: 2020}\n"
        "qualifiers: {region: Asia}\nactivity: [activity.csv]\n"
    )
    return tmp_path


def test_forest_gain_loss_by_hand(tmp_path):
    assert lulucf.biomass_carbon_gain(1.0, 4.0, 0.29, 0.47) == pytest.approx(2.4252)
    assert lulucf.removal_carbon_loss(1.0, 0.83, 0.29, 0.47) == pytest.approx(0.503229)
    res = _inventory(_forest_case(tmp_path))
    ds = res.dataset
    assert GAIN_GG == pytest.approx(-88.924, rel=1e-5)
    assert _val(ds, "CO2", "3.B.1.a", 2020) == pytest.approx(GAIN_GG + LOSS_GG)  # -42.795
    s2 = crt_tables(ds)["Summary1"].set_index("code")
    assert s2.loc["4.A", "CO2 [kt]"] == pytest.approx(GAIN_GG + LOSS_GG)
    assert s2.loc["Total", "Total GHG [kt CO2 eq]"] == pytest.approx(GAIN_GG + LOSS_GG)
    assert s2.loc[WITHOUT_LULUCF, "Total GHG [kt CO2 eq]"] is None  # nothing else estimated
    (gain,) = [e for e in res.estimates if e.series.activity == "forest_area"]
    r = next(f for f in gain.factors if f.parameter == "R_root_shoot")
    ones = lambda s: np.ones((1, s.values.size))  # noqa: E731
    # R drawn 2x: (1 + 0.58) / (1 + 0.29) of the gain, not 2x
    got = gain.simulate(lambda f: np.full((1, 1), 2.0 if f is r else 1.0), ones)[0, 0]
    assert got == pytest.approx(GAIN_GG * 1.58 / 1.29)


def test_forest_keys_are_checked(tmp_path):
    rows = "3.B.1.a,forest_area,temperate_continental:gt20,2020,1,ha,s,\n"
    with pytest.raises(CaseError, match="<ecological zone>:<age class>:<R stratum>"):
        _inventory(_forest_case(tmp_path, rows))


def test_total_without_lulucf_is_empty_when_only_land_is_estimated(tmp_path):
    ds = _inventory(_forest_case(tmp_path)).dataset
    assert np.isnan(total_without_lulucf(ds, "CO2")).all()
    assert _val(ds, "CO2", "0", 2020) == pytest.approx(GAIN_GG + LOSS_GG)
