"""Workspace fixtures: a template workspace (the synthetic mini case imported, one user per
role) made once per session and copied for each test, and logged-in API clients."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from openmrv.workspace import audit
from openmrv.workspace.api import create_app
from openmrv.workspace.casefiles import import_case
from openmrv.workspace.db import open_workspace
from openmrv.workspace.security import add_user

MINI = Path(__file__).parents[1] / "data" / "mini_case"
TKM = Path(__file__).parents[2] / "examples" / "turkmenistan"
PASSWORD = "correct horse battery"
#: user name -> (role, sectors); expert edits 1.A only
USERS = {
    "expert": ("sector_expert", ["1.A"]),
    "reviewer": ("reviewer", []),
    "compiler": ("compiler", []),
    "viewer": ("viewer", []),
}


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ws-template")
    ws = open_workspace(folder)
    with ws.sessions() as db:
        import_case(db, MINI, "test", "mini")
        for name, (role, sectors) in USERS.items():
            add_user(db, name, role, PASSWORD, sectors)
            audit.record(db, "test", "add", "users", name, None, {"role": role}, "test user")
        db.commit()
    ws.close()
    return folder


@pytest.fixture
def ws_dir(template, tmp_path) -> Path:
    """A fresh copy of the template workspace folder."""
    dst = tmp_path / "ws"
    shutil.copytree(template, dst)
    return dst


@pytest.fixture
def ws(ws_dir):
    w = open_workspace(ws_dir)
    yield w
    w.close()


@pytest.fixture
def app(ws):
    return create_app(ws)


def login(app, name: str, password: str = PASSWORD) -> tuple[TestClient, str]:
    """A client logged in as ``name`` and its CSRF token."""
    client = TestClient(app)
    r = client.post("/api/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return client, r.json()["csrf_token"]


def first_row(client: TestClient, prefix: str) -> dict:
    """The first activity row of the mini case under IPCC ``prefix``."""
    rows = client.get("/api/cases/1/activity", params={"category": prefix}).json()
    assert rows, prefix
    return rows[0]


def case_files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path: its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip
