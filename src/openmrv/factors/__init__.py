"""The factor library: every coefficient openmrv uses, as cited data tables.

Each CSV file in ``factors/data`` is one table of the IPCC Guidelines (or of a
country's own, Tier 2/3, parameters): one row per value with its unit,
uncertainty, distribution and source. The schema is in ``docs/data-format.md``.

A :class:`FactorLibrary` loads the tables, checks them, and answers lookups:
the most specific row wins (category depth, then key, then qualifiers);
country-specific rows (Tier 2) win over defaults; a tie between tables must be
broken by the case's ``factors.prefer`` list, never silently.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from openmrv.case_limits import excerpt
from openmrv.errors import FactorError
from openmrv.limits import factor_out_of_range, share_out_of_range
from openmrv.units import parse_unit

COLUMNS: tuple[str, ...] = (
    "parameter",
    "category",
    "activity",
    "key",
    "qualifier",
    "gas",
    "value",
    "unit",
    "low",
    "high",
    "uncertainty_pct",
    "distribution",
    "source",
    "edition",
    "table",
    "notes",
)
#: Optional columns of country-specific (Tier 2/3) tables.
OPTIONAL_COLUMNS: tuple[str, ...] = ("year",)
Distribution = Literal["normal", "lognormal", "triangular", "uniform"]
DISTRIBUTIONS: tuple[str, ...] = ("normal", "lognormal", "triangular", "uniform")
QUALIFIER_NAMES: tuple[str, ...] = (
    "region",
    "climate",
    "productivity",
    "development",
    "system",
    "feedstock",
    "technology",
)
DATA_DIR = Path(__file__).parent / "data"


class NoFactorError(FactorError):
    """No factor row applies to a lookup (as opposed to an ambiguous or bad table)."""


@dataclass(frozen=True)
class Factor:
    """One row of a factor table.

    ``low``/``high`` bound the 95 % confidence interval (same unit as ``value``);
    ``uncertainty_pct`` is the half-width of that interval in percent when the
    source states it that way.
    """

    table_id: str
    line: int
    parameter: str
    category: str
    activity: str
    key: str
    qualifier: tuple[tuple[str, str], ...]
    gas: str
    value: float
    unit: str
    low: float | None
    high: float | None
    uncertainty_pct: float | None
    distribution: str
    source: str
    edition: str
    table: str
    notes: str = ""
    tier: int = 1
    year: int | None = None

    @property
    def id(self) -> str:
        """Stable identifier: ``<table_id>:<line>``."""
        return f"{self.table_id}:{self.line}"

    @property
    def relative_uncertainty(self) -> tuple[float, float]:
        """Lower and upper half-widths of the 95 % interval, as fractions of ``value``."""
        if self.uncertainty_pct is not None:
            u = self.uncertainty_pct / 100.0
            return (u, u)
        if self.value == 0:
            return (0.0, 0.0)
        lo = (self.value - self.low) / abs(self.value) if self.low is not None else 0.0
        hi = (self.high - self.value) / abs(self.value) if self.high is not None else 0.0
        return (lo, hi)

    def citation(self) -> str:
        """Short citation: source, edition and table."""
        return f"{self.source} ({self.edition}), {self.table}"


def _num(text: str, *, file: Path, line: int, field_name: str, required: bool) -> float | None:
    text = (text or "").strip()
    if text == "":
        if required:
            raise FactorError("a number is required here", file=file, row=line, field=field_name)
        return None
    try:
        value = float(text)
    except ValueError:
        raise FactorError(
            f"'{text}' is not a number", file=file, row=line, field=field_name
        ) from None
    if math.isnan(value) or math.isinf(value):
        raise FactorError(f"'{text}' is not a finite number", file=file, row=line, field=field_name)
    return value


def parse_qualifier(
    text: str, *, file: Path | None = None, line: int | None = None
) -> tuple[tuple[str, str], ...]:
    """Parse ``"region=Asia;climate=warm"`` into sorted ``(name, value)`` pairs."""
    text = (text or "").strip()
    if not text:
        return ()
    pairs = []
    for part in text.split(";"):
        if "=" not in part:
            raise FactorError(
                f"qualifier '{part}' is not of the form name=value",
                file=file,
                row=line,
                field="qualifier",
            )
        name, value = (s.strip() for s in part.split("=", 1))
        if name not in QUALIFIER_NAMES:
            raise FactorError(
                f"unknown qualifier name '{name}'; use one of {', '.join(QUALIFIER_NAMES)}",
                file=file,
                row=line,
                field="qualifier",
            )
        pairs.append((name, value))
    return tuple(sorted(pairs))


def read_table(path: str | Path, *, tier: int = 1) -> list[Factor]:
    """Read and check one factor table.

    Raises
    ------
    FactorError
        Naming the file, line and field of the first problem found.
    """
    path = Path(path)
    if not path.is_file():
        raise FactorError("factor table not found; check the path in case.yaml", file=path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FactorError(f"cannot be read as UTF-8 CSV ({exc})", file=path) from None
    if not rows:
        raise FactorError("the file is empty; it needs the header row", file=path)
    header = [h.strip() for h in rows[0]]
    expected = list(COLUMNS)
    extra = [h for h in header if h not in COLUMNS]
    if [h for h in header if h in COLUMNS] != expected or any(
        e not in OPTIONAL_COLUMNS for e in extra
    ):
        raise FactorError(
            f"header is {excerpt(','.join(header))}; expected exactly {expected} (optionally plus "
            f"{list(OPTIONAL_COLUMNS)})",
            file=path,
            row=1,
        )
    out: list[Factor] = []
    seen: dict[tuple, int] = {}
    for line, raw in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            raise FactorError(
                f"has {len(raw)} fields, the header has {len(header)}", file=path, row=line
            )
        rec = dict(zip(header, (c.strip() for c in raw), strict=True))
        value = _num(rec["value"], file=path, line=line, field_name="value", required=True)
        low = _num(rec["low"], file=path, line=line, field_name="low", required=False)
        high = _num(rec["high"], file=path, line=line, field_name="high", required=False)
        upct = _num(
            rec["uncertainty_pct"],
            file=path,
            line=line,
            field_name="uncertainty_pct",
            required=False,
        )
        if upct is None and (low is None or high is None):
            raise FactorError(
                "no uncertainty: give low and high, or uncertainty_pct",
                file=path,
                row=line,
                field="uncertainty_pct",
            )
        if upct is not None and upct < 0:
            raise FactorError(
                f"uncertainty_pct {upct} is negative", file=path, row=line, field="uncertainty_pct"
            )
        assert value is not None
        if low is not None and high is not None and not (low <= value <= high):
            raise FactorError(
                f"value {value} lies outside [low, high] = [{low}, {high}]",
                file=path,
                row=line,
                field="value",
            )
        if rec["distribution"] not in DISTRIBUTIONS:
            raise FactorError(
                f"unknown distribution '{rec['distribution']}'; use one of "
                f"{', '.join(DISTRIBUTIONS)}",
                file=path,
                row=line,
                field="distribution",
            )
        for name in ("parameter", "category", "unit", "source", "edition", "table"):
            if not rec[name]:
                raise FactorError("must not be empty", file=path, row=line, field=name)
        parse_unit(rec["unit"], where=f"{path}, line {line}")
        for name, number in (("value", value), ("low", low), ("high", high)):
            why = share_out_of_range(rec["parameter"], number, rec["unit"])
            if why is not None:
                raise FactorError(f"{name} {why}", file=path, row=line, field=name)
        year = None
        if rec.get("year"):
            y = _num(rec["year"], file=path, line=line, field_name="year", required=True)
            year = int(y) if y is not None else None
        factor = Factor(
            table_id=path.stem,
            line=line,
            parameter=rec["parameter"],
            category=rec["category"],
            activity=rec["activity"],
            key=rec["key"],
            qualifier=parse_qualifier(rec["qualifier"], file=path, line=line),
            gas=rec["gas"],
            value=value,
            unit=rec["unit"],
            low=low,
            high=high,
            uncertainty_pct=upct,
            distribution=rec["distribution"],
            source=rec["source"],
            edition=rec["edition"],
            table=rec["table"],
            notes=rec["notes"],
            tier=tier,
            year=year,
        )
        ident = (
            factor.parameter,
            factor.category,
            factor.activity,
            factor.key,
            factor.qualifier,
            factor.gas,
            factor.year,
        )
        if ident in seen:
            raise FactorError(
                f"duplicates line {seen[ident]} (same parameter, category, "
                "activity, key, qualifier, gas and year)",
                file=path,
                row=line,
            )
        seen[ident] = line
        out.append(factor)
    return out


def _category_matches(factor_cat: str, category: str) -> int:
    """Specificity (depth + 1) if ``factor_cat`` covers ``category``, else -1."""
    if factor_cat == "*":
        return 0
    if category == factor_cat or category.startswith(factor_cat + "."):
        return factor_cat.count(".") + 2
    return -1


@dataclass
class FactorLibrary:
    """All factor tables available to a run.

    Parameters
    ----------
    factors
        The rows of every table.
    prefer
        Table ids in order of preference, used only to break ties between
        equally specific rows of different tables.
    qualifiers
        The case's qualifier values (e.g. ``{"region": "Asia", "climate": "warm"}``).
    table_qualifiers
        Qualifier values for single tables, overriding ``qualifiers`` there: the
        Guidelines' tables name their regions differently (Table 2.1 "South-Central
        Asia", Table 6.4 "Asia", Table 3.15 "Russia"...).
    """

    factors: list[Factor]
    prefer: list[str] = field(default_factory=list)
    qualifiers: Mapping[str, str] = field(default_factory=dict)
    table_qualifiers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index: dict[str, list[Factor]] = {}
        for f in self.factors:
            self._index.setdefault(f.parameter, []).append(f)
        self._yearly = {f.parameter for f in self.factors if f.year is not None}

    @classmethod
    def default(
        cls,
        *,
        extra: Iterable[str | Path] = (),
        prefer: Iterable[str] = (),
        qualifiers: Mapping[str, str] | None = None,
        table_qualifiers: Mapping[str, Mapping[str, str]] | None = None,
    ) -> FactorLibrary:
        """The packaged IPCC tables plus ``extra`` country-specific (Tier 2) tables, each
        row of these checked against the IPCC defaults of its parameter
        (:func:`openmrv.limits.factor_out_of_range`)."""
        rows: list[Factor] = []
        for path in sorted(DATA_DIR.glob("*.csv")):
            rows.extend(read_table(path, tier=1))
        defaults = list(rows)
        for path in extra:
            country = read_table(path, tier=2)
            for f in country:  # IPCC 2006 Vol 1 Ch 6, 6.10.1: compared with the defaults
                why = factor_out_of_range(f, defaults)
                if why is not None:
                    raise FactorError(why, file=path, row=f.line, field="value")
            rows.extend(country)
        known = {f.table_id for f in rows}
        for table_id in [*prefer, *(table_qualifiers or {})]:
            if table_id not in known:
                raise FactorError(
                    f"factors.prefer names table '{table_id}', which is not "
                    f"loaded; known tables: {', '.join(sorted(known))}",
                    field="factors.prefer",
                )
        return cls(rows, list(prefer), dict(qualifiers or {}), dict(table_qualifiers or {}))

    @property
    def tables(self) -> list[str]:
        """Ids of the loaded tables."""
        return sorted({f.table_id for f in self.factors})

    def _qualifier_ok(self, factor: Factor) -> bool:
        own = self.table_qualifiers.get(factor.table_id, {})
        return all(
            own.get(name, self.qualifiers.get(name)) == value for name, value in factor.qualifier
        )

    def candidates(
        self,
        parameter: str,
        category: str,
        *,
        activity: str = "",
        key: str = "",
        gas: str = "",
        year: int | None = None,
    ) -> list[tuple[tuple, Factor]]:
        """Rows that apply, each with its specificity score (higher is more specific)."""
        out = []
        for f in self._index.get(parameter, ()):
            if f.gas != gas:
                continue
            if f.activity and activity and f.activity != activity:
                continue
            if f.key and f.key != key:
                continue
            if f.year is not None and f.year != year:
                continue
            depth = _category_matches(f.category, category)
            if depth < 0 or not self._qualifier_ok(f):
                continue
            score = (f.tier, f.year is not None, depth, bool(f.key), len(f.qualifier))
            out.append((score, f))
        return out

    def lookup(
        self,
        parameter: str,
        category: str,
        *,
        activity: str = "",
        key: str = "",
        gas: str = "",
        year: int | None = None,
    ) -> Factor:
        """The one factor that applies, or a :class:`FactorError` saying why there is none."""
        found = self.candidates(parameter, category, activity=activity, key=key, gas=gas, year=year)
        what = (
            f"{parameter}{' for ' + gas if gas else ''} in category {category}"
            f"{', activity ' + activity if activity else ''}{', key ' + key if key else ''}"
        )
        if not found:
            hint = self._why_none(parameter, category, activity, key, gas)
            raise NoFactorError(f"no factor {what}. {hint}", field="factors")
        best = max(score for score, _ in found)
        top = [f for score, f in found if score == best]
        if len(top) > 1:
            ranked = [t for t in self.prefer if t in {f.table_id for f in top}]
            if ranked:
                top = [f for f in top if f.table_id == ranked[0]]
        if len(top) > 1:
            ids = ", ".join(f.id for f in top)
            raise FactorError(
                f"more than one factor {what}: {ids}. Choose a table with 'factors: prefer:' "
                "or set the qualifiers that tell them apart in case.yaml",
                field="factors",
            )
        return top[0]

    def lookup_years(
        self,
        parameter: str,
        category: str,
        years: Iterable[int],
        *,
        activity: str = "",
        key: str = "",
        gas: str = "",
    ) -> list[Factor]:
        """The factor that applies in each year (country-specific rows may be year-specific)."""
        years = [int(y) for y in years]
        if parameter not in self._yearly:
            f = self.lookup(parameter, category, activity=activity, key=key, gas=gas)
            return [f] * len(years)
        return [
            self.lookup(parameter, category, activity=activity, key=key, gas=gas, year=y)
            for y in years
        ]

    def _why_none(self, parameter: str, category: str, activity: str, key: str, gas: str) -> str:
        near = [
            f
            for f in self.factors
            if f.parameter == parameter
            and f.gas == gas
            and _category_matches(f.category, category) >= 0
            and (not f.key or f.key == key)
        ]
        if near:
            needed = sorted({f"{n}={v}" for f in near for n, v in f.qualifier})
            if needed:
                return (
                    f"Rows exist with qualifiers {', '.join(needed)}; set the matching "
                    "'qualifiers' in case.yaml (now "
                    f"{dict(self.qualifiers) or 'none'})."
                )
        keys = sorted(
            {
                f.key
                for f in self._index.get(parameter, ())
                if f.gas == gas and _category_matches(f.category, category) >= 0 and f.key
            }
        )
        if keys:
            return f"Keys with factors here: {', '.join(keys[:30])}."
        return "Add a country-specific table (Tier 2) with this factor, or check the category."

    def expand(
        self, parameter: str, category_prefix: str, activity: str, year: int | None = None
    ) -> list[Factor]:
        """Every applicable row below ``category_prefix`` that multiplies ``activity``.

        Used by Tier 1 methods that apply a whole table to one activity (for
        example all fugitive segments to gas production). Among rows for the
        same (category, key, gas), the most specific / preferred one is kept. When
        the case's country-specific tables give rows for this activity, they alone
        define the list (a Tier 2 segment breakdown replaces the default one).
        """
        rows = [
            f
            for f in self.factors
            if f.parameter == parameter
            and f.activity == activity
            and f.category != "*"
            and (f.category == category_prefix or f.category.startswith(category_prefix + "."))
            and self._qualifier_ok(f)
        ]
        if any(f.tier > 1 for f in rows):
            # the country's own segment list (Tier 2) replaces the default table
            rows = [f for f in rows if f.tier > 1]
        default_tables = sorted({f.table_id for f in rows if f.tier == 1})
        if len(default_tables) > 1:
            ranked = [t for t in self.prefer if t in default_tables]
            if not ranked:
                raise FactorError(
                    f"tables {', '.join(default_tables)} all give {parameter} for {activity} "
                    f"under {category_prefix}; name the one to use in case.yaml "
                    "('factors: prefer:')",
                    field="factors.prefer",
                )
            rows = [f for f in rows if f.tier > 1 or f.table_id == ranked[0]]
        groups = dict.fromkeys((f.category, f.key, f.gas) for f in rows)
        return [
            self.lookup(parameter, cat, activity=activity, key=key, gas=gas, year=year)
            for cat, key, gas in groups
        ]
