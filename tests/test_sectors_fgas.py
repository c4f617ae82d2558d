"""Refrigeration and air conditioning, 2.F.1 (issue 17), Tier 1a from the refrigerant charged
into new equipment, against hand calculations from IPCC 2006 Vol 3 Ch 7 Eq. 7.10, 7.12-7.14:

    E_t = M_t k + B_t x + M_(t-d) p (1 - eta_rec),  B_t = sum of M over the last d years,

with Table 7.9's ranges (midpoints): mobile AC d = 12 yr (9-16, rounded down),
k = 0.35 % (0.2-0.5), x = 15 %/yr (10-20), p = 25 % (0-50), eta_rec = 25 % (0-50);
chillers d = 22 yr (15-30), k = 0.6 % (0.2-1), x = 8.5 %/yr (2-15), p = 90 %, eta = 47.5 %.
CO2 equivalents with the AR5 GWPs of globalwarmingpotentials (HFC-134a 1300, HFC-32 677).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openmrv.case import load_case, read_activity
from openmrv.errors import CaseError
from openmrv.estimate.inventory import compile_inventory, fgases
from openmrv.gwp import gwp
from openmrv.notation import read_notation_keys
from openmrv.report.crt import crt_tables
from openmrv.stages.inventory import factor_library

CAT = "category (IPCC2006)"
MOBILE = "".join(
    f"2.F.1.b,refrigerant_charged_new,mobile_ac:HFC134a,{y},100,t,synthetic,\n"
    for y in range(2005, 2021)
)
CHILLERS = "".join(
    f"2.F.1.a,refrigerant_charged_new,chillers:HFC32,{y},10,t,synthetic,\n"
    for y in range(2015, 2021)
)
#: hand calculation for 2020 [t]: 100 x 0.0035 + 1200 x 0.15 + 100 x 0.25 x 0.75
MOBILE_2020_T = 100 * 0.0035 + 1200 * 0.15 + 100 * 0.25 * (1 - 0.25)  # 199.1 t
#: chillers, six years of history only: bank 60 t, nothing retired yet
CHILLERS_2020_T = 10 * 0.006 + 60 * 0.085  # 5.16 t


def _case(tmp_path: Path, rows: str, first: int = 2020) -> Path:
    (tmp_path / "activity.csv").write_text(
        "category,activity,key,year,value,unit,source,notes\n" + rows
    )
    (tmp_path / "case.yaml").write_text(
        f"name: neighbour\ncountry: UZB\nyears: {{first: {first}, last: 2020}}\n"
        "activity: [activity.csv]\n"
    )
    return tmp_path


def _inventory(folder: Path):
    c = load_case(folder)
    return compile_inventory(c, read_activity(c), read_notation_keys(c), factor_library(c))


def _val(ds, gas: str, code: str, year: int = 2020) -> float:
    return float(ds[gas].sel({CAT: code, "time": str(year)}).values.squeeze())


def test_bank_and_retirement_by_hand():
    m = [1.0, 2.0, 3.0, 4.0, 5.0]
    # lifetime 3: bank = the last three years' charges, retired = the charge of t - 3
    assert fgases.refrigerant_bank(m, 3).tolist() == [1.0, 3.0, 6.0, 9.0, 12.0]
    assert fgases.retired_charge(m, 3).tolist() == [0.0, 0.0, 0.0, 1.0, 2.0]
    e = fgases.refrigeration_emissions(5.0, 12.0, 2.0, 0.01, 0.1, 0.5, 0.2)
    assert e == pytest.approx(5 * 0.01 + 12 * 0.1 + 2 * 0.5 * 0.8)  # 2.05 t
    with pytest.raises(ValueError, match="at least 1 year"):
        fgases.refrigerant_bank(m, 0)


def test_inventory_by_hand_with_co2e_and_crt(tmp_path):
    res = _inventory(_case(tmp_path, MOBILE + CHILLERS))
    ds = res.dataset
    assert _val(ds, "HFC134a", "2.F.1.b") == pytest.approx(MOBILE_2020_T * 1e-3)
    assert _val(ds, "HFC32", "2.F.1.a") == pytest.approx(CHILLERS_2020_T * 1e-3)
    co2e = (MOBILE_2020_T * 1300 + CHILLERS_2020_T * 677) * 1e-3  # 262.32 Gg CO2e
    assert gwp("HFC134a", "AR5GWP100") == 1300 and gwp("HFC32", "AR5GWP100") == 677
    assert _val(ds, "KYOTOGHG (AR5GWP100)", "2.F.1") == pytest.approx(co2e)
    assert _val(ds, "KYOTOGHG (AR5GWP100)", "0") == pytest.approx(co2e)
    rec = res.records()
    labels = dict(zip(rec["category"], rec["method"], strict=True))
    assert "bank low" in labels["2.F.1.a"] and "bank low" not in labels["2.F.1.b"]
    summary = crt_tables(ds)["Summary1"]
    row = summary[(summary["code"] == "2.F") & (summary["year"] == 2020)].iloc[0]
    assert row["HFCs [kt CO2 eq]"] == pytest.approx(co2e)
    assert row["Total GHG [kt CO2 eq]"] == pytest.approx(co2e)
    total = summary[(summary["code"] == "Total") & (summary["year"] == 2020)].iloc[0]
    assert total["Total GHG [kt CO2 eq]"] == pytest.approx(co2e)


def test_a_case_without_fgases_keeps_its_variables(tmp_path):
    rows = "2.A.2,lime_production,unspecified,2020,100,kt,synthetic,\n"
    ds = _inventory(_case(tmp_path, rows)).dataset
    assert not [v for v in ds.data_vars if str(v).startswith("HFC")]
    # the CRT always has the column; without F-gas activity it holds notation keys only
    hfcs = crt_tables(ds)["Summary1"]["HFCs [kt CO2 eq]"]
    assert set(hfcs) <= {"NE", "NA"} and "NE" in set(hfcs)


def test_monte_carlo_model_follows_each_factor(tmp_path):
    res = _inventory(_case(tmp_path, MOBILE))
    (est,) = res.estimates
    i = list(est.series.years).index(2020)
    ones = lambda s: np.ones((1, s.values.size))  # noqa: E731
    x = next(f for f in est.factors if f.parameter == "EF_lifetime")
    eta = next(f for f in est.factors if f.parameter == "eta_rec")
    base = est.simulate(lambda f: np.ones((1, 1)), ones)[0, i]
    assert base == pytest.approx(MOBILE_2020_T * 1e-3)
    # doubling x doubles the lifetime term (1200 t x 0.15 = 180 t)
    got = est.simulate(lambda f: np.full((1, 1), 2.0 if f is x else 1.0), ones)[0, i]
    assert got == pytest.approx((MOBILE_2020_T + 180) * 1e-3)
    # eta_rec drawn at 2 x 25 % = 50 %: end of life 100 x 0.25 x 0.5 = 12.5 t instead of 18.75
    got = est.simulate(lambda f: np.full((1, 1), 2.0 if f is eta else 1.0), ones)[0, i]
    assert got == pytest.approx((MOBILE_2020_T - 18.75 + 12.5) * 1e-3)


def test_bad_keys_and_categories_are_refused(tmp_path):
    rows = "2.F.1.a,refrigerant_charged_new,mobile_ac:HFC134a,2020,1,t,synthetic,\n"
    with pytest.raises(CaseError, match=r"mobile_ac belongs under 2\.F\.1\.b"):
        _inventory(_case(tmp_path, rows))
    rows = "2.F.1.a,refrigerant_charged_new,chillers:R410A,2020,1,t,synthetic,\n"
    with pytest.raises(CaseError, match="component HFCs"):
        _inventory(_case(tmp_path, rows))
