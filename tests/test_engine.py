"""The engine on the mini case against hand-computed totals, and its invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmrv.case import load_case, read_activity
from openmrv.estimate.inventory import compile_inventory
from openmrv.factors import FactorLibrary
from openmrv.gwp import GWP_SETS, gwp
from openmrv.notation import read_notation_keys

CAT = "category (IPCC2006)"


def _run(case, scale=1.0, gwp_set=None):
    case = load_case(case)
    if gwp_set:
        case.gwp = gwp_set
    act = read_activity(case)
    act["value"] = act["value"] * scale
    lib = FactorLibrary.default(extra=case.factor_files, qualifiers=case.qualifiers)
    return compile_inventory(case, act, read_notation_keys(case), lib)


def _val(ds, gas, code, year):
    return float(ds[gas].sel({CAT: code, "time": str(year)}).values.squeeze())


def test_hand_computed_totals(mini_case):
    ds = _run(mini_case).dataset
    # 1.A.1.a: 3,000 TJ * 56,100 kg/TJ = 168.3 Gg CO2 in 2002
    assert _val(ds, "CO2", "1.A.1.a", 2002) == pytest.approx(168.3)
    # 1.B.2: 30 bcm = 30,000 x 10^6 m3; CH4 0.002 Gg per 10^6 m3 = 60 Gg; CO2 flaring 36 Gg
    assert _val(ds, "CH4", "1.B.2", 2002) == pytest.approx(60.0)
    assert _val(ds, "CO2", "1.B", 2002) == pytest.approx(36.0)
    # sheep with region=Asia factor (5 kg/head): 2 M head -> 10 Gg
    assert _val(ds, "CH4", "3.A.1.c", 2002) == pytest.approx(10.0)
    # national totals
    assert _val(ds, "CO2", "0", 2002) == pytest.approx(168.3 + 36.0)
    assert _val(ds, "CH4", "0", 2002) == pytest.approx(60.0 + 10.0 + 0.003)
    # AR5: CH4 28, N2O 265
    co2e = 204.3 + 70.003 * 28 + 0.0003 * 265
    assert _val(ds, "KYOTOGHG (AR5GWP100)", "0", 2002) == pytest.approx(co2e)
    # tiers and notation keys carried through
    assert str(ds["tier (CH4)"].sel({CAT: "3.A.1.c", "time": "2002"}).values.squeeze()) == "T2"
    nk = ds["notation_key (CO2)"].sel({CAT: "2.A.1", "time": "2002"}).values.squeeze()
    assert str(nk) == "NO"
    assert np.isnan(_val(ds, "CO2", "2.A.1", 2002))


def test_records_trace_to_factor_rows(mini_case):
    rec = _run(mini_case).records()
    row = rec[(rec.category == "3.A.1.c") & (rec.year == 2002)].iloc[0]
    assert row.factors == "factors_cs:7"  # line 7 of factors_cs.csv: region=Asia, 5 kg
    assert "synthetic test factor" in row.factor_sources


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.floats(0.01, 1000.0))
def test_linear_in_activity(mini_case, c):
    base = _run(mini_case).dataset
    scaled = _run(mini_case, scale=c).dataset
    for gas in ("CO2", "CH4", "N2O"):
        np.testing.assert_allclose(
            scaled[gas].values, c * base[gas].values, rtol=1e-9, equal_nan=True
        )


@pytest.mark.parametrize("gwp_set", GWP_SETS)
def test_co2e_consistent_across_gwp_sets(mini_case, gwp_set):
    ds = _run(mini_case, gwp_set=gwp_set).dataset
    expected = sum(np.nan_to_num(ds[g].values) * gwp(g, gwp_set) for g in ("CO2", "CH4", "N2O"))
    got = np.nan_to_num(ds[f"KYOTOGHG ({gwp_set})"].values)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_gap_filling_is_flagged(mini_case):
    path = mini_case / "activity.csv"
    path.write_text(
        path.read_text().replace("3.A.1.c,head,sheep,2001,1000000,head,synthetic,\n", "")
    )
    (mini_case / "case.yaml").write_text(
        (mini_case / "case.yaml").read_text() + "gap_filling: interpolate\n"
    )
    res = _run(mini_case)
    # 2000: 1 M, 2002: 2 M -> 2001 interpolated 1.5 M head -> 7.5 Gg
    assert _val(res.dataset, "CH4", "3.A.1.c", 2001) == pytest.approx(7.5)
    log = res.gap_filling
    assert list(log[["category", "year", "flag"]].itertuples(index=False, name=None)) == [
        ("3.A.1.c", 2001, "I")
    ]


def test_reference_approach_eq_6_1(mini_case):
    ref = _run(mini_case).reference_approach.set_index("year")
    assert set(ref["fuel_family"]) == {"gaseous"}
    # 1,100 TJ x 15.3 t C/TJ x 44/12 = 61.71 Gg CO2 against 56.1 Gg sectoral (+10 %)
    assert ref.loc[2000, "reference_Gg_CO2"] == pytest.approx(1100 * 15.3e-3 * 44 / 12, 1e-6)
    assert ref.loc[2000, "sectoral_Gg_CO2"] == pytest.approx(56.1)
    assert ref.loc[2000, "apparent_consumption_TJ"] == pytest.approx(1100.0)  # the input
    assert ref.loc[2000, "difference_pct"] == pytest.approx(
        100 * (1100 * 15.3e-3 * 44 / 12 - 56.1) / 56.1, rel=1e-6
    )


def test_year_specific_country_factor(mini_case):
    # a plant- or year-specific Tier 2 row overrides the year-agnostic one in its year only
    header = (mini_case / "factors_cs.csv").read_text().splitlines()[0] + ",year"
    (mini_case / "factors_yearly.csv").write_text(
        header + "\nEF,3.A.1.c,head,sheep,,CH4,6,kg CH4 / head / yr,,,10,normal,"
        "national study,test,T9,,2001\n"
    )
    cfg = mini_case / "case.yaml"
    cfg.write_text(
        cfg.read_text().replace("[factors_cs.csv]", "[factors_cs.csv, factors_yearly.csv]")
    )
    res = _run(mini_case)
    assert _val(res.dataset, "CH4", "3.A.1.c", 2000) == pytest.approx(5.0)
    assert _val(res.dataset, "CH4", "3.A.1.c", 2001) == pytest.approx(6.0)
    rec = res.records().set_index(["category", "gas", "year"])
    assert rec.loc[("3.A.1.c", "CH4", 2001), "factors"] == "factors_yearly:2"


def test_managed_soils_direct_and_indirect(tmp_path):
    """3.C.4 and 3.C.5 with the 2019R Tier 1 factors for a wet climate, by hand."""
    case = tmp_path / "soils"
    case.mkdir()
    (case / "case.yaml").write_text(
        "name: soils\ncountry: TKM\nyears: {first: 2000, last: 2000}\n"
        "qualifiers: {climate: wet}\n"
        "factors: {prefer: [ipcc2019r_v4c11_t11.1_t11.3_soils]}\nactivity: [a.csv]\n"
    )
    (case / "a.csv").write_text(
        "category,activity,key,year,value,unit,source,notes\n"
        "3.C.4,n_applied,synthetic_fertiliser,2000,1000,t N,synthetic,\n"
        "3.C.5,n_applied,synthetic_fertiliser,2000,1000,t N,synthetic,\n"
    )
    from openmrv.stages.inventory import estimate_inventory

    ds = estimate_inventory(load_case(case)).dataset
    # 2019R Table 11.1: EF1 synthetic N, wet climate 0.016; Table 11.3: Frac_GASF 0.11,
    # EF4 wet 0.014, Frac_LEACH 0.24, EF5 0.011; kg N2O-N x 44/28
    direct = 1e6 * 0.016 * 44 / 28 / 1e6
    indirect = 1e6 * (0.11 * 0.014 + 0.24 * 0.011) * 44 / 28 / 1e6
    assert _val(ds, "N2O", "3.C.4", 2000) == pytest.approx(direct, rel=1e-6)
    assert _val(ds, "N2O", "3.C.5", 2000) == pytest.approx(indirect, rel=1e-6)


def test_recalculation_report(mini_case, tmp_path):
    from typer.testing import CliRunner

    from openmrv.cli import app

    runner = CliRunner()
    assert (
        runner.invoke(app, ["inventory", str(mini_case), "-o", str(tmp_path / "a")]).exit_code == 0
    )
    path = mini_case / "activity.csv"
    path.write_text(
        path.read_text().replace(
            "3.A.1.c,head,sheep,2001,1000000", "3.A.1.c,head,sheep,2001,1200000"
        )
    )
    assert (
        runner.invoke(app, ["inventory", str(mini_case), "-o", str(tmp_path / "b")]).exit_code == 0
    )
    res = runner.invoke(app, ["recalc", str(tmp_path / "a"), str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert "activity.csv" in res.output and "changed" in res.output
    import pandas as pd

    # written beside the run folders: the current one still verifies against its manifest
    ch = pd.read_csv(tmp_path / "recalculation_a_to_b.csv")
    assert runner.invoke(app, ["verify-manifest", str(tmp_path / "b")]).exit_code == 0
    row = ch[(ch.category == "3.A.1.c") & (ch.year == 2001)].iloc[0]
    # 200,000 more sheep x 5 kg CH4 = 1 Gg CH4
    assert row.difference_Gg == pytest.approx(1.0)
    assert set(ch.year) == {2001}


def _splice_case(mini_case, extra_rows: str, drop: str, spec: str):
    path = mini_case / "activity.csv"
    path.write_text(path.read_text().replace(drop, "") + extra_rows)
    cfg = mini_case / "case.yaml"
    cfg.write_text(cfg.read_text() + spec)
    return _run(mini_case)


def test_surrogate_splice_eq_5_2(mini_case):
    res = _splice_case(
        mini_case,
        "2.B.8.b,polyethylene_production,hdpe,2000,10,kt,proxy,\n"
        "2.B.8.b,polyethylene_production,hdpe,2001,30,kt,proxy,\n"
        "2.B.8.b,polyethylene_production,hdpe,2002,40,kt,proxy,\n",
        "3.A.1.c,head,sheep,2001,1000000,head,synthetic,\n",
        "gap_filling:\n  default: none\n  series:\n"
        "    - {category: 3.A.1.c, activity: head, key: sheep, method: surrogate,\n"
        "       proxy: {category: 2.B.8.b, activity: polyethylene_production, key: hdpe}}\n",
    )
    # ratio sheep/proxy: 1e5 in 2000, 5e4 in 2002 -> 7.5e4 in 2001 x 30 = 2.25 M head
    assert _val(res.dataset, "CH4", "3.A.1.c", 2001) == pytest.approx(2.25e6 * 5e-6)
    log = res.gap_filling
    assert list(log[["category", "year", "flag"]].itertuples(index=False, name=None)) == [
        ("3.A.1.c", 2001, "S")
    ]
    rec = res.records().set_index(["category", "gas", "year"])
    assert rec.loc[("3.A.1.c", "CH4", 2001), "activity_flag"] == "S"


def test_overlap_splice_eq_5_1(mini_case):
    res = _splice_case(
        mini_case,
        "3.A.1.c,head,sheep_old,2000,900000,head,older vintage,\n"
        "3.A.1.c,head,sheep_old,2001,950000,head,older vintage,\n"
        "3.A.1.c,head,sheep_old,2002,1800000,head,older vintage,\n",
        "3.A.1.c,head,sheep,2000,1000000,head,synthetic,\n",
        "gap_filling:\n  default: none\n  series:\n"
        "    - {category: 3.A.1.c, activity: head, key: sheep, method: overlap,\n"
        "       old: {category: 3.A.1.c, activity: head, key: sheep_old}}\n",
    )
    head_2000 = 900_000 * (1_000_000 + 2_000_000) / (950_000 + 1_800_000)
    assert _val(res.dataset, "CH4", "3.A.1.c", 2000) == pytest.approx(head_2000 * 5e-6)
    # the old vintage is spliced in, not estimated a second time
    assert _val(res.dataset, "CH4", "3.A.1.c", 2002) == pytest.approx(10.0)


def test_bad_splice_reference(mini_case):
    cfg = mini_case / "case.yaml"
    cfg.write_text(
        cfg.read_text() + "gap_filling:\n  series:\n"
        "    - {category: 3.A.1.c, activity: head, key: sheep, method: overlap,\n"
        "       old: {category: 3.A.1.c, activity: head, key: nothing}}\n"
    )
    from openmrv.errors import CaseError

    with pytest.raises(CaseError, match="nothing"):
        _run(mini_case)
