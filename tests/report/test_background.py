"""CRT background tables: activity data, implied emission factors, totals, round trips.

Expected implied emission factors are the synthetic factors of tests/data/mini_case
(factors_cs.csv), recovered from emissions / activity: a known truth."""

from __future__ import annotations

import pandas as pd
import pytest

from openmrv.case import load_case
from openmrv.report.background import BACKGROUND_AD, activity_table, background_tables
from openmrv.report.crt import read_crt_json, read_crt_xlsx, write_crt_json, write_crt_xlsx
from openmrv.stages.inventory import estimate_inventory

from .conftest import DATA

CAT = "category (IPCC2006)"


@pytest.fixture(scope="module")
def mini():
    result = estimate_inventory(load_case(DATA / "mini_case"))
    act = activity_table(result)
    return result, act, background_tables(result.dataset, result.records(), act)


def _row(frame, category, year, key=None):
    sel = frame[(frame["IPCC category"] == category) & (frame["year"] == year)]
    if key is not None:
        sel = sel[sel["key"] == key]
    assert len(sel) == 1
    return sel.iloc[0]


def test_activity_table_is_the_case_activity(mini):
    _, act, _ = mini
    case_act = pd.read_csv(DATA / "mini_case" / "activity.csv")
    gas = case_act[case_act["category"] == "1.A.1.a"].set_index("year")["value"]
    sel = act[(act["category"] == "1.A.1.a") & (act["gas"] == "CO2")].set_index("year")
    assert (sel["unit"] == "TJ").all()
    assert sel["value"].to_dict() == pytest.approx(gas.to_dict())


def test_implied_emission_factors_by_hand(mini):
    _, _, tables = mini
    a = _row(tables["Table1.A(a)-AD"], "1.A.1.a", 2002)
    # 3000 TJ of natural gas at 56,100 kg CO2/TJ, 1 kg CH4/TJ, 0.1 kg N2O/TJ
    assert a["activity value"] == pytest.approx(3000.0)
    assert a["CO2 IEF [kg/unit]"] == pytest.approx(56100.0)
    assert a["CH4 IEF [kg/unit]"] == pytest.approx(1.0)
    assert a["N2O IEF [kg/unit]"] == pytest.approx(0.1)
    assert a["CO2 [kt]"] == pytest.approx(3000 * 56100 / 1e6)
    # 30 bcm of gas at 0.002 Gg CH4 per 1e6 m3 -> 2e6 kg per 1e9 m3
    b = _row(tables["Table1.B.2-AD"], "1.B.2.b.iii.2", 2002)
    assert b["activity unit"] == "1e9 m**3"
    assert b["CH4 IEF [kg/unit]"] == pytest.approx(0.002 * 1e6 * 1e3)
    # 2,000,000 sheep at 5 kg CH4/head (Asia)
    s = _row(tables["Table3.A-AD"], "3.A.1.c", 2002)
    assert s["activity value"] == pytest.approx(2e6)
    assert s["CH4 IEF [kg/unit]"] == pytest.approx(5.0)
    assert s["CO2 [kt]"] is None


def test_ief_equals_dataset_over_activity(mini):
    result, act, tables = mini
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
    assert checked >= 3 * 6  # 1.A.1.a x 3 gases, 1.B.2 x 2, sheep, over three years


def test_totals_are_sums_of_rows(mini):
    _, _, tables = mini
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


def test_round_trip_xlsx_and_json(mini, tmp_path):
    _, _, tables = mini
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


def test_json_schema_describes_the_background_layout(mini, tmp_path):
    import json
    import re

    from openmrv.report import crt

    _, _, tables = mini
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
