"""A case: ``case.yaml`` plus activity-data CSVs, notation keys and a facility register.

Everything is checked up front, before any computation, and every problem is
reported with the file, the line and the field, what was found and what was
expected. See ``docs/data-format.md`` for the file layouts.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from openmrv.categories import check_code
from openmrv.dataformat import NOTATION_KEYS
from openmrv.errors import CaseError
from openmrv.factors import QUALIFIER_NAMES
from openmrv.gwp import ETF_DEFAULT, check_gwp_set
from openmrv.units import parse_unit

ACTIVITY_COLUMNS: tuple[str, ...] = (
    "category",
    "activity",
    "key",
    "year",
    "value",
    "unit",
    "source",
    "notes",
)
NOTATION_COLUMNS: tuple[str, ...] = ("category", "gas", "notation_key", "explanation")
FACILITY_COLUMNS: tuple[str, ...] = (
    "facility_id",
    "name",
    "type",
    "category",
    "lat",
    "lon",
    "country",
    "operator",
    "start_year",
    "capacity",
    "capacity_unit",
    "source",
    "notes",
)
GapFilling = Literal["none", "interpolate", "interpolate+extrapolate"]
GAP_FILLING: tuple[str, ...] = ("none", "interpolate", "interpolate+extrapolate")
_KNOWN_KEYS = {
    "name",
    "country",
    "years",
    "gwp",
    "category_system",
    "qualifiers",
    "factors",
    "activity",
    "notation_keys",
    "facilities",
    "gap_filling",
    "references",
    "description",
    "qualifiers_by_table",
    "uncertainty",
    "top_down",
}
UNCERTAINTY_COLUMNS: tuple[str, ...] = (
    "category",
    "activity",
    "key",
    "uncertainty_pct",
    "distribution",
    "source",
    "notes",
)


@dataclass
class Case:
    """A validated case folder."""

    root: Path
    name: str
    country: str
    first_year: int
    last_year: int
    gwp: str = ETF_DEFAULT
    category_system: str = "IPCC2006"
    qualifiers: dict[str, str] = field(default_factory=dict)
    qualifiers_by_table: dict[str, dict[str, str]] = field(default_factory=dict)
    factor_prefer: list[str] = field(default_factory=list)
    factor_files: list[Path] = field(default_factory=list)
    activity_files: list[Path] = field(default_factory=list)
    notation_file: Path | None = None
    facilities_file: Path | None = None
    gap_filling: str = "none"
    #: per-series splices: (category, activity, key) -> (method, reference series)
    splices: dict[tuple[str, str, str], tuple[str, tuple[str, str, str]]] = field(
        default_factory=dict
    )
    references: dict[str, Path] = field(default_factory=dict)
    description: str = ""
    uncertainty_file: Path | None = None
    plume_catalogues: list[Path] = field(default_factory=list)
    #: satellite Level-2 files for the observations stage (any registered product)
    sounding_files: list[Path] = field(default_factory=list)
    #: scenes (TROPOMI plume patches) for openmrv's own plume detection
    plume_scenes: list[Path] = field(default_factory=list)
    mc_draws: int = 100_000
    mc_seed: int = 20251220
    mc_chunk_size: int = 20_000
    #: ``top_down: inversion:`` settings, checked (see :func:`_inversion`); None if absent
    inversion: dict[str, Any] | None = None

    @property
    def years(self) -> list[int]:
        """Inventory years, first to last."""
        return list(range(self.first_year, self.last_year + 1))

    @property
    def config_file(self) -> Path:
        return self.root / "case.yaml"

    def inputs(self) -> list[Path]:
        """Every input file of the case (for provenance)."""
        files = [
            self.config_file,
            *self.factor_files,
            *self.activity_files,
            *self.references.values(),
            *self.plume_catalogues,
            *self.sounding_files,
            *self.plume_scenes,
        ]
        files += [
            p
            for p in (self.notation_file, self.facilities_file, self.uncertainty_file)
            if p is not None
        ]
        inv = self.inversion or {}
        files += ([inv["winds"]] if "winds" in inv else []) + list(inv.get("soundings", []))
        return files


SPLICE_METHODS: tuple[str, ...] = ("overlap", "surrogate")


def _series_id(spec: Any, path: Path, where: str, system: str) -> tuple[str, str, str]:
    if not isinstance(spec, dict) or not {"category", "activity"} <= set(spec):
        raise CaseError(
            "a series is given as {category: ..., activity: ..., key: ...}", file=path, field=where
        )
    return (
        check_code(str(spec["category"]), system, file=str(path), field=where),
        str(spec["activity"]),
        str(spec.get("key") or ""),
    )


def _splice(
    sp: Any, i: int, path: Path, system: str
) -> dict[tuple[str, str, str], tuple[str, tuple[str, str, str]]]:
    """One entry of ``gap_filling: series:`` (Vol 1 Ch 5.3: overlap or surrogate)."""
    where = f"gap_filling.series[{i}]"
    if not isinstance(sp, dict) or sp.get("method") not in SPLICE_METHODS:
        raise CaseError(
            f"needs 'method:' one of {', '.join(SPLICE_METHODS)}", file=path, field=where
        )
    ref_name = "old" if sp["method"] == "overlap" else "proxy"
    if ref_name not in sp:
        raise CaseError(
            f"method {sp['method']} needs '{ref_name}:' (the series it uses)",
            file=path,
            field=where,
        )
    target = _series_id(sp, path, where, system)
    return {target: (sp["method"], _series_id(sp[ref_name], path, f"{where}.{ref_name}", system))}


def _require(cfg: dict, key: str, path: Path) -> Any:
    if key not in cfg or cfg[key] in (None, ""):
        raise CaseError(f"'{key}' is required", file=path, field=key)
    return cfg[key]


def _file(root: Path, rel: Any, path: Path, key: str) -> Path:
    if not isinstance(rel, str) or not rel:
        raise CaseError("expected a relative file path", file=path, field=key)
    p = (root / rel).resolve()
    if not p.is_file():
        raise CaseError(f"file '{rel}' does not exist (looked in {root})", file=path, field=key)
    return p


def load_case(folder: str | Path) -> Case:
    """Read and check ``<folder>/case.yaml`` and the files it names.

    Raises
    ------
    CaseError
        For a missing folder or file, malformed YAML, an unknown key or a bad value.
    """
    root = Path(folder)
    if not root.is_dir():
        raise CaseError("case folder not found; give the folder that holds case.yaml", file=root)
    path = root / "case.yaml"
    if not path.is_file():
        raise CaseError("case.yaml not found in the case folder", file=path)
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CaseError(
            f"is not valid YAML: {getattr(exc, 'problem', exc)}",
            file=path,
            row=None if mark is None else mark.line + 1,
        ) from None
    if not isinstance(cfg, dict):
        raise CaseError(
            "must be a YAML mapping of settings (name:, country:, years: ...)", file=path
        )
    unknown = set(cfg) - _KNOWN_KEYS
    if unknown:
        raise CaseError(
            f"unknown settings {sorted(unknown)}; known: {sorted(_KNOWN_KEYS)}",
            file=path,
            field=sorted(unknown)[0],
        )
    years = _require(cfg, "years", path)
    if not (
        isinstance(years, dict)
        and isinstance(years.get("first"), int)
        and isinstance(years.get("last"), int)
        and years["first"] <= years["last"]
    ):
        raise CaseError(
            "expected 'years: {first: 1990, last: 2020}' with first <= last",
            file=path,
            field="years",
        )
    country = str(_require(cfg, "country", path))
    if len(country) != 3 or not country.isupper():
        raise CaseError(
            f"country '{country}' is not an ISO 3166 alpha-3 code such as TKM",
            file=path,
            field="country",
        )
    gwp_name = str(cfg.get("gwp", ETF_DEFAULT))
    try:
        check_gwp_set(gwp_name)
    except Exception as exc:
        raise CaseError(str(exc), file=path, field="gwp") from None
    qualifiers = cfg.get("qualifiers") or {}
    if not isinstance(qualifiers, dict) or set(qualifiers) - set(QUALIFIER_NAMES):
        raise CaseError(
            f"qualifiers must be a mapping with names from {QUALIFIER_NAMES}",
            file=path,
            field="qualifiers",
        )
    by_table = cfg.get("qualifiers_by_table") or {}
    if not isinstance(by_table, dict) or not all(
        isinstance(v, dict) and not set(v) - set(QUALIFIER_NAMES) for v in by_table.values()
    ):
        raise CaseError(
            f"qualifiers_by_table must map a table id to qualifiers named from {QUALIFIER_NAMES}",
            file=path,
            field="qualifiers_by_table",
        )
    factors = cfg.get("factors") or {}
    if not isinstance(factors, dict) or set(factors) - {"prefer", "country_specific"}:
        raise CaseError(
            "factors takes 'prefer: [table ids]' and 'country_specific: [csv]'",
            file=path,
            field="factors",
        )
    activity = _require(cfg, "activity", path)
    if not isinstance(activity, list) or not activity:
        raise CaseError("activity must be a list of CSV files", file=path, field="activity")
    category_system = str(cfg.get("category_system", "IPCC2006"))
    if category_system != "IPCC2006":
        raise CaseError(
            f"category_system '{category_system}' unknown; use IPCC2006",
            file=path,
            field="category_system",
        )
    gap_cfg = cfg.get("gap_filling", "none")
    splices = {}
    if isinstance(gap_cfg, dict):
        gap = str(gap_cfg.get("default", "none"))
        for i, sp in enumerate(gap_cfg.get("series") or []):
            splices.update(_splice(sp, i, path, category_system))
    else:
        gap = str(gap_cfg)
    if gap not in GAP_FILLING:
        raise CaseError(
            f"gap_filling '{gap}' unknown; choose one of {', '.join(GAP_FILLING)}",
            file=path,
            field="gap_filling",
        )
    refs = cfg.get("references") or {}
    if not isinstance(refs, dict):
        raise CaseError("references must map a name to a CSV file", file=path, field="references")
    unc = cfg.get("uncertainty") or {}
    if not isinstance(unc, dict) or set(unc) - {"activity", "draws", "seed", "chunk_size"}:
        raise CaseError(
            "uncertainty takes 'activity: <csv>', 'draws', 'seed', 'chunk_size'",
            file=path,
            field="uncertainty",
        )
    for name in ("draws", "seed", "chunk_size"):
        if name in unc and (not isinstance(unc[name], int) or unc[name] < 1):
            raise CaseError(
                f"uncertainty.{name} must be a positive integer",
                file=path,
                field=f"uncertainty.{name}",
            )
    td = cfg.get("top_down") or {}
    if not isinstance(td, dict) or set(td) - {
        "plume_catalogues",
        "soundings",
        "plume_scenes",
        "inversion",
    }:
        raise CaseError(
            "top_down takes 'plume_catalogues: [csv, ...]', 'soundings: [L2 file, ...]', "
            "'plume_scenes: [scene, ...]' and 'inversion: {...}'",
            file=path,
            field="top_down",
        )
    case = Case(
        root=root.resolve(),
        name=str(cfg.get("name", root.name)),
        country=country,
        first_year=years["first"],
        last_year=years["last"],
        gwp=gwp_name,
        category_system=category_system,
        qualifiers={str(k): str(v) for k, v in qualifiers.items()},
        qualifiers_by_table={
            str(t): {str(k): str(v) for k, v in q.items()} for t, q in by_table.items()
        },
        factor_prefer=[str(t) for t in factors.get("prefer", [])],
        factor_files=[
            _file(root, f, path, "factors.country_specific")
            for f in factors.get("country_specific", [])
        ],
        activity_files=[_file(root, f, path, "activity") for f in activity],
        notation_file=(
            _file(root, cfg["notation_keys"], path, "notation_keys")
            if cfg.get("notation_keys")
            else None
        ),
        facilities_file=(
            _file(root, cfg["facilities"], path, "facilities") if cfg.get("facilities") else None
        ),
        gap_filling=gap,
        splices=splices,
        references={str(k): _file(root, v, path, f"references.{k}") for k, v in refs.items()},
        description=str(cfg.get("description", "")),
        uncertainty_file=(
            _file(root, unc["activity"], path, "uncertainty.activity")
            if unc.get("activity")
            else None
        ),
        mc_draws=int(unc.get("draws", 100_000)),
        mc_seed=int(unc.get("seed", 20251220)),
        mc_chunk_size=int(unc.get("chunk_size", 20_000)),
        plume_catalogues=[
            _file(root, f, path, "top_down.plume_catalogues")
            for f in td.get("plume_catalogues", [])
        ],
        sounding_files=[
            _file(root, f, path, "top_down.soundings") for f in td.get("soundings", [])
        ],
        plume_scenes=[
            _file(root, f, path, "top_down.plume_scenes") for f in td.get("plume_scenes", [])
        ],
        inversion=_inversion(td["inversion"], root, path) if td.get("inversion") else None,
    )
    return case


#: ``top_down: inversion:`` keys, their types and what they mean (docs/inversion.md)
INVERSION_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "region": (str, "ISO3 code of the country (default: the case's country)"),
    "year": (int, "inventory year of the prior (default: the last year)"),
    "resolution": ((int, float), "grid resolution [degree]"),
    "padding": ((int, float), "margin around the country [degree]"),
    "period": (dict, "{start: YYYY-MM-DD, end: YYYY-MM-DD} of the soundings"),
    "winds": (str, "netCDF file with u, v [m/s] on (time, latitude, longitude)"),
    "prior_error": ((int, float), "relative 1-sigma prior error of the emission elements"),
    "obs_error": ((int, float), "1-sigma error of one sounding [ppb] (default: product's)"),
    "bc_error": ((int, float), "prior 1-sigma of the boundary elements [ppb]"),
    "gamma": ((int, float), "regularisation gamma; 0 chooses it by J_A/n"),
    "correlation_length_km": ((int, float), "prior error correlation length [km]; 0: none"),
    "sector_prior_error": (
        str,
        "inventory: add each sector's Approach 1 uncertainty as an error shared by all its "
        "elements (default); none: elements independent",
    ),
    "state_vector": (dict, "{mode: clusters|grid|regions, clusters: N, hotspot_fraction: f}"),
    "sectors": (list, "IPCC codes whose CH4 totals form the prior's sectors"),
    "soundings": (list, "real sounding files (relative paths or glob patterns)"),
    "osse": (dict, "{sampling: gosat|gosat-gw-wide|tropomi, truth_scale: {code: f}, seed}"),
    "transport_error": (str, "transport error in S_o: ensemble (default), scaling or none"),
}


def _inversion(cfg: Any, root: Path, path: Path) -> dict[str, Any]:
    """Check ``top_down: inversion:`` (types, files, choices); values stay as given."""
    where = "top_down.inversion"
    if not isinstance(cfg, dict):
        raise CaseError("must be a mapping of settings", file=path, field=where)
    unknown = set(cfg) - set(INVERSION_KEYS)
    if unknown:
        raise CaseError(
            f"unknown settings {sorted(unknown)}; known: {sorted(INVERSION_KEYS)}",
            file=path,
            field=f"{where}.{sorted(unknown)[0]}",
        )
    for key, value in cfg.items():
        kind, what = INVERSION_KEYS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise CaseError(f"expected {what}; got {value!r}", file=path, field=f"{where}.{key}")
    for key in ("resolution", "prior_error", "obs_error", "bc_error"):
        if key in cfg and not cfg[key] > 0:
            raise CaseError("must be positive", file=path, field=f"{where}.{key}")
    for key in ("padding", "gamma", "correlation_length_km"):
        if key in cfg and cfg[key] < 0:
            raise CaseError("must be >= 0", file=path, field=f"{where}.{key}")
    if cfg.get("sector_prior_error", "inventory") not in ("inventory", "none"):
        raise CaseError(
            "expected 'inventory' or 'none'", file=path, field=f"{where}.sector_prior_error"
        )
    out = dict(cfg)
    if "period" in cfg:
        p = cfg["period"]
        try:
            start, end = pd.Timestamp(str(p["start"])), pd.Timestamp(str(p["end"]))
        except (KeyError, ValueError):
            raise CaseError(
                "expected {start: YYYY-MM-DD, end: YYYY-MM-DD}", file=path, field=f"{where}.period"
            ) from None
        if end <= start:
            raise CaseError("end must follow start", file=path, field=f"{where}.period")
        out["period"] = (start, end)
    if "winds" in cfg:
        out["winds"] = _file(root, cfg["winds"], path, f"{where}.winds")
    if "soundings" in cfg and "osse" in cfg:
        raise CaseError(
            "give either 'soundings' (real files) or 'osse' (synthetic), not both",
            file=path,
            field=where,
        )
    if "soundings" in cfg:
        files = []
        for pat in cfg["soundings"]:
            hits = sorted(root.glob(str(pat)))
            if not hits:
                raise CaseError(
                    f"no file matches '{pat}' (looked in {root})",
                    file=path,
                    field=f"{where}.soundings",
                )
            files += [h.resolve() for h in hits]
        out["soundings"] = files
    osse = cfg.get("osse")
    if osse is not None:
        if set(osse) - {"sampling", "truth_scale", "seed", "wind_error"}:
            raise CaseError(
                "osse takes sampling, truth_scale, seed and wind_error (true/false)",
                file=path,
                field=f"{where}.osse",
            )
        scale = osse.get("truth_scale") or {}
        if not isinstance(scale, dict) or not all(
            isinstance(v, (int, float)) and v >= 0 for v in scale.values()
        ):
            raise CaseError(
                "truth_scale maps an IPCC code (or 'all') to a factor >= 0",
                file=path,
                field=f"{where}.osse.truth_scale",
            )
    if cfg.get("transport_error", "ensemble") not in ("ensemble", "scaling", "none"):
        raise CaseError(
            "expected ensemble, scaling or none", file=path, field=f"{where}.transport_error"
        )
    sv = cfg.get("state_vector") or {}
    if set(sv) - {"mode", "clusters", "hotspot_fraction", "regions"}:
        raise CaseError(
            "state_vector takes mode, clusters, hotspot_fraction and regions",
            file=path,
            field=f"{where}.state_vector",
        )
    return out


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CaseError(f"cannot be read as UTF-8 CSV ({exc})", file=path) from None
    if not rows:
        raise CaseError(f"is empty; expected the header {','.join(columns)}", file=path)
    header = [h.strip() for h in rows[0]]
    if header != list(columns):
        raise CaseError(
            f"header is {','.join(header)}; expected {','.join(columns)}", file=path, row=1
        )
    out = []
    for line, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) != len(columns):
            raise CaseError(
                f"has {len(raw)} fields; the header has {len(columns)}", file=path, row=line
            )
        out.append((line, dict(zip(columns, (c.strip() for c in raw), strict=True))))
    return out


def read_activity(case: Case) -> pd.DataFrame:
    """All activity rows of a case, checked, as one table.

    Columns: category, activity, key, year, value, unit, source, notes, file, line.

    Raises
    ------
    CaseError
        For a bad category, year, value (missing, NaN, negative), unit or a duplicated row.
    """
    records = []
    seen: dict[tuple, str] = {}
    for path in case.activity_files:
        for line, rec in _read_csv(path, ACTIVITY_COLUMNS):
            code = check_code(rec["category"], case.category_system, file=str(path), row=line)
            if not rec["activity"]:
                raise CaseError("activity name is empty", file=path, row=line, field="activity")
            try:
                year = int(rec["year"])
            except ValueError:
                raise CaseError(
                    f"year '{rec['year']}' is not an integer", file=path, row=line, field="year"
                ) from None
            text = rec["value"]
            try:
                value = float(text)
            except ValueError:
                raise CaseError(
                    f"value '{text}' is not a number; give the activity as a "
                    "number, or a notation key in the notation-key file",
                    file=path,
                    row=line,
                    field="value",
                ) from None
            if math.isnan(value) or math.isinf(value):
                raise CaseError(
                    f"value is {text}; give a number, or leave the year out and "
                    "set gap_filling in case.yaml",
                    file=path,
                    row=line,
                    field="value",
                )
            if value < 0:
                raise CaseError(
                    f"value {value} is negative; activity data must be >= 0",
                    file=path,
                    row=line,
                    field="value",
                )
            parse_unit(rec["unit"], where=f"{path}, line {line}")
            ident = (code, rec["activity"], rec["key"], year)
            if ident in seen:
                raise CaseError(
                    f"duplicates {seen[ident]} (same category, activity, key and "
                    "year); keep one row",
                    file=path,
                    row=line,
                )
            seen[ident] = f"{path.name} line {line}"
            records.append(
                {
                    **rec,
                    "category": code,
                    "year": year,
                    "value": value,
                    "file": str(path),
                    "line": line,
                }
            )
    frame = pd.DataFrame.from_records(records, columns=[*ACTIVITY_COLUMNS, "file", "line"])
    return frame


def read_notation_keys(case: Case) -> pd.DataFrame:
    """Notation keys the case declares (category, gas, key, explanation)."""
    if case.notation_file is None:
        return pd.DataFrame(columns=list(NOTATION_COLUMNS))
    rows = []
    for line, rec in _read_csv(case.notation_file, NOTATION_COLUMNS):
        rec["category"] = check_code(
            rec["category"], case.category_system, file=str(case.notation_file), row=line
        )
        if rec["notation_key"] not in NOTATION_KEYS:
            raise CaseError(
                f"notation key '{rec['notation_key']}' unknown; use one of "
                f"{', '.join(NOTATION_KEYS)}",
                file=case.notation_file,
                row=line,
                field="notation_key",
            )
        if rec["gas"] not in ("CO2", "CH4", "N2O"):
            raise CaseError(
                f"gas '{rec['gas']}' unknown; use CO2, CH4 or N2O",
                file=case.notation_file,
                row=line,
                field="gas",
            )
        if not rec["explanation"]:
            raise CaseError(
                "every notation key needs an explanation (ETF requirement)",
                file=case.notation_file,
                row=line,
                field="explanation",
            )
        rows.append(rec)
    return pd.DataFrame(rows, columns=list(NOTATION_COLUMNS))


def read_facilities(case: Case) -> pd.DataFrame:
    """The facility register, with coordinates checked."""
    if case.facilities_file is None:
        return pd.DataFrame(columns=list(FACILITY_COLUMNS))
    rows = []
    ids: dict[str, int] = {}
    path = case.facilities_file
    for line, rec in _read_csv(path, FACILITY_COLUMNS):
        if rec["facility_id"] in ids:
            raise CaseError(
                f"facility_id '{rec['facility_id']}' already used on line "
                f"{ids[rec['facility_id']]}",
                file=path,
                row=line,
                field="facility_id",
            )
        ids[rec["facility_id"]] = line
        for name, lim in (("lat", 90.0), ("lon", 180.0)):
            try:
                v = float(rec[name])
            except ValueError:
                raise CaseError(
                    f"{name} '{rec[name]}' is not a number", file=path, row=line, field=name
                ) from None
            if not -lim <= v <= lim:
                raise CaseError(
                    f"{name} {v} outside [-{lim}, {lim}]", file=path, row=line, field=name
                )
            rec[name] = v
        if rec["category"]:
            rec["category"] = check_code(
                rec["category"], case.category_system, file=str(path), row=line
            )
        rows.append(rec)
    return pd.DataFrame(rows, columns=list(FACILITY_COLUMNS))


def read_activity_uncertainty(case: Case) -> pd.DataFrame:
    """Activity-data uncertainties (95 % half-widths, %) with their distributions.

    Raises
    ------
    CaseError
        If the case names no file, or a row has a bad category, a missing, negative or
        non-numeric uncertainty, or an unknown distribution.
    """
    from openmrv.factors import DISTRIBUTIONS

    if case.uncertainty_file is None:
        raise CaseError(
            "no activity uncertainties: add 'uncertainty: {activity: <csv>}' to case.yaml",
            file=case.config_file,
            field="uncertainty",
        )
    path = case.uncertainty_file
    rows = []
    for line, rec in _read_csv(path, UNCERTAINTY_COLUMNS):
        if rec["category"] != "*":
            rec["category"] = check_code(
                rec["category"], case.category_system, file=str(path), row=line
            )
        try:
            pct = float(rec["uncertainty_pct"])
        except ValueError:
            raise CaseError(
                f"uncertainty_pct '{rec['uncertainty_pct']}' is not a number",
                file=path,
                row=line,
                field="uncertainty_pct",
            ) from None
        if math.isnan(pct) or pct < 0:
            raise CaseError(
                f"uncertainty_pct {rec['uncertainty_pct']} must be a number >= 0",
                file=path,
                row=line,
                field="uncertainty_pct",
            )
        if rec["distribution"] not in DISTRIBUTIONS:
            raise CaseError(
                f"unknown distribution '{rec['distribution']}'; use one of "
                f"{', '.join(DISTRIBUTIONS)}",
                file=path,
                row=line,
                field="distribution",
            )
        if not rec["source"]:
            raise CaseError(
                "say where the uncertainty comes from", file=path, row=line, field="source"
            )
        rec["uncertainty_pct"] = pct
        rows.append(rec)
    return pd.DataFrame(rows, columns=list(UNCERTAINTY_COLUMNS))
