"""The improvement plan (issue 13 item 6): each way into the plan on constructed tables
with expected values worked out by hand, the what-if rule below and above the inventory,
the table's validation and report section, and the Turkmenistan case's plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openmrv import runfolder as rf
from openmrv.report.improvement import planned_improvements
from openmrv.verify import improvement as imp

LOW = rf.VERDICTS["likely_low"]
BELOW = rf.VERDICTS["below_lower_bound"]
NO_CONTRA = rf.VERDICTS["no_contradiction"]


# --------------------------------------------------------------------------- helpers
def _approach1() -> pd.DataFrame:
    """Four (category, gas) with D [kt CO2e] and G [%]; H = (G D)^2 / (sum D)^2.

    By hand: (G D)^2 = A 1000^2 = 1.0e6, B 900^2 = 8.1e5, C 200^2 = 4.0e4,
    E 300^2 = 9.0e4; sum 1.94e6; shares A 0.51546, B 0.41753, E 0.04639, C 0.02062.
    Largest first, cumulative: A 0.515, A+B 0.933 (crosses 0.9), +E 0.979, +C 1.
    """
    d = {"A": 100.0, "B": 50.0, "C": 200.0, "E": 10.0}
    g = {"A": 10.0, "B": 18.0, "C": 1.0, "E": 30.0}
    total_d = sum(d.values())
    return pd.DataFrame(
        {
            "category": ["1.A.1", "1.B.2.b.iii.2", "2.A.1", "3.A.1"],
            "gas": ["CO2", "CH4", "CO2", "CH4"],
            "D": list(d.values()),
            "G": list(g.values()),
            "H": [(g[k] * d[k]) ** 2 / total_d**2 for k in d],
        }
    )


def _key(cats: list[tuple[str, str, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "category": [c for c, _, _ in cats],
            "gas": [g for _, g, _ in cats],
            "key_category": [k for _, _, k in cats],
            "latest_year_Gg_CO2e": [100.0] * len(cats),
        }
    )


def _inventory(cats) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "category": [c for c, _, _ in cats],
            "gas": [g for _, g, _ in cats],
            "value_kt": 10.0,
            "low_kt": 5.0,
            "high_kt": 20.0,
        }
    )


def _verification(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["category", "gas", "evidence", "evidence_year", "flag", "osse"]
    )


# --------------------------------------------------------------------------- variance share
def test_variance_shares_by_hand():
    s = imp.variance_shares(_approach1()).set_index("category")["variance_share"]
    assert s["1.A.1"] == pytest.approx(1.0e6 / 1.94e6)
    assert s["1.B.2.b.iii.2"] == pytest.approx(8.1e5 / 1.94e6)
    assert s["3.A.1"] == pytest.approx(9.0e4 / 1.94e6)
    assert s["2.A.1"] == pytest.approx(4.0e4 / 1.94e6)
    assert s.sum() == pytest.approx(1.0)


def test_variance_cut_at_90_percent_includes_the_crossing_category():
    shares = imp.variance_shares(_approach1())
    assert imp.largest_variance(shares, 0.9) == {("1.A.1", "CO2"), ("1.B.2.b.iii.2", "CH4")}
    # A alone (0.515) reaches half
    assert imp.largest_variance(shares, 0.5) == {("1.A.1", "CO2")}
    # 0.933 < 0.95: E (0.046) is needed, and crosses
    assert imp.largest_variance(shares, 0.95) == {
        ("1.A.1", "CO2"),
        ("1.B.2.b.iii.2", "CH4"),
        ("3.A.1", "CH4"),
    }
    assert imp.parameter("variance_share_cumulative", "1") == 0.9


# --------------------------------------------------------------------------- category rows
def test_each_path_into_the_plan():
    cats = [
        ("1.A.1", "CO2", True),  # in the 90 % (T2)
        ("1.B.2.b.iii.2", "CH4", True),  # in the 90 % (T2), crossing
        ("2.A.1", "CO2", True),  # Tier 1 key category, small variance
        ("3.A.1", "CH4", True),  # T2, small variance, no evidence: not in the plan
        ("4.A.1", "CH4", True),  # T2, likely-low evidence on 4.A: in the plan
        ("5.A", "CO2", False),  # Tier 1 but not key: not in the plan
    ]
    tiers = pd.DataFrame(
        {
            "category": [c for c, _, _ in cats],
            "gas": [g for _, g, _ in cats],
            "tier": [2, 2, 1, 2, 2, 1],
        }
    )
    a1 = pd.concat(
        [
            _approach1(),
            pd.DataFrame(
                {"category": ["4.A.1"], "gas": ["CH4"], "D": [1.0], "G": [1.0], "H": [0.0]}
            ),
        ],
        ignore_index=True,
    )
    ver = _verification(
        [
            ("4.A", "CH4", "published estimate: X 2024, TROPOMI", 2020, LOW, False),
            ("0", "CO2", "inversion (OSSE, synthetic)", 2020, LOW, True),  # OSSE: ignored
        ]
    )
    rows = imp.category_rows(_key(cats), tiers, a1, _inventory(cats), ver, 2020)
    got = rows.set_index("category")
    assert set(got.index) == {"1.A.1", "1.B.2.b.iii.2", "2.A.1", "4.A.1"}
    # order: the category-specific likely-low first, then by variance share
    assert rows["category"].tolist() == ["4.A.1", "1.A.1", "1.B.2.b.iii.2", "2.A.1"]
    assert got.loc["4.A.1", "top_down_verdict"] == LOW
    assert "(all of 4.A)" in got.loc["4.A.1", "top_down_evidence"]
    assert "does not say how much of the gap lies here" in got.loc["4.A.1", "reason"]
    assert got.loc["1.A.1", "top_down_verdict"] == ""  # the OSSE row is not evidence
    assert "51.5 %" in got.loc["1.A.1", "reason"] and "Tier 1" not in got.loc["1.A.1", "reason"]
    assert "41.8 %" in got.loc["1.B.2.b.iii.2", "reason"]
    assert "Tier 1" in got.loc["2.A.1", "reason"] and "variance" not in got.loc["2.A.1", "reason"]
    assert got.loc["2.A.1", "tier"] == "T1"
    # the step of the most specific row of improvement_steps.csv
    assert got.loc["1.B.2.b.iii.2", "guideline"] == imp.step_for("1.B.2")["guideline"]
    assert "Vol 2 Ch 4" in got.loc["1.B.2.b.iii.2", "guideline"]


def test_national_likely_low_is_named_but_not_placed_in_a_category():
    cats = [("1.B.2.b.iii.2", "CH4", True), ("1.A.1", "CO2", True)]
    tiers = pd.DataFrame({"category": ["1.B.2.b.iii.2", "1.A.1"], "gas": ["CH4", "CO2"],
                          "tier": [2, 2]})  # fmt: skip
    ver = _verification(
        [
            ("0", "CH4", "published estimate: Chen 2023, TROPOMI", 2019, LOW, False),
            ("1.B.2", "CH4", "plume catalogue: SRON", 2021, NO_CONTRA, False),
        ]
    )
    rows = imp.category_rows(_key(cats), tiers, _approach1(), _inventory(cats), ver, 2020)
    r = rows.set_index("category").loc["1.B.2.b.iii.2"]
    assert r["top_down_verdict"] == LOW  # the most telling verdict of its evidence
    assert r["top_down_evidence"] == (
        "published estimate: Chen 2023, TROPOMI 2019 (the national CH4 total)"
    )
    # the lower-bound likely-low on 1.B.2 is the category's own evidence
    ver2 = _verification([("1.B.2", "CH4", "plume catalogue: SRON", 2021, BELOW, False)])
    r2 = imp.category_rows(_key(cats), tiers, _approach1(), _inventory(cats), ver2, 2020)
    assert r2["category"].tolist()[0] == "1.B.2.b.iii.2"
    assert r2.iloc[0]["top_down_verdict"] == BELOW


def test_step_for_takes_the_longest_prefix():
    assert imp.step_for("1.B.2.b.iii.2")["category"] == "1.B.2"
    assert imp.step_for("3.A.2.a.i")["category"] == "3.A.2"
    assert imp.step_for("3.A.1.a.i")["category"] == "3.A"
    assert imp.step_for("5.A")["category"] == ""  # the default row
    assert imp.step_for("1.B.2", "site")["applies_to"] == "site"


def test_approach1_interval():
    assert imp.approach1_interval(100.0, 30.0) == pytest.approx((70.0, 130.0))
    assert imp.approach1_interval(100.0, 150.0) == pytest.approx((0.0, 250.0))


# --------------------------------------------------------------------------- sites
def _sites() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "facility_id": ["F1", "F2", "cell 37.6N 61.6E", "F4"],
            "days_detected": [3, 2, 5, 9],
            "coverage": ["sufficient", "sufficient", "sufficient", "insufficient"],
            "annual_kt": [30.0, 80.0, 20.0, np.nan],
            "annual_low_kt": [10.0, 40.0, 5.0, np.nan],
            "annual_high_kt": [60.0, 150.0, 50.0, np.nan],
        }
    )


def test_persistent_threshold_three_days_against_two():
    assert imp.parameter("persistent_min_days", "day") == 3
    three = imp.persistent_sites(_sites())
    assert three["facility_id"].tolist() == ["F1", "cell 37.6N 61.6E"]  # 2 days: out
    two = imp.persistent_sites(_sites(), min_days=2)
    assert two["facility_id"].tolist() == ["F2", "F1", "cell 37.6N 61.6E"]  # by rate
    # not annualised (too few valid views): never persistent, whatever its days
    assert "F4" not in imp.persistent_sites(_sites(), min_days=1)["facility_id"].tolist()


def test_site_rows_names_and_limit():
    p = imp.persistent_sites(_sites())
    rows = imp.site_rows(p, {"F1": "Korpeje gas field"}, "plume catalogue: SRON", 2021)
    assert rows["name"].tolist() == ["Korpeje gas field", "unattributed emitter in 37.6N 61.6E"]
    assert rows["facility_id"].tolist() == ["F1", ""]
    assert rows.iloc[0]["low_kt"] == 10.0 and rows.iloc[0]["high_kt"] == 60.0
    assert "3 distinct days of 2021" in rows.iloc[0]["reason"]
    assert len(imp.site_rows(p, {}, "x", 2021, max_sites=1)) == 1


# --------------------------------------------------------------------------- what-if
def _correlated_draws():
    """Two sites, 30 and 20 kt, both scaled by one shared factor f per draw: f on an even
    grid 0.5 ... 1.5 (1001 points), whose 2.5 / 97.5 % points are 0.525 and 1.475."""
    f = np.linspace(0.5, 1.5, 1001)
    draws = np.column_stack([30.0 * f, 20.0 * f])
    persistent = pd.DataFrame({"facility_id": ["S1", "S2"], "annual_kt": [30.0, 20.0]})
    return persistent, draws


def test_sum_interval_from_the_draws_not_quadrature():
    _, draws = _correlated_draws()
    # columns found by site id: here column 0 is S2 (30 f), column 1 is S1 (20 f)
    one = imp.persistent_sum(draws, ("S2", "S1"), ["S1"])
    assert np.percentile(one, [2.5, 97.5]) == pytest.approx((20 * 0.525, 20 * 1.475))
    s = imp.persistent_sum(draws, ("S2", "S1"), ["S1", "S2"])
    lo, hi = np.percentile(s, [2.5, 97.5])
    assert (lo, hi) == pytest.approx((50 * 0.525, 50 * 1.475))  # 26.25, 73.75
    # independent sites in quadrature would give a narrower sum: +/- sqrt(14.25^2 + 9.5^2)
    quad = np.hypot(30 * 0.475, 20 * 0.475)
    assert hi - 50 > quad + 5


def test_what_if_plume_sum_below_the_inventory():
    persistent, draws = _correlated_draws()
    s = draws.sum(axis=1)  # 26.25 - 73.75 at 95 %, central 50
    rows = imp.what_if_rows(persistent, s, (100.0, 60.0, 150.0), (500.0, 400.0, 650.0),
                            "plume catalogue: SRON", 2021, 2020)  # fmt: skip
    b, n = rows.iloc[0], rows.iloc[1]
    assert (b["category"], n["category"]) == ("1.B.2", "0")
    assert (b["value_kt"], b["low_kt"], b["high_kt"]) == pytest.approx((100.0, 60.0, 150.0))
    assert (n["value_kt"], n["low_kt"], n["high_kt"]) == pytest.approx((500.0, 400.0, 650.0))
    assert "max(inventory 1.B.2, sum of the 2 persistent sites" in b["reason"]
    assert "keeps the inventory" in b["reason"] and "lower bound" in b["reason"]
    assert "50 kt (95 %: 26-74" in b["reason"]
    assert "lower end rises" not in b["reason"]  # 26.25 < 60
    # an inventory whose lower end (20) is below the sum's (26.25): that end rises
    r = imp.what_if_rows(persistent, s, (100.0, 20.0, 150.0), (500.0, 400.0, 650.0), "x",
                         2021, 2020)  # fmt: skip
    assert r.iloc[0]["low_kt"] == pytest.approx(26.25)
    assert r.iloc[1]["low_kt"] == pytest.approx(406.25)
    assert r.iloc[0]["value_kt"] == 100.0 and "lower end rises" in r.iloc[0]["reason"]


def test_what_if_plume_sum_above_the_inventory():
    persistent, draws = _correlated_draws()
    rows = imp.what_if_rows(persistent, draws.sum(axis=1), (40.0, 30.0, 55.0),
                            (500.0, 400.0, 650.0), "plume catalogue: SRON", 2021, 2020)  # fmt: skip
    b, n = rows.iloc[0], rows.iloc[1]
    # 1.B.2 = max(40, 50) = 50; low max(30, 26.25) = 30; high max(55, 73.75) = 73.75
    assert (b["value_kt"], b["low_kt"], b["high_kt"]) == pytest.approx((50.0, 30.0, 73.75))
    # national + (50 - 40), + (30 - 30), + (73.75 - 55)
    assert (n["value_kt"], n["low_kt"], n["high_kt"]) == pytest.approx((510.0, 400.0, 668.75))
    assert "sets 1.B.2" in b["reason"] and "the what-if is a lower bound too" in b["reason"]


# --------------------------------------------------------------------------- table, report
def _plan() -> pd.DataFrame:
    cats = [("1.A.1", "CO2", True), ("1.B.2.b.iii.2", "CH4", True)]
    tiers = pd.DataFrame({"category": ["1.A.1", "1.B.2.b.iii.2"], "gas": ["CO2", "CH4"],
                          "tier": [1, 1]})  # fmt: skip
    rows = imp.category_rows(_key(cats), tiers, _approach1(), _inventory(cats), None, 2020)
    p = imp.persistent_sites(_sites())
    persistent, draws = _correlated_draws()
    return imp.assemble(
        rows,
        imp.site_rows(p, {"F1": "Korpeje gas field"}, "plume catalogue: SRON", 2021),
        imp.what_if_rows(persistent, draws.sum(axis=1), (40.0, 30.0, 55.0),
                         (500.0, 400.0, 650.0), "plume catalogue: SRON", 2021, 2020),
    )  # fmt: skip


def test_assembled_plan_validates_and_bad_one_does_not():
    plan = _plan()
    assert tuple(plan.columns) == rf.IMPROVEMENT_PLAN_COLUMNS
    assert plan["priority"].tolist()[:4] == [1, 2, 3, 4]
    assert plan["priority"].iloc[4:].isna().all()
    rf.validate_improvement_plan(plan)
    bad = plan.copy()
    bad.loc[0, "kind"] = "wish"
    with pytest.raises(rf.OutputFormatError, match="unknown kind"):
        rf.validate_improvement_plan(bad)
    bad = plan.copy()
    bad.loc[0, "low_kt"] = bad.loc[0, "value_kt"] + 1
    with pytest.raises(rf.OutputFormatError, match="low_kt <= value_kt"):
        rf.validate_improvement_plan(bad)


def test_report_section(tmp_path: Path):
    assert planned_improvements(tmp_path) == ""
    _plan().to_csv(tmp_path / rf.IMPROVEMENT_PLAN_CSV, index=False)
    text = planned_improvements(tmp_path)
    assert "Planned improvements" in text
    assert "Korpeje gas field" in text and "lower bound too" in text
    rf.read_table(tmp_path, rf.IMPROVEMENT_PLAN_CSV)  # declared columns, validator


# --------------------------------------------------------------------------- Turkmenistan
ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def tkm():
    from openmrv.pipeline import RunChain
    from openmrv.stages import uncertainty

    ch = RunChain.from_folder(ROOT / "examples" / "turkmenistan")
    ch.run_inventory()
    # fewer Monte Carlo draws than the case's: the plan's choices rest on Approach 1
    ch.results.uncertainty = uncertainty.compute(ch.case, ch.results.result, draws=2000)
    ch.run_plumes().run_verification().run_improvement()
    return ch


def test_turkmenistan_plan(tkm):
    plan = tkm.results.improvement
    rf.validate_improvement_plan(plan)
    unc = tkm.results.uncertainty
    # by hand from Approach 1's own columns: (G D)^2 per category and gas over the sum
    a1 = unc.approach1
    gd2 = ((a1["G"] * a1["D"]) ** 2).groupby([a1["category"], a1["gas"]]).sum()
    share = gd2 / gd2.sum()
    top = share.idxmax()
    assert top == ("1.B.2.b.iii.2", "CH4")  # gas production: the largest share
    first = plan.iloc[0]
    assert (first["category"], first["gas"]) == top
    assert first["variance_share"] == pytest.approx(share[top])
    assert (
        f"{100 * share[top]:.1f} % of the national total's Approach 1 variance" in (first["reason"])
    )
    assert "Tier 1" in first["reason"] and first["tier"] == "T1"
    # the published national estimate (Chen 2023) says likely low: named, at its level
    assert first["top_down_verdict"] == LOW
    assert "Chen 2023" in first["top_down_evidence"]
    assert "national CH4 total" in first["top_down_evidence"]
    # every key category at Tier 1 is in the plan (all of this case's are Tier 1)
    key = unc.key_categories[unc.key_categories["key_category"]]
    cat_rows = plan[plan["kind"] == "category"]
    assert set(zip(cat_rows["category"], cat_rows["gas"], strict=True)) == set(
        zip(key["category"], key["gas"], strict=True)
    )
    # persistent sites: from the plume stage's annualised sites, >= 3 days, by rate
    sites = tkm.results.plumes.catalogue.annual[2021].sites
    ok = sites[(sites["coverage"] == "sufficient") & (sites["days_detected"] >= 3)]
    site_rows = plan[plan["kind"] == "site"]
    assert len(site_rows) == min(10, len(ok))
    assert site_rows["value_kt"].tolist() == pytest.approx(
        sorted(ok["annual_kt"], reverse=True)[:10]
    )
    # what-if: 1.B.2 = max(inventory 1.B.2 of 2020, the persistent sites' sum)
    ds = tkm.results.result.dataset
    inv_1b2 = float(ds["CH4"].sel({ds.attrs["cat"]: "1.B.2", "time": "2020"}).values.squeeze())
    wif = plan[plan["kind"] == "what-if"].set_index("category")
    assert wif.loc["1.B.2", "value_kt"] == pytest.approx(max(inv_1b2, ok["annual_kt"].sum()))
    assert f"sum of the {len(ok)} persistent sites" in wif.loc["1.B.2", "reason"]
    assert "lower bound" in wif.loc["1.B.2", "reason"]
