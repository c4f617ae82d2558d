"""The headline of a run in plain words: what the satellites say about the inventory, how
sure that is, and the main disagreement, with the published estimates and openmrv's own
real-data estimates side by side (pure logic on the verification table).

Input is ``verification.csv`` (:data:`openmrv.runfolder.VERIFICATION_COLUMNS` and the
extra columns the evidence rows carry: ``detection_limit_kt``, ``valid_views``,
``sensitivity``, ``sensitivity_measure``, ``source``) and, optionally, the published
estimates table (:mod:`openmrv.verify.published`) for the citations. Every number of the
headline is taken from these tables; the sentences are the templates of
``data/headline_wording.csv``; the verdicts and their thresholds are those of
``data/verdicts.csv``. Rules:

- synthetic (OSSE) rows never count as evidence: they are named once, as not evidence;
- a lower bound is never agreement ("no contradiction, which is not agreement");
- evidence with too few valid views has no annual figure (the count and the threshold are
  given), and evidence that cannot detect an inventory of its size is "not comparable"
  (its detection limit is given);
- an evidence year that differs from the inventory year it is compared with is named.

Evidence is grouped into *items*: one per published estimate (its full label), one per
other source (the label's part before ``:``), so that a record of many years is one item
whose verdicts are counted. Items are grouped by category and gas; each group gets one
conclusion (see the ``conclusion_*`` rows of the wording table for the rules).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from openmrv import runfolder as rf
from openmrv.categories import title
from openmrv.verify.published import label as published_label

WORDING_FILE = Path(__file__).parent / "data" / "headline_wording.csv"
PUBLISHED_PREFIX = "published estimate"

V = rf.VERDICTS
LOW = {V["likely_low"], V["below_lower_bound"]}
HIGH = {V["likely_high"]}
TESTED = LOW | HIGH | {V["consistent"]}


@cache
def wording() -> dict[str, str]:
    """The sentence templates (key -> template) of ``data/headline_wording.csv``."""
    with WORDING_FILE.open(newline="", encoding="utf-8") as fh:
        return {r["key"]: r["template"] for r in csv.DictReader(fh)}


def say(key: str, **values: Any) -> str:
    """The template ``key`` filled with ``values``."""
    return wording()[key].format(**values)


def mt(kt: float) -> str:
    """kt as Mt (= Tg) with three significant digits."""
    return f"{kt / 1000:.3g}"


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def _truthy(v: Any) -> bool:
    return str(v).strip().lower() in ("true", "1", "1.0")


def _span(years: list[int]) -> str:
    years = sorted(set(years))
    if not years:
        return ""
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def what(category: str, gas: str) -> str:
    """The category and gas in words (``National total CH4``,
    ``Oil and Natural Gas (1.B.2) CH4``)."""
    category = str(category)
    if category == "0":
        return f"National total {gas}"
    try:
        name = title(category)
    except (KeyError, ValueError):
        name = ""
    return f"{name} ({category}) {gas}" if name else f"{category} {gas}"


@dataclass
class Item:
    """One piece of real evidence: a published estimate, or one source of openmrv's own
    (all its years)."""

    label: str
    category: str
    gas: str
    rows: pd.DataFrame
    published: bool

    @property
    def flags(self) -> list[str]:
        return self.rows["flag"].astype(str).tolist()

    @property
    def kind(self) -> str:
        """``published``, ``lower_bound``, ``coverage``, ``not_comparable``, ``two_sided``
        or ``series`` (several years)."""
        flags = set(self.flags)
        if flags == {V["not_comparable"]}:
            return "not_comparable"
        if len(self.rows) > 1:
            return "series"
        if flags == {V["insufficient_coverage"]}:
            return "coverage"
        if flags & {V["no_contradiction"], V["below_lower_bound"]}:
            return "lower_bound"
        return "two_sided"

    def row(self) -> pd.Series:
        return self.rows.iloc[-1]

    def describe(self) -> str:
        """One sentence fragment: what this evidence says, with its numbers."""
        kind, r = self.kind, self.row()
        if kind == "not_comparable":
            return self._not_comparable()
        if kind == "series":
            counts = pd.Series(self.flags).value_counts()
            text = ", ".join(f"{f} in {n}" for f, n in counts.items())
            return say(
                "series",
                label=self.label,
                years=_span(self.years),
                counts=f"{text} of {len(self.rows)} years",
            )
        if kind == "coverage":
            return say(
                "coverage",
                label=self.label,
                year=int(r["evidence_year"]),
                views=f"{_num(r.get('valid_views')):g}",
                needed=f"{rf.COVERAGE_MIN_VALID_VIEWS:g}",
            )
        values = self.numbers(r)
        if kind == "lower_bound":
            pct = 100 * _num(r["top_down_kt"]) / _num(r["bottom_up_kt"])
            return say("lower_bound", **values, pct=f"{pct:.0f}")
        return say("two_sided", **values)

    @property
    def years(self) -> list[int]:
        return [int(y) for y in self.rows["evidence_year"]]

    def numbers(self, r: pd.Series) -> dict[str, str]:
        """The numbers of one row, formatted for a template."""
        ey, iy = int(r["evidence_year"]), int(r["inventory_year"])
        note = "" if ey == iy else say("years_note", evidence_year=ey, inventory_year=iy)
        return {
            "label": self.label,
            "year": str(ey),
            "value": mt(_num(r["top_down_kt"])),
            "low": mt(_num(r["top_down_low_kt"])),
            "high": mt(_num(r["top_down_high_kt"])),
            "inv": mt(_num(r["bottom_up_kt"])),
            "inv_low": mt(_num(r["bottom_up_low_kt"])),
            "inv_high": mt(_num(r["bottom_up_high_kt"])),
            "inv_year": str(iy),
            "years_note": note,
            "z": f"{_num(r['z']):+.2f}",
            "flag": str(r["flag"]),
        }

    def short(self) -> str:
        """A short form of :meth:`describe` (label, year, value and verdict)."""
        kind, r = self.kind, self.row()
        if kind == "series":
            return self.describe()
        if kind == "not_comparable":
            limit = _column(self.rows, "detection_limit_kt")
            text = ""
            if limit.notna().any():
                lo, hi = mt(limit.min()), mt(limit.max())
                text = say("short_limit", limit=lo if lo == hi else f"{lo}–{hi}")
            years = _span(self.years)
            return say("short_not_comparable", label=self.label, years=years, limit=text)
        if kind == "coverage":
            year = int(r["evidence_year"])
            return say("short_coverage", label=self.label, year=year, flag=r["flag"])
        return say(f"short_{kind}", **self.numbers(r))

    def _not_comparable(self) -> str:
        rows = self.rows
        n = len(rows)
        limit = _column(rows, "detection_limit_kt")
        inv = pd.to_numeric(rows["bottom_up_kt"], errors="coerce")
        common = {"label": self.label, "years": _span(self.years), "n_flag": n, "n": n}
        if limit.notna().any():
            lo, hi = limit.min(), limit.max()
            lim = mt(lo) if mt(lo) == mt(hi) else f"{mt(lo)}–{mt(hi)}"
            ilo, ihi = inv.min(), inv.max()
            inv_range = mt(ilo) if mt(ilo) == mt(ihi) else f"{mt(ilo)}–{mt(ihi)}"
            return say("not_comparable_limit", **common, limit=lim, inv_range=inv_range)
        sens = _column(rows, "sensitivity")
        measure = str(rows.get("sensitivity_measure", pd.Series(["sensitivity"])).iloc[-1])
        s = "" if sens.isna().all() else f"{sens.max():.2f}"
        return say("not_comparable_sensitivity", **common, measure=measure, sensitivity=s)


def _joined(texts) -> str:
    """Short descriptions joined, each once (several categories of one evidence read
    the same in short)."""
    return "; ".join(dict.fromkeys(texts))


def _column(rows: pd.DataFrame, name: str) -> pd.Series:
    """A numeric column of the verification rows; all NaN where the table lacks it (a
    table written before the column existed, or evidence without it)."""
    if name not in rows:
        return pd.Series(np.nan, index=rows.index)
    return pd.to_numeric(rows[name], errors="coerce")


def _items(real: pd.DataFrame) -> list[Item]:
    items = []
    real = real.assign(_src=real["evidence"].astype(str).str.split(":").str[0].str.strip())
    real["_key"] = real["evidence"].where(real["_src"] == PUBLISHED_PREFIX, real["_src"])
    for (cat, gas, _), rows in real.groupby(["category", "gas", "_key"], sort=False):
        rows = rows.sort_values("evidence_year")
        labels = rows["evidence"].astype(str)
        base = min(labels, key=len)  # the main label; longer ones add a qualifier
        extra = [
            f"{_span(rows.loc[labels == x, 'evidence_year'].astype(int).tolist())}: "
            + x[len(base) :].lstrip(", ")
            for x in sorted(set(labels) - {base})
        ]
        label = base + (f" ({'; '.join(extra)})" if extra else "")
        published = rows["_src"].iloc[0] == PUBLISHED_PREFIX
        items.append(Item(label, str(cat), str(gas), rows, published))
    return items


def _classes(item: Item) -> set[str]:
    out = set()
    for f in item.flags:
        if f in LOW:
            out.add("low")
        elif f in HIGH:
            out.add("high")
        elif f == V["consistent"]:
            out.add("consistent")
    return out


@dataclass
class Statement:
    """The conclusion for one category and gas."""

    category: str
    gas: str
    conclusion: str
    text: list[str]
    items: list[Item] = field(repr=False)


def _statement(cat: str, gas: str, items: list[Item]) -> Statement:
    w = what(cat, gas)
    classes = {c for it in items for c in _classes(it)}
    contradict = ("low" in classes and classes & {"high", "consistent"}) or (
        "high" in classes and "consistent" in classes
    )
    support: list[Item] = []
    if contradict:
        key = "disagree"
        sides = "; ".join(it.describe() for it in items if _classes(it))
        lines = [say("conclusion_disagree", what=w, sides=sides), say("sure_disagree")]
    elif classes:
        key = "low" if "low" in classes else "high" if "high" in classes else "consistent"
        support = [it for it in items if key in _classes(it)]
        lines = [say(f"conclusion_{key}", what=w)]
        lines += [it.describe() + "." for it in support]
        if len(support) == 1:
            lines.append(say("sure_one", support=support[0].label))
        else:
            names = "; ".join(i.label for i in support)
            lines.append(say("sure_many", n=len(support), support=names))
    else:
        kinds = {it.kind for it in items}
        if "lower_bound" in kinds:
            key, sure = "lower_only", "sure_lower"
        elif kinds & {"not_comparable", "series"}:
            key, sure = "cannot_test", "sure_cannot"
        else:
            key, sure = "coverage", "sure_cannot"
        support = [it for it in items if it.kind == "lower_bound"] if key == "lower_only" else []
        lines = [say(f"conclusion_{key}", what=w)]
        lines += [it.describe() + "." for it in support]
        lines.append(say(sure))
    others = [it for it in items if it not in support and not contradict]
    if others:
        lines.append("Also: " + "; ".join(it.describe() for it in others) + ".")
    return Statement(cat, gas, key, lines, items)


def _main_disagreement(items: list[Item]) -> tuple[str, Item | None]:
    """The real row that disagrees most with the inventory, as a sentence, and its item."""
    best, best_score, best_item = None, -1.0, None
    for it in items:
        for _, r in it.rows.iterrows():
            flag = str(r["flag"])
            if flag in LOW | HIGH:
                score = abs(_num(r["z"]))
                if flag == V["below_lower_bound"]:
                    score = _num(r["top_down_low_kt"]) / _num(r["bottom_up_high_kt"])
                if score > best_score:
                    best, best_score, best_item = r, score, it
    if best is None:
        return "", None
    values = best_item.numbers(best)
    ratio = _num(best["top_down_kt"]) / _num(best["bottom_up_kt"])
    text = say(
        "disagreement",
        what=what(best_item.category, best_item.gas),
        ratio=f"{ratio:.2g}",
        **values,
    )
    return text, best_item


@dataclass
class Headline:
    """The headline: its lines of text and the structured parts behind them."""

    lines: list[str]
    statements: list[Statement]
    main_disagreement: str
    side_by_side: pd.DataFrame
    osse_labels: list[str]
    published: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        """What ``headline.json`` holds."""
        return {
            "lines": self.lines,
            "statements": [
                {"category": s.category, "gas": s.gas, "conclusion": s.conclusion, "text": s.text}
                for s in self.statements
            ],
            "main_disagreement": self.main_disagreement,
            "side_by_side": self.side_by_side.to_dict(orient="records"),
            "not_evidence": self.osse_labels,
            "published": self.published,
        }


SIDE_COLUMNS = ("who", "evidence", "category", "gas", "years", "says")


def _side_by_side(items: list[Item]) -> pd.DataFrame:
    rows = [
        {
            "who": "published" if it.published else "openmrv (real data)",
            "evidence": it.label,
            "category": it.category,
            "gas": it.gas,
            "years": _span(it.years),
            "says": it.describe(),
        }
        for it in sorted(items, key=lambda i: not i.published)
    ]
    return pd.DataFrame(rows, columns=list(SIDE_COLUMNS))


def _citations(published: pd.DataFrame | None, labels: list[str]) -> list[dict[str, str]]:
    if published is None or not len(published):
        return []
    out = []
    for _, r in published.iterrows():
        name = published_label(r["first_author"], r["year_published"], r["satellite"])
        if name in labels:
            cite = {k: str(r[k]) for k in published.columns if k != "country"}
            out.append(cite | {"label": name})
    return out


def headline(
    verification: pd.DataFrame | None,
    country: str = "",
    published: pd.DataFrame | None = None,
) -> Headline:
    """The headline of a run from its verification table.

    Parameters
    ----------
    verification
        ``verification.csv`` as a table (None or empty: no evidence).
    country
        The country code or name for the title line.
    published
        The published-estimates table (:func:`openmrv.verify.published.read_published`),
        for the citations of the published rows (optional).
    """
    lines = [say("title", country=country or "the country")]
    v = pd.DataFrame() if verification is None else verification
    if not len(v):
        lines.append(say("no_evidence"))
        return Headline(lines, [], "", pd.DataFrame(columns=list(SIDE_COLUMNS)), [], [])
    v = v.assign(category=v["category"].astype(str), gas=v["gas"].astype(str))
    osse = v["osse"].map(_truthy) if "osse" in v else pd.Series(False, index=v.index)
    osse_labels = sorted(v.loc[osse, "evidence"].astype(str).unique())
    items = _items(v[~osse])
    statements = []
    order = sorted({(it.category, it.gas) for it in items}, key=lambda k: (k[0] != "0", k))
    for cat, gas in order:
        mine = [i for i in items if (i.category, i.gas) == (cat, gas)]
        statements.append(_statement(cat, gas, mine))
    if not items:
        lines.append(say("no_evidence"))
    for s in statements:
        lines += s.text
    main, main_item = _main_disagreement(items)
    if main:
        lines.append(main)
        own = [i for i in items if not i.published and i is not main_item]
        pub = [i for i in items if i.published and i is not main_item]
        if pub:
            lines.append(say("published_beside", items=_joined(i.short() for i in pub)))
        if own:
            key = "own_beside" if any(_classes(i) for i in own) else "own_beside_untested"
            lines.append(say(key, items=_joined(i.short() for i in own)))
    else:
        between = [s for s in statements if s.conclusion == "disagree"]
        if between:
            s = between[0]
            sides = "; ".join(i.describe() for i in s.items if _classes(i))
            main = say("disagreement_between", what=what(s.category, s.gas), sides=sides)
        elif items:
            main = say("no_disagreement")
        if main:
            lines.append(main)
    if osse_labels:
        lines.append(say("osse", labels=", ".join(osse_labels)))
    labels = [i.label for i in items if i.published]
    citations = _citations(published, labels)
    return Headline(lines, statements, main, _side_by_side(items), osse_labels, citations)
