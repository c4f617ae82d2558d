"""The workspace tables (SQLAlchemy 2 declarative mapping).

Every record carries a ``version`` integer, raised by one on each change: a change names the
version it was made from (HTTP ``If-Match``) and is refused when the record has moved on, so
two people editing the same value never overwrite each other silently. The schema itself is
created by the Alembic migrations in ``migrations/versions`` (applied when a workspace is
opened), not by ``create_all``; a test checks the two agree.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: the roles of issue 16, in the order of docs/workspace.md
ROLES = ("sector_expert", "reviewer", "compiler", "viewer")


class Base(DeclarativeBase):
    """Base of the workspace tables."""


class User(Base):
    """A person who logs in: an argon2 hash of the password, never the password."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    #: IPCC category prefixes a sector expert may edit, space separated
    sectors: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)


class LoginSession(Base):
    """A login: the cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))
    last_seen_at: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)


class CaseRecord(Base):
    """A case folder brought into the workspace."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    category_system: Mapped[str] = mapped_column(String(40))
    imported_at: Mapped[str] = mapped_column(String(32))
    imported_by: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)


class CaseFileRecord(Base):
    """One file of a case, its bytes as imported (activity files are rebuilt from their rows
    on export once a row has been edited)."""

    __tablename__ = "case_files"
    __table_args__ = (UniqueConstraint("case_id", "path"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    path: Mapped[str] = mapped_column(String(500))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    is_activity: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ActivityRow(Base):
    """One row of an activity CSV: the fields as text, the record's line in its file (header
    = line 1, as the case reader counts) and its original text until it is edited."""

    __tablename__ = "activity_rows"
    __table_args__ = (
        UniqueConstraint("case_id", "file_path", "line"),
        Index("ix_activity_rows_case", "case_id", "category"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    file_path: Mapped[str] = mapped_column(String(500))
    line: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(40))
    activity: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text)
    #: the record's text as imported (its quoting and line end); None once edited
    raw: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: 1 once deleted: the row stays (restorable, in the audit trail) but leaves the case
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)


class AuditRow(Base):
    """The append-only audit trail (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(32))
    who: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    table_name: Mapped[str] = mapped_column(String(40))
    record_key: Mapped[str] = mapped_column(Text)
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)


class InventoryVersion(Base):
    """An approved, locked inventory version: a snapshot of the case (folder and SHA-256 of
    its file list) and, once run, its run folder and the SHA-256 of its signed manifest."""

    __tablename__ = "inventory_versions"
    __table_args__ = (UniqueConstraint("case_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[str] = mapped_column(String(32))
    snapshot_path: Mapped[str] = mapped_column(Text)
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    run_folder: Mapped[str | None] = mapped_column(Text, nullable=True)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class RunRecord(Base):
    """A run started from the workspace (a background job on the stage layer)."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    inventory_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("inventory_versions.id"), nullable=True
    )
    started_by: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[str] = mapped_column(String(32))
    finished_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    folder: Mapped[str] = mapped_column(Text)
    #: progress messages of the stage layer, one per line
    progress: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


#: what a reviewer's comment or QC check is about
TARGET_KINDS = ("estimate", "activity_row", "category")


class ReviewComment(Base):
    """A comment on an estimate, an activity row or a category (QA/QC review); its body and
    state (open, resolved) change as versions, each in the audit trail."""

    __tablename__ = "review_comments"
    __table_args__ = (Index("ix_review_comments_target", "case_id", "target_kind", "target"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    target_kind: Mapped[str] = mapped_column(String(20))
    #: the estimate as category|gas|activity|key, the activity row's id, or a category code
    target: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)


class QCCheck(Base):
    """A QC procedure (``report/data/qc_procedures.csv``) marked done, or not, on a target."""

    __tablename__ = "qc_checks"
    __table_args__ = (UniqueConstraint("case_id", "check_id", "target_kind", "target"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    check_id: Mapped[str] = mapped_column(String(40))
    target_kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(400))
    done: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
