"""A BTR-ready report of a run folder: one self-contained HTML page, and a PDF of it.

The page renders what the run folder holds and computes no new estimate: first the
headline (``headline.json``: what the satellites say about the inventory), then the
inventory summary (CRT Summary 2), trends by sector, key categories, uncertainty
(Approach 1 and 2), the comparison with third-party estimates, and, only where the run
folder has them, the satellite annex: soundings, plumes (table and map), inversion
(posterior totals and maps, labelled *OSSE — synthetic* where the observations were
simulated) and bottom-up against top-down (``verification.csv``), then the published
estimates with their citations, the national series from the satellite record with its
detection limit and the results by region (:mod:`openmrv.report.evidence_sections`).
Methods, data sources and limitations close it; sections are numbered in order.
Figures are embedded as base64 PNG and the page has no script, font or link that needs
a network.

The PDF is printed by headless Chromium (``/usr/bin/chromium``, or the ``chromium``
found on ``PATH``); without it no PDF is written and :func:`write_btr` returns a
warning instead. The PDF's creation and modification dates are fixed so that the same
page gives the same bytes. See ``docs/report.md``.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf
from openmrv.report import evidence_sections as sections
from openmrv.report import figures
from openmrv.report.crt_lulucf import WITHOUT_LULUCF
from openmrv.report.html_parts import img as _img
from openmrv.report.html_parts import read as _read
from openmrv.report.html_parts import read_json as _json
from openmrv.report.html_parts import table as _table
from openmrv.report.improvement import planned_improvements
from openmrv.report.inversion_sources import sources_note
from openmrv.report.layout import PRINT_CSS, contents, keep_with_next
from openmrv.report.qaqc import qaqc_section
from openmrv.report.recalculations import recalculations_section
from openmrv.report.timeseries import time_series_html
from openmrv.report.wording import TOTAL_WITHOUT_LULUCF, crt_label, gwp_words

REPORT_HTML = rf.REPORT_HTML
REPORT_PDF = rf.REPORT_PDF
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: PDF dates written in place of Chromium's (same length, so offsets stay valid).
_PDF_DATE = b"D:20000101000000+00'00'"

CSS = """
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;max-width:1050px;margin:2em auto;
color:#222;line-height:1.45;font-size:14px;padding:0 1em}
h1{border-bottom:3px solid #4c72b0;padding-bottom:.2em}h2{margin-top:2em;color:#28446b;
border-bottom:1px solid #ccc}h3{color:#28446b}
table{border-collapse:collapse;margin:.6em 0;font-size:12px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#eef2f8}td:first-child,th:first-child{text-align:left}
img{max-width:100%;border:1px solid #eee}.osse{background:#fff3cd;border:1px solid #e0b000;
padding:.4em .8em;font-weight:bold}.note{color:#555;font-size:12px}
.text td{text-align:left}
"""
CSS += PRINT_CSS


def _summary(run: Path) -> str:
    crt = _json(run, rf.CRT_JSON)
    if "Summary2" not in crt.get("tables", {}):
        return ""
    t = crt["tables"]["Summary2"]
    rows = pd.DataFrame(t["rows"], columns=t["columns"])
    last = int(rows["year"].max())
    first = int(rows["year"].min())
    cur = rows[rows["year"] == last].drop(columns="year")
    cur = cur[~cur["code"].astype(str).str.contains(".", regex=False)]  # total and sectors
    total = rows[rows["code"] == "Total"].set_index("year")["Total [kt CO2 eq]"]
    lulucf = rows[(rows["code"] == "4") & (rows["year"] == last)]["Total [kt CO2 eq]"]
    no_lulucf = not any(isinstance(v, float) and v == v for v in lulucf)  # NaN: empty
    total_name = TOTAL_WITHOUT_LULUCF if no_lulucf else "Total national emissions and removals"
    if no_lulucf:  # the CRT's label says "and removals": not what this total is
        cur.loc[cur["code"] == "Total", "category"] = TOTAL_WITHOUT_LULUCF
    change = ""
    if isinstance(total.get(first), float) and isinstance(total.get(last), float):
        change = (
            f"<p>{total_name}: {total[last] / 1000:,.1f} Mt CO2 eq in {last}, "
            f"{100 * (total[last] / total[first] - 1):+.1f} % against {first} (GWP: "
            f"{html.escape(gwp_words(str(crt.get('gwp_set'))))}).</p>"
        )
    memo = rows[(rows["code"] == WITHOUT_LULUCF) & (rows["year"] == last)]["Total [kt CO2 eq]"]
    if not no_lulucf and any(isinstance(v, float) for v in memo):
        change += (
            f"<p>{WITHOUT_LULUCF}: {float(memo.iloc[0]) / 1000:,.1f} Mt CO2 eq in {last} "
            "(LULUCF removals are negative emissions in the total above).</p>"
        )
    return (
        f"<h2 id='summary'>1. Inventory summary</h2>{change}"
        f"<h3>CRT Summary 2, {last} [kt CO2 eq]</h3>{_table(cur)}"
        "<p class='note'>Cells hold numbers or notation keys (NO, NE, NA, IE, C); CRT "
        "Table9 in crt.xlsx explains each key. Full tables: crt.xlsx, crt.json.</p>"
    )


def _trends(run: Path) -> str:
    p = run / rf.EMISSIONS_BY_SECTOR_PNG
    if not p.is_file():
        return ""
    caption = (
        "Emissions by sector [Mt CO2 eq per year], CRT codes with the IPCC 2006 code in "
        "brackets where it differs"
    )
    return f"<h2 id='trends'>2. Trends by sector</h2>{_img(p, caption)}{time_series_html(run)}"


def _key_categories(run: Path) -> str:
    kc = _read(run, rf.KEY_CATEGORIES_CSV)
    if kc is None:
        return ""
    key = kc[kc["key_category"].astype(str).str.lower() == "true"]
    cols = ["category", "gas", "latest_year_Gg_CO2e", "level_a1_share", "trend_a1_share"]
    cols += [c for c in ("uncertainty_pct", "qualitative_flags") if c in key]
    show = key[cols].copy()
    show["category"] = [crt_label(str(c)) for c in show["category"]]
    for c in ("level_a1_share", "trend_a1_share"):
        show[c] = 100 * show[c].astype(float)
    show = show.rename(
        columns={
            "latest_year_Gg_CO2e": "latest year [kt CO2 eq]",
            "level_a1_share": "level share [%]",
            "trend_a1_share": "trend share [%]",
            "uncertainty_pct": "uncertainty [%]",
        }
    )
    return (
        f"<h2 id='key'>3. Key categories</h2><p>{len(key)} of {len(kc)} category-gas pairs "
        "are key by level or trend, Approach 1 or 2 (IPCC 2006 Vol 1 Ch 4).</p>" + _table(show)
    )


def _uncertainty(run: Path) -> str:
    meta = _json(run, rf.UNCERTAINTY_JSON)
    a2 = _read(run, rf.UNCERTAINTY_APPROACH2_CSV)
    if not meta and a2 is None:
        return ""
    out = "<h2 id='uncertainty'>4. Uncertainty</h2>"
    a1 = meta.get("approach1", {})
    if a1:
        out += (
            f"<p>Approach 1 (error propagation, Vol 1 Ch 3 Table 3.2): level "
            f"±{a1.get('level_pct', float('nan')):.1f} %, trend "
            f"±{a1.get('trend_pct', float('nan')):.1f} percentage points.</p>"
        )
    if a2 is not None:
        tot = a2[a2["category"].astype(str) == "0"]
        out += (
            f"<p>Approach 2 (Monte Carlo, {meta.get('approach2_draws', '?'):,} draws, seed "
            f"{meta.get('approach2_seed', '?')}): national total [kt CO2 eq]</p>"
            + _table(tot.drop(columns="category"))
        )
    return out


def _comparison(run: Path) -> str:
    pngs = sorted(run.glob(rf.COMPARISON_PNG))
    cmp_ = _read(run, rf.COMPARISON_CSV)
    if not pngs and cmp_ is None:
        return ""
    out = "<h2 id='comparison'>5. Comparison with EDGAR, CAIT and Climate TRACE</h2>"
    out += "".join(_img(p, "openmrv against third-party estimates") for p in pngs)
    if cmp_ is not None and len(cmp_):
        last = cmp_[cmp_["year"] == cmp_["year"].max()]
        cols = ["reference", "comparable_sector", "reference_Mt_CO2e", "openmrv_Mt_CO2e"]
        out += _table(last[[*cols, "difference_pct"]], 2)
    return out


def _is_osse(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "1.0")


def _annex(run: Path) -> str:
    parts: list[str] = []
    sound = sorted(run.glob("soundings*.png"))
    sound += [p for d in (rf.OBSERVATIONS_DIR, "observe") for p in sorted((run / d).glob("*.png"))]
    if sound:
        parts.append(
            "<h3>Satellite soundings</h3>"
            + "".join(_img(p, sections.caption(p, run)) for p in sound)
        )
    plumes = _read(run, rf.PLUMES_CSV)
    if plumes is None:
        plumes = _read(run, rf.PLUMES_THIRDPARTY_CSV)
    if plumes is not None and len(plumes):
        fig = figures.plume_map(plumes, run / rf.PLUMES_MAP_PNG)
        parts.append(
            f"<h3>Methane plumes</h3><p>{len(plumes)} plumes; sources: "
            + html.escape(", ".join(sorted(plumes["source"].astype(str).unique())))
            + ".</p>"
            + (_img(fig, "Plume locations and rates") if fig else "")
        )
        by_fac = _read(run, rf.PLUME_EVIDENCE_BY_FACILITY_CSV)
        if by_fac is not None and len(by_fac):
            parts.append(
                "<p>Annualised super-emitter emissions by site (largest 15) [kt CH4]:</p>"
                + _table(by_fac.head(15), 2)
            )
        timeline = figures.plume_persistence(plumes, run / rf.PLUMES_PERSISTENCE_PNG)
        if timeline:
            parts.append(_img(timeline, "Plume detections over time by site"))
        quick = sorted(run.glob(rf.QUICKLOOK_PNG))[:6]
        parts += [_img(p, sections.caption(p)) for p in quick]
    inv = run / rf.INVERSION_DIR
    totals = _read(run, rf.INVERSION_TOTALS_CSV)
    if totals is not None or inv.is_dir():
        osse = totals is not None and "osse" in totals and totals["osse"].map(_is_osse).any()
        head = "<h3>Inversion posterior</h3>"
        if osse:
            head += (
                "<p class='osse'>OSSE — synthetic: these results come from simulated "
                "observations (an observing-system simulation experiment), not real data.</p>"
            )
        if totals is not None:
            head += _table(totals, 2)
        head += sources_note(run)
        per_month = _read(run, rf.INVERSION_SOUNDINGS_CSV)
        if per_month is not None:
            n, used = int(per_month["soundings"].sum()), int(per_month["in_period"].sum())
            head += (
                f"<p>Real soundings read: {n:,} QA-passed in the inversion's domain, "
                f"{used:,} of them in its period; per month and product:</p>" + _table(per_month, 0)
            )
        head += "".join(
            _img(p, sections.caption(p) + (" (OSSE — synthetic)" if osse else ""))
            for p in sorted(inv.glob("*.png"))
        )
        parts.append(head)
    ver = _read(run, rf.VERIFICATION_CSV)
    if ver is not None and len(ver):
        fig = figures.verification_chart(ver, run / rf.VERIFICATION_PNG)
        cols = [
            c
            for c in (
                "category",
                "gas",
                "evidence",
                "evidence_year",
                "bottom_up_kt",
                "top_down_kt",
                "top_down_sigma_kt",
                "z",
                "flag",
            )
            if c in ver
        ]
        expl = "".join(
            f"<li>{html.escape(str(e))}"
            + (" <b>[OSSE — synthetic]</b>" if _is_osse(o) else "")
            + "</li>"
            for e, o in zip(
                ver.get("explanation", pd.Series([""] * len(ver))),
                ver.get("osse", pd.Series([False] * len(ver))),
                strict=True,
            )
        )
        parts.append(
            "<h3>Bottom-up against top-down</h3>"
            + (_img(fig, "Bottom-up against top-down") if fig else "")
            + _table(ver[cols], 2)
            + f"<ul>{expl}</ul>"
        )
    if not parts:
        return ""
    return "<h2 id='annex'>6. Satellite annex</h2>" + "".join(parts)


def _methods(run: Path) -> str:
    em = _read(run, rf.EMISSIONS_CSV)
    out = (
        "<h2 id='methods'>7. Methods</h2><p>Emissions are activity data times emission "
        "factors by the equations of the 2006 IPCC Guidelines and the 2019 Refinement, "
        "tier by category as listed below; gaps in time series are filled by the "
        "methods of Vol 1 Ch 5; uncertainty by Approach 1 (error propagation) and "
        "Approach 2 (Monte Carlo); key categories by Vol 1 Ch 4. Top-down evidence is "
        "compared with the inventory as the 2019 Refinement Vol 1 Ch 6 describes: "
        "z = difference / combined 1σ, with plume sums treated as lower bounds.</p>"
    )
    if em is not None and len(em):
        meth = (
            em.groupby(["category", "gas"])
            .agg(tier=("tier", "max"), method=("method", "first"), equation=("equation", "first"))
            .reset_index()
        )
        out += _table(meth)
    return out


def _sources(run: Path) -> str:
    meta = _json(run, rf.RUN_JSON)
    em = _read(run, rf.EMISSIONS_CSV)
    items = []
    if em is not None:
        for col in ("factor_sources", "activity_source"):
            if col in em:
                vals = set()
                for v in em[col].dropna().astype(str):
                    vals.update(x.strip() for x in v.split(" | ") if x.strip())
                items += sorted(vals)
    out = "<h2 id='sources'>8. Data sources</h2><ul>"
    out += "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
    inputs = meta.get("input_sha256", {})
    if inputs:
        frame = pd.DataFrame({"input": list(inputs), "SHA-256": list(inputs.values())})
        out += "<p>Inputs of this run (see manifest.json, signed):</p>" + _table(frame)
    return out


def _limitations(run: Path) -> str:
    items = [
        "Categories without a number carry a notation key from the case (NE: not "
        "estimated); empty CRT cells must be filled before submission.",
        "Third-party estimates use their own sector definitions and GWP metrics.",
    ]
    ver = _read(run, rf.VERIFICATION_CSV)
    if ver is not None and len(ver):
        items.append(
            "Summed plume rates see only emitters above the detection limit (about 10 t/h "
            "for TROPOMI) and are annualised under a stated detection-frequency assumption; "
            "they bound the category from below."
        )
        if "osse" in ver and ver["osse"].map(_is_osse).any():
            items.append("Rows marked OSSE come from synthetic observations, not real data.")
    totals = _read(run, rf.INVERSION_TOTALS_CSV)
    if totals is not None and "osse" in totals and totals["osse"].map(_is_osse).any():
        items.append(
            "The inversion is an OSSE (synthetic observations): it shows what the observing "
            "system could resolve, not what the country emitted."
        )
    for w in _json(run, rf.RUN_JSON).get("warnings", []):
        items.append(str(w))
    return (
        "<h2 id='limitations'>9. Limitations</h2><ul>"
        + "".join(f"<li>{html.escape(i)}</li>" for i in items)
        + "</ul>"
    )


def render_html(run_dir: str | Path) -> str:
    """The report page of a run folder (HTML text); writes the figures it adds
    (``verification.png``, ``plumes_map.png``, ``plumes_persistence.png``) into the run
    folder."""
    run = Path(run_dir)
    meta = _json(run, rf.RUN_JSON)
    title = f"{meta.get('case', run.name)}: greenhouse gas inventory report"
    years = meta.get("years", ["", ""])
    body = "".join(
        f(run)
        for f in (
            sections.headline,
            _summary,
            _trends,
            _key_categories,
            _uncertainty,
            _comparison,
            _annex,
            sections.published,
            sections.satellite_record,
            sections.regions,
            qaqc_section,
            recalculations_section,
            planned_improvements,
            _methods,
            _sources,
            _limitations,
        )
    )
    body = sections.number_sections(body)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Country {html.escape(str(meta.get('country', '')))}"
        f", inventory years {years[0]}–{years[-1]}, GWP "
        f"{html.escape(gwp_words(str(meta.get('gwp', ''))))}"
        f", openmrv {html.escape(str(meta.get('openmrv_version', '')))}. Prepared for the "
        "Biennial Transparency Report (decision 18/CMA.1) from the run folder of "
        "<code>openmrv run</code>.</p>" + contents(body) + keep_with_next(body) + "</body></html>\n"
    )


def find_chromium() -> str | None:
    """Path of a Chromium executable (``/usr/bin/chromium`` first), or None."""
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(args: list[str], timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Run headless Chromium with the offline flags and a fresh profile folder."""
    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError("chromium not found")
    with tempfile.TemporaryDirectory(prefix="openmrv-chromium-") as profile:
        cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)


def print_pdf(html_path: str | Path, pdf_path: str | Path) -> Path:
    """Print an HTML file to PDF with headless Chromium; dates in the PDF are fixed.

    Raises
    ------
    FileNotFoundError
        No Chromium.
    RuntimeError
        Chromium wrote no PDF.
    """
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    res = chromium(
        [
            "--no-pdf-header-footer",
            "--disable-pdf-tagging",  # tagged-PDF node ids vary between runs
            f"--print-to-pdf={pdf_path.resolve()}",
            html_path.as_uri(),
        ]
    )
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no PDF (exit {res.returncode}): {res.stderr[-500:]!r}")
    data = pdf_path.read_bytes()
    data = re.sub(rb"D:\d{14}[+\-Z]\d{2}'\d{2}'", _PDF_DATE, data)
    pdf_path.write_bytes(data)
    return pdf_path


def write_btr(run_dir: str | Path, pdf: bool = True) -> tuple[list[Path], list[str]]:
    """Write ``report.html`` (and ``report.pdf``) into a run folder.

    Returns
    -------
    files, warnings
        The files written (the report, the PDF and the figures it added) and warnings
        (e.g. no Chromium, so no PDF).
    """
    run = Path(run_dir)
    text = render_html(run)
    out = run / REPORT_HTML
    out.write_text(text, encoding="utf-8")
    made = (rf.VERIFICATION_PNG, rf.PLUMES_MAP_PNG, rf.PLUMES_PERSISTENCE_PNG)
    files = [out] + [run / n for n in made if (run / n).is_file()]
    warnings: list[str] = []
    if pdf:
        if find_chromium() is None:
            warnings.append("report.pdf not written: no chromium found (install chromium)")
        else:
            try:
                files.append(print_pdf(out, run / REPORT_PDF))
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                warnings.append(f"report.pdf not written: {exc}")
    return files, warnings
