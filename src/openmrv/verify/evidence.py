"""Top-down evidence rows for the verification table, built from what each top-down stage
produced (pure functions on tables; the stages hand them over).

Every row has the columns :data:`EVIDENCE_COLUMNS` (those
:func:`openmrv.verify.topdown.compare_topdown` needs, plus ``osse``) and may carry
extra ones (``plumes``, ``attributed_share``, ``sensitivity``...) that the verification
table keeps. Contributors (the sites or sectors behind a row) have the columns
:data:`CONTRIBUTOR_COLUMNS`.

- third-party plume catalogues: :func:`catalogue_evidence` (oil-and-gas plumes attributed
  to the register's 1.B.2 sites and annualised per year by the Monte Carlo of
  :mod:`openmrv.verify.annualise`: lower bounds with their own, asymmetric, 95 % interval,
  and a sensitivity table);
- openmrv's own detections: :func:`own_plume_evidence` (annualised per site only where the
  scenes searched give enough valid views; otherwise ``insufficient coverage``, no value);
- the national inversion: :func:`inversion_evidence` (totals, with their DOFS);
- the inventory side of each comparison: :func:`bottom_up_intervals`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from openmrv.gwp import gwp
from openmrv.verify import annualise as an
from openmrv.verify import plumes as pv
from openmrv.verify.topdown import TOP_DOWN_COLUMNS, co2e_interval_as_gas

#: columns of a top-down evidence row (what compare_topdown needs, and ``osse``)
EVIDENCE_COLUMNS = (*TOP_DOWN_COLUMNS, "osse")
#: columns of the contributors behind a row
CONTRIBUTOR_COLUMNS = ("category", "gas", "evidence", "year", "name", "value_kt")
#: evidence label of openmrv's own detections ("<source>: <detail>")
OWN_PLUME_EVIDENCE = "openmrv plume detections: TROPOMI"
#: what an OSSE row of verification.csv says before anything else
OSSE_NOTE = (
    "OSSE: synthetic observations from a stated truth, not evidence about the inventory; "
    "it shows what this satellite and method could tell. "
)


@dataclass
class PlumeEvidence:
    """Third-party super-emitter evidence for 1.B.2: the plumes, the sites annualised per
    year, the top-down rows, their contributors and the sensitivity of each year's sum."""

    plumes: pd.DataFrame
    by_facility: pd.DataFrame
    top_down: pd.DataFrame
    contributors: pd.DataFrame
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: each year's annualisation (its Monte Carlo draws per site included)
    annual: dict[int, an.Annual] = field(default_factory=dict)


def catalogue_label(plumes: pd.DataFrame) -> str:
    """Evidence label of catalogue plumes: "plume catalogue: <the catalogues' names>"."""
    names = sorted({str(s) for s in plumes.get("source", pd.Series(dtype=str)).dropna()})
    return "plume catalogue: " + ("; ".join(names) if names else "third-party")


def _annual_row(res: an.Annual, year: int, evidence: str, note: str = "") -> dict:
    """One lower-bound 1.B.2 CH4 row from the sites annualised in ``res``."""
    t = res.total
    return {
        "category": "1.B.2",
        "gas": "CH4",
        "year": year,
        "value_kt": t["value_kt"],
        "sigma_kt": t["sigma_kt"],
        "evidence": evidence,
        "kind": "lower_bound",
        "osse": False,
        "low_kt": t["low_kt"],
        "high_kt": t["high_kt"],
        "median_kt": t["median_kt"],
        "valid_views": t["valid_views"],
        "sites_annualised": t["sites"],
        "sites_not_annualised": t["sites_not_annualised"],
        "note": note,
    }


def _contributors(sites: pd.DataFrame, year: int, evidence: str) -> list[tuple]:
    ok = sites[sites["coverage"] == "sufficient"]
    return [
        ("1.B.2", "CH4", evidence, year, f, v)
        for f, v in zip(ok["facility_id"], ok["annual_kt"], strict=True)
    ]


def _catalogue_note(res: an.Annual) -> str:
    t = res.total
    note = (
        f"Sum of {t['sites']} sites: central {t['value_kt']:,.0f} kt, Monte Carlo median "
        f"{t['median_kt']:,.0f} kt; the valid-view share of each site (between a lower bound "
        "from the catalogue's own plume days and 58.6 %, Gao et al. 2023) is one common "
        "error of all sites (plume_annualisation_sensitivity.csv)."
    )
    if t["sites_not_annualised"]:
        note += (
            f" {t['sites_not_annualised']} sites with too few demonstrable valid views are "
            "listed, not annualised."
        )
    return note


def catalogue_evidence(plumes: pd.DataFrame, facilities: pd.DataFrame) -> PlumeEvidence:
    """Plumes of third-party catalogues (already cut to the country) as 1.B.2 evidence:
    only those the catalogue labels oil and gas (``data/plume_source_types.csv``; coal,
    waste, power and unlabelled plumes are not 1.B.2), attributed to ``facilities`` and
    annualised per year (:mod:`openmrv.verify.annualise`)."""
    plumes = plumes[pv.ipcc_category_of(plumes["source_type"]) == "1.B.2"]
    plumes = pv.attribute(plumes.reset_index(drop=True), facilities)
    label = catalogue_label(plumes)
    by_fac, td_rows, contrib, sens, annual = [], [], [], [], {}
    for year in sorted(pd.DatetimeIndex(plumes["time"]).year.unique()):
        res = an.annualise_sites(an.site_statistics(plumes, int(year)))
        annual[int(year)] = res
        sites = res.sites
        sites.insert(0, "year", int(year))
        by_fac.append(sites)
        td_rows.append(_annual_row(res, int(year), label, _catalogue_note(res)))
        contrib += _contributors(sites, int(year), label)
        sens.append(an.sensitivity_table(plumes, int(year), label))
    top_down = pd.DataFrame(td_rows)
    years_ = pd.DatetimeIndex(plumes["time"]).year
    if len(top_down):
        top_down["plumes"] = [int((years_ == y).sum()) for y in top_down["year"]]
        top_down["attributed_share"] = [
            float(a.loc[a["attributed"], "annual_kt"].sum() / a["annual_kt"].sum())
            if a["annual_kt"].sum()
            else 0.0
            for a in by_fac
        ]
    return PlumeEvidence(
        plumes,
        pd.concat(by_fac, ignore_index=True) if by_fac else pd.DataFrame(),
        top_down,
        pd.DataFrame(contrib, columns=list(CONTRIBUTOR_COLUMNS)),
        pd.concat(sens, ignore_index=True) if sens else pd.DataFrame(),
        annual,
    )


def _own_detections(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """openmrv's scenes (every one searched) and its quantified detections."""
    scenes = table[table["source"] == "openmrv"].dropna(subset=["time"])
    own = scenes[scenes["detected"].astype(bool)]
    own = own.dropna(subset=["rate_t_per_h", "rate_sigma_t_per_h"])
    return scenes, own[own["rate_t_per_h"] > 0]


def _own_by_year(table: pd.DataFrame) -> list[tuple[int, an.Annual, int]]:
    """Per year: the sites of openmrv's detections, annualised where the scenes searched
    that year give enough valid views (the days searched: an upper bound on each site's
    valid views), and that number of days."""
    scenes, own = _own_detections(table)
    searched = pd.DatetimeIndex(scenes["time"])
    out = []
    for year in sorted(pd.DatetimeIndex(own["time"]).year.unique()):
        views = int(searched[searched.year == year].normalize().nunique())
        sites = an.site_statistics(own, int(year), valid_views=views)
        out.append((int(year), an.annualise_sites(sites), views))
    return out


def persistence(table: pd.DataFrame) -> pd.DataFrame:
    """openmrv's own detections per facility (or 0.2-degree cell) and year, annualised
    only where the scenes give enough valid views (:mod:`openmrv.verify.annualise`)."""
    frames = []
    for year, res, _ in _own_by_year(table) if len(table) else []:
        a = res.sites
        a.insert(1, "year", year)
        frames.append(a)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def own_plume_evidence(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Top-down rows and contributors from openmrv's own detections: annualised where the
    scenes searched give enough valid views, else an ``insufficient coverage`` row with no
    value (the detections stay in the plume table)."""
    rows, contrib = [], []
    for year, res, views in _own_by_year(table) if len(table) else []:
        sites = res.sites
        rate = ", ".join(
            f"{f} {r:,.1f} t/h on {d} day(s)"
            for f, r, d in zip(
                sites["facility_id"],
                sites["mean_rate_t_per_h"],
                sites["days_detected"],
                strict=True,
            )
        )
        note = f"openmrv searched TROPOMI scenes on {views} day(s) of {year}; detected: {rate}."
        row = _annual_row(res, year, OWN_PLUME_EVIDENCE, note)
        row["valid_views"] = float(views) if not res.total["sites"] else row["valid_views"]
        row["plumes"] = int(sites["detections"].sum())
        rows.append(row)
        contrib += _contributors(sites, year, OWN_PLUME_EVIDENCE)
    if not rows:
        return (
            pd.DataFrame(columns=list(EVIDENCE_COLUMNS)),
            pd.DataFrame(columns=list(CONTRIBUTOR_COLUMNS)),
        )
    return pd.DataFrame(rows), pd.DataFrame(contrib, columns=list(CONTRIBUTOR_COLUMNS))


#: the evidence labels of an inversion's rows: synthetic soundings, or real ones
INVERSION_OSSE, INVERSION_REAL = "inversion (OSSE, synthetic)", "inversion (real soundings)"


def inversion_evidence(
    totals: pd.DataFrame, country: str, known: set[str] | frozenset[str]
) -> pd.DataFrame:
    """Top-down rows from an inversion's totals: the national total (the ``country``'s
    group) as category 0 and each sector among the inventory's categories ``known``;
    sensitivity = the group's DOFS."""
    rows = []
    for r in totals.itertuples(index=False):
        category = "0" if r.group == country else str(r.group)
        if category not in known:
            continue
        osse = bool(r.osse)
        rows.append(
            {
                "category": category,
                "gas": r.gas,
                "year": int(r.year),
                "value_kt": float(r.posterior_kt),
                "sigma_kt": float(r.posterior_sigma_kt),
                "evidence": INVERSION_OSSE if osse else INVERSION_REAL,
                "kind": "total",
                "osse": osse,
                "sensitivity": float(r.dofs),
                "sensitivity_measure": "dofs",
            }
        )
    return pd.DataFrame(rows)


def bottom_up_intervals(
    dataset: xr.Dataset,
    keys: pd.DataFrame,
    last_year: int,
    gwp_set: str,
    summary: pd.DataFrame | None = None,
    gas_summary: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The inventory's value and 95 % interval for each (category, gas, year) of ``keys``
    (a year after ``last_year`` compares with ``last_year``): from the Monte Carlo's own
    distribution of the gas (``gas_summary``), else, for a year the Monte Carlo did not
    keep (it keeps the gas's distribution for its latest year only), that distribution's
    relative interval applied to the year's value (assumption (openmrv): the gas's
    relative uncertainty in the category is the same in every year, the same factors
    dominating it), else the gas's share of the category's CO2e interval (``summary``),
    else a zero-width interval (no uncertainty run)."""
    cat = dataset.attrs["cat"]
    mc = summary.set_index(["category", "year"]) if summary is not None else None
    by_gas = (
        gas_summary.set_index(["category", "gas", "year"]).sort_index()
        if gas_summary is not None
        else None
    )
    rows = []
    for category, gas, year in (
        keys[["category", "gas", "year"]].drop_duplicates().itertuples(index=False)
    ):
        inv_year = min(int(year), last_year)
        value = float(dataset[gas].sel({cat: category, "time": str(inv_year)}).values.squeeze())
        low = high = value
        if by_gas is not None and (category, gas, inv_year) in by_gas.index:
            # the Monte Carlo's own distribution of this gas in this category
            r = by_gas.loc[(category, gas, inv_year)]
            low, high = float(r["p2.5"]), float(r["p97.5"])
        elif by_gas is not None and (rel := _relative_interval(by_gas, category, gas)):
            low, high = value * rel[0], value * rel[1]
        elif mc is not None and (category, inv_year) in mc.index:
            r = mc.loc[(category, inv_year)]
            # only CO2e kept for this year: the gas's share of the category's interval
            low, high = co2e_interval_as_gas(
                value, r["mean"], r["p2.5"], r["p97.5"], gwp(gas, gwp_set)
            )
        rows.append((category, gas, inv_year, value, low, high))
    return pd.DataFrame(
        rows, columns=["category", "gas", "year", "value_kt", "low_kt", "high_kt"]
    ).drop_duplicates(["category", "gas", "year"])


def _relative_interval(by_gas: pd.DataFrame, category: str, gas: str) -> tuple[float, float] | None:
    """(p2.5, p97.5) / mean of the Monte Carlo's latest kept year of (category, gas), or
    None if it has none (or a zero mean)."""
    try:
        rows = by_gas.loc[(category, gas)]
    except KeyError:
        return None
    r = rows.iloc[-1]
    mean = float(r["mean"])
    if not mean:
        return None
    return float(r["p2.5"]) / mean, float(r["p97.5"]) / mean
