"""Report sections on the satellite evidence, rendered from the run folder (no estimate is
computed here): the headline (``headline.json``), the published estimates with their
citations, the national series from the satellite record with its detection limit
(``satellite_record.csv``, ``satellite_record.png``) and the results by region
(``regions.csv``, ``regions_map.png``); figure captions in words; the section numbering.

Synthetic (OSSE) results keep their label wherever they show: the headline names them as
not evidence, and the regions table marks the inversion's columns and carries the banner.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv import runfolder as rf
from openmrv.report.html_parts import img, read, read_json, table

PUBLISHED_PREFIX = "published estimate:"
OSSE_BANNER = (
    "<p class='osse'>OSSE — synthetic: these results come from simulated observations (an "
    "observing-system simulation experiment), not real data; they show what the observing "
    "system could resolve, not what the country emitted.</p>"
)

#: captions in words of the run folder's fixed figures (file name -> caption)
CAPTIONS = {
    "prior.png": "Inversion prior: the inventory's CH4 emissions per grid cell "
    "[t/km²/yr] (fields, pipelines and other sources), the inversion's starting point",
    "posterior.png": "Inversion posterior: CH4 emissions per grid cell [t/km²/yr] after "
    "the inversion of its observations",
    "ratio.png": "Inversion posterior divided by the prior, per grid cell (1: unchanged)",
    "sensitivity.png": "Inversion sensitivity per grid cell (diagonal of the averaging "
    "kernel): how much of the posterior comes from the observations (0: all prior)",
    "regions_posterior.png": "The inversion's 1.B.2 CH4 by region on the region borders: "
    "colour the posterior over the prior (blue below, red above), labels the posterior "
    "± 1σ and the prior [kt/yr]",
    "regions_map.png": "Regions (velayats) with the oil and gas sites of the facility "
    "register (marker shape: how exact the coordinates are, exact, field centroid or town "
    "centroid; filled: fields, open: plants and stations), the operating pipelines and the "
    "catalogue's methane plumes (area proportional to the rate)",
    "satellite_record.png": "The inventory's national CH4 emissions per year (line, 95 % "
    "band) against the annual estimates from the gridded XCH4 record by mass balance (points "
    "with 95 % bars; open markers: enhancement below detection) and the record's detection "
    "limit (line)",
}


def caption(path: Path, run: Path | None = None) -> str:
    """The caption in words of a figure of the run folder (its name where none is known)."""
    if path.name in CAPTIONS:
        return CAPTIONS[path.name]
    m = re.match(r"quicklook_(\d{4})(\d{2})(\d{2})_[\d-]+_(-?[\d.]+)_(-?[\d.]+)", path.stem)
    if m:
        y, mo, d, lat, lon = m.groups()
        return (
            f"Quick-look of a plume openmrv detected in one TROPOMI scene of {y}-{mo}-{d} near "
            f"{lat}° N {lon}° E (one scene: no annual figure)"
        )
    if path.name.startswith("soundings") and run is not None:
        return _soundings_caption(run)
    return path.stem.replace("_", " ")


def _soundings_caption(run: Path) -> str:
    """Soundings map caption: how many, which product, which dates (soundings.nc)."""
    try:
        with xr.open_dataset(run / rf.SOUNDINGS_NC) as ds:
            n = int(ds.sizes.get("sounding", 0))
            times = pd.DatetimeIndex(ds["time"].values)
            products = sorted({str(p) for p in np.atleast_1d(ds["product"].values)})
    except (OSError, KeyError, ValueError):
        return "Satellite soundings over the country read by this run"
    when = (
        f"{times.min():%Y-%m-%d}"
        if times.min().date() == times.max().date()
        else (f"{times.min():%Y-%m-%d} to {times.max():%Y-%m-%d}")
    )
    return (
        f"The {n} real satellite soundings over the country this run read "
        f"({', '.join(products)}; {when}), after the quality filter"
    )


# --------------------------------------------------------------------------- headline
def headline(run: Path) -> str:
    """The headline (``headline.json``) at the top of the report: per category the
    conclusion in bold with its evidence below, the main disagreement, the real evidence
    side by side, and the synthetic (OSSE) rows named as not evidence."""
    doc = read_json(run, rf.HEADLINE_JSON)
    lines = doc.get("lines", [])
    if not lines:
        return ""
    out = (
        "<h2 id='headline'>Headline: what the satellites say about the inventory</h2>"
        f"<p><b>{html.escape(lines[0])}</b></p>"
    )
    shown = {lines[0]}
    for st in doc.get("statements", []):
        text = st.get("text", [])
        if not text:
            continue
        out += f"<p><b>{html.escape(text[0])}</b></p><ul>"
        out += "".join(f"<li>{html.escape(x)}</li>" for x in text[1:]) + "</ul>"
        shown.update(text)
    rest = [x for x in lines if x not in shown]
    main = doc.get("main_disagreement", "")
    for x in rest:
        if x == main:
            out += f"<p><b>{html.escape(x)}</b></p>"
        elif x.startswith("Not evidence"):
            out += f"<p class='osse'>{html.escape(x)}</p>"
        else:
            out += f"<p>{html.escape(x)}</p>"
    side = pd.DataFrame(doc.get("side_by_side", []))
    if len(side):
        side = side.assign(
            category=side["category"].astype(str).replace({"0": "national total"})
        ).rename(columns={"who": "whose", "says": "what it says"})
        out += "<p>The real evidence side by side (published first):</p>" + table(
            side[["whose", "category", "gas", "years", "what it says"]]
        ).replace('<table class="dataframe">', '<table class="dataframe text">')
    return out + (
        "<p class='note'>Written from verification.csv by the rules of "
        "verify/data/headline_wording.csv and verify/data/verdicts.csv (docs/report.md).</p>"
    )


# --------------------------------------------------------------------------- published
def published(run: Path) -> str:
    """The published satellite-based estimates: comparison and citations."""
    ver = read(run, rf.VERIFICATION_CSV)
    if ver is None or not len(ver):
        return ""
    pub = ver[ver["evidence"].astype(str).str.startswith(PUBLISHED_PREFIX)]
    if not len(pub):
        return ""
    cites = {c["label"]: c for c in read_json(run, rf.HEADLINE_JSON).get("published", [])}
    rows = []
    for _, r in pub.iterrows():
        c = cites.get(str(r["evidence"]), {})
        rows.append(
            {
                "estimate": r["evidence"],
                "period": _period(c, r),
                "scope": r.get("scope", c.get("scope", "")),
                "top-down [Mt CH4] (95 %)": _mt_interval(
                    r["top_down_kt"], r["top_down_low_kt"], r["top_down_high_kt"]
                ),
                "inventory [Mt CH4] (95 %)": _mt_interval(
                    r["bottom_up_kt"], r["bottom_up_low_kt"], r["bottom_up_high_kt"]
                ),
                "compared with": r.get("inventory_basis", f"inventory year {r['inventory_year']}"),
                "z": f"{r['z']:+.2f}" if r["z"] == r["z"] else "",
                "verdict": r["flag"],
            }
        )
    out = (
        "<h2 id='published'>Published satellite-based estimates</h2><p>National top-down "
        "estimates published in the literature, each compared with the inventory of its own "
        "year by the same verdict rules as openmrv's own evidence (the published interval read "
        "as stated in docs/published-estimates.md). They are the authors' results, not "
        "openmrv's.</p>" + table(pd.DataFrame(rows))
    )
    refs = []
    for label, c in cites.items():
        if label not in set(pub["evidence"].astype(str)):
            continue
        refs.append(
            f"<li>{html.escape(c.get('first_author', ''))} et al. "
            f"({html.escape(c.get('year_published', ''))}): "
            f"{html.escape(c.get('title', ''))}. <i>{html.escape(c.get('journal', ''))}</i>. "
            f"doi:{html.escape(c.get('doi', ''))} ({html.escape(c.get('page_or_table', ''))}). "
            f"Method: {html.escape(c.get('method', ''))}. "
            f"Quoted: “{html.escape(c.get('quote', ''))}”"
            "</li>"
        )
    if refs:
        out += "<p>Sources:</p><ol>" + "".join(refs) + "</ol>"
    return out


def _period(cite: dict, r: pd.Series) -> str:
    a, b = cite.get("period_first"), cite.get("period_last")
    if a and b:
        return a if a == b else f"{a}–{b}"
    return str(r["evidence_year"])


def _mt_interval(value, low, high) -> str:
    def f(v):
        return "" if v != v else f"{float(v) / 1000:.3g}"

    if value != value:
        return ""
    return f"{f(value)} ({f(low)}–{f(high)})" if low == low and high == high else f(value)


# --------------------------------------------------------------------------- record
def satellite_record(run: Path) -> str:
    """The national CH4 series from the gridded XCH4 record, with its detection limit."""
    rec = read(run, rf.SATELLITE_RECORD_CSV)
    png = run / rf.SATELLITE_RECORD_PNG
    if rec is None or not len(rec):
        return ""
    ver = read(run, rf.VERIFICATION_CSV)
    flags = {}
    if ver is not None and len(ver):
        keys = ver[["evidence", "evidence_year", "flag"]].values
        flags = {(str(e), int(y)): f for e, y, f in keys}
    verdicts = [flags.get((str(e), int(y)), "") for e, y in rec[["evidence", "year"]].values]
    limit = pd.to_numeric(rec["detection_limit_kt"], errors="coerce")
    detectable = rec["detectable"].astype(str).str.lower().isin(["true", "1", "1.0"])
    show = pd.DataFrame(
        {
            "year": rec["year"].astype(int),
            "era": rec.get("era", ""),
            "months": rec.get("months", ""),
            "estimate [Mt CH4/yr]": rec["value_kt"] / 1000,
            "95 % low": rec["low_kt"] / 1000,
            "95 % high": rec["high_kt"] / 1000,
            "detection limit [Mt/yr]": limit / 1000,
            "enhancement detected": np.where(detectable, "yes", "no"),
            "verdict": verdicts,
        }
    )
    product = str(rec["evidence"].iloc[0]).split(":")[0]
    region = str(rec["region"].iloc[0]) if "region" in rec else ""
    text = (
        "<h2 id='record'>National CH4 from the satellite record</h2>"
        f"<p>An annual national CH4 estimate from {html.escape(product)} "
        f"(monthly XCH4 on a coarse grid; source region {html.escape(region)}) by mass "
        "balance, every year of the record (docs/satellite-record.md). The record's "
        f"<b>detection limit is {limit.min() / 1000:.3g}–{limit.max() / 1000:.3g} Mt CH4/yr</b>; "
        f"the enhancement was detected in {int(detectable.sum())} of {len(rec)} years. "
        "Where the detection limit exceeds the inventory, the record cannot test it and the "
        "verdict is 'not comparable': the estimates below are then not a result about the "
        "inventory. Years before GOSAT rest on SCIAMACHY alone and are labelled.</p>"
    )
    if png.is_file():
        text += img(png, caption(png))
    return text + table(show, 2)


# --------------------------------------------------------------------------- regions
REGION_COLUMNS = {
    "region": "region",
    "area_km2": "area [km²]",
    "fields": "fields",
    "pipeline_km": "pipelines [km]",
    "inventory_1B2_kt": "inventory 1.B.2 CH4 [kt] (by proxy)",
    "plumes": "catalogue plumes",
    "plumes_attributed": "attributed to a site",
    "plume_annual_kt": "plume sum [kt/yr] (lower bound)",
    "plume_annual_sigma_kt": "± 1σ",
}
INVERSION_COLUMNS = {
    "inversion_1B2_posterior_kt": "inversion 1.B.2 posterior [kt]",
    "inversion_1B2_posterior_sigma_kt": "inversion 1.B.2 ± 1σ [kt]",
    "inversion_1B2_truth_kt": "OSSE truth 1.B.2 [kt]",
}


def regions(run: Path) -> str:
    """Results by region (``regions.csv``) and the regions map."""
    reg = read(run, rf.REGIONS_CSV)
    png = run / rf.REGIONS_MAP_PNG
    if reg is None or not len(reg):
        return ""
    cols = {k: v for k, v in REGION_COLUMNS.items() if k in reg}
    label = ""
    if "inversion_label" in reg:
        labels = {str(x) for x in reg["inversion_label"].dropna() if str(x)}
        label = ", ".join(sorted(labels))
    inv_cols = {k: v for k, v in INVERSION_COLUMNS.items() if k in reg}
    if label:
        inv_cols = {k: f"{v} ({label})" for k, v in inv_cols.items()}
    show = reg[[*cols, *inv_cols]].rename(columns={**cols, **inv_cols})
    year = reg["inventory_year"].dropna().astype(int).max() if "inventory_year" in reg else ""
    pyear = reg["plume_year"].dropna().astype(int).max() if "plume_year" in reg else ""
    text = (
        "<h2 id='regions'>Results by region</h2>"
        f"<p>The inventory's 1.B.2 CH4 for {year} allocated to the regions by spatial proxies "
        "(fields by estimated ultimate recovery, transmission along the pipelines by length, "
        "distribution by land area): an allocation, not a regional inventory. The catalogue's "
        f"plumes of {pyear} by region, annualised as a lower bound"
        + (f" ({pyear}: a different year from the inventory's {year})" if pyear != year else "")
        + ". The inversion's totals per region follow its prior within each state-vector "
        "element.</p>"
    )
    if "OSSE" in label:
        text += OSSE_BANNER
    if png.is_file():
        text += img(png, caption(png))
    post = run / rf.REGIONS_POSTERIOR_PNG
    if post.is_file():
        text += img(post, caption(post) + (f" ({label})" if label else ""))
    return text + table(show, 1)


# --------------------------------------------------------------------------- numbering
def number_sections(body: str) -> str:
    """Number the report's ``<h2 id=...>`` sections in order (the headline stays
    unnumbered), replacing any number they carry."""
    count = 0

    def renumber(m: re.Match) -> str:
        nonlocal count
        if m.group(1) == "headline":
            return m.group(0)
        count += 1
        return f"<h2 id='{m.group(1)}'>{count}. "

    return re.sub(r"<h2 id='([\w-]+)'>(?:\d+\.\s)?", renumber, body)
