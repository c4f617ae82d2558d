"""What to do about it: the improvement plan of an inventory (``improvement_plan.csv``),
pure functions on the run's tables.

Three kinds of rows (:data:`PLAN_COLUMNS`, ``docs/data-format.md``):

- ``category``: each key category (Vol 1 Ch 4) that is estimated at Tier 1, or on which the
  top-down evidence says "inventory likely low" or "inventory likely low (below the
  observed lower bound)", or that is among the categories holding the largest share of the
  national total's uncertainty: largest first, the categories whose Approach 1 variance
  contributions (2006 Vol 1 Ch 3 Table 3.2, column H, summed per category and gas) together
  reach ``variance_share_cumulative`` (``data/improvement_parameters.csv``) of their sum,
  the one crossing it included. Each row names the step the Guidelines offer
  (``data/improvement_steps.csv``, most specific category prefix) and says why in plain
  words.
- ``site``: the persistent plume sites (detected on at least ``persistent_min_days``
  distinct days of the year and annualised by :mod:`openmrv.verify.annualise`), largest
  annual rate first, at most ``max_sites``, with their 95 % interval from that Monte Carlo.
- ``what-if``: 1.B.2 and the national total of the gas if the persistent sites were
  reported from their plume-derived rates. Rule: 1.B.2 becomes max(inventory 1.B.2, sum of
  the persistent sites' rates); the national total changes by the same amount. The sum's
  interval comes from the Monte Carlo draws (the valid-view share is one error common to
  all sites, so the sites are correlated and no quadrature applies); each end of the
  what-if is the larger of the inventory's and the sum's same end (for independent
  estimates this keeps at least 92.5 % coverage: the lower end is passed with probability
  at most 2.5 %, the upper with at most 1 - 0.975^2 = 4.9 %). The plume sum sees only
  emitters above the detection limit: where it sets 1.B.2, the what-if is a lower bound.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from openmrv.constants import table_value
from openmrv.runfolder import IMPROVEMENT_KINDS, IMPROVEMENT_PLAN_COLUMNS, VERDICTS

DATA = Path(__file__).parent / "data"
PARAMETERS = DATA / "improvement_parameters.csv"
STEPS = DATA / "improvement_steps.csv"

#: improvement_plan.csv columns (``docs/data-format.md``)
PLAN_COLUMNS = IMPROVEMENT_PLAN_COLUMNS
#: the kinds of plan rows
KINDS = IMPROVEMENT_KINDS
#: the verdicts that put a key category in the plan
LIKELY_LOW = (VERDICTS["likely_low"], VERDICTS["below_lower_bound"])
#: verdicts from most to least telling: a category shows the first one its evidence gives
_VERDICT_ORDER = tuple(
    VERDICTS[k]
    for k in (
        "likely_low",
        "below_lower_bound",
        "likely_high",
        "consistent",
        "no_contradiction",
        "not_comparable",
        "insufficient_coverage",
    )
)
NATIONAL = "0"


def parameter(name: str, unit: str) -> float:
    """A value of ``data/improvement_parameters.csv`` in ``unit``."""
    return table_value(PARAMETERS, name, unit)


@cache
def _steps() -> tuple[dict[str, str], ...]:
    with STEPS.open(newline="") as fh:
        return tuple(csv.DictReader(fh))


def step_for(category: str, applies_to: str = "category") -> dict[str, str]:
    """The row of ``data/improvement_steps.csv`` for ``category``: the longest category
    prefix that matches (``1.B.2`` for ``1.B.2.b.iii.2``), else the row with no category."""
    rows = [r for r in _steps() if r["applies_to"] == applies_to]
    best, size = None, -1
    for r in rows:
        c = r["category"]
        if (c == "" or category == c or category.startswith(c + ".")) and len(c) > size:
            best, size = r, len(c)
    if best is None:
        raise KeyError(f"no step for {category!r} ({applies_to}) in {STEPS.name}")
    return best


def variance_shares(approach1: pd.DataFrame) -> pd.DataFrame:
    """Each (category, gas)'s share of the national total's Approach 1 variance: column H
    of Table 3.2 (2006 Vol 1 Ch 3; (G x D)^2 / (sum D)^2 per row) summed per category and
    gas, over the sum of H. Columns category, gas, variance_share, largest first."""
    h = approach1.groupby(["category", "gas"], sort=False)["H"].sum()
    total = float(h.sum())
    share = h / total if total > 0 else h * 0.0
    out = share.rename("variance_share").reset_index()
    return out.sort_values("variance_share", ascending=False, ignore_index=True)


def largest_variance(shares: pd.DataFrame, cumulative: float) -> set[tuple[str, str]]:
    """The (category, gas) that, largest share first, together reach ``cumulative`` of
    the variance (the one that crosses it included)."""
    s = shares.sort_values("variance_share", ascending=False, ignore_index=True)
    before = s["variance_share"].cumsum() - s["variance_share"]
    keep = s[before < cumulative - 1e-12]
    return set(zip(keep["category"].astype(str), keep["gas"].astype(str), strict=True))


def _covers(evidence_category: str, category: str) -> bool:
    c = str(evidence_category)
    return c == NATIONAL or category == c or category.startswith(c + ".")


def _years(years: list[int]) -> str:
    ys = sorted(set(years))
    return f"{ys[0]}-{ys[-1]}" if len(ys) > 2 else ", ".join(str(y) for y in ys)


def top_down_verdict(category: str, gas: str, verification: pd.DataFrame | None) -> tuple[str, str]:
    """The most telling verdict of the real (non-OSSE) top-down evidence on ``category``
    or a category containing it (its parents, the national total) for ``gas``, and the
    evidence that gives it ("<evidence label> <years> (<what it covers>)"); ('', '') when
    there is none."""
    if verification is None or not len(verification):
        return "", ""
    v = verification[
        (verification["gas"].astype(str) == gas)
        & ~verification["osse"].astype(str).str.lower().isin(("true", "1", "1.0"))
    ]
    v = v[v["category"].astype(str).map(lambda c: _covers(c, category)).astype(bool)]
    flags = set(v["flag"].astype(str))
    verdict = next((f for f in _VERDICT_ORDER if f in flags), "")
    if not verdict:
        return "", ""
    hit = v[v["flag"].astype(str) == verdict]
    parts = []
    for (label, cat), g in hit.groupby(["evidence", "category"], sort=False):
        cat = str(cat)
        scope = (
            f"the national {gas} total"
            if cat == NATIONAL
            else ("this category" if cat == category else f"all of {cat}")
        )
        parts.append(f"{label} {_years(g['evidence_year'].astype(int).tolist())} ({scope})")
    return verdict, "; ".join(parts)


def _names_category(evidence: str) -> bool:
    """Whether the evidence text of :func:`top_down_verdict` covers a category, not only
    the national total."""
    return "(this category)" in evidence or "(all of " in evidence


def approach1_interval(value: float, pct: float) -> tuple[float, float]:
    """The 95 % interval value x (1 -/+ pct / 100) of Approach 1 (2006 Vol 1 Ch 3,
    Table 3.2 column G, a half-width in percent), cut at zero."""
    return max(0.0, value * (1.0 - pct / 100.0)), value * (1.0 + pct / 100.0)


def category_rows(
    key_categories: pd.DataFrame,
    tiers: pd.DataFrame,
    approach1: pd.DataFrame,
    inventory: pd.DataFrame,
    verification: pd.DataFrame | None,
    year: int,
) -> pd.DataFrame:
    """The plan's ``category`` rows, most urgent first, without priority numbers: those
    whose likely-low evidence is on the category itself or a category below the national
    total (it points at them), then by share of the variance (national likely-low
    evidence, which does not say where the gap is, and the category's size break ties).

    Parameters
    ----------
    key_categories
        ``key_categories.csv``: category, gas, key_category, latest_year_Gg_CO2e.
    tiers
        category, gas, tier of the year's estimates (the lowest tier counts).
    approach1
        The Approach 1 rows (Table 3.2 with column H), one per estimate.
    inventory
        category, gas, value_kt, low_kt, high_kt of ``year`` (the gas's kt, 95 %).
    verification
        ``verification.csv`` (None: no top-down evidence).
    year
        The inventory year.
    """
    shares = variance_shares(approach1)
    cut = parameter("variance_share_cumulative", "1")
    top = largest_variance(shares, cut)
    share = {(c, g): s for c, g, s in shares.itertuples(index=False)}
    tier = tiers.groupby(["category", "gas"])["tier"].min().to_dict()
    inv = inventory.set_index(["category", "gas"])
    key = key_categories[key_categories["key_category"].astype(str).str.lower() == "true"]
    rows = []
    for r in key.itertuples(index=False):
        cat, gas = str(r.category), str(r.gas)
        t = tier.get((cat, gas))
        s = float(share.get((cat, gas), 0.0))
        verdict, evidence = top_down_verdict(cat, gas, verification)
        why = []
        if verdict in LIKELY_LOW:
            why.append(
                f"top-down evidence says '{verdict}': {evidence}"
                + (
                    "; it covers more than this category, so it does not say how much "
                    "of the gap lies here"
                    if "(this category)" not in evidence
                    else ""
                )
            )
        if (cat, gas) in top:
            why.append(
                f"{100 * s:.1f} % of the national total's Approach 1 variance in {year}: "
                f"among the categories that together hold {100 * cut:.0f} % of it"
            )
        if t == 1:
            why.append("a key category estimated at Tier 1 (key categories should use Tier 2 or 3)")
        if not why:
            continue
        step = step_for(cat)
        value = inv.loc[(cat, gas)] if (cat, gas) in inv.index else None
        rows.append(
            {
                "kind": "category",
                "category": cat,
                "gas": gas,
                "name": "",
                "facility_id": "",
                "year": year,
                "value_kt": np.nan if value is None else float(value["value_kt"]),
                "low_kt": np.nan if value is None else float(value["low_kt"]),
                "high_kt": np.nan if value is None else float(value["high_kt"]),
                "tier": "" if t is None else f"T{int(t)}",
                "key_category": True,
                "variance_share": s,
                "days_detected": np.nan,
                "top_down_verdict": verdict,
                "top_down_evidence": evidence,
                "reason": "; ".join(why) + ".",
                "step": step["step"],
                "guideline": step["guideline"],
                "data_needed": step["data_needed"],
                "_own": verdict in LIKELY_LOW and _names_category(evidence),
                "_low": verdict in LIKELY_LOW,
                "_size": float(r.latest_year_Gg_CO2e),
            }
        )
    out = pd.DataFrame(rows)
    if not len(out):
        return pd.DataFrame(columns=[c for c in PLAN_COLUMNS if c != "priority"])
    out = out.sort_values(
        ["_own", "variance_share", "_low", "_size"], ascending=False, ignore_index=True
    )
    return out.drop(columns=["_own", "_low", "_size"])


def persistent_sites(sites: pd.DataFrame, min_days: float | None = None) -> pd.DataFrame:
    """The annualised sites (``coverage`` sufficient) seen on at least ``min_days``
    distinct days (default ``persistent_min_days``), largest annual rate first."""
    n = parameter("persistent_min_days", "day") if min_days is None else min_days
    ok = (sites["coverage"].astype(str) == "sufficient") & (
        sites["days_detected"].astype(float) >= n
    )
    return sites[ok].sort_values("annual_kt", ascending=False, ignore_index=True)


def site_rows(
    persistent: pd.DataFrame,
    names: dict[str, str],
    evidence: str,
    year: int,
    max_sites: int | None = None,
) -> pd.DataFrame:
    """The plan's ``site`` rows: the first ``max_sites`` (default ``max_sites``) of
    :func:`persistent_sites`, named from the facility register where attributed."""
    m = int(parameter("max_sites", "site") if max_sites is None else max_sites)
    step = step_for("1.B.2", "site")
    min_days = parameter("persistent_min_days", "day")
    rows = []
    for r in persistent.head(m).itertuples(index=False):
        fid = str(r.facility_id)
        attributed = not fid.startswith("cell ")
        name = names.get(fid, fid) if attributed else f"unattributed emitter in {fid[5:]}"
        rows.append(
            {
                "kind": "site",
                "category": "1.B.2",
                "gas": "CH4",
                "name": name,
                "facility_id": fid if attributed else "",
                "year": year,
                "value_kt": float(r.annual_kt),
                "low_kt": float(r.annual_low_kt),
                "high_kt": float(r.annual_high_kt),
                "tier": "",
                "key_category": np.nan,
                "variance_share": np.nan,
                "days_detected": int(r.days_detected),
                "top_down_verdict": "",
                "top_down_evidence": evidence,
                "reason": (
                    f"plumes on {int(r.days_detected)} distinct days of {year} (persistent: "
                    f"at least {min_days:.0f}); annual rate {r.annual_kt:,.1f} kt CH4 (95 %: "
                    f"{r.annual_low_kt:,.1f}-{r.annual_high_kt:,.1f}) from the plume Monte "
                    "Carlo, a sampled rate of an emitter above the detection limit"
                    + ("" if attributed else "; no register facility within reach")
                    + "."
                ),
                "step": step["step"],
                "guideline": step["guideline"],
                "data_needed": step["data_needed"],
            }
        )
    return pd.DataFrame(rows)


def persistent_sum(draws: np.ndarray, draw_sites: tuple[str, ...], ids) -> np.ndarray:
    """Per Monte Carlo draw, the sum of the sites ``ids`` [kt/yr] (the draws of
    :func:`openmrv.verify.annualise.annualise_sites`; shared assumptions kept)."""
    where = {s: i for i, s in enumerate(draw_sites)}
    cols = [where[str(i)] for i in ids]
    return np.asarray(draws)[:, cols].sum(axis=1)


def what_if_rows(
    persistent: pd.DataFrame,
    sum_draws: np.ndarray,
    inventory_1b2: tuple[float, float, float],
    national: tuple[float, float, float],
    evidence: str,
    plume_year: int,
    year: int,
    gas: str = "CH4",
) -> pd.DataFrame:
    """The two ``what-if`` rows (1.B.2 and the national total of ``gas``) if the
    persistent sites were reported from their plume-derived rates (the rule in the
    module's docstring).

    Parameters
    ----------
    persistent
        :func:`persistent_sites` (``annual_kt`` central values).
    sum_draws
        Their sum per Monte Carlo draw (:func:`persistent_sum`) [kt/yr].
    inventory_1b2, national
        (value, low, high) of the inventory's 1.B.2 and national total of ``gas`` [kt]
        in ``year``, 95 %.
    """
    s = float(persistent["annual_kt"].sum())
    s_lo, s_hi = (float(x) for x in np.percentile(sum_draws, [2.5, 97.5]))
    i, i_lo, i_hi = inventory_1b2
    n, n_lo, n_hi = national
    w, w_lo, w_hi = max(i, s), max(i_lo, s_lo), max(i_hi, s_hi)
    k = len(persistent)
    rule = (
        f"Rule: 1.B.2 = max(inventory 1.B.2, sum of the {k} persistent sites' plume-derived "
        f"rates); the national {gas} total changes by the same amount. Plumes of "
        f"{plume_year} against the inventory of {year}. The sum, {s:,.0f} kt (95 %: "
        f"{s_lo:,.0f}-{s_hi:,.0f}, from the Monte Carlo draws: the valid-view share is an "
        "error common to all sites), counts only emitters above the detection limit seen "
        "on enough days"
    )
    if s > i:
        verdict_text = (
            f"{rule}; it exceeds the inventory's {i:,.0f} kt, so it sets 1.B.2 and the "
            "what-if is a lower bound too (smaller and intermittent emitters are not in it)."
        )
    else:
        verdict_text = (
            f"{rule}; it is below the inventory's {i:,.0f} kt, so the what-if keeps the "
            "inventory: no contradiction, which is not a confirmation (the sum is a lower "
            "bound)."
        )
        if s_lo > i_lo:
            verdict_text += (
                f" Its lower end, {s_lo:,.0f} kt, is above the inventory's, {i_lo:,.0f} kt: "
                "the interval's lower end rises to it."
            )
    base = {
        "kind": "what-if",
        "gas": gas,
        "facility_id": "",
        "year": year,
        "tier": "",
        "key_category": np.nan,
        "variance_share": np.nan,
        "days_detected": np.nan,
        "top_down_verdict": "",
        "top_down_evidence": evidence,
        "reason": verdict_text,
        "step": "",
        "guideline": "",
        "data_needed": "",
    }
    rows = [
        {
            **base,
            "category": "1.B.2",
            "name": "1.B.2 if the persistent sites were reported from their plume rates",
            "value_kt": w,
            "low_kt": w_lo,
            "high_kt": w_hi,
        },
        {
            **base,
            "category": NATIONAL,
            "name": f"national {gas} total if the persistent sites were reported from their "
            "plume rates",
            "value_kt": n + (w - i),
            "low_kt": n_lo + (w_lo - i_lo),
            "high_kt": n_hi + (w_hi - i_hi),
        },
    ]
    return pd.DataFrame(rows)


def assemble(*parts: pd.DataFrame) -> pd.DataFrame:
    """The plan: the parts in order, priorities 1, 2, ... for the category and site rows
    (the what-if rows are no action and have none), columns :data:`PLAN_COLUMNS`."""
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return pd.DataFrame(columns=list(PLAN_COLUMNS))
    plan = pd.concat(parts, ignore_index=True)
    action = plan["kind"].isin(("category", "site")).to_numpy()
    priority = np.full(len(plan), np.nan)
    priority[action] = np.arange(1, int(action.sum()) + 1)
    plan["priority"] = pd.array(np.where(action, priority, np.nan)).astype("Int64")
    return plan.reindex(columns=list(PLAN_COLUMNS))
