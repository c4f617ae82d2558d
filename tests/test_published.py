"""Published satellite-based national estimates as evidence (openmrv.verify.published):
the cited table, unit and interval conversion, bad rows, the national-total CH4 interval
of the inventory for a year the Monte Carlo did not keep, and the Turkmenistan run."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from openmrv.case import load_case
from openmrv.errors import InputError, UnitError
from openmrv.pipeline import RunChain
from openmrv.runfolder.validate import validate_verification
from openmrv.verify.evidence import EVIDENCE_COLUMNS, bottom_up_intervals
from openmrv.verify.published import (
    PUBLISHED_FILE,
    TABLE_COLUMNS,
    compare_published,
    kt_per_year,
    published_evidence,
    read_published,
    sigma_and_interval,
    validate_published,
)

ROOT = Path(__file__).parents[1]
CASE = ROOT / "examples" / "turkmenistan"
CAT = "category (IPCC2006)"


def _row(**over) -> dict:
    """A valid synthetic row (not a real estimate), fields overridden by ``over``."""
    row = {
        "country": "XXX",
        "first_author": "Doe",
        "year_published": "2022",
        "title": "A synthetic test row",
        "journal": "none",
        "doi": "10.0000/test",
        "page_or_table": "Table 1",
        "satellite": "GOSAT",
        "method": "test",
        "period_first": "2010",
        "period_last": "2012",
        "gas": "CH4",
        "category": "0",
        "scope": "test",
        "value": "2.0",
        "low": "1.5",
        "high": "2.5",
        "interval": "1-sigma",
        "unit": "Tg / yr",
        "kind": "total",
        "quote": "synthetic",
    }
    row.update(over)
    return row


def _table(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(TABLE_COLUMNS)).astype(str)


# --- the cited table -------------------------------------------------------------------


def test_package_table_validates_and_cites():
    t = read_published()
    assert len(t) >= 1
    assert t["doi"].str.startswith("10.").all()
    assert (t["quote"].str.len() > 20).all()
    # every figure is in its own quote (what was seen in the source)
    for r in t.itertuples(index=False):
        for v in (r.value, r.low, r.high):
            if not math.isnan(v):
                assert f"{v:g}" in r.quote, (r.first_author, v)
    # each row's source is documented in the folder's SOURCES.md
    sources = (PUBLISHED_FILE.parent / "SOURCES.md").read_text()
    for doi in t["doi"]:
        assert doi in sources


def test_chen_2023_row_as_published():
    """Chen et al. (2023) ACP 23, 5945, abstract: Turkmenistan 4.4 (2.8-5.1) Tg a-1,
    anthropogenic, 2019, TROPOMI."""
    t = read_published()
    r = t[(t["country"] == "TKM") & (t["first_author"] == "Chen")].iloc[0]
    assert (r["value"], r["low"], r["high"]) == (4.4, 2.8, 5.1)
    assert (r["period_first"], r["period_last"]) == (2019, 2019)
    assert r["doi"] == "10.5194/acp-23-5945-2023"
    assert r["interval"] == "range" and r["kind"] == "total" and r["category"] == "0"


# --- units and intervals, against hand calculations ------------------------------------


def test_unit_conversion_by_hand():
    assert kt_per_year(4.4, "Tg / yr", "CH4") == pytest.approx(4400.0)
    assert kt_per_year(4.4, "Tg CH4 / yr", "CH4") == pytest.approx(4400.0)
    assert kt_per_year(1.0, "Mt / a", "CH4") == pytest.approx(1000.0)
    # 100 t/h for a Julian year: 100 t x 24 x 365.25 = 876,600 t = 876.6 kt
    assert kt_per_year(100.0, "t / h", "CH4") == pytest.approx(876.6)


def test_interval_conversion_by_hand():
    z = 1.959963984540054
    # 1-sigma bounds 1.5-2.5: sigma 0.5; 95 % = 2 -/+ 1.96 x 0.5
    s, lo, hi = sigma_and_interval(2.0, 1.5, 2.5, "1-sigma")
    assert (s, lo, hi) == pytest.approx((0.5, 2.0 - z * 0.5, 2.0 + z * 0.5))
    s, lo, hi = sigma_and_interval(2.0, 1.0, 3.0, "2-sigma")
    assert (s, lo, hi) == pytest.approx((0.5, 2.0 - z * 0.5, 2.0 + z * 0.5))
    s, lo, hi = sigma_and_interval(2.0, 1.0, 3.0, "95 %")
    assert (s, lo, hi) == pytest.approx((1.0 / z, 1.0, 3.0))
    # Chen 2023: (5.1 - 2.8) / 2 / 1.96 = 0.5867 Tg
    s, lo, hi = sigma_and_interval(4.4, 2.8, 5.1, "range")
    assert (s, lo, hi) == pytest.approx((1.15 / z, 2.8, 5.1))
    assert all(math.isnan(v) for v in sigma_and_interval(2.0, math.nan, math.nan, "none"))


def test_evidence_rows_in_kt_with_label_and_basis():
    t = validate_published(
        _table(
            _row(),
            _row(
                first_author="Roe",
                period_first="2019",
                period_last="2019",
                interval="95 %",
                value="2000",
                low="1000",
                high="3000",
                unit="kt CH4 / yr",
            ),
            _row(
                first_author="Poe", period_first="2015", period_last="2022", year_published="2023"
            ),
            _row(first_author="Noe", interval="none", low="", high=""),
        )
    )
    e = published_evidence(t, "XXX", years=range(1990, 2021))
    assert list(e.columns[: len(EVIDENCE_COLUMNS)]) == list(EVIDENCE_COLUMNS)
    assert e["evidence"].tolist() == [
        "published estimate: Doe 2022, GOSAT",
        "published estimate: Roe 2022, GOSAT",
        "published estimate: Poe 2023, GOSAT",
        "published estimate: Noe 2022, GOSAT",
    ]
    doe, roe, poe, noe = (e.iloc[i] for i in range(4))
    assert (doe["value_kt"], doe["sigma_kt"]) == pytest.approx((2000.0, 500.0))
    assert (doe["inventory_first"], doe["inventory_last"], doe["year"]) == (2010, 2012, 2011)
    assert doe["inventory_basis"] == "inventory mean 2010-2012"
    assert roe["sigma_kt"] == pytest.approx(1000.0 / 1.959963984540054)
    assert (roe["low_kt"], roe["high_kt"]) == (1000.0, 3000.0)
    # 2015-2022 runs past the inventory (to 2020): compared with the middle year 2018
    assert (poe["year"], poe["inventory_first"], poe["inventory_last"]) == (2018, 2018, 2018)
    assert "middle of 2015-2022" in poe["inventory_basis"]
    assert math.isnan(noe["sigma_kt"]) and "cannot be tested" in noe["sigma_note"]
    assert not e["osse"].any() and e["source"].str.startswith("doi:10.").all()
    assert published_evidence(t, "TKM").empty


# --- bad rows: clear errors naming the row ---------------------------------------------


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"unit": "zorkmids / yr"}, "unit", "not a unit"),
        ({"unit": "Tg"}, "unit", "not a mass per time"),
        ({"doi": ""}, "doi", "is empty"),
        ({"doi": "https://example.org/x"}, "doi", "not a DOI"),
        ({"value": "-1.0", "low": "-2", "high": "0"}, "value", "not positive"),
        ({"low": "2.6"}, "low", "does not hold"),
        ({"interval": "90 %"}, "interval", "not one of"),
        ({"kind": "upper_bound"}, "kind", "not one of"),
        ({"gas": "SF6"}, "gas", "not one of"),
        ({"country": "Turkmenistan"}, "country", "alpha-3"),
        ({"period_last": "2030"}, "period_last", "end by the year of publication"),
        ({"interval": "none"}, "low", "takes no low or high"),
        ({"quote": ""}, "quote", "is empty"),
    ],
)
def test_bad_row_named(over, field, words, tmp_path):
    path = tmp_path / "published.csv"
    _table(_row(), _row(**over)).to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        read_published(path)
    assert err.value.row == 3  # header is line 1; the bad row is the second
    assert err.value.field == field
    assert words in str(err.value) and str(path) in str(err.value)
    if field == "unit":
        assert isinstance(err.value, UnitError)


def test_missing_column_named(tmp_path):
    path = tmp_path / "published.csv"
    _table(_row()).drop(columns=["doi"]).to_csv(path, index=False)
    with pytest.raises(InputError, match="lacks columns \\['doi'\\]"):
        read_published(path)


# --- the inventory's national-total CH4 interval ---------------------------------------


def _dataset() -> xr.Dataset:
    years = pd.date_range("2018", periods=3, freq="YS")
    cats = ["0", "1.B.2"]
    ch4 = np.array([[100.0, 60.0], [110.0, 70.0], [120.0, 80.0]])
    ds = xr.Dataset(
        {"CH4": (("time", CAT), ch4), "CO2": (("time", CAT), np.ones_like(ch4))},
        coords={"time": years, CAT: cats},
    )
    ds.attrs["cat"] = CAT
    return ds


def test_national_total_interval_for_a_year_the_monte_carlo_did_not_keep():
    """The Monte Carlo keeps each gas's distribution for the latest year only (2020 here:
    CH4 of category 0 is 120 kt, 95 %: 60-240). For 2018 (100 kt) the same relative
    interval: 50-200; for 2020 the Monte Carlo's own."""
    gas_summary = pd.DataFrame(
        [{"category": "0", "gas": "CH4", "year": 2020, "mean": 120.0, "p2.5": 60.0, "p97.5": 240.0}]
    )
    keys = pd.DataFrame({"category": ["0", "0"], "gas": ["CH4", "CH4"], "year": [2018, 2020]})
    bu = bottom_up_intervals(_dataset(), keys, 2020, "AR5GWP100", None, gas_summary)
    bu = bu.set_index("year")
    assert tuple(bu.loc[2018, ["value_kt", "low_kt", "high_kt"]]) == pytest.approx((100, 50, 200))
    assert tuple(bu.loc[2020, ["value_kt", "low_kt", "high_kt"]]) == pytest.approx((120, 60, 240))


def test_compare_published_on_the_mean_basis():
    """A 2018-2020 estimate against the inventory mean: value (100+110+120)/3 = 110, 95 %
    (50+55+60)/3 = 55 to (200+220+240)/3 = 220 (fully correlated years)."""
    gas_summary = pd.DataFrame(
        [{"category": "0", "gas": "CH4", "year": 2020, "mean": 120.0, "p2.5": 60.0, "p97.5": 240.0}]
    )
    t = validate_published(
        _table(
            _row(period_first="2018", period_last="2020", value="0.5", low="0.4", high="0.6"),
            _row(
                first_author="Low",
                period_first="2020",
                period_last="2020",
                value="0.12",
                low="0.1",
                high="0.14",
            ),
        )
    )
    e = published_evidence(t, "XXX", years=range(2018, 2021))
    v = compare_published(e, _dataset(), 2020, "AR5GWP100", None, gas_summary)
    validate_verification(v)
    first = v.iloc[0]
    assert (first["bottom_up_kt"], first["bottom_up_low_kt"], first["bottom_up_high_kt"]) == (
        pytest.approx(110.0),
        pytest.approx(55.0),
        pytest.approx(220.0),
    )
    # 500 kt (sigma 100) against 110 (upper half-width 110 / 1.96): z = 390 / hypot
    z = 390 / math.hypot(110 / 1.959963984540054, 100)
    assert first["z"] == pytest.approx(z)
    assert first["flag"] == "inventory likely low"
    assert first["inventory_basis"] == "inventory mean 2018-2020"
    assert v.iloc[1]["flag"] == "consistent"
    assert v["evidence"].str.startswith("published estimate: ").all()


# --- the Turkmenistan run ---------------------------------------------------------------


@pytest.fixture(scope="module")
def tkm_chain() -> RunChain:
    case = load_case(CASE)
    return RunChain(case).run_inventory().run_uncertainty().run_verification()


def test_turkmenistan_run_has_one_row_per_table_entry(tkm_chain):
    table = read_published()
    tkm = table[table["country"] == "TKM"]
    v = tkm_chain.results.verification
    pub = v[v["evidence"].str.startswith("published estimate: ")]
    assert len(pub) == len(tkm)
    expected = {f"published estimate: {r.first_author} {r.year_published}, {r.satellite}"
                for r in tkm.itertuples()}  # fmt: skip
    assert set(pub["evidence"]) == expected
    validate_verification(v)
    chen = pub[pub["evidence"] == "published estimate: Chen 2023, TROPOMI"].iloc[0]
    assert chen["top_down_kt"] == pytest.approx(4400.0)
    assert chen["evidence_year"] == 2019 and chen["inventory_year"] == 2019
    # the inventory's 2019 national CH4 with a Monte Carlo interval (not zero-width)
    assert chen["bottom_up_low_kt"] < chen["bottom_up_kt"] < chen["bottom_up_high_kt"]
    assert chen["source"] == "doi:10.5194/acp-23-5945-2023"


def test_published_estimates_can_be_switched_off(tkm_chain):
    case = dataclasses.replace(tkm_chain.case, published_estimates=False)
    chain = RunChain(case)
    chain.results = tkm_chain.results
    chain.results.verification = None
    chain.run_verification()
    assert chain.results.verification is None  # no other top-down stage ran
