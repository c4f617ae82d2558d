"""``openmrv run CASE --previous RUN`` (issue 15): recalculations.csv lists every estimate
that differs from the previous submission's run, with what changed; the report shows it.
Truth: a factor row and an activity value changed by hand between the two runs."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from openmrv.cli import app

runner = CliRunner()


def _inventory(case, out, *extra):
    res = runner.invoke(app, ["inventory", str(case), "--out", str(out), "--no-pdf", *extra])
    assert res.exit_code == 0, res.output
    return out


def test_changed_activity_is_listed_with_its_reason(mini_case, tmp_path):
    before = _inventory(mini_case, tmp_path / "v1")
    act = mini_case / "activity.csv"
    lines = act.read_text().splitlines()
    # one activity value doubled: its category's emissions in that year double
    i = next(k for k, line in enumerate(lines) if line.startswith("1.B.2.b,") and ",2002," in line)
    cells = lines[i].split(",")
    col = lines[0].split(",").index("value")
    cells[col] = str(2 * float(cells[col]))
    lines[i] = ",".join(cells)
    act.write_text("\n".join(lines) + "\n")
    after = _inventory(mini_case, tmp_path / "v2", "--previous", str(before))
    rec = pd.read_csv(after / "recalculations.csv")
    old = pd.read_csv(before / "emissions.csv")
    new = pd.read_csv(after / "emissions.csv")
    key = ["category", "gas", "year"]
    merged = (
        old.groupby(key)["value_Gg"]
        .sum()
        .to_frame("a")
        .join(new.groupby(key)["value_Gg"].sum().to_frame("b"), how="outer")
    )
    expect = merged[~((merged["a"] - merged["b"]).abs() <= 1e-12 * merged["a"].abs())]
    assert len(rec) == len(expect) > 0
    assert set(rec["year"]) == {2002}
    assert (rec["reason"] == "inputs changed: activity.csv (changed)").all()
    got = rec.set_index(key)
    for idx, r in expect.iterrows():
        assert got.loc[idx, "current_Gg"] == pytest.approx(r["b"], rel=1e-12)
        assert got.loc[idx, "difference_Gg"] == pytest.approx(r["b"] - r["a"], rel=1e-9)
    page = (after / "report.html").read_text()
    assert "<h2 id='recalculations'>" in page and "v1" in page


def test_same_inputs_nothing_listed_and_a_bad_previous_is_refused(mini_case, tmp_path):
    before = _inventory(mini_case, tmp_path / "v1")
    after = _inventory(mini_case, tmp_path / "v2", "--previous", str(before))
    assert len(pd.read_csv(after / "recalculations.csv")) == 0
    assert "no estimate changed" in (after / "report.html").read_text()
    res = runner.invoke(
        app,
        ["inventory", str(mini_case), "--out", str(tmp_path / "v3"), "--previous", str(tmp_path)],
    )
    assert res.exit_code == 2 and "emissions.csv not found" in res.output
    assert not (tmp_path / "v3").exists()
