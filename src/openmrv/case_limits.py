"""The limits a case folder is held to (``data/case_limits.csv``), and the checks that
need no case: unit expressions before pint evaluates them, excerpts of file content in
error messages.

pint parses a unit string as an arithmetic expression: ``10**10**10 EJ`` makes it compute
a ten-billion-digit integer (a hang), and ``EJ/0`` raises ``ZeroDivisionError``.
:func:`check_unit_text` refuses such strings quickly with a :class:`UnitError`; the limits
(longest string, largest exponent) are rows of ``data/case_limits.csv``.

A core module: it imports only :mod:`openmrv.errors` and :mod:`openmrv.constants`
(and yaml, to count the aliases of ``case.yaml`` before it is loaded).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from openmrv.constants import DATA, table_value
from openmrv.errors import CaseError, UnitError

#: the limits table of case folders (see data/SOURCES.md)
CASE_LIMITS = DATA / "case_limits.csv"

_POWER = re.compile(r"\*\*|\^")
#: an exponent as pint reads it: a number, optionally signed and parenthesised
_EXPONENT = re.compile(r"\s*\(?\s*[-+]?\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*\)?")
#: a division by a literal zero ("/ 0", "/ (0.0)"), not "/ 0.5" nor "/ 0e3 m"
_BY_ZERO = re.compile(r"/\s*\(?\s*[-+]?\s*(0+(?:\.0*)?|\.0+)(?:[eE][-+]?\d+)?(?![\d.eE])")


@cache
def limit(name: str) -> float:
    """A row of ``data/case_limits.csv``."""
    return table_value(CASE_LIMITS, name)


def excerpt(text: object, n: int | None = None) -> str:
    """A short, sanitised excerpt of ``text`` for an error message: printable ASCII only
    (anything else as ``?``), at most ``n`` characters (``error_excerpt_max_chars``)."""
    n = int(limit("error_excerpt_max_chars")) if n is None else n
    s = "".join(c if " " <= c <= "~" else "?" for c in str(text)[: n + 1])
    return s if len(s) <= n else s[: n - 3] + "..."


def check_unit_text(text: str, *, where: str = "", field: str = "unit") -> str:
    """Refuse a unit string pint must not evaluate; returns it unchanged.

    Raises
    ------
    UnitError
        For a string longer than ``unit_text_max_chars``, an exponent that is not a plain
        number, a nested exponent (``10**10**10``), an exponent larger in magnitude than
        ``unit_exponent_max``, or a division by a literal zero (``EJ/0``).
    """
    file = where or None
    shown = excerpt(text)
    max_chars = int(limit("unit_text_max_chars"))
    if len(text) > max_chars:
        raise UnitError(
            f"unit '{shown}' is {len(text)} characters long; at most {max_chars} are accepted",
            file=file,
            field=field,
        )
    max_exp = limit("unit_exponent_max")
    for m in _POWER.finditer(text):
        e = _EXPONENT.match(text, m.end())
        if e is None:
            raise UnitError(
                f"unit '{shown}': an exponent must be a plain number (as in 'm**3')",
                file=file,
                field=field,
            )
        if _POWER.match(text, e.end()):
            raise UnitError(
                f"unit '{shown}': nested exponents (a**b**c) are not accepted",
                file=file,
                field=field,
            )
        value = float(e.group(0).strip().strip("()").replace(" ", ""))
        if abs(value) > max_exp:
            raise UnitError(
                f"unit '{shown}': exponent {value:g} exceeds the limit of {max_exp:g}",
                file=file,
                field=field,
            )
    if _BY_ZERO.search(text):
        raise UnitError(f"unit '{shown}' divides by zero", file=file, field=field)
    return text


def read_case_yaml(path: Path) -> str:
    """The text of case.yaml, within the size and alias limits of data/case_limits.csv.

    Raises
    ------
    CaseError
        For a file over ``case_yaml_max_bytes``, bytes that are not UTF-8 (naming the
        offset), or more aliases than ``yaml_alias_max`` (exponential expansion).
    """
    cap = int(limit("case_yaml_max_bytes"))
    with path.open("rb") as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise CaseError(
            f"is larger than {cap} bytes (case_yaml_max_bytes); a case.yaml holds settings, "
            "put data in CSV files",
            file=path,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise CaseError(
            f"is not UTF-8: byte {exc.start} (0x{data[exc.start]:02x}) cannot be decoded; "
            "save the file as UTF-8",
            file=path,
            row=row,
        ) from None
    max_alias = int(limit("yaml_alias_max"))
    aliases = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > max_alias:
                    raise CaseError(
                        f"has more than {max_alias} YAML aliases (*name; yaml_alias_max); "
                        "write the settings out instead",
                        file=path,
                        row=event.start_mark.line + 1,
                    )
    except yaml.YAMLError:
        pass  # reported with its line by the loader below
    return text


def check_grid_cells(n_lat: int, n_lon: int, *, file: str | Path | None = None) -> None:
    """Refuse an inversion grid of more cells than ``inversion_grid_cells_max``, before
    any array of it is allocated.

    Raises
    ------
    CaseError
        Naming ``top_down.inversion.resolution``, the grid's size and the limit.
    """
    cap = int(limit("inversion_grid_cells_max"))
    n = n_lat * n_lon
    if n > cap:
        raise CaseError(
            f"the inversion grid would have {n_lat} x {n_lon} = {n} cells, more than the "
            f"limit of {cap} (inversion_grid_cells_max in {CASE_LIMITS.name}); coarsen "
            "top_down.inversion.resolution or reduce top_down.inversion.padding",
            file=file,
            field="top_down.inversion.resolution",
        )
