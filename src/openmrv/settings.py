"""Typed settings: the schema of ``case.yaml`` as pydantic models, every default in one place.

:class:`CaseFile` is the whole file as written (paths relative to the case folder);
:func:`parse_case_file` validates a loaded ``case.yaml`` against it and turns pydantic's
errors into a :class:`~openmrv.errors.CaseError` naming the file, the line, the field, the
bad value and the valid ones. From the validated file come the settings each stage needs:
:class:`InventorySettings` (the inventory engine), :class:`UncertaintySettings` (Approach 2)
and :class:`InversionSettings` (the national inversion, defaults filled). The JSON Schema
of ``case.yaml`` (``docs/case.schema.json``) is generated from :class:`CaseFile`:
``python -m openmrv.settings docs/case.schema.json``.

The satellite side (``top_down:``, :class:`InversionSettings`) lives in
:mod:`openmrv.settings_topdown` and the building blocks (number types, the base model, the
case limits) in :mod:`openmrv.settings_base`; every public name is re-exported here.
A core module: it reads no case files and imports nothing from the stages.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from openmrv.categories import check_code
from openmrv.factors import QUALIFIER_NAMES
from openmrv.gwp import ETF_DEFAULT, GWPSet
from openmrv.settings_base import (
    CASE_LIMITS,
    DEFAULT_SEED,
    Code,
    Count,
    Number,
    Seed,
    _default,
    _Model,
    limit,
)
from openmrv.settings_errors import UNION_TAG, YamlLines, case_error
from openmrv.settings_topdown import (
    DEFAULT_SECTORS,
    SAMPLING_TABLE,
    TRANSPORT_ERRORS,
    InversionSection,
    InversionSettings,
    OsseSection,
    Period,
    SectorPriorError,
    StateVectorMode,
    StateVectorSection,
    TopDownSection,
    TransportError,
    XCH4RecordSection,
    sampling_designs,
)

__all__ = [
    "CASE_LIMITS",
    "DEFAULT_SECTORS",
    "DEFAULT_SEED",
    "GAP_FILLING",
    "SAMPLING_TABLE",
    "SPLICE_METHODS",
    "TRANSPORT_ERRORS",
    "CaseFile",
    "CategorySystem",
    "Code",
    "Count",
    "FactorsSection",
    "GapFilling",
    "GapFillingSection",
    "InventorySettings",
    "InversionSection",
    "InversionSettings",
    "NidSection",
    "Number",
    "OsseSection",
    "Period",
    "QualifierName",
    "SectorPriorError",
    "Seed",
    "SeriesRef",
    "Splice",
    "SpliceMethod",
    "StateVectorMode",
    "StateVectorSection",
    "TopDownSection",
    "TransportError",
    "UncertaintySettings",
    "XCH4RecordSection",
    "Years",
    "case_json_schema",
    "limit",
    "main",
    "parse_case_file",
    "sampling_designs",
]

CategorySystem = Literal["IPCC2006"]
GapFilling = Literal["none", "interpolate", "interpolate+extrapolate"]
SpliceMethod = Literal["overlap", "surrogate"]
QualifierName = Literal[QUALIFIER_NAMES]  # type: ignore[valid-type]

GAP_FILLING: tuple[str, ...] = get_args(GapFilling)
SPLICE_METHODS: tuple[str, ...] = get_args(SpliceMethod)


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


class NidSection(_Model):
    """``nid:``: the Party's own texts of the national inventory document (Markdown files,
    rendered escaped); a part not given is stated as one the Party must provide."""

    executive_summary: str | None = Field(None, description="background of the inventory (ES)")
    national_circumstances: str | None = Field(None, description="national circumstances")
    institutional_arrangements: str | None = Field(
        None, description="institutional arrangements for the inventory"
    )
    inventory_preparation: str | None = Field(
        None, description="inventory preparation, data collection and archiving"
    )
    flexibility: str | None = Field(None, description="flexibility provisions applied")

    def files(self) -> dict[str, str]:
        """The parts given: part -> file (relative to the case folder)."""
        return {k: v for k, v in self.model_dump().items() if v}


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
    nid: NidSection = Field(default_factory=NidSection)

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
