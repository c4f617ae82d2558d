"""Typed settings: the schema of ``case.yaml`` as pydantic models, every default in one place.

:class:`CaseFile` is the whole file as written (paths relative to the case folder);
:func:`parse_case_file` validates a loaded ``case.yaml`` against it and turns pydantic's
errors into a :class:`~openmrv.errors.CaseError` naming the file, the line, the field, the
bad value and the valid ones. From the validated file come the settings each stage needs:
:class:`InventorySettings` (the inventory engine), :class:`UncertaintySettings` (Approach 2)
and :class:`InversionSettings` (the national inversion, defaults filled). The JSON Schema
of ``case.yaml`` (``docs/case.schema.json``) is generated from :class:`CaseFile`:
``python -m openmrv.settings docs/case.schema.json``.

A core module: it reads no case files and imports nothing from the stages.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from openmrv.categories import check_code
from openmrv.errors import CaseError
from openmrv.factors import QUALIFIER_NAMES
from openmrv.gwp import ETF_DEFAULT, GWPSet
from openmrv.settings_errors import UNION_TAG, YamlLines, case_error
from openmrv.settings_sources import SourcesSection, SourcesSettings

#: The one random seed of openmrv's defaults (Monte Carlo draws, OSSE soundings, k-means),
#: fixed so that runs reproduce: 20 December 2025, the Japan-Turkmenistan agreement's date.
DEFAULT_SEED = 20251220

CategorySystem = Literal["IPCC2006"]
GapFilling = Literal["none", "interpolate", "interpolate+extrapolate"]
SpliceMethod = Literal["overlap", "surrogate"]
TransportError = Literal["ensemble", "scaling", "none"]
SectorPriorError = Literal["inventory", "none"]
StateVectorMode = Literal["clusters", "grid", "regions"]
QualifierName = Literal[QUALIFIER_NAMES]  # type: ignore[valid-type]

GAP_FILLING: tuple[str, ...] = get_args(GapFilling)
SPLICE_METHODS: tuple[str, ...] = get_args(SpliceMethod)
TRANSPORT_ERRORS: tuple[str, ...] = get_args(TransportError)
#: IPCC codes whose CH4 totals form the inversion prior's sectors, unless the case says
DEFAULT_SECTORS: tuple[str, ...] = (
    "1.A",
    "1.B.1",
    "1.B.2",
    "2",
    "3.A",
    "3.B",
    "3.C",
    "4.A",
    "4.B",
    "4.D",
)
#: the OSSE sampling designs (a data table of the inversion stage, read, not imported)
SAMPLING_TABLE = Path(__file__).parent / "estimate" / "inversion" / "data" / "sampling.csv"
#: the limits of a case folder (a data table, read, not imported; see openmrv.case_limits)
CASE_LIMITS = Path(__file__).parent / "data" / "case_limits.csv"


@cache
def limit(name: str) -> float:
    """A row of ``data/case_limits.csv`` (years, the finest inversion grid, ...)."""
    with CASE_LIMITS.open(newline="") as fh:
        return float(next(r["value"] for r in csv.DictReader(fh) if r["name"] == name))


Number = Annotated[float, Strict()]
Count = Annotated[int, Strict(), Field(gt=0)]
Seed = Annotated[int, Strict(), Field(ge=0)]


def _code_text(value: Any) -> Any:
    """YAML reads a category such as ``2`` as a number: take it as text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


#: an IPCC category code (``1.B.2``; YAML may read ``2`` as a number)
Code = Annotated[
    str,
    BeforeValidator(_code_text),
    WithJsonSchema({"type": ["string", "number"], "description": "IPCC category code"}),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


def _default(model: type[BaseModel], name: str) -> Any:
    """The default of a field (so derived models repeat no default)."""
    return model.model_fields[name].get_default(call_default_factory=True)


# --- case.yaml ---------------------------------------------------------------------------


class Years(_Model):
    """``years: {first: 1990, last: 2020}``."""

    first: int = Field(description="first inventory year")
    last: int = Field(description="last inventory year (>= first)")

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not (
            isinstance(data, dict)
            and set(data) == {"first", "last"}
            and all(type(data[k]) is int for k in data)
            and data["first"] <= data["last"]
        ):
            raise ValueError("expected 'years: {first: 1990, last: 2020}' with first <= last")
        lo, hi = int(limit("first_year_min")), int(limit("last_year_max"))
        if data["first"] < lo or data["last"] > hi:
            raise ValueError(
                f"years {data['first']}-{data['last']} lie outside {lo}-{hi} "
                "(data/case_limits.csv: pre-industrial baseline to the end of projections)"
            )
        return data


class SeriesRef(_Model):
    """An activity series: ``{category: ..., activity: ..., key: ...}``."""

    category: Code = Field(description="IPCC 2006 category code")
    activity: str = Field(description="activity name")
    key: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = ""

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        return check_code(v, get_args(CategorySystem)[0])

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.category, self.activity, self.key)


class Splice(SeriesRef):
    """One entry of ``gap_filling: series:`` (Vol 1 Ch 5.3): the series spliced, the method
    and the series it uses (``old`` for overlap, ``proxy`` for surrogate)."""

    method: SpliceMethod = Field(description="overlap (an older vintage) or surrogate (a proxy)")
    old: SeriesRef | None = Field(None, description="for overlap: the older series")
    proxy: SeriesRef | None = Field(None, description="for surrogate: the proxy series")

    @model_validator(mode="after")
    def _reference(self) -> Splice:
        name = "old" if self.method == "overlap" else "proxy"
        if getattr(self, name) is None:
            raise ValueError(f"method {self.method} needs '{name}:' (the series it uses)")
        return self

    @property
    def reference(self) -> SeriesRef:
        ref = self.old if self.method == "overlap" else self.proxy
        assert ref is not None
        return ref


class GapFillingSection(_Model):
    """``gap_filling: {default: ..., series: [...]}``."""

    default: GapFilling = Field("none", description="how missing years are filled")
    series: list[Splice] = Field(default_factory=list, description="per-series splices")


def _gap_kind(value: Any) -> str:
    return (
        f"{UNION_TAG}mapping>"
        if isinstance(value, dict | GapFillingSection)
        else f"{UNION_TAG}name>"
    )


GapFillingField = Annotated[
    Annotated[GapFilling, Tag(f"{UNION_TAG}name>")]
    | Annotated[GapFillingSection, Tag(f"{UNION_TAG}mapping>")],
    Discriminator(_gap_kind),
]
#: ``references: {name: {file: CSV, country: ISO3}}``: a reference file and its country
RefEntry = Annotated[dict[Literal["file", "country"], str], Field(min_length=2)]


class FactorsSection(_Model):
    """``factors: {prefer: [...], country_specific: [...]}``."""

    prefer: list[str] = Field(default_factory=list, description="factor table ids preferred")
    country_specific: list[str] = Field(default_factory=list, description="CSVs of own factors")


class UncertaintySettings(_Model):
    """``uncertainty:``: activity uncertainties and the Approach 2 (Monte Carlo) settings."""

    activity: str | None = Field(None, description="CSV file of activity-data uncertainties")
    draws: Count = Field(
        100_000, le=limit("mc_draws_max"), description="Monte Carlo draws (<= mc_draws_max)"
    )
    seed: Count = Field(DEFAULT_SEED, description="random seed of the draws")
    chunk_size: Count = Field(20_000, description="draws computed at once")


class Period(_Model):
    """``period: {start: YYYY-MM-DD, end: YYYY-MM-DD}``."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end <= self.start:
            raise ValueError("end must follow start")
        return self


class StateVectorSection(_Model):
    """``state_vector: {mode: clusters|grid|regions, clusters: N, hotspot_fraction: f}``."""

    mode: StateVectorMode = Field("clusters", description="how emitting cells are grouped")
    clusters: Count = Field(150, description="number of k-means clusters")
    hotspot_fraction: Number = Field(
        0.01, ge=0, le=1, description="share of the prior kept as single-cell hotspots"
    )
    regions: Any = Field(None, description="reserved: a region label map (not used yet)")


class OsseSection(_Model):
    """``osse:``: a synthetic-sounding experiment (used when no real soundings are given)."""

    sampling: str = Field(
        "gosat", description="sampling design of data/sampling.csv (gosat, gosat-gw-wide, ...)"
    )
    truth_scale: dict[Code, Annotated[Number, Field(ge=0)]] = Field(
        default_factory=dict, description="truth = prior x factor per sector code (or 'all')"
    )
    seed: Seed = Field(DEFAULT_SEED, description="random seed of the synthetic soundings")
    wind_error: Annotated[bool, Strict()] = Field(True, description="truth in perturbed winds")


class InversionSection(SourcesSection, _Model):
    """``top_down: inversion:``, as written (docs/inversion.md)."""

    region: str | None = Field(
        None, description="ISO3 code of the country (default: the case's country)"
    )
    year: Annotated[int, Strict()] | None = Field(
        None, description="inventory year of the prior (default: the last year)"
    )
    resolution: Number = Field(
        0.25,
        ge=limit("inversion_resolution_min"),
        description="grid resolution [degree] (at least inversion_resolution_min of "
        "data/case_limits.csv: finer grids exhaust memory)",
    )
    padding: Number = Field(1.0, ge=0, description="margin around the country [degree]")
    period: Period | None = Field(
        None, description="{start: YYYY-MM-DD, end: YYYY-MM-DD} of the soundings (default: year)"
    )
    winds: str | None = Field(
        None, description="netCDF file with u, v [m/s] on (time, latitude, longitude)"
    )
    prior_error: Number = Field(
        0.5, gt=0, description="relative 1-sigma prior error of the emission elements"
    )
    obs_error: Annotated[Number, Field(gt=0)] | None = Field(
        None, description="1-sigma error of one sounding [ppb] (default: product's)"
    )
    bc_error: Number = Field(10.0, gt=0, description="prior 1-sigma of the boundary elements [ppb]")
    gamma: Number = Field(1.0, ge=0, description="regularisation gamma; 0 chooses it by J_A/n")
    correlation_length_km: Number = Field(
        0.0, ge=0, description="prior error correlation length [km]; 0: none"
    )
    sector_prior_error: SectorPriorError = Field(
        "inventory",
        description="inventory: add each sector's Approach 1 uncertainty as an error shared by "
        "all its elements; none: elements independent",
    )
    state_vector: StateVectorSection = Field(default_factory=StateVectorSection)
    sectors: list[Code] = Field(
        default_factory=lambda: list(DEFAULT_SECTORS),
        description="IPCC codes whose CH4 totals form the prior's sectors",
    )
    soundings: list[str] = Field(
        default_factory=list, description="real sounding files (relative paths or glob patterns)"
    )
    osse: OsseSection = Field(default_factory=OsseSection)
    from_cache: bool = Field(True, description="without soundings: the fetch cache's")
    transport_error: TransportError = Field(
        "ensemble", description="transport error in S_o: ensemble, scaling or none"
    )

    @model_validator(mode="after")
    def _either(self) -> InversionSection:
        if {"soundings", "osse"} <= self.model_fields_set:
            raise ValueError("give either 'soundings' (real files) or 'osse' (synthetic), not both")
        return self


class XCH4RecordSection(_Model):
    """``top_down: xch4_record:``: gridded XCH4 for the mass balance (satellite-record.md)."""

    file: str = Field(description="monthly gridded XCH4 in the C3S OBS4MIPs layout (netCDF)")
    winds: str = Field(description="monthly-mean u, v on (month, level, lat, lon) [850, 500 hPa]")
    seed: Seed = Field(DEFAULT_SEED, description="seed of the Monte Carlo")


class TopDownSection(_Model):
    """``top_down:``: satellite evidence and the national inversion."""

    plume_catalogues: list[str] = Field(
        default_factory=list, description="third-party plume catalogues (CSV)"
    )
    soundings: list[str] = Field(
        default_factory=list, description="satellite Level-2 files for the observations stage"
    )
    plume_scenes: list[str] = Field(
        default_factory=list, description="scenes for openmrv's own plume detection"
    )
    inversion: InversionSection | None = None
    published_estimates: Annotated[bool, Strict()] | str = Field(
        True,
        description="published satellite-based national estimates as evidence: true (the "
        "package table, verify/data/published_estimates.csv), false (none), or a CSV file "
        "of the same columns (docs/published-estimates.md)",
    )
    xch4_record: XCH4RecordSection | None = None


class CaseFile(_Model):
    """``case.yaml``: a case's settings (paths relative to the case folder)."""

    model_config = ConfigDict(title="openmrv case.yaml")

    name: str | None = Field(None, description="name of the case (default: the folder's)")
    country: str = Field(
        pattern="^[A-Z]{3}$", description="ISO 3166 alpha-3 code of the country, e.g. TKM"
    )
    years: Years
    gwp: GWPSet = Field(ETF_DEFAULT, description="GWP set of CO2-equivalents (ETF: AR5GWP100)")
    category_system: CategorySystem = "IPCC2006"
    qualifiers: dict[QualifierName, str] = Field(
        default_factory=dict, description="factor qualifiers (region, climate, ...)"
    )
    qualifiers_by_table: dict[str, dict[QualifierName, str]] = Field(
        default_factory=dict, description="qualifiers for one factor table id"
    )
    factors: FactorsSection = Field(default_factory=FactorsSection)
    activity: list[str] = Field(min_length=1, description="a list of activity-data CSV files")
    notation_keys: str | None = Field(None, description="CSV file of notation keys")
    facilities: str | None = Field(None, description="CSV file of the facility register")
    pipelines: str | None = Field(None, description="CSV file of pipelines (WKT line sources)")
    regions: str | None = Field(None, description="GeoJSON of the country's regions (admin-1)")
    region_names: str | None = Field(None, description="CSV: region name of each polygon")
    gap_filling: GapFillingField = Field(
        "none", description="none, interpolate, interpolate+extrapolate, or {default, series}"
    )
    references: dict[str, str | RefEntry] = Field(
        default_factory=dict, description="external estimates: name -> CSV or {file, country}"
    )
    description: str = ""
    allow_outside_paths: Annotated[bool, Strict()] = Field(
        False,
        description="admit absolute and '..' paths (files outside the case folder); "
        "by default every path must stay inside it",
    )
    uncertainty: UncertaintySettings = Field(default_factory=UncertaintySettings)
    top_down: TopDownSection = Field(default_factory=TopDownSection)

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, v: Any) -> Any:
        if isinstance(v, str) and not (len(v) == 3 and v.isupper() and v.isalpha()):
            raise ValueError(f"country '{v}' is not an ISO 3166 alpha-3 code such as TKM")
        return v

    @property
    def gap_default(self) -> GapFilling:
        g = self.gap_filling
        return g.default if isinstance(g, GapFillingSection) else g

    @property
    def splices(self) -> dict[tuple[str, str, str], tuple[str, tuple[str, str, str]]]:
        """(category, activity, key) -> (method, the series it uses)."""
        g = self.gap_filling
        series = g.series if isinstance(g, GapFillingSection) else []
        return {s.ident: (s.method, s.reference.ident) for s in series}


# --- what the stages take ------------------------------------------------------------------


class InventorySettings(BaseModel):
    """What the inventory engine needs of a case."""

    model_config = ConfigDict(frozen=True)

    name: str
    country: str
    first_year: int
    last_year: int
    gwp: GWPSet = _default(CaseFile, "gwp")
    category_system: CategorySystem = _default(CaseFile, "category_system")
    gap_filling: GapFilling = _default(GapFillingSection, "default")
    splices: dict[tuple[str, str, str], tuple[SpliceMethod, tuple[str, str, str]]] = Field(
        default_factory=dict
    )
    #: where the settings came from and the notation-key file (for error messages)
    config_file: Path | None = None
    notation_file: Path | None = None

    @property
    def years(self) -> list[int]:
        """Inventory years, first to last."""
        return list(range(self.first_year, self.last_year + 1))


@cache
def sampling_designs() -> tuple[str, ...]:
    """The names of the OSSE sampling designs (``estimate/inversion/data/sampling.csv``)."""
    with SAMPLING_TABLE.open() as fh:
        return tuple(r["design"] for r in csv.DictReader(fh))


_SV, _OSSE = StateVectorSection, OsseSection


class InversionSettings(SourcesSettings):
    """The national inversion's settings, defaults filled (from ``top_down: inversion:``)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    region: str
    year: int
    resolution: float = _default(InversionSection, "resolution")
    padding: float = _default(InversionSection, "padding")
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    winds: Path | None = None
    prior_error: float = _default(InversionSection, "prior_error")
    obs_error: float | None = _default(InversionSection, "obs_error")
    bc_error: float = _default(InversionSection, "bc_error")
    gamma: float = _default(InversionSection, "gamma")
    correlation_length_km: float = _default(InversionSection, "correlation_length_km")
    sector_prior_error: SectorPriorError = _default(InversionSection, "sector_prior_error")
    mode: StateVectorMode = _default(_SV, "mode")
    clusters: int = _default(_SV, "clusters")
    hotspot_fraction: float = _default(_SV, "hotspot_fraction")
    sectors: list[str] = Field(default_factory=lambda: list(DEFAULT_SECTORS))
    soundings: list[Path] = Field(default_factory=list)
    sampling: str = _default(_OSSE, "sampling")
    truth_scale: dict[str, float] = Field(default_factory=dict)
    seed: int = _default(_OSSE, "seed")
    wind_error: bool = _default(_OSSE, "wind_error")
    transport_error: TransportError = _default(InversionSection, "transport_error")

    @property
    def osse(self) -> bool:
        return not self.soundings

    @classmethod
    def from_section(
        cls,
        section: InversionSection,
        *,
        country: str,
        first_year: int,
        last_year: int,
        winds: Path | None = None,
        soundings: Iterable[Path] = (),
        file: Path | None = None,
        lines: YamlLines | None = None,
    ) -> InversionSettings:
        """Fill the defaults that depend on the case and check the settings together.

        ``winds`` and ``soundings`` are the section's files, resolved by the caller.

        Raises
        ------
        CaseError
            For a year outside the inventory, an unknown sampling design (OSSE),
            overlapping sectors or ``truth_scale`` naming no sector.
        """
        where = ("top_down", "inversion")

        def fail(message: str, *loc: str) -> CaseError:
            return CaseError(
                message,
                file=file,
                row=None if lines is None else lines.line((*where, *loc)),
                field=".".join((*where, *loc)),
            )

        year = last_year if section.year is None else section.year
        if not first_year <= year <= last_year:
            raise fail(
                f"year {year} is outside the inventory's {first_year}-{last_year}; "
                "choose a year the inventory covers",
                "year",
            )
        p = section.period
        start, end = (
            (pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{year}-12-31"))
            if p is None
            else (pd.Timestamp(p.start), pd.Timestamp(p.end))
        )
        sv, osse = section.state_vector, section.osse
        s = cls(
            region=section.region or country,
            year=year,
            start=start,
            end=end,
            winds=winds,
            soundings=list(soundings),
            **section.model_dump(
                include={
                    "resolution",
                    "padding",
                    "prior_error",
                    "obs_error",
                    "bc_error",
                    "gamma",
                    "correlation_length_km",
                    "sector_prior_error",
                    "sectors",
                    "transport_error",
                }
            ),
            **sv.model_dump(include={"mode", "clusters", "hotspot_fraction"}),
            **osse.model_dump(include={"sampling", "truth_scale", "seed", "wind_error"}),
        )
        designs = sampling_designs()
        if s.osse and s.sampling not in designs:
            raise fail(
                f"sampling '{s.sampling}' unknown; use one of {', '.join(designs)}",
                "osse",
                "sampling",
            )
        for a in s.sectors:
            for b in s.sectors:
                if a != b and b.startswith(a + "."):
                    raise fail(
                        f"sectors {a} and {b} overlap (one holds the other); list disjoint codes",
                        "sectors",
                    )
        if bad := set(s.truth_scale) - set(s.sectors) - {"all", "other"}:
            msg = f"truth_scale names {sorted(bad)}, not among the sectors {s.sectors}"
            raise fail(msg, "osse", "truth_scale")
        return s


def parse_case_file(data: Any, *, file: Path, lines: YamlLines | None = None) -> CaseFile:
    """Validate a loaded ``case.yaml`` (a mapping); a :class:`CaseError` names the file, the
    line where known, the field, the bad value and the valid ones."""
    try:
        return CaseFile.model_validate(data)
    except ValidationError as exc:
        raise case_error(exc, CaseFile, file=file, lines=lines) from None


def case_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``case.yaml``, generated from :class:`CaseFile`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **CaseFile.model_json_schema(),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m openmrv.settings [OUT]``: write the JSON Schema (stdout without OUT)."""
    args = sys.argv[1:] if argv is None else argv
    text = json.dumps(case_json_schema(), indent=2, ensure_ascii=False) + "\n"
    _ = Path(args[0]).write_text(text, encoding="utf-8") if args else sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
