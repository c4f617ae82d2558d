"""Workspace fixtures: a template workspace (the synthetic mini case imported, one user per
role) made once per session and copied for each test, and logged-in API clients."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient
from tests.workspace.postgres import postgres_server

import openmrv
from openmrv.workspace import audit
from openmrv.workspace.api import create_app
from openmrv.workspace.casefiles import import_case
from openmrv.workspace.db import open_workspace
from openmrv.workspace.models import RunRecord, User
from openmrv.workspace.security import COOKIE, add_user, start_session

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


def populate(ws) -> None:
    """The mini case imported as case 1 and one user per role of :data:`USERS`."""
    with ws.sessions() as db:
        import_case(db, MINI, "test", "mini")
        for name, (role, sectors) in USERS.items():
            add_user(db, name, role, PASSWORD, sectors)
            audit.record(db, "test", "add", "users", name, None, {"role": role}, "test user")
        db.commit()


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ws-template")
    ws = open_workspace(folder)
    populate(ws)
    ws.close()
    return folder


_numbers = itertools.count()


@pytest.fixture(scope="session")
def pg_admin():
    """The admin URL of a throwaway PostgreSQL server (skips where it is not installed)."""
    with postgres_server() as url:
        if url is None:
            pytest.skip("PostgreSQL (Debian package postgresql) is not installed")
        yield url


def _new_database(admin_url: str, template: str | None = None) -> str:
    """The URL of a new PostgreSQL database (a copy of database ``template`` when given:
    ``CREATE DATABASE ... TEMPLATE``, a file-level copy, no migration or import re-run)."""
    name = f"ws{next(_numbers)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        )
    admin.dispose()
    return admin_url.replace("/postgres?", f"/{name}?")


@pytest.fixture
def pg_ws(pg_admin, tmp_path):
    """A workspace on a new, empty PostgreSQL database (migrated on open)."""
    ws = open_workspace(tmp_path, _new_database(pg_admin))
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def pg_template(pg_admin, tmp_path_factory) -> str:
    """The name of a PostgreSQL database migrated and populated (:func:`populate`) once per
    session; no connection to it is kept, so it can be a ``CREATE DATABASE`` template."""
    url = _new_database(pg_admin)
    ws = open_workspace(tmp_path_factory.mktemp("pg-template"), url)
    populate(ws)
    ws.close()
    return sa.engine.make_url(url).database


@pytest.fixture
def pg_filled(pg_admin, pg_template, tmp_path):
    """A workspace on a new PostgreSQL database cloned from :func:`pg_template` (the mini
    case and one user per role, as :func:`ws` on SQLite)."""
    ws = open_workspace(tmp_path, _new_database(pg_admin, pg_template))
    yield ws
    ws.close()


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


def signed_in(app, ws, name: str) -> tuple[TestClient, str]:
    """A client logged in as ``name`` and its CSRF token, the login made in the database by
    the login endpoint's own :func:`start_session` without its Argon2 password check (about
    0.3 s a login; tests/workspace/test_security.py tests the login itself). Each call is a
    new login, as :func:`login`'s is."""
    with ws.sessions() as db:
        user = db.scalar(sa.select(User).where(User.name == name))
        token, csrf = start_session(db, user)
        db.commit()
    return TestClient(app, cookies={COOKIE: token}), csrf


def first_row(client: TestClient, prefix: str) -> dict:
    """The first activity row of the mini case under IPCC ``prefix``."""
    rows = client.get("/api/cases/1/activity", params={"category": prefix}).json()
    assert rows, prefix
    return rows[0]


def case_files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path: its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(ws_dir: Path, port: int, db: str | None = None) -> subprocess.Popen:
    """``openmrv serve`` on ``ws_dir`` (and database URL ``db``) in a subprocess, returned
    once it answers."""
    env = {**os.environ, "PYTHONPATH": str(Path(openmrv.__file__).parents[1])}
    args = ["serve", "--port", str(port), "--workspace", str(ws_dir)]
    args += [] if db is None else ["--db", db]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from openmrv.cli import app; app()", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as probe:
        for _ in range(600):
            try:
                if probe.get("/api/health").status_code == 200:
                    return proc
            except httpx2.TransportError:
                time.sleep(0.1)
    proc.kill()
    raise RuntimeError("openmrv serve did not answer within 60 s")


@pytest.fixture(scope="session")
def tkm_run(tmp_path_factory) -> tuple[Path, int]:
    """A workspace with the Turkmenistan case, one user per role and one finished whole run
    (inventory, uncertainty, observations, verification, report), made once per session and
    only read by the tests that use it: (workspace folder, run id)."""
    from openmrv.workspace.versions import start_run

    folder = tmp_path_factory.mktemp("ws-tkm")
    ws = open_workspace(folder)
    try:
        with ws.sessions() as db:
            import_case(db, TKM, "test", "tkm")
            for name, (role, sectors) in USERS.items():
                add_user(db, name, role, PASSWORD, sectors)
            db.commit()
            compiler = db.query(User).filter_by(name="compiler").one()
            db.expunge(compiler)
        run_id = start_run(ws, 1, compiler, None, full=True)
        for _ in range(3000):
            with ws.sessions() as db:
                run = db.get(RunRecord, run_id)
                if run.state in ("done", "failed"):
                    break
            time.sleep(0.1)
        assert run.state == "done", run.error
    finally:
        ws.close()
    return folder, run_id
