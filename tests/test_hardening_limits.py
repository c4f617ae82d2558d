"""Issue 20, the items left open: an upper limit on Monte Carlo draws, shares held to
[0, 1], and inversion padding that would cross a pole."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmrv.case import load_case
from openmrv.case_limits import limit
from openmrv.cli import app
from openmrv.errors import CaseError, InputError
from openmrv.stages.inventory import estimate_inventory

runner = CliRunner()
UNC = "category,activity,key,uncertainty_pct,distribution,source,notes\n"


def _with_uncertainty(case: Path, draws: int = 200) -> Path:
    acts = (("1.A", "fuel_consumption"), ("1.B", "gas_production"), ("3.A", "head"))
    acts += (("1.A", "apparent_consumption"),)
    rows = [f"{c},{a},*,5,normal,synthetic," for c, a in acts]
    (case / "u.csv").write_text(UNC + "\n".join(rows) + "\n")
    with (case / "case.yaml").open("a") as fh:
        fh.write(f"uncertainty: {{activity: u.csv, draws: {draws}, seed: 1}}\n")
    return case


# --- (a) Monte Carlo draws: an upper limit --------------------------------------------


def test_draws_limit_is_a_cited_row():
    n = limit("mc_draws_max")
    assert n >= 1e6  # the goal: 1e7 draws must stay possible
    from openmrv.case_limits import CASE_LIMITS

    row = next(r for r in CASE_LIMITS.read_text().splitlines() if r.startswith("mc_draws_max,"))
    assert "IPCC" in row or "openmrv" in row


def test_draws_over_the_limit_on_the_command_line_exit_2_before_computing(mini_case, tmp_path):
    case = _with_uncertainty(mini_case)
    too_many = str(int(limit("mc_draws_max")) + 1)
    out = tmp_path / "o"
    res = runner.invoke(app, ["uncertainty", str(case), "--draws", too_many, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "draws" in res.output and "10000000" in res.output.replace(",", ""), res.output
    assert not out.exists()


def test_draws_over_the_limit_in_case_yaml_is_a_case_error(mini_case):
    case = _with_uncertainty(mini_case, draws=int(limit("mc_draws_max")) + 1)
    with pytest.raises(CaseError) as exc:
        load_case(case)
    msg = str(exc.value)
    assert "uncertainty.draws" in msg and "line" in msg and "<= 10000000" in msg, msg


def test_draws_over_the_limit_in_case_yaml_exit_2(mini_case, tmp_path):
    case = _with_uncertainty(mini_case, draws=int(limit("mc_draws_max")) + 1)
    res = runner.invoke(app, ["uncertainty", str(case), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "uncertainty.draws" in res.output and "10000000" in res.output, res.output


def test_stage_refuses_draws_over_the_limit(mini_case):
    from openmrv.stages import uncertainty as unc_stage

    case = load_case(_with_uncertainty(mini_case))
    with pytest.raises(InputError, match="mc_draws_max"):
        unc_stage.compute(case, estimate_inventory(case), draws=int(limit("mc_draws_max")) + 1)


# --- (b) shares and fractions held to [0, 1] ------------------------------------------

FACTOR_HEADER = (
    "parameter,category,activity,key,qualifier,gas,value,unit,low,high,uncertainty_pct,"
    "distribution,source,edition,table,notes"
)


def _factor_table(tmp_path: Path, row: str) -> Path:
    p = tmp_path / "country.csv"
    p.write_text(FACTOR_HEADER + "\n" + row + "\n")
    return p


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (
            "pathway_share,4.D.1,population,urban_high:sewer_closed,,,1.2,1,,,10,normal,s,e,t,",
            "value",
        ),
        (
            "pathway_share,4.D.1,population,urban_high:sewer_closed,,,-0.1,1,,,10,normal,s,e,t,",
            "value",
        ),
        (
            "pathway_share,4.D.1,population,urban_high:sewer_closed,,,0.9,1,0.8,1.1,,normal,s,e,t,",
            "high",
        ),
        ("U,4.D.1,population,urban_high,,,0.5,1,-0.2,0.6,,normal,s,e,t,", "low"),
        ("MCF,4.A.1,,,,,120,percent,,,10,normal,s,e,t,", "value"),
        ("DOCf,4.A,,,,,1.5,t / t,,,10,normal,s,e,t,", "value"),
        ("AWMS,3.A.2.e,head,camels:pasture,,,150,percent,,,10,normal,s,e,t,", "value"),
        ("Frac_LEACH,3.D.2,,,,,nan,kg N / (kg N),,,10,normal,s,e,t,", "value"),
    ],
)
def test_share_outside_zero_one_is_refused(tmp_path, row, field):
    from openmrv.errors import FactorError
    from openmrv.factors import read_table

    path = _factor_table(tmp_path, row)
    with pytest.raises(FactorError) as exc:
        read_table(path, tier=2)
    msg = str(exc.value)
    for frag in ("country.csv", "line 2", field):
        assert frag in msg, msg
    if "nan" not in row:
        assert "share" in msg or "fraction" in msg, msg


@pytest.mark.parametrize(
    "row",
    [
        "pathway_share,4.D.1,population,urban_high:sewer_closed,,,1,1,,,10,normal,s,e,t,",
        "pathway_share,4.D.1,population,urban_high:sewer_closed,,,0,1,,,10,normal,s,e,t,",
        "MCF,4.A.1,,,,,80,percent,60,100,,normal,s,e,t,",
        "I,4.D.1,population,,,,1.25,1,,,10,normal,s,e,t,",  # a correction factor, not a share
    ],
)
def test_share_at_its_bounds_and_non_shares_pass(tmp_path, row):
    from openmrv.factors import read_table

    assert len(read_table(_factor_table(tmp_path, row), tier=2)) == 1


def test_every_packaged_factor_share_is_inside_zero_one():
    from openmrv.factors import FactorLibrary
    from openmrv.limits import share_parameters

    lib = FactorLibrary.default()  # reading checks every row
    names = share_parameters()
    assert {"pathway_share", "MCF", "DOCf", "AWMS", "Frac_LEACH", "U"} <= set(names)
    assert any(f.parameter in names for f in lib.factors)


def test_openmrv_own_share_and_fraction_parameters_are_inside_zero_one():
    """The parameter tables openmrv ships (transport, mass balance, annualisation ...):
    every row named a share or fraction holds a value in [0, 1]."""
    import csv
    import re

    root = Path(__file__).parents[1] / "src" / "openmrv"
    seen = 0
    for path in root.rglob("data/*.csv"):
        if path.parent.name == "data" and path.parent.parent.name == "factors":
            continue  # factor tables: checked as they are read (test above)
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        if not rows or "value" not in rows[0]:
            continue
        key = next(iter(rows[0]))
        for r in rows:
            if re.search(r"(fraction|share)", r[key] or "") and (r["value"] or "").strip():
                seen += 1
                assert 0.0 <= float(r["value"]) <= 1.0, (path.name, r[key], r["value"])
    assert seen >= 4


# --- (d) inversion padding past a pole ------------------------------------------------


@pytest.mark.parametrize(("region", "padding", "pole"), [("GRL", 7.0, "90"), ("NOR", 10.0, "90")])
def test_padding_past_a_pole_is_refused(region, padding, pole):
    from openmrv.settings import InversionSettings
    from openmrv.stages.inversion import check_domain

    s = InversionSettings(region=region, year=2020, resolution=0.25, padding=padding)
    with pytest.raises(CaseError) as exc:
        check_domain(s, Path("case.yaml"))
    msg = str(exc.value)
    for frag in ("case.yaml", "top_down.inversion.padding", region, pole, "at most"):
        assert frag in msg, msg


def test_padding_that_stops_short_of_the_pole_is_accepted():
    from openmrv.settings import InversionSettings
    from openmrv.stages.inversion import check_domain, domain

    # Greenland reaches 83.645 N (Natural Earth 1:110m): 6 degrees end at 89.75 N
    s = InversionSettings(region="GRL", year=2020, resolution=0.25, padding=6.0)
    check_domain(s)
    grid, _ = domain(s)
    assert grid.lat.max() < 90.0


def test_a_run_refuses_a_polar_padding_before_computing(mini_case, tmp_path):
    """``openmrv run`` fails at the start (exit 2), not after the inventory and the
    Monte Carlo, when the inversion's padded domain crosses a pole."""
    import time

    with (mini_case / "case.yaml").open("a") as fh:
        fh.write("top_down:\n  inversion:\n    padding: 50.0\n")  # TKM to 43°N: past the pole
    t0 = time.monotonic()
    res = runner.invoke(app, ["run", str(mini_case), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "top_down.inversion.padding" in res.output, res.output
    assert time.monotonic() - t0 < 20
    assert not (tmp_path / "o").exists()
