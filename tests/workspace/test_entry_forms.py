"""The data-entry screen's row forms (issue 16): adding, deleting and restoring activity rows
and editing factor and notation-key tables from the screens, with the JSON API's rights,
messages and audit rows. What a form did is read back from the database and from the case
files the workspace exports (not from the screens' own HTML)."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select
from tests.workspace.conftest import signed_in

from openmrv.workspace import audit
from openmrv.workspace.casefiles import case_file_bytes
from openmrv.workspace.models import ActivityRow

ROW = {"form": "activity.csv", "category": "1.A.1.a", "activity": "fuel_consumption",
       "key": "natural_gas", "year": "2003", "value": "1200", "unit": "TJ",
       "source": "energy balance", "notes": ""}  # fmt: skip


def _client(app, ws, name):
    client, csrf = signed_in(app, ws, name)
    client.follow_redirects = False
    return client, csrf


def _activity(ws) -> list[dict[str, str]]:
    """The activity file of case 1 as the workspace exports it."""
    with ws.sessions() as db:
        text = case_file_bytes(db, 1)["activity.csv"].decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _last_audit(ws) -> dict:
    with ws.sessions() as db:
        return audit.read(db, limit=1)[0]


def test_an_expert_adds_deletes_and_restores_a_row_from_the_screen(app, ws):
    client, csrf = _client(app, ws, "expert")
    page = client.get("/cases/1/activity?category=1.A").text
    assert "<h2>Add a row</h2>" in page and "formaction=" in page
    n = len(_activity(ws))
    r = client.post("/cases/1/activity", data={**ROW, "csrf_token": csrf, "reason": "new year",
                                               "back": "1.A"})  # fmt: skip
    assert r.status_code == 303 and "added=" in r.headers["location"]
    rows = _activity(ws)
    assert len(rows) == n + 1 and rows[-1]["year"] == "2003" and rows[-1]["value"] == "1200"
    assert _last_audit(ws)["action"] == "add"
    with ws.sessions() as db:
        new = db.scalar(select(ActivityRow).where(ActivityRow.year == 2003))
        row_id, version = new.id, new.version
    data = {"csrf_token": csrf, "version": str(version), "category": "1.A", "reason": "typo"}
    r = client.post(f"/cases/1/activity/{row_id}/delete", data=data)
    assert r.status_code == 303
    assert len(_activity(ws)) == n and _last_audit(ws)["action"] == "delete"
    page = client.get("/cases/1/activity?category=1.A").text
    deleted = page.split("<h2>Deleted rows</h2>")[1]
    assert "2003" in deleted and "restore</button>" in deleted
    r = client.post(f"/cases/1/activity/{row_id}/delete", data=data)  # again
    assert r.status_code == 422 and "already deleted" in r.text
    r = client.post(f"/cases/1/activity/{row_id}/restore", data=data)  # the old version
    assert r.status_code == 409 and len(_activity(ws)) == n
    data["version"] = str(version + 1)
    r = client.post(f"/cases/1/activity/{row_id}/restore", data=data)
    assert r.status_code == 303 and len(_activity(ws)) == n + 1
    assert _last_audit(ws)["action"] == "restore"


def test_a_refused_add_names_form_row_and_field_and_changes_nothing(app, ws):
    client, csrf = _client(app, ws, "expert")
    before = _activity(ws)
    bad = {**ROW, "value": "-5", "csrf_token": csrf, "reason": "x", "back": "1.A"}
    r = client.post("/cases/1/activity", data=bad)
    assert r.status_code == 422
    assert re.search(r"form activity\.csv, row \d+, field value", r.text), r.text
    outside = {**ROW, "category": "1.B.2.b", "activity": "gas_production", "key": "*",
               "unit": "1e9 m**3", "csrf_token": csrf, "reason": "x"}  # fmt: skip
    assert client.post("/cases/1/activity", data=outside).status_code == 403
    assert _activity(ws) == before


def test_table_screen_edits_within_the_sectors_and_refuses_outside(app, ws):
    expert, csrf = _client(app, ws, "expert")
    assert 'href="/cases/1/tables/factors_cs.csv"' in expert.get("/cases/1").text
    page = expert.get("/cases/1/tables/factors_cs.csv").text
    forms = set(re.findall(r"<tr data-row=(\d+)><td>\d+</td><td><input", page))
    with ws.sessions() as db:
        text = case_file_bytes(db, 1)["factors_cs.csv"].decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    mine = {str(i) for i, r in enumerate(table, start=2) if r["category"].startswith("1.A")}
    assert forms == mine  # a form for each row in the expert's sector, none other
    line = next(i for i, r in enumerate(table, start=2)
                if (r["category"], r["gas"]) == ("1.A.1", "CH4"))  # fmt: skip
    version = re.search(r"name=version value=\"(\d+)\"", page)[1]
    data = {"csrf_token": csrf, "action": "edit", "row": str(line), "version": version,
            "f_value": "1.5", "reason": "country study"}  # fmt: skip
    r = expert.post("/cases/1/tables/factors_cs.csv", data=data)
    assert r.status_code == 303, r.text
    with ws.sessions() as db:
        text = case_file_bytes(db, 1)["factors_cs.csv"].decode("utf-8-sig")
    assert list(csv.DictReader(io.StringIO(text)))[line - 2]["value"] == "1.5"
    got = _last_audit(ws)
    assert got["action"] == "edit" and got["table_name"] == "case_files"
    r = expert.post("/cases/1/tables/factors_cs.csv", data=data)  # the old version again
    assert r.status_code == 409
    add = {"csrf_token": csrf, "action": "add", "version": str(int(version) + 1),
           "f_category": "2.A.2", "f_gas": "CH4", "f_notation_key": "NO",
           "f_explanation": "none", "reason": "x"}  # fmt: skip
    notation = expert.get("/cases/1/tables/notation_keys.csv").text
    add["version"] = re.search(r"name=version value=\"(\d+)\"", notation)[1]
    assert expert.post("/cases/1/tables/notation_keys.csv", data=add).status_code == 403
    viewer = _client(app, ws, "viewer")[0]
    assert "<input form=" not in viewer.get("/cases/1/tables/factors_cs.csv").text
    compiler, ccsrf = _client(app, ws, "compiler")
    r = compiler.post("/cases/1/tables/notation_keys.csv", data={**add, "csrf_token": ccsrf})
    assert r.status_code == 303
    with ws.sessions() as db:
        text = case_file_bytes(db, 1)["notation_keys.csv"].decode("utf-8-sig")
    assert "2.A.2,CH4,NO,none" in text
