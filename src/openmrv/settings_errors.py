"""Validation errors of a YAML settings file as :class:`~openmrv.errors.CaseError`: the
file, the line of the bad key (:class:`YamlLines`, through yaml's compose API), the
field's dotted name, the bad value and the valid ones (from a pydantic
``ValidationError`` and the model it validated)."""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from openmrv.errors import CaseError, InputError

#: the prefix of openmrv's tags of union members (in error locations; dropped there)
UNION_TAG = "<"


class YamlLines:
    """The line of each key and item of a YAML document (yaml's compose/mark API)."""

    def __init__(self, text: str) -> None:
        try:
            self._root = yaml.compose(text)
        except yaml.YAMLError:
            self._root = None

    def line(self, loc: Iterable[str | int]) -> int | None:
        """1-based line of the deepest part of ``loc`` that the document has."""
        node, found = self._root, None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                hit = next((kv for kv in node.value if kv[0].value == str(part)), None)
                if hit is None:
                    break
                found, node = hit[0].start_mark.line + 1, hit[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                found = node.start_mark.line + 1
            else:
                break
        return found


def _unwrap(tp: Any) -> list[Any]:
    """The alternatives of ``tp`` without Annotated and None."""
    if get_origin(tp) is Annotated:
        return _unwrap(get_args(tp)[0])
    if get_origin(tp) in (Union, UnionType):
        return [u for a in get_args(tp) if a is not type(None) for u in _unwrap(a)]
    return [tp]


def _items(tp: Any) -> list[Any]:
    """The item type of a list, the value type of a dict."""
    if get_origin(tp) in (list, dict):
        return [get_args(tp)[-1]]
    return []


def _walk(
    root: type[BaseModel], loc: list[str | int]
) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model reached by ``loc`` from ``root`` (if any) and the last field on the way."""
    candidates: list[Any] = [root]
    info: FieldInfo | None = None
    for part in loc:
        types = [u for c in candidates for u in _unwrap(c)]
        model = next(
            (
                t
                for t in types
                if isinstance(t, type) and issubclass(t, BaseModel) and part in t.model_fields
            ),
            None,
        )
        if model is not None and isinstance(part, str):
            info = model.model_fields[part]
            candidates = [info.annotation]
        else:
            candidates = [i for t in types for i in _items(t)]
    types = [u for c in candidates for u in _unwrap(c)]
    models = [t for t in types if isinstance(t, type) and issubclass(t, BaseModel)]
    return (models[0] if models else None), info


def _name(loc: list[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _choices(expected: str) -> str:
    names = re.findall(r"'([^']*)'", expected)
    if len(names) <= 2:
        return " or ".join(f"'{n}'" for n in names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def _short_repr(value: Any, n: int = 80) -> str:
    """``repr(value)``, cut to ``n`` characters without rendering a huge (aliased) value."""
    if isinstance(value, dict | list | tuple) and len(value) > 8:
        return f"a {type(value).__name__} of {len(value)} items"
    text = reprlib.repr(value)
    s = "".join(c if " " <= c <= "~" else "?" for c in text)
    return s if len(s) <= n else s[: n - 3] + "..."


def _message(root: type[BaseModel], err: Any, loc: list[str | int], is_key: bool) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    leaf = "" if is_key or not loc else f"{loc[-1]} "
    if kind == "missing":
        return f"'{loc[-1]}' is required"
    if kind == "literal_error":
        return f"{leaf}'{value}' unknown; expected {_choices(ctx.get('expected', ''))}"
    if kind == "greater_than":
        return "must be positive" if ctx.get("gt") == 0 else f"must be > {ctx.get('gt')}"
    if kind in ("greater_than_equal", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "less_than_equal": "<=", "less_than": "<"}[kind]
        return f"must be {op} {next(iter(ctx.values()))}"
    if kind == "value_error":
        exc = ctx.get("error")
        return exc.message if isinstance(exc, InputError) else str(exc)
    _, info = _walk(root, loc)
    what = info.description if info is not None and info.description else err["msg"].lower()
    return f"expected {what}; got {_short_repr(value)}"


def case_error(
    exc: ValidationError,
    root: type[BaseModel],
    *,
    file: Path,
    lines: YamlLines | None = None,
) -> CaseError:
    """The first problem of a failed validation of model ``root`` as a :class:`CaseError`
    (file, line, field, the bad value and the valid ones)."""
    errors = exc.errors(include_url=False)

    def clean(e: Any) -> tuple[list[str | int], bool]:
        loc = [p for p in e["loc"] if not (isinstance(p, str) and p.startswith(UNION_TAG))]
        is_key = "[key]" in loc
        return [p for p in loc if p != "[key]"], is_key

    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc, is_key = clean(first)
    if first["type"] == "extra_forbidden":
        parent = loc[:-1]
        unknown = sorted(
            str(clean(e)[0][-1])
            for e in errors
            if e["type"] == "extra_forbidden" and clean(e)[0][:-1] == parent
        )
        model, _ = _walk(root, parent)
        known = sorted(model.model_fields) if model is not None else []
        message = f"unknown settings {unknown}; known: {known}"
        loc = [*parent, unknown[0]]
    else:
        message = _message(root, first, loc, is_key)
    return CaseError(
        message,
        file=file,
        row=None if lines is None else lines.line(loc),
        field=_name(loc) or None,
    )
