"""Every role against every state-changing endpoint of the workspace (issue 16), the JSON API
and the screens' forms, on SQLite and on PostgreSQL: allowed and refused, and what a request
without a login gets. The expected table is the rights of the issue: a sector expert changes
the activity data and factor and notation-key rows of their sectors (IPCC prefixes), a
reviewer comments and marks QC checks and changes nothing else, a compiler changes
everything and approves, a viewer changes nothing; everyone but a viewer starts runs and
comments. A refusal changes nothing in the database (read there directly, not through the
API); an allowed change leaves an audit row.

Speed (242 cases): the databases are copies of templates made once per session (the SQLite
folder copied, the PostgreSQL database cloned with ``CREATE DATABASE ... TEMPLATE``), the
logins are made in the database without Argon2 (:func:`signed_in`; the login itself is
tested in test_security.py) and a run that a role may start is recorded, audited and its job
handed over (``Workspace.launch``) but not executed: the rights are in the record, the run
itself is tested in test_pages.py, test_screens.py and test_api_runs.py."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from tests.workspace.conftest import USERS, first_row, login, signed_in

from openmrv.workspace.api import create_app
from openmrv.workspace.casefiles import case_file_bytes, files_digest
from openmrv.workspace.models import (
    ActivityRow,
    AuditRow,
    InventoryVersion,
    QCCheck,
    ReviewComment,
    RunRecord,
)

ROLES = [*USERS, None]  # None: not logged in
_ = None
#: endpoint -> expected status for expert (sector 1.A), reviewer, compiler, viewer, anonymous
MATRIX = {
    # the JSON API
    "edit a row in the expert's sector (1.A)": (200, 403, 200, 403, 401),
    "edit a row outside the expert's sector (1.B)": (403, 403, 200, 403, 401),
    "add a row in 1.A": (201, 403, 201, 403, 401),
    "add a row in 1.B": (403, 403, 201, 403, 401),
    "delete a row in 1.A": (200, 403, 200, 403, 401),
    "restore a row in 1.A": (200, 403, 200, 403, 401),
    "approve": (403, 403, 201, 403, 401),
    "start a run": (202, 202, 202, 403, 401),
    "comment": (201, 201, 201, 403, 401),
    "resolve the reviewer's comment": (403, 200, 200, 403, 401),
    "mark a QC check": (403, 200, 200, 403, 401),
    "edit a factor row in 1.A": (200, 403, 200, 403, 401),
    "edit a factor row in 1.B": (403, 403, 200, 403, 401),
    "add a notation key in 1.A": (200, 403, 200, 403, 401),
    "add a notation key in 2.A": (403, 403, 200, 403, 401),
    "change a case setting": (403, 403, 200, 403, 401),
    "log out": (200, 200, 200, 200, 200),
    # the screens' forms (allowed: 303 to the next page; no login: 303 to /login)
    "page: save a value in 1.A": (303, 403, 303, 403, 303),
    "page: approve": (403, 403, 303, 403, 303),
    "page: start a run": (303, 303, 303, 403, 303),
    "page: comment": (303, 303, 303, 403, 303),
    "page: mark a QC check": (403, 303, 303, 403, 303),
    "page: resolve the reviewer's comment": (403, 303, 303, 403, 303),
    "page: log out": (303, 303, 303, 303, 303),
    "page: add a row in 1.A": (303, 403, 303, 403, 303),
    "page: delete a row in 1.A": (303, 403, 303, 403, 303),
    "page: restore a row in 1.A": (303, 403, 303, 403, 303),
    "page: edit a factor row in 1.A": (303, 403, 303, 403, 303),
    "page: add a notation key in 2.A": (403, 403, 303, 403, 303),
}
A, P, R = "/api/cases/{case_id:int}", "/cases/{case_id:int}", "{row_id:int}"
#: endpoint -> (method, route path): the matrix's rows are the application's routes
ROUTE = {
    "edit a row in the expert's sector (1.A)": ("PUT", f"{A}/activity/{R}"),
    "edit a row outside the expert's sector (1.B)": ("PUT", f"{A}/activity/{R}"),
    "add a row in 1.A": ("POST", f"{A}/activity"),
    "add a row in 1.B": ("POST", f"{A}/activity"),
    "delete a row in 1.A": ("POST", f"{A}/activity/{R}/delete"),
    "restore a row in 1.A": ("POST", f"{A}/activity/{R}/restore"),
    "approve": ("POST", f"{A}/approve"),
    "start a run": ("POST", f"{A}/runs"),
    "comment": ("POST", f"{A}/comments"),
    "resolve the reviewer's comment": ("PUT", f"{A}/comments/{{comment_id:int}}"),
    "mark a QC check": ("PUT", f"{A}/qc"),
    "edit a factor row in 1.A": ("POST", f"{A}/tables/{{form:path}}"),
    "edit a factor row in 1.B": ("POST", f"{A}/tables/{{form:path}}"),
    "add a notation key in 1.A": ("POST", f"{A}/tables/{{form:path}}"),
    "add a notation key in 2.A": ("POST", f"{A}/tables/{{form:path}}"),
    "change a case setting": ("PUT", f"{A}/settings"),
    "log out": ("POST", "/api/logout"),
    "page: save a value in 1.A": ("POST", f"{P}/activity/{R}"),
    "page: approve": ("POST", f"{P}/approve"),
    "page: start a run": ("POST", f"{P}/runs"),
    "page: comment": ("POST", f"{P}/comments"),
    "page: mark a QC check": ("POST", f"{P}/qc"),
    "page: resolve the reviewer's comment": ("POST", f"{P}/comments/{{comment_id:int}}"),
    "page: log out": ("POST", "/logout"),
    "page: add a row in 1.A": ("POST", f"{P}/activity"),
    "page: delete a row in 1.A": ("POST", f"{P}/activity/{R}/delete"),
    "page: restore a row in 1.A": ("POST", f"{P}/activity/{R}/restore"),
    "page: edit a factor row in 1.A": ("POST", f"{P}/tables/{{form:path}}"),
    "page: add a notation key in 2.A": ("POST", f"{P}/tables/{{form:path}}"),
}
#: the logins take no login (tests/workspace/test_security.py tests them)
NO_LOGIN = {("POST", "/api/login"), ("POST", "/login")}
EXPECTED = {k: dict(zip(ROLES, v, strict=True)) for k, v in MATRIX.items()}
C = "/api/cases/1"
EST = "1.A.1.a|CO2|fuel_consumption|natural_gas"
NEW_ROW = {"form": "activity.csv", "category": "1.A.1.a", "activity": "fuel_consumption",
           "key": "natural_gas", "year": 2003, "value": "1200", "unit": "TJ",
           "source": "energy balance", "notes": "", "reason": "matrix"}  # fmt: skip
NEW_1B = {**NEW_ROW, "category": "1.B.2.b.ii", "activity": "gas_production",
          "key": "gas_production_flaring", "unit": "1e6 m**3", "value": "10"}  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """(workspace, app, jobs) on SQLite or PostgreSQL, each a copy of its populated template;
    the jobs of the runs started are collected in ``jobs``, not executed."""
    ws = request.getfixturevalue("ws" if request.param == "sqlite" else "pg_filled")
    jobs: list = []
    ws.launch = jobs.append
    return ws, create_app(ws), jobs


def _state(ws) -> tuple:
    """What a change would move, read from the database itself."""
    with ws.sessions() as db:
        count = lambda m: db.scalar(select(func.count()).select_from(m))  # noqa: E731
        rows = db.execute(select(ActivityRow.id, ActivityRow.version, ActivityRow.deleted,
                                 ActivityRow.value).order_by(ActivityRow.id)).all()  # fmt: skip
        digest = files_digest(case_file_bytes(db, 1))
        marks = db.execute(select(QCCheck.version, QCCheck.done)).all()
        notes = db.execute(select(ReviewComment.version, ReviewComment.state)).all()
        return (count(AuditRow), count(InventoryVersion), count(RunRecord), digest,
                hashlib.sha256(repr((rows, marks, notes)).encode()).hexdigest())  # fmt: skip


def _prepare(app, ws, endpoint: str) -> dict:
    """What the endpoint acts on, made by a compiler (and the reviewer's comment)."""
    admin, csrf = signed_in(app, ws, "compiler")
    h = {"X-CSRF-Token": csrf}
    got = {"admin": admin, "a": first_row(admin, "1.A"), "b": first_row(admin, "1.B")}
    if endpoint.endswith("restore a row in 1.A"):
        r = admin.post(f"{C}/activity/{got['a']['id']}/delete", json={"reason": "prep"},
                       headers={**h, "If-Match": str(got["a"]["version"])})  # fmt: skip
        got["a"] = r.json()
    if endpoint.endswith("resolve the reviewer's comment"):
        rev, rcsrf = signed_in(app, ws, "reviewer")
        r = rev.post(f"{C}/comments", json={"kind": "category", "target": "1.A", "body": "?"},
                     headers={"X-CSRF-Token": rcsrf})  # fmt: skip
        got["comment"] = r.json()["id"]
    if "factor row" in endpoint:
        t = admin.get(f"{C}/tables/factors_cs.csv").json()
        got["factors"] = t["version"]
        got["factor_rows"] = {(r["category"], r["gas"]): r["row"] for r in t["rows"]}
    if "notation key" in endpoint:
        got["notation"] = admin.get(f"{C}/tables/notation_keys.csv").json()["version"]
    if "setting" in endpoint:
        got["settings"] = admin.get(f"{C}/settings").json()["version"]
    return got


def _api(client, endpoint: str, csrf: str, got: dict):
    h = {"X-CSRF-Token": csrf}
    a, b = got["a"], got["b"]
    ver = lambda v: {**h, "If-Match": str(v)}  # noqa: E731
    if endpoint.startswith("edit a row"):
        row = a if "(1.A)" in endpoint else b
        body = {"value": str(float(row["value"]) * 1.1), "reason": "matrix"}
        return client.put(f"{C}/activity/{row['id']}", json=body, headers=ver(row["version"]))
    if endpoint.startswith("add a row"):
        return client.post(f"{C}/activity", json=NEW_ROW if "1.A" in endpoint else NEW_1B,
                           headers=h)  # fmt: skip
    if endpoint.startswith(("delete", "restore")):
        url = f"{C}/activity/{a['id']}/{endpoint.split()[0]}"
        return client.post(url, json={"reason": "matrix"}, headers=ver(a["version"]))
    if endpoint == "approve":
        return client.post(f"{C}/approve", json={"reason": "matrix"}, headers=h)
    if endpoint == "start a run":
        return client.post(f"{C}/runs", json={}, headers=h)
    if endpoint == "comment":
        body = {"kind": "estimate", "target": EST, "body": "matrix"}
        return client.post(f"{C}/comments", json=body, headers=h)
    if endpoint.startswith("resolve"):
        body = {"state": "resolved", "reason": "matrix"}
        return client.put(f"{C}/comments/{got['comment']}", json=body, headers=ver(1))
    if endpoint == "mark a QC check":
        body = {"check": "units", "kind": "category", "target": "1.A", "done": True,
                "reason": "matrix"}  # fmt: skip
        return client.put(f"{C}/qc", json=body, headers=ver(0))
    if endpoint.startswith("edit a factor row"):
        line = got["factor_rows"][("1.A.1", "CH4") if "1.A" in endpoint else ("1.B.2.b.ii", "CO2")]
        value = "1.5" if "1.A" in endpoint else "0.0013"
        body = {"action": "edit", "row": line, "fields": {"value": value}, "reason": "matrix"}
        return client.post(f"{C}/tables/factors_cs.csv", json=body, headers=ver(got["factors"]))
    if endpoint.startswith("add a notation key"):
        cat = "1.A.5" if "1.A" in endpoint else "2.A.2"
        fields = {"category": cat, "gas": "CH4", "notation_key": "NO", "explanation": "none"}
        body = {"action": "add", "fields": fields, "reason": "matrix"}
        return client.post(f"{C}/tables/notation_keys.csv", json=body,
                           headers=ver(got["notation"]))  # fmt: skip
    if endpoint == "change a case setting":
        body = {"years.last": 2003, "reason": "matrix"}
        return client.put(f"{C}/settings", json=body, headers=ver(got["settings"]))
    return client.post("/api/logout", headers=h)


def _page(client, endpoint: str, csrf: str, got: dict):
    form = {"csrf_token": csrf, "reason": "matrix"}
    review = {**form, "kind": "estimate", "target": EST, "back": "/cases/1"}
    if endpoint == "page: save a value in 1.A":
        a = got["a"]
        data = {**form, "version": str(a["version"]), "category": "1.A",
                "value": str(float(a["value"]) * 1.1)}  # fmt: skip
        return client.post(f"/cases/1/activity/{a['id']}", data=data)
    if endpoint == "page: approve":
        return client.post("/cases/1/approve", data=form)
    if endpoint == "page: start a run":
        return client.post("/cases/1/runs", data=form)
    if endpoint == "page: comment":
        return client.post("/cases/1/comments", data={**review, "body": "matrix"})
    if endpoint == "page: resolve the reviewer's comment":
        return client.post(f"/cases/1/comments/{got['comment']}", data={**review, "version": "1"})
    if endpoint == "page: log out":
        return client.post("/logout", data=form)
    if endpoint == "page: add a row in 1.A":
        fields = {k: str(v) for k, v in NEW_ROW.items() if k != "reason"}
        return client.post("/cases/1/activity", data={**form, **fields, "back": "1.A"})
    if endpoint in ("page: delete a row in 1.A", "page: restore a row in 1.A"):
        a, what = got["a"], endpoint.split()[1]
        data = {**form, "version": str(a["version"]), "category": "1.A"}
        return client.post(f"/cases/1/activity/{a['id']}/{what}", data=data)
    if endpoint == "page: edit a factor row in 1.A":
        data = {**form, "action": "edit", "row": str(got["factor_rows"][("1.A.1", "CH4")]),
                "version": str(got["factors"]), "f_value": "1.5"}  # fmt: skip
        return client.post("/cases/1/tables/factors_cs.csv", data=data)
    if endpoint == "page: add a notation key in 2.A":
        data = {**form, "action": "add", "version": str(got["notation"]), "f_category": "2.A.2",
                "f_gas": "CH4", "f_notation_key": "NO", "f_explanation": "none"}  # fmt: skip
        return client.post("/cases/1/tables/notation_keys.csv", data=data)
    data = {**review, "check": "units", "version": "0", "done": "true"}
    return client.post("/cases/1/qc", data=data)


@pytest.mark.parametrize("user", ROLES, ids=lambda u: u or "anonymous")
@pytest.mark.parametrize("endpoint", list(EXPECTED))
def test_role_against_endpoint(backend, endpoint, user):
    ws, app, jobs = backend
    got = _prepare(app, ws, endpoint)
    before = _state(ws)
    if user is None:
        client, csrf = TestClient(app, follow_redirects=False), "no-login"
    else:
        client, csrf = signed_in(app, ws, user)
        client.follow_redirects = False
    send = _page if endpoint.startswith("page:") else _api
    r = send(client, endpoint, csrf, got)
    want = EXPECTED[endpoint][user]
    assert r.status_code == want, r.text
    if user is None and want == 303:
        assert r.headers["location"] == "/login"
    after = _state(ws)
    # a run's job is launched exactly when its record is committed, and only then
    assert len(jobs) == after[2] - before[2]
    if endpoint.endswith("start a run"):
        assert len(jobs) == (1 if r.status_code in (202, 303) and user else 0)
    if r.status_code in (401, 403) or user is None:  # a refusal changes nothing
        assert after == before
    elif not endpoint.endswith("log out"):  # an allowed change is in the audit trail
        assert after[0] > before[0] and after != before


def test_the_matrix_is_complete(app):
    """Every state-changing route of the application is in the matrix (by its method and
    path), so no endpoint is added without its row, and every row has every role."""
    routes = {(m, r.path) for r in app.routes for m in set(r.methods) - {"GET", "HEAD"}}
    assert routes - NO_LOGIN == set(ROUTE.values())
    assert set(ROUTE) == set(EXPECTED)
    assert all(set(v) == set(ROLES) for v in EXPECTED.values())


def test_an_expert_cannot_move_a_row_out_of_their_sector(app):
    client, csrf = login(app, "expert")
    row = first_row(client, "1.A")
    r = client.put(f"/api/cases/1/activity/{row['id']}",
                   json={"category": "1.B.2.b", "reason": "move"},
                   headers={"X-CSRF-Token": csrf, "If-Match": str(row["version"])})  # fmt: skip
    assert r.status_code == 403
    assert client.get(f"/api/cases/1/activity/{row['id']}").json()["category"] == "1.A.1.a"
