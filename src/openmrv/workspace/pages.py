"""The workspace's server-rendered screens: log in, the cases, data entry per sector with the
case reader's messages (form, row, field), approving, starting a run and following it, its
outputs to download, and the audit trail. Plain HTML with one inline style sheet: nothing is
loaded from elsewhere, so it works without the internet. Each form carries the login's CSRF
token; the rights are those of the JSON API (the same functions do the work)."""

from __future__ import annotations

import html
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from openmrv.errors import InputError
from openmrv.workspace import activity, audit, casefiles, versions
from openmrv.workspace.db import Workspace
from openmrv.workspace.entry_forms import add_row_form, deleted_rows, table_links
from openmrv.workspace.errors import ConflictError, NotFoundError, WorkspaceError
from openmrv.workspace.models import RunRecord
from openmrv.workspace.security import (
    COOKIE,
    LoginLimiter,
    authenticate,
    session_user,
    set_login_cookie,
    start_session,
)

#: the IPCC sectors offered as data-entry pages (IPCC 2006 Guidelines, Vol 1 Ch 8)
SECTORS = (("1", "Energy"), ("2", "IPPU"), ("3", "AFOLU"), ("4", "Waste"), ("5", "Other"))
STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .4em;font-size:90%}th{background:#eee}
.error{background:#fdd;border:1px solid #c00;padding:.5em}.ok{background:#dfd;padding:.5em}
nav a{margin-right:1em}input.v{width:8em}td.n{text-align:right}
td{vertical-align:top}td.x{min-width:32em}
img{max-width:100%;border:1px solid #ccc}"""
#: the screens of a finished run: path, link text, the output file it needs
RUN_VIEWS = (
    ("inventory", "inventory tree", "emissions.csv"),
    ("verification", "verification", "verification.csv"),
    ("uncertainty", "key categories and uncertainty", "key_categories.csv"),
)
CSP = "default-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _page(title: str, body: str, user=None, status: int = 200, refresh: bool = False) -> Response:
    nav = ""
    if user is not None:
        nav = (
            f'<nav><a href="/">cases</a><a href="/audit">audit trail</a>'
            f"<span>{_e(user.name)} ({_e(user.role)})</span></nav>"
        )
    meta = '<meta http-equiv="refresh" content="2">' if refresh else ""
    text = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8>{meta}"
        f"<title>{_e(title)} - openmrv</title><style>{STYLE}</style></head>"
        f"<body>{nav}<h1>{_e(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(text, status_code=status, headers={"Content-Security-Policy": CSP})


def _csrf(token: str) -> str:
    return f'<input type=hidden name=csrf_token value="{_e(token)}">'


def _message(exc: Exception) -> str:
    """The refusal as the case reader words it: form, row and field, then the message."""
    if isinstance(exc, InputError):
        where = ", ".join(
            x
            for x in (
                exc.file and f"form {exc.file}",
                exc.row and f"row {exc.row}",
                exc.field and f"field {exc.field}",
            )
            if x
        )
        return f"<p class=error>{_e(where)}{': ' if where else ''}{_e(exc.message)}</p>"
    return f"<p class=error>{_e(exc)}</p>"


def make_screen(ws: Workspace) -> Callable[..., Callable]:
    """A wrapper that turns ``fn(request, db, user, token, form)`` into a route endpoint:
    the login checked (no login: a redirect to /login), a POST's CSRF token checked, typed
    errors shown as a refusal page with their status."""

    def screen(fn: Callable, login: bool = True) -> Callable:
        def handle(request: Request, raw: bytes) -> Response:
            form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            with ws.sessions() as db:
                user = token = None
                if login:
                    found = session_user(db, request.cookies.get(COOKIE))
                    if found is None:
                        return RedirectResponse("/login", status_code=303)
                    user, token = found[0], found[1].csrf_token
                    if request.method == "POST" and not secrets.compare_digest(
                        form.get("csrf_token", ""), token
                    ):
                        return _page(
                            "Refused",
                            "<p class=error>the form's CSRF token is "
                            "missing or wrong; reload the page</p>",
                            user,
                            403,
                        )
                try:
                    return fn(request, db, user, token, form)
                except (WorkspaceError, InputError) as exc:
                    status = exc.status if isinstance(exc, WorkspaceError) else 422
                    return _page("Refused", _message(exc), user, status)

        async def wrapped(request: Request) -> Response:
            return await run_in_threadpool(handle, request, await request.body())

        return wrapped

    return screen


def page_routes(ws: Workspace, limiter: LoginLimiter) -> list[Route]:
    """The screens' routes over an open workspace (login limits shared with the API)."""

    screen = make_screen(ws)

    def login_form(request, db, user, token, form, error: str = "", status: int = 200):
        body = (
            f"{error}<form method=post action=/login><p><label>user <input name=username "
            "autocomplete=username></label></p><p><label>password <input type=password "
            "name=password autocomplete=current-password></label></p>"
            "<p><button>log in</button></p></form>"
        )
        return _page("Log in", body, status=status)

    def login(request, db, user, token, form):
        address = request.client.host if request.client else "unknown"
        found, wait = authenticate(
            db, limiter, form.get("username", ""), form.get("password", ""), address
        )
        if found is None:
            why = (
                "too many login attempts; try again later"
                if wait is not None
                else "wrong user name or password"
            )
            return login_form(
                request,
                db,
                None,
                None,
                form,
                f"<p class=error>{why}</p>",
                429 if wait is not None else 401,
            )
        cookie, _ = start_session(db, found)
        db.commit()
        resp = RedirectResponse("/", status_code=303)
        set_login_cookie(resp, request, cookie)
        return resp

    def home(request, db, user, token, form):
        rows = "".join(
            f'<tr><td>{c["id"]}</td><td><a href="/cases/{c["id"]}">{_e(c["name"])}</a></td>'
            f"<td>{c['activity_rows']}</td><td>{_e(c['imported_at'])}</td></tr>"
            for c in casefiles.list_cases(db)
        )
        body = (
            "<table><tr><th>id</th><th>case</th><th>activity rows</th><th>imported</th>"
            f"</tr>{rows}</table><form method=post action=/logout>{_csrf(token)}"
            "<p><button>log out</button></p></form>"
        )
        return _page("Cases", body, user)

    def logout(request, db, user, token, form):
        found = session_user(db, request.cookies.get(COOKIE))
        if found is not None:
            db.delete(found[1])
            db.commit()
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    def case_page(request, db, user, token, form):
        cid = request.path_params["case_id"]
        case = casefiles.get_case(db, cid)
        sectors = "".join(
            f'<li><a href="/cases/{cid}/activity?category={code}">{code} {name}</a></li>'
            for code, name in SECTORS
        )
        latest = {  # the latest finished run of each approved version, by version id
            r.inventory_version_id: r.id
            for r in db.query(RunRecord).filter_by(case_id=cid, state="done").order_by(RunRecord.id)
            if r.inventory_version_id is not None
        }
        vers = "".join(
            f"<li>version {v['number']}: approved by {_e(v['approved_by'])} "
            f"{_e(v['approved_at'])}, snapshot SHA-256 {_e(v['snapshot_sha256'])}"
            f"{', run ' + _e(v['run_folder']) if v['run_folder'] else ''}"
            + (
                f' (latest run: <a href="/cases/{cid}/runs/{latest[v["id"]]}/inventory">'
                "inventory tree</a>)"
                if v["id"] in latest
                else ""
            )
            + "</li>"
            for v in versions.list_versions(db, cid)
        )
        runs = "".join(
            f'<li><a href="/cases/{cid}/runs/{r.id}">run {r.id}</a>: {_e(r.state)}'
            f" ({_e(r.started_by)}, {_e(r.started_at)})</li>"
            for r in db.query(RunRecord).filter_by(case_id=cid).order_by(RunRecord.id.desc())
        )
        approve = ""
        if user.role == "compiler":
            approve = (
                f"<form method=post action=/cases/{cid}/approve>{_csrf(token)}"
                "<label>reason <input name=reason required></label> "
                "<button>approve and lock this version</button></form>"
            )
        run = ""
        if user.role in versions.RUNNERS:
            run = (
                f"<form method=post action=/cases/{cid}/runs>{_csrf(token)}<label>version "
                "<input name=version size=4 placeholder=working></label> <label><input "
                "type=checkbox name=full value=1> whole job</label> <button>start a run"
                "</button></form>"
            )
        body = (
            f"<h2>Data entry by sector</h2><ul>{sectors}</ul>{table_links(db, cid)}"
            "<h2>Approved versions</h2>"
            f"<ul>{vers or '<li>none yet</li>'}</ul>{approve}<h2>Runs</h2>{run}"
            f"<ul>{runs}</ul><form method=get action=/cases/{cid}/compare>compare run "
            "<input name=previous size=4> with run <input name=current size=4> "
            "<button>recalculation table</button></form>"
        )
        return _page(f"Case {case.name}", body, user)

    def entry(request, db, user, token, form, message: str = "", status: int = 200,
              typed: dict[int, str] | None = None):  # fmt: skip
        """The data-entry table; ``typed``: refused values to show again, by row id."""
        typed = typed or {}
        cid = request.path_params["case_id"]
        case = casefiles.get_case(db, cid)
        prefix = request.query_params.get("category") or form.get("category") or "1"
        out = []
        for r in activity.list_rows(db, cid, prefix):
            editable = activity.may_edit(user, r["category"])
            cells = "".join(
                f"<td>{_e(r[c])}</td>"
                for c in ("form", "row", "category", "activity", "key", "year")
            )
            if editable:
                fid, shown = f"r{r['id']}", typed.get(r["id"], r["value"])
                value = (
                    f'<td><form id={fid} method=post action="/cases/{cid}/activity/'
                    f'{r["id"]}">{_csrf(token)}<input type=hidden name=version '
                    f'value={r["version"]}><input type=hidden name=category value="'
                    f'{_e(prefix)}"><input class=v name=value value="{_e(shown)}">'
                    "</form></td>"
                )
                act = (
                    f"<td><input form={fid} name=reason placeholder=reason required> "
                    f"<button form={fid}>save</button> <button form={fid} formaction="
                    f'"/cases/{cid}/activity/{r["id"]}/delete">delete</button></td>'
                )
            else:
                value, act = f"<td>{_e(r['value'])}</td>", "<td></td>"
            out.append(
                f"<tr>{cells}{value}<td>{_e(r['unit'])}</td><td>{r['version']}</td>{act}</tr>"
            )
        done = [(w, request.query_params.get(w)) for w in ("saved", "added", "deleted", "restored")]
        note = "".join(f"<p class=ok>row {_e(n)} {w}</p>" for w, n in done if n and not message)
        body = (
            f"{message}{note}<p>sector {_e(prefix)} of {_e(case.name)}; values are "
            "checked as 'openmrv run' checks the case files</p><table><tr><th>form</th>"
            "<th>row</th><th>category</th><th>activity</th><th>key</th><th>year</th>"
            "<th>value</th><th>unit</th><th>version</th><th>change</th></tr>"
            f"{''.join(out)}</table>{add_row_form(db, cid, prefix, user, token)}"
            f"{deleted_rows(db, cid, prefix, user, token)}"
        )
        return _page(f"Activity data {prefix}", body, user, status)

    def save(request, db, user, token, form):
        p = request.path_params
        try:
            version = int(form.get("version", ""))
        except ValueError:
            version = None
        try:
            activity.update_row(
                db,
                p["case_id"],
                p["row_id"],
                user,
                {"value": form.get("value", "")},
                version,
                form.get("reason"),
            )
        except ConflictError as exc:
            mine = (
                f"<p>your value was {_e(form.get('value'))}; the row now holds the value shown</p>"
            )
            return entry(request, db, user, token, form, _message(exc) + mine, 409)
        except InputError as exc:
            kept = {p["row_id"]: form.get("value", "")}  # the typed value stays to be corrected
            return entry(request, db, user, token, form, _message(exc), 422, kept)
        row = activity.get_row(db, p["case_id"], p["row_id"])
        query = urlencode({"category": form.get("category", "1"), "saved": row.line})
        return RedirectResponse(f"/cases/{p['case_id']}/activity?{query}", status_code=303)

    def approve(request, db, user, token, form):
        cid = request.path_params["case_id"]
        versions.approve(ws, db, cid, user, form.get("reason"))
        return RedirectResponse(f"/cases/{cid}", status_code=303)

    def run_start(request, db, user, token, form):
        cid = request.path_params["case_id"]
        text = form.get("version", "").strip()
        if text and not text.isdigit():
            raise InputError("give an approved version number or leave it empty", field="version")
        run_id = versions.start_run(
            ws, cid, user, int(text) if text else None, form.get("full") == "1"
        )
        return RedirectResponse(f"/cases/{cid}/runs/{run_id}", status_code=303)

    def run_page(request, db, user, token, form):
        cid, rid = request.path_params["case_id"], request.path_params["run_id"]
        got = versions.run_status(db, cid, rid)
        steps = "".join(f"<li>{_e(m)}</li>" for m in got["progress"])
        files = "".join(
            f'<li><a href="/cases/{cid}/runs/{rid}/files/{quote(f)}">{_e(f)}</a></li>'
            for f in got["outputs"]
        )
        error = f"<p class=error>{_e(got['error'])}</p>" if got["error"] else ""
        views = ""
        if got["state"] == "done":
            views = (
                "<p>"
                + " ".join(
                    f'<a href="/cases/{cid}/runs/{rid}/{path}">{name}</a>'
                    for path, name, needs in RUN_VIEWS
                    if needs in got["outputs"]
                )
                + "</p>"
            )
        body = (
            f"<p>state: <b>{_e(got['state'])}</b></p>{error}{views}<h2>Progress</h2>"
            f"<ol>{steps}</ol><h2>Outputs</h2><ul>{files}</ul>"
        )
        busy = got["state"] in ("queued", "running")
        return _page(f"Run {rid}", body, user, refresh=busy)

    def run_file(request, db, user, token, form):
        p = request.path_params
        got = versions.run_status(db, p["case_id"], p["run_id"])
        if p["path"] not in got["outputs"]:
            raise NotFoundError(f"run {p['run_id']} has no output {p['path']}")
        return FileResponse(Path(got["folder"]) / p["path"])

    def audit_page(request, db, user, token, form):
        rows = "".join(
            "<tr>" + "".join(f"<td>{_e(r[f])}</td>" for f in audit.AUDIT_FIELDS) + "</tr>"
            for r in audit.read(db, limit=500)
        )
        head = "".join(f"<th>{f}</th>" for f in audit.AUDIT_FIELDS)
        body = (
            '<p><a href="/api/audit?format=csv">export as CSV</a> (newest 500 shown)</p>'
            f"<table><tr>{head}</tr>{rows}</table>"
        )
        return _page("Audit trail", body, user)

    c = "/cases/{case_id:int}"
    return [
        Route("/login", screen(login_form, login=False), methods=["GET"]),
        Route("/login", screen(login, login=False), methods=["POST"]),
        Route("/logout", screen(logout), methods=["POST"]),
        Route("/", screen(home), methods=["GET"]),
        Route(c, screen(case_page), methods=["GET"]),
        Route(f"{c}/activity", screen(entry), methods=["GET"]),
        Route(f"{c}/activity/{{row_id:int}}", screen(save), methods=["POST"]),
        Route(f"{c}/approve", screen(approve), methods=["POST"]),
        Route(f"{c}/runs", screen(run_start), methods=["POST"]),
        Route(f"{c}/runs/{{run_id:int}}", screen(run_page), methods=["GET"]),
        Route(f"{c}/runs/{{run_id:int}}/files/{{path:path}}", screen(run_file), methods=["GET"]),
        Route("/audit", screen(audit_page), methods=["GET"]),
    ]
