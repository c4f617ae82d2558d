"""CRT background tables: activity data, implied emission factors, totals, round trips.

Expected implied emission factors are the synthetic factors of tests/data/mini_case
(factors_cs.csv), recovered from emissions / activity: a known truth. The mini case's
1.A, 1.B.2 and 3.A are read from the CRT-layout background tables (which replaced their
``-AD`` sheets); the one ``-AD`` sheet left, ``Table2(I).B-AD``, is checked on the
Turkmenistan run (the mini case has no 2.B)."""

from __future__ import annotations

import pandas as pd
import pytest

from openmrv.case import load_case
from openmrv.report.background import BACKGROUND_AD, activity_table, background_tables
from openmrv.report.crt import (
    crt_tables,
    read_crt_json,
    read_crt_xlsx,
    write_crt_json,
    write_crt_xlsx,
)
from openmrv.report.write import _notation_keys
from openmrv.stages.inventory import estimate_inventory

from .conftest import DATA

CAT = "category (IPCC2006)"


@pytest.fixture(scope="module")
def mini():
    case = load_case(DATA / "mini_case")
    result = estimate_inventory(case)
    act = activity_table(result)
    crt = crt_tables(
        result.dataset, notation=_notation_keys(case), records=result.records(), activity=act
    )
    return result, act, background_tables(result.dataset, result.records(), act), crt


@pytest.fixture(scope="module")
def tkm_ad(tkm_run):
    """The Turkmenistan run's Table2(I).B-AD, activity table and dataset."""
    back = read_crt_xlsx(tkm_run.out / "crt.xlsx")
    act = pd.read_csv(tkm_run.out / "activity.csv", keep_default_na=False)
    return tkm_run.result, act, {"Table2(I).B-AD": back["Table2(I).B-AD"]}


def _crt_row(frame, code, year, fuel=None):
    sel = frame[(frame["code"] == code) & (frame["year"] == year)]
    if fuel is not None:
        sel = sel[sel["fuel"] == fuel]
    assert len(sel) == 1
    return sel.iloc[0]


def _row(frame, category, year, key=None):
    sel = frame[(frame["IPCC category"] == category) & (frame["year"] == year)]
    if key is not None:
        sel = sel[sel["key"] == key]
    assert len(sel) == 1
    return sel.iloc[0]


def test_activity_table_is_the_case_activity(mini):
    act = mini[1]
    case_act = pd.read_csv(DATA / "mini_case" / "activity.csv")
    gas = case_act[case_act["category"] == "1.A.1.a"].set_index("year")["value"]
    sel = act[(act["category"] == "1.A.1.a") & (act["gas"] == "CO2")].set_index("year")
    assert (sel["unit"] == "TJ").all()
    assert sel["value"].to_dict() == pytest.approx(gas.to_dict())


def test_implied_emission_factors_by_hand(mini):
    crt = mini[3]
    a = _crt_row(crt["Table1.A(a)s1"], "1.A.1.a", 2002, "gaseous")
    # 3000 TJ of natural gas at 56,100 kg CO2/TJ (56.1 t/TJ), 1 kg CH4/TJ, 0.1 kg N2O/TJ
    assert a["Consumption [TJ]"] == pytest.approx(3000.0)
    assert a["CO2 IEF [t/TJ]"] == pytest.approx(56.1)
    assert a["CH4 IEF [kg/TJ]"] == pytest.approx(1.0)
    assert a["N2O IEF [kg/TJ]"] == pytest.approx(0.1)
    assert a["CO2 [kt]"] == pytest.approx(3000 * 56100 / 1e6)
    # 30 bcm of gas at 0.002 Gg CH4 per 1e6 m3 -> 2e6 kg per 1e9 m3 (CRT 1.B.2.b.ii)
    b = _crt_row(crt["Table1.B.2"], "1.B.2.b.ii", 2002)
    assert b["Activity unit"] == "1e9 m**3"
    assert b["CH4 IEF [kg/unit]"] == pytest.approx(0.002 * 1e6 * 1e3)
    # 2,000,000 sheep at 5 kg CH4/head (Asia), CRT 3.A.2
    s = _crt_row(crt["Table3.A"], "3.A.2", 2002)
    assert s["Activity value"] == pytest.approx(2e6)
    assert s["CH4 IEF [kg/unit]"] == pytest.approx(5.0)
    assert set(mini[2]) == {"Table2(I).B-AD"}


def test_ief_equals_dataset_over_activity(tkm_ad):
    result, act, tables = tkm_ad
    ds = result.dataset.isel({"area (ISO3)": 0, "source": 0})
    checked = 0
    for frame in tables.values():
        rows = frame[frame["IPCC category"] != "total"]
        for r in rows.to_dict("records"):
            for gas in ("CO2", "CH4", "N2O"):
                ief = r[f"{gas} IEF [kg/unit]"]
                if not isinstance(ief, float):
                    continue
                cat, year = r["IPCC category"], r["year"]
                em = float(ds[gas].sel({CAT: cat, "time": str(year)}).values.ravel()[0])
                a = act[(act["category"] == cat) & (act["year"] == year)]["value"].iloc[0]
                assert ief == pytest.approx(em * 1e6 / a)
                checked += 1
    assert checked >= 31  # 2.B products, 1990-2020


def test_totals_are_sums_of_rows(tkm_ad):
    _, _, tables = tkm_ad
    for sheet, (root, _) in BACKGROUND_AD.items():
        frame = tables[sheet]
        if frame.empty:
            continue
        for year, g in frame.groupby("year"):
            total = g[g["code"] == root]
            rows = g[g["code"] != root]
            assert len(total) == 1, (sheet, year)
            for gas in ("CO2", "CH4", "N2O"):
                nums = [v for v in rows[f"{gas} [kt]"] if isinstance(v, float)]
                t = total[f"{gas} [kt]"].iloc[0]
                if nums:
                    assert t == pytest.approx(sum(nums)), (sheet, year, gas)
                else:
                    assert t is None


def test_round_trip_xlsx_and_json(tkm_ad, tmp_path):
    _, _, tables = tkm_ad
    for t in tables.values():
        t.attrs["gwp_set"] = "AR5GWP100"
    for back in (
        read_crt_xlsx(write_crt_xlsx(tables, tmp_path / "crt.xlsx")),
        read_crt_json(write_crt_json(tables, tmp_path / "crt.json")),
    ):
        for name, frame in tables.items():
            got = back[name]
            assert list(got.columns) == list(frame.columns)
            for a, b in zip(
                frame.itertuples(index=False), got.itertuples(index=False), strict=True
            ):
                for x, y in zip(a, b, strict=True):
                    assert (x == pytest.approx(y, rel=1e-15)) if isinstance(x, float) else x == y


def test_json_schema_describes_the_background_layout(tkm_ad, tmp_path):
    import json
    import re

    from openmrv.report import crt

    _, _, tables = tkm_ad
    schema = json.loads(crt.SCHEMA_FILE.read_text())
    spec = schema["$defs"]["background_table"]["properties"]["columns"]
    assert schema["properties"]["tables"]["patternProperties"]["-AD$"]
    doc = json.loads(write_crt_json(tables, tmp_path / "crt.json").read_text())
    for name, table in doc["tables"].items():
        assert name.endswith("-AD")
        cols = table["columns"]
        head = [p["const"] for p in spec["prefixItems"]]
        assert cols[: len(head)] == head
        assert all(re.fullmatch(spec["items"]["pattern"], c) for c in cols[len(head) :])
        for row in table["rows"]:
            assert isinstance(row["year"], int) and isinstance(row["code"], str)
