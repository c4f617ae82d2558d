"""The reviewer's part of a screen: the comments on a target (an estimate, an activity row or a
category) with a form to add one and to mark one resolved, and the QC procedures
(IPCC 2006 Vol 1 Ch 6, Table 6.1) with their marks on the target and a form to mark each done
or not. The forms post to the routes below, which call :mod:`openmrv.workspace.review` (the
same rights, versions and audit rows as the JSON API) and return to the page they came from."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse
from starlette.routing import Route

from openmrv.errors import InputError
from openmrv.workspace import review
from openmrv.workspace.db import Workspace
from openmrv.workspace.pages import _csrf, _e, make_screen
from openmrv.workspace.review import CHECKERS, COMMENTERS


def review_section(db: Session, case_id: int, kind: str, target: str, user, token: str,
                   back: str) -> str:  # fmt: skip
    """HTML of the comments and QC checks on ``target`` (stored form) for the page ``back``."""
    hidden = (
        _csrf(token) + f'<input type=hidden name=kind value="{_e(kind)}">'
        f'<input type=hidden name=target value="{_e(target)}">'
        f'<input type=hidden name=back value="{_e(back)}">'
    )
    rows = []
    for c in review.list_comments(db, case_id, kind, target):
        act = ""
        if c["state"] == "open" and (user.name == c["author"] or user.role == "compiler"):
            act = (
                f'<form method=post action="/cases/{case_id}/comments/{c["id"]}">{hidden}'
                f'<input type=hidden name=version value="{c["version"]}">'
                "<input name=reason required placeholder=reason>"
                "<button>mark resolved</button></form>"
            )
        rows.append(
            f"<tr class='comment {_e(c['state'])}'><td>{_e(c['at'][:16])}</td>"
            f"<td>{_e(c['author'])}</td><td>{_e(c['state'])}</td>"
            f"<td class=x>{_e(c['body'])}</td><td>{act}</td></tr>"
        )
    out = ["<h2>Review comments</h2>"]
    out.append(
        "<table><tr><th>when (UTC)</th><th>who</th><th>state</th><th>comment</th><th></th></tr>"
        f"{''.join(rows)}</table>"
        if rows
        else "<p>no comments yet</p>"
    )
    if user.role in COMMENTERS:
        out.append(
            f'<form method=post action="/cases/{case_id}/comments">{hidden}'
            '<textarea name=body rows=2 cols=60 required placeholder="comment"></textarea> '
            "<button>add comment</button></form>"
        )
    marks = {m["check_id"]: m for m in review.list_checks(db, case_id, kind, target)}
    checks = []
    for cid, activity in review.procedures():
        m = marks.get(cid)
        state = "not marked" if m is None else ("done" if m["done"] else "not done")
        who = "" if m is None else f"{_e(m['by'])}, {_e(m['at'][:16])}"
        form = ""
        if user.role in CHECKERS:
            done = m is None or not m["done"]
            form = (
                f'<form method=post action="/cases/{case_id}/qc">{hidden}'
                f'<input type=hidden name=check value="{_e(cid)}">'
                f'<input type=hidden name=version value="{0 if m is None else m["version"]}">'
                f'<input type=hidden name=done value="{"true" if done else "false"}">'
                "<input name=note placeholder=note> <input name=reason required "
                f"placeholder=reason> <button>mark {'done' if done else 'not done'}</button>"
                "</form>"
            )
        checks.append(
            f"<tr class=qc data-check='{_e(cid)}'><td>{_e(cid)}</td><td>{_e(activity)}</td>"
            f"<td class=state>{state}</td><td>{who}</td>"
            f"<td>{_e('' if m is None else m['note'])}</td><td>{form}</td></tr>"
        )
    out.append(
        "<h2>QC checks (IPCC 2006 Vol 1 Ch 6, Table 6.1)</h2><table><tr><th>check</th>"
        "<th>activity</th><th>state</th><th>by</th><th>note</th><th></th></tr>"
        f"{''.join(checks)}</table>"
    )
    return "".join(out)


def _back(form: dict[str, str], case_id: int) -> str:
    """Where a form returns to: a page of this case only (never another site)."""
    back = form.get("back", "")
    return back if back.startswith(f"/cases/{case_id}/") else f"/cases/{case_id}"


def _version(form: dict[str, str]) -> int | None:
    text = form.get("version", "")
    return int(text) if text.isdigit() else None


def screen_routes(ws: Workspace) -> list[Route]:
    """The form targets of the review section."""
    screen = make_screen(ws)

    def comment_add(request, db, user, token, form):
        cid = request.path_params["case_id"]
        review.add_comment(db, cid, user, form.get("kind"), form.get("target"), form.get("body"))
        return RedirectResponse(_back(form, cid), status_code=303)

    def comment_resolve(request, db, user, token, form):
        p = request.path_params
        review.update_comment(db, p["case_id"], p["comment_id"], user, {"state": "resolved"},
                              _version(form), form.get("reason"))  # fmt: skip
        return RedirectResponse(_back(form, p["case_id"]), status_code=303)

    def check(request, db, user, token, form):
        cid = request.path_params["case_id"]
        if form.get("done") not in ("true", "false"):
            raise InputError("done must be true or false", field="done")
        fields = {**form, "done": form["done"] == "true"}
        review.set_check(db, cid, user, fields, _version(form), form.get("reason"))
        query = urlencode({"checked": form.get("check", "")})
        back = _back(form, cid)
        return RedirectResponse(f"{back}{'&' if '?' in back else '?'}{query}", status_code=303)

    c = "/cases/{case_id:int}"
    return [
        Route(f"{c}/comments", screen(comment_add), methods=["POST"]),
        Route(f"{c}/comments/{{comment_id:int}}", screen(comment_resolve), methods=["POST"]),
        Route(f"{c}/qc", screen(check), methods=["POST"]),
    ]
