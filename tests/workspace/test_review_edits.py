"""Reviewer work (comments, QC check marks), adding/deleting/restoring activity rows and the
versioned edits of factor rows, notation keys and case settings, through the JSON API: each
change versioned (If-Match, 409 on stale, 428 without), its reason required, an audit row with
the old and new value, the case readers' refusals naming form, row and field, and the change
in the exported case."""

from __future__ import annotations

import csv
import io
import json

import yaml
from tests.workspace.conftest import MINI, case_files, first_row, login

from openmrv.case import load_case, read_activity
from openmrv.workspace.casefiles import export_case

C = "/api/cases/1"


def _h(csrf: str, version: int | None = None) -> dict[str, str]:
    h = {"X-CSRF-Token": csrf}
    return h if version is None else {**h, "If-Match": str(version)}


def _trail(client, table: str) -> list[dict]:
    return client.get("/api/audit", params={"table": table}).json()


def test_reviewer_comments_and_resolves_on_an_estimate_row_and_category(app):
    client, csrf = login(app, "reviewer")
    row = first_row(client, "1.A")
    est = {"category": "1.A.1.a", "gas": "CO2", "activity": "fuel_consumption",
           "key": "natural_gas"}  # fmt: skip
    made = []
    for kind, target in (("estimate", est), ("activity_row", row["id"]), ("category", "1.B")):
        r = client.post(f"{C}/comments", json={"kind": kind, "target": target,
                        "body": f"check the {kind}"}, headers=_h(csrf))  # fmt: skip
        assert r.status_code == 201, r.text
        made.append(r.json())
    assert made[0]["target"] == "1.A.1.a|CO2|fuel_consumption|natural_gas"
    assert made[2]["target"] == "1.B"
    got = client.get(f"{C}/comments", params={"kind": "estimate",
                     "target": made[0]["target"]}).json()  # fmt: skip
    assert [c["body"] for c in got] == ["check the estimate"]
    url = f"{C}/comments/{made[1]['id']}"
    r = client.put(url, json={"state": "resolved", "reason": "answered"}, headers=_h(csrf, 1))
    assert r.status_code == 200 and r.json()["state"] == "resolved" and r.json()["version"] == 2
    r = client.put(url, json={"state": "open", "reason": "stale"}, headers=_h(csrf, 1))
    assert r.status_code == 409 and r.json()["current"]["state"] == "resolved"
    r = client.put(url, json={"state": "open", "reason": "x"}, headers=_h(csrf))
    assert r.status_code == 428
    trail = _trail(client, "review_comments")
    assert [t["action"] for t in trail] == ["edit", "comment", "comment", "comment"]
    assert json.loads(trail[0]["old_value"])["state"] == "open"
    assert json.loads(trail[0]["new_value"])["state"] == "resolved"
    assert trail[0]["reason"] == "answered"
    # a bad target is refused naming the field
    r = client.post(f"{C}/comments", json={"kind": "category", "target": "9.Z",
                    "body": "x"}, headers=_h(csrf))  # fmt: skip
    assert r.status_code == 422


def test_reviewer_marks_qc_checks_versioned_and_edits_nothing_else(app):
    client, csrf = login(app, "reviewer")
    listing = client.get(f"{C}/qc").json()
    ids = [p["id"] for p in listing["procedures"]]
    with (MINI.parents[2] / "src/openmrv/report/data/qc_procedures.csv").open() as fh:
        want = [r["id"] for r in csv.DictReader(ln for ln in fh if not ln.startswith("#"))]
    assert ids == want and "transcription" in ids
    body = {
        "check": "transcription",
        "kind": "category",
        "target": "1.A",
        "done": True,
        "note": "activity compared with the energy balance",
        "reason": "QC round 1",
    }
    assert client.put(f"{C}/qc", json=body, headers=_h(csrf)).status_code == 428
    r = client.put(f"{C}/qc", json=body, headers=_h(csrf, 0))
    assert r.status_code == 200 and r.json()["done"] is True and r.json()["version"] == 1
    assert client.put(f"{C}/qc", json=body, headers=_h(csrf, 0)).status_code == 409
    r = client.put(f"{C}/qc", json={**body, "done": False, "reason": "reopened"},
                   headers=_h(csrf, 1))  # fmt: skip
    assert r.status_code == 200 and r.json()["done"] is False and r.json()["version"] == 2
    bad = client.put(f"{C}/qc", json={**body, "check": "nonsense"}, headers=_h(csrf, 2))
    assert bad.status_code == 422 and bad.json()["field"] == "check"
    trail = _trail(client, "qc_checks")
    assert [(json.loads(t["new_value"])["done"], t["reason"]) for t in trail] == [
        (False, "reopened"), (True, "QC round 1")]  # fmt: skip
    row = first_row(client, "1.A")
    r = client.put(f"{C}/activity/{row['id']}", json={"value": "1", "reason": "x"},
                   headers=_h(csrf, row["version"]))  # fmt: skip
    assert r.status_code == 403


def test_add_delete_restore_rows_and_export(app, ws, tmp_path):
    client, csrf = login(app, "expert")
    new = {
        "form": "activity.csv",
        "category": "1.A.1.a",
        "activity": "fuel_consumption",
        "key": "natural_gas",
        "year": 2003,
        "value": "1234.5",
        "unit": "TJ",
        "source": "ministry energy balance 2003",
        "notes": "",
        "reason": "new year",
    }
    r = client.post(f"{C}/activity", json=new, headers=_h(csrf))
    assert r.status_code == 201, r.text
    added = r.json()
    # the same row again breaks the case reader's duplicate rule
    r = client.post(f"{C}/activity", json=new, headers=_h(csrf))
    assert r.status_code == 422 and "duplicates" in r.json()["error"]
    # outside the expert's sector (1.A): refused
    r = client.post(f"{C}/activity", json={**new, "category": "1.B.2.b.ii", "activity":
                    "gas_production", "key": "gas_production_flaring", "unit": "1e6 m**3"},
                    headers=_h(csrf))  # fmt: skip
    assert r.status_code == 403
    bad = client.post(f"{C}/activity", json={**new, "value": "-1"}, headers=_h(csrf))
    assert bad.status_code == 422
    assert (bad.json()["form"], bad.json()["field"]) == ("activity.csv", "value")
    victim = first_row(client, "1.A")
    url = f"{C}/activity/{victim['id']}"
    assert client.post(f"{url}/delete", json={"reason": "x"}, headers=_h(csrf)).status_code == 428
    r = client.post(f"{url}/delete", json={"reason": "double count"},
                    headers=_h(csrf, victim["version"]))  # fmt: skip
    assert r.status_code == 200 and r.json()["deleted"] is True
    assert victim["id"] not in [x["id"] for x in client.get(f"{C}/activity").json()]
    assert [x["id"] for x in client.get(f"{C}/activity/deleted").json()] == [victim["id"]]
    with ws.sessions() as db:
        export_case(db, 1, tmp_path / "out")
    acts = read_activity(load_case(tmp_path / "out"))
    has = lambda y, v: ((acts["category"] == "1.A.1.a") & (acts["year"] == y)  # noqa: E731
                        & (acts["value"] == v)).any()  # fmt: skip
    assert has(2003, 1234.5)
    assert not has(victim["year"], float(victim["value"]))
    assert len(acts) == len(client.get(f"{C}/activity").json())
    r = client.post(f"{url}/restore", json={"reason": "it was not"},
                    headers=_h(csrf, victim["version"] + 1))  # fmt: skip
    assert r.status_code == 200 and r.json()["deleted"] is False
    trail = _trail(client, "activity_rows")
    assert [t["action"] for t in trail] == ["restore", "delete", "add"]
    assert json.loads(trail[1]["old_value"])["value"] == victim["value"]
    client.post(f"{C}/activity/{added['id']}/delete", json={"reason": "undo"},
                headers=_h(csrf, 1))  # fmt: skip
    with ws.sessions() as db:
        export_case(db, 1, tmp_path / "back")
    assert case_files(tmp_path / "back") == case_files(MINI)  # back to the case, byte for byte


def test_factor_row_notation_key_and_settings_edits(app, ws, tmp_path):
    client, csrf = login(app, "compiler")
    assert {t["form"]: t["kind"] for t in client.get(f"{C}/tables").json()} == {
        "factors_cs.csv": "factors", "notation_keys.csv": "notation_keys"}  # fmt: skip
    t = client.get(f"{C}/tables/factors_cs.csv").json()
    line = next(r["row"] for r in t["rows"] if r["gas"] == "CH4" and r["category"] == "1.A.1")
    edit = {"action": "edit", "row": line, "fields": {"value": "1.5"}, "reason": "plant data"}
    r = client.post(f"{C}/tables/factors_cs.csv", json=edit, headers=_h(csrf, t["version"]))
    assert r.status_code == 200, r.text
    assert client.post(f"{C}/tables/factors_cs.csv", json=edit,
                       headers=_h(csrf, t["version"])).status_code == 409  # fmt: skip
    # the factor library's own check: a unit it cannot read
    r = client.post(f"{C}/tables/factors_cs.csv", json={**edit, "fields": {"unit": "kg banana"}},
                    headers=_h(csrf, t["version"] + 1))  # fmt: skip
    assert r.status_code == 422, r.text
    assert (r.json()["form"], r.json()["row"]) == ("factors_cs.csv", line)
    nk = client.get(f"{C}/tables/notation_keys.csv").json()
    add = {"action": "add", "fields": {"category": "2.A.2", "gas": "CO2", "notation_key": "NO",
           "explanation": "no lime plant"}, "reason": "completeness"}  # fmt: skip
    r = client.post(f"{C}/tables/notation_keys.csv", json=add, headers=_h(csrf, nk["version"]))
    assert r.status_code == 200, r.text
    bad = {**add, "fields": {**add["fields"], "notation_key": "XX"}}
    r = client.post(f"{C}/tables/notation_keys.csv", json=bad, headers=_h(csrf, 2))
    assert r.status_code == 422 and r.json()["field"] == "notation_key"
    s = client.get(f"{C}/settings").json()
    assert s["settings"]["years.last"] == 2002 and s["settings"]["qualifiers.region"] == "Asia"
    r = client.put(f"{C}/settings", json={"years.last": 2003, "reason": "one more year"},
                   headers=_h(csrf, s["version"]))  # fmt: skip
    assert r.status_code == 200 and r.json()["settings"]["years.last"] == 2003
    r = client.put(f"{C}/settings", json={"gwp": "AR99", "reason": "x"},
                   headers=_h(csrf, s["version"] + 1))  # fmt: skip
    assert r.status_code == 422 and r.json()["form"] == "case.yaml"
    assert client.put(f"{C}/settings", json={"country": "UZB", "reason": "x"},
                      headers=_h(csrf, s["version"] + 1)).status_code == 422  # fmt: skip
    trail = _trail(client, "case_files")
    assert [t["action"] for t in trail] == ["edit", "add", "edit"]
    assert json.loads(trail[0]["old_value"]) == {"years.last": 2002}
    assert json.loads(trail[2]["old_value"])["value"] == "1"
    assert json.loads(trail[2]["new_value"])["value"] == "1.5"
    with ws.sessions() as db:
        export_case(db, 1, tmp_path / "out")
    got, want = case_files(tmp_path / "out"), case_files(MINI)
    text = got["case.yaml"].decode()
    assert yaml.safe_load(text)["years"] == {"first": 2000, "last": 2003}
    assert text.splitlines()[0] == want["case.yaml"].decode().splitlines()[0]  # comment kept
    rows = list(csv.DictReader(io.StringIO(got["factors_cs.csv"].decode())))
    assert rows[line - 2]["value"] == "1.5"
    assert b"2.A.2,CO2,NO,no lime plant" in got["notation_keys.csv"]
    load_case(tmp_path / "out")


def test_expert_edits_factor_rows_of_their_sector_only(app):
    client, csrf = login(app, "expert")
    t = client.get(f"{C}/tables/factors_cs.csv").json()
    line = {r["category"]: r["row"] for r in t["rows"] if r["gas"] != "N2O"}
    url, h = f"{C}/tables/factors_cs.csv", _h(csrf, t["version"])
    out = {"action": "edit", "row": line["1.B.2.b.ii"], "fields": {"value": "0.0013"},
           "reason": "x"}  # fmt: skip
    assert client.post(url, json=out, headers=h).status_code == 403
    star = {**out, "row": line["*"]}
    assert client.post(url, json=star, headers=h).status_code == 403
    mine = {**out, "row": line["1.A.1"], "fields": {"value": "1.5"}}
    assert client.post(url, json=mine, headers=h).status_code == 200
    s = client.get(f"{C}/settings").json()
    r = client.put(f"{C}/settings", json={"years.last": 2003, "reason": "x"},
                   headers=_h(csrf, s["version"]))  # fmt: skip
    assert r.status_code == 403
