"""Small HTML building blocks of the report (:mod:`openmrv.report.btr` and
:mod:`openmrv.report.evidence_sections`): an embedded figure with its caption in words, a
table, and reading a run folder's CSV and JSON files."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd


def img(path: Path, caption: str) -> str:
    """A PNG embedded as a base64 ``data:`` URI, captioned in words (``caption``); the
    file name stays in ``data-file``."""
    data = base64.b64encode(path.read_bytes()).decode()
    return (
        f'<figure><img alt="{html.escape(caption)}" data-file="{html.escape(path.name)}" '
        f'src="data:image/png;base64,{data}"><figcaption class="note">{html.escape(caption)}'
        "</figcaption></figure>"
    )


def table(frame: pd.DataFrame, digits: int = 1) -> str:
    """A table as HTML: floats with ``digits`` decimals and thousands separators, NaN
    empty, text escaped."""

    def fmt(v):
        if v is None or (isinstance(v, float) and v != v):
            return ""
        if isinstance(v, float):
            return f"{v:,.{digits}f}"
        return v

    return frame.map(fmt).to_html(index=False, border=0, na_rep="", escape=True)


def read(run: Path, name: str) -> pd.DataFrame | None:
    """A CSV of the run folder, or None when it is missing or holds no table."""
    p = run / name
    if not p.is_file() or p.stat().st_size <= 1:  # an empty table is written as one newline
        return None
    return pd.read_csv(p, keep_default_na=False, na_values=[""])


def read_json(run: Path, name: str) -> dict:
    """A JSON file of the run folder ({} when missing)."""
    p = run / name
    return json.loads(p.read_text()) if p.is_file() else {}
