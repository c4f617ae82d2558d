"""``openmrv case new ISO3 --out DIR``: a draft case for a country, from what openmrv
packages, and a ``TODO.md`` of every choice left to the compiler.

A draft holds what is known offline and says plainly what is not:

- ``case.yaml``: the country (ISO 3166 alpha-3) and its name (Natural Earth), the years,
  the ETF GWP set, gap filling that flags every spliced value, the factor qualifier
  ``development`` proposed from Annex I of the Convention (``data/annex_i_parties.csv``;
  an assumption the compiler confirms), the published satellite-based estimates (on);
- ``activity/activity.csv``: the series openmrv packages for the country
  (:mod:`openmrv.draft_series`: FAOSTAT livestock and fertiliser N, BP energy totals and
  oil and gas production, for KAZ, TKM and UZB), each row with its source; for any other
  country the header only, and ``openmrv run`` refuses the draft (exit 2, naming the file)
  until rows are added;
- ``notation_keys.csv``: NE, with the reason, for the categories no packaged series covers;
- ``TODO.md``: per sector the activity series the methods need and public sources for them,
  the qualifiers the factor tables ask for, the published estimates the package holds for
  the country, the files that must be for the country (the country guard,
  :mod:`openmrv.stages.country`), and the gap-filling choices of IPCC 2006 Vol 1 Ch 5;
- ``SOURCES.md``: where each file came from.
"""

from __future__ import annotations

import csv
import datetime as dt
from importlib.resources import files
from pathlib import Path

import pandas as pd
import yaml

from openmrv.case import ACTIVITY_COLUMNS
from openmrv.draft_series import (
    NOT_PACKAGED,
    covered_years,
    draft_qualifiers,
    draft_rows,
    notation_key_rows,
)
from openmrv.errors import InputError
from openmrv.observe.region import country_names
from openmrv.settings import parse_case_file
from openmrv.verify.published import read_published

#: the activity series of each sector that openmrv's methods take (activity, categories,
#: public source to look for); the handlers' docstrings give keys and units
NEEDS: tuple[tuple[str, str, str, str], ...] = (
    (
        "1.A",
        "fuel_consumption",
        "1.A.1-1.A.5",
        "national energy balance (IEA, UN Energy "
        "Statistics Database, Eurostat), TJ by fuel and sector",
    ),
    (
        "1.B.1",
        "coal_production",
        "1.B.1.a.i / 1.B.1.a.ii",
        "coal production by mine type (national statistics, USGS Minerals Yearbook)",
    ),
    (
        "1.B.2",
        "gas_production, gas_marketed, oil_production",
        "1.B.2.a-b",
        "oil and gas production (Energy Institute Statistical Review, national statistics)",
    ),
    (
        "2.A",
        "clinker_production, lime_production",
        "2.A.1, 2.A.2",
        "cement and lime production (USGS Minerals Yearbook, national statistics)",
    ),
    (
        "2.B",
        "ammonia_production, nitric_acid_production, methanol_production",
        "2.B.1, 2.B.2, 2.B.8",
        "plant capacities and output (company reports, USGS Nitrogen)",
    ),
    (
        "2.C",
        "steel_production, pig_iron_production, dri_production",
        "2.C.1",
        "World Steel Association yearbook",
    ),
    (
        "3.A",
        "head",
        "3.A.1, 3.A.2",
        "FAOSTAT QCL livestock stocks (annual, from 1961; successor states of the USSR from 1992)",
    ),
    (
        "3.C",
        "urea_applied, n_applied, area_harvested",
        "3.C.3, 3.C.4, 3.C.7",
        "FAOSTAT fertiliser (RFN) and crops (QCL area harvested)",
    ),
    (
        "4",
        "population",
        "4.A, 4.D",
        "UN World Population Prospects (waste per capita: What a Waste 2.0, World Bank, "
        "as a country-specific factor)",
    ),
)


def annex_i() -> dict[str, str]:
    """ISO3 -> Party, for the Parties in Annex I to the UNFCCC (``data/annex_i_parties.csv``)."""
    text = (files("openmrv") / "data" / "annex_i_parties.csv").read_text(encoding="utf-8")
    return {r["iso3"]: r["party"] for r in csv.DictReader(text.splitlines())}


def default_years(today: dt.date | None = None) -> tuple[int, int]:
    """1990 to the latest year a BTR reports (two years before the present, the ETF's
    ``X-2``, decision 18/CMA.1 para 58)."""
    return 1990, (today or dt.date.today()).year - 2


def case_settings(iso3: str, first: int, last: int) -> tuple[dict, str]:
    """The draft's case.yaml settings and the country's name.

    Raises
    ------
    InputError
        For a code that is not a country of the packaged Natural Earth table.
    """
    code = iso3.strip().upper()
    names = {v: k for k, v in country_names().items()}
    if code not in names:
        raise InputError(
            f"'{iso3}' is not an ISO 3166 alpha-3 code of the packaged country table "
            "(Natural Earth 1:110m), e.g. UZB, KAZ, TKM",
            field="ISO3",
        )
    name = names[code].title()
    development = "developed" if code in annex_i() else "developing"
    cfg = {
        "name": name,
        "description": f"Draft national inventory of {name} from `openmrv case new`; "
        "see TODO.md before the first run.",
        "country": code,
        "years": {"first": first, "last": last},
        "gwp": "AR5GWP100",
        "category_system": "IPCC2006",
        "gap_filling": "interpolate+extrapolate",
        "qualifiers": {"development": development, **draft_qualifiers(code)[0]},
        "qualifiers_by_table": draft_qualifiers(code)[1],
        "factors": {"prefer": draft_qualifiers(code)[3]},
        "activity": ["activity/activity.csv"],
        "notation_keys": "notation_keys.csv",
        "top_down": {"published_estimates": True},
    }
    return cfg, name


def _packaged(rows: list, gaps: list[str]) -> str:
    if not rows:
        return (
            "openmrv packages no national activity data for this country: until\n"
            "`activity/activity.csv` has rows, `openmrv run` stops (exit 2) and names the file."
        )
    series = sorted({(r.category, r.activity, r.key) for r in rows})
    listed = "\n".join(f"  - {c} `{a}` {k}" for c, a, k in series)
    gap = "\n".join(f"  - [ ] {g}" for g in gaps) or "  - none in these years"
    missing = "\n".join(f"  - [ ] {m}" for m in NOT_PACKAGED)
    return f"""`activity/activity.csv` holds {len(rows)} rows that openmrv packages for this
country (openmrv/data/public, SOURCES.md there), each with its source:
{listed}

- Gaps in the draft's years (the run fills them as `gap_filling` says and flags each
  value in `gap_filling.csv`; choose a method per series, IPCC 2006 Vol 1 Ch 5):
{gap}
- Not packaged: the categories below stay NE (notation key, with this reason) until the
  compiler adds their activity:
{missing}"""


def _todo(cfg: dict, name: str, drafted: list | None = None, gaps: list[str] | None = None) -> str:
    code, yrs = cfg["country"], cfg["years"]
    pub = read_published()
    rows = pub[pub["country"] == code]
    published = (
        "\n".join(
            f"  - {r.first_author} {r.year_published}, {r.satellite}: {r.gas} {r.value} "
            f"{r.unit} ({r.period_first}-{r.period_last}), {r.doi}"
            for r in rows.itertuples()
        )
        or "  - none for this country in verify/data/published_estimates.csv"
    )
    proposed = "\n".join(f"  - {r}" for r in draft_qualifiers(code)[2]) or "  - none"
    needs = "\n".join(
        f"- [ ] **{sector}** `{acts}` under {cats}: {src}" for sector, acts, cats, src in NEEDS
    )
    annex = "an Annex I Party" if cfg["qualifiers"]["development"] == "developed" else (
        "not an Annex I Party")  # fmt: skip
    return f"""# {name} ({code}): what the compiler must still do

This draft was written by `openmrv case new {code}` from what openmrv packages.
{_packaged(drafted or [], gaps or [])}

Tick each item when done.

## 1. Activity data ({yrs["first"]}-{yrs["last"]}), one row per category, activity, key, year

Every row carries its source in the `source` column. Methods and keys:
`docs/data-format.md` and the handlers in `src/openmrv/estimate/inventory/`.

{needs}

## 2. Time series (IPCC 2006 Vol 1 Ch 5)

- [ ] `gap_filling: interpolate+extrapolate` fills what is missing and lists it in
  `gap_filling.csv`. A series with one reported year is held constant (flag C) and the run
  warns: give annual data, or choose a surrogate (5.3.3.2) or overlap (5.3.3.1) per series
  in `gap_filling: {{default: ..., series: [...]}}`.

## 3. Factor choices

- [ ] `qualifiers: development: {cfg["qualifiers"]["development"]}` is proposed because
  {name} is {annex} (`data/annex_i_parties.csv`); confirm it, and whether 1.B.2 should use
  the factors for economies in transition (`factors: prefer:
  [ipcc2006_v2c4_t4.2.5_fugitive_oil_gas_eit]`).
- [ ] `region:` for livestock (Vol 4 Tables 10.10, 10.11, 10A), `climate:` for manure and
  waste (Tables 10.14, 10.15, Vol 5 Table 3.3): `openmrv factors` lists each table's choices.
  Proposed in this draft (data/public/draft_qualifiers.csv), each to confirm:
{proposed}
- [ ] Country-specific factors (Tier 2) in `factors: country_specific:`, each row with its
  source.

## 4. Uncertainty, notation keys, facilities

- [ ] `uncertainty: activity:` a CSV of activity uncertainties (95 % half-widths) with sources.
- [ ] `notation_keys:` NO / NE / IE / NA / C for every category without a number.
- [ ] `facilities:` the register (fields, plants, mines) with `country: {code}` on every row.

## 5. Evidence and references: each file must be for {code}

`openmrv run` refuses a case whose files name another country (file names, `country`
columns, boundary properties; docs/data-format.md, "One country per case").

- [ ] `references:` EDGAR, Climate Watch (CAIT), Climate TRACE extracts for {code}; a file
  without a country column is declared as `{{file: ..., country: {code}}}`.
- [ ] `regions:` admin-1 polygons of {name} (Natural Earth admin-1, geoBoundaries) and
  `region_names:`.
- [ ] `top_down:` plume catalogues (global files are clipped to {name}), soundings, the
  XCH4 record, the inversion.
- Published satellite-based estimates the package holds for {code} (used as evidence):
{published}
"""


def write_draft(iso3: str, out: str | Path, first: int | None = None,
                last: int | None = None) -> list[Path]:  # fmt: skip
    """Write a draft case for ``iso3`` into the folder ``out`` (new or empty).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InputError
        For an unknown country, bad years, or an ``out`` folder that holds files.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("exists and is not an empty folder; give a new folder", file=out)
    d_first, d_last = default_years()
    covered = covered_years(iso3.strip().upper())
    if covered is not None:  # default: the years the packaged data cover (from 1990)
        d_last = min(d_last, covered[1])
    first, last = first or d_first, last or d_last
    if not 1900 <= first <= last:
        raise InputError(f"years {first}-{last}: give FIRST-LAST, first <= last", field="years")
    cfg, name = case_settings(iso3, first, last)
    parse_case_file(cfg, file=out / "case.yaml")  # the draft must be a valid case.yaml
    (out / "activity").mkdir(parents=True, exist_ok=True)
    written = []
    head = f"# {name}: draft case from `openmrv case new` (openmrv). Read TODO.md first.\n"
    path = out / "case.yaml"
    path.write_text(head + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), "utf-8")
    written.append(path)
    path = out / "activity" / "activity.csv"
    rows, gaps = draft_rows(cfg["country"], first, last)
    table = pd.DataFrame([r.__dict__ for r in rows], columns=list(ACTIVITY_COLUMNS))
    table.to_csv(path, index=False)
    written.append(path)
    path = out / "notation_keys.csv"
    pd.DataFrame(notation_key_rows()).to_csv(path, index=False)
    written.append(path)
    path = out / "TODO.md"
    path.write_text(_todo(cfg, name, rows, gaps), encoding="utf-8")
    written.append(path)
    path = out / "SOURCES.md"
    path.write_text(
        f"# Sources of the draft case {name}\n\n"
        "- `case.yaml`: written by `openmrv case new`; the country name from Natural Earth "
        "1:110m admin-0 (public domain, packaged in openmrv/observe/data); `development` "
        "from openmrv/data/annex_i_parties.csv (UNFCCC Annex I).\n"
        "- `activity/activity.csv`: "
        + (
            "the public series openmrv packages (openmrv/data/public/SOURCES.md: FAOSTAT via "
            "open-numbers/ddf--unfao--faostat, CC BY 4.0; BP Statistical Review 2021 via "
            "owid/energy-data); each row names its source.\n"
            if rows
            else "empty; add each series with its source.\n"
        ),
        encoding="utf-8",
    )
    written.append(path)
    return written
