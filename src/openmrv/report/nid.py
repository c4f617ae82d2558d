"""The national inventory document (NID) of a run folder: ``nid.html`` and ``nid.pdf``.

Laid out as the modalities, procedures and guidelines of the enhanced transparency
framework ask of a national inventory document (decision 18/CMA.1, annex, chapter II)
in the outline of the NID adopted in decision 5/CMA.3, annex V (FCCC/PA/CMA/2021/10/
Add.2): an executive summary; chapter 1, national circumstances, institutional
arrangements and cross-cutting information (inventory preparation, methods and metrics,
key categories, QA/QC, uncertainty, completeness, time-series consistency, flexibility);
chapter 2, trends; chapters 3-8, one per CRT sector (energy, IPPU, agriculture, LULUCF,
waste, other); chapter 9, indirect CO2 and N2O; chapter 10, recalculations and
improvements; and an annex with the satellite (top-down) evidence openmrv adds.

Like the BTR-ready report (:mod:`openmrv.report.btr`) it renders what the run folder
holds and estimates nothing; it reuses the report's section builders (QA/QC,
recalculations, planned improvements, the satellite annex and evidence sections) and its
PDF path (headless Chromium, A4, page numbers, contents, headings kept with what
follows). Category codes are CRT codes, with the IPCC 2006 code beside them where the
case computes in it. The Party's own texts (national circumstances, institutional
arrangements, ...) come from the case (:mod:`openmrv.report.nid_text`); where the case
gives none the document says the Party must provide them. See ``docs/report.md``.
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf
from openmrv.report import btr
from openmrv.report import evidence_sections as sections
from openmrv.report import nid_sections as ns
from openmrv.report.html_parts import img, read, read_json
from openmrv.report.html_parts import table as html_table
from openmrv.report.improvement import planned_improvements
from openmrv.report.layout import keep_with_next
from openmrv.report.nid_text import part_html, read_texts
from openmrv.report.qaqc import qaqc_section
from openmrv.report.recalculations import recalculations_section
from openmrv.report.wording import TOTAL_WITHOUT_LULUCF, gwp_words

#: the chapters of the NID in order (id, title): decision 5/CMA.3 annex V
CHAPTERS: tuple[tuple[str, str], ...] = (
    ("es", "Executive summary"),
    ("ch1", "1. National circumstances, institutional arrangements and cross-cutting information"),
    ("ch2", "2. Trends in greenhouse gas emissions and removals"),
    ("ch3", "3. Energy (CRT sector 1)"),
    ("ch4", "4. Industrial processes and product use (CRT sector 2)"),
    ("ch5", "5. Agriculture (CRT sector 3)"),
    ("ch6", "6. Land use, land-use change and forestry (CRT sector 4)"),
    ("ch7", "7. Waste (CRT sector 5)"),
    ("ch8", "8. Other (CRT sector 6)"),
    ("ch9", "9. Indirect carbon dioxide and nitrous oxide emissions"),
    ("ch10", "10. Recalculations and improvements"),
    ("annex", "Annex: satellite evidence (top-down verification)"),
)
_CSS_NID = """
.missing{background:#fdecea;border-left:4px solid #c0392b;padding:.4em .8em}
.casetext{border-left:3px solid #4c72b0;padding-left:.8em}
table.text td,table.text th{text-align:left;vertical-align:top}table.text{font-size:10.5px}
ol.sources{font-size:11px}
nav.contents ol ol{columns:1;font-size:12px;padding-left:1.2em}
@media print{h2{break-before:page}nav.contents + h2{break-before:auto}}
"""
_H = re.compile(r"<h([23]) id='([\w.-]+)'>(.*?)</h\1>", re.S)


def _h2(ident: str) -> str:
    return f"<h2 id='{ident}'>{html.escape(dict(CHAPTERS)[ident])}</h2>"


def _h3(ident: str, title: str) -> str:
    return f"<h3 id='{ident}'>{html.escape(title)}</h3>"


def demote(fragment: str, ident: str, title: str) -> str:
    """A section of the report as a subsection of the NID: its ``h2`` (whatever its
    number) becomes ``h3`` ``title`` with id ``ident``, its ``h3`` headings ``h4``."""
    if not fragment:
        return ""
    fragment = re.sub(r"<h3\b([^>]*)>(.*?)</h3>", r"<h4\1>\2</h4>", fragment, flags=re.S)
    fragment = re.sub(r"<h2 id='[^']*'>.*?</h2>", "", fragment, count=1, flags=re.S)
    return _h3(ident, title) + fragment


def contents(body: str) -> str:
    """The contents list: every chapter (``h2``) and section (``h3``) that has an id,
    in order, sections nested under their chapter."""
    out, open_sub = [], False
    for level, ident, title in _H.findall(body):
        text = re.sub(r"<[^>]+>", "", title)
        link = f"<a href='#{html.escape(ident, quote=True)}'>{text}</a>"
        if level == "2":
            if open_sub:
                out.append("</ol></li>")
                open_sub = False
            elif out:
                out.append("</li>")
            out.append(f"<li>{link}")
        else:
            if not open_sub:
                out.append("<ol>")
                open_sub = True
            out.append(f"<li>{link}</li>")
    out.append("</ol></li>" if open_sub else "</li>")
    return "<nav class='contents'><h2>Contents</h2><ol>" + "".join(out) + "</ol></nav>"


def _total_name(run: Path, em: pd.DataFrame | None) -> str:
    lulucf = em is not None and (em["crt_sector"] == "4").any()
    return "Total national emissions and removals" if lulucf else TOTAL_WITHOUT_LULUCF


def _executive_summary(run: Path, texts: dict, em: pd.DataFrame | None) -> str:
    out = _h2("es") + _h3("es-1", "ES.1 Background") + part_html(texts, "executive_summary")
    out += _h3("es-2", "ES.2 Summary of trends")
    if em is None:
        return out + "<p>The run folder holds no emissions (emissions.csv).</p>"
    meta = read_json(run, rf.RUN_JSON)
    t = ns.trend_tables(em)["by CRT sector [kt CO2 eq]"].set_index("CRT sector")
    first, last = t.columns[0], t.columns[-2]
    tot = t.loc["Total"]
    out += (
        f"<p>{html.escape(_total_name(run, em))}: {tot[last] / 1000:,.1f} Mt CO2 eq in "
        f"{last}, {tot.iloc[-1]:+.1f} % against {first} ({tot[first] / 1000:,.1f} Mt CO2 eq), "
        f"with the GWP values of {html.escape(gwp_words(str(meta.get('gwp', ''))))}.</p>"
    )
    shares = t.drop(index="Total")[last] / tot[last]
    out += "<ul>" + "".join(
        f"<li>{html.escape(str(s))}: {100 * v:.1f} % of the {last} total</li>"
        for s, v in shares.sort_values(ascending=False).items()
        if v == v
    )
    out += "</ul>"
    a1 = read_json(run, rf.UNCERTAINTY_JSON).get("approach1", {})
    if a1:
        out += (
            f"<p>Uncertainty of the {last} total (Approach 1): ±{a1.get('level_pct', 0):.1f} %; "
            f"of the trend: ±{a1.get('trend_pct', 0):.1f} percentage points (section 1.7).</p>"
        )
    out += _h3("es-3", "ES.3 Overview of source and sink category estimates")
    out += "<p>Chapters 3 to 8 give each CRT sector's categories and methods; the CRT " + (
        "tables themselves are crt.xlsx and crt.json of the run folder.</p>"
    )
    return out


def _chapter1(run: Path, texts: dict, em: pd.DataFrame | None) -> str:
    meta = read_json(run, rf.RUN_JSON)
    out = _h2("ch1")
    out += _h3("ch1-1", "1.1 National circumstances") + part_html(texts, "national_circumstances")
    out += _h3("ch1-2", "1.2 Institutional arrangements")
    out += part_html(texts, "institutional_arrangements")
    out += _h3("ch1-3", "1.3 Inventory preparation, data collection and archiving")
    out += part_html(texts, "inventory_preparation")
    n = len(meta.get("input_sha256", {}))
    out += (
        f"<p>The estimates were computed by openmrv {ns.words(meta.get('openmrv_version', ''))}"
        f" from {n} input files of the case, each recorded with its SHA-256 in the run "
        "folder's signed manifest (manifest.json, manifest.sig), which archives what was "
        "computed from what.</p>"
    )
    out += _h3("ch1-4", "1.4 Methods, data sources and metrics")
    out += (
        "<p>Emissions are activity data times emission factors by the equations of the 2006 "
        "IPCC Guidelines and their 2019 Refinement, at the tier given for each category in "
        "chapters 3 to 8; CO2 equivalents use the GWP values of "
        f"{ns.words(gwp_words(str(meta.get('gwp', ''))))}. Category codes are CRT codes, "
        "with the IPCC 2006 code in brackets where the case computes in another.</p>"
    )
    out += _h3("ch1-5", "1.5 Key categories")
    t7 = ns.crt_table(run, "Table7")
    if t7 is None or not len(t7):
        out += "<p>No key category analysis in this run (no uncertainty stage).</p>"
    else:
        out += (
            f"<p>{len(t7)} category-gas pairs are key by level or trend, Approach 1 or 2 "
            "(IPCC 2006 Vol 1 Ch 4; CRT Table 7):</p>"
        )
        t7 = t7.drop(columns=[c for c in ("comments",) if c in t7])
        for c in ("level share (Approach 1)", "trend share (Approach 1)"):
            if c in t7:
                t7[c] = 100 * pd.to_numeric(t7[c], errors="coerce")
        out += ns.text_table(t7.rename(columns=lambda c: c.replace("share (", "share [%] (")))
    out += demote(qaqc_section(run), "ch1-6", "1.6 Quality assurance and quality control")
    out += _h3("ch1-7", "1.7 Uncertainty by category")
    unc = ns.uncertainty_table(run)
    if unc is None:
        out += "<p>No uncertainty analysis in this run.</p>"
    else:
        out += (
            "<p>Approach 1 (error propagation, IPCC 2006 Vol 1 Ch 3 Table 3.2), by category "
            "and gas, largest contribution to the variance of the total first:</p>"
            + html_table(unc)
        )
        a2 = read(run, rf.UNCERTAINTY_APPROACH2_CSV)
        if a2 is not None and len(a2):
            a2 = a2.assign(category=a2["category"].astype(str))
            out += "<p>Approach 2 (Monte Carlo) of the total (category 0) [kt CO2 eq]:</p>"
            out += ns.text_table(a2[a2["category"] == "0"].drop(columns="category"))
    out += _h3("ch1-8", "1.8 Completeness")
    comp = ns.completeness_table(run)
    if comp is None:
        out += "<p>The run folder holds no CRT Table 9 (crt.json).</p>"
    else:
        out += (
            "<p>Categories and gases without an estimate carry a notation key, grouped here "
            "by key and explanation (CRT Table 9; every entry in crt.xlsx and crt.json):</p>"
            + ns.text_table(comp)
        )
    out += _h3("ch1-9", "1.9 Time-series consistency")
    gaps = ns.gap_filled_series(run)
    if gaps is None:
        out += "<p>The run folder holds no gap_filling.csv.</p>"
    elif not len(gaps):
        out += "<p>No activity value was gap-filled: every series is reported for every year.</p>"
    else:
        out += (
            f"<p>{len(gaps)} activity series were gap-filled or held constant (IPCC 2006 "
            "Vol 1 Ch 5.3); each is listed with its technique and the years it fills "
            "(every value: gap_filling.csv). Flag C marks a series held constant: its "
            "trend is flat by construction, not by evidence.</p>" + ns.text_table(gaps)
        )
        held = [w for w in meta.get("warnings", []) if "held constant" in str(w)]
        out += "".join(f"<p class='missing'>{ns.words(w)}</p>" for w in held)
    out += _h3("ch1-10", "1.10 Flexibility applied") + part_html(texts, "flexibility")
    return out


def _chapter2(run: Path, em: pd.DataFrame | None) -> str:
    out = _h2("ch2")
    fig = run / rf.EMISSIONS_BY_SECTOR_PNG
    if fig.is_file():
        out += img(
            fig,
            "Figure 2.1. Emissions by sector [Mt CO2 eq per year], CRT codes with the IPCC "
            "2006 code in brackets where it differs",
        )
    if em is None:
        return out + "<p>The run folder holds no emissions (emissions.csv).</p>"
    tables = ns.trend_tables(em)
    out += (
        "<p>Summed from emissions.csv: years shown every five years (every year in crt.json "
        f"Table 10). {ns.words(_total_name(run, em))} is the Total row.</p>"
    )
    for i, (name, frame) in enumerate(tables.items(), start=1):
        out += _h3(f"ch2-{i}", f"2.{i} Emissions {name}") + html_table(frame)
    return out


def _sector(run: Path, em: pd.DataFrame | None, sector: str, ident: str) -> str:
    out = _h2(ident)
    estimated = em is not None and (em["crt_sector"] == sector).any()
    if estimated:
        assert em is not None
        s3 = ns.summary3(run, sector)
        if s3 is not None and len(s3):
            out += "<p>Methods and emission factors (CRT Summary 3: T1 tier 1, D default "
            out += "IPCC factor, CS country-specific):</p>" + ns.text_table(s3)
        methods, sources = ns.methods_table(em, sector)
        out += (
            "<p>Each category and gas: tier, method and equation, and the sources of its "
            "emission factors and activity data, numbered as listed below the table (from "
            "emissions.csv):</p>"
            + ns.text_table(methods)
            + "<ol class='sources'>"
            + "".join(f"<li>{ns.words(src)}</li>" for src in sources)
            + "</ol>"
        )
    else:
        out += "<p>No category of this sector is estimated in this run.</p>"
    ne = ns.not_estimated(run, sector)
    if ne is not None and len(ne):
        keys = ne["notation key"].value_counts()
        out += (
            f"<p>{len(ne)} entries of this sector carry a notation key ("
            + ", ".join(f"{k}: {v}" for k, v in keys.items())
            + "); section 1.8 and CRT Table 9 explain them.</p>"
        )
    return out


def _chapter9(run: Path) -> str:
    return _h2("ch9") + (
        "<p>This run reports no indirect CO2 or N2O emissions: openmrv does not estimate "
        "them (CRT Table 9 carries their notation key).</p>"
    )


def _chapter10(run: Path) -> str:
    out = _h2("ch10")
    rec = recalculations_section(run)
    if rec:
        out += demote(rec, "ch10-1", "10.1 Recalculations")
    else:
        out += _h3("ch10-1", "10.1 Recalculations") + (
            "<p>None compared: this run was not compared with a previous submission "
            "(openmrv run CASE --previous RUN writes recalculations.csv and this "
            "section).</p>"
        )
    plan = planned_improvements(run)
    if plan:
        out += demote(plan, "ch10-2", "10.2 Planned improvements")
    else:
        out += _h3("ch10-2", "10.2 Planned improvements") + (
            "<p>The run holds no improvement plan (improvement_plan.csv).</p>"
        )
    return out


def report_section(run: Path, ident: str, build) -> str:
    """A section of the run's ``report.html`` (``<h2 id=ident>`` to the next ``h2``), as
    rendered there with its figures; ``build(run)`` when the report lacks it (no figure
    is drawn twice)."""
    page = run / rf.REPORT_HTML
    if page.is_file():
        text = page.read_text(encoding="utf-8")
        m = re.search(rf"<h2 id='{ident}'>.*?(?=<h2 id=|<nav |</body>)", text, re.S)
        return m.group(0) if m else ""
    return build(run)


def _annex(run: Path) -> str:
    parts = [
        demote(
            report_section(run, "headline", sections.headline),
            "annex-1",
            "A.1 What the satellites say",
        ),
        demote(
            report_section(run, "annex", btr._annex),
            "annex-2",
            "A.2 Soundings, plumes, inversion, bottom-up against top-down",
        ),
        demote(
            report_section(run, "published", sections.published),
            "annex-3",
            "A.3 Published satellite-based estimates",
        ),
        demote(
            report_section(run, "record", sections.satellite_record),
            "annex-4",
            "A.4 National CH4 from the satellite record",
        ),
        demote(
            report_section(run, "regions", sections.regions),
            "annex-5",
            "A.5 Results by region",
        ),
    ]
    body = "".join(parts)
    if not body:
        return _h2("annex") + "<p>The run holds no satellite evidence.</p>"
    return (
        _h2("annex")
        + "<p>Top-down evidence is not part of the inventory: it checks it (2019 Refinement "
        "Vol 1 Ch 6). Results from simulated observations are marked OSSE — synthetic.</p>" + body
    )


def render_nid_html(run_dir: str | Path) -> str:
    """The NID of a run folder (HTML text). Its annex takes the satellite sections of the
    run's ``report.html`` (write that first); without it, it builds them (drawing the
    report's figures into the folder)."""
    run = Path(run_dir)
    meta = read_json(run, rf.RUN_JSON)
    texts = read_texts(run)
    em = ns.emissions(run)
    body = (
        _executive_summary(run, texts, em)
        + _chapter1(run, texts, em)
        + _chapter2(run, em)
        + "".join(_sector(run, em, s, f"ch{int(s) + 2}") for s in ns.CRT_SECTORS)
        + _chapter9(run)
        + _chapter10(run)
        + _annex(run)
    )
    years = meta.get("years", ["", ""])
    title = f"{meta.get('case', run.name)}: national inventory document"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{btr.CSS}{_CSS_NID}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>National inventory document of the greenhouse gas "
        f"inventory of {ns.words(meta.get('country', ''))}, {years[0]}–{years[-1]}, under the "
        "enhanced transparency framework (decision 18/CMA.1 annex, chapter II; outline of "
        "decision 5/CMA.3 annex V). Written by openmrv "
        f"{ns.words(meta.get('openmrv_version', ''))} from a run folder; the CRT are "
        "crt.xlsx and crt.json beside it.</p>"
        + contents(body)
        + keep_with_next(body)
        + "</body></html>\n"
    )


def write_nid(run_dir: str | Path, pdf: bool = True) -> tuple[list[Path], list[str]]:
    """Write ``nid.html`` (and ``nid.pdf`` with headless Chromium) into a run folder.

    Returns
    -------
    files, warnings
        The files written and warnings (no Chromium: no PDF, said how to get it).
    """
    run = Path(run_dir)
    out = run / rf.NID_HTML
    out.write_text(render_nid_html(run), encoding="utf-8")
    files, warnings = [out], []
    if pdf:
        if btr.find_chromium() is None:
            warnings.append("nid.pdf not written: no chromium found (install chromium)")
        else:
            try:
                files.append(btr.print_pdf(out, run / rf.NID_PDF))
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                warnings.append(f"nid.pdf not written: {exc}")
    return files, warnings
