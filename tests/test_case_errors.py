"""The bad-input catalogue: each problem gives a clear error naming file/line/field and a
non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmrv.cli import app

runner = CliRunner()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _run(case: Path, tmp_path: Path):
    return runner.invoke(app, ["inventory", str(case), "--out", str(tmp_path / "out")])


def test_mini_case_runs(mini_case, tmp_path):
    res = _run(mini_case, tmp_path)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "inventory.nc").is_file()


CATALOGUE = [
    # (file, old text, new text, expected fragments of the message)
    (
        "activity.csv",
        "3.A.1.c,head,sheep,2001,1000000",
        "3.A.1.c,head,sheep,2001,-5",
        ["activity.csv", "line 9", "value", "negative"],
    ),
    (
        "activity.csv",
        "1.A.1.a,fuel_consumption,natural_gas,2000",
        "1.A.9,fuel_consumption,natural_gas,2000",
        ["activity.csv", "line 2", "category", "1.A.9"],
    ),
    (
        "activity.csv",
        "2000,1000,TJ",
        "2000,1000,kilofurlongz",
        ["activity.csv", "line 2", "unit", "kilofurlongz"],
    ),
    ("activity.csv", "2001,2000,TJ", "2001,2000,PJ", ["activity.csv", "line 3", "mixes units"]),
    ("activity.csv", "2000,1000,TJ", "2000,1000,", ["activity.csv", "line 2", "unit", "missing"]),
    ("activity.csv", "2000,1000,TJ", "2000,1000,kt", ["1.A.1.a", "unit", "TJ"]),
    ("activity.csv", "2000,10,1e9 m**3", "2000,10,head", ["gas_production", "unit"]),
    (
        "activity.csv",
        "2001,1000000,head",
        "2000,1000000,head",
        ["activity.csv", "line 9", "duplicates"],
    ),
    ("activity.csv", "2001,1000000,head", "2001,nan,head", ["activity.csv", "line 9", "value"]),
    ("activity.csv", "2001,1000000,head", "2001,,head", ["activity.csv", "line 9", "value"]),
    (
        "activity.csv",
        "3.A.1.c,head,sheep,2001,1000000,head,synthetic,\n",
        "",
        ["activity.csv", "year", "2001", "gap_filling"],
    ),
    ("activity.csv", "category,activity", "categry,activity", ["activity.csv", "line 1", "header"]),
    (
        "activity.csv",
        "3.A.1.c,head,sheep,2000",
        "3.A.1.c,heads,sheep,2000",
        ["unknown activity", "heads"],
    ),
    (
        "case.yaml",
        "years: {first: 2000, last: 2002}",
        "years: {first: 2000, last: 2002",
        ["case.yaml", "YAML"],
    ),
    (
        "case.yaml",
        "activity: [activity.csv]",
        "activity: [activity_missing.csv]",
        ["case.yaml", "activity_missing.csv", "does not exist"],
    ),
    ("case.yaml", "gwp: AR5GWP100", "gwp: AR9GWP100", ["case.yaml", "gwp", "AR5GWP100"]),
    ("case.yaml", "country: TKM", "country: Turkmenistan", ["case.yaml", "country"]),
    ("case.yaml", "qualifiers: {region: Asia}", "qualifiers: {}", ["qualifiers", "region=Asia"]),
    (
        "notation_keys.csv",
        "2.A.1,CO2,NO",
        "2.A.1,CO2,XX",
        ["notation_keys.csv", "line 2", "notation_key"],
    ),
    ("facilities.csv", "37.5,61.5", "97.5,61.5", ["facilities.csv", "line 2", "lat"]),
    (
        "factors_cs.csv",
        ",5,kg CH4 / head / yr,,,30,normal",
        ",5,kg CH4 / head / yr,,,,normal",
        ["factors_cs.csv", "line 7", "uncertainty"],
    ),
    (
        "factors_cs.csv",
        ",5,kg CH4 / head / yr,,,30,normal",
        ",5,kg CH4 / head / yr,,,30,gamma",
        ["factors_cs.csv", "line 7", "distribution"],
    ),
]


@pytest.mark.parametrize(
    ("fname", "old", "new", "fragments"), CATALOGUE, ids=[f"{c[0]}:{c[3][-1]}" for c in CATALOGUE]
)
def test_bad_input(mini_case, tmp_path, fname, old, new, fragments):
    _edit(mini_case / fname, old, new)
    res = _run(mini_case, tmp_path)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    flat = " ".join(res.output.split())
    for frag in fragments:
        assert frag in flat, f"{frag!r} missing from: {flat}"


def test_missing_case_folder(tmp_path):
    res = runner.invoke(app, ["inventory", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and "case folder not found" in res.output


def test_failed_run_keeps_previous_outputs(mini_case, tmp_path):
    assert _run(mini_case, tmp_path).exit_code == 0
    before = (tmp_path / "out" / "emissions.csv").read_bytes()
    _edit(mini_case / "activity.csv", "2001,1000000,head", "2001,-1,head")
    assert _run(mini_case, tmp_path).exit_code == 2
    assert (tmp_path / "out" / "emissions.csv").read_bytes() == before
    assert not (tmp_path / "out.partial").exists()


def test_help_everywhere():
    for cmd in ([], ["run"], ["inventory"], ["factors"]):
        res = runner.invoke(app, [*cmd, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output
