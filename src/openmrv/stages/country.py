"""Before any stage computes: do the case's files agree about the country?

A case copied from another country's (``examples/turkmenistan`` renamed to Uzbekistan, say)
would otherwise run to the end on the wrong country's files. :func:`check_country` reads
what each file says about its country and stops the run (exit 2 on the command line) with
one line per file that disagrees with ``country:`` of case.yaml:

- ``references:`` — the country a reference file declares: ``{file, country}`` in
  case.yaml, else a country column of the file (``country``, ``Country``, ``region``,
  ``iso``, ``iso3``, ``iso_code``, ``country_code``). A file that declares none is refused:
  its country is never inferred from its name. A file *name* that names another country
  (an ISO3 code such as ``_TKM_`` or a country's name as a word) is a disagreement too:
  rename the file or fix the case;
- ``facilities:`` — the register's ``country`` column, and where its sites are: more than
  half of them outside the country (Natural Earth outline, :data:`PAD_DEGREE` around it)
  says the register is another country's;
- ``top_down: plume_catalogues:`` — a catalogue whose every row names one other country
  (a country extract); global catalogues are clipped to the country by the plume stage;
- ``regions:`` — the country properties of the boundary polygons (``adm0_a3``,
  ``iso_a3``, ``sov_a3``, ``GID_0``, ``admin``, ``COUNTRY``), and the inversion's
  ``region:`` of case.yaml;
- the file name of any other input that names another country.

Country names are matched through the packaged Natural Earth 1:110m table
(:func:`openmrv.observe.region.country_names`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import shapely

from openmrv.case import Case, read_facilities
from openmrv.errors import CaseError, InputError
from openmrv.observe.catalogues import read_plume_catalogue
from openmrv.observe.region import country_names, country_polygons

#: columns of a table that name its country (first found is read)
COUNTRY_COLUMNS: tuple[str, ...] = (
    "country",
    "Country",
    "iso3",
    "ISO3",
    "iso",
    "ISO",
    "iso_code",
    "country_code",
    "region",
)
#: properties of a boundary polygon that name its country
BOUNDARY_PROPERTIES: tuple[str, ...] = (
    "adm0_a3",
    "iso_a3",
    "sov_a3",
    "GID_0",
    "shapeGroup",
    "ISO3",
    "admin",
    "COUNTRY",
)
#: margin around the country's Natural Earth 1:110m outline within which a facility
#: counts as inside [degree]: assumption (openmrv), the 1:110m outline is off by up to
#: ~0.2 degree and register coordinates may be town centroids
PAD_DEGREE = 0.5


@dataclass(frozen=True)
class Disagreement:
    """One file's word on the country that is not the case's."""

    file: Path
    says: str

    def line(self, root: Path) -> str:
        try:
            name = self.file.relative_to(root)
        except ValueError:
            name = self.file
        return f"  {name}: {self.says}"


class CountryMismatch(CaseError):
    """The case's files disagree about the country (see :func:`check_country`)."""


def _iso3(value: str, names: dict[str, str]) -> str | None:
    """ISO3 code of a code or a country name (Natural Earth spelling), else None."""
    v = str(value).strip()
    if len(v) == 3 and v.isalpha() and v.upper() in names.values():
        return v.upper()
    return names.get(v.lower())


def name_claims(path: Path, names: dict[str, str]) -> set[str]:
    """The countries a file *name* names: ISO3 tokens (``_TKM_``) and country names as
    words (``..._Turkmenistan.csv``). Used only to catch a name that contradicts the case,
    never to decide a file's country."""
    stem = path.name
    out = {t for t in re.split(r"[^A-Za-z]+", stem) if len(t) == 3 and t in names.values()}
    low = re.sub(r"[^a-z]+", " ", stem.lower())
    for name, code in names.items():
        if len(name) > 3 and re.search(rf"\b{re.escape(name)}\b", low):
            out.add(code)
    return out


def _column_claim(path: Path, names: dict[str, str]) -> tuple[str | None, set[str]]:
    """The country column of a CSV and the countries (ISO3, or the raw text) it names."""
    try:
        head = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot be read as CSV ({exc})", file=path) from None
    for col in COUNTRY_COLUMNS:
        if col in head.columns:
            vals = {v.strip() for v in head[col] if v.strip()}
            return col, {_iso3(v, names) or v for v in vals}
    return None, set()


def _references(case: Case, names: dict[str, str]) -> list[Disagreement]:
    out = []
    declared = {
        k: v["country"] for k, v in case.settings.references.items() if not isinstance(v, str)
    }
    for key, path in case.references.items():
        col, found = _column_claim(path, names)
        if key in declared and declared[key] != case.country:
            out.append(Disagreement(path, f"case.yaml references.{key}.country is "
                                          f"{declared[key]}"))  # fmt: skip
        if col is not None and found != {case.country}:
            out.append(Disagreement(path, f"column '{col}' names {', '.join(sorted(found))}"))
        if col is None and key not in declared:
            out.append(Disagreement(path, f"declares no country (no column "
                f"{'/'.join(COUNTRY_COLUMNS[:3])}...); give it in case.yaml as "
                f"references: {{{key}: {{file: ..., country: {case.country}}}}}"))  # fmt: skip
    return out


def _facilities(case: Case, names: dict[str, str]) -> list[Disagreement]:
    if case.facilities_file is None:
        return []
    reg = read_facilities(case)
    if reg.empty:
        return []
    out = []
    codes = reg["country"].map(lambda v: _iso3(v, names) or str(v).strip())
    other = codes[(codes != case.country) & (codes != "")]
    if len(other):
        counts = other.value_counts()
        says = ", ".join(f"{c} on {n} rows" for c, n in counts.items())
        out.append(Disagreement(case.facilities_file,
                                f"column 'country' says {says} of {len(reg)}"))  # fmt: skip
    if case.country in names.values():
        shape = shapely.buffer(
            shapely.union_all([shapely.Polygon(r[0], r[1:]) for r in
                               country_polygons(case.country)]), PAD_DEGREE)  # fmt: skip
        pts = shapely.points(reg["lon"].astype(float), reg["lat"].astype(float))
        outside = ~shapely.contains(shape, pts)
        if outside.sum() * 2 > len(reg):
            out.append(Disagreement(case.facilities_file,
                f"{int(outside.sum())} of {len(reg)} sites lie outside {case.country} "
                f"(Natural Earth outline + {PAD_DEGREE} degree)"))  # fmt: skip
    return out


def _catalogues(case: Case, names: dict[str, str]) -> list[Disagreement]:
    out = []
    for path in case.plume_catalogues:
        plumes = read_plume_catalogue(path, require_uncertainty=False)
        vals = {v.strip() for v in plumes.get("country", pd.Series(dtype=str)).astype(str)}
        found = {_iso3(v, names) or v for v in vals if v and v.lower() != "nan"}
        if len(found) == 1 and found != {case.country}:
            out.append(Disagreement(path, f"every plume is in {found.pop()}"))
    return out


def _boundary(case: Case, names: dict[str, str]) -> list[Disagreement]:
    out = []
    if case.region_files is not None:
        path = case.region_files[0]
        try:
            feats = json.loads(path.read_text(encoding="utf-8")).get("features", [])
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the regions GeoJSON: {exc}", file=path) from None
        found: dict[str, set[str]] = {}
        for feat in feats:
            props = feat.get("properties") or {}
            for key in BOUNDARY_PROPERTIES:
                if props.get(key):
                    code = _iso3(props[key], names) or str(props[key])
                    found.setdefault(key, set()).add(code)
        for key, codes in found.items():
            if codes != {case.country}:
                out.append(Disagreement(path, f"property '{key}' says "
                                              f"{', '.join(sorted(codes))}"))  # fmt: skip
    inv = case.settings.top_down.inversion
    region = None if inv is None else inv.region
    if region is not None and isinstance(region, str) and region.upper() != case.country:
        out.append(Disagreement(case.config_file, f"top_down.inversion.region is {region}"))
    return out


def disagreements(case: Case) -> list[Disagreement]:
    """Every file of the case whose word on the country is not ``country:`` of case.yaml."""
    names = country_names()
    out = [
        *_references(case, names),
        *_facilities(case, names),
        *_catalogues(case, names),
        *_boundary(case, names),
    ]
    for path in case.inputs():
        other = sorted(name_claims(Path(path), names) - {case.country})
        if other:
            out.append(Disagreement(Path(path), f"its file name names {', '.join(other)}"))
    return out


def check_country(case: Case) -> None:
    """Stop unless every file of the case agrees with ``country:`` of case.yaml.

    Raises
    ------
    CountryMismatch
        Naming case.yaml's country and, one line each, every file and what it says.
    """
    found = disagreements(case)
    if not found:
        return
    lines = "\n".join(sorted({d.line(case.root) for d in found}))
    raise CountryMismatch(
        f"case.yaml says country: {case.country}, but these files say otherwise:\n{lines}\n"
        "Every file of a case must be for its country: replace the files with the "
        f"country's own (docs/new-country.md), or correct country: in case.yaml.",
        file=case.config_file,
        field="country",
    )
