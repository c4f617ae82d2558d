"""``openmrv report RUN --out DIR``: the documents rendered again beside a run folder,
which stays as it was signed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmrv.cli import app

runner = CliRunner()


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def run_folder(mini_case, tmp_path) -> Path:
    out = tmp_path / "run"
    res = runner.invoke(app, ["inventory", str(mini_case), "--out", str(out), "--no-pdf"])
    assert res.exit_code == 0, res.output
    return out


def test_the_report_is_rendered_again_beside_the_untouched_run(run_folder, tmp_path):
    before = _digests(run_folder)
    docs = tmp_path / "docs"
    res = runner.invoke(app, ["report", str(run_folder), "--out", str(docs), "--no-pdf"])
    assert res.exit_code == 0, res.output
    assert _digests(run_folder) == before  # not a byte of the signed folder changed
    assert "note:" not in res.output  # it still verifies
    # the same openmrv renders the same page from the same folder
    assert (docs / "report.html").read_bytes() == (run_folder / "report.html").read_bytes()
    res = runner.invoke(app, ["verify-manifest", str(run_folder)])
    assert res.exit_code == 0, res.output


def test_a_changed_run_folder_is_said(run_folder, tmp_path):
    with (run_folder / "emissions.csv").open("a") as fh:
        fh.write("\n")
    res = runner.invoke(app, ["report", str(run_folder), "--out", str(tmp_path / "d"), "--no-pdf"])
    assert res.exit_code == 0, res.output
    assert "no longer matches its manifest" in res.output and "emissions.csv" in res.output


@pytest.mark.parametrize("where", ["inside", "not a run"])
def test_bad_places_are_refused(run_folder, tmp_path, where):
    run, out = (
        (run_folder, run_folder / "docs")
        if where == "inside"
        else (tmp_path, tmp_path.parent / "d")
    )
    res = runner.invoke(app, ["report", str(run), "--out", str(out), "--no-pdf"])
    assert res.exit_code == 2, res.output
    assert ("never into it" if where == "inside" else "not a run folder") in res.output
    assert not (run_folder / "docs").exists()
