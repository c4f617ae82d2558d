"""Logins: argon2 hashes (no password in the database file), the cookie's flags, 401s, the
login rate limits of data/security_limits.csv, the health check and the bind warning."""

from __future__ import annotations

import csv

from argon2 import PasswordHasher
from starlette.testclient import TestClient
from tests.workspace.conftest import PASSWORD, login

from openmrv.workspace.db import DEFAULT_DB_NAME
from openmrv.workspace.security import LIMITS_CSV, LoginLimiter, limits
from openmrv.workspace.server import exposure_warning


def test_passwords_are_argon2_hashes_and_never_in_the_database_file(ws, ws_dir):
    with ws.engine.connect() as conn:
        hashes = [h for (h,) in conn.exec_driver_sql("SELECT password_hash FROM users")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert PasswordHasher().verify(hashes[0], PASSWORD)
    ws.close()  # checkpoint the write-ahead log into the file
    raw = b"".join(p.read_bytes() for p in ws_dir.glob(f"{DEFAULT_DB_NAME}*"))
    assert PASSWORD.encode() not in raw
    assert b"$argon2id$" in raw  # the probe reads the right bytes


def test_health_needs_no_login(app):
    r = TestClient(app).get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": "0.1.0", "database": "sqlite"}


def test_login_cookie_is_httponly_and_samesite_strict(app):
    r = TestClient(app).post("/api/login", json={"username": "viewer", "password": PASSWORD})
    assert r.status_code == 200 and len(r.json()["csrf_token"]) >= 32
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert r.json()["csrf_token"] not in r.headers["set-cookie"]


def test_wrong_password_and_no_login_get_401(app):
    client = TestClient(app)
    bad = client.post("/api/login", json={"username": "viewer", "password": "wrong password"})
    assert bad.status_code == 401 and "set-cookie" not in bad.headers
    assert (
        client.post("/api/login", json={"username": "nobody", "password": "x"}).status_code == 401
    )
    for path in ("/api/cases", "/api/cases/1/activity", "/api/audit", "/api/me"):
        assert client.get(path).status_code == 401


def test_login_is_rate_limited_per_user_by_the_cited_table(app):
    with LIMITS_CSV.open(newline="") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    assert all(r["source"] and r["kind"] for r in rows.values())  # every limit cited
    n = int(rows["login_failures_per_user"]["value"])
    client = TestClient(app)
    for _ in range(n):
        r = client.post("/api/login", json={"username": "viewer", "password": "guess guess"})
        assert r.status_code == 401
    r = client.post("/api/login", json={"username": "viewer", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # another user from the same address still logs in (a team behind one address)
    login(app, "compiler")


def test_per_address_limit_and_window():
    t = [0.0]
    lim = LoginLimiter(clock=lambda: t[0])
    per_address = int(limits()["login_attempts_per_address"])
    for i in range(per_address):
        assert lim.check(f"user{i}", "10.0.0.1") is None
    assert lim.check("someone", "10.0.0.1") > 0  # the address is over its limit
    assert lim.check("someone", "10.0.0.2") is None  # another address is not
    t[0] += limits()["login_attempts_window"] + 1
    assert lim.check("someone", "10.0.0.1") is None  # the window has passed


def test_binding_beyond_this_machine_warns():
    assert exposure_warning("127.0.0.1") is None
    assert exposure_warning("localhost") is None
    assert exposure_warning("::1") is None
    for host in ("0.0.0.0", "192.168.1.10", "example.org"):
        assert "TLS" in exposure_warning(host)
