"""CRT background tables Table3.C, Table3.D, Table5.B-5.D and Table6 on the Turkmenistan run:
read back from crt.xlsx and crt.json against their row lists, emissions against the dataset
(summed independently), implied emission factors against a hand calculation from the IPCC
2006 defaults, and every notation key with its Table9 row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openmrv.report.crt import read_crt_json, read_crt_xlsx
from openmrv.report.crt_background import background_columns, background_rows

CAT = "category (IPCC2006)"
NEW = ("Table3.C", "Table3.D", "Table5.B", "Table5.C", "Table5.D", "Table6")
YEAR = 2020
#: IPCC 2006 Vol 4 Ch 11 Table 11.1 EF1 [kg N2O-N / kg N] and Table 11.3 Frac_GASF, EF4,
#: Frac_LEACH, EF5 (the defaults the Turkmenistan case uses); 44/28 N2O-N -> N2O
EF1, FRAC_GASF, EF4, FRAC_LEACH, EF5 = 0.01, 0.10, 0.010, 0.30, 0.0075
N2O_PER_N = 44.0 / 28.0


@pytest.fixture(scope="module")
def tkm(tkm_run):
    xlsx = read_crt_xlsx(tkm_run.out / "crt.xlsx")
    js = read_crt_json(tkm_run.out / "crt.json")
    act = pd.read_csv(tkm_run.out / "activity.csv", keep_default_na=False)
    return tkm_run.result.dataset, act, xlsx, js


def _value(ds, code, gas, year=YEAR):
    return float(np.asarray(ds[gas].sel({CAT: code, "time": str(year)}).values).ravel()[0])


def _row(frame, code, year=YEAR):
    sel = frame[(frame["code"] == code) & (frame["year"] == year)]
    assert len(sel) == 1, code
    return sel.iloc[0]


def test_new_sheets_follow_their_row_lists(tkm):
    _, _, xlsx, js = tkm
    rows, cols = background_rows(), background_columns()
    for name in NEW:
        spec = rows[rows["table"] == name]
        heads = list(cols.loc[cols["table"] == name, "column"])
        for back in (xlsx, js):
            frame = back[name]
            assert list(frame.columns) == ["year", "code", "category", *heads], name
            for year in sorted(set(frame["year"])):
                block = frame[frame["year"] == year]
                assert list(block["code"]) == list(spec["code"]), (name, year)
                assert list(block["category"]) == list(spec["label"]), (name, year)
            for col in heads:
                assert all(v is not None and v != "" for v in frame[col]), (name, col)
        pd.testing.assert_frame_equal(xlsx[name], js[name], check_dtype=False)


def test_soils_against_the_dataset_and_by_hand(tkm):
    ds, act, xlsx, _ = tkm
    t3d = xlsx["Table3.D"]
    direct, indirect = _value(ds, "3.C.4", "N2O"), _value(ds, "3.C.5", "N2O")
    r1, r1a, r2 = _row(t3d, "3.D.1"), _row(t3d, "3.D.1.a"), _row(t3d, "3.D.2")
    assert r1["N2O [kt]"] == pytest.approx(direct, rel=1e-12)
    assert r1a["N2O [kt]"] == pytest.approx(direct, rel=1e-12)  # synthetic N only
    assert r2["N2O [kt]"] == pytest.approx(indirect, rel=1e-12)
    # Table3's 3.D is the sum of direct and indirect
    t3 = xlsx["Table3"]
    t3_3d = t3[(t3["code"] == "3.D") & (t3["year"] == YEAR)]["N2O [kt]"].iloc[0]
    assert t3_3d == pytest.approx(direct + indirect, rel=1e-12)
    # activity: the synthetic N of activity.csv [t N]
    n = act[(act["category"] == "3.C.4") & (act["year"] == YEAR)]
    assert r1a["Activity unit"] == "t N"
    assert r1a["Activity value"] == pytest.approx(float(n["value"].iloc[0]), rel=1e-12)
    # hand-calculated IEF [kg N2O per t N]: direct EF1 x 44/28; indirect
    # (Frac_GASF x EF4 + Frac_LEACH x EF5) x 44/28 (IPCC 2006 Vol 4 Eq. 11.1, 11.9, 11.10)
    assert r1a["N2O IEF [kg/unit]"] == pytest.approx(1e3 * EF1 * N2O_PER_N, rel=1e-9)
    want = 1e3 * (FRAC_GASF * EF4 + FRAC_LEACH * EF5) * N2O_PER_N
    assert r2["N2O IEF [kg/unit]"] == pytest.approx(want, rel=1e-9)
    # indirect pathways: one sum in openmrv -> IE in the split rows
    for code in ("3.D.2.a", "3.D.2.b"):
        assert _row(t3d, code)["N2O [kt]"] == "IE"
    for code in ("3.D.1.b", "3.D.1.c", "3.D.1.d"):
        assert _row(t3d, code)["N2O [kt]"] == "NE"


def test_wastewater_and_waste_against_the_dataset(tkm):
    ds, act, xlsx, _ = tkm
    r = _row(xlsx["Table5.D"], "5.D.1")
    ch4 = _value(ds, "4.D.1", "CH4")
    assert r["CH4 [kt]"] == pytest.approx(ch4, rel=1e-12)
    pop = act[(act["category"] == "4.D.1") & (act["year"] == YEAR)]["value"].iloc[0]
    assert r["Activity value"] == pytest.approx(float(pop))
    assert r["CH4 IEF [kg/unit]"] == pytest.approx(ch4 * 1e6 / float(pop), rel=1e-12)
    # the case keys industrial wastewater CH4 NE, effluent N2O NE
    assert _row(xlsx["Table5.D"], "5.D.2")["CH4 [kt]"] == "NE"
    assert r["N2O [kt]"] == "NE"
    # Table5's 5.D equals the sum of Table5.D's numbers (independent of the mapping)
    t5 = xlsx["Table5"]
    t5d = t5[(t5["code"] == "5.D") & (t5["year"] == YEAR)]["CH4 [kt]"].iloc[0]
    block = xlsx["Table5.D"][xlsx["Table5.D"]["year"] == YEAR]
    assert t5d == pytest.approx(sum(v for v in block["CH4 [kt]"] if isinstance(v, float)))
    # no composting or incineration in the case: keyed throughout
    for name in ("Table5.B", "Table5.C"):
        frame = xlsx[name]
        assert all(isinstance(v, str) for c in frame.columns[3:] for v in frame[c]), name
    # rice (FAOSTAT area harvested): Table3.C's total is the dataset's 3.C.7 CH4
    assert _row(xlsx["Table3.C"], "3.C")["CH4 [kt]"] == pytest.approx(
        _value(ds, "3.C.7", "CH4"), rel=1e-12
    )


def test_every_key_has_its_table9_row(tkm):
    _, _, xlsx, _ = tkm
    t9 = xlsx["Table9"]
    listed = {
        (code, gas, key, table)
        for code, gas, key, tables in zip(
            t9["code"], t9["gas"], t9["notation key"], t9["tables"], strict=True
        )
        for table in str(tables).split(", ")
    }
    cols = background_columns()
    checked = 0
    for name in NEW:
        frame = xlsx[name]
        spec = cols[(cols["table"] == name) & cols["quantity"].isin(["emissions", "indirect"])]
        for column, gas in zip(spec["column"], spec["entity"], strict=True):
            for code, v in zip(frame["code"], frame[column], strict=True):
                if isinstance(v, str):
                    assert (code, gas, v, name) in listed, (name, code, gas, v)
                    checked += 1
    assert checked > 100
    t6 = xlsx["Table6"]
    assert set(t6["Indirect N2O [kt]"]) == {"NE"} and set(t6["Indirect CO2 [kt]"]) == {"NE"}
    why = t9[(t9["code"] == "3.D.2.a") & (t9["gas"] == "N2O")]["explanation"].iloc[0]
    assert why.startswith("included elsewhere") and "3.D.2" in why


def test_rice_rows_selected_by_water_regime():
    """Synthetic truth: 3 kt CH4 from 100 kha continuously flooded, 2 kt from 50 kha regular
    rainfed (IPCC 3.C.7 = CRT 3.C); each regime's row takes its own estimate."""
    from openmrv.report.crt_background import background_layout

    keys = {"continuously_flooded:non_flooded_lt_180": 3.0, "rainfed_regular:flooded_gt_30": 2.0}
    area = {"continuously_flooded:non_flooded_lt_180": 100.0, "rainfed_regular:flooded_gt_30": 50.0}
    records = pd.DataFrame(
        [("3.C.7", "CH4", YEAR, v, "area_harvested", k) for k, v in keys.items()],
        columns=["category", "gas", "year", "value_Gg", "activity", "key"],
    )
    activity = pd.DataFrame(
        [("3.C.7", "CH4", "area_harvested", k, YEAR, v, "kha") for k, v in area.items()],
        columns=["category", "gas", "activity", "key", "year", "value", "unit"],
    )
    keyed: list = []
    cells = {"CH4": {"3.C": [5.0]}}
    out = background_layout(cells, [YEAR], [YEAR], records, activity, {}, keyed)
    t = out["Table3.C"]
    assert _row(t, "3.C")["CH4 [kt]"] == 5.0 and _row(t, "3.C")["Activity value"] == 150.0
    for code, want, ha in (("3.C.1", 3.0, 100.0), ("3.C.1.a", 3.0, 100.0), ("3.C.2", 2.0, 50.0)):
        r = _row(t, code)
        assert r["CH4 [kt]"] == want and r["Activity value"] == ha, code
        assert r["CH4 IEF [kg/unit]"] == pytest.approx(want * 1e6 / ha)
    assert _row(t, "3.C.2.a")["CH4 [kt]"] == 2.0
    for code in ("3.C.1.b", "3.C.1.b.i", "3.C.2.b", "3.C.3", "3.C.3.a", "3.C.4"):
        assert _row(t, code)["CH4 [kt]"] == "NE", code
        assert any(k.code == code and k.table == "Table3.C" for k in keyed), code
