"""Manure-management CH4 by the 2019 Refinement Tier 1 (activity ``head_2019r``)."""

from __future__ import annotations

import numpy as np
import pytest

from openmrv.case import load_case
from openmrv.errors import FactorError
from openmrv.estimate.inventory import agriculture
from openmrv.factors import FactorLibrary

CAT = "category (IPCC2006)"

# goats, Eastern Europe, cool temperate moist climate (2019R tables as written in
# factors/data/ipcc2019r_v4c10_*.csv)
VS_RATE = 9.0  # kg VS / (1000 kg) / d, Table 10.13A
TAM = 36.0  # kg, Table 10A.5
B0 = 0.18  # m3 CH4 / kg VS
SHARES = {"pasture": 0.72, "solid_storage": 0.28}  # AWMS
MCF = {"pasture": 0.0047, "solid_storage": 0.02}  # Table 10.17, cool temperate moist


def _hand_ef() -> float:
    vs = VS_RATE * TAM / 1000 * 365  # kg VS / head / yr
    return vs * B0 * 0.67 * sum(MCF[s] * SHARES[s] for s in SHARES)


def test_table_values_used_in_the_hand_calculation():
    lib = FactorLibrary.default(
        qualifiers={"region": "Eastern Europe", "climate": "cool_temperate_moist"}
    )
    find = lib.lookup
    assert find("VS_rate", "3.A.2.d", activity="head", key="goats").value == VS_RATE
    assert find("TAM", "3.A.2.d", activity="head", key="goats").value == TAM
    assert find("B0", "3.A.2.d", activity="head", key="goats").value == B0
    for s, share in SHARES.items():
        assert find("AWMS", "3.A.2.d", activity="head", key=f"goats:{s}").value == pytest.approx(
            100 * share
        )
        assert find("MCF", "3.A.2.d", activity="head", key=s).value == pytest.approx(100 * MCF[s])


def test_pure_function_matches_hand_calculation():
    ef = agriculture.manure_ch4_ef_2019r(
        VS_RATE, TAM, B0, list(MCF.values()), [SHARES[s] for s in MCF]
    )
    # 118.26 kg VS x 0.18 x 0.67 x (0.0047 x 0.72 + 0.02 x 0.28)
    assert ef == pytest.approx(118.26 * 0.18 * 0.67 * (0.003384 + 0.0056))
    assert ef == pytest.approx(_hand_ef())


def _write_case(tmp_path, qualifiers: str, rows: str = ""):
    case = tmp_path / "manure"
    case.mkdir()
    (case / "case.yaml").write_text(
        "name: manure\ncountry: TKM\nyears: {first: 2000, last: 2001}\n"
        f"{qualifiers}activity: [a.csv]\n"
    )
    (case / "a.csv").write_text(
        "category,activity,key,year,value,unit,source,notes\n"
        "3.A.2.d,head_2019r,goats,2000,1000000,head,test,\n"
        "3.A.2.d,head_2019r,goats,2001,2000000,head,test,\n" + rows
    )
    return case


def test_mini_case_run(tmp_path):
    from openmrv.stages.inventory import estimate_inventory

    case = _write_case(
        tmp_path, "qualifiers: {region: Eastern Europe, climate: cool_temperate_moist}\n"
    )
    res = estimate_inventory(load_case(case))
    ds = res.dataset
    for year, heads in ((2000, 1e6), (2001, 2e6)):
        got = float(ds["CH4"].sel({CAT: "3.A.2.d", "time": str(year)}).values.squeeze())
        assert got == pytest.approx(_hand_ef() * heads / 1e6, rel=1e-9)
    rec = res.records()
    assert set(rec["method"]) == {"manure CH4, 2019R Tier 1 (Eq. 10.22A)"}
    assert rec["tier"].eq(1).all()
    fids = rec["factors"].iloc[0]
    assert "ipcc2019r_v4c10_awms" in fids and "ipcc2019r_v4c10_mcf" in fids
    # Monte Carlo model: central values back at ratio 1, linear in each factor row
    (est,) = res.estimates
    ones = lambda f: np.ones((3, 1))  # noqa: E731
    act = lambda s: np.ones((3, len(s.years)))  # noqa: E731
    np.testing.assert_allclose(est.simulate(ones, act), np.tile(est.values, (3, 1)))
    vs_row = est.factors[0]
    assert vs_row.parameter == "VS_rate"
    doubled = est.simulate(lambda f: np.full((3, 1), 2.0 if f is vs_row else 1.0), act)
    np.testing.assert_allclose(doubled, 2 * np.tile(est.values, (3, 1)))
    mcf_pasture = next(f for f in est.factors if f.parameter == "MCF" and f.key == "pasture")
    bumped = est.simulate(lambda f: np.full((3, 1), 2.0 if f is mcf_pasture else 1.0), act)
    share = MCF["pasture"] * SHARES["pasture"] / sum(MCF[s] * SHARES[s] for s in SHARES)
    np.testing.assert_allclose(bumped, (1 + share) * np.tile(est.values, (3, 1)))


def test_climate_by_table_and_missing_region(tmp_path):
    from openmrv.stages.inventory import estimate_inventory

    # the 2006 manure tables use climate=cool/temperate/warm; the 2019R MCF table gets
    # its own climate zone through qualifiers_by_table
    case = _write_case(
        tmp_path,
        "qualifiers: {region: Eastern Europe, climate: cool}\n"
        "qualifiers_by_table: {ipcc2019r_v4c10_mcf: {climate: cool_temperate_moist}}\n",
    )
    ds = estimate_inventory(load_case(case)).dataset
    got = float(ds["CH4"].sel({CAT: "3.A.2.d", "time": "2000"}).values.squeeze())
    assert got == pytest.approx(_hand_ef(), rel=1e-9)

    other = tmp_path / "x"
    other.mkdir()
    case2 = _write_case(other, "qualifiers: {climate: cool_temperate_moist}\n")
    with pytest.raises(FactorError):
        estimate_inventory(load_case(case2))
