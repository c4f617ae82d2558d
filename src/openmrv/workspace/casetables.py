"""Versioned edits of the case's other inputs: the rows of its country-specific factor tables
(the factors chosen) and of its notation-key file, and a whitelisted set of ``case.yaml``
settings. The version is the file's (``case_files.version``): a change names it (``If-Match``)
and is refused when the file has moved on. A change is checked by openmrv's own readers on
the whole case as it would be (``load_case``, the factor library with its range checks, the
notation-key reader), so a refusal names the form (file), row (line) and field as
``openmrv run`` would; it is written with an audit row holding the old and new value.

A ``case.yaml`` setting is changed in the text itself (the value's span, found with the YAML
composer), so every comment and every other line stays as it was.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openmrv.case import load_case
from openmrv.errors import InputError
from openmrv.notation import read_notation_keys
from openmrv.stages.inventory import factor_library
from openmrv.workspace import audit
from openmrv.workspace.casefiles import (
    BOM,
    _line_end,
    case_file_bytes,
    format_record,
    get_case,
    split_records,
)
from openmrv.workspace.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PreconditionRequiredError,
)
from openmrv.workspace.models import CaseFileRecord, User
from openmrv.workspace.security import in_sectors

#: case.yaml settings the workspace changes (dotted paths; qualifiers.<name> of those present)
SETTINGS = ("description", "gwp", "gap_filling", "years.first", "years.last",
            "uncertainty.draws", "uncertainty.seed")  # fmt: skip
ACTIONS = ("edit", "add", "delete")


def _file(db: Session, case_id: int, path: str) -> CaseFileRecord:
    f = db.scalar(select(CaseFileRecord).where(
        CaseFileRecord.case_id == case_id, CaseFileRecord.path == path))  # fmt: skip
    if f is None:
        raise NotFoundError(f"case {case_id} has no file {path}")
    return f


def _checked_case(db: Session, case_id: int, path: str, content: bytes, check: str | None):
    """The case as it would be with ``path`` holding ``content``, read by openmrv's readers
    (a refusal re-raised naming the file relative to the case folder)."""
    files = {**case_file_bytes(db, case_id), path: content}
    with tempfile.TemporaryDirectory(prefix="openmrv-ws-check-") as tmp:
        root = Path(tmp)
        for rel, data in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        try:
            case = load_case(root)
            if check == "factors":
                factor_library(case)
            elif check == "notation_keys":
                read_notation_keys(case)
            return case
        except InputError as exc:
            where = exc.file
            if where is not None and Path(where).is_relative_to(root.resolve()):
                where = Path(where).relative_to(root.resolve()).as_posix()
            elif where is not None and Path(where).is_relative_to(root):
                where = Path(where).relative_to(root).as_posix()
            raise InputError(exc.message, file=where, row=exc.row, field=exc.field) from None


def tables(db: Session, case_id: int) -> list[dict[str, Any]]:
    """The case's editable tables: its country-specific factor files and notation keys."""
    get_case(db, case_id)
    files = case_file_bytes(db, case_id)
    case = _checked_case(db, case_id, "case.yaml", files["case.yaml"], None)
    root = case.root
    out = [(p, "factors") for p in case.factor_files]
    if case.notation_file is not None:
        out.append((case.notation_file, "notation_keys"))
    got = []
    for p, kind in out:
        rel = Path(p).resolve().relative_to(root).as_posix()
        got.append({"form": rel, "kind": kind, "version": _file(db, case_id, rel).version})
    return got


def _kind(db: Session, case_id: int, path: str) -> str:
    for t in tables(db, case_id):
        if t["form"] == path:
            return t["kind"]
    raise NotFoundError(f"{path} is not a factor or notation-key table of case {case_id}")


def read_table(db: Session, case_id: int, path: str) -> dict[str, Any]:
    """A table's header, its rows (line and fields) and its version."""
    kind = _kind(db, case_id, path)
    f = _file(db, case_id, path)
    records = split_records(f.content.decode("utf-8").removeprefix(BOM))
    header = [h.strip() for h in records[0][1]] if records else []
    rows = [
        {"row": line, **dict(zip(header, (x.strip() for x in fields), strict=False))}
        for line, (_raw, fields) in enumerate(records[1:], start=2)
        if any(x.strip() for x in fields)
    ]
    return {"form": path, "kind": kind, "header": header, "rows": rows, "version": f.version}


def may_change(user: User, category: str) -> bool:
    """Whether ``user`` may change a table row of IPCC ``category`` (``*``: any category)."""
    if user.role == "compiler":
        return True
    return user.role == "sector_expert" and category != "*" and in_sectors(category, user.sectors)


def change_table(db: Session, case_id: int, user: User, path: str, body: dict[str, Any],
                 if_match: int | None) -> dict[str, Any]:  # fmt: skip
    """Edit, add or delete one row of a factor or notation-key table (``body``: ``action``,
    ``row`` (its line) for edit and delete, ``fields``, ``reason``) and commit it."""
    case = get_case(db, case_id)
    kind = _kind(db, case_id, path)
    if user.role not in ("compiler", "sector_expert"):
        raise ForbiddenError(f"a {user.role} cannot change the case's tables")
    if if_match is None:
        raise PreconditionRequiredError("send the table's version as the If-Match header")
    action, line, fields = body.get("action"), body.get("row"), body.get("fields", {})
    if action not in ACTIONS:
        raise InputError(f"action must be one of {', '.join(ACTIONS)}", field="action")
    if not isinstance(fields, dict):
        raise InputError("fields must be a JSON object of column: value", field="fields")
    why = audit.require_reason(body.get("reason"))
    f = _file(db, case_id, path)
    text = f.content.decode("utf-8")
    bom = BOM if text.startswith(BOM) else ""
    records = split_records(text.removeprefix(bom))
    header = [h.strip() for h in records[0][1]]
    unknown = sorted(set(fields) - set(header))
    if unknown:
        raise InputError(f"unknown column(s) {', '.join(unknown)}; the columns are "
                         f"{', '.join(header)}", file=path, field=unknown[0])  # fmt: skip
    old = None
    if action != "add":
        if isinstance(line, bool) or not isinstance(line, int) or not 2 <= line <= len(records):
            raise InputError(f"row must be a line of the table (2-{len(records)})", field="row")
        old = dict(zip(header, (x.strip() for x in records[line - 1][1]), strict=False))
        if not may_change(user, old.get("category", "*")):
            raise ForbiddenError(f"row {line} (category {old.get('category')}) is outside "
                                 f"your sectors ({user.sectors or 'none'})")  # fmt: skip
    new = None
    if action != "delete":
        base = old or dict.fromkeys(header, "")
        new = {**base, **{k: "" if v is None else str(v).strip() for k, v in fields.items()}}
        if not may_change(user, new.get("category", "*")):
            raise ForbiddenError(f"category {new.get('category')} is outside your sectors "
                                 f"({user.sectors or 'none'})")  # fmt: skip
    parts = [raw for raw, _ in records]
    end = next((_line_end(r) for r in parts if _line_end(r)), "\n")
    if action == "edit":
        line_end = _line_end(parts[line - 1])
        parts[line - 1] = format_record([new[h] for h in header], line_end)
    elif action == "delete":
        del parts[line - 1]
    else:
        if parts and not _line_end(parts[-1]):
            parts[-1] += end
        parts.append(format_record([new[h] for h in header], end))
        line = len(parts)
    content = (bom + "".join(parts)).encode("utf-8")
    _checked_case(db, case_id, path, content, kind)
    _write(db, f, content, if_match)
    audit.record(db, user.name, action, "case_files", f"{case.name}:{path}:{line}", old, new,
                 why)  # fmt: skip
    db.commit()
    return read_table(db, case_id, path)


def _write(db: Session, f: CaseFileRecord, content: bytes, if_match: int) -> None:
    done = db.execute(
        update(CaseFileRecord)
        .where(CaseFileRecord.id == f.id, CaseFileRecord.version == if_match)
        .values(
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            version=CaseFileRecord.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.rollback()
        now = db.get(CaseFileRecord, f.id)
        db.refresh(now)
        raise ConflictError(f"{f.path} is at version {now.version}, not {if_match}: someone "
                            "changed it since you read it; read it and change it again",
                            current={"form": f.path, "version": now.version})  # fmt: skip
    db.expire(f)


def _settings_nodes(text: str) -> dict[str, yaml.ScalarNode]:
    root = yaml.compose(text)
    out: dict[str, yaml.ScalarNode] = {}

    def walk(node, prefix: str) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        for k, v in node.value:
            name = f"{prefix}{k.value}"
            if isinstance(v, yaml.ScalarNode) and (
                name in SETTINGS or name.startswith("qualifiers.")
            ):
                out[name] = v
            elif name in ("years", "uncertainty", "qualifiers"):
                walk(v, f"{name}.")

    walk(root, "")
    return out


def read_settings(db: Session, case_id: int) -> dict[str, Any]:
    """The whitelisted settings present in ``case.yaml`` and the file's version."""
    get_case(db, case_id)
    f = _file(db, case_id, "case.yaml")
    text = f.content.decode("utf-8")
    values = {k: yaml.safe_load(text[n.start_mark.index : n.end_mark.index])
              for k, n in _settings_nodes(text).items()}  # fmt: skip
    return {"settings": values, "version": f.version}


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError("a setting is text or a number", field="settings")
    if not isinstance(value, str):
        return repr(value)
    plain = "\n" not in value and "#" not in value and ": " not in value and value.strip()
    try:
        same = plain and yaml.safe_load(value) == value
    except yaml.YAMLError:
        same = False
    return value if same else json.dumps(value)


def change_settings(db: Session, case_id: int, user: User, changes: dict[str, Any],
                    if_match: int | None, reason: Any) -> dict[str, Any]:  # fmt: skip
    """Change whitelisted ``case.yaml`` settings (compiler only), checked by ``load_case``."""
    case = get_case(db, case_id)
    if user.role != "compiler":
        raise ForbiddenError(f"a {user.role} cannot change the case settings")
    if if_match is None:
        raise PreconditionRequiredError("send case.yaml's version as the If-Match header")
    why = audit.require_reason(reason)
    f = _file(db, case_id, "case.yaml")
    text = f.content.decode("utf-8")
    nodes = _settings_nodes(text)
    unknown = sorted(set(changes) - set(nodes))
    if unknown or not changes:
        raise InputError(f"settings that can be changed here: {', '.join(sorted(nodes))}",
                         file="case.yaml", field=(unknown or ["settings"])[0])  # fmt: skip
    old, new = read_settings(db, case_id)["settings"], {}
    for name in sorted(changes, key=lambda k: -nodes[k].start_mark.index):  # back to front
        n = nodes[name]
        repl = _scalar(changes[name]) + ("\n" if n.style in (">", "|") else "")
        text = text[: n.start_mark.index] + repl + text[n.end_mark.index :]
        new[name] = changes[name]
    content = text.encode("utf-8")
    _checked_case(db, case_id, "case.yaml", content, None)
    _write(db, f, content, if_match)
    audit.record(db, user.name, "edit", "case_files", f"{case.name}:case.yaml",
                 {k: old.get(k) for k in new}, new, why)  # fmt: skip
    db.commit()
    return read_settings(db, case_id)
