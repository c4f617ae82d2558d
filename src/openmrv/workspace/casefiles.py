"""Case folders in and out of the workspace, file for file.

Every file of a case folder is kept as bytes; the rows of its activity CSVs are also kept one
record each (the editable data), with the record's original text. On export an activity file
whose rows are all unedited is written back byte for byte; one with edited rows is rebuilt
record by record from its stored bytes, the edited records written anew (same column order,
CSV quoting and line end), every other record, blank line and byte-order mark as it was.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmrv.case import ACTIVITY_COLUMNS, load_case, read_activity
from openmrv.errors import CaseError, InputError
from openmrv.workspace import audit
from openmrv.workspace.db import now
from openmrv.workspace.errors import NotFoundError
from openmrv.workspace.models import ActivityRow, CaseFileRecord, CaseRecord

BOM = "\ufeff"


def split_records(text: str) -> list[tuple[str, list[str]]]:
    """The CSV records of ``text``, each as (its exact text, its fields); the texts joined
    give ``text`` back. A record may span lines (a quoted field with a line break)."""
    consumed: list[str] = []
    lines = iter(io.StringIO(text, newline=""))

    def feed():
        for ln in lines:
            consumed.append(ln)
            yield ln

    out = []
    for fields in csv.reader(feed()):
        out.append(("".join(consumed), fields))
        consumed.clear()
    if consumed:  # pragma: no cover - csv.reader consumes every line it reads
        out.append(("".join(consumed), []))
    return out


def _line_end(raw: str) -> str:
    return "\r\n" if raw.endswith("\r\n") else "\n" if raw.endswith(("\n", "\r")) else ""


def format_record(fields: list[str], line_end: str) -> str:
    """One CSV record as openmrv writes it (minimal quoting) ending in ``line_end``."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator=line_end).writerow(fields)
    return buf.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _case_files(folder: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in [*dirnames, *filenames]:
            if (Path(dirpath) / name).is_symlink():
                raise InputError(
                    "is a symbolic link; a workspace keeps real files only: copy the file "
                    "into the case folder",
                    file=Path(dirpath) / name,
                )
        files += [Path(dirpath) / n for n in sorted(filenames)]
    return files


def import_case(db: Session, folder: str | Path, who: str, name: str | None = None) -> int:
    """Check a case folder as ``openmrv run`` would, then keep all its files and its activity
    rows in the workspace under ``name`` (default: the folder's name). The caller commits.

    Returns the new case's id.
    """
    root = Path(folder)
    case = load_case(root)
    read_activity(case)  # every row checked as a run checks it, before anything is kept
    name = name or root.resolve().name
    if db.scalar(select(CaseRecord).where(CaseRecord.name == name)) is not None:
        raise InputError(
            f"a case named '{name}' is in the workspace already; give another --name",
            field="--name",
        )
    activity = {p.resolve() for p in case.activity_files}
    rec = CaseRecord(
        name=name,
        category_system=case.category_system,
        imported_at=now(),
        imported_by=who,
        version=1,
    )
    db.add(rec)
    db.flush()
    count = 0
    for path in _case_files(root):
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        is_act = path.resolve() in activity
        db.add(
            CaseFileRecord(
                case_id=rec.id,
                path=rel,
                content=data,
                sha256=_sha(data),
                is_activity=int(is_act),
                version=1,
            )
        )
        if is_act:
            count += _add_rows(db, rec.id, rel, data)
    audit.record(
        db,
        who,
        "import",
        "cases",
        name,
        None,
        {"folder": str(root.resolve()), "rows": count},
        "case imported",
    )
    return rec.id


def _add_rows(db: Session, case_id: int, rel: str, data: bytes) -> int:
    text = data.decode("utf-8")  # the case reader has checked it is UTF-8
    records = split_records(text.removeprefix(BOM))
    n = 0
    for index, (raw, fields) in enumerate(records[1:], start=2):
        if not any(f.strip() for f in fields):
            continue
        row = dict(zip(ACTIVITY_COLUMNS, (f.strip() for f in fields), strict=True))
        db.add(
            ActivityRow(
                case_id=case_id,
                file_path=rel,
                line=index,
                raw=raw,
                version=1,
                **{**row, "year": int(row["year"])},
            )
        )
        n += 1
    return n


def get_case(db: Session, case_id: int) -> CaseRecord:
    """The case with id ``case_id`` or NotFoundError."""
    rec = db.get(CaseRecord, case_id)
    if rec is None:
        raise NotFoundError(f"no case with id {case_id}; 'openmrv workspace list' shows them")
    return rec


def list_cases(db: Session) -> list[dict]:
    """Every case: id, name, category system, when and by whom imported, activity rows."""
    out = []
    for rec in db.scalars(select(CaseRecord).order_by(CaseRecord.id)):
        rows = db.scalars(
            select(ActivityRow.id).where(ActivityRow.case_id == rec.id, ActivityRow.deleted == 0)
        ).all()
        out.append(
            {
                "id": rec.id,
                "name": rec.name,
                "category_system": rec.category_system,
                "imported_at": rec.imported_at,
                "imported_by": rec.imported_by,
                "activity_rows": len(rows),
                "version": rec.version,
            }
        )
    return out


def case_file_bytes(db: Session, case_id: int) -> dict[str, bytes]:
    """The files of a case as they are now (activity files with their edits), by path."""
    get_case(db, case_id)
    out = {}
    for f in db.scalars(select(CaseFileRecord).where(CaseFileRecord.case_id == case_id)):
        out[f.path] = _activity_file(db, case_id, f) if f.is_activity else f.content
    return out


def _activity_file(db: Session, case_id: int, f: CaseFileRecord) -> bytes:
    rows = {
        r.line: r
        for r in db.scalars(
            select(ActivityRow).where(
                ActivityRow.case_id == case_id, ActivityRow.file_path == f.path
            )
        )
    }
    if all(r.raw is not None and not r.deleted for r in rows.values()):
        return f.content
    text = f.content.decode("utf-8")
    bom = BOM if text.startswith(BOM) else ""
    parts, end = [], "\n"
    records = split_records(text.removeprefix(bom))
    for index, (raw, _fields) in enumerate(records, start=1):
        end = _line_end(raw) or end
        row = rows.get(index)
        if row is not None and row.deleted:
            continue
        if row is None or row.raw is not None:
            parts.append(raw)
        else:
            values = [str(getattr(row, c)) for c in ACTIVITY_COLUMNS]
            parts.append(format_record(values, _line_end(raw)))
    added = sorted((r for r in rows.values() if r.line > len(records) and not r.deleted),
                   key=lambda r: r.line)  # fmt: skip
    if added and parts and not _line_end(parts[-1]):
        parts[-1] += end
    for row in added:  # rows added in the workspace, after the file's own records
        parts.append(format_record([str(getattr(row, c)) for c in ACTIVITY_COLUMNS], end))
    return (bom + "".join(parts)).encode("utf-8")


def export_case(db: Session, case_id: int, out: str | Path) -> list[Path]:
    """Write the case, as it is now, into the folder ``out`` (new or empty).

    Returns the files written.
    """
    files = case_file_bytes(db, case_id)
    target = Path(out)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(
            "exists and is not an empty folder; give a new folder for the export", file=target
        )
    written = []
    for rel, data in sorted(files.items()):
        path = target / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise CaseError(f"file path '{rel}' leaves the export folder", file=target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def files_digest(files: dict[str, bytes]) -> str:
    """SHA-256 over the sorted (path, SHA-256 of content) list: one hash for a whole case."""
    listing = "".join(f"{p}\0{_sha(d)}\n" for p, d in sorted(files.items()))
    return _sha(listing.encode("utf-8"))
