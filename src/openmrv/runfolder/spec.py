"""The run-folder specification: every output of a run folder declared once (name or
pattern, format, producing stage, when present, columns), the errors of a bad run folder,
and openmrv's marker (:data:`MARKER`) that says which files openmrv wrote
(``docs/run-folder.md``)."""

from __future__ import annotations

import contextlib
import csv
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from openmrv import __version__
from openmrv.errors import InputError

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
SATELLITE_RECORD_CSV = "satellite_record.csv"
SATELLITE_RECORD_PNG = "satellite_record.png"
# plumes
PLUMES_CSV = "plumes.csv"
PLUMES_GEOJSON = "plumes.geojson"
PLUMES_BY_FACILITY_CSV = "plumes_by_facility.csv"
QUICKLOOK_PNG = f"{PLUMES_DIR}/quicklook_*.png"
PLUMES_THIRDPARTY_CSV = "plumes_thirdparty.csv"
PLUME_EVIDENCE_BY_FACILITY_CSV = "plume_evidence_by_facility.csv"
PLUME_ANNUALISATION_SENSITIVITY_CSV = "plume_annualisation_sensitivity.csv"
# inversion
INVERSION_RESULT_NC = f"{INVERSION_DIR}/result.nc"
INVERSION_TOTALS_CSV = f"{INVERSION_DIR}/totals.csv"
INVERSION_ELEMENTS_CSV = f"{INVERSION_DIR}/elements.csv"
INVERSION_SOUNDINGS_CSV = f"{INVERSION_DIR}/soundings_per_month.csv"
RECALCULATIONS_CSV = "recalculations.csv"
INVERSION_MAPS_PNG = tuple(
    f"{INVERSION_DIR}/{n}.png" for n in ("prior", "posterior", "ratio", "sensitivity")
)
# verification
VERIFICATION_CSV = "verification.csv"
HEADLINE_JSON = "headline.json"
REGIONS_CSV = "regions.csv"
REGIONS_MAP_PNG = "regions_map.png"
REGIONS_POSTERIOR_PNG = "regions_posterior.png"
IMPROVEMENT_PLAN_CSV = "improvement_plan.csv"
# reporting
ACTIVITY_CSV = "activity.csv"
CRT_XLSX = "crt.xlsx"
CRT_JSON = "crt.json"
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
NID_HTML = "nid.html"
NID_PDF = "nid.pdf"
NID_TEXTS_JSON = "nid_texts.json"
VERIFICATION_PNG = "verification.png"
PLUMES_MAP_PNG = "plumes_map.png"
PLUMES_PERSISTENCE_PNG = "plumes_persistence.png"
MANIFEST_JSON = "manifest.json"
MANIFEST_SIG = "manifest.sig"
# exports: written beside a run folder by 'openmrv export', never into it (see EXPORTS)
CRT_ETF_JSON = "crt_etf.json"
CRT_ETF_MAPPING_CSV = "crt_etf_mapping.csv"

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
    "top_down_low_kt",
    "top_down_high_kt",
    "z",
    "flag",
    "explanation",
    "osse",
)
#: improvement_plan.csv columns (what to do about it: key categories, persistent plume
#: sites, what-if rows; docs/data-format.md).
IMPROVEMENT_PLAN_COLUMNS = (
    "priority",
    "kind",
    "category",
    "gas",
    "name",
    "facility_id",
    "year",
    "value_kt",
    "low_kt",
    "high_kt",
    "tier",
    "key_category",
    "variance_share",
    "days_detected",
    "top_down_verdict",
    "top_down_evidence",
    "reason",
    "step",
    "guideline",
    "data_needed",
)
#: The kinds of improvement_plan.csv rows.
IMPROVEMENT_KINDS = ("category", "site", "what-if")
#: The verdict table: the exact verdict strings, the evidence kind each applies to, its
#: rule and threshold with their sources (``openmrv/verify/data/verdicts.csv``).
VERDICTS_CSV_PATH = Path(__file__).parents[1] / "verify" / "data" / "verdicts.csv"


def _verdict_rows() -> dict[str, dict[str, str]]:
    with VERDICTS_CSV_PATH.open(newline="") as fh:
        return {r["key"]: r for r in csv.DictReader(fh)}


#: verdict key -> verdict string (the table's rows, in its order)
VERDICTS: dict[str, str] = {k: r["verdict"] for k, r in _verdict_rows().items()}
#: fewest valid views of a site in a year for an annual figure (the threshold of the
#: ``insufficient_coverage`` verdict); below it a row has no value (NaN)
COVERAGE_MIN_VALID_VIEWS = float(_verdict_rows()["insufficient_coverage"]["threshold"])
#: The flags of verification.csv: the verdicts of the table.
VERIFICATION_FLAGS = tuple(VERDICTS.values())
#: The top-down evidence table (input of the comparison, one row per estimate).
TOP_DOWN_COLUMNS = ("category", "gas", "year", "value_kt", "sigma_kt", "evidence", "kind")
#: What a top-down estimate is: the whole category, or a lower bound of it (plumes).
TOP_DOWN_KINDS = ("total", "lower_bound")

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
_XCH4 = "the case gives top_down.xch4_record (openmrv run)"
_INV = "the case has an inversion section (openmrv run)"
_UNC_CSV = ("category", "year", "mean", "median", "p2.5", "p97.5", "minus_pct", "plus_pct")
_REG = "the case gives regions: and region_names: (openmrv run)"
_REG_CSV = ("region", "source_name", "area_km2", "inventory_year", "inventory_1B2_kt",
            "inventory_1B2_share")  # fmt: skip
_BY_FAC = ("facility_id", "year", "detections", "annual_kt", "annual_sigma_kt")
_SENS = ("evidence", "year", "assumption", "shared", "low_setting", "high_setting",
         "central_kt", "result_low_kt", "result_high_kt", "source")  # fmt: skip

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
    Output(SATELLITE_RECORD_CSV, "csv", OBSERVATIONS, _XCH4,
           columns=(*TOP_DOWN_COLUMNS, "low_kt", "high_kt", "detection_limit_kt", "detectable"),
           description="national CH4 per year from a gridded XCH4 record (mass balance)"),
    Output(SATELLITE_RECORD_PNG, "png", OBSERVATIONS, _XCH4,
           description="inventory CH4 series against the satellite record's series"),
    Output(PLUMES_THIRDPARTY_CSV, "csv", PLUMES, _THIRD, columns=PLUME_CORE,
           description="third-party plume detections in the country (plume table)"),
    Output(PLUME_EVIDENCE_BY_FACILITY_CSV, "csv", PLUMES, _THIRD, columns=_BY_FAC,
           may_be_empty=True, description="third-party detections annualised per facility"),
    Output(PLUME_ANNUALISATION_SENSITIVITY_CSV, "csv", PLUMES, _THIRD, columns=_SENS,
           may_be_empty=True,
           description="the annual plume sum with each assumption at its low and high value"),
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
    Output(INVERSION_SOUNDINGS_CSV, "csv", INVERSION, "the inversion read real soundings",
           columns=("month", "product", "soundings", "in_period"),
           description="real soundings the inversion read (QA-passed, in its domain) per month"),
    *(Output(n, "png", INVERSION, _INV, description="inversion map") for n in INVERSION_MAPS_PNG),
    Output(VERIFICATION_CSV, "csv", VERIFICATION,
           "some top-down evidence exists (plumes, inversion or published estimates)",
           columns=VERIFICATION_COLUMNS,
           description="bottom-up against top-down, one row per evidence"),
    Output(RECALCULATIONS_CSV, "csv", VERIFICATION, "openmrv run --previous RUN",
           columns=("previous_run", "category", "gas", "year", "previous_Gg", "current_Gg",
                    "difference_Gg", "difference_pct", "reason"),
           description="estimates that differ from the previous run, with what changed"),
    Output(HEADLINE_JSON, "json", VERIFICATION, "openmrv run (the top-down stages ran)",
           description="the run's headline in plain words, its parts and citations"),
    Output(REGIONS_CSV, "csv", VERIFICATION, _REG, columns=_REG_CSV,
           description="inventory (by spatial proxy), plumes and inversion by region"),
    Output(REGIONS_MAP_PNG, "png", VERIFICATION, _REG,
           description="regions, oil and gas sites, pipelines, plumes"),
    Output(REGIONS_POSTERIOR_PNG, "png", VERIFICATION, "regions are given and an inversion ran",
           description="the inversion's 1.B.2 posterior by region on the region borders"),
    Output(IMPROVEMENT_PLAN_CSV, "csv", VERIFICATION, _UNC + " and runs the top-down stages",
           columns=IMPROVEMENT_PLAN_COLUMNS,
           description="improvement plan: key categories, persistent plume sites, what-if"),
    Output(ACTIVITY_CSV, "csv", REPORTING,
           columns=("category", "gas", "activity", "key", "year", "value", "unit"),
           description="activity data as used"),
    Output(CRT_XLSX, "xlsx", REPORTING, description="Common Reporting Tables"),
    Output(CRT_JSON, "json", REPORTING, description="Common Reporting Tables (crt-json)"),
    Output(REPORT_HTML, "html", REPORTING, description="BTR-ready report"),
    Output(REPORT_PDF, "pdf", REPORTING, "Chromium is installed", description="the report"),
    Output(NID_TEXTS_JSON, "json", REPORTING,
           description="the case's national inventory document texts (nid:), as rendered"),
    Output(NID_HTML, "html", REPORTING, description="national inventory document (NID)"),
    Output(NID_PDF, "pdf", REPORTING, "Chromium is installed", description="the NID"),
    Output(VERIFICATION_PNG, "png", REPORTING, "verification.csv exists",
           description="bottom-up against top-down chart"),
    Output(PLUMES_MAP_PNG, "png", REPORTING, "a plume table exists", description="plume map"),
    Output(PLUMES_PERSISTENCE_PNG, "png", REPORTING, "a plume table exists",
           description="detections per facility over time"),
    Output(MANIFEST_JSON, "json", REPORTING,
           description="signed provenance manifest: inputs, software, settings, outputs"),
    Output(MANIFEST_SIG, "signature", REPORTING, description="Ed25519 signature of the manifest"),
)  # fmt: skip

_ETF = "openmrv export etf RUN --metadata FILE --out DIR (DIR beside the run folder)"
#: Files written from a run folder into another folder (never into the signed run folder).
EXPORTS: tuple[Output, ...] = (
    Output(CRT_ETF_JSON, "json", REPORTING, _ETF,
           description="ETF reporting tool data-exchange JSON (docs/etf-json.md)"),
    Output(CRT_ETF_MAPPING_CSV, "csv", REPORTING, _ETF,
           columns=("crt_code", "gas", "status", "variable_uid", "variable_name", "years"),
           description="each CRT cell's ETF variable, or why it has none"),
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


def files_of(folder: str | Path) -> list[str]:
    """Every file of a run folder, relative, ``/``-separated, sorted (the marker left out)."""
    folder = Path(folder)
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if not p.is_dir() and p.relative_to(folder).as_posix() != MARKER
    )


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


def write_marker(folder: str | Path, *, complete: bool, created_utc: str | None = None) -> Path:
    """Write openmrv's marker into ``folder``: version, creation time, the files there."""
    folder = Path(folder)
    doc = {
        "written_by": "openmrv",
        "marker_version": MARKER_VERSION,
        "openmrv_version": __version__,
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
