"""Reviewer work (QA/QC): comments on an estimate, an activity row or a category, and the
general QC procedures (IPCC 2006 Vol 1 Ch 6, Table 6.1, as ``report/data/qc_procedures.csv``
words them) marked done on a target. Both are versioned records: a change names the version it
was made from (``If-Match``; 0 for a check mark not yet made), is refused when stale, and
writes an audit row with the old and new value in the same transaction. A reviewer changes
nothing else."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openmrv.categories import check_code
from openmrv.errors import InputError
from openmrv.gases import ALL_GASES
from openmrv.pipeline import qc_procedure_list
from openmrv.workspace import audit
from openmrv.workspace.casefiles import get_case
from openmrv.workspace.db import now
from openmrv.workspace.errors import ConflictError, ForbiddenError, PreconditionRequiredError
from openmrv.workspace.models import (
    TARGET_KINDS,
    ActivityRow,
    CaseRecord,
    QCCheck,
    ReviewComment,
    User,
)

#: roles that may comment (a sector expert answers a reviewer's comment)
COMMENTERS = ("reviewer", "compiler", "sector_expert")
#: roles that may mark QC checks done
CHECKERS = ("reviewer", "compiler")
COMMENT_STATES = ("open", "resolved")
ESTIMATE_FIELDS = ("category", "gas", "activity", "key")


@cache
def procedures() -> tuple[tuple[str, str], ...]:
    """The QC procedures: (id, activity) in the order of the table."""
    df = qc_procedure_list()
    return tuple(zip(df["id"], df["activity"], strict=True))


def target_text(db: Session, case: CaseRecord, kind: Any, target: Any) -> str:
    """The stored form of a review target, checked: an estimate as ``category|gas|activity|key``
    (given as that text or as a JSON object of the four), an activity row by its id (a row of
    this case), a category by its code (canonical, of the case's category system)."""
    if kind not in TARGET_KINDS:
        raise InputError(f"kind '{kind}' unknown; use one of {', '.join(TARGET_KINDS)}",
                         field="kind")  # fmt: skip
    if kind == "activity_row":
        text = str(target).strip() if isinstance(target, int | str) else ""
        row = db.get(ActivityRow, int(text)) if text.isdigit() else None
        if row is None or row.case_id != case.id:
            raise InputError(f"case {case.id} has no activity row {text or target!r}",
                             field="target")  # fmt: skip
        return text
    if kind == "category":
        if not isinstance(target, str):
            raise InputError("give the category code as text", field="target")
        return check_code(target.strip(), case.category_system)
    parts = target.split("|") if isinstance(target, str) else target
    if isinstance(parts, dict):
        parts = [parts.get(k) for k in ESTIMATE_FIELDS]
    if (
        not isinstance(parts, list)
        or len(parts) != 4
        or not all(isinstance(p, str) and p.strip() for p in parts)
    ):
        raise InputError("an estimate is category|gas|activity|key, each given", field="target")
    cat, gas, act, key = (p.strip() for p in parts)
    if gas not in ALL_GASES:
        raise InputError(f"gas '{gas}' unknown", field="target")
    return "|".join((check_code(cat, case.category_system), gas, act, key))


def comment_dict(c: ReviewComment) -> dict[str, Any]:
    """A comment as the API shows it."""
    return {k: getattr(c, k) for k in ("id", "target_kind", "target", "body", "state",
                                       "author", "at", "version")}  # fmt: skip


def check_dict(c: QCCheck) -> dict[str, Any]:
    """A QC check mark as the API shows it."""
    out = {k: getattr(c, k) for k in ("id", "check_id", "target_kind", "target", "note",
                                      "by", "at", "version")}  # fmt: skip
    return {**out, "done": bool(c.done)}


def list_comments(db: Session, case_id: int, kind=None, target=None) -> list[dict[str, Any]]:
    """The comments of a case (optionally on one target), oldest first."""
    case = get_case(db, case_id)
    q = select(ReviewComment).where(ReviewComment.case_id == case_id)
    if kind is not None:
        q = q.where(ReviewComment.target_kind == kind)
        if target is not None:
            q = q.where(ReviewComment.target == target_text(db, case, kind, target))
    return [comment_dict(c) for c in db.scalars(q.order_by(ReviewComment.id))]


def list_checks(db: Session, case_id: int, kind=None, target=None) -> list[dict[str, Any]]:
    """The QC check marks of a case (optionally on one target)."""
    case = get_case(db, case_id)
    q = select(QCCheck).where(QCCheck.case_id == case_id)
    if kind is not None:
        q = q.where(QCCheck.target_kind == kind)
        if target is not None:
            q = q.where(QCCheck.target == target_text(db, case, kind, target))
    return [check_dict(c) for c in db.scalars(q.order_by(QCCheck.id))]


def _body(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InputError("the comment is empty; write what the reviewer found", field="body")
    return text.strip()


def add_comment(db: Session, case_id: int, user: User, kind: Any, target: Any, body: Any
                ) -> dict[str, Any]:  # fmt: skip
    """Add a comment (version 1) and its audit row, and commit."""
    case = get_case(db, case_id)
    if user.role not in COMMENTERS:
        raise ForbiddenError(f"a {user.role} cannot comment")
    text, where = _body(body), target_text(db, case, kind, target)
    c = ReviewComment(case_id=case_id, target_kind=kind, target=where, body=text,
                      state="open", author=user.name, at=now(), version=1)  # fmt: skip
    db.add(c)
    db.flush()
    audit.record(db, user.name, "comment", "review_comments", f"{case.name}:{c.id}", None,
                 comment_dict(c), "review comment")  # fmt: skip
    db.commit()
    return comment_dict(c)


def update_comment(db: Session, case_id: int, comment_id: int, user: User,
                   changes: dict[str, Any], if_match: int | None, reason: Any
                   ) -> dict[str, Any]:  # fmt: skip
    """Change a comment's body or state (open, resolved): its author or a compiler."""
    case = get_case(db, case_id)
    c = db.get(ReviewComment, comment_id)
    if c is None or c.case_id != case_id:
        raise InputError(f"case {case_id} has no comment {comment_id}", field="comment")
    if user.role not in COMMENTERS or (user.name != c.author and user.role != "compiler"):
        raise ForbiddenError("only the comment's author or a compiler changes a comment")
    if if_match is None:
        raise PreconditionRequiredError("send the comment's version as the If-Match header")
    unknown = sorted(set(changes) - {"body", "state"})
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}; change body or state",
                         field=unknown[0])  # fmt: skip
    why = audit.require_reason(reason)
    new = {"body": c.body, "state": c.state}
    if "body" in changes:
        new["body"] = _body(changes["body"])
    if "state" in changes:
        if changes["state"] not in COMMENT_STATES:
            raise InputError(f"state must be one of {', '.join(COMMENT_STATES)}", field="state")
        new["state"] = changes["state"]
    old = comment_dict(c)
    done = db.execute(
        update(ReviewComment)
        .where(ReviewComment.id == c.id, ReviewComment.version == if_match)
        .values(**new, version=ReviewComment.version + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.rollback()
        raise ConflictError(
            f"comment {c.id} is not at version {if_match}: someone changed it; see 'current'",
            current=comment_dict(db.get(ReviewComment, c.id)),
        )
    db.refresh(c)
    audit.record(db, user.name, "edit", "review_comments", f"{case.name}:{c.id}", old,
                 comment_dict(c), why)  # fmt: skip
    db.commit()
    return comment_dict(c)


def set_check(db: Session, case_id: int, user: User, fields: dict[str, Any],
              if_match: int | None, reason: Any) -> dict[str, Any]:  # fmt: skip
    """Mark QC procedure ``fields['check']`` done (or not) on a target, with a note.

    ``if_match`` is the mark's version, 0 when none has been made yet on that target.
    """
    case = get_case(db, case_id)
    if user.role not in CHECKERS:
        raise ForbiddenError(f"a {user.role} cannot mark QC checks")
    if if_match is None:
        raise PreconditionRequiredError(
            "send the check's version as the If-Match header (0 for a check not marked yet)"
        )
    ids = [p for p, _ in procedures()]
    check = fields.get("check")
    if check not in ids:
        raise InputError(f"check '{check}' unknown; use one of {', '.join(ids)}", field="check")
    done = fields.get("done")
    if not isinstance(done, bool):
        raise InputError("done must be true or false", field="done")
    note = fields.get("note", "")
    if not isinstance(note, str):
        raise InputError("note must be text", field="note")
    kind = fields.get("kind")
    where = target_text(db, case, kind, fields.get("target"))
    why = audit.require_reason(reason)
    mark = db.scalar(select(QCCheck).where(
        QCCheck.case_id == case_id, QCCheck.check_id == check, QCCheck.target_kind == kind,
        QCCheck.target == where))  # fmt: skip
    key = f"{case.name}:{check}:{kind}:{where}"
    if (mark.version if mark is not None else 0) != if_match:
        raise ConflictError(
            f"QC check {check} on {kind} {where} is at version "
            f"{mark.version if mark else 0}, not {if_match}; see 'current'",
            current=None if mark is None else check_dict(mark),
        )
    values = {"done": int(done), "note": note.strip(), "by": user.name, "at": now()}
    if mark is None:
        mark = QCCheck(case_id=case_id, check_id=check, target_kind=kind, target=where,
                       version=1, **values)  # fmt: skip
        db.add(mark)
        try:
            db.flush()
        except IntegrityError:  # another reviewer marked it between the read and the insert
            db.rollback()
            raise ConflictError(f"QC check {check} on {kind} {where} was just marked by "
                                "someone else; read it and mark again") from None  # fmt: skip
        old = None
    else:
        old = check_dict(mark)
        moved = db.execute(
            update(QCCheck)
            .where(QCCheck.id == mark.id, QCCheck.version == if_match)
            .values(**values, version=QCCheck.version + 1)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            db.rollback()
            raise ConflictError(f"QC check {check} on {kind} {where} changed meanwhile",
                                current=check_dict(db.get(QCCheck, mark.id)))  # fmt: skip
        db.refresh(mark)
    audit.record(db, user.name, "qc", "qc_checks", key, old, check_dict(mark), why)
    db.commit()
    return check_dict(mark)
