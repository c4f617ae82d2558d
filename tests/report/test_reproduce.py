"""Reproduce a run from its manifest: identical bytes, changed inputs refused."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from openmrv.cli import app
from openmrv.pipeline import reproduce, run
from openmrv.report.reproduce import InputChangedError, compare_runs, read_manifest


def test_mini_case_reproduces_bit_for_bit(mini_case, tmp_path):
    first = tmp_path / "first"
    run(mini_case, first)
    res = reproduce(first, tmp_path / "second")
    assert res.reproduced, (res.differing, res.missing, res.added)
    recorded = [e["path"] for e in read_manifest(first)["outputs"]]
    # every output but the manifest (its creation time) is byte-identical
    assert set(recorded) <= set(res.identical)
    assert set(res.volatile) <= {"manifest.json", "manifest.sig"}
    assert {"crt.xlsx", "crt.json", "report.html", "emissions_by_sector.png"} <= set(recorded)

    # a changed output of a re-run is listed
    third = tmp_path / "third"
    shutil.copytree(tmp_path / "second", third)
    (third / "emissions.csv").write_text("changed\n")
    again = compare_runs(first, third, read_manifest(first))
    assert again.differing == ["emissions.csv"] and not again.reproduced

    # a changed input is refused before anything runs
    act = mini_case / "activity.csv"
    act.write_text(act.read_text().replace("1000,TJ", "1001,TJ", 1))
    with pytest.raises(InputChangedError, match=r"changed input: activity\.csv"):
        reproduce(first, tmp_path / "fourth")
    out = CliRunner().invoke(app, ["reproduce", str(first), "--out", str(tmp_path / "fourth")])
    assert out.exit_code == 2 and "activity.csv" in out.output
    assert not (tmp_path / "fourth").exists()


def test_no_manifest_is_a_clear_error(tmp_path):
    out = CliRunner().invoke(app, ["reproduce", str(tmp_path), "--out", str(tmp_path / "x")])
    assert out.exit_code == 2 and "manifest.json not found" in out.output
    (tmp_path / "manifest.json").write_text(json.dumps({"inputs": 1}))
    out = CliRunner().invoke(app, ["reproduce", str(tmp_path), "--out", str(tmp_path / "x")])
    assert out.exit_code == 2 and "not a readable manifest" in out.output
