"""HTML of the data-entry screen's row forms (no routes here; :mod:`screens_edits` has them):
the add-a-row form, the deleted rows with their restore buttons, the links to the case's
factor and notation-key tables, and a table's page with a form per row it may change. Each
form carries the login's CSRF token and a reason; the rights shown are those the posting
route enforces (the same functions as the JSON API)."""

from __future__ import annotations

import html

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmrv.case import ACTIVITY_COLUMNS
from openmrv.workspace import activity, casetables
from openmrv.workspace.models import CaseFileRecord, User

#: roles that may add or delete activity rows and table rows (within their sectors)
EDITORS = ("compiler", "sector_expert")


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _csrf(token: str) -> str:
    return f'<input type=hidden name=csrf_token value="{_e(token)}">'


def add_row_form(db: Session, case_id: int, prefix: str, user: User, token: str) -> str:
    """A form adding an activity row to one of the case's activity files (every field)."""
    if user.role not in EDITORS:
        return ""
    forms = db.scalars(select(CaseFileRecord.path).where(
        CaseFileRecord.case_id == case_id, CaseFileRecord.is_activity == 1)).all()  # fmt: skip
    options = "".join(f'<option value="{_e(f)}">{_e(f)}</option>' for f in forms)
    cells = "".join(
        f'<label>{c} <input name="{c}" size={6 if c in ("year", "value") else 12}'
        + (f' value="{_e(prefix)}"' if c == "category" else "")
        + "></label> "
        for c in ACTIVITY_COLUMNS
    )
    return (
        f'<h2>Add a row</h2><form class=add method=post action="/cases/{case_id}/activity">'
        f'{_csrf(token)}<input type=hidden name=back value="{_e(prefix)}">'
        f"<label>form <select name=form>{options}</select></label> {cells}"
        "<input name=reason placeholder=reason required> <button>add row</button></form>"
    )


def deleted_rows(db: Session, case_id: int, prefix: str, user: User, token: str) -> str:
    """The deleted rows under ``prefix``, with a restore form where ``user`` may edit them."""
    rows = activity.list_rows(db, case_id, prefix, deleted=True)
    if not rows:
        return ""
    out = []
    for r in rows:
        act = ""
        if activity.may_edit(user, r["category"]):
            act = (
                f'<form method=post action="/cases/{case_id}/activity/{r["id"]}/restore">'
                f'{_csrf(token)}<input type=hidden name=version value="{r["version"]}">'
                f'<input type=hidden name=category value="{_e(prefix)}">'
                "<input name=reason placeholder=reason required> <button>restore</button>"
                "</form>"
            )
        cells = "".join(
            f"<td>{_e(r[c])}</td>"
            for c in ("form", "row", "category", "activity", "key", "year", "value", "unit")
        )
        out.append(f"<tr class=deleted>{cells}<td>{act}</td></tr>")
    return (
        "<h2>Deleted rows</h2><table><tr><th>form</th><th>row</th><th>category</th>"
        "<th>activity</th><th>key</th><th>year</th><th>value</th><th>unit</th><th></th></tr>"
        f"{''.join(out)}</table>"
    )


def table_links(db: Session, case_id: int) -> str:
    """Links to the case's factor and notation-key tables."""
    items = "".join(
        f'<li><a href="/cases/{case_id}/tables/{_e(t["form"])}">{_e(t["form"])}</a> '
        f"({_e(t['kind'].replace('_', ' '))}, version {t['version']})</li>"
        for t in casetables.tables(db, case_id)
    )
    return f"<h2>Factor and notation-key tables</h2><ul>{items}</ul>" if items else ""


def table_body(db: Session, case_id: int, form: str, user: User, token: str) -> str:
    """A factor or notation-key table: each row it may change as a form (edit, delete), the
    others as text, and an add form; every form names the table's version."""
    t = casetables.read_table(db, case_id, form)
    header, action = t["header"], f"/cases/{case_id}/tables/{_e(form)}"
    hidden = f'{_csrf(token)}<input type=hidden name=version value="{t["version"]}">'
    editor = user.role in EDITORS
    out = []
    for r in t["rows"]:
        if editor and casetables.may_change(user, r.get("category", "*")):
            fid = f"t{r['row']}"
            cells = "".join(
                f'<td><input form={fid} name="f_{_e(h)}" value="{_e(r.get(h, ""))}" '
                f"size={max(4, min(24, len(r.get(h) or '') + 2))}></td>"
                for h in header
            )
            act = (
                f'<td><form id={fid} method=post action="{action}">{hidden}'
                f'<input type=hidden name=row value="{r["row"]}"></form>'
                f"<input form={fid} name=reason placeholder=reason required> "
                f"<button form={fid} name=action value=edit>save</button> "
                f"<button form={fid} name=action value=delete>delete</button></td>"
            )
        else:
            cells, act = "".join(f"<td>{_e(r.get(h))}</td>" for h in header), "<td></td>"
        out.append(f"<tr data-row={r['row']}><td>{r['row']}</td>{cells}{act}</tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    add = ""
    if editor:
        add = (
            f'<h2>Add a row</h2><form class=add method=post action="{action}">{hidden}'
            + "".join(f'<label>{_e(h)} <input name="f_{_e(h)}"></label> ' for h in header)
            + "<input name=reason placeholder=reason required> "
            "<button name=action value=add>add row</button></form>"
        )
    return (
        f"<p>{_e(t['kind'].replace('_', ' '))} table, version {t['version']}; a change is "
        "checked as 'openmrv run' checks the case</p>"
        f"<table><tr><th>row</th>{head}<th>change</th></tr>{''.join(out)}</table>{add}"
    )
