"""The run folder: every output declared once, its check, and a writer that never loses data.

A run folder is what ``openmrv run`` (and ``openmrv inventory``) writes into ``--out``.
This module is its one specification (``docs/run-folder.md``):

- every output's file name (or pattern), format, producing stage and when it is present:
  the module constants (``EMISSIONS_CSV`` ...) and the :data:`OUTPUTS` registry;
- :func:`ensure_valid_run`: the folder holds every required output, no unknown file, and
  its tables, JSON and binary files are readable and have their declared columns (as
  primap2's ``ensure_valid`` does for a dataset); :func:`validate_plume_table` and
  :func:`validate_verification` check the contents of the plume table and the
  bottom-up/top-down table, :func:`validate_top_down` the top-down evidence rows;
- :func:`check_out` and :class:`RunFolderWriter` (:func:`open_run`): ``--out`` is checked
  before anything is computed; a run is written into a private temporary sibling under
  an exclusive lock, marked as openmrv's (:data:`MARKER`) and swapped into place; nothing
  openmrv did not create is ever deleted.

Core module: imports only :mod:`openmrv.errors`, the standard library and pandas.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import shutil
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pandas as pd

from openmrv.errors import InputError

try:  # POSIX; elsewhere the lock is an exclusively created file
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

# --------------------------------------------------------------------------- stages
INVENTORY = "inventory"
UNCERTAINTY = "uncertainty"
OBSERVATIONS = "observations"
PLUMES = "plumes"
INVERSION = "inversion"
VERIFICATION = "verification"
REPORTING = "reporting"
STAGES = (INVENTORY, UNCERTAINTY, OBSERVATIONS, PLUMES, INVERSION, VERIFICATION, REPORTING)

# --------------------------------------------------------------------------- file names
#: openmrv's marker: a JSON file saying that openmrv created the folder and which files.
MARKER = ".openmrv-run"
MARKER_VERSION = 1

OBSERVATIONS_DIR = "observations"
PLUMES_DIR = "plumes"
INVERSION_DIR = "inversion"

# inventory
INVENTORY_NC = "inventory.nc"
INTERCHANGE_STEM = "inventory_primap2"
INTERCHANGE_CSV = f"{INTERCHANGE_STEM}.csv"
INTERCHANGE_YAML = f"{INTERCHANGE_STEM}.yaml"
INTERCHANGE_NOTATION_KEYS = f"{INTERCHANGE_STEM}.notation_keys.csv"
EMISSIONS_CSV = "emissions.csv"
GAP_FILLING_CSV = "gap_filling.csv"
REFERENCE_APPROACH_CSV = "reference_approach.csv"
COMPARISON_CSV = "comparison.csv"
COMPARISON_PNG = "comparison_*.png"
RUN_JSON = "run.json"
EMISSIONS_BY_SECTOR_PNG = "emissions_by_sector.png"
# uncertainty
UNCERTAINTY_APPROACH1_CSV = "uncertainty_approach1.csv"
UNCERTAINTY_APPROACH2_CSV = "uncertainty_approach2.csv"
UNCERTAINTY_APPROACH2_BY_GAS_CSV = "uncertainty_approach2_by_gas.csv"
UNCERTAINTY_TREND_CSV = "uncertainty_trend.csv"
KEY_CATEGORIES_CSV = "key_categories.csv"
UNCERTAINTY_JSON = "uncertainty.json"
# observations
SOUNDINGS_NC = f"{OBSERVATIONS_DIR}/soundings.nc"
SOUNDINGS_MAP_PNG = f"{OBSERVATIONS_DIR}/soundings_map.png"
OBSERVATIONS_SUMMARY_CSV = f"{OBSERVATIONS_DIR}/summary.csv"
# plumes
PLUMES_CSV = "plumes.csv"
PLUMES_GEOJSON = "plumes.geojson"
PLUMES_BY_FACILITY_CSV = "plumes_by_facility.csv"
QUICKLOOK_PNG = f"{PLUMES_DIR}/quicklook_*.png"
PLUMES_THIRDPARTY_CSV = "plumes_thirdparty.csv"
PLUME_EVIDENCE_BY_FACILITY_CSV = "plume_evidence_by_facility.csv"
# inversion
INVERSION_RESULT_NC = f"{INVERSION_DIR}/result.nc"
INVERSION_TOTALS_CSV = f"{INVERSION_DIR}/totals.csv"
INVERSION_ELEMENTS_CSV = f"{INVERSION_DIR}/elements.csv"
INVERSION_MAPS_PNG = tuple(
    f"{INVERSION_DIR}/{n}.png" for n in ("prior", "posterior", "ratio", "sensitivity")
)
# verification
VERIFICATION_CSV = "verification.csv"
# reporting
ACTIVITY_CSV = "activity.csv"
CRT_XLSX = "crt.xlsx"
CRT_JSON = "crt.json"
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
VERIFICATION_PNG = "verification.png"
PLUMES_MAP_PNG = "plumes_map.png"
PLUMES_PERSISTENCE_PNG = "plumes_persistence.png"
MANIFEST_JSON = "manifest.json"
MANIFEST_SIG = "manifest.sig"

# --------------------------------------------------------------------------- table columns
#: The core columns of every plume table (own detections and third-party catalogues).
PLUME_CORE = (
    "time",
    "lat",
    "lon",
    "rate_t_per_h",
    "rate_sigma_t_per_h",
    "method",
    "source",
    "facility_id",
    "scene",
)
#: verification.csv columns (bottom-up against top-down, one row per evidence).
VERIFICATION_COLUMNS = (
    "category",
    "gas",
    "evidence",
    "evidence_year",
    "inventory_year",
    "bottom_up_kt",
    "bottom_up_low_kt",
    "bottom_up_high_kt",
    "top_down_kt",
    "top_down_sigma_kt",
    "z",
    "flag",
    "explanation",
    "osse",
)
#: The flags of verification.csv.
VERIFICATION_FLAGS = (
    "consistent",
    "inventory likely low",
    "inventory likely high",
    "not comparable (sensitivity too low)",
)
#: The top-down evidence table (input of the comparison, one row per estimate).
TOP_DOWN_COLUMNS = ("category", "gas", "year", "value_kt", "sigma_kt", "evidence", "kind")
#: What a top-down estimate is: the whole category, or a lower bound of it (plumes).
TOP_DOWN_KINDS = ("total", "lower_bound")
GASES = ("CO2", "CH4", "N2O")

ALWAYS = "always"


@dataclass(frozen=True)
class Output:
    """One output of a run folder.

    Attributes
    ----------
    name
        Path relative to the run folder (``/``-separated), or a glob pattern
        (``plumes/quicklook_*.png``).
    format
        ``csv``, ``json``, ``geojson``, ``yaml``, ``netcdf``, ``png``, ``xlsx``, ``html``,
        ``pdf`` or ``signature``.
    stage
        The stage that produces it (one of :data:`STAGES`).
    when
        ``"always"``, or the condition under which it is written.
    columns
        CSV: the columns it must have (more are allowed).
    may_be_empty
        CSV: may hold no table at all (an empty file) when there is nothing to list.
    description
        What it holds.
    """

    name: str
    format: str
    stage: str
    when: str = ALWAYS
    columns: tuple[str, ...] = ()
    may_be_empty: bool = False
    description: str = ""

    @property
    def required(self) -> bool:
        """Present in every run folder."""
        return self.when == ALWAYS

    @property
    def is_pattern(self) -> bool:
        """``name`` is a glob pattern."""
        return any(c in self.name for c in "*?[")

    def matches(self, rel: str) -> bool:
        """Whether a file (path relative to the run folder) is this output."""
        return fnmatchcase(rel, self.name) if self.is_pattern else rel == self.name


_SOUNDINGS = "the case lists satellite files (openmrv run)"
_UNC = "the case gives activity uncertainties (openmrv run)"
_THIRD = "the case lists third-party plume catalogues"
_PLUMES = "openmrv run, and the case lists plume scenes or third-party plume catalogues"
_INV = "the case has an inversion section (openmrv run)"
_UNC_CSV = ("category", "year", "mean", "median", "p2.5", "p97.5", "minus_pct", "plus_pct")
_BY_FAC = ("facility_id", "year", "detections", "annual_kt", "annual_sigma_kt")

#: Every output of a run folder, in the order the stages write them.
OUTPUTS: tuple[Output, ...] = (
    Output(INVENTORY_NC, "netcdf", INVENTORY, description="emissions dataset (data format)"),
    Output(INTERCHANGE_CSV, "csv", INVENTORY, columns=("area (ISO3)", "source", "entity", "unit"),
           description="primap2 interchange format, values"),
    Output(INTERCHANGE_YAML, "yaml", INVENTORY, description="primap2 interchange metadata"),
    Output(INTERCHANGE_NOTATION_KEYS, "csv", INVENTORY,
           columns=("area (ISO3)", "source", "entity", "unit"),
           description="primap2 interchange format, notation keys"),
    Output(EMISSIONS_CSV, "csv", INVENTORY,
           columns=("category", "gas", "year", "value_Gg", "tier", "method", "equation",
                    "activity", "key", "activity_flag", "factors", "factor_sources",
                    "activity_source"),
           description="one row per category, gas, activity and year"),
    Output(GAP_FILLING_CSV, "csv", INVENTORY, may_be_empty=True,
           columns=("category", "activity", "key", "year", "flag", "technique"),
           description="activity values filled in, and how"),
    Output(REFERENCE_APPROACH_CSV, "csv", INVENTORY, may_be_empty=True,
           columns=("fuel_family", "year", "reference_Gg_CO2", "sectoral_Gg_CO2",
                    "difference_pct"),
           description="energy CO2: reference against sectoral approach"),
    Output(COMPARISON_CSV, "csv", INVENTORY, may_be_empty=True,
           columns=("reference", "sector", "year", "reference_Mt_CO2e", "openmrv_Mt_CO2e",
                    "difference_pct"),
           description="comparison with external inventories (empty: no reference data)"),
    Output(RUN_JSON, "json", INVENTORY, description="case settings, input SHA-256, warnings"),
    Output(EMISSIONS_BY_SECTOR_PNG, "png", INVENTORY, description="emissions by sector"),
    Output(COMPARISON_PNG, "png", INVENTORY, "the case gives reference inventories",
           description="comparison with external inventories, last year"),
    Output(UNCERTAINTY_APPROACH1_CSV, "csv", UNCERTAINTY, _UNC,
           columns=("category", "gas", "key", "method"),
           description="IPCC Approach 1 (error propagation), Table 3.2 columns C-M"),
    Output(UNCERTAINTY_APPROACH2_CSV, "csv", UNCERTAINTY, _UNC, columns=_UNC_CSV,
           description="IPCC Approach 2 (Monte Carlo) by category and year"),
    Output(UNCERTAINTY_TREND_CSV, "csv", UNCERTAINTY, _UNC,
           columns=("category", "trend_mean_pct", "trend_p2.5_pct", "trend_p97.5_pct"),
           description="Approach 2 trend uncertainty"),
    Output(UNCERTAINTY_APPROACH2_BY_GAS_CSV, "csv", UNCERTAINTY, _UNC,
           columns=("category", "gas", *_UNC_CSV[1:]),
           description="Approach 2 by category, gas and year"),
    Output(KEY_CATEGORIES_CSV, "csv", UNCERTAINTY, _UNC,
           columns=("category", "gas", "base_year_Gg_CO2e", "latest_year_Gg_CO2e",
                    "key_category", "qualitative_flags"),
           description="key category analysis, level and trend, Approach 1 and 2"),
    Output(UNCERTAINTY_JSON, "json", UNCERTAINTY, _UNC,
           description="Monte Carlo draws, seed, convergence; Approach 1 totals"),
    Output(OBSERVATIONS_SUMMARY_CSV, "csv", OBSERVATIONS, _SOUNDINGS, columns=("what", "count"),
           description="files read, soundings kept and dropped, bad files"),
    Output(SOUNDINGS_NC, "netcdf", OBSERVATIONS, _SOUNDINGS + " and a sounding is over the country",
           description="soundings over the country (soundings format)"),
    Output(SOUNDINGS_MAP_PNG, "png", OBSERVATIONS,
           _SOUNDINGS + " and a sounding is over the country", description="map of soundings"),
    Output(PLUMES_THIRDPARTY_CSV, "csv", PLUMES, _THIRD, columns=PLUME_CORE,
           description="third-party plume detections in the country (plume table)"),
    Output(PLUME_EVIDENCE_BY_FACILITY_CSV, "csv", PLUMES, _THIRD, columns=_BY_FAC,
           may_be_empty=True, description="third-party detections annualised per facility"),
    Output(PLUMES_CSV, "csv", PLUMES, _PLUMES, columns=PLUME_CORE,
           description="the plume table: own detections and third-party ones"),
    Output(PLUMES_GEOJSON, "geojson", PLUMES, _PLUMES, description="the plume table as points"),
    Output(PLUMES_BY_FACILITY_CSV, "csv", PLUMES, _PLUMES, columns=_BY_FAC, may_be_empty=True,
           description="own detections annualised per facility and year"),
    Output(QUICKLOOK_PNG, "png", PLUMES, "a plume is detected in one of the case's scenes",
           description="quick-look figure per detected plume"),
    Output(INVERSION_RESULT_NC, "netcdf", INVERSION, _INV, description="posterior dataset"),
    Output(INVERSION_TOTALS_CSV, "csv", INVERSION, _INV,
           columns=("group", "gas", "year", "prior_kt", "prior_sigma_kt", "posterior_kt",
                    "posterior_sigma_kt", "dofs", "osse"),
           description="prior and posterior totals per category group"),
    Output(INVERSION_ELEMENTS_CSV, "csv", INVERSION, _INV,
           columns=("element", "kind", "lat", "lon", "prior", "posterior", "posterior_sigma",
                    "averaging_kernel"),
           description="state vector elements"),
    *(Output(n, "png", INVERSION, _INV, description="inversion map") for n in INVERSION_MAPS_PNG),
    Output(VERIFICATION_CSV, "csv", VERIFICATION,
           "some top-down evidence exists (plumes or inversion)", columns=VERIFICATION_COLUMNS,
           description="bottom-up against top-down, one row per evidence"),
    Output(ACTIVITY_CSV, "csv", REPORTING,
           columns=("category", "gas", "activity", "key", "year", "value", "unit"),
           description="activity data as used"),
    Output(CRT_XLSX, "xlsx", REPORTING, description="Common Reporting Tables"),
    Output(CRT_JSON, "json", REPORTING, description="Common Reporting Tables (crt-json)"),
    Output(REPORT_HTML, "html", REPORTING, description="BTR-ready report"),
    Output(REPORT_PDF, "pdf", REPORTING, "Chromium is installed", description="the report"),
    Output(VERIFICATION_PNG, "png", REPORTING, "verification.csv exists",
           description="bottom-up against top-down chart"),
    Output(PLUMES_MAP_PNG, "png", REPORTING, "a plume table exists", description="plume map"),
    Output(PLUMES_PERSISTENCE_PNG, "png", REPORTING, "a plume table exists",
           description="detections per facility over time"),
    Output(MANIFEST_JSON, "json", REPORTING,
           description="signed provenance manifest: inputs, software, settings, outputs"),
    Output(MANIFEST_SIG, "signature", REPORTING, description="Ed25519 signature of the manifest"),
)  # fmt: skip

#: Folders a run folder may hold.
FOLDERS = (OBSERVATIONS_DIR, PLUMES_DIR, INVERSION_DIR)


def path(folder: str | Path, name: str) -> Path:
    """The path of output ``name`` (a constant of this module) inside a run folder."""
    if name != MARKER and not any(o.name == name for o in OUTPUTS):
        raise KeyError(f"{name!r} is not a declared run-folder output (openmrv.runfolder)")
    return Path(folder) / name


def output(rel: str) -> Output | None:
    """The declared output a file (path relative to the run folder) is, or None."""
    for o in OUTPUTS:
        if o.matches(rel):
            return o
    return None


# --------------------------------------------------------------------------- errors
class RunFolderError(InputError):
    """A run folder is missing, incomplete, or holds a file that is not as specified."""


class MissingOutputError(RunFolderError):
    """A required output (or openmrv's marker) is missing from a run folder."""


class UnknownOutputError(RunFolderError):
    """A run folder holds a file that no stage of openmrv writes."""


class OutputFormatError(RunFolderError):
    """An output cannot be read as its declared format, or lacks declared columns."""


class PlumeTableError(OutputFormatError):
    """A plume table (``plumes.csv``, ``plumes_thirdparty.csv``) breaks its spec."""


class TopDownTableError(OutputFormatError):
    """A top-down evidence or verification table (``verification.csv``) breaks its spec."""


class OutFolderError(InputError):
    """``--out`` names a folder openmrv must not write (or replace)."""


class RunLockedError(OutFolderError):
    """Another openmrv run is writing the same run folder."""


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
    >= 0, ``sigma_kt`` >= 0, ``kind`` in :data:`TOP_DOWN_KINDS`, ``osse`` (if present)
    true/false.

    Raises
    ------
    TopDownTableError
    """
    cls = TopDownTableError
    _need(frame, TOP_DOWN_COLUMNS, cls, file)
    frame = frame.reset_index(drop=True)
    _common(frame, cls, file, year="year", gas="gas")
    value = _numeric(frame, "value_kt", cls, file, allow_nan=False)
    sigma = _numeric(frame, "sigma_kt", cls, file, allow_nan=False)
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
    ``bottom_up_kt`` >= 0 and ``top_down_sigma_kt`` >= 0; ``flag`` in
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
    for col in ("bottom_up_kt", "top_down_kt", "top_down_sigma_kt"):
        s = _numeric(frame, col, cls, file, allow_nan=False)
        if (s < 0).any():
            _fail(cls, "negative; must be >= 0 kt", file, col, frame.index[s < 0])
    for col in ("bottom_up_low_kt", "bottom_up_high_kt", "z"):
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


#: Content validators of run-folder tables, by name.
VALIDATORS = {
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


def files_of(folder: str | Path) -> list[str]:
    """Every file of a run folder, relative, ``/``-separated, sorted (the marker left out)."""
    folder = Path(folder)
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if not p.is_dir() and p.relative_to(folder).as_posix() != MARKER
    )


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


# --------------------------------------------------------------------------- marker
def read_marker(folder: str | Path) -> dict[str, Any]:
    """openmrv's marker of a run folder.

    Raises
    ------
    MissingOutputError
        No marker, or not one openmrv wrote.
    """
    file = Path(folder) / MARKER
    if not file.is_file():
        raise MissingOutputError(
            "openmrv's marker is missing: not a run folder written by 'openmrv run'", file=file
        )
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
        if doc.get("written_by") != "openmrv" or not isinstance(doc.get("files"), list):
            raise ValueError("no 'written_by': 'openmrv' and 'files' list")
    except (ValueError, UnicodeDecodeError, AttributeError) as exc:
        raise MissingOutputError(f"not openmrv's marker ({exc})", file=file) from None
    return doc


def _version() -> str:
    from openmrv import __version__

    return __version__


def write_marker(folder: str | Path, *, complete: bool, created_utc: str | None = None) -> Path:
    """Write openmrv's marker into ``folder``: version, creation time, the files there."""
    folder = Path(folder)
    doc = {
        "written_by": "openmrv",
        "marker_version": MARKER_VERSION,
        "openmrv_version": _version(),
        "created_utc": created_utc or datetime.now(UTC).isoformat(timespec="seconds"),
        "complete": complete,
        "files": files_of(folder),
    }
    tmp = folder / f"{MARKER}.part"
    tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, folder / MARKER)
    return folder / MARKER


def _created_files(folder: Path) -> set[str] | None:
    """The files openmrv says it created in ``folder``: its marker's list, or for a run
    folder of an openmrv that wrote no marker, its signed manifest's outputs. None: no
    sign that openmrv created the folder."""
    with contextlib.suppress(RunFolderError):
        return set(read_marker(folder)["files"]) | {MARKER, f"{MARKER}.part"}
    try:
        doc = json.loads((folder / MANIFEST_JSON).read_text(encoding="utf-8"))
        return {str(e["path"]) for e in doc["outputs"]} | {MANIFEST_JSON, MANIFEST_SIG}
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def foreign_files(folder: str | Path) -> list[str]:
    """The entries of an existing folder openmrv did not create (empty: openmrv may
    replace the folder). Sub-folders count by their files."""
    folder = Path(folder)
    entries = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_symlink() or not p.is_dir()
    )
    if not entries:
        return []
    created = _created_files(folder)
    if created is None:
        return entries
    return [e for e in entries if e not in created]


# --------------------------------------------------------------------------- --out
def check_out(out: str | Path, *, case_root: str | Path | None = None) -> Path:
    """Check ``--out`` before anything is computed; return it as an absolute path.

    Refused (:class:`OutFolderError`, saying what to do): the file-system root, the current
    folder or any folder holding it, the home folder or any folder holding it, the case
    folder, any folder holding it or inside it, a symbolic link, an existing file, an
    existing folder with files openmrv did not write (its :data:`MARKER`, or for older
    run folders its manifest, says which files openmrv wrote), a parent folder that
    cannot be written.
    """
    text = str(out).strip()
    if not text:
        raise OutFolderError("--out is empty; name a new folder for the run", field="out")
    target = Path(os.path.abspath(Path(text).expanduser()))
    real = target.resolve()
    hint = "; name a new folder (e.g. --out runs/<case>-<date>)"
    if real == Path(real.anchor):
        raise OutFolderError("--out is the root folder" + hint, file=target)
    cwd = Path.cwd().resolve()
    if real == cwd or cwd.is_relative_to(real):
        raise OutFolderError(
            "--out is the current folder or holds it; replacing it would delete it" + hint,
            file=target,
        )
    home = Path.home().resolve()
    if real == home or home.is_relative_to(real):
        raise OutFolderError("--out is the home folder or holds it" + hint, file=target)
    if case_root is not None:
        case = Path(case_root).resolve()
        if real == case or case.is_relative_to(real):
            raise OutFolderError(
                f"--out is the case folder {case} or holds it; openmrv never writes over its "
                "inputs" + hint,
                file=target,
            )
        if real.is_relative_to(case):
            raise OutFolderError(
                f"--out lies inside the case folder {case}; keep run folders out of the case "
                "(its files are the run's inputs)" + hint,
                file=target,
            )
    if target.is_symlink():
        raise OutFolderError("--out is a symbolic link; name the folder itself", file=target)
    if target.exists() and not target.is_dir():
        raise OutFolderError(
            "--out is an existing file; openmrv writes a folder and never replaces a file" + hint,
            file=target,
        )
    if target.is_dir():
        foreign = foreign_files(target)
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise OutFolderError(
                f"--out is an existing folder with files openmrv did not write ({shown}); "
                "openmrv replaces only its own run folders and never deletes other files" + hint,
                file=target,
            )
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise OutFolderError(
            f"cannot write in {parent}; choose a --out in a folder you can write", file=target
        )
    return target


# --------------------------------------------------------------------------- writer
def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def _acquire(lock: Path, target: Path) -> int:
    busy = RunLockedError(
        f"another openmrv run is writing {target}; wait for it to finish or choose another --out",
        file=target,
    )
    while True:
        if fcntl is None:  # pragma: no cover
            try:
                return os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                raise busy from None
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise busy from None
        try:  # the lock file may have been removed by the run that held it: lock anew
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _release(fd: int, lock: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock)  # while still holding it: a waiting run then locks a new file
    os.close(fd)


def _sibling(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.{kind}")


def _remove_created(folder: Path, target: Path) -> None:
    """Delete a run folder openmrv created (moved aside from ``target``); what it did not
    create is kept, visibly, beside ``target`` (and named in a warning)."""
    created = _created_files(folder) or set()
    for p in sorted(folder.rglob("*"), key=lambda q: len(q.parts), reverse=True):
        rel = p.relative_to(folder).as_posix()
        if p.is_dir() and not p.is_symlink():
            with contextlib.suppress(OSError):
                p.rmdir()
        elif rel in created:
            p.unlink()
    try:
        folder.rmdir()
    except OSError:
        kept = target.with_name(f"{target.name}.kept-{datetime.now(UTC):%Y%m%dT%H%M%S}")
        os.rename(folder, kept)
        warnings.warn(
            f"files openmrv did not write were added to the run folder during the run; "
            f"they are kept in {kept}",
            stacklevel=3,
        )


def _sweep(target: Path) -> None:
    """Remove temporary siblings of ``target`` that crashed openmrv runs left (only
    those holding openmrv's marker; called under the lock)."""
    for kind in ("tmp", "old"):
        for p in target.parent.glob(f".{target.name}.*.{kind}"):
            if p.is_dir() and not p.is_symlink() and (p / MARKER).is_file():
                shutil.rmtree(p, ignore_errors=True)


class RunFolderWriter:
    """Write a run folder safely (``with RunFolderWriter(out, case_root=...) as rf:``).

    On entry: :func:`check_out`; an exclusive lock (``.<name>.lock`` beside ``out``,
    non-blocking: a second run into the same ``out`` fails at once with
    :class:`RunLockedError`); a private temporary sibling ``.<name>.<random>.tmp``
    (:attr:`path`) with openmrv's :data:`MARKER`. Write every output into :attr:`path`.

    On a clean exit: the marker lists every file, the folder is checked with
    :func:`ensure_valid_run` (``validate``), then swapped in: an existing ``out`` (which
    :func:`check_out` found to be openmrv's) is renamed to a private sibling, the new
    folder renamed to ``out``, the old one deleted (only the files its marker or
    manifest says openmrv wrote). Between the two renames ``out`` does not exist (two
    ``rename`` calls, microseconds; a crash exactly then leaves both folders as hidden
    siblings, swept by the next run). On an exception: only the temporary sibling is
    removed; ``out`` is untouched. The lock is released in both cases.
    """

    def __init__(
        self, out: str | Path, *, case_root: str | Path | None = None, validate: bool = True
    ) -> None:
        self.out = out
        self.case_root = case_root
        self.validate = validate
        self.target = Path(os.path.abspath(Path(str(out)).expanduser()))
        self.path: Path | None = None
        self._fd: int | None = None
        self._created = ""
        self._committed = False

    def __enter__(self) -> RunFolderWriter:
        self.target = check_out(self.out, case_root=self.case_root)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutFolderError(
                f"cannot create the run folder's parent ({exc}); choose a writable --out",
                file=self.target,
            ) from None
        lock = _lock_path(self.target)
        self._fd = _acquire(lock, self.target)
        try:
            check_out(self.out, case_root=self.case_root)  # again, now that we hold the lock
            _sweep(self.target)
            for _ in range(100):
                tmp = _sibling(self.target, "tmp")
                try:
                    tmp.mkdir()  # mode 0777 less umask, as a plain mkdir
                    break
                except FileExistsError:
                    continue
            self.path = tmp
            self._created = datetime.now(UTC).isoformat(timespec="seconds")
            write_marker(tmp, complete=False, created_utc=self._created)
        except BaseException:
            if self.path is not None:
                shutil.rmtree(self.path, ignore_errors=True)
            _release(self._fd, lock)
            self._fd = None
            raise
        return self

    def final(self, file: str | Path) -> Path:
        """Where a file written under :attr:`path` (the temporary folder) is once the run
        folder is in place (``target``)."""
        assert self.path is not None
        return self.target / Path(file).relative_to(self.path)

    def _commit(self) -> None:
        assert self.path is not None
        write_marker(self.path, complete=True, created_utc=self._created)
        if self.validate:
            ensure_valid_run(self.path)
        old = None
        if self.target.exists() or self.target.is_symlink():
            foreign = [] if not self.target.is_dir() else foreign_files(self.target)
            if foreign or not self.target.is_dir() or self.target.is_symlink():
                raise OutFolderError(
                    f"{self.target} changed during the run and now holds files openmrv did "
                    f"not write ({', '.join(foreign[:5]) or 'not a folder'}); nothing was "
                    "replaced: choose another --out",
                    file=self.target,
                )
            old = _sibling(self.target, "old")
            os.rename(self.target, old)
        try:
            os.rename(self.path, self.target)
        except BaseException:
            if old is not None:
                os.rename(old, self.target)
            raise
        self._committed = True
        if old is not None:
            _remove_created(old, self.target)

    def __exit__(self, exc_type, exc, tb) -> None:
        lock = _lock_path(self.target)
        try:
            if exc_type is None:
                self._commit()
        finally:
            if self.path is not None and not self._committed:
                shutil.rmtree(self.path, ignore_errors=True)
            if self._fd is not None:
                _release(self._fd, lock)
                self._fd = None


@contextlib.contextmanager
def open_run(
    out: str | Path, *, case_root: str | Path | None = None, validate: bool = True
) -> Iterator[Path]:
    """``with open_run(out, case_root=case_dir) as tmp:`` write the outputs into ``tmp``;
    on a clean exit the folder replaces ``out`` (see :class:`RunFolderWriter`)."""
    with RunFolderWriter(out, case_root=case_root, validate=validate) as rf:
        assert rf.path is not None
        yield rf.path


def describe(outputs: Iterable[Output] = OUTPUTS) -> Mapping[str, list[Output]]:
    """The outputs grouped by stage (for documentation)."""
    out: dict[str, list[Output]] = {s: [] for s in STAGES}
    for o in outputs:
        out[o.stage].append(o)
    return out
