"""The CRT sectoral background tables (crt_background_rows.csv) and Table8 (recalculations):
read back from crt.xlsx, rows against the row lists, emissions against the inventory
dataset and the activity table, IEF = emissions / activity, Table8 against two runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from openmrv.case import load_case
from openmrv.cli import app
from openmrv.dataformat import NOTATION_KEYS
from openmrv.gwp import gwp
from openmrv.report.background import activity_table
from openmrv.report.crt import (
    SCHEMA_FILE,
    crt_tables,
    read_crt_json,
    read_crt_xlsx,
    write_crt_json,
    write_crt_xlsx,
)
from openmrv.report.crt_background import (
    FUEL_CLASSES,
    IEF_SCALE,
    background_columns,
    background_rows,
    background_tables_list,
)
from openmrv.report.crt_layout import row_list
from openmrv.report.write import _notation_keys
from openmrv.stages.inventory import estimate_inventory

from .conftest import DATA
from .test_crt import _validate

CAT = "category (IPCC2006)"
runner = CliRunner()


def _is_key(v) -> bool:
    return isinstance(v, str) and v != "" and set(v.split(",")) <= set(NOTATION_KEYS)


def _row(frame, code, year, fuel=None):
    sel = frame[(frame["code"] == code) & (frame["year"] == year)]
    if fuel is not None:
        sel = sel[sel["fuel"] == fuel]
    assert len(sel) == 1, (code, year, fuel)
    return sel.iloc[0]


def _value(ds, code, gas, year):
    return float(np.asarray(ds[gas].sel({CAT: code, "time": str(year)}).values).ravel()[0])


@pytest.fixture(scope="module")
def mini_back(tmp_path_factory):
    """The mini case's CRT with background tables, written to xlsx and JSON and read back."""
    case = load_case(DATA / "mini_case")
    result = estimate_inventory(case)
    activity = activity_table(result)
    tables = crt_tables(
        result.dataset,
        notation=_notation_keys(case),
        records=result.records(),
        activity=activity,
        reference=result.reference_approach,
    )
    out = tmp_path_factory.mktemp("crtbg")
    write_crt_xlsx(tables, out / "crt.xlsx")
    write_crt_json(tables, out / "crt.json")
    _check_schema(out / "crt.json")
    return result, activity, read_crt_xlsx(out / "crt.xlsx"), read_crt_json(out / "crt.json")


def _check_schema(path):
    """crt.json with the background tables and Table8 follows crt.schema.json."""
    doc = json.loads(path.read_text())
    assert {*background_tables_list(), "Table8s1", "Table8s2"} <= set(doc["tables"])
    schema = json.loads(SCHEMA_FILE.read_text())
    _validate(doc, schema, schema["$defs"])


def test_row_lists_are_the_crt_facts():
    rows = background_rows()
    assert set(background_tables_list()) == set(background_columns()["table"])
    s1 = rows[rows["table"] == "Table1.A(a)s1"]
    # the CRT's Table 1.A(a) sheet 1 opens with 1.A and its six fuel classes, then 1.A.1
    assert list(zip(s1["code"], s1["fuel"], strict=True))[:8] == [
        ("1.A", "total"),
        *(("1.A", f) for f in ("liquid", "solid", "gaseous", "other", "peat", "biomass")),
        ("1.A.1", "total"),
    ]
    b2 = list(rows.loc[rows["table"] == "Table1.B.2", "code"])
    assert b2[0] == "1.B.2.a" and b2[-1] == "1.B.2.d"
    assert b2.index("1.B.2.c.i") < b2.index("1.B.2.c.ii.2") < b2.index("1.B.2.d")
    s3 = rows[(rows["table"] == "Table1.A(a)s3") & (rows["code"] == "1.A.3.b")]
    assert {"motor_gasoline", "gas_diesel_oil", "lpg"} <= set(s3["fuel"])


def test_sheets_follow_the_row_lists(mini_back):
    result, _, back, back_json = mini_back
    years = sorted({int(y) for y in result.dataset["time"].dt.year.values})
    for name in background_tables_list():
        frame = back[name]
        spec = background_rows()[background_rows()["table"] == name]
        cols = background_columns()
        heads = list(cols.loc[cols["table"] == name, "column"])
        assert list(frame.columns)[-len(heads) :] == heads, name
        for year in years:
            block = frame[frame["year"] == year]
            assert list(block["code"]) == list(spec["code"]), (name, year)
            assert list(block["category"]) == list(spec["label"]), (name, year)
            if "fuel" in block:
                assert list(block["fuel"]) == list(spec["fuel"]), (name, year)
        for col in heads:
            kind = cols.loc[(cols["table"] == name) & (cols["column"] == col), "quantity"].iloc[0]
            for v in frame[col]:
                if kind in ("activity", "ief", "emissions", "species", "species_total"):
                    assert isinstance(v, float) or _is_key(v), (name, col, v)
                else:
                    assert isinstance(v, str) and v, (name, col, v)
        pd.testing.assert_frame_equal(frame, back_json[name], check_dtype=False)


def test_emissions_activity_and_ief_against_the_inventory(mini_back):
    result, activity, back, _ = mini_back
    ds = result.dataset
    s1 = back["Table1.A(a)s1"]
    for year in (2000, 2002):
        # 1.A.1.a natural gas: the dataset's CO2 of 1.A.1.a, the activity table's TJ
        tj = activity[
            (activity["category"] == "1.A.1.a")
            & (activity["key"] == "natural_gas")
            & (activity["year"] == year)
        ]["value"].iloc[0]
        co2 = _value(ds, "1.A.1.a", "CO2", year)
        for fuel in ("total", "gaseous"):
            r = _row(s1, "1.A.1.a", year, fuel)
            assert r["Consumption [TJ]"] == pytest.approx(tj, rel=1e-12)
            assert r["CO2 [kt]"] == pytest.approx(co2, rel=1e-12)
            assert r["CO2 IEF [t/TJ]"] == pytest.approx(co2 * 1e3 / tj, rel=1e-12)
        assert _row(s1, "1.A.1.a", year, "solid")["CO2 [kt]"] == "NE"
        # 1.B.2.b.ii (IPCC 1.B.2.b.iii.2, production): gas production, CH4 IEF per 1e9 m3
        r = _row(back["Table1.B.2"], "1.B.2.b.ii", year)
        ch4 = _value(ds, "1.B.2.b.iii.2", "CH4", year)
        prod = activity[(activity["category"] == "1.B.2.b.iii.2") & (activity["year"] == year)][
            "value"
        ]
        assert r["CH4 [kt]"] == pytest.approx(ch4, rel=1e-12)
        assert r["Activity value"] == pytest.approx(float(prod.iloc[0]), rel=1e-12)
        assert r["Activity unit"] == "1e9 m**3"
        assert r["CH4 IEF [kg/unit]"] == pytest.approx(ch4 * 1e6 / r["Activity value"])
        # 3.A.2 sheep: enteric CH4 per head
        r = _row(back["Table3.A"], "3.A.2", year)
        assert r["CH4 [kt]"] == pytest.approx(_value(ds, "3.A.1.c", "CH4", year), rel=1e-12)
        assert r["Activity unit"] == "head"


def test_reference_approach_tables(mini_back):
    """Truth: the mini case's apparent consumption of natural gas (1100 TJ in 2000) beside
    its fuel consumption (1000 TJ in 1.A.1.a): the difference is 10 %."""
    result, activity, back, _ = mini_back
    ref = result.reference_approach
    for year in (2000, 2001, 2002):
        ra = activity[(activity["activity"] == "apparent_consumption") & (activity["year"] == year)]
        sa = activity[(activity["activity"] == "fuel_consumption") & (activity["year"] == year)]
        ra_tj = float(ra["value"].iloc[0]) if len(ra) else None
        co2 = ref[(ref["fuel_family"] == "gaseous") & (ref["year"] == year)]
        r = _row(back["Table1.A(c)"], "1.A", year, "gaseous")
        want_ra = float(co2["apparent_consumption_TJ"].iloc[0])
        if ra_tj is not None:
            assert want_ra == pytest.approx(ra_tj)
        assert r["Reference approach: apparent consumption [TJ]"] == pytest.approx(want_ra)
        assert r["Reference approach: CO2 [kt]"] == pytest.approx(
            float(co2["reference_Gg_CO2"].iloc[0])
        )
        sa_tj = float(sa.drop_duplicates(["category", "activity", "key", "year"])["value"].sum())
        assert r["Sectoral approach: fuel consumption [TJ]"] == pytest.approx(sa_tj)
        assert r["Difference: energy consumption [%]"] == pytest.approx(
            100 * (want_ra - sa_tj) / sa_tj
        )
        b = _row(back["Table1.A(b)"], "1.A", year, "total")
        assert b["Production [TJ]"] == "NE"
        assert b["Apparent consumption [TJ]"] == pytest.approx(want_ra)
    assert _row(back["Table1.A(c)"], "1.A", 2000, "gaseous")[
        "Difference: energy consumption [%]"
    ] == pytest.approx(10.0)


def _check_ief_and_fuel_sums(tables):
    """Every IEF number is emissions / activity in its unit; a category's fuel-class rows
    add up to its total row where every class is listed."""
    cols = background_columns()
    checked = 0
    for name in background_tables_list():
        frame = tables[name]
        act_col = cols[(cols["table"] == name) & (cols["quantity"] == "activity")]["column"]
        if act_col.empty:  # Table2(II): emissions by chemical only
            continue
        act_col = act_col.iloc[0]
        for c in cols[(cols["table"] == name) & (cols["quantity"] == "ief")].itertuples():
            em_col = f"{c.entity} [kt]"
            for ief, em, ad in zip(frame[c.column], frame[em_col], frame[act_col], strict=True):
                if isinstance(ief, float):
                    assert ief == pytest.approx(em * IEF_SCALE[c.unit] / ad, rel=1e-12)
                    checked += 1
        if "fuel" not in frame:
            continue
        for (_, code), block in frame.groupby(["year", "code"]):
            if not set(FUEL_CLASSES) <= set(block["fuel"]):
                continue
            total = block[block["fuel"] == "total"].iloc[0]
            parts = block[block["fuel"].isin(FUEL_CLASSES)]
            for col in ("CO2 [kt]", "CH4 [kt]", "N2O [kt]", act_col):
                nums = [v for v in parts[col] if isinstance(v, float)]
                if isinstance(total[col], float):
                    assert total[col] == pytest.approx(sum(nums), rel=1e-12, abs=1e-12), (
                        name,
                        code,
                        col,
                    )
                    checked += 1
    assert checked > 0


def test_ief_and_fuel_sums_mini(mini_back):
    _check_ief_and_fuel_sums(mini_back[2])


def test_turkmenistan_run_background_tables(tkm_run):
    """The Turkmenistan run's crt.xlsx: 1.B.2 (its largest source) against the dataset,
    fuel classes against the activity table, IEF = emissions / activity throughout."""
    back = read_crt_xlsx(tkm_run.out / "crt.xlsx")
    ds = tkm_run.result.dataset
    activity = pd.read_csv(tkm_run.out / "activity.csv")
    _check_ief_and_fuel_sums(back)
    year = 2020
    b2 = back["Table1.B.2"]
    # CRT 1.B.2.b.ii production and gathering = IPCC 1.B.2.b.iii.2
    assert _row(b2, "1.B.2.b.ii", year)["CH4 [kt]"] == pytest.approx(
        _value(ds, "1.B.2.b.iii.2", "CH4", year), rel=1e-12
    )
    # CRT 1.B.2.c.i.2 (venting, gas) = IPCC 1.B.2.b.i
    assert _row(b2, "1.B.2.c.i.2", year)["CO2 [kt]"] == pytest.approx(
        _value(ds, "1.B.2.b.i", "CO2", year), rel=1e-12
    )
    # residential gaseous fuels: natural gas in activity.csv [TJ]
    gas = activity[
        (activity["category"] == "1.A.4.b")
        & (activity["key"] == "natural_gas")
        & (activity["year"] == year)
    ].drop_duplicates(["category", "activity", "key", "year"])
    r = _row(back["Table1.A(a)s4"], "1.A.4.b", year, "gaseous")
    assert r["Consumption [TJ]"] == pytest.approx(float(gas["value"].sum()), rel=1e-12)
    # every 1.A total row equals Table1's number (the dataset)
    t1 = back["Table1"]
    for code in ("1.A.1", "1.A.2", "1.A.3", "1.A.4"):
        table1 = t1[(t1["code"] == code) & (t1["year"] == year)]["CO2 [kt]"].iloc[0]
        sheet = next(n for n in background_tables_list() if (back[n]["code"] == code).any())
        assert _row(back[sheet], code, year, "total")["CO2 [kt]"] == pytest.approx(table1)
    # Table8 is present without --previous, with its rows and the note
    t8 = back["Table8s1"]
    assert list(t8[t8["year"] == year]["code"]) == [c for c, _, _ in row_list("Summary1")]
    assert set(t8["CO2 previous submission [kt CO2 eq]"]) == {"NA"}
    assert "no previous submission" in t8.attrs["title"]


def _inventory(case, out, *extra):
    res = runner.invoke(app, ["inventory", str(case), "--out", str(out), "--no-pdf", *extra])
    assert res.exit_code == 0, res.output
    return out


def test_table8_shows_a_changed_activity_and_its_reason(mini_case, tmp_path):
    """Truth: one activity value (1.B.2.b gas production, 2002) doubled by hand between
    two runs; Table8s1's difference is the change between the two runs' Summary1, and
    Table8s2 names the category and the changed input."""
    before = _inventory(mini_case, tmp_path / "v1")
    act = mini_case / "activity.csv"
    lines = act.read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("1.B.2.b,") and ",2002," in line)
    cells = lines[i].split(",")
    col = lines[0].split(",").index("value")
    cells[col] = str(2 * float(cells[col]))
    lines[i] = ",".join(cells)
    act.write_text("\n".join(lines) + "\n")
    after = _inventory(mini_case, tmp_path / "v2", "--previous", str(before))
    old, new = read_crt_xlsx(before / "crt.xlsx"), read_crt_xlsx(after / "crt.xlsx")
    t8 = new["Table8s1"]
    ch4 = gwp("CH4", "AR5GWP100")
    for code in ("Total", "1", "1.B", "1.B.2"):
        a = _row(old["Summary1"], code, 2002)["CH4 [kt]"] * ch4
        b = _row(new["Summary1"], code, 2002)["CH4 [kt]"] * ch4
        r = _row(t8, code, 2002)
        assert b > a
        assert r["CH4 previous submission [kt CO2 eq]"] == pytest.approx(a, rel=1e-9)
        assert r["CH4 latest submission [kt CO2 eq]"] == pytest.approx(b, rel=1e-12)
        assert r["CH4 difference [kt CO2 eq]"] == pytest.approx(b - a, rel=1e-9)
        assert r["CH4 difference [%]"] == pytest.approx(100 * (b - a) / a, rel=1e-9)
    # a year and a category without change: no difference
    assert _row(t8, "1.B.2", 2001)["CH4 difference [kt CO2 eq]"] == 0.0
    assert _row(t8, "3", 2002)["CH4 difference [kt CO2 eq]"] == 0.0
    s2 = new["Table8s2"]
    assert set(s2["years"]) == {"2002"}
    assert set(s2["reason"]) == {"inputs changed: activity.csv (changed)"}
    assert all(c.startswith("1.B.2") for c in s2["code"])
    assert "1.B.2.b.ii" in set(s2["code"])
    # the background table shows the doubled activity
    a1 = _row(old["Table1.B.2"], "1.B.2.b.ii", 2002)["Activity value"]
    assert _row(new["Table1.B.2"], "1.B.2.b.ii", 2002)["Activity value"] == pytest.approx(2 * a1)
    assert "no previous submission" in old["Table8s2"]["reason"].iloc[0]


def test_table2ii_by_chemical(tmp_path):
    """Truth: refrigerant charged into mobile AC (HFC-134a, 100 t/yr since 2005) and chillers
    (HFC-32, 10 t/yr since 2015); 2020 emissions by hand (IPCC 2006 Vol 3 Eq. 7.10, 7.12-7.14,
    Table 7.9 midpoints, as tests/test_sectors_fgas.py): 199.1 t and 5.16 t."""
    rows = "".join(
        f"2.F.1.b,refrigerant_charged_new,mobile_ac:HFC134a,{y},100,t,synthetic,\n"
        for y in range(2005, 2021)
    ) + "".join(
        f"2.F.1.a,refrigerant_charged_new,chillers:HFC32,{y},10,t,synthetic,\n"
        for y in range(2015, 2021)
    )
    (tmp_path / "activity.csv").write_text(
        "category,activity,key,year,value,unit,source,notes\n" + rows
    )
    (tmp_path / "case.yaml").write_text(
        "name: fgas\ncountry: UZB\nyears: {first: 2020, last: 2020}\nactivity: [activity.csv]\n"
    )
    result = estimate_inventory(load_case(tmp_path))
    tables = crt_tables(result.dataset, records=result.records(), activity=activity_table(result))
    t2 = _row(tables["Table2(II)"], "2.F.1", 2020)
    mobile = 100 * 0.0035 + 1200 * 0.15 + 100 * 0.25 * (1 - 0.25)
    chillers = 10 * 0.006 + 60 * 0.085
    assert t2["HFC-134a [t]"] == pytest.approx(mobile, rel=1e-9)
    assert t2["HFC-32 [t]"] == pytest.approx(chillers, rel=1e-9)
    gwps = tables["Table2(II)"].attrs["gwp_set"]
    want = (mobile * gwp("HFC134a", gwps) + chillers * gwp("HFC32", gwps)) / 1e3
    assert t2["Total HFCs [kt CO2 eq]"] == pytest.approx(want, rel=1e-9)
    assert _row(tables["Table2(II)"], "2", 2020)["Total HFCs [kt CO2 eq]"] == pytest.approx(
        want, rel=1e-9
    )
    assert t2["CF4 [t]"] == "NE" and t2["SF6 [t]"] == "NE" and t2["HFC-23 [t]"] == "NE"
    table9 = tables["Table9"]
    assert ((table9["code"] == "2.F.1") & (table9["gas"] == "CF4")).any()
