"""Typed settings of the satellite side of ``case.yaml``: the ``top_down:`` section (plume
catalogues, soundings, the national inversion, the XCH4 record) and
:class:`InversionSettings`, the inversion's settings with the defaults filled.

Every name is re-exported by :mod:`openmrv.settings` (import them from there).
A core module: it reads only the package's sampling-design table and imports nothing from
the stages.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import pandas as pd
from pydantic import ConfigDict, Field, Strict, model_validator

from openmrv.errors import CaseError
from openmrv.settings_base import (
    DEFAULT_SEED,
    Code,
    Count,
    Number,
    Seed,
    _default,
    _Model,
    limit,
)
from openmrv.settings_errors import YamlLines
from openmrv.settings_sources import SourcesSection, SourcesSettings

TransportError = Literal["ensemble", "scaling", "none"]
SectorPriorError = Literal["inventory", "none"]
StateVectorMode = Literal["clusters", "grid", "regions"]
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
