"""Changing activity data through the API: stale edits answer 409 and lose nothing, every
change leaves an audit row with the old and new value and its reason, and a value the case
reader would refuse is refused with the same message, naming form, row and field."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from tests.workspace.conftest import first_row, login

from openmrv.case import load_case, read_activity
from openmrv.workspace.casefiles import export_case


def _put(client, csrf, row, version, **body):
    headers = {"X-CSRF-Token": csrf}
    if version is not None:
        headers["If-Match"] = str(version)
    return client.put(f"/api/cases/1/activity/{row['id']}", json=body, headers=headers)


def test_the_second_of_two_edits_from_the_same_version_gets_409_and_nothing_is_lost(app):
    a, csrf_a = login(app, "expert")
    b, csrf_b = login(app, "compiler")
    row = first_row(a, "1.A")
    assert row["value"] == "1000" and row["version"] == 1  # tests/data/mini_case/activity.csv
    r1 = _put(a, csrf_a, row, 1, value="1500", reason="corrected from the energy balance")
    assert r1.status_code == 200 and r1.json()["version"] == 2
    r2 = _put(b, csrf_b, row, 1, value="1700", reason="stale copy")
    assert r2.status_code == 409
    assert r2.json()["current"]["value"] == "1500"  # what the second person must resolve
    assert r2.json()["current"]["version"] == 2
    now = b.get(f"/api/cases/1/activity/{row['id']}")
    assert now.json()["value"] == "1500" and now.headers["etag"] == '"2"'
    # the ETag, weak or strong, is accepted as If-Match
    r3 = _put(b, csrf_b, row, 'W/"2"', value="1700", reason="resolved with the expert")
    assert r3.status_code == 200 and r3.json()["version"] == 3
    trail = b.get("/api/audit", params={"table": "activity_rows"}).json()
    assert [json.loads(t["new_value"])["value"] for t in trail] == ["1700", "1500"]


def test_an_edit_without_if_match_gets_428(app):
    client, csrf = login(app, "compiler")
    row = first_row(client, "1.A")
    r = _put(client, csrf, row, None, value="5", reason="no version")
    assert r.status_code == 428
    assert first_row(client, "1.A")["value"] == "1000"


def test_audit_row_has_who_when_old_new_and_reason(app):
    client, csrf = login(app, "expert")
    row = first_row(client, "1.A")
    assert _put(client, csrf, row, 1, value="1234.5", reason="typo in 2000").status_code == 200
    (entry,) = client.get("/api/audit", params={"table": "activity_rows"}).json()
    assert entry["who"] == "expert" and entry["reason"] == "typo in 2000"
    assert entry["record_key"] == "mini:activity.csv:2"  # form activity.csv, row (line) 2
    assert json.loads(entry["old_value"])["value"] == "1000"
    assert json.loads(entry["new_value"])["value"] == "1234.5"
    assert entry["at"].endswith("+00:00")
    csv_text = client.get("/api/audit", params={"format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("id,at,who,action") and "typo in 2000" in csv_text


def test_a_change_needs_a_reason(app):
    client, csrf = login(app, "compiler")
    row = first_row(client, "1.A")
    r = _put(client, csrf, row, 1, value="7")
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = _put(client, csrf, row, 1, value="7", reason="  ")
    assert r.status_code == 422
    assert first_row(client, "1.A")["version"] == 1


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"value": "-3"}, "value", "negative"),
        ({"value": "lots"}, "value", "not a number"),
        ({"year": "20x0"}, "year", "not an integer"),
        ({"category": "9.Z"}, "category", "unknown IPCC2006 category"),
    ],
)
def test_bad_values_are_refused_as_the_case_reader_refuses_them(app, mini_case, change, field,
                                                                 words):  # fmt: skip
    client, csrf = login(app, "compiler")
    row = first_row(client, "1.A")
    r = _put(client, csrf, row, 1, reason="check", **change)
    assert r.status_code == 422
    got = r.json()
    assert (got["form"], got["row"], got["field"]) == ("activity.csv", 2, field)
    assert words in got["error"]
    # the case reader says the same of the same row written into the file
    path = mini_case / "activity.csv"
    lines = path.read_text().splitlines()
    fields = lines[1].split(",")
    col = ["category", "activity", "key", "year", "value"].index(field)
    fields[col] = next(iter(change.values()))
    path.write_text("\n".join([lines[0], ",".join(fields), *lines[2:]]) + "\n")
    with pytest.raises(ValueError, match=words) as exc:
        read_activity(load_case(mini_case))
    assert (exc.value.row, exc.value.field) == (2, field)
    assert first_row(client, "1.A")["version"] == 1


def test_a_duplicate_row_is_refused(app):
    client, csrf = login(app, "compiler")
    row = first_row(client, "1.A")
    r = _put(client, csrf, row, 1, year="2001", reason="dup")
    assert r.status_code == 422 and "duplicates activity.csv row 3" in r.json()["error"]


def test_state_changing_requests_need_the_csrf_token(app):
    client, _ = login(app, "compiler")
    row = first_row(client, "1.A")
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        r = client.put(f"/api/cases/1/activity/{row['id']}", json={"value": "9", "reason": "x"},
                       headers={**headers, "If-Match": "1"})  # fmt: skip
        assert r.status_code == 403 and "CSRF" in r.json()["error"]
        r = client.post("/api/cases/1/approve", json={"reason": "x"}, headers=headers)
        assert r.status_code == 403
    assert first_row(client, "1.A")["version"] == 1
    assert client.get("/api/cases/1/versions").json() == []


def test_approve_locks_a_snapshot_and_later_edits_do_not_touch_it(app, ws, tmp_path):
    client, csrf = login(app, "compiler")
    r = client.post("/api/cases/1/approve", json={"reason": "submission 2024"},
                    headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert r.status_code == 201
    ver = r.json()
    row = first_row(client, "1.A")
    assert _put(client, csrf, row, 1, value="4321", reason="after approval").status_code == 200
    snap = (ws.folder / "versions" / "case1-v1" / "activity.csv").read_text()
    assert snap.splitlines()[1].split(",")[4] == "1000"
    with ws.sessions() as db:
        export_case(db, 1, tmp_path / "now")
    assert (tmp_path / "now" / "activity.csv").read_text().splitlines()[1].split(",")[4] == "4321"
    assert ver["number"] == 1 and ver["state"] == "approved" and len(ver["snapshot_sha256"]) == 64


def test_the_audit_trail_is_append_only_in_the_database(app, ws):
    client, csrf = login(app, "compiler")
    row = first_row(client, "1.A")
    _put(client, csrf, row, 1, value="1001", reason="one")
    for stmt in ("UPDATE audit SET reason = 'forged'", "DELETE FROM audit"):
        with pytest.raises(DBAPIError, match="append-only"), ws.engine.begin() as conn:
            conn.execute(sa.text(stmt))
    assert client.get("/api/audit").json()[0]["reason"] == "one"
