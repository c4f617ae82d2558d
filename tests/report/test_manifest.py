"""Signed provenance manifest and write_reports: tampering of any byte is detected."""

from __future__ import annotations

import base64
import json
import shutil
import stat

import pytest
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from openmrv.cli.report import verify_manifest_command
from openmrv.report.crt import crt_tables, read_crt_xlsx
from openmrv.report.manifest import (
    KEY_ENV,
    ManifestError,
    public_key_text,
    verify_manifest,
    write_manifest,
)
from openmrv.report.write import write_reports

from .test_crt import _same


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private home folder (the default key lives there) and no key variable."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(KEY_ENV, raising=False)
    return tmp_path / "home"


@pytest.fixture
def signed_run(tmp_path, mini_case):
    """A small run folder signed with a fresh key; inputs from a copy of the mini case."""
    run_dir = tmp_path / "run"
    (run_dir / "sub").mkdir(parents=True)
    (run_dir / "emissions.csv").write_text("category,gas,value\n1.A,CO2,1.5\n")
    (run_dir / "sub" / "figure.png").write_bytes(bytes(range(256)))
    key = Ed25519PrivateKey.generate()
    inputs = ["case.yaml", "activity.csv"]
    write_manifest(run_dir, inputs, {"seed": 1}, key, inputs_root=mini_case)
    return run_dir, key, mini_case


def test_clean_run_verifies(signed_run):
    run_dir, key, case = signed_run
    assert verify_manifest(run_dir, inputs_root=case) == []
    assert verify_manifest(run_dir, trusted_key=public_key_text(key)) == []
    doc = json.loads((run_dir / "manifest.json").read_text())
    assert [o["path"] for o in doc["outputs"]] == ["emissions.csv", "sub/figure.png"]
    assert {"openmrv", "numpy", "xarray", "pint", "climate-categories"} <= set(doc["software"])
    assert doc["settings"] == {"seed": 1}


def _flip(path, offset=0):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_changed_missing_added_outputs(signed_run):
    run_dir, _, _ = signed_run
    _flip(run_dir / "sub" / "figure.png", 200)
    assert verify_manifest(run_dir) == ["changed output: sub/figure.png"]
    _flip(run_dir / "sub" / "figure.png", 200)
    (run_dir / "emissions.csv").unlink()
    (run_dir / "extra.txt").write_text("x")
    assert verify_manifest(run_dir) == ["missing output: emissions.csv", "added output: extra.txt"]


def test_changed_input(signed_run):
    run_dir, _, case = signed_run
    with open(case / "activity.csv", "a") as fh:
        fh.write("\n")
    assert verify_manifest(run_dir, inputs_root=case) == ["changed input: activity.csv"]


def test_tampered_manifest_and_wrong_signature(signed_run):
    run_dir, key, _ = signed_run
    manifest = run_dir / "manifest.json"
    original = manifest.read_bytes()
    manifest.write_bytes(original.replace(b'"seed": 1', b'"seed": 2'))
    assert verify_manifest(run_dir)[0].startswith("bad signature")
    manifest.write_bytes(original)
    other = Ed25519PrivateKey.generate()
    (run_dir / "manifest.sig").write_text(base64.b64encode(other.sign(original)).decode())
    assert verify_manifest(run_dir)[0].startswith("bad signature")
    # re-signed by someone else with their own key inside: only a pinned key catches it
    write_manifest(run_dir, {}, {}, other)
    assert verify_manifest(run_dir) == []
    problems = verify_manifest(run_dir, trusted_key=public_key_text(key))
    assert problems[0].startswith("bad signature")
    (run_dir / "manifest.sig").unlink()
    assert verify_manifest(run_dir) == ["manifest.sig is missing"]


def test_key_from_env_and_home(tmp_path, home, monkeypatch):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    write_manifest(run_dir, {}, {})
    key_file = home / ".openmrv" / "signing_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    doc = json.loads((run_dir / "manifest.json").read_text())
    write_manifest(run_dir, {}, {})  # the same key again
    assert json.loads((run_dir / "manifest.json").read_text())["signature"] == doc["signature"]
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "nope.pem"))
    with pytest.raises(ManifestError, match="signing key file not found"):
        write_manifest(run_dir, {}, {})
    monkeypatch.setenv(KEY_ENV, str(key_file))
    write_manifest(run_dir, {}, {})
    assert verify_manifest(run_dir, trusted_key=doc["signature"]["public_key"]) == []


def test_cli_exit_codes(signed_run, tkm_run, tmp_path):
    run_dir, _, _ = signed_run
    app = typer.Typer()
    app.command("verify-manifest")(verify_manifest_command)
    app.command("noop")(lambda: None)  # two commands: typer keeps the command name
    runner = CliRunner()
    real = tmp_path / "real"
    shutil.copytree(tkm_run.out, real)
    doc = json.loads((real / "manifest.json").read_text())  # signed by this user's own key
    write_manifest(real, {i["path"]: i["sha256"] for i in doc["inputs"]}, doc["settings"])
    ok = runner.invoke(app, ["verify-manifest", str(real)])
    assert ok.exit_code == 0, ok.output
    # signed, but not a run folder (docs/run-folder.md): inventory.nc ... missing
    toy = runner.invoke(app, ["verify-manifest", str(run_dir)])
    assert toy.exit_code == 1 and "not a valid run folder" in toy.output, toy.output
    _flip(run_dir / "emissions.csv")
    bad = runner.invoke(app, ["verify-manifest", str(run_dir)])
    assert bad.exit_code == 1
    assert "changed output: emissions.csv" in bad.output
    missing = runner.invoke(app, ["verify-manifest", str(run_dir / "nope")])
    assert missing.exit_code == 2
    for key in ("not-base64!", "AAAA"):  # not base64; base64 but not a 32-byte key
        bad_key = runner.invoke(app, ["verify-manifest", str(real), "--public-key", key])
        assert bad_key.exit_code == 2 and "--public-key" in bad_key.output, bad_key.output


def test_write_reports_turkmenistan(tkm_run, tmp_path, home):
    run_dir = tmp_path / "run"
    shutil.copytree(tkm_run.out, run_dir)
    files = write_reports(run_dir, tkm_run.case, tkm_run.result, tkm_run.uncertainty)
    names = [f.name for f in files]
    assert names[:4] == ["activity.csv", "crt.xlsx", "crt.json", "report.html"]
    assert names[-2:] == ["manifest.json", "manifest.sig"]
    assert {"verification.png", "plumes_map.png"} <= set(names)
    assert verify_manifest(run_dir, inputs_root=tkm_run.case.root) == []
    doc = json.loads((run_dir / "manifest.json").read_text())
    paths = {o["path"] for o in doc["outputs"]}
    assert {"crt.xlsx", "crt.json", "inventory.nc", "run.json"} <= paths
    assert "activity/energy.csv" in {i["path"] for i in doc["inputs"]}
    assert any(i["path"].startswith("openmrv:factors/data/") for i in doc["inputs"])
    # every packaged table a run reads, the method constants and assumptions included
    recorded = {i["path"] for i in doc["inputs"]}
    for table in (
        "verify/data/plume_annualisation.csv",
        "data/physical_constants.csv",
        "estimate/plumes/data/parameters.csv",
        "estimate/inversion/data/transport.csv",
        "observe/data/superobs_error_chen2023.csv",
    ):
        assert f"openmrv:{table}" in recorded, table
    unc = tkm_run.uncertainty
    tables = crt_tables(
        tkm_run.result.dataset, key_categories=unc.key_categories, uncertainty=unc.approach1
    )
    back = read_crt_xlsx(run_dir / "crt.xlsx")
    for name in ("Summary1", "Table1", "openmrv-Uncertainty", "openmrv-KeyCategories"):
        _same(tables[name], back[name], rel=1e-15)
    _flip(run_dir / "inventory.nc", 1000)
    assert verify_manifest(run_dir) == ["changed output: inventory.nc"]


def test_inputs_checked_in_the_recorded_case_folder(mini_case, tmp_path):
    """Without --case, verify-manifest checks the inputs in the case folder the manifest
    records: a changed input is found (exit 1)."""
    from openmrv.cli import app as cli

    runner = CliRunner()
    run_dir = tmp_path / "run"
    assert runner.invoke(cli, ["inventory", str(mini_case), "-o", str(run_dir)]).exit_code == 0
    assert runner.invoke(cli, ["verify-manifest", str(run_dir)]).exit_code == 0
    activity = mini_case / "activity.csv"
    activity.write_text(activity.read_text() + "\n")
    res = runner.invoke(cli, ["verify-manifest", str(run_dir)])
    assert res.exit_code == 1 and "changed input: activity.csv" in res.output, res.output
