"""The review section of an estimate's detail screen: a reviewer adds a comment, marks a QC
check done and resolves the comment through the page's forms; the marks and comments are the
JSON API's records (versions, audit rows); a viewer sees them without forms, a sector expert
comments but marks no check; a stale or tokenless form is refused."""

from __future__ import annotations

import re

from tests.workspace.test_screens import _login, _run, _text

EST = "category=1.A.1.a&gas=CO2&activity=fuel_consumption&key=natural_gas"
TARGET = "1.A.1.a|CO2|fuel_consumption|natural_gas"


def _csrf(page: str) -> str:
    return re.search(r'name=csrf_token value="([^"]+)"', page).group(1)


def test_reviewer_comments_and_marks_checks_on_the_estimate_page(app):
    compiler = _login(app, "compiler")
    run_id = _run(compiler, _csrf(compiler.get("/cases/1").text))
    url = f"/cases/1/runs/{run_id}/estimate?{EST}"
    reviewer = _login(app, "reviewer")
    page = reviewer.get(url).text
    assert "no comments yet" in page and page.count("<tr class=qc") >= 10
    token, back = _csrf(page), url
    form = {"csrf_token": token, "kind": "estimate", "target": TARGET, "back": back}
    r = reviewer.post("/cases/1/comments", data={**form, "body": "factor row: cite the table"})
    assert r.status_code == 303 and r.headers["location"] == back
    r = reviewer.post("/cases/1/qc", data={**form, "check": "units", "version": "0",
                      "done": "true", "note": "TJ and kg/TJ", "reason": "QC round 1"})  # fmt: skip
    assert r.status_code == 303
    page = reviewer.get(url).text
    assert "factor row: cite the table" in _text(page)
    units = re.search(r"<tr class=qc data-check='units'>.*?</tr>", page, re.S).group(0)
    assert "<td class=state>done</td>" in units and "reviewer" in units
    # the same version again: stale, refused with 409, nothing written
    r = reviewer.post("/cases/1/qc", data={**form, "check": "units", "version": "0",
                      "done": "true", "reason": "again"})  # fmt: skip
    assert r.status_code == 409
    assert reviewer.post("/cases/1/comments", data={**form, "csrf_token": "x",
                         "body": "forged"}).status_code == 403  # fmt: skip
    api = _login(app, "viewer")
    marks = api.get("/api/cases/1/qc", params={"kind": "estimate", "target": TARGET}).json()
    assert [(m["check_id"], m["done"], m["version"]) for m in marks["checks"]] == [
        ("units", True, 1)]  # fmt: skip
    comments = api.get("/api/cases/1/comments").json()
    assert [(c["target"], c["state"]) for c in comments] == [(TARGET, "open")]
    # resolve through the page's form
    r = reviewer.post(f"/cases/1/comments/{comments[0]['id']}",
                      data={**form, "version": "1", "reason": "table cited"})  # fmt: skip
    assert r.status_code == 303
    assert api.get("/api/cases/1/comments").json()[0]["state"] == "resolved"
    trail = api.get("/api/audit").json()
    assert [t["action"] for t in trail[:3]] == ["edit", "qc", "comment"]
    viewer_page = api.get(url).text
    assert "factor row: cite the table" in viewer_page and "<form method=post" not in viewer_page
    expert_page = _login(app, "expert").get(url).text
    assert 'action="/cases/1/comments"' in expert_page and 'action="/cases/1/qc"' not in expert_page
