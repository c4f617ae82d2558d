"""Trusted keys (issue 20 item 7): a run folder altered and re-signed with another key no
longer "verifies"; the signer's key id is shown; trusting and untrusting keys."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from openmrv.cli import app
from openmrv.report import keyring
from openmrv.report.manifest import load_or_create_key, public_key_text, write_manifest


@pytest.fixture
def forged(tkm_run, tmp_path, monkeypatch):
    """A copy of a real run folder with one output changed and the manifest signed again
    with another key (what anyone can do), and that key."""
    monkeypatch.setenv(keyring.KEYRING_ENV, str(tmp_path / "keyring.json"))
    run_dir = tmp_path / "forged"
    shutil.copytree(tkm_run.out, run_dir)
    (run_dir / "emissions.csv").write_text(
        (run_dir / "emissions.csv").read_text().replace("1.B.2", "1.B.2", 1) + "\n"
    )
    doc = json.loads((run_dir / "manifest.json").read_text())
    other = Ed25519PrivateKey.generate()
    inputs = {i["path"]: i["sha256"] for i in doc["inputs"]}
    write_manifest(run_dir, inputs, doc["settings"], other)
    return run_dir, other


def test_key_id_is_the_sha256_of_the_raw_key():
    key = Ed25519PrivateKey.generate()
    text = public_key_text(key)
    digest = hashlib.sha256(base64.b64decode(text)).hexdigest()[:16]
    assert keyring.key_id(text).replace("-", "") == digest


def test_forged_folder_fails_until_its_signer_is_trusted(forged):
    run_dir, other = forged
    load_or_create_key()  # this user's own key exists: it is listed as trusted
    runner = CliRunner()
    res = runner.invoke(app, ["verify-manifest", str(run_dir)])
    kid = keyring.key_id(public_key_text(other))
    assert res.exit_code == 2, res.output
    assert "do not trust" in res.output and kid in res.output
    trusted = runner.invoke(app, ["keys", "trust", str(run_dir), "--name", "Ana (partner)"])
    assert trusted.exit_code == 0, trusted.output
    ok = runner.invoke(app, ["verify-manifest", str(run_dir)])
    assert ok.exit_code == 0 and kid in ok.output and "Ana (partner)" in ok.output
    listed = runner.invoke(app, ["keys", "list"])
    assert kid in listed.output and keyring.OWN in listed.output
    assert runner.invoke(app, ["keys", "untrust", kid]).exit_code == 0
    assert runner.invoke(app, ["verify-manifest", str(run_dir)]).exit_code == 2


def _signed_by_me(tkm_run, folder):
    """A copy of the real run folder signed with this user's own key."""
    shutil.copytree(tkm_run.out, folder)
    doc = json.loads((folder / "manifest.json").read_text())
    write_manifest(folder, {i["path"]: i["sha256"] for i in doc["inputs"]}, doc["settings"])
    return folder


def test_own_key_is_trusted_from_the_start(tkm_run, tmp_path, monkeypatch):
    monkeypatch.setenv(keyring.KEYRING_ENV, str(tmp_path / "empty.json"))
    mine = _signed_by_me(tkm_run, tmp_path / "mine")
    res = CliRunner().invoke(app, ["verify-manifest", str(mine)])
    assert res.exit_code == 0, res.output
    assert keyring.OWN in res.output
    export = CliRunner().invoke(app, ["keys", "export"])
    assert keyring.key_id(keyring.own_key()) in export.output


def test_bad_keys_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(keyring.KEYRING_ENV, str(tmp_path / "k.json"))
    res = CliRunner().invoke(app, ["keys", "trust", "AAAA", "--name", "x"])
    assert res.exit_code == 2 and "Ed25519" in res.output
    (tmp_path / "k.json").write_text("{not json")
    assert CliRunner().invoke(app, ["keys", "list"]).exit_code == 2
