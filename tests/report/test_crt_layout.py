"""The CRT tables laid out row for row (crt_rows.csv): read back from crt.xlsx and crt.json,
rows against the specification's row lists, totals against the inventory dataset, a
notation key with an explanation in every cell without a number."""

from __future__ import annotations

import numpy as np
import pytest

from openmrv.case import load_case
from openmrv.dataformat import NOTATION_KEYS
from openmrv.gwp import gwp
from openmrv.report.crt import (
    crt_tables,
    read_crt_json,
    read_crt_xlsx,
    write_crt_json,
    write_crt_xlsx,
)
from openmrv.report.crt_layout import LAYOUT_TABLES, column_list, crt_rows, row_list
from openmrv.report.write import _notation_keys
from openmrv.stages.inventory import estimate_inventory

from .conftest import DATA

CAT = "category (IPCC2006)"
GAS_COLUMNS = {"CO2": "CO2 [kt]", "CH4": "CH4 [kt]", "N2O": "N2O [kt]"}


def _value(ds, code, var, year):
    sel = ds[var].sel({CAT: code, "time": str(year)})
    return float(np.asarray(sel.values).ravel()[0])


def _is_key(v) -> bool:
    return isinstance(v, str) and v != "" and set(v.split(",")) <= set(NOTATION_KEYS)


def _cell(frame, code, column, year=None):
    sel = frame[frame["code"] == code]
    if year is not None:
        sel = sel[sel["year"] == year]
    assert len(sel) == 1, (code, year)
    return sel[column].iloc[0]


@pytest.fixture(scope="module")
def mini_files(tmp_path_factory):
    """The mini case's CRT written to xlsx and JSON, with the dataset and tables."""
    case = load_case(DATA / "mini_case")
    result = estimate_inventory(case)
    tables = crt_tables(result.dataset, notation=_notation_keys(case), records=result.records())
    out = tmp_path_factory.mktemp("crt")
    write_crt_xlsx(tables, out / "crt.xlsx")
    write_crt_json(tables, out / "crt.json")
    return result.dataset, tables, read_crt_xlsx(out / "crt.xlsx"), read_crt_json(out / "crt.json")


def test_row_lists_are_well_formed():
    rows = crt_rows()
    assert set(LAYOUT_TABLES) - {"Summary2"} == set(rows["table"])
    # known facts of the CRT (decision 5/CMA.3): Summary1 opens with the national total and
    # the energy sector; Table5 lists 5.D wastewater with its three sub-categories
    assert [c for c, _, _ in row_list("Summary1")][:3] == ["Total", "1", "1.A"]
    t5 = [c for c, _, _ in row_list("Table5")]
    assert t5[t5.index("5.D") : t5.index("5.D") + 4] == ["5.D", "5.D.1", "5.D.2", "5.D.3"]
    assert row_list("Table4")[0][:2] == ("4", "Total LULUCF")
    for table in set(rows["table"]):
        codes = [c for c, _, k in row_list(table) if k == "category"]
        # each category row's parent is in the table (its first row is the table's total)
        for code in codes[1:]:
            parent = code.rsplit(".", 1)[0] if "." in code else "Total"
            assert parent in codes, (table, code)


def _check_layout(name, frame, years):
    """Per year, the rows are the row list in order, the labels the CRT's, every value
    cell a number or a notation key."""
    spec = row_list(name)
    headers = [h for h, _, _ in column_list(name)]
    assert list(frame.columns) == ["year", "code", "category", *headers], name
    for year in years:
        block = frame[frame["year"] == year]
        assert list(block["code"]) == [c for c, _, _ in spec], (name, year)
        assert list(block["category"]) == [label for _, label, _ in spec], (name, year)
    for col in headers:
        for v in frame[col]:
            assert isinstance(v, float) or _is_key(v), (name, col, v)


def _check_sums(name, frame):
    """A row with children in the table equals the sum of their numbers."""
    kinds = {c: k for c, _, k in row_list(name)}
    headers = [h for h, _, _ in column_list(name)]
    checked = 0
    for _, block in frame.groupby("year"):
        by = block.set_index("code")
        for code in by.index:
            kids = [
                k
                for k in by.index
                if kinds[k] == "category"
                and k != code
                and (k.rsplit(".", 1)[0] if "." in k else "Total") == code
            ]
            for col in headers:
                nums = [by.at[k, col] for k in kids if isinstance(by.at[k, col], float)]
                if nums:
                    assert by.at[code, col] == pytest.approx(sum(nums), rel=1e-12), (
                        name,
                        code,
                        col,
                    )
                    checked += 1
    return checked


def _check_totals(ds, back, years):
    """National totals per gas and sector totals against the dataset (IPCC codes; IPCC
    waste 4 is CRT sector 5)."""
    s1, s2 = back["Summary1"], back["Summary2"]
    for year in years:
        for gas, col in GAS_COLUMNS.items():
            want = _value(ds, "0", gas, year)
            assert _cell(s1, "Total", col, year) == pytest.approx(want, rel=1e-12)
            got = _cell(s2, "Total", f"{gas} [kt CO2 eq]", year)
            assert got == pytest.approx(want * gwp(gas, "AR5GWP100"), rel=1e-12)
            for crt_code, ipcc in (("1", "1"), ("5", "4")):
                if ipcc not in ds[CAT].values:
                    continue
                have = ds[gas].sel({CAT: ipcc, "time": str(year)}).values.ravel()[0]
                if not np.isnan(have):
                    assert _cell(s1, crt_code, col, year) == pytest.approx(float(have))
            sector = {"1": "Table1", "2": "Table2(I)", "3": "Table3", "4": "Table4", "5": "Table5"}
            for code, table in sector.items():  # a sectoral table's total is Summary1's row
                column = (
                    "Net CO2 emissions/removals [kt]" if table == "Table4" and gas == "CO2" else col
                )
                assert _cell(back[table], code, column, year) == _cell(s1, code, col, year)
        kyoto = _value(ds, "0", "KYOTOGHG (AR5GWP100)", year)
        assert _cell(s1, "Total", "Total GHG [kt CO2 eq]", year) == pytest.approx(kyoto, rel=1e-12)
        assert _cell(s2, "Total", "Total [kt CO2 eq]", year) == pytest.approx(kyoto, rel=1e-12)


def _check_table9(back):
    """Every keyed gas cell of the laid-out tables has a Table9 row with its key and an
    explanation."""
    t9 = back["Table9"]
    listed = set(zip(t9["code"], t9["gas"], t9["notation key"], strict=True))
    assert all(isinstance(x, str) and x for x in t9["explanation"])
    n = 0
    for name in LAYOUT_TABLES:
        frame = back[name]
        for h, e, _ in column_list(name):
            if e == "total":
                continue
            for code, v in zip(frame["code"], frame[h], strict=True):
                if isinstance(v, str):
                    assert (code, e, v) in listed, (name, code, e, v)
                    n += 1
    return n


@pytest.mark.parametrize("fmt", ["xlsx", "json"])
def test_mini_case_read_back(mini_files, fmt):
    ds, _tables, from_xlsx, from_json = mini_files
    back = from_xlsx if fmt == "xlsx" else from_json
    years = [2000, 2001, 2002]
    for name in LAYOUT_TABLES:
        _check_layout(name, back[name], years)
    assert sum(_check_sums(name, back[name]) for name in LAYOUT_TABLES) > 50
    _check_totals(ds, back, years)
    assert _check_table9(back) > 1000
    # the case's own key and explanation (notation_keys.csv: 2.A.1 CO2 NO) reach Table9
    t9 = back["Table9"]
    row = t9[(t9["code"] == "2.A.1") & (t9["gas"] == "CO2")]
    assert list(row["notation key"]) == ["NO"]
    assert "no cement plant in the synthetic country" in row["explanation"].iloc[0]
    assert row["years"].iloc[0] == "2000-2002"
    # F-gases: NE in IPPU, NA outside it; precursors NE
    s1 = back["Summary1"]
    assert _cell(s1, "2.F", "HFCs [kt CO2 eq]", 2002) == "NE"
    assert _cell(s1, "1.A.1", "SF6 [kt]", 2002) == "NA"
    assert _cell(s1, "3.A", "NOx [kt]", 2002) == "NE"


def test_mini_case_methods_and_trends(mini_files):
    ds, _tables, back, _ = mini_files
    s3 = back["Summary3"].set_index("code")
    # the mini case estimates 1.A.1.a with its own (country-specific) Tier 2 factors
    assert s3.at["1.A.1", "CO2 method applied"] == "T2"
    assert s3.at["1.A.1", "CO2 emission factor"] == "CS"
    # no estimate: the Summary1 key of the latest year
    assert s3.at["2.A", "CO2 method applied"] == "NO"
    assert s3.at["1.A.1", "HFCs method applied"] == "NA"
    t10 = back["Table10s1"].set_index("code")
    first, last = (_value(ds, "0", "KYOTOGHG (AR5GWP100)", y) for y in (2000, 2002))
    assert t10.at["Total", "2002 [kt CO2 eq]"] == pytest.approx(last, rel=1e-12)
    assert t10.at["Total", "change from first to last year [%]"] == pytest.approx(
        100 * (last / first - 1), rel=1e-12
    )
    t10ch4 = back["Table10s3"].set_index("code")
    assert t10ch4.at["Total", "2001 [kt]"] == pytest.approx(_value(ds, "0", "CH4", 2001))
    assert t10ch4.at["1.A.2", "change from first to last year [%]"] == "NE"


def test_tkm_run_crt_read_back(tkm_run):
    """The Turkmenistan run's crt.xlsx and crt.json: rows, totals, keys; Table7 from the
    key category analysis; 5.D wastewater estimated."""
    ds = tkm_run.result.dataset
    years = [1990, 2005, 2020]
    for back in (read_crt_xlsx(tkm_run.out / "crt.xlsx"), read_crt_json(tkm_run.out / "crt.json")):
        for name in LAYOUT_TABLES:
            _check_layout(name, back[name], years)
            _check_sums(name, back[name])
        _check_totals(ds, back, years)
        _check_table9(back)
        assert isinstance(_cell(back["Table5"], "5.D", "CH4 [kt]", 2020), float)
        assert _cell(back["Summary1"], "1.B.1", "CH4 [kt]", 2020) == "NO"
        t7 = back["Table7"]
        kc = tkm_run.uncertainty.key_categories
        assert len(t7) == int(kc["key_category"].astype(bool).sum())
        assert set(t7["IPCC category"]) <= set(kc["category"].astype(str))
        assert back["Summary3"].set_index("code").at["1.A.1", "CO2 emission factor"] == "D"
