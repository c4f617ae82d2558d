"""Approach 2 (Monte Carlo) and key categories against independent calculations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openmrv.case import load_case
from openmrv.categories import ancestors
from openmrv.errors import InputError
from openmrv.estimate.inventory import keycategories as kca
from openmrv.estimate.inventory.montecarlo import ActivityUncertainty, Spread, approach2
from openmrv.estimate.inventory.uncertainty import approach1_table, combine_product, estimate_rows
from openmrv.stages.inventory import estimate_inventory

HEADER = (
    "parameter,category,activity,key,qualifier,gas,value,unit,low,high,uncertainty_pct,"
    "distribution,source,edition,table,notes"
)


def _case(tmp: Path, factor_rows: list[str], unc_rows: list[str], years=(2000, 2001)) -> Path:
    (tmp / "case.yaml").write_text(
        f"name: mc\ncountry: TKM\nyears: {{first: {years[0]}, last: {years[1]}}}\n"
        "factors: {country_specific: [f.csv]}\nactivity: [a.csv]\n"
        "uncertainty: {activity: u.csv, draws: 1000, seed: 7}\n"
    )
    (tmp / "f.csv").write_text("\n".join([HEADER, *factor_rows]) + "\n")
    (tmp / "a.csv").write_text(
        "category,activity,key,year,value,unit,source,notes\n"
        f"1.A.1.a,fuel_consumption,natural_gas,{years[0]},1000,TJ,s,\n"
        f"1.A.1.a,fuel_consumption,natural_gas,{years[1]},1500,TJ,s,\n"
        f"1.A.2,fuel_consumption,natural_gas,{years[0]},3000,TJ,s,\n"
        f"1.A.2,fuel_consumption,natural_gas,{years[1]},2000,TJ,s,\n"
    )
    (tmp / "u.csv").write_text(
        "category,activity,key,uncertainty_pct,distribution,source,notes\n"
        + "\n".join(unc_rows)
        + "\n"
    )
    return tmp


def _normal_factors(pct: float) -> list[str]:
    rows = []
    for cat in ("1.A.1", "1.A.2"):
        for gas, v, u in (
            ("CO2", 56100, "kg CO2 / TJ"),
            ("CH4", 1, "kg CH4 / TJ"),
            ("N2O", 0.1, "kg N2O / TJ"),
        ):
            rows.append(
                f"EF,{cat},fuel_consumption,natural_gas,,{gas},{v},{u},,,{pct},normal,s,test,T,"
            )
    return rows


def _setup(tmp_path, factor_pct, act_pct):
    case = load_case(
        _case(
            tmp_path, _normal_factors(factor_pct), [f"1.A,fuel_consumption,*,{act_pct},normal,s,"]
        )
    )
    res = estimate_inventory(case)
    from openmrv.case import read_activity_uncertainty

    unc = ActivityUncertainty(read_activity_uncertainty(case))
    return case, res, unc


def test_approach2_converges_to_approach1(tmp_path):
    """Small, normal, uncorrelated inputs: the Monte Carlo 95 % half-width of the total
    matches Approach 1 (Eq. 3.1, 3.2) within 1 % relative at 10^6 draws."""
    case, res, unc = _setup(tmp_path, factor_pct=3.0, act_pct=2.0)
    rows = estimate_rows(res, unc, case.gwp, (2000, 2001))
    rows["G"] = combine_product(rows["E"], rows["F"])
    _, tot = approach1_table(rows)
    mc = approach2(res, unc, case.gwp, (2000, 2001), n_draws=1_000_000, chunk_size=250_000, seed=3)
    s = mc.summary.set_index(["category", "year"]).loc[("0", 2001)]
    half = (s["p97.5"] - s["p2.5"]) / 2 / s["mean"] * 100
    assert half == pytest.approx(tot["level_pct"], rel=0.01)
    assert mc.convergence["converged_1pct"] == 1.0


def test_fully_correlated_factor_has_no_trend_uncertainty(tmp_path):
    """Only uncertainty: one factor shared by both years -> the trend is certain."""
    rows = [
        "EF,1.A,fuel_consumption,natural_gas,,CO2,56100,kg CO2 / TJ,,,40,normal,s,test,T,",
        "EF,1.A,fuel_consumption,natural_gas,,CH4,1,kg CH4 / TJ,,,0,normal,s,test,T,",
        "EF,1.A,fuel_consumption,natural_gas,,N2O,0.1,kg N2O / TJ,,,0,normal,s,test,T,",
    ]
    case = load_case(_case(tmp_path, rows, ["1.A,fuel_consumption,*,0,normal,s,"]))
    res = estimate_inventory(case)
    from openmrv.case import read_activity_uncertainty

    unc = ActivityUncertainty(read_activity_uncertainty(case))
    mc = approach2(res, unc, case.gwp, (2000, 2001), n_draws=20_000)
    t = mc.trend.set_index("category").loc["0"]
    assert t["trend_p97.5_pct"] - t["trend_p2.5_pct"] == pytest.approx(0.0, abs=1e-3)
    # while the level is uncertain by about 40 %
    s = mc.summary.set_index(["category", "year"]).loc[("0", 2001)]
    assert 35 < s["plus_pct"] < 45


def _reference(res, unc, case, n, chunk, seed, report=None):
    """All the draws at once (the non-chunked reference): the chunks concatenated."""
    from openmrv.estimate.inventory.montecarlo import draw_chunks, report_categories

    report = report or report_categories(res)
    pairs = sorted(
        {
            (code, e.gas)
            for e in res.estimates
            for code in (e.category, *ancestors(e.category))
            if code in report
        }
    )
    parts = list(draw_chunks(res, unc, case.gwp, (2000, 2001), report, pairs, n, chunk, seed))
    draws = np.concatenate([p[2] for p in sorted(parts, key=lambda p: p[0])])
    gas = np.concatenate([p[3] for p in sorted(parts, key=lambda p: p[0])])
    return report, pairs, draws, gas


def test_seeded_and_reproducible(tmp_path):
    case, res, unc = _setup(tmp_path, 10.0, 5.0)
    a = approach2(res, unc, case.gwp, (2000, 2001), n_draws=5000, chunk_size=1000, seed=11)
    b = approach2(res, unc, case.gwp, (2000, 2001), n_draws=5000, chunk_size=1000, seed=11)
    c = approach2(res, unc, case.gwp, (2000, 2001), n_draws=5000, chunk_size=1000, seed=12)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.trend, b.trend)
    assert not np.array_equal(a.summary["p97.5"], c.summary["p97.5"])


def test_dask_workers_give_the_same_results(tmp_path):
    distributed = pytest.importorskip("distributed")
    case, res, unc = _setup(tmp_path, 10.0, 5.0)
    local = approach2(res, unc, case.gwp, (2000, 2001), n_draws=4000, chunk_size=1000, seed=5)
    with distributed.Client(
        processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None
    ) as client:
        spread = approach2(
            res, unc, case.gwp, (2000, 2001), n_draws=4000, chunk_size=1000, seed=5, client=client
        )
    for a, b in (
        (local.summary, spread.summary),
        (local.gas_summary, spread.gas_summary),
        (local.trend, spread.trend),
    ):
        pd.testing.assert_frame_equal(a, b)
    assert local.convergence == spread.convergence


def test_chunked_percentiles_equal_the_all_draws_reference(tmp_path):
    """The streaming summaries against numpy on all the draws kept at once: means to
    float64 rounding, percentiles within the stated bound (one histogram bin)."""
    case, res, unc = _setup(tmp_path, 10.0, 5.0)
    n, chunk, seed = 30_000, 7_000, 4
    mc = approach2(res, unc, case.gwp, (2000, 2001), n_draws=n, chunk_size=chunk, seed=seed)
    report, pairs, draws, gas = _reference(res, unc, case, n, chunk, seed)
    assert draws.shape == (n, len(report), 2) and mc.n_draws == n
    s = mc.summary.set_index(["category", "year"])
    checked = 0
    for i, code in enumerate(report):
        for j, year in enumerate((2000, 2001)):
            x = draws[:, i, j].astype(float)
            lo, med, hi = np.percentile(x, [2.5, 50, 97.5])
            bound = (x.max() - x.min()) * 2 / 65_536  # >= the bin width (pilot range x 2)
            row = s.loc[(code, year)]
            assert row["mean"] == pytest.approx(x.mean(), rel=1e-12)
            for got, want in ((row["p2.5"], lo), (row["median"], med), (row["p97.5"], hi)):
                assert abs(got - want) <= bound
                checked += 1
    assert checked == 3 * 2 * len(report)
    g = mc.gas_summary.set_index(["category", "gas"])
    for i, (code, gas_name) in enumerate(pairs):
        x = gas[:, i].astype(float)
        bound = (x.max() - x.min()) * 2 / 65_536
        assert abs(g.loc[(code, gas_name), "p97.5"] - np.percentile(x, 97.5)) <= bound
    # the stated relative bound: a bin is a tiny fraction of the 95 % interval
    assert 0 < mc.quantile_bound < 1e-3
    # the convergence figures from the first half of the draws
    total = draws[:, report.index("0"), 1].astype(float)
    from openmrv.estimate.inventory.montecarlo import convergence

    ref = convergence(total)
    assert mc.convergence["p2.5_change_pct"] == pytest.approx(ref["p2.5_change_pct"], abs=0.01)


def test_memory_does_not_grow_with_the_draws(tmp_path):
    """tracemalloc peak at 2e5 draws within a small factor of that at 2e4 draws (the
    draws kept at 2e5 would take 10x the memory; the chunk is 5,000 draws)."""
    import tracemalloc

    case, res, unc = _setup(tmp_path, 10.0, 5.0)
    peaks = []
    for n in (20_000, 200_000):
        tracemalloc.start()
        approach2(res, unc, case.gwp, (2000, 2001), n_draws=n, chunk_size=5_000, seed=1)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.2 * peaks[0], peaks


def test_per_gas_draws_sum_to_the_co2e_draws_and_match_hand_propagation(tmp_path):
    from openmrv.gwp import gwp

    case, res, unc = _setup(tmp_path, 10.0, 5.0)
    report, pairs, draws, gas = _reference(res, unc, case, 50_000, 20_000, 9)
    col = {p: i for i, p in enumerate(pairs)}
    # identity: the gases' draws weighted by their GWPs are the category's CO2e draws
    co2e = sum(
        gas[:, col[("1.A", g)]].astype(float) * gwp(g, case.gwp) for g in ("CO2", "CH4", "N2O")
    )
    last = draws[:, report.index("1.A"), 1].astype(float)
    np.testing.assert_allclose(co2e, last, rtol=1e-5)
    # CH4 of 1.A in 2001 by hand: 1,500 TJ (1.A.1) and 2,000 TJ (1.A.2) at 1 kg/TJ,
    # factor and activity independent normals with 95 % half-widths 10 % and 5 %
    mc = approach2(res, unc, case.gwp, (2000, 2001), n_draws=200_000, seed=9)
    parts = np.array([1500.0, 2000.0]) * 1e-6  # Gg
    sd = np.sqrt(((parts * np.hypot(0.10, 0.05) / 1.96) ** 2).sum())
    row = mc.gas_summary.set_index(["category", "gas"]).loc[("1.A", "CH4")]
    assert row["mean"] == pytest.approx(parts.sum(), rel=2e-3)
    assert row["p2.5"] == pytest.approx(parts.sum() - 1.96 * sd, rel=5e-3)
    assert row["p97.5"] == pytest.approx(parts.sum() + 1.96 * sd, rel=5e-3)


@pytest.mark.parametrize(
    ("dist", "low", "high"),
    [("normal", 80, 120), ("lognormal", 50, 200), ("triangular", 70, 150), ("uniform", 60, 140)],
)
def test_spread_reproduces_its_95_interval(dist, low, high):
    rng = np.random.default_rng(1)
    x = 100 * Spread(100.0, dist, low, high).ratios(rng, 400_000)
    lo, hi = np.percentile(x, [2.5, 97.5])
    if dist in ("normal", "lognormal"):
        assert lo == pytest.approx(low, rel=0.01) and hi == pytest.approx(high, rel=0.01)
    else:  # bounds are the support: the 95 % interval lies inside them
        assert low <= lo < hi <= high


def test_missing_activity_uncertainty_names_the_series(tmp_path):
    case = load_case(_case(tmp_path, _normal_factors(3), ["1.A.2,fuel_consumption,*,2,normal,s,"]))
    res = estimate_inventory(case)
    from openmrv.case import read_activity_uncertainty

    unc = ActivityUncertainty(read_activity_uncertainty(case), file="u.csv")
    with pytest.raises(InputError, match=r"1\.A\.1\.a / fuel_consumption / natural_gas"):
        approach2(res, unc, case.gwp, (2000, 2001), n_draws=10)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("1.A,fuel_consumption,*,-5,normal,s,", "uncertainty_pct"),
        ("1.A,fuel_consumption,*,abc,normal,s,", "uncertainty_pct"),
        ("1.A,fuel_consumption,*,5,gamma,s,", "distribution"),
        ("1.A,fuel_consumption,*,5,normal,,", "source"),
    ],
)
def test_bad_uncertainty_rows(tmp_path, row, field):
    case = load_case(_case(tmp_path, _normal_factors(3), [row]))
    from openmrv.case import read_activity_uncertainty

    with pytest.raises(InputError) as err:
        read_activity_uncertainty(case)
    assert "line 2" in str(err.value) and field in str(err.value)


def test_key_categories_hand_ranking():
    rows = pd.DataFrame(
        {
            "category": ["a", "b", "c", "d"],
            "gas": ["CO2"] * 4,
            "C": [50.0, 30.0, 15.0, 5.0],
            "D": [40.0, 40.0, 15.0, 5.0],
        }
    )
    lvl = kca.level_assessment(rows).set_index("category")
    # shares 0.4, 0.4, 0.15, 0.05 -> cumulative 0.4, 0.8, 0.95, 1.0: a, b and c are key
    assert lvl.loc[["a", "b", "c"], "key"].all() and not lvl.loc["d", "key"]
    tr = kca.trend_assessment(rows).set_index("category")
    # total trend 0; T = |C|/sum|C| * |own change|: a 0.5*0.2=0.1, b 0.3*0.333=0.1, c, d 0
    assert tr.loc["a", "trend"] == pytest.approx(0.1)
    assert tr.loc["b", "trend"] == pytest.approx(0.1)
    assert tr.loc[["a", "b"], "key"].all() and not tr.loc[["c", "d"], "key"].any()
    # Approach 2: weight by uncertainty; c very uncertain becomes the top category
    lvl2 = kca.level_assessment(rows, pd.Series([5.0, 5.0, 100.0, 5.0])).set_index("category")
    assert lvl2["level_x_uncertainty"].idxmax() == "c"


def test_series_shared_by_gases_gives_each_estimate_its_own_full_draw(tmp_path):
    """A chunk draws each activity series once and keeps two columns (estimates of
    several gases share one series); the result equals, bit for bit, drawing the full
    series again for every estimate (the stream of a series is fixed by its label),
    simulating all years and adding each estimate into its categories in order."""
    from openmrv.estimate.inventory.montecarlo import (
        _run_chunk,
        _stream,
        factor_spread,
        report_categories,
    )
    from openmrv.gwp import gwp

    case, res, unc = _setup(tmp_path, 10.0, 5.0)
    labels = [e.series.label for e in res.estimates]
    assert len(set(labels)) < len(labels)  # the case shares series between gases
    report = report_categories(res)
    pairs = sorted(
        {(c, e.gas) for e in res.estimates for c in (e.category, *ancestors(e.category))}
        & {(c, g) for c in report for g in ("CO2", "CH4", "N2O")}
    )
    n, seed, chunk = 3_000, 17, 2
    got, got_gas = _run_chunk(
        res.estimates, unc, (2000, 2001), report, case.gwp, pairs, n, seed, chunk
    )

    def factor(f):
        return factor_spread(f).ratios(_stream(seed, chunk, f.id), n)[:, None]

    def activity(s):
        rng = _stream(seed, chunk, "activity:" + s.label)
        return unc.spread(s).ratios(rng, n * s.years.size).reshape(n, s.years.size)

    want = np.zeros((n, len(report), 2))
    want_gas = np.zeros((n, len(pairs)))
    for e in res.estimates:
        cols = [int(np.flatnonzero(e.series.years == y)[0]) for y in (2000, 2001)]
        sim = e.simulate(factor, activity)[:, cols]
        for code in (e.category, *ancestors(e.category)):
            if code in report:
                want[:, report.index(code), :] += sim * gwp(e.gas, case.gwp)
            if (code, e.gas) in pairs:
                want_gas[:, pairs.index((code, e.gas))] += sim[:, 1]
    np.testing.assert_array_equal(got, want.astype(np.float32))
    np.testing.assert_array_equal(got_gas, want_gas.astype(np.float32))
