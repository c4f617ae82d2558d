"""Numbers read from a user are finite and plausible (issue 20 items 4 and 10): each problem
is an error naming the file, line and field, never an inf/NaN in a signed result."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmrv import units
from openmrv.case import load_case, read_activity, read_activity_uncertainty
from openmrv.cli import app
from openmrv.errors import CaseError, InputError
from openmrv.stages.inventory import estimate_inventory

runner = CliRunner()
UNC = "category,activity,key,uncertainty_pct,distribution,source,notes\n"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _with_uncertainty(case: Path, pct: str = "5") -> Path:
    acts = (("1.B", "gas_production"), ("3.A", "head"), ("1.A", "apparent_consumption"))
    rows = [f"1.A,fuel_consumption,*,{pct},normal,synthetic,"]
    rows += [f"{c},{a},*,5,normal,synthetic," for c, a in acts]
    (case / "u.csv").write_text(UNC + "\n".join(rows) + "\n")
    with (case / "case.yaml").open("a") as fh:
        fh.write("uncertainty: {activity: u.csv, draws: 200, seed: 1}\n")
    return case


@pytest.mark.parametrize("pct", ["inf", "1e6", "-1", "nan"])
def test_activity_uncertainty_must_be_finite_and_plausible(mini_case, pct):
    case = load_case(_with_uncertainty(mini_case, pct))
    with pytest.raises(CaseError) as exc:
        read_activity_uncertainty(case)
    msg = str(exc.value)
    for frag in ("u.csv", "line 2", "uncertainty_pct"):
        assert frag in msg, msg


@pytest.mark.parametrize("value", ["1e308", "1e300", "1e16"])
def test_activity_value_beyond_any_statistic_is_rejected(mini_case, value):
    _edit(mini_case / "activity.csv", "2001,2000,TJ", f"2001,{value},TJ")
    with pytest.raises(CaseError) as exc:
        read_activity(load_case(mini_case))
    msg = str(exc.value)
    for frag in ("activity.csv", "line 3", "value", "plausible_ranges.csv"):
        assert frag in msg, msg


def test_activity_value_beyond_its_dimension_cap_is_rejected(mini_case):
    # 1e8 PJ is more than ten times the world's energy supply, though below 1e15
    _edit(mini_case / "activity.csv", "2001,2000,TJ", "2001,1e11,TJ")
    with pytest.raises(CaseError) as exc:
        read_activity(load_case(mini_case))
    assert "line 3" in str(exc.value) and "PJ" in str(exc.value)


@pytest.mark.parametrize("year", ["1999", "2005"])
def test_row_outside_the_case_years_is_an_error(mini_case, year):
    with (mini_case / "activity.csv").open("a") as fh:
        fh.write(f"1.A.1.a,fuel_consumption,natural_gas,{year},1000,TJ,synthetic,\n")
    with pytest.raises(CaseError) as exc:
        estimate_inventory(load_case(mini_case))
    msg = str(exc.value)
    for frag in ("activity.csv", "line 14", "year", year, "2000", "2002"):
        assert frag in msg, msg


def test_history_years_only_where_the_method_declares_them():
    from openmrv.estimate.inventory.registry import needs_history

    assert needs_history("4.A.3", "population")  # first-order decay
    assert not needs_history("4.D.1", "population")
    assert not needs_history("1.A.1.a", "fuel_consumption")


def test_header_only_activity_file_is_an_error(mini_case):
    (mini_case / "energy.csv").write_text("category,activity,key,year,value,unit,source,notes\n")
    _edit(
        mini_case / "case.yaml", "activity: [activity.csv]", "activity: [activity.csv, energy.csv]"
    )
    with pytest.raises(CaseError) as exc:
        read_activity(load_case(mini_case))
    msg = str(exc.value)
    assert "energy.csv" in msg and "no rows" in msg, msg


@pytest.mark.parametrize("draws", ["0", "-5", "1"])
def test_draws_below_two_exit_2(mini_case, tmp_path, draws):
    case = _with_uncertainty(mini_case)
    res = runner.invoke(
        app, ["uncertainty", str(case), "--draws", draws, "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2, res.output
    assert "draws" in res.output


def test_stage_draws_zero_is_not_the_default(mini_case):
    from openmrv.stages import uncertainty as unc_stage

    case = load_case(_with_uncertainty(mini_case))
    with pytest.raises(InputError, match="draws"):
        unc_stage.compute(case, estimate_inventory(case), draws=0)


@pytest.mark.parametrize("winds", [(1e30, 0.0), (0.0, 200.0)])
def test_implausible_wind_is_rejected(winds):
    from openmrv.estimate.plumes.wind import external_wind

    with pytest.raises(InputError) as exc:
        external_wind(winds, "2020-01-01", 38.0, 60.0)
    msg = str(exc.value)
    assert "supplied" in msg and "113.3" in msg and "plausible_ranges.csv" in msg, msg


def test_implausible_scene_wind_is_rejected():
    import numpy as np

    from openmrv.estimate.plumes.wind import scene_wind

    u = np.full((3, 3), 1e30)
    with pytest.raises(InputError, match="scene u10/v10"):
        scene_wind(u, np.zeros((3, 3)), np.ones((3, 3), bool))


def test_each_distinct_unit_is_parsed_once(mini_case):
    rows = "".join(
        f"1.A.1.a,fuel_consumption,k{k},{y},1000,TJ,synthetic,\n"
        for k in range(100)
        for y in range(2000, 2003)
    )
    (mini_case / "activity.csv").write_text(
        "category,activity,key,year,value,unit,source,notes\n" + rows
    )
    units._parse.cache_clear()
    read_activity(load_case(mini_case))
    info = units._parse.cache_info()
    # 300 rows: 'TJ' once, and at most the plausible-range table's few units besides
    assert info.misses <= 7 and info.hits >= 299, info


def test_monte_carlo_guard_names_the_category():
    import numpy as np

    from openmrv.estimate.inventory.montecarlo import check_finite

    check_finite(np.ones((4, 2)), "1.A.1.a")
    with pytest.raises(InputError, match=r"1\.A\.1\.a"):
        check_finite(np.array([[1.0, np.inf]]), "1.A.1.a")


def test_every_plausible_range_has_a_source():
    from openmrv.limits import ranges

    rows = ranges()
    assert {"activity_value", "uncertainty_pct", "wind_speed_10m"} <= set(rows)
    for name, r in rows.items():
        assert float(r["min"]) < float(r["max"]), name
        assert r["source"].strip() and r["note"].strip(), name
