"""The server-rendered screens: log in, data entry per sector with the case reader's
messages (form, row, field), conflicts, CSRF, approving, a run followed to its outputs and a
download, the audit trail; nothing loaded from elsewhere."""

from __future__ import annotations

import re
import time

from starlette.testclient import TestClient
from tests.workspace.conftest import PASSWORD


def _login(app, name: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    r = client.post("/login", data={"username": name, "password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "httponly" in r.headers["set-cookie"].lower()
    return client


def _csrf(page: str) -> str:
    return re.search(r'name=csrf_token value="([^"]+)"', page).group(1)


def _form_of_row(page: str, line: int) -> tuple[str, str]:
    """The action and version of the edit form of the row shown with row number ``line``."""
    row = re.search(rf"<td>activity.csv</td><td>{line}</td>.*?</tr>", page, re.S).group(0)
    action = re.search(r'action="([^"]+)"', row).group(1)
    return action, re.search(r"name=version value=(\d+)", row).group(1)


def test_pages_need_a_login_and_a_right_password(app):
    client = TestClient(app, follow_redirects=False)
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = client.post("/login", data={"username": "expert", "password": "not it at all"})
    assert r.status_code == 401 and "wrong user name or password" in r.text
    home = _login(app, "expert").get("/")
    assert home.status_code == 200 and 'href="/cases/1"' in home.text


def test_data_entry_validates_like_the_case_files_and_saves(app):
    client = _login(app, "expert")
    page = client.get("/cases/1/activity?category=1.A").text
    action, version = _form_of_row(page, 2)
    form = {"csrf_token": _csrf(page), "version": version, "category": "1.A"}
    bad = client.post(action, data={**form, "value": "-3", "reason": "typo"})
    assert bad.status_code == 422
    assert "form activity.csv, row 2, field value: value -3.0 is negative" in bad.text
    assert 'name=value value="-3"' in bad.text  # what was typed stays, to be corrected
    ok = client.post(action, data={**form, "value": "1250", "reason": "energy balance 2000"})
    assert ok.status_code == 303
    page = client.get(ok.headers["location"]).text
    assert "row 2 saved" in page and 'value="1250"' in page
    stale = client.post(action, data={**form, "value": "1300", "reason": "old page"})
    assert stale.status_code == 409 and "someone changed it" in stale.text
    assert "your value was 1300" in stale.text and 'value="1250"' in stale.text
    trail = client.get("/audit").text
    assert "energy balance 2000" in trail and "expert" in trail


def test_rows_outside_the_sectors_and_viewers_get_no_form(app):
    expert = _login(app, "expert").get("/cases/1/activity?category=1.B").text
    assert "gas_production" in expert and "<form id=" not in expert
    viewer = _login(app, "viewer").get("/cases/1/activity?category=1.A").text
    assert "fuel_consumption" in viewer and "<form id=" not in viewer


def test_a_form_without_the_csrf_token_is_refused(app):
    client = _login(app, "compiler")
    page = client.get("/cases/1/activity?category=1.A").text
    action, version = _form_of_row(page, 2)
    r = client.post(action, data={"version": version, "value": "5", "reason": "x"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/cases/1/approve", data={"csrf_token": "forged", "reason": "x"})
    assert r.status_code == 403


def test_approve_run_follow_and_download(app, ws):
    client = _login(app, "compiler")
    page = client.get("/cases/1").text
    csrf = _csrf(page)
    r = client.post("/cases/1/approve", data={"csrf_token": csrf, "reason": "for review"})
    assert r.status_code == 303
    assert "version 1: approved by compiler" in client.get("/cases/1").text
    r = client.post("/cases/1/runs", data={"csrf_token": csrf, "version": "1"})
    assert r.status_code == 303
    run_url = r.headers["location"]
    for _ in range(600):
        page = client.get(run_url).text
        if "<b>done</b>" in page or "<b>failed</b>" in page:
            break
        assert 'http-equiv="refresh"' in page  # the page follows the run by itself
        time.sleep(0.1)
    assert "<b>done</b>" in page, page
    assert "1.A.1.a / fuel_consumption / natural_gas" in page  # a progress message
    # the approved version leads to its latest run's inventory tree
    assert f'(latest run: <a href="{run_url}/inventory">' in client.get("/cases/1").text
    assert client.get(f"{run_url}/inventory").status_code == 200
    link = re.search(r'href="([^"]+/files/emissions.csv)"', page).group(1)
    got = client.get(link)
    folder = ws.folder / "runs" / "run1" / "run"
    assert got.status_code == 200 and got.content == (folder / "emissions.csv").read_bytes()
    assert (
        client.get(link.replace("emissions.csv", "..%2F..%2Fcase%2Fcase.yaml")).status_code == 404
    )


def test_pages_load_nothing_from_elsewhere(app):
    client = _login(app, "compiler")
    for url in ("/", "/cases/1", "/cases/1/activity?category=3", "/audit", "/login"):
        r = client.get(url)
        assert r.status_code == 200
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text), url
        assert "default-src 'self'" in r.headers["content-security-policy"]
