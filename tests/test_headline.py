"""The headline of a run (openmrv.verify.headline) on constructed verification tables, one
per path: likely low from a two-sided estimate, lower bounds only, not-comparable evidence
only, no evidence, published and own estimates disagreeing, too little coverage, a lower
bound above the inventory, and OSSE rows that must not count. Expected numbers are worked
out by hand from the constructed rows (kt -> Mt: / 1000, three significant digits)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from openmrv.verify.headline import headline

PUB = "published estimate: Chen 2023, TROPOMI"
REC = "C3S XCH4 L3 OBS4MIPs merged v4.3: mass balance (Buchwitz 2017)"
CAT = "plume catalogue: SRON 2021"
OWN = "openmrv plume detections: TROPOMI"


def row(evidence, flag, *, category="0", year=2019, inv_year=None, value=None, sigma=None,
        low=None, high=None, inv=1500.0, inv_low=750.0, inv_high=2250.0, z=None,
        osse=False, **extra):  # fmt: skip
    return {
        "category": category,
        "gas": "CH4",
        "evidence": evidence,
        "evidence_year": year,
        "inventory_year": year if inv_year is None else inv_year,
        "bottom_up_kt": inv,
        "bottom_up_low_kt": inv_low,
        "bottom_up_high_kt": inv_high,
        "top_down_kt": value,
        "top_down_sigma_kt": sigma,
        "top_down_low_kt": low,
        "top_down_high_kt": high,
        "z": z,
        "flag": flag,
        "explanation": "",
        "osse": osse,
        **extra,
    }


def text(h) -> str:
    return "\n".join(h.lines)


def test_likely_low_from_a_two_sided_estimate():
    v = pd.DataFrame(
        [row(PUB, "inventory likely low", value=4400.0, low=2800.0, high=5100.0, z=3.06)]
    )
    h = headline(v, "Testland")
    t = text(h)
    assert h.lines[0].endswith("Testland (real observations only)")
    assert h.statements[0].conclusion == "low"
    assert "National total CH4: inventory likely low." in t
    # 4400 kt = 4.4 Mt, interval 2.8-5.1; inventory 1500 kt = 1.5 Mt (0.75-2.25)
    assert "4.4 Mt (95 %: 2.8–5.1) against the inventory's 1.5 Mt (95 %: 0.75–2.25) for 2019" in t
    assert "z = +3.06" in t
    # one estimate only: said so
    assert f"it rests on one estimate ({PUB})" in t
    # 4400 / 1500 = 2.93 -> "2.9 times"
    assert h.main_disagreement.startswith("Main disagreement: National total CH4, 2019:")
    assert "2.9 times the inventory's 1.5 Mt" in h.main_disagreement


def test_only_lower_bounds_is_never_agreement():
    v = pd.DataFrame(
        [
            row(CAT, "no contradiction (lower bound below the inventory)", category="1.B.2",
                year=2021, inv_year=2020, value=1200.0, low=780.0, high=2700.0,
                inv=1180.0, inv_low=455.0, inv_high=1910.0, z=0.05)
        ]
    )  # fmt: skip
    h = headline(v, "Testland")
    t = text(h)
    assert h.statements[0].conclusion == "lower_only"
    assert "no contradiction, which is not agreement" in t
    assert "consistent with" not in t
    # the two years are named
    assert "a different year (2021 against 2020)" in t
    # 1200 / 1180 = 101.7 % -> "102 %"
    assert "the detected emitters alone are 102 % of the inventory's central value" in t
    assert "1.2 Mt (95 %: 0.78–2.7), a lower bound" in t
    assert h.main_disagreement.startswith("No real estimate in this run disagrees")


def test_only_not_comparable_evidence():
    limit = 10705.3
    v = pd.DataFrame(
        [
            row(REC, "not comparable (sensitivity too low)", year=y, value=val, z=zz, inv=inv,
                detection_limit_kt=limit)
            for y, val, zz, inv in ((2009, 4329.0, 0.41, 1137.0), (2010, 7713.0, 1.09, 1241.0),
                                    (2011, 10247.0, 1.46, 1479.0))
        ]
    )  # fmt: skip
    h = headline(v, "Testland")
    t = text(h)
    assert h.statements[0].conclusion == "cannot_test"
    # three years, all not comparable; 10705.3 kt = 10.7 Mt; inventory 1.14 to 1.48 Mt
    assert "(2009–2011): not comparable in 3 of 3 year(s)" in t
    assert "its detection limit, 10.7 Mt/yr, is above the inventory's 1.14–1.48 Mt" in t
    assert "How sure: not at all" in t
    # the estimates themselves (4.33, 7.71, 10.2 Mt) are not offered as results
    assert "4.33" not in t and "10.2 Mt" not in t


@pytest.mark.parametrize("table", [None, pd.DataFrame()])
def test_no_evidence_at_all(table):
    h = headline(table, "Testland")
    assert h.lines == [
        "What the satellites say about the inventory of Testland (real observations only)",
        "No real satellite evidence in this run: nothing here tests the inventory against "
        "satellite data.",
    ]
    assert h.statements == [] and h.main_disagreement == ""
    json.dumps(h.to_dict())  # writable as headline.json


def test_osse_rows_never_count():
    v = pd.DataFrame(
        [row("inversion (OSSE, synthetic)", "consistent", value=1600.0, low=1100.0,
             high=2100.0, z=0.3, osse=True)]
    )  # fmt: skip
    h = headline(v, "Testland")
    t = text(h)
    assert "No real satellite evidence in this run" in t
    assert "Not evidence about the real inventory: inversion (OSSE, synthetic)" in t
    assert h.statements == []
    assert h.to_dict()["not_evidence"] == ["inversion (OSSE, synthetic)"]


def test_published_and_own_disagree():
    v = pd.DataFrame(
        [
            row(PUB, "inventory likely low", value=4400.0, low=2800.0, high=5100.0, z=3.06),
            row(REC, "consistent", value=2000.0, sigma=600.0, low=820.0, high=3180.0, z=0.7,
                detection_limit_kt=900.0),
        ]
    )  # fmt: skip
    h = headline(v, "Testland")
    t = text(h)
    assert h.statements[0].conclusion == "disagree"
    assert "National total CH4: the real estimates disagree with each other" in t
    assert "How sure: not settled" in t
    # both sides with their numbers: 2000 kt = 2 Mt (0.82-3.18)
    assert "4.4 Mt (95 %: 2.8–5.1)" in t
    assert "2 Mt (95 %: 0.82–3.18) against the inventory's 1.5 Mt" in t
    # the published row still disagrees most with the inventory; own estimate beside it
    assert PUB in h.main_disagreement
    assert f"Beside it, openmrv's own real-data estimates: {REC} (2019): 2 Mt, consistent" in t
    side = h.side_by_side
    assert list(side["who"]) == ["published", "openmrv (real data)"]


def test_insufficient_coverage_gives_no_annual_figure():
    v = pd.DataFrame(
        [row(OWN, "insufficient coverage", category="1.B.2", year=2021, inv_year=2020,
             valid_views=1.0)]
    )  # fmt: skip
    h = headline(v, "Testland")
    t = text(h)
    assert h.statements[0].conclusion == "coverage"
    # the threshold is verdicts.csv's 16 valid views
    assert "1 valid view(s) of the site(s) in the year, fewer than the 16" in t
    assert "no annual figure" in t
    assert " Mt (95 %" not in t


def test_lower_bound_above_the_inventory_is_likely_low():
    v = pd.DataFrame(
        [
            row(CAT, "inventory likely low (below the observed lower bound)", category="1.B.2",
                year=2021, inv_year=2020, value=3000.0, low=2400.0, high=4000.0, inv=1000.0,
                inv_low=500.0, inv_high=1600.0, z=3.5),
            row(OWN, "insufficient coverage", category="1.B.2", year=2021, inv_year=2020,
                valid_views=2.0),
        ]
    )  # fmt: skip
    h = headline(v, "Testland")
    t = text(h)
    assert h.statements[0].conclusion == "low"
    assert "Oil and Natural Gas (1.B.2) CH4: inventory likely low." in t
    # 3000 / 1000 = 3 times; the years named
    assert "3 times the inventory's 1 Mt (95 %: 0.5–1.6) for 2020, a different year" in t
    assert f"{OWN} (2021): no annual figure (insufficient coverage)" in t


def test_published_rows_carry_their_citation():
    from openmrv.verify.published import PUBLISHED_FILE, read_published

    v = pd.DataFrame(
        [row(PUB, "inventory likely low", value=4400.0, low=2800.0, high=5100.0, z=3.06)]
    )
    h = headline(v, "Testland", read_published(PUBLISHED_FILE))
    (cite,) = h.published
    # Chen et al. 2023, ACP 23, 5945-5967 (the package's published_estimates.csv)
    assert cite["label"] == PUB
    assert cite["doi"] == "10.5194/acp-23-5945-2023"
    assert cite["value"] == "4.4" and cite["low"] == "2.8" and cite["high"] == "5.1"
    assert json.loads(json.dumps(h.to_dict()))["published"][0]["doi"] == cite["doi"]
