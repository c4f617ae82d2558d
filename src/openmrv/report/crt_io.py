"""Common Reporting Tables as files: xlsx (openpyxl) and JSON, written atomically and
byte-reproducibly, and read back. The tables themselves are built by
:mod:`openmrv.report.crt`, which re-exports these names.
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from openmrv.dataformat import NOTATION_KEYS
from openmrv.errors import InputError

#: Format name and version written into crt.json (see docs/crt-json-schema.md).
JSON_FORMAT = "openmrv-crt"
JSON_VERSION = 1


class CRTFileError(InputError):
    """A CRT xlsx or JSON file is not what openmrv writes."""


def _plain(value: Any) -> Any:
    """A cell as a JSON/xlsx scalar: float, int, bool, str or None."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return str(value)


def _atomic(path: Path, write) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_crt_xlsx(tables: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write CRT tables to an xlsx workbook, one sheet per table, atomically.

    Numbers are stored with 16 significant digits (openpyxl's format; a relative
    difference of at most 1e-15 from the tables); :func:`write_crt_json` keeps every digit.
    Each sheet: row 1 the title, row 2 the units and GWP set, row 3 the column headers
    (``year``, ``code``, ``category``, then gases), data from row 4. Sheets by year have
    an AutoFilter: pick one year in the ``year`` column to see the CRT layout of that
    year. A sheet ``About`` explains the cells (it is skipped by :func:`read_crt_xlsx`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def write(tmp: Path) -> None:
        wb = Workbook()
        about = wb.active
        about.title = "About"
        for line in _about_lines(tables):
            about.append([line])
        for name, frame in tables.items():
            ws = wb.create_sheet(name)
            ws.append([frame.attrs.get("title", name)])
            ws["A1"].font = Font(bold=True)
            ws.append([f"units: {frame.attrs.get('units', '')}; GWP: {frame.attrs.get('gwp_set')}"])
            ws.append([str(c) for c in frame.columns])
            for row in frame.itertuples(index=False):
                ws.append([_plain(v) for v in row])
            ws.freeze_panes = "D4" if "year" in frame.columns else "B4"
            if len(frame):
                ws.auto_filter.ref = (
                    f"A3:{ws.cell(3, len(frame.columns)).column_letter}{ws.max_row}"
                )
        wb.properties.creator = "openmrv"
        wb.properties.created = _FIXED_TIME
        raw = tmp.with_name(tmp.name + ".raw")
        try:
            wb.save(raw)
            _reproducible_zip(raw, tmp)
        finally:
            raw.unlink(missing_ok=True)

    return _atomic(Path(path), write)


#: xlsx carry this as creation and modification time, so the same tables give the same bytes.
_FIXED_TIME = datetime(2000, 1, 1)


def _reproducible_zip(src: Path, dst: Path) -> None:
    """Copy an xlsx (zip) with fixed entry times and document dates (byte-reproducible)."""
    stamp = _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                # any prefix: ElementTree's global prefix registry gives "dcterms" or
                # "dct" depending on what the process imported before
                text = re.sub(
                    r"(<[\w.-]+:modified[^>]*>)[^<]*(<)", rf"\g<1>{stamp}\g<2>", data.decode()
                )
                data = text.encode()
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(entry, data)


def _about_lines(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    first = next(iter(tables.values()), pd.DataFrame())
    return [
        "Common Reporting Tables (decision 5/CMA.3 annex I) written by openmrv",
        f"GWP set for CO2 equivalents: {first.attrs.get('gwp_set')}",
        "Emissions in kt (= Gg) of each gas per year; CO2 equivalents in kt CO2 eq.",
        "Cells: a number, a notation key (NO not occurring, NE not estimated, NA not "
        "applicable, IE included elsewhere, C confidential; several joined by ','). In the "
        "CRT tables laid out row for row no cell is empty; Table9 explains every key. In the "
        "emission detail sheets an empty cell is neither estimated nor keyed in the case.",
        "Years: one block of rows per year in the 'year' column; use the AutoFilter to "
        "show one year.",
        "IPCC 2006 -> CRT mapping: openmrv/report/data/crt_mapping.csv (venting and flaring "
        "of oil and gas under 1.B.2.c).",
        "Sheets: " + ", ".join(tables),
    ]


def read_crt_xlsx(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read a workbook written by :func:`write_crt_xlsx` back into tables.

    Raises
    ------
    CRTFileError
        If the file is missing or a sheet is not in openmrv's layout.
    """
    from openpyxl import load_workbook

    path = Path(path)
    if not path.is_file():
        raise CRTFileError("CRT workbook not found", file=path)
    wb = load_workbook(path, read_only=True, data_only=True)
    tables: dict[str, pd.DataFrame] = {}
    try:
        for ws in wb.worksheets:
            if ws.title == "About":
                continue
            rows = list(ws.iter_rows(values_only=True))
            if len(rows) < 3 or not rows[2] or rows[2][0] is None:
                raise CRTFileError("sheet has no header in row 3", file=path, field=ws.title)
            header = [str(h) for h in rows[2]]
            data = [list(r) + [None] * (len(header) - len(r)) for r in rows[3:]]
            for row in data:  # whole numbers come back as int: the tables hold floats
                for i, (col, v) in enumerate(zip(header, row, strict=True)):
                    if col != "year" and isinstance(v, int) and not isinstance(v, bool):
                        row[i] = float(v)
            frame = pd.DataFrame(data, columns=header, dtype=object)
            frame = frame.where(frame.notna(), None)
            frame.attrs["title"] = rows[0][0]
            tables[ws.title] = frame
    finally:
        wb.close()
    return tables


def tables_to_json(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """The JSON document of :func:`write_crt_json` (schema: ``docs/crt-json-schema.md``)."""
    first = next(iter(tables.values()), pd.DataFrame())
    doc: dict[str, Any] = {
        "format": JSON_FORMAT,
        "format_version": JSON_VERSION,
        "gwp_set": first.attrs.get("gwp_set"),
        "notation_keys": list(NOTATION_KEYS),
        "tables": {},
    }
    for name, frame in tables.items():
        cols = [str(c) for c in frame.columns]
        doc["tables"][name] = {
            "title": str(frame.attrs.get("title", name)),
            "units": str(frame.attrs.get("units", "")),
            "total_row": frame.attrs.get("total_row"),
            "columns": cols,
            "rows": [
                {c: _plain(v) for c, v in zip(cols, row, strict=True)}
                for row in frame.itertuples(index=False)
            ],
        }
    return doc


def write_crt_json(tables: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write CRT tables as JSON (``docs/crt-json-schema.md``), atomically."""
    text = json.dumps(tables_to_json(tables), indent=1, allow_nan=False) + "\n"
    return _atomic(Path(path), lambda tmp: tmp.write_text(text))


def read_crt_json(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read a file written by :func:`write_crt_json` back into tables."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise CRTFileError("CRT JSON file not found", file=path) from None
    except json.JSONDecodeError as exc:
        raise CRTFileError(f"is not valid JSON ({exc})", file=path) from None
    if doc.get("format") != JSON_FORMAT:
        raise CRTFileError(f"'format' is not '{JSON_FORMAT}'", file=path, field="format")
    out = {}
    for name, table in doc["tables"].items():
        frame = pd.DataFrame(
            [[r.get(c) for c in table["columns"]] for r in table["rows"]],
            columns=table["columns"],
            dtype=object,
        )
        frame = frame.where(frame.notna(), None)
        frame.attrs.update(title=table["title"], units=table["units"], total_row=table["total_row"])
        out[name] = frame
    return out
