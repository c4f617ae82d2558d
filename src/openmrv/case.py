"""A case: ``case.yaml`` plus activity-data CSVs, notation keys and a facility register.

Everything is checked up front, before any computation, and every problem is
reported with the file, the line and the field, what was found and what was
expected. See ``docs/data-format.md`` for the file layouts.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from openmrv.case_limits import excerpt, read_case_yaml
from openmrv.case_paths import CasePaths as _Files
from openmrv.categories import check_code
from openmrv.errors import CaseError
from openmrv.factors import DISTRIBUTIONS
from openmrv.fetch.discover import cached_inversion_inputs, edgar_files
from openmrv.limits import activity_out_of_range, check_capacity, out_of_range
from openmrv.registers import FACILITY_OPTIONAL, check_facility_extras
from openmrv.settings import (
    CaseFile,
    InventorySettings,
    InversionSection,
    InversionSettings,
    UncertaintySettings,
    YamlLines,
    parse_case_file,
)
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
    """A validated case folder: the settings of ``case.yaml`` with its files resolved.

    The defaults live in :mod:`openmrv.settings`; ``settings`` is the validated file.
    """

    root: Path
    name: str
    country: str
    first_year: int
    last_year: int
    gwp: str
    category_system: str
    qualifiers: dict[str, str]
    qualifiers_by_table: dict[str, dict[str, str]]
    factor_prefer: list[str]
    factor_files: list[Path]
    activity_files: list[Path]
    notation_file: Path | None
    facilities_file: Path | None
    gap_filling: str
    #: per-series splices: (category, activity, key) -> (method, reference series)
    splices: dict[tuple[str, str, str], tuple[str, tuple[str, str, str]]]
    references: dict[str, Path]
    description: str
    uncertainty_file: Path | None
    plume_catalogues: list[Path]
    #: satellite Level-2 files for the observations stage (any registered product)
    sounding_files: list[Path]
    #: scenes (TROPOMI plume patches) for openmrv's own plume detection
    plume_scenes: list[Path]
    #: ``top_down: published_estimates``: published estimates as evidence (on by default)
    published_estimates: bool
    #: their table, when the case names its own (None: the package's table)
    published_estimates_file: Path | None
    mc_draws: int
    mc_seed: int
    mc_chunk_size: int
    #: ``top_down: inversion:`` as given (checked; period as timestamps, files resolved);
    #: None if absent. Superseded by :attr:`inversion_settings`.
    inversion: dict[str, Any] | None
    #: the validated ``case.yaml``
    settings: CaseFile
    #: the lines of ``case.yaml``'s keys (for error messages)
    lines: YamlLines | None = field(default=None, repr=False, compare=False)
    #: ``top_down: xch4_record:`` files resolved ({"file", "winds"}); None if absent
    xch4_record: dict[str, Path] | None = None
    pipelines_file: Path | None = None
    region_files: tuple[Path, Path] | None = None
    #: ``nid:`` texts of the national inventory document: part -> file (resolved)
    nid_texts: dict[str, Path] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        """Inventory years, first to last."""
        return list(range(self.first_year, self.last_year + 1))

    @property
    def config_file(self) -> Path:
        return self.root / "case.yaml"

    @property
    def inventory_settings(self) -> InventorySettings:
        """What the inventory engine needs (see ``compile_inventory``)."""
        return InventorySettings(
            name=self.name,
            country=self.country,
            first_year=self.first_year,
            last_year=self.last_year,
            gwp=self.gwp,
            category_system=self.category_system,
            gap_filling=self.gap_filling,
            splices=self.splices,
            config_file=self.config_file,
            notation_file=self.notation_file,
        )

    @property
    def uncertainty_settings(self) -> UncertaintySettings:
        """``uncertainty:`` of case.yaml (Approach 2 draws, seed, chunk size)."""
        return self.settings.uncertainty

    @cached_property
    def inversion_settings(self) -> InversionSettings | None:
        """The inversion's settings, defaults filled; None without ``top_down: inversion:``.

        Computed (and checked against the inventory's years, the sampling designs and the
        sectors) on first use, as the inversion starts.

        Raises
        ------
        CaseError
            See :meth:`InversionSettings.from_section`.
        """
        section = self.settings.top_down.inversion
        if self.inversion is None or section is None:
            return None

        inv = self.inversion
        build = partial(InversionSettings.from_section, section, country=self.country,
                        first_year=self.first_year, last_year=self.last_year,
                        file=self.config_file, lines=self.lines)  # fmt: skip
        s = build(winds=inv.get("winds"), soundings=inv.get("soundings", []))
        if section.prior_geography == "edgar":
            inv.setdefault("edgar", edgar_files(self.root, s.year))
        found = cached_inversion_inputs(self.root, s.start, s.end)
        if found.soundings and section.from_cache and "soundings" not in section.model_fields_set:
            # the real-data path: the inputs (and so the manifest) name the cached files
            inv.update(soundings=found.soundings, soundings_from_cache=found.product)
            if found.winds is not None and "winds" not in inv:
                inv["winds"] = found.winds  # with its pressure levels, when joined too
                if found.winds_levels is not None and "winds_levels" not in inv:
                    inv["winds_levels"] = found.winds_levels
            s = build(winds=inv.get("winds"), soundings=inv["soundings"])
        return s.with_sources(
            section, winds_levels=inv.get("winds_levels"), edgar=inv.get("edgar", {})
        )

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
        if self.published_estimates_file is not None:
            files.append(self.published_estimates_file)
        files += [
            p
            for p in (self.notation_file, self.facilities_file, self.uncertainty_file)
            if p is not None
        ]
        files += [p for p in (self.pipelines_file, *(self.region_files or ())) if p is not None]
        inv = self.inversion or {}
        files += ([inv["winds"]] if "winds" in inv else []) + list(inv.get("soundings", []))
        files += [inv["winds_levels"]] if "winds_levels" in inv else []
        files += list(inv.get("edgar", {}).values())
        files += list((self.xch4_record or {}).values())
        return files + list(self.nid_texts.values())


def _regions(s: CaseFile, files: _Files) -> tuple[Path, Path] | None:
    if (s.regions is None) != (s.region_names is None):
        raise CaseError("give both regions: (GeoJSON) and region_names: (CSV), or neither",
                        file=files.path, field="regions")  # fmt: skip
    return None if s.regions is None else (files.one(s.regions, "regions"),
                                           files.one(s.region_names, "region_names"))  # fmt: skip


def _inversion(section: InversionSection | None, files: _Files) -> dict[str, Any] | None:
    """``top_down: inversion:`` as given, with the period as timestamps and files resolved."""
    if section is None or not section.model_fields_set:
        return None
    where = ("top_down", "inversion")
    out = section.model_dump(exclude_unset=True)
    if section.period is not None:
        out["period"] = (pd.Timestamp(section.period.start), pd.Timestamp(section.period.end))
    if section.winds is not None:
        out["winds"] = files.one(section.winds, *where, "winds")
    if section.winds_levels is not None:
        out["winds_levels"] = files.one(section.winds_levels, *where, "winds_levels")
    if "soundings" in section.model_fields_set:
        out["soundings"] = files.glob(section.soundings, *where, "soundings")
    return out


def load_case(folder: str | Path) -> Case:
    """Read and check ``<folder>/case.yaml`` and the files it names.

    The file is validated against :class:`openmrv.settings.CaseFile`.

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
    text = read_case_yaml(path)
    try:
        cfg = yaml.safe_load(text)
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
    lines = YamlLines(text)
    s = parse_case_file(cfg, file=path, lines=lines)
    files = _Files(root, path, lines, outside=s.allow_outside_paths)
    td, unc, refs = s.top_down, s.uncertainty, s.references.items()
    return Case(
        root=root.resolve(),
        name=s.name if s.name is not None else root.name,
        country=s.country,
        first_year=s.years.first,
        last_year=s.years.last,
        gwp=s.gwp,
        category_system=s.category_system,
        qualifiers=dict(s.qualifiers),
        qualifiers_by_table={t: dict(q) for t, q in s.qualifiers_by_table.items()},
        factor_prefer=list(s.factors.prefer),
        factor_files=files.some(s.factors.country_specific, "factors", "country_specific"),
        activity_files=files.some(s.activity, "activity"),
        notation_file=files.maybe(s.notation_keys, "notation_keys"),
        facilities_file=files.maybe(s.facilities, "facilities"),
        gap_filling=s.gap_default,
        splices=s.splices,
        references={
            k: files.one(v if isinstance(v, str) else v["file"], "references", k) for k, v in refs
        },
        description=s.description,
        uncertainty_file=files.maybe(unc.activity, "uncertainty", "activity"),
        mc_draws=unc.draws,
        mc_seed=unc.seed,
        mc_chunk_size=unc.chunk_size,
        plume_catalogues=files.some(td.plume_catalogues, "top_down", "plume_catalogues"),
        sounding_files=files.some(td.soundings, "top_down", "soundings"),
        plume_scenes=files.some(td.plume_scenes, "top_down", "plume_scenes"),
        published_estimates=td.published_estimates is not False,
        published_estimates_file=None
        if isinstance(td.published_estimates, bool)
        else files.one(td.published_estimates, "top_down", "published_estimates"),
        inversion=_inversion(td.inversion, files),
        settings=s,
        lines=lines,
        xch4_record=None
        if td.xch4_record is None
        else {
            k: files.one(getattr(td.xch4_record, k), "top_down", "xch4_record", k)
            for k in ("file", "winds")
        },
        pipelines_file=files.maybe(s.pipelines, "pipelines"),
        region_files=_regions(s, files),
        nid_texts={k: files.one(v, "nid", k) for k, v in s.nid.files().items()},
    )


def _read_csv(
    path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CaseError(f"cannot be read as UTF-8 CSV ({exc})", file=path) from None
    if not rows:
        raise CaseError(f"is empty; expected the header {','.join(columns)}", file=path)
    header = [h.strip() for h in rows[0]]
    extra, more = header[len(columns) :], f" (then any of {','.join(optional)})" * bool(optional)
    ok = sorted(set(extra) & set(optional)) == sorted(extra)  # known, each once
    if header[: len(columns)] != list(columns) or not ok:
        raise CaseError(f"header is {excerpt(','.join(header))}; expected "
                        f"{','.join(columns)}{more}", file=path, row=1)  # fmt: skip
    columns = tuple(header)
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


def check_activity_record(
    rec: dict[str, str], category_system: str, path: str | Path, line: int
) -> dict[str, Any]:
    """One activity row checked as :func:`read_activity` checks it (category, activity name,
    year, value, unit, plausible range); the workspace checks its edits with it too.

    Returns the row with the canonical category code, the year as ``int`` and the value as
    ``float``; raises :class:`CaseError` naming ``path``, ``line`` and the field.
    """

    def bad(message: str, field: str) -> CaseError:
        return CaseError(message, file=path, row=line, field=field)

    code = check_code(rec["category"], category_system, file=str(path), row=line)
    if not rec["activity"]:
        raise bad("activity name is empty", "activity")
    try:
        year = int(rec["year"])
    except ValueError:
        raise bad(f"year '{rec['year']}' is not an integer", "year") from None
    text = rec["value"]
    try:
        value = float(text)
    except ValueError:
        raise bad(f"value '{text}' is not a number; give the activity as a number, or a "
                  "notation key in the notation-key file", "value") from None  # fmt: skip
    if math.isnan(value) or math.isinf(value):
        raise bad(f"value is {text}; give a number, or leave the year out and set "
                  "gap_filling in case.yaml", "value")  # fmt: skip
    if value < 0:
        raise bad(f"value {value} is negative; activity data must be >= 0", "value")
    parse_unit(rec["unit"], where=f"{path}, line {line}")
    why = activity_out_of_range(value, rec["unit"])
    if why is not None:
        raise bad(why, "value")
    return {**rec, "category": code, "year": year, "value": value}


def read_activity(case: Case) -> pd.DataFrame:
    """All activity rows of a case, checked, as one table.

    Columns: category, activity, key, year, value, unit, source, notes, file, line.

    Raises
    ------
    CaseError
        For a bad category, year, value (missing, not finite, negative or beyond its
        plausible range, ``data/plausible_ranges.csv``), unit, a duplicated row, or a file
        with a header and no rows. Years outside the case's are checked by the engine
        (``build_series``), which knows the methods that need history years.
    """
    records = []
    seen: dict[tuple, str] = {}
    for path in case.activity_files:
        rows = _read_csv(path, ACTIVITY_COLUMNS)
        if not rows:
            raise CaseError(
                "has a header but no rows; add rows or remove the file from case.yaml",
                file=path,
            )
        for line, rec in rows:
            checked = check_activity_record(rec, case.category_system, path, line)
            code, year, value = checked["category"], checked["year"], checked["value"]
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


def read_facilities(case: Case) -> pd.DataFrame:
    """The facility register, coordinates and optional columns checked (absent: empty)."""
    if case.facilities_file is None:
        return pd.DataFrame(columns=[*FACILITY_COLUMNS, *FACILITY_OPTIONAL])
    rows = []
    ids: dict[str, int] = {}
    path = case.facilities_file
    for line, rec in _read_csv(path, FACILITY_COLUMNS, FACILITY_OPTIONAL):
        rec = check_facility_extras(rec, path, line)
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
        check_capacity(rec["capacity"], rec["capacity_unit"], file=path, row=line)
        rows.append(rec)
    return pd.DataFrame(rows, columns=[*FACILITY_COLUMNS, *FACILITY_OPTIONAL])


def read_activity_uncertainty(case: Case) -> pd.DataFrame:
    """Activity-data uncertainties (95 % half-widths, %) with their distributions.

    Raises
    ------
    CaseError
        If the case names no file, or a row has a bad category, a missing, negative or
        non-numeric uncertainty, or an unknown distribution.
    """
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
        why = out_of_range(pct, "uncertainty_pct")
        if why is not None:
            raise CaseError(
                f"uncertainty_pct {why}; give the 95 % half-width in percent",
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
