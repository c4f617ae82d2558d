"""Every verdict path of data/verdicts.csv on constructed cases, and the plume annual sum's
Monte Carlo against closed forms (a shared assumption is one common error)."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest

from openmrv import runfolder as rf
from openmrv.verify import annualise as an
from openmrv.verify import topdown as td

Z = 1.959963984540054
V = rf.VERDICTS


def _bu(value=100.0, low=80.0, high=120.0):
    return pd.DataFrame(
        [("1.B.2", "CH4", 2020, value, low, high)],
        columns=["category", "gas", "year", "value_kt", "low_kt", "high_kt"],
    )


def _td(value, sigma, kind="total", **extra):
    row = {"category": "1.B.2", "gas": "CH4", "year": 2020, "value_kt": value,
           "sigma_kt": sigma, "evidence": "test: constructed", "kind": kind, **extra}  # fmt: skip
    return pd.DataFrame([row])


def _verdict(bu, tdrow):
    return td.compare_topdown(bu, tdrow).iloc[0]


def test_the_table_holds_the_exact_strings_and_their_thresholds():
    with rf.VERDICTS_CSV_PATH.open() as fh:
        rows = {r["key"]: r for r in csv.DictReader(fh)}
    assert rf.VERIFICATION_FLAGS == tuple(r["verdict"] for r in rows.values())
    assert rows["no_contradiction"]["verdict"] == (
        "no contradiction (lower bound below the inventory)"
    )
    assert rows["below_lower_bound"]["evidence_kind"] == "lower_bound"
    assert rows["insufficient_coverage"]["evidence_kind"] == "any"
    # z threshold: the two-sided 95 % normal point
    assert float(rows["consistent"]["threshold"]) == pytest.approx(Z)
    # coverage threshold: 95 % relative half-width of p = 0.5 at most 50 %: (1.96 / 0.5)^2
    assert float(rows["insufficient_coverage"]["threshold"]) == math.ceil((Z / 0.5) ** 2)
    assert all(r["source"] for r in rows.values())


@pytest.mark.parametrize(
    ("value", "sigma", "expected"),
    [
        (105.0, 10.0, "consistent"),  # z = 5 / hypot(20/1.96, 10) = 0.35
        (160.0, 10.0, "inventory likely low"),  # z = 60 / 14.29 = 4.2
        (40.0, 5.0, "inventory likely high"),  # z = -60 / 11.36 = -5.3
    ],
)
def test_two_sided_paths(value, sigma, expected):
    out = _verdict(_bu(), _td(value, sigma))
    assert out["flag"] == expected
    assert out["z"] == pytest.approx((value - 100) / math.hypot(20 / Z, sigma))


def test_two_sided_not_comparable():
    out = _verdict(_bu(), _td(300.0, 10.0, sensitivity=0.1, sensitivity_measure="dofs"))
    assert out["flag"] == "not comparable (sensitivity too low)"


def test_evidence_whose_detection_limit_exceeds_the_inventory_is_not_comparable():
    # an interval wide enough to hold the inventory is not agreement when the evidence could
    # not have detected an inventory of that size (the XCH4 record at 5 degrees)
    wide = _td(105.0, 400.0, detection_limit_kt=150.0)
    out = _verdict(_bu(), wide)
    assert out["flag"] == "not comparable (sensitivity too low)"
    assert "detection limit" in out["explanation"]
    # the same evidence with a limit below the inventory is tested as usual
    assert _verdict(_bu(), _td(105.0, 400.0, detection_limit_kt=50.0))["flag"] == "consistent"


def test_lower_bound_above_the_inventory_is_likely_low():
    # the plume sum's own interval 130..400 (asymmetric): its lower bound 130 > 120
    out = _verdict(_bu(), _td(200.0, 70.0, "lower_bound", low_kt=130.0, high_kt=400.0))
    assert out["flag"] == "inventory likely low (below the observed lower bound)"
    assert (out["top_down_low_kt"], out["top_down_high_kt"]) == (130.0, 400.0)
    # z uses the lower half of the own interval: (200 - 130) / 1.96
    assert out["z"] == pytest.approx(100 / math.hypot(20 / Z, 70 / Z))
    assert "lower 95 % bound, 130.0 kt, is above" in out["explanation"]


def test_lower_bound_uses_its_own_interval_not_the_symmetric_sigma():
    # value - 1.96 sigma = 200 - 1.96 x 30 = 141 > 120 would say "likely low"; the own
    # (asymmetric) lower bound 110 < 120 says no contradiction
    out = _verdict(_bu(), _td(200.0, 30.0, "lower_bound", low_kt=110.0, high_kt=500.0))
    assert out["flag"] == "no contradiction (lower bound below the inventory)"


def test_lower_bound_below_is_no_contradiction_never_consistent_or_high():
    for value in (100.0, 10.0, 0.0):
        out = _verdict(_bu(), _td(value, 5.0, "lower_bound"))
        assert out["flag"] == "no contradiction (lower bound below the inventory)"


@pytest.mark.parametrize("kind", ["total", "lower_bound"])
def test_insufficient_coverage_has_no_value_and_no_test(kind):
    row = _td(np.nan, np.nan, kind, valid_views=1.0, note="one scene on 2021-09-28.")
    out = _verdict(_bu(), row)
    assert out["flag"] == "insufficient coverage"
    assert np.isnan(out["top_down_kt"]) and np.isnan(out["z"])
    assert "no annual figure" in out["explanation"] and "one scene" in out["explanation"]
    rf.validate_verification(td.compare_topdown(_bu(), row))
    rf.validate_top_down(row)
    # 16 valid views are enough: the row is tested
    ok = _verdict(_bu(), _td(105.0, 10.0, kind, valid_views=16.0))
    assert ok["flag"] != "insufficient coverage"


# ------------------------------------------------------------------ Monte Carlo sums
def _sites(k: int, low=100.0, high=200.0, n=50, rate=40.0, rate_sd=0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "facility_id": [f"s{i}" for i in range(k)],
            "attributed": True,
            "detections": n,
            "days_detected": n,
            "mean_rate_t_per_h": rate,
            "mean_rate_sigma_t_per_h": rate_sd,
            "region_days": low,
            "valid_days_low": low,
            "valid_days_high": high,
        }
    )


def _one_site_quantiles(q, low=100.0, high=200.0, n=50, rate=40.0):
    """E = rate x n / N x 8.76 with N ~ U(low, high): E's q-quantile is at N's (1 - q)."""
    n_days = low + (1 - np.asarray(q)) * (high - low)
    return rate * n / n_days * 8760 / 1000


def test_mc_quantiles_of_one_site_match_the_closed_form():
    draw = an.simulate(_sites(1), draws=200_000, seed=1, detection_sampling=False,
                       rate_errors=False)[:, 0]  # fmt: skip
    q = [0.025, 0.5, 0.975]
    assert np.percentile(draw, [2.5, 50, 97.5]) == pytest.approx(_one_site_quantiles(q), rel=3e-3)
    # asymmetric: the upper half-interval exceeds the lower (1 / N is convex)
    lo, med, hi = _one_site_quantiles(q)
    assert hi - med > med - lo


def test_a_shared_assumption_gives_a_correlated_sum():
    kw = {"draws": 100_000, "seed": 2, "detection_sampling": False, "rate_errors": False}
    one = an.simulate(_sites(1), **kw).sum(axis=1)
    ten = an.simulate(_sites(10), **kw).sum(axis=1)
    w1 = np.subtract(*np.percentile(one, [97.5, 2.5]))
    w10 = np.subtract(*np.percentile(ten, [97.5, 2.5]))
    analytic = np.subtract(*_one_site_quantiles([0.975, 0.025]))
    # linear in the number of sites (10 x), not sqrt(10) = 3.2 x as in quadrature
    assert w1 == pytest.approx(analytic, rel=5e-3)
    assert w10 / w1 == pytest.approx(10.0, rel=1e-6)
    # independent per-site terms alone (rates) do add in quadrature: about sqrt(10)
    ind = {"draws": 100_000, "seed": 3, "detection_sampling": False, "view_share": False}
    r1 = an.simulate(_sites(1, rate_sd=5.0), **ind).sum(axis=1)
    r10 = an.simulate(_sites(10, rate_sd=5.0), **ind).sum(axis=1)
    assert r10.std() / r1.std() == pytest.approx(math.sqrt(10), rel=0.03)


def test_annual_sum_and_coverage_filter():
    sites = pd.concat([_sites(3), _sites(1, low=5.0, high=200.0, n=2)], ignore_index=True)
    sites.loc[3, "facility_id"] = "sparse"
    res = an.annualise_sites(sites, draws=50_000, seed=4)
    by = res.sites.set_index("facility_id")
    assert by.loc["sparse", "coverage"] == "insufficient" and np.isnan(
        by.loc["sparse", "annual_kt"]
    )
    assert res.total["sites"] == 3 and res.total["sites_not_annualised"] == 1
    # central: every covered site at N = 150 days -> 40 x 50/150 x 8.76 kt each
    assert res.total["value_kt"] == pytest.approx(3 * 40 * 50 / 150 * 8.76)
    assert res.total["low_kt"] < res.total["value_kt"] < res.total["high_kt"]
    assert res.total["valid_views"] == 100.0
