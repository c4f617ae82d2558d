"""The report's quality-control section (issue 15, the NID's QA/QC part): each general QC
activity of IPCC 2006 Vol 1 Table 6.1 with openmrv's check and what the run folder shows,
read from the folder; a missing file is said, never passed."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from openmrv.cli import app
from openmrv.report.qaqc import RULES, qc_procedures, qc_rows
from openmrv.runfolder import OUTPUTS


@pytest.fixture
def run_folder(mini_case, tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["inventory", str(mini_case), "--out", str(out), "--no-pdf"])
    assert res.exit_code == 0, res.output
    return out


def test_table_rules_and_files_are_known():
    p = qc_procedures()
    assert len(p) == 10 and p["id"].is_unique
    assert set(p["result"]) <= set(RULES)
    declared = {o.name for o in OUTPUTS}
    assert set(p["evidence"]) - {"-"} <= declared


def test_each_result_is_read_from_the_folder(run_folder):
    shown = dict(zip(qc_procedures()["id"], qc_rows(run_folder)["this run"], strict=True))
    meta = json.loads((run_folder / "run.json").read_text())
    assert (
        shown["transcription"]
        == f"{len(meta['input_sha256'])} input files recorded with their SHA-256"
    )
    em = pd.read_csv(run_folder / "emissions.csv")
    assert shown["documented"].startswith(f"{len(em):,} of {len(em):,} estimate rows")
    assert "openmrv verify-manifest" in shown["integrity"]
    assert meta["openmrv_version"] in shown["archive"]
    table9 = json.loads((run_folder / "crt.json").read_text())["tables"]["Table9"]["rows"]
    assert shown["completeness"].startswith(f"{len(table9):,} keyed entries in Table 9")
    # an inventory-only run has no Monte Carlo and no key categories: said, not passed
    assert shown["uncertainty"] == "not shown: uncertainty.json is not in this run folder"
    assert shown["trend"] == "not shown: key_categories.csv is not in this run folder"


def test_the_section_is_in_the_report(run_folder):
    page = (run_folder / "report.html").read_text()
    assert "<h2 id='qaqc'>" in page and "Table 6.1" in page
