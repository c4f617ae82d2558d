"""The factor library: table checks and lookup rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from openmrv.errors import FactorError, InputError
from openmrv.factors import COLUMNS, FactorLibrary, read_table

HEADER = ",".join(COLUMNS)


def _table(tmp_path: Path, name: str, *rows: str) -> Path:
    p = tmp_path / f"{name}.csv"
    p.write_text("\n".join([HEADER, *rows]) + "\n")
    return p


ROW = "EF,1.A,fuel_consumption,natural_gas,,CO2,56100,kg CO2 / TJ,54300,58300,,normal,S,2006,T1.4,"


def test_reads_and_computes_relative_uncertainty(tmp_path):
    (f,) = read_table(_table(tmp_path, "t", ROW))
    assert f.id == "t:2"
    lo, hi = f.relative_uncertainty
    assert lo == pytest.approx(1800 / 56100) and hi == pytest.approx(2200 / 56100)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (ROW.replace("56100", "abc"), "value"),
        (ROW.replace("56100", "nan"), "value"),
        (ROW.replace(",54300,58300,", ",,,"), "uncertainty_pct"),
        (ROW.replace("normal", "gamma"), "distribution"),
        (ROW.replace("kg CO2 / TJ", "kg CO2 / zorkmid"), "unit"),
        (ROW.replace("54300", "57000"), "value"),
        (ROW.replace(",,CO2", ",planet=Mars,CO2"), "qualifier"),
    ],
)
def test_bad_rows_name_line_and_field(tmp_path, row, field):
    with pytest.raises(InputError) as err:
        read_table(_table(tmp_path, "t", row))
    assert "line 2" in str(err.value) and field in str(err.value)


def test_duplicate_rows_rejected(tmp_path):
    with pytest.raises(FactorError, match="duplicates line 2"):
        read_table(_table(tmp_path, "t", ROW, ROW))


def test_most_specific_category_wins(tmp_path):
    rows = read_table(
        _table(tmp_path, "t", ROW, ROW.replace(",1.A,", ",1.A.4.b,").replace("56100", "56000"))
    )
    lib = FactorLibrary(rows)
    assert (
        lib.lookup("EF", "1.A.4.b", activity="fuel_consumption", key="natural_gas", gas="CO2").value
        == 56000
    )
    assert (
        lib.lookup("EF", "1.A.1.a", activity="fuel_consumption", key="natural_gas", gas="CO2").value
        == 56100
    )


def test_tie_between_tables_needs_prefer(tmp_path):
    a = read_table(_table(tmp_path, "a", ROW))
    b = read_table(_table(tmp_path, "b", ROW.replace("56100", "56000")))
    with pytest.raises(FactorError, match="prefer"):
        FactorLibrary(a + b).lookup(
            "EF", "1.A.1", activity="fuel_consumption", key="natural_gas", gas="CO2"
        )
    lib = FactorLibrary(a + b, prefer=["b"])
    assert (
        lib.lookup("EF", "1.A.1", activity="fuel_consumption", key="natural_gas", gas="CO2").value
        == 56000
    )


def test_country_specific_overrides_default(tmp_path):
    a = read_table(_table(tmp_path, "a", ROW))
    cs = read_table(_table(tmp_path, "cs", ROW.replace("56100", "55000")), tier=2)
    f = FactorLibrary(a + cs).lookup(
        "EF", "1.A.1", activity="fuel_consumption", key="natural_gas", gas="CO2"
    )
    assert (f.value, f.tier) == (55000, 2)


def test_qualifiers_select_rows_and_explain_when_missing(tmp_path):
    rows = read_table(
        _table(
            tmp_path,
            "t",
            "EF,3.A.1.c,head,sheep,region=Asia,CH4,5,kg CH4 / head / yr,,,30,normal,S,2019R,T,",
            "EF,3.A.1.c,head,sheep,region=Europe,CH4,8,kg CH4 / head / yr,,,30,normal,S,2019R,T,",
        )
    )
    assert (
        FactorLibrary(rows, qualifiers={"region": "Europe"})
        .lookup("EF", "3.A.1.c", activity="head", key="sheep", gas="CH4")
        .value
        == 8
    )
    with pytest.raises(FactorError, match="region=Asia"):
        FactorLibrary(rows).lookup("EF", "3.A.1.c", activity="head", key="sheep", gas="CH4")


def test_packaged_tables_load_and_cite():
    lib = FactorLibrary.default()
    for f in lib.factors:
        assert f.source and f.table and f.edition in {"2006", "2019R", "exact"}, f.id
    if lib.factors:
        assert all(
            Path(__file__)
            .parents[1]
            .joinpath("src/openmrv/factors/data/SOURCES.md")
            .read_text()
            .count(t)
            for t in lib.tables
        )
