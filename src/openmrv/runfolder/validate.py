"""The check of a run folder: :func:`ensure_valid_run` (every required output, no unknown
file, readable tables with their declared columns, as primap2's ``ensure_valid`` does for
a dataset) and the validators of the plume, top-down and verification tables."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from openmrv.gases import ALL_GASES, GASES
from openmrv.runfolder.spec import (
    COVERAGE_MIN_VALID_VIEWS,
    FOLDERS,
    IMPROVEMENT_KINDS,
    IMPROVEMENT_PLAN_COLUMNS,
    IMPROVEMENT_PLAN_CSV,
    MARKER,
    OUTPUTS,
    PLUME_CORE,
    PLUMES_CSV,
    PLUMES_THIRDPARTY_CSV,
    TOP_DOWN_COLUMNS,
    TOP_DOWN_KINDS,
    VERDICTS,
    VERIFICATION_COLUMNS,
    VERIFICATION_CSV,
    VERIFICATION_FLAGS,
    MissingOutputError,
    Output,
    OutputFormatError,
    PlumeTableError,
    RunFolderError,
    TopDownTableError,
    UnknownOutputError,
    files_of,
    output,
    read_marker,
)


# --------------------------------------------------------------------------- validators
def _fail(cls: type[RunFolderError], msg: str, file: Any, field: str | None = None,
          rows: Iterable[int] = ()) -> None:  # fmt: skip
    rows = [int(r) for r in rows]
    where = f" (rows {', '.join(str(r + 2) for r in rows[:5])}{' ...' if len(rows) > 5 else ''})"
    raise cls(msg + (where if rows else ""), file=file, field=field)


def _numeric(frame: pd.DataFrame, col: str, cls, file, allow_nan: bool) -> pd.Series:
    s = pd.to_numeric(frame[col], errors="coerce")
    bad = s.isna() & frame[col].notna() & (frame[col].astype(str).str.strip() != "")
    if bad.any():
        _fail(cls, "not a number", file, col, frame.index[bad])
    if not allow_nan and s.isna().any():
        _fail(cls, "empty or NaN; a value is required", file, col, frame.index[s.isna()])
    if (s.abs() == math.inf).any():
        _fail(cls, "infinite", file, col, frame.index[s.abs() == math.inf])
    return s


def _required_unless(frame: pd.DataFrame, col: str, cls, file, exempt: pd.Series) -> pd.Series:
    """A number required in every row but the ``exempt`` ones (which may be empty)."""
    s = _numeric(frame, col, cls, file, allow_nan=True)
    missing = s.isna() & ~exempt
    if missing.any():
        _fail(cls, "empty or NaN; a value is required", file, col, frame.index[missing])
    return s


def _need(frame: pd.DataFrame, columns: Iterable[str], cls, file) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise cls(
            f"missing column(s) {missing}; the table has {list(frame.columns)} "
            "(see docs/run-folder.md)",
            file=file,
        )


def _bools(frame: pd.DataFrame, col: str, cls, file, allow_empty: bool = False) -> None:
    text = frame[col].astype(str).str.strip().str.lower()
    ok = text.isin(["true", "false", "1", "0", "1.0", "0.0"])
    if allow_empty:
        ok |= frame[col].isna() | text.isin(["", "nan"])
    if not ok.all():
        _fail(cls, "not true/false", file, col, frame.index[~ok])


def validate_plume_table(frame: pd.DataFrame, file: str | Path = PLUMES_CSV) -> pd.DataFrame:
    """Check a plume table (``plumes.csv``, ``plumes_thirdparty.csv``; docs/run-folder.md).

    Every row has the :data:`PLUME_CORE` columns and a parseable ``time``; ``source`` and
    ``method`` are given. A detection (``detected`` true or empty, i.e. every third-party
    row) has ``lat`` in [-90, 90], ``lon`` in [-180, 180], and a finite
    ``rate_t_per_h`` >= 0 with ``rate_sigma_t_per_h`` >= 0, unless ``flags`` says why
    there is no rate (an own detection a method could not quantify). Rows of own scenes
    without a detection (``detected`` false) may leave position and rate empty.

    Raises
    ------
    PlumeTableError
        Naming the file, the column and the rows (line numbers, header = line 1).
    """
    cls = PlumeTableError
    _need(frame, PLUME_CORE, cls, file)
    frame = frame.reset_index(drop=True)
    t = pd.to_datetime(frame["time"], errors="coerce", utc=True, format="mixed")
    if t.isna().any():
        _fail(cls, "not a date and time (ISO 8601)", file, "time", frame.index[t.isna()])
    for col in ("source", "method"):
        empty = frame[col].isna() | (frame[col].astype(str).str.strip() == "")
        if empty.any():
            _fail(cls, "empty; every row names its source and method", file, col,
                  frame.index[empty])  # fmt: skip
    if "detected" in frame.columns:
        _bools(frame, "detected", cls, file, allow_empty=True)
        det = ~frame["detected"].astype(str).str.strip().str.lower().isin(["false", "0", "0.0"])
    else:
        det = pd.Series(True, index=frame.index)
    lat = _numeric(frame, "lat", cls, file, allow_nan=True)
    lon = _numeric(frame, "lon", cls, file, allow_nan=True)
    rate = _numeric(frame, "rate_t_per_h", cls, file, allow_nan=True)
    sigma = _numeric(frame, "rate_sigma_t_per_h", cls, file, allow_nan=True)
    for s, lo, hi, col in ((lat, -90, 90, "lat"), (lon, -180, 180, "lon")):
        bad = det & ~((s >= lo) & (s <= hi))
        if bad.any():
            _fail(cls, f"a detection's {col} must lie in [{lo}, {hi}] degrees", file, col,
                  frame.index[bad])  # fmt: skip
    flagged = pd.Series(False, index=frame.index)
    if "flags" in frame.columns:
        flagged = frame["flags"].notna() & (frame["flags"].astype(str).str.strip() != "")
    for s, col in ((rate, "rate_t_per_h"), (sigma, "rate_sigma_t_per_h")):
        if (s < 0).any():
            _fail(cls, "negative; rates and their 1-sigma are >= 0", file, col,
                  frame.index[s < 0])  # fmt: skip
        bad = det & s.isna() & ~flagged
        if bad.any():
            _fail(cls, "a detection without a finite rate (and no flag saying why)", file, col,
                  frame.index[bad])  # fmt: skip
    return frame


def validate_top_down(frame: pd.DataFrame, file: str | Path = "top-down evidence") -> pd.DataFrame:
    """Check a top-down evidence table (:data:`TOP_DOWN_COLUMNS`, docs/run-folder.md):
    category and evidence given, gas in :data:`GASES`, integer year, finite ``value_kt``
    >= 0, ``sigma_kt`` >= 0 (both may be empty in a row whose optional ``valid_views`` is
    below :data:`COVERAGE_MIN_VALID_VIEWS`: no annual figure), ``kind`` in
    :data:`TOP_DOWN_KINDS`, ``osse`` (if present) true/false.

    Raises
    ------
    TopDownTableError
    """
    cls = TopDownTableError
    _need(frame, TOP_DOWN_COLUMNS, cls, file)
    frame = frame.reset_index(drop=True)
    _common(frame, cls, file, year="year", gas="gas")
    exempt = pd.Series(False, index=frame.index)
    if "valid_views" in frame.columns:
        views = _numeric(frame, "valid_views", cls, file, allow_nan=True)
        exempt = views < COVERAGE_MIN_VALID_VIEWS
    value = _required_unless(frame, "value_kt", cls, file, exempt)
    sigma = _required_unless(frame, "sigma_kt", cls, file, exempt)
    for s, col in ((value, "value_kt"), (sigma, "sigma_kt")):
        if (s < 0).any():
            _fail(cls, "negative; must be >= 0 kt", file, col, frame.index[s < 0])
    bad = ~frame["kind"].isin(TOP_DOWN_KINDS)
    if bad.any():
        _fail(cls, f"unknown kind {sorted(set(frame.loc[bad, 'kind'].astype(str)))}; "
              f"use one of {list(TOP_DOWN_KINDS)}", file, "kind", frame.index[bad])  # fmt: skip
    if "osse" in frame.columns:
        _bools(frame, "osse", cls, file)
    return frame


def _common(frame: pd.DataFrame, cls, file, year: str, gas: str) -> None:
    for col in ("category", "evidence"):
        empty = frame[col].isna() | (frame[col].astype(str).str.strip() == "")
        if empty.any():
            _fail(cls, "empty", file, col, frame.index[empty])
    bad = ~frame[gas].isin(GASES)
    if bad.any():
        _fail(cls, f"unknown gas; use one of {list(GASES)}", file, gas, frame.index[bad])
    y = _numeric(frame, year, cls, file, allow_nan=False)
    if (y != y.round()).any():
        _fail(cls, "not a whole year", file, year, frame.index[y != y.round()])


def validate_verification(frame: pd.DataFrame, file: str | Path = VERIFICATION_CSV) -> pd.DataFrame:
    """Check ``verification.csv`` (:data:`VERIFICATION_COLUMNS`, docs/run-folder.md):
    category, evidence given; gas known; whole years; finite ``top_down_kt``,
    ``bottom_up_kt`` >= 0 and ``top_down_sigma_kt`` >= 0 (the top-down ones empty only in
    an ``insufficient coverage`` row: no annual figure); ``flag`` in
    :data:`VERIFICATION_FLAGS`; ``osse`` true/false; an OSSE row's evidence says so.

    Raises
    ------
    TopDownTableError
    """
    cls = TopDownTableError
    _need(frame, VERIFICATION_COLUMNS, cls, file)
    frame = frame.reset_index(drop=True)
    _common(frame, cls, file, year="evidence_year", gas="gas")
    _numeric(frame, "inventory_year", cls, file, allow_nan=False)
    no_value = frame["flag"] == VERDICTS["insufficient_coverage"]
    for col in ("bottom_up_kt", "top_down_kt", "top_down_sigma_kt"):
        exempt = no_value if col != "bottom_up_kt" else pd.Series(False, index=frame.index)
        s = _required_unless(frame, col, cls, file, exempt)
        if (s < 0).any():
            _fail(cls, "negative; must be >= 0 kt", file, col, frame.index[s < 0])
    for col in (
        "bottom_up_low_kt",
        "bottom_up_high_kt",
        "top_down_low_kt",
        "top_down_high_kt",
        "z",
    ):
        _numeric(frame, col, cls, file, allow_nan=True)
    bad = ~frame["flag"].isin(VERIFICATION_FLAGS)
    if bad.any():
        _fail(cls, f"unknown flag; use one of {list(VERIFICATION_FLAGS)}", file, "flag",
              frame.index[bad])  # fmt: skip
    _bools(frame, "osse", cls, file)
    osse = frame["osse"].astype(str).str.strip().str.lower().isin(["true", "1", "1.0"])
    unlabelled = osse & ~frame["evidence"].astype(str).str.contains("OSSE")
    if unlabelled.any():
        _fail(cls, "an OSSE row's evidence must say 'OSSE' (synthetic, not a measurement)",
              file, "evidence", frame.index[unlabelled])  # fmt: skip
    return frame


def validate_improvement_plan(
    frame: pd.DataFrame, file: str | Path = IMPROVEMENT_PLAN_CSV
) -> pd.DataFrame:
    """Check ``improvement_plan.csv`` (:data:`IMPROVEMENT_PLAN_COLUMNS`): ``kind`` one of
    :data:`IMPROVEMENT_KINDS`; category, gas and reason given; priorities 1, 2, ... on
    the category and site rows in order (none on the what-if rows); low <= value <= high.

    Raises
    ------
    OutputFormatError
    """
    cls = OutputFormatError
    _need(frame, IMPROVEMENT_PLAN_COLUMNS, cls, file)
    frame = frame.reset_index(drop=True)
    bad = ~frame["kind"].isin(IMPROVEMENT_KINDS)
    if bad.any():
        _fail(cls, f"unknown kind; use one of {list(IMPROVEMENT_KINDS)}", file, "kind",
              frame.index[bad])  # fmt: skip
    for col in ("category", "reason"):
        empty = frame[col].isna() | (frame[col].astype(str).str.strip() == "")
        if empty.any():
            _fail(cls, "empty", file, col, frame.index[empty])
    if (~frame["gas"].isin(ALL_GASES)).any():
        _fail(cls, f"unknown gas; use one of {list(ALL_GASES)}", file, "gas",
              frame.index[~frame["gas"].isin(ALL_GASES)])  # fmt: skip
    action = frame["kind"] != "what-if"
    prio = _numeric(frame, "priority", cls, file, allow_nan=True)
    order = list(range(1, int(action.sum()) + 1))
    if prio[action].tolist() != order or prio[~action].notna().any():
        _fail(cls, "priorities must run 1, 2, ... over the category and site rows in order, "
              "and be empty on what-if rows", file, "priority")  # fmt: skip
    v, lo, hi = (
        _numeric(frame, c, cls, file, allow_nan=True) for c in ("value_kt", "low_kt", "high_kt")
    )
    wrong = (lo > v + 1e-9 * v.abs()) | (v > hi + 1e-9 * v.abs())
    if wrong.any():
        _fail(cls, "low_kt <= value_kt <= high_kt does not hold", file, "value_kt",
              frame.index[wrong])  # fmt: skip
    return frame


#: Content validators of run-folder tables, by name.
VALIDATORS = {
    IMPROVEMENT_PLAN_CSV: validate_improvement_plan,
    PLUMES_CSV: validate_plume_table,
    PLUMES_THIRDPARTY_CSV: validate_plume_table,
    VERIFICATION_CSV: validate_verification,
}

_MAGIC = {
    "netcdf": (b"\x89HDF\r\n\x1a\n", b"CDF\x01", b"CDF\x02", b"CDF\x05"),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "xlsx": (b"PK\x03\x04",),
    "pdf": (b"%PDF",),
}


def _check_file(folder: Path, rel: str, spec: Output) -> None:
    file = folder / rel
    if spec.format in _MAGIC:
        with open(file, "rb") as fh:
            head = fh.read(8)
        if not head.startswith(_MAGIC[spec.format]):
            raise OutputFormatError(f"not a {spec.format} file (truncated or corrupt)", file=file)
    elif spec.format in ("json", "geojson"):
        try:
            json.loads(file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise OutputFormatError(f"not readable JSON ({exc})", file=file) from None
    elif spec.format == "csv":
        read_table(folder, rel)
    elif spec.format in ("html", "yaml", "signature"):
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise OutputFormatError(f"not UTF-8 text ({exc})", file=file) from None
        if not text.strip():
            raise OutputFormatError("empty", file=file)


def read_table(folder: str | Path, name: str) -> pd.DataFrame:
    """Read a CSV output of a run folder and check it against its declaration (columns,
    and the content validator of :data:`VALIDATORS`).

    Raises
    ------
    MissingOutputError, OutputFormatError (PlumeTableError, TopDownTableError)
    """
    file = Path(folder) / name
    spec = output(name)
    if not file.is_file():
        raise MissingOutputError("not found", file=file)
    if file.stat().st_size == 0 or not file.read_bytes().strip():
        if spec is not None and spec.may_be_empty:
            return pd.DataFrame(columns=list(spec.columns))
        raise OutputFormatError("empty; a table with a header is expected", file=file)
    try:
        frame = pd.read_csv(file, keep_default_na=False, na_values=[""], low_memory=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        msg = " ".join(str(exc).split())
        raise OutputFormatError(f"not a readable CSV table ({msg})", file=file) from None
    if spec is not None:
        _need(frame, spec.columns, OutputFormatError, file)
    check = VALIDATORS.get(name)
    if check is not None:
        check(frame, file)
    return frame


def ensure_valid_run(folder: str | Path, *, require_marker: bool = True) -> Path:
    """Check a run folder against its spec (docs/run-folder.md); return it.

    Checks that the folder exists, holds openmrv's :data:`MARKER` (unless
    ``require_marker`` is false: folders written before openmrv marked its run folders),
    every required output, no file that no stage writes (nor any other folder than
    :data:`FOLDERS`), that every CSV table parses with its declared columns (plume and
    verification tables also by content), that JSON parses and that netCDF, PNG, xlsx
    and PDF files start as they must.

    Raises
    ------
    RunFolderError
        :class:`MissingOutputError`, :class:`UnknownOutputError`,
        :class:`OutputFormatError` (:class:`PlumeTableError`,
        :class:`TopDownTableError`), naming the file and what is wrong.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise RunFolderError("run folder not found; give a folder written by 'openmrv run'",
                             file=folder)  # fmt: skip
    if require_marker:
        read_marker(folder)
    present = files_of(folder)
    for o in OUTPUTS:
        if o.required and o.name not in present:
            raise MissingOutputError(
                "a required output is missing: the run folder is incomplete", file=folder / o.name
            )
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).as_posix()
        if p.is_dir() and not p.is_symlink():
            if rel not in FOLDERS:
                raise UnknownOutputError("a folder no stage of openmrv writes", file=p)
            continue
        if rel == MARKER:
            continue
        spec = output(rel)
        if spec is None or p.is_symlink() or not p.is_file():
            raise UnknownOutputError(
                "a file no stage of openmrv writes (see docs/run-folder.md); a run folder "
                "holds only openmrv's outputs",
                file=p,
            )
        _check_file(folder, rel, spec)
    return folder
