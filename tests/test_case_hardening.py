"""Issue 20 items 5, 6 and 9: a hostile or careless case folder gives a clear error, fast,
before anything large is allocated; case paths stay inside the case folder; error
messages quote file content only as a short sanitised excerpt."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmrv.case import load_case
from openmrv.case_limits import check_unit_text, excerpt, limit
from openmrv.cli import app
from openmrv.errors import CaseError, UnitError

runner = CliRunner()


def _yaml(case: Path, old: str, new: str) -> None:
    p = case / "case.yaml"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))


def _fails(case: Path, *fragments: str) -> str:
    t0 = time.monotonic()
    with pytest.raises(CaseError) as info:
        load_case(case)
    assert time.monotonic() - t0 < 5
    msg = str(info.value)
    for f in fragments:
        assert f in msg, msg
    return msg


# --- case.yaml: size, encoding, aliases --------------------------------------------------


def test_case_yaml_size_cap(mini_case):
    p = mini_case / "case.yaml"
    p.write_text(p.read_text() + "#" * int(limit("case_yaml_max_bytes")) + "\n")
    _fails(mini_case, "case.yaml", "bytes")


def test_case_yaml_not_utf8(mini_case):
    p = mini_case / "case.yaml"
    p.write_bytes(p.read_bytes().replace(b"name: mini", b"name: mini\xff\xfe"))
    _fails(mini_case, "case.yaml", "UTF-8", "byte")


def test_billion_laughs_stops_fast(mini_case):
    lol = ['a0: &a0 "lol"']
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lol.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    p = mini_case / "case.yaml"
    p.write_text(p.read_text() + "x_lol:\n" + "".join(f"  {line}\n" for line in lol))
    p.write_text(p.read_text() + "description: *a11\n")
    _fails(mini_case, "case.yaml", "alias")


def test_a_few_aliases_are_fine(mini_case):
    _yaml(mini_case, "qualifiers: {region: Asia}", "qualifiers: &q {region: Asia}")
    _yaml(mini_case, "factors:", "qualifiers_by_table: {x: *q}\nfactors:")
    assert load_case(mini_case).qualifiers == {"region": "Asia"}


# --- years -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "years",
    [
        "{first: true, last: 2002}",
        "{first: 2000, last: 100000000}",
        "{first: -5000, last: 2002}",
        "{first: 1500, last: 2002}",
        "{first: 2000, last: 2101}",
    ],
)
def test_years_refused_before_allocation(mini_case, years):
    _yaml(mini_case, "years: {first: 2000, last: 2002}", f"years: {years}")
    _fails(mini_case, "case.yaml", "years")


def test_years_limits_are_cited_data():
    assert limit("first_year_min") == 1750
    assert limit("last_year_max") == 2100


# --- inversion grid ------------------------------------------------------------------------


def test_inversion_resolution_lower_bound(mini_case):
    p = mini_case / "case.yaml"
    p.write_text(p.read_text() + "top_down:\n  inversion:\n    resolution: 0.0001\n")
    _fails(mini_case, "resolution", ">= 0.05")


# --- gap_filling.series ------------------------------------------------------------------


@pytest.mark.parametrize("series", ["abc", "5", "{category: 1.A, activity: x}"])
def test_gap_filling_series_not_a_list(mini_case, series):
    p = mini_case / "case.yaml"
    p.write_text(p.read_text() + f"gap_filling:\n  series: {series}\n")
    _fails(mini_case, "gap_filling.series")


# --- units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unit", ["10**10**10 EJ", "10**(10**10) EJ", "EJ/0", "EJ / (0.0)", "m**1000", "m**x"]
)
def test_unit_precheck_refuses(unit):
    t0 = time.monotonic()
    with pytest.raises(UnitError):
        check_unit_text(unit, where="activity.csv")
    assert time.monotonic() - t0 < 1


@pytest.mark.parametrize(
    "unit",
    ["kg CH4 / head / yr", "Gg CH4 / (1e6 m**3)", "m**3", "m^2", "kg/0.5", "t / (m**-2)"],
)
def test_unit_precheck_admits(unit):
    assert check_unit_text(unit) == unit


def test_unit_precheck_admits_every_shipped_unit():
    import csv

    root = Path(__file__).parents[1]
    files = [*root.glob("src/**/*.csv"), *root.glob("examples/**/*.csv")]
    n = 0
    for f in files:
        with f.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                for k, v in row.items():
                    if k and "unit" in k and v:
                        check_unit_text(v, where=str(f))
                        n += 1
    assert n > 100


def test_excerpt_is_short_and_printable():
    s = excerpt("PATH=/usr/bin\x00HOME=/root\x00" * 20)
    assert len(s) <= 80 and "\x00" not in s and s.endswith("...")


# --- path containment --------------------------------------------------------------------


def test_absolute_path_refused(mini_case, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text((mini_case / "activity.csv").read_text())
    _yaml(mini_case, "activity: [activity.csv]", f"activity: [{outside}]")
    _fails(mini_case, "outside the case folder", "allow_outside_paths", "activity")


def test_dotdot_path_refused(mini_case):
    (mini_case.parent / "up.csv").write_text((mini_case / "activity.csv").read_text())
    _yaml(mini_case, "notation_keys: notation_keys.csv", "notation_keys: ../up.csv")
    _fails(mini_case, "outside the case folder", "notation_keys")


def test_proc_environ_not_echoed(mini_case, monkeypatch):
    monkeypatch.setenv("OPENMRV_SECRET_PROBE", "s3cr3t")
    _yaml(mini_case, "activity: [activity.csv]", "activity: [/proc/self/environ]")
    msg = _fails(mini_case, "outside the case folder")
    assert "s3cr3t" not in msg


def test_absolute_glob_refused(mini_case, tmp_path):
    p = mini_case / "case.yaml"
    p.write_text(p.read_text() + f"top_down:\n  inversion:\n    soundings: ['{tmp_path}/*.nc']\n")
    _fails(mini_case, "outside the case folder", "soundings")


def test_outside_paths_allowed_explicitly(mini_case, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text((mini_case / "activity.csv").read_text())
    _yaml(mini_case, "activity: [activity.csv]", f"activity: [{outside}]")
    _yaml(mini_case, "name: mini", "name: mini\nallow_outside_paths: true")
    assert load_case(mini_case).activity_files == [outside.resolve()]


def test_allow_outside_paths_is_strict(mini_case):
    _yaml(mini_case, "name: mini", "name: mini\nallow_outside_paths: 'yes'")
    _fails(mini_case, "allow_outside_paths")


def test_header_of_named_file_not_echoed_in_full(mini_case):
    secret = "SECRET_" + "x" * 200
    (mini_case / "activity.csv").write_text(f"{secret},b\n1,2\n")
    with pytest.raises(CaseError) as info:
        from openmrv.case import read_activity

        read_activity(load_case(mini_case))
    assert secret not in str(info.value)


# --- command line, signing -----------------------------------------------------------------


def test_negative_seed_exits_2(mini_case, tmp_path):
    res = runner.invoke(
        app, ["uncertainty", str(mini_case), "--out", str(tmp_path / "o"), "--seed", "-1"]
    )
    assert res.exit_code == 2, res.output
    assert "seed" in res.output


def test_unwritable_home_at_signing(tmp_path, monkeypatch):
    from openmrv.report.manifest import ManifestError, load_or_create_key

    home = tmp_path / "home_is_a_file"
    home.write_text("")  # ~/.openmrv cannot be created, not even by root
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(ManifestError) as info:
        load_or_create_key()
    assert "OPENMRV_SIGNING_KEY" in str(info.value)
    assert ".openmrv" in str(info.value)
