"""`openmrv run --scheduler`: the whole job on a dask.distributed cluster gives the same
outputs, byte for byte, as in this process (the Monte Carlo draws are seeded per chunk)."""

from __future__ import annotations

import shutil

import yaml
from typer.testing import CliRunner

from openmrv.cli import app
from openmrv.report.reproduce import compare_runs, read_manifest

UOL = "ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc"


def test_run_on_a_local_cluster_equals_the_run_in_process(mini_case, tmp_path):
    from conftest import DATA

    (mini_case / "u.csv").write_text(
        "category,activity,key,uncertainty_pct,distribution,source,notes\n"
        "1,fuel_consumption,*,5,normal,test,\n"
        "1.A,apparent_consumption,*,5,normal,test,\n"
        "1.B.2,gas_production,*,10,lognormal,test,\n"
        "3,head,*,20,normal,test,\n"
    )
    shutil.copy(DATA / "observe" / UOL, mini_case / UOL)
    cfg = yaml.safe_load((mini_case / "case.yaml").read_text())
    cfg["uncertainty"] = {"activity": "u.csv", "draws": 4000, "chunk_size": 1000}
    cfg["top_down"] = {"soundings": [UOL]}
    (mini_case / "case.yaml").write_text(yaml.safe_dump(cfg))
    here, there = tmp_path / "here", tmp_path / "there"
    res = CliRunner().invoke(app, ["run", str(mini_case), "--out", str(here)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(
        app, ["run", str(mini_case), "--out", str(there), "--scheduler", "local"]
    )
    assert res.exit_code == 0, res.output
    assert (there / "uncertainty_approach2.csv").exists()
    assert (there / "observations" / "summary.csv").exists()
    same = compare_runs(here, there, read_manifest(here))
    assert same.reproduced, (same.differing, same.missing, same.added)


def test_unreachable_scheduler_is_a_clear_error(mini_case, tmp_path):
    import dask

    # the client's connect timeout (dask's default 30 s) shortened for the test
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        address = "tcp://127.0.0.1:9"
        out = str(tmp_path / "r")
        res = CliRunner().invoke(app, ["run", str(mini_case), "--out", out, "--scheduler", address])
    assert res.exit_code == 2
    assert "scheduler" in res.output
