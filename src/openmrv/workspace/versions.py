"""Approved inventory versions and runs.

Approving (a compiler's act) locks the case as it is now: its files are written to a snapshot
folder in the workspace (made read-only) and a SHA-256 over the file list is kept; later edits
go on in the working copy and never touch an approved version. A run is a background job on
the stage layer (:func:`openmrv.pipeline.run_inventory`, or :func:`openmrv.pipeline.run` for the
whole job) over the working copy or an approved snapshot, its progress messages stored as they
come; a run of an approved version records its run folder and the SHA-256 of its signed
manifest on the version.
"""

from __future__ import annotations

import functools
import hashlib
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openmrv import pipeline
from openmrv.errors import OpenMRVError
from openmrv.runfolder.spec import MANIFEST_JSON
from openmrv.workspace import audit
from openmrv.workspace.casefiles import case_file_bytes, export_case, files_digest, get_case
from openmrv.workspace.db import Workspace, now
from openmrv.workspace.errors import ConflictError, ForbiddenError, NotFoundError
from openmrv.workspace.models import InventoryVersion, RunRecord, User

#: roles that may start a run (running changes no data; a viewer only reads)
RUNNERS = ("sector_expert", "reviewer", "compiler")
VERSION_FIELDS = (
    "id",
    "case_id",
    "number",
    "state",
    "approved_by",
    "approved_at",
    "snapshot_path",
    "snapshot_sha256",
    "run_folder",
    "manifest_sha256",
    "version",
)
RUN_FIELDS = (
    "id",
    "case_id",
    "inventory_version_id",
    "started_by",
    "state",
    "started_at",
    "finished_at",
    "folder",
    "error",
    "manifest_sha256",
    "version",
)


def _read_only(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        mode = path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        path.chmod(mode)


def approve(ws: Workspace, db: Session, case_id: int, user: User, reason: Any) -> dict:
    """Approve and lock the case as it is now as its next inventory version (compiler only)."""
    case = get_case(db, case_id)
    if user.role != "compiler":
        raise ForbiddenError(f"only a compiler approves an inventory version, not a {user.role}")
    why = audit.require_reason(reason)
    number = (
        db.scalar(
            select(func.max(InventoryVersion.number)).where(InventoryVersion.case_id == case_id)
        )
        or 0
    ) + 1
    folder = ws.folder / "versions" / f"case{case_id}-v{number}"
    if folder.exists():
        raise ConflictError(f"{folder} exists already; another approval is under way")
    files = case_file_bytes(db, case_id)
    export_case(db, case_id, folder)
    _read_only(folder)
    ver = InventoryVersion(
        case_id=case_id,
        number=number,
        state="approved",
        approved_by=user.name,
        approved_at=now(),
        snapshot_path=str(folder),
        snapshot_sha256=files_digest(files),
        version=1,
    )
    db.add(ver)
    db.flush()
    new = {"number": number, "snapshot_sha256": ver.snapshot_sha256, "state": "approved"}
    audit.record(
        db, user.name, "approve", "inventory_versions", f"{case.name}:v{number}", None, new, why
    )
    db.commit()
    return {f: getattr(ver, f) for f in VERSION_FIELDS}


def list_versions(db: Session, case_id: int) -> list[dict]:
    """The approved versions of a case, oldest first."""
    get_case(db, case_id)
    q = select(InventoryVersion).where(InventoryVersion.case_id == case_id)
    return [
        {f: getattr(v, f) for f in VERSION_FIELDS}
        for v in db.scalars(q.order_by(InventoryVersion.number))
    ]


def _snapshot_ok(ver: InventoryVersion) -> Path:
    folder = Path(ver.snapshot_path)
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
    if files_digest(files) != ver.snapshot_sha256:
        raise ConflictError(
            f"the snapshot of approved version {ver.number} ({folder}) no longer matches its "
            "SHA-256; it was changed outside openmrv and cannot be run as approved"
        )
    return folder


def start_run(
    ws: Workspace,
    case_id: int,
    user: User,
    version_number: int | None = None,
    full: bool = False,
    reason: str = "run started",
) -> int:
    """Start a run in a background thread; returns the run's id (poll :func:`run_status`).

    ``full`` runs the whole job (uncertainty, observations, verification, report:
    :func:`openmrv.pipeline.run`), else the inventory alone.
    """
    if user.role not in RUNNERS:
        raise ForbiddenError(f"a {user.role} cannot start runs")
    with ws.sessions() as db:
        case = get_case(db, case_id)
        ver = None
        if version_number is not None:
            ver = db.scalar(
                select(InventoryVersion).where(
                    InventoryVersion.case_id == case_id, InventoryVersion.number == version_number
                )
            )
            if ver is None:
                raise NotFoundError(f"case {case_id} has no approved version {version_number}")
        run = RunRecord(
            case_id=case_id,
            inventory_version_id=None if ver is None else ver.id,
            started_by=user.name,
            state="queued",
            started_at=now(),
            folder="",
            progress="",
            version=1,
        )
        db.add(run)
        db.flush()
        base = ws.folder / "runs" / f"run{run.id}"
        if ver is None:
            case_dir = base / "case"
            export_case(db, case_id, case_dir)
        else:
            case_dir = _snapshot_ok(ver)
        run.folder = str(base / "run")
        what = {"version": version_number, "full": full, "folder": run.folder}
        audit.record(db, user.name, "run", "runs", f"{case.name}:run{run.id}", None, what, reason)
        db.commit()
        run_id = run.id
    ws.launch(functools.partial(_execute, ws, run_id, case_dir, Path(run.folder), full))
    return run_id


def _progress(ws: Workspace, run_id: int) -> Callable[[str], None]:
    def report(message: str) -> None:
        with ws.sessions() as db:
            run = db.get(RunRecord, run_id)
            run.progress += message.replace("\n", " ") + "\n"
            run.version += 1
            db.commit()

    return report


def _execute(ws: Workspace, run_id: int, case_dir: Path, out: Path, full: bool) -> None:
    def finish(**values) -> None:
        with ws.sessions() as db:
            run = db.get(RunRecord, run_id)
            for k, v in values.items():
                setattr(run, k, v)
            run.finished_at, run.version = now(), run.version + 1
            if run.inventory_version_id is not None and values.get("manifest_sha256"):
                ver = db.get(InventoryVersion, run.inventory_version_id)
                if ver.run_folder is None:  # the first run of a locked version is its run
                    ver.run_folder, ver.manifest_sha256 = str(out), values["manifest_sha256"]
                    ver.version += 1
            db.commit()

    _progress(ws, run_id)("run started")
    with ws.sessions() as db:
        run = db.get(RunRecord, run_id)
        run.state, run.version = "running", run.version + 1
        db.commit()
    try:
        job = pipeline.run if full else pipeline.run_inventory
        kwargs = {} if full else {"pdf": False}
        job(case_dir, out, progress=_progress(ws, run_id), **kwargs)
    except OpenMRVError as exc:
        finish(state="failed", error=str(exc))
        return
    except Exception as exc:  # a bug: kept on the run for the person to report
        finish(state="failed", error=f"{type(exc).__name__}: {exc}")
        return
    digest = hashlib.sha256((out / MANIFEST_JSON).read_bytes()).hexdigest()
    finish(state="done", manifest_sha256=digest)


def run_status(db: Session, case_id: int, run_id: int) -> dict:
    """A run's state, its progress messages so far and, when done, its output files."""
    run = db.get(RunRecord, run_id)
    if run is None or run.case_id != case_id:
        raise NotFoundError(f"case {case_id} has no run with id {run_id}")
    out = {f: getattr(run, f) for f in RUN_FIELDS}
    out["progress"] = [m for m in run.progress.splitlines() if m]
    folder = Path(run.folder)
    out["outputs"] = (
        sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        if run.state == "done"
        else []
    )
    return out
