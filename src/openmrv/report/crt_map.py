"""The CRT categories (``report/data/crt_categories.csv``) and the IPCC 2006 -> CRT
mapping (``report/data/crt_mapping.csv``); see ``docs/crt.md``. Re-exported by
:mod:`openmrv.report.crt`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from openmrv.categories import ancestors
from openmrv.errors import InputError

DATA = Path(__file__).parent / "data"
MAPPING_FILE = DATA / "crt_mapping.csv"
CATEGORIES_FILE = DATA / "crt_categories.csv"


class CRTMappingError(InputError):
    """An IPCC category cannot be placed in the CRT (no mapping, or a number at an IPCC
    category that spans several CRT categories)."""


@dataclass(frozen=True)
class MappingRow:
    """One row of ``crt_mapping.csv``."""

    ipcc: str
    crt: tuple[str, ...]
    match: str
    line: int
    note: str


@cache
def crt_categories() -> pd.DataFrame:
    """The CRT categories openmrv knows: columns ``code``, ``name``, ``parent``."""
    frame = pd.read_csv(CATEGORIES_FILE, comment="#", dtype=str, keep_default_na=False)
    frame["parent"] = [_parent(c) for c in frame["code"]]
    return frame


def _parent(code: str) -> str | None:
    if code == "Total":
        return None
    return code.rsplit(".", 1)[0] if "." in code else "Total"


def _names() -> dict[str, str]:
    cats = crt_categories()
    return dict(zip(cats["code"], cats["name"], strict=True))


@cache
def crt_mapping() -> dict[str, MappingRow]:
    """The IPCC 2006 -> CRT mapping by IPCC code (``report/data/crt_mapping.csv``)."""
    lines = MAPPING_FILE.read_text().splitlines()
    skip = sum(1 for line in lines if line.startswith("#"))
    frame = pd.read_csv(MAPPING_FILE, comment="#", dtype=str, keep_default_na=False)
    known = set(crt_categories()["code"])
    out: dict[str, MappingRow] = {}
    for i, rec in enumerate(frame.itertuples(index=False)):
        line = skip + 2 + i
        targets = tuple(t.strip() for t in rec.crt_code.split(";"))
        bad = [t for t in targets if t not in known]
        if bad or rec.match not in ("exact", "subtree") or rec.ipcc2006_code in out:
            raise CRTMappingError(
                f"bad row for IPCC {rec.ipcc2006_code}: unknown CRT code {bad}, match "
                f"'{rec.match}' (exact or subtree) or duplicated code",
                file=MAPPING_FILE,
                row=line,
            )
        out[rec.ipcc2006_code] = MappingRow(rec.ipcc2006_code, targets, rec.match, line, rec.note)
    return out


def map_category(code: str) -> MappingRow:
    """The mapping row of an IPCC 2006 category: its own row, else the nearest ancestor's
    ``subtree`` row.

    Raises
    ------
    CRTMappingError
        If no row covers ``code``.
    """
    rows = crt_mapping()
    if code in rows:
        return rows[code]
    for anc in ancestors(code):
        row = rows.get(anc)
        if row is not None and row.match == "subtree":
            return row
    raise CRTMappingError(
        f"IPCC 2006 category {code} has no CRT mapping (international bunkers and "
        "multilateral operations are CRT memo items, not built yet); add a row",
        file=MAPPING_FILE,
        field="ipcc2006_code",
    )


def _crt_of(code: str) -> str:
    row = map_category(code)
    return ";".join(row.crt)
