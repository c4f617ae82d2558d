"""Opening a workspace: its folder, its database (an embedded SQLite file by default, or any
SQLAlchemy URL such as ``postgresql+psycopg://...``) and its schema, migrated to the newest
Alembic revision on every open.

SQLite runs in write-ahead-log mode with ``synchronous=FULL``: a transaction is on disk when
its COMMIT returns, so killing the server (``kill -9``) loses no committed change.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from openmrv.errors import InputError

#: the SQLite file a workspace folder holds when no --db URL is given
DEFAULT_DB_NAME = "openmrv-workspace.sqlite"
MIGRATIONS = Path(__file__).parent / "migrations"


def now() -> str:
    """The current UTC time as ISO 8601 to the microsecond (how every timestamp is stored)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def in_thread(job: Callable[[], None]) -> None:
    """Run ``job`` in a background (daemon) thread: how a workspace starts its runs."""
    threading.Thread(target=job, daemon=True).start()


@dataclass
class Workspace:
    """An open workspace: its folder (snapshots and run folders live there), the database
    URL (password hidden), a session factory and ``launch``, which starts a run's job once
    its record is committed (a background thread; a test of rights alone may hand the job
    to a list instead, and run or drop it)."""

    folder: Path
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    launch: Callable[[Callable[[], None]], None] = field(default=in_thread)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def database_url(folder: str | Path, db: str | None = None) -> str:
    """The database URL of a workspace: ``db`` when given, else the SQLite file in ``folder``.

    Raises
    ------
    InputError
        When ``db`` is not a URL SQLAlchemy can read, or names a database other than SQLite
        or PostgreSQL.
    """
    if db is None:
        return f"sqlite:///{(Path(folder) / DEFAULT_DB_NAME).resolve()}"
    try:
        url = make_url(db)
    except ArgumentError:
        raise InputError(
            f"'{db}' is not a database URL; give e.g. sqlite:////path/file.sqlite or "
            "postgresql+psycopg://user@host/dbname",
            field="--db",
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise InputError(
            f"database '{url.get_backend_name()}' is not supported; use SQLite or PostgreSQL",
            field="--db",
        )
    return db


def open_workspace(folder: str | Path = ".", db: str | None = None) -> Workspace:
    """Open (and create, and migrate to the newest schema) the workspace in ``folder``.

    Parameters
    ----------
    folder
        The workspace folder: the default SQLite file, approved snapshots and run folders.
    db
        A SQLAlchemy database URL overriding the SQLite file (e.g. a team's PostgreSQL).
    """
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise InputError("is not a folder; give a folder for the workspace", file=root)
    root.mkdir(parents=True, exist_ok=True)
    url = database_url(root, db)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return Workspace(
        folder=root.resolve(),
        url=engine.url.render_as_string(hide_password=True),
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
    )


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@cache
def head_revision() -> str | None:
    """The newest Alembic revision of the migrations shipped with this openmrv."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def migrate(engine: Engine) -> None:
    """Apply the Alembic migrations up to the newest revision. When the database is already
    at the newest revision (read from its ``alembic_version`` table) Alembic's environment
    is not run at all: opening a current workspace costs one query."""
    with engine.connect() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head_revision():
            return
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
