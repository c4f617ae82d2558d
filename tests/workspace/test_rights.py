"""Every role against every state-changing endpoint of the API (issue 16): allowed and
refused, and what an anonymous request gets. The expected table is the rights of the issue:
a sector expert edits the activity data of their sectors (IPCC prefixes), a reviewer and a
viewer edit nothing, only a compiler approves, everyone but a viewer may start a run."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient
from tests.workspace.conftest import USERS, first_row, login

ROLES = [*USERS, None]  # None: not logged in
#: endpoint -> {user: expected status}
EXPECTED = {
    "edit in the expert's sector (1.A)": {
        "expert": 200, "reviewer": 403, "compiler": 200, "viewer": 403, None: 401},
    "edit outside the expert's sector (1.B)": {
        "expert": 403, "reviewer": 403, "compiler": 200, "viewer": 403, None: 401},
    "approve": {"expert": 403, "reviewer": 403, "compiler": 201, "viewer": 403, None: 401},
    "start a run": {"expert": 202, "reviewer": 202, "compiler": 202, "viewer": 403, None: 401},
    "log out": {"expert": 200, "reviewer": 200, "compiler": 200, "viewer": 200, None: 200},
}  # fmt: skip


def _request(app, endpoint: str, user: str | None):
    admin, _ = login(app, "compiler")
    rows = {p: first_row(admin, p) for p in ("1.A", "1.B")}
    client, csrf = (TestClient(app), "") if user is None else login(app, user)
    headers = {"X-CSRF-Token": csrf}
    if endpoint.startswith("edit"):
        row = rows["1.A" if "(1.A)" in endpoint else "1.B"]
        new = str(float(row["value"]) * 1.1)
        return client.put(f"/api/cases/1/activity/{row['id']}", json={"value": new,
                          "reason": "matrix"}, headers={**headers, "If-Match": str(
                          row["version"])}), admin  # fmt: skip
    if endpoint == "approve":
        return client.post("/api/cases/1/approve", json={"reason": "matrix"},
                           headers=headers), admin  # fmt: skip
    if endpoint == "start a run":
        return client.post("/api/cases/1/runs", json={}, headers=headers), admin
    return client.post("/api/logout", headers=headers), admin


@pytest.mark.parametrize("user", ROLES, ids=lambda u: u or "anonymous")
@pytest.mark.parametrize("endpoint", list(EXPECTED))
def test_role_against_endpoint(app, endpoint, user):
    r, admin = _request(app, endpoint, user)
    assert r.status_code == EXPECTED[endpoint][user], r.text
    if endpoint == "start a run" and r.status_code == 202:
        status = r.json()["status"]
        for _ in range(600):  # the run is real: wait for it so none outlives the test
            got = admin.get(status).json()
            if got["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert got["state"] == "done", got
    if r.status_code in (401, 403):  # a refusal changes nothing and leaves no audit row
        trail = admin.get("/api/audit", params={"table": "activity_rows"}).json()
        assert trail == []
        assert admin.get("/api/cases/1/versions").json() == []


def test_the_matrix_is_complete():
    assert all(set(v) == set(ROLES) for v in EXPECTED.values())


def test_an_expert_cannot_move_a_row_out_of_their_sector(app):
    client, csrf = login(app, "expert")
    row = first_row(client, "1.A")
    r = client.put(f"/api/cases/1/activity/{row['id']}",
                   json={"category": "1.B.2.b", "reason": "move"},
                   headers={"X-CSRF-Token": csrf, "If-Match": str(row["version"])})  # fmt: skip
    assert r.status_code == 403
    assert client.get(f"/api/cases/1/activity/{row['id']}").json()["category"] == "1.A.1.a"
