"""CRT tables: mapping, totals, notation keys, xlsx and JSON round trips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from openmrv.case import load_case
from openmrv.categories import check_code
from openmrv.report import crt
from openmrv.report.background import activity_table
from openmrv.report.crt import (
    CRTMappingError,
    crt_categories,
    crt_mapping,
    crt_tables,
    read_crt_json,
    read_crt_xlsx,
    write_crt_json,
    write_crt_xlsx,
)
from openmrv.report.crt_background import background_tables_list
from openmrv.stages.inventory import estimate_inventory

from .conftest import DATA

CAT = "category (IPCC2006)"


def _num(v):
    return v if isinstance(v, float) else 0.0


def _cell(frame, code, column, year=None):
    sel = frame[frame["code"] == code]
    if year is not None:
        sel = sel[sel["year"] == year]
    assert len(sel) == 1, (code, year)
    return sel[column].iloc[0]


def _value(ds, code, var, year):
    sel = ds[var].sel({CAT: code, "time": str(year)})
    return float(np.asarray(sel.values).ravel()[0])


def test_mapping_rows_are_valid_codes():
    known = set(crt_categories()["code"])
    for code, row in crt_mapping().items():
        assert check_code(code) == code
        assert set(row.crt) <= known


def test_venting_and_flaring_land_under_1B2c():
    assert crt.map_category("1.B.2.a.i").crt == ("1.B.2.c.i.1",)
    assert crt.map_category("1.B.2.a.ii").crt == ("1.B.2.c.ii.1",)
    assert crt.map_category("1.B.2.b.i").crt == ("1.B.2.c.i.2",)
    assert crt.map_category("1.B.2.b.ii").crt == ("1.B.2.c.ii.2",)
    # a sub-category without a row of its own follows its ancestor's subtree row
    assert crt.map_category("1.B.2.b.iii.2").crt == ("1.B.2.b.ii",)


def _with_background(result, **kwargs):
    """The CRT tables of an inventory result with its background tables."""
    return crt_tables(
        result.dataset, records=result.records(), activity=activity_table(result), **kwargs
    )


def test_mini_case_tables_equal_dataset(mini_dataset):
    tables = _with_background(estimate_inventory(load_case(DATA / "mini_case")))
    ds = mini_dataset
    b2 = tables["Table1.B.2"]
    for year in (2000, 2002):
        flaring = _value(ds, "1.B.2.b.ii", "CO2", year)
        assert flaring > 0
        assert _cell(b2, "1.B.2.c.ii.2", "CO2 [kt]", year) == pytest.approx(flaring)
        assert _cell(b2, "1.B.2.c", "CO2 [kt]", year) == pytest.approx(flaring)
        assert _cell(b2, "1.B.2.b.ii", "CH4 [kt]", year) == pytest.approx(
            _value(ds, "1.B.2.b.iii.2", "CH4", year)
        )
        s1 = tables["Summary1"]
        assert _cell(s1, "Total", "Total GHG [kt CO2 eq]", year) == pytest.approx(
            _value(ds, "0", "KYOTOGHG (AR5GWP100)", year)
        )
        assert _cell(s1, "3.A", "CH4 [kt]", year) == pytest.approx(_value(ds, "3.A.1", "CH4", year))
    # the case's notation key (2.A.1 CO2 NO) is carried into the cells
    assert _cell(tables["Summary1"], "2.A", "CO2 [kt]", 2001) == "NO"
    assert _cell(tables["Summary1"], "2", "CO2 [kt]", 2001) == "NO"


def _check_totals(name, frame):
    """Every row equals the sum of its child rows present in the table (where they have
    numbers); the total row equals the sum of its children."""
    if "additive_columns" in frame.attrs:
        total = frame[frame["code"] == "Total"]
        body = frame[frame["code"] != "Total"]
        for col in frame.attrs["additive_columns"]:
            want = sum(_num(float(v)) for v in body[col])
            assert float(total[col].iloc[0]) == pytest.approx(want, rel=1e-12), (name, col)
        return
    if "year" not in frame.columns:  # Summary3, Table7, Table9, Table10: checked apart
        return
    if name in background_tables_list() or name.startswith("Table8"):
        return  # test_crt_background checks these
    values = [c for c in frame.columns if c not in ("year", "code", "category")]
    parents = dict(zip(crt_categories()["code"], crt_categories()["parent"], strict=True))
    parents.update({c: None for c in frame["code"] if c not in parents})  # memo items
    checked = 0
    for _, block in frame.groupby("year"):
        by_code = block.set_index("code")
        for code in by_code.index:
            kids = [k for k in by_code.index if parents[k] == code]
            for col in values:
                nums = [by_code.at[k, col] for k in kids if isinstance(by_code.at[k, col], float)]
                if nums:
                    assert by_code.at[code, col] == pytest.approx(sum(nums), rel=1e-12), (
                        name,
                        code,
                        col,
                    )
                    checked += 1
    assert checked or not any(isinstance(v, float) for c in values for v in frame[c])


def test_tkm_totals_keys_and_uncertainty(tkm_run):
    unc = tkm_run.uncertainty
    tables = _with_background(
        tkm_run.result, key_categories=unc.key_categories, uncertainty=unc.approach1
    )
    assert {
        "Summary1",
        "Summary2",
        "Table1.A(a)s1",
        "Table1.B.2",
        "Table2(I).B",
        "Table3.A",
    } <= set(tables)
    assert {"Table3.B(a)", "Table5.A", crt.UNCERTAINTY_SHEET, crt.KEY_SHEET} <= set(tables)
    assert not {"Table3.2", "KeyCategories"} & set(tables)  # not CRT tables: annex names
    for name, frame in tables.items():
        _check_totals(name, frame)
        assert frame.attrs["gwp_set"] == "AR5GWP100"
    ds = tkm_run.result.dataset
    s1 = tables["Summary1"]
    for year in (1990, 2020):
        assert _cell(s1, "Total", "Total GHG [kt CO2 eq]", year) == pytest.approx(
            _value(ds, "0", "KYOTOGHG (AR5GWP100)", year), rel=1e-12
        )
        # IPCC waste (4) is CRT sector 5
        assert _cell(s1, "5", "CH4 [kt]", year) == pytest.approx(_value(ds, "4", "CH4", year))
        b2 = tables["Table1.B.2"]
        vf = sum(_value(ds, c, "CH4", year) for c in ("1.B.2.a.i", "1.B.2.b.i"))
        assert _cell(b2, "1.B.2.c.i", "CH4 [kt]", year) == pytest.approx(vf)
    keys = {v for f in tables.values() for v in f.to_numpy().ravel() if isinstance(v, str)}
    assert {"NO", "NE"} <= keys
    assert _cell(s1, "1.B.1", "CH4 [kt]", 2020) == "NO"
    t32 = tables[crt.UNCERTAINTY_SHEET]
    assert _cell(t32, "Total", "G combined uncertainty [%]") == pytest.approx(
        unc.approach1_totals["level_pct"]
    )
    assert t32.attrs["trend_uncertainty_pct"] == pytest.approx(unc.approach1_totals["trend_pct"])
    kc = tables[crt.KEY_SHEET]
    assert _cell(kc, "Total", "level_a1_share") == pytest.approx(1.0)


def test_number_at_spanning_category_is_an_error(mini_dataset):
    below = [c for c in mini_dataset[CAT].values if str(c).startswith("1.B.2.b.")]
    assert below
    ds = mini_dataset.drop_sel({CAT: below})
    # 1.B.2.b now holds a number but no sub-categories: venting and flaring cannot be placed
    with pytest.raises(CRTMappingError, match=r"1\.B\.2\.b.*spans CRT"):
        crt_tables(ds)


def _same(a: pd.DataFrame, b: pd.DataFrame, rel: float = 0.0) -> None:
    """Equal cell by cell: same types, numbers within ``rel`` (xlsx keeps 16 digits)."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        for x, y in zip(a[col], b[col], strict=True):
            assert type(x) is type(y), (col, x, y)
            if isinstance(x, float):
                assert abs(x - y) <= rel * abs(x), (col, x, y)
            else:
                assert x == y, (col, x, y)


def test_xlsx_and_json_round_trip(tmp_path, mini_dataset):
    tables = crt_tables(mini_dataset)
    xlsx = write_crt_xlsx(tables, tmp_path / "crt.xlsx")
    back = read_crt_xlsx(xlsx)
    assert list(back) == list(tables)
    for name in tables:
        _same(tables[name], back[name], rel=1e-15)
    js = write_crt_json(tables, tmp_path / "crt.json")
    for name, frame in read_crt_json(js).items():
        _same(tables[name], frame)
    assert not list(tmp_path.glob(".*part*"))
    # the same tables give the same bytes (re-running a case reproduces crt.xlsx exactly)
    again = write_crt_xlsx(tables, tmp_path / "again.xlsx")
    assert again.read_bytes() == xlsx.read_bytes()


def _validate(instance, schema, defs, where="$"):
    """A small JSON Schema check: type, const, enum, required, properties, items, $ref."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        pytypes = {
            "object": dict,
            "array": list,
            "string": str,
            "integer": int,
            "number": (int, float),
            "boolean": bool,
            "null": type(None),
        }
        ok = any(
            isinstance(instance, pytypes[t])
            and not (t in ("integer", "number") and instance is True)
            for t in names
        )
        assert ok, f"{where}: {instance!r} is not {names}"
    if "const" in schema:
        assert instance == schema["const"], where
    if "enum" in schema:
        assert instance in schema["enum"], where
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            assert key in instance, f"{where}: '{key}' missing"
        props = schema.get("properties", {})
        for key, value in instance.items():
            sub = props.get(key, schema.get("additionalProperties"))
            if isinstance(sub, dict):
                _validate(value, sub, defs, f"{where}.{key}")
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            _validate(item, schema["items"], defs, f"{where}[{i}]")


def test_json_follows_schema(tmp_path, mini_dataset):
    path = write_crt_json(crt_tables(mini_dataset), tmp_path / "crt.json")
    doc = json.loads(path.read_text())
    schema = json.loads(crt.SCHEMA_FILE.read_text())
    _validate(doc, schema, schema["$defs"])
    with pytest.raises(AssertionError):
        doc["tables"]["Summary1"]["rows"][0]["CO2 [kt]"] = [1]
        _validate(doc, schema, schema["$defs"])


def test_xlsx_dates_fixed_whatever_the_namespace_prefix(tmp_path):
    """openpyxl names the Dublin Core terms namespace "dcterms" or "dct" depending on
    what the process registered before; either way the modified date is fixed."""
    import zipfile

    from openmrv.report.crt_io import _FIXED_TIME, _reproducible_zip

    stamp = _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    for prefix in ("dcterms", "dct"):
        src, dst = tmp_path / f"{prefix}.raw", tmp_path / f"{prefix}.xlsx"
        core = (
            f'<cp:coreProperties><{prefix}:modified xsi:type="dcterms:W3CDTF">'
            f"2026-12-06T02:54:17Z</{prefix}:modified></cp:coreProperties>"
        )
        with zipfile.ZipFile(src, "w") as z:
            z.writestr("docProps/core.xml", core)
        _reproducible_zip(src, dst)
        with zipfile.ZipFile(dst) as z:
            text = z.read("docProps/core.xml").decode()
        assert f">{stamp}</{prefix}:modified>" in text and "2026" not in text
