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
