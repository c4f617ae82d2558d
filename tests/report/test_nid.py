"""The national inventory document (nid.html, nid.pdf): its chapters in the order of the
NID outline (decision 5/CMA.3 annex V), a contents list that matches its headings, the
case's texts (escaped) or the plain statement that the Party must provide them, trends
that equal the sums of emissions.csv, every gap-filled series disclosed, an A4 PDF with
page numbers, and re-rendering beside a signed run."""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from openmrv import runfolder as rf
from openmrv.pipeline import run_inventory
from openmrv.report import btr
from openmrv.report.nid import CHAPTERS, render_nid_html, write_nid
from openmrv.report.nid_text import PARTS, markdown_html
from openmrv.report.rerender import rerender
from openmrv.report.write import PDF_HOWTO, pdf_status
from openmrv.settings import NidSection

from .conftest import DATA, ROOT

#: GWP-100 of IPCC AR5 WG1 (2013), Table 8.7 (without climate-carbon feedbacks): the
#: values the ETF asks for (decision 18/CMA.1 annex, para 37); the runs here use AR5GWP100
AR5 = {"CO2": 1.0, "CH4": 28.0, "N2O": 265.0}
#: A4 in PostScript points (ISO 216: 210 x 297 mm)
A4_PT = (595.92, 842.88)
TKM = ROOT / "examples" / "turkmenistan"


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    """The mini case's run folder: a case with no nid: texts."""
    base = tmp_path_factory.mktemp("nid")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(base / "home"))
        mp.delenv("OPENMRV_SIGNING_KEY", raising=False)
        run_inventory(DATA / "mini_case", base / "run")
    return base / "run"


@pytest.fixture(scope="module")
def tkm_folder(tkm_run) -> Path:
    """The Turkmenistan run folder (conftest's run: inventory, uncertainty, plumes,
    verification; its case gives two NID texts)."""
    assert tkm_run.out is not None
    return tkm_run.out


def _nid(run: Path) -> str:
    return (run / rf.NID_HTML).read_text(encoding="utf-8")


def _body(text: str) -> str:
    return re.sub(r"<nav class='contents'>.*?</nav>", "", text, flags=re.S)


def _section(text: str, ident: str) -> str:
    """From the heading with id ``ident`` to the next heading of the same or a higher
    level."""
    m = re.search(rf"<h([23]) id='{re.escape(ident)}'>", text)
    assert m, ident
    rest = text[m.end() :]
    end = re.search(rf"<h[2-{m.group(1)}] id=", rest)
    return rest[: end.start()] if end else rest


def _rows(table_html: str) -> list[list[str]]:
    """The cells of each row of the first table (text, tags removed, unescaped)."""
    table = re.search(r"<table.*?</table>", table_html, re.S)
    assert table, "no table"
    rows = []
    for tr in re.findall(r"<tr.*?</tr>", table.group(0), re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def _number(cell: str) -> float:
    return float(cell.replace(",", ""))


def test_settings_and_renderer_name_the_same_parts():
    assert set(NidSection.model_fields) == set(PARTS)


def test_every_chapter_in_the_order_of_the_outline(tkm_folder):
    text = _body(_nid(tkm_folder))
    ids = re.findall(r"<h2 id='([^']+)'>", text)
    assert ids == [c for c, _ in CHAPTERS]
    titles = [html.unescape(t) for t in re.findall(r"<h2 id='[^']+'>(.*?)</h2>", text)]
    assert titles == [t for _, t in CHAPTERS]
    # the chapters the ETF asks for are there, by name, in this order
    wanted = ["Executive summary", "National circumstances", "Trends", "Energy",
              "Industrial processes", "Agriculture", "Land use", "Waste",
              "Recalculations", "satellite evidence"]  # fmt: skip
    at = [next(i for i, t in enumerate(titles) if w in t) for w in wanted]
    assert at == sorted(at)
    sections = re.findall(r"<h3 id='ch1-\d+'>(.*?)</h3>", text)
    for name in ("Key categories", "Quality assurance", "Uncertainty by category",
                 "Completeness", "Time-series consistency"):  # fmt: skip
        assert any(name in s for s in sections), name
    assert "Planned improvements" in text and "Recalculations" in text


def test_contents_lists_every_heading_in_order(tkm_folder):
    text = _nid(tkm_folder)
    nav = re.search(r"<nav class='contents'>(.*?)</nav>", text, re.S)
    assert nav is not None
    links = re.findall(r"<a href='#([^']+)'>(.*?)</a>", nav.group(1))
    heads = re.findall(r"<h[23] id='([^']+)'>(.*?)</h[23]>", _body(text))
    assert [i for i, _ in links] == [i for i, _ in heads]
    assert [t for _, t in links] == [re.sub(r"<[^>]+>", "", t) for _, t in heads]
    assert len(links) > 20
    assert "size:A4" in text and "counter(page)" in text and "break-after:avoid" in text


def test_case_texts_appear_escaped_and_marked(tkm_folder):
    text = _nid(tkm_folder)
    circ = _section(text, "ch1-1")
    given = (TKM / "nid" / "national_circumstances.md").read_text(encoding="utf-8")
    assert "79.2 billion cubic metres" in given  # the example text the case gives
    assert "79.2 billion cubic metres" in circ and "13.97 million sheep" in circ
    assert "<b>Example text written for the openmrv demonstration case." in circ
    assert "nid/national_circumstances.md" in circ
    assert "GOSAT" in _section(text, "ch1-2")
    # parts the Turkmenistan case does not give are said to be the Party's to provide
    assert "To be provided by the Party" in _section(text, "ch1-3")
    assert "To be provided by the Party" not in circ


def test_case_text_cannot_inject_markup(tkm_folder, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tkm_folder, run)
    evil = "# Heading <img src=x onerror=alert(1)>\n\nA & B <script>alert(2)</script> **bold**"
    texts = {"national_circumstances": {"file": "nid/x.md", "text": evil}}
    (run / rf.NID_TEXTS_JSON).write_text(json.dumps(texts), encoding="utf-8")
    circ = _section(render_nid_html(run), "ch1-1")
    assert "<script" not in circ and "<img src=x" not in circ
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in circ and "A &amp; B" in circ
    assert "<h4>Heading &lt;img src=x onerror=alert(1)&gt;</h4>" in circ
    assert "<b>bold</b>" in circ
    assert markdown_html("- one\n- two <i>\n\npara") == (
        "<ul><li>one</li><li>two &lt;i&gt;</li></ul><p>para</p>"
    )


def test_a_case_without_texts_says_the_party_must_provide_them(mini_run):
    text = _nid(mini_run)
    assert json.loads((mini_run / rf.NID_TEXTS_JSON).read_text()) == {}
    assert text.count("To be provided by the Party.") == len(PARTS)
    for part in PARTS:
        assert f"nid: {{{part}: FILE.md}}" in text, part
    assert "casetext" not in _body(text).replace(".casetext", "")


def _independent_sums(run: Path) -> tuple[dict, dict]:
    """Sums of emissions.csv by (gas, year) [kt] and by (CRT sector, year) [kt CO2 eq]."""
    by_gas: dict[tuple[str, int], float] = defaultdict(float)
    by_sector: dict[tuple[str, int], float] = defaultdict(float)
    # IPCC 2006 sector -> CRT sector for the categories the Turkmenistan case estimates
    # (3.A and 3.C report under CRT 3, waste 4 under CRT 5; it estimates no 3.B land)
    crt = {"1": "1", "2": "2", "3": "3", "4": "5"}
    with (run / rf.EMISSIONS_CSV).open(newline="") as fh:
        for r in csv.DictReader(fh):
            assert not r["category"].startswith("3.B")
            v, year = float(r["value_Gg"]), int(r["year"])
            by_gas[(r["gas"], year)] += v
            by_sector[(crt[r["category"].split(".")[0]], year)] += v * AR5[r["gas"]]
    return by_gas, by_sector


def test_trend_tables_equal_the_sums_of_emissions_csv(tkm_folder):
    assert json.loads((tkm_folder / rf.RUN_JSON).read_text())["gwp"] == "AR5GWP100"
    by_gas, by_sector = _independent_sums(tkm_folder)
    text = _nid(tkm_folder)
    checked = 0
    for ident, sums, key in (("ch2-1", by_gas, str), ("ch2-3", by_sector, lambda s: s[0])):
        rows = _rows(_section(text, ident))
        head, body = rows[0], rows[1:]
        years = [int(h) for h in head[1:] if h.isdigit()]
        assert years[0] == 1990 and years[-1] == 2020
        for row in body:
            if row[0] == "Total":
                continue
            for y, cell in zip(years, row[1:], strict=False):
                assert _number(cell) == pytest.approx(sums[(key(row[0]), y)], abs=0.051)
                checked += 1
    assert checked > 40
    # the total row of the CO2-equivalent table by gas is the national total
    rows = _rows(_section(text, "ch2-2"))
    total = next(r for r in rows if r[0] == "Total")
    by_year = defaultdict(float)
    for (_, y), v in by_sector.items():
        by_year[y] += v
    assert _number(total[1]) == pytest.approx(by_year[1990], abs=0.051)
    assert _number(total[-2]) == pytest.approx(by_year[2020], abs=0.051)
    change = 100 * (by_year[2020] / by_year[1990] - 1)
    assert _number(total[-1]) == pytest.approx(change, abs=0.051)


def _years(spans: str) -> set[int]:
    out: set[int] = set()
    for part in spans.split(", "):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def test_every_gap_filled_series_is_disclosed(tkm_folder):
    series: dict[tuple[str, str, str, str], set[int]] = defaultdict(set)
    with (tkm_folder / rf.GAP_FILLING_CSV).open(newline="") as fh:
        for r in csv.DictReader(fh):
            series[(r["category"], r["activity"], r["key"], r["flag"])].add(int(r["year"]))
    assert len(series) >= 10 and {"E", "S"} <= {k[3] for k in series}
    rows = _rows(_section(_nid(tkm_folder), "ch1-9"))[1:]
    assert len(rows) == len(series)
    for (cat, act, key, flag), years in series.items():
        match = [
            r
            for r in rows
            if re.search(rf"(^|\(IPCC ){re.escape(cat)}( |\)|$)", r[0])
            and r[1:4] == [act, key, flag]
        ]
        assert len(match) == 1, (cat, act, key)
        assert _years(match[0][5]) == years


def test_rerender_writes_the_nid_beside_the_run(tkm_folder, tmp_path):
    before = {p: p.stat().st_mtime_ns for p in tkm_folder.rglob("*") if p.is_file()}
    res = rerender(tkm_folder, tmp_path / "docs", pdf=False)
    names = {p.name for p in res.files}
    assert {rf.REPORT_HTML, rf.NID_HTML} <= names
    again = (tmp_path / "docs" / rf.NID_HTML).read_text(encoding="utf-8")
    assert re.findall(r"<h2 id='([^']+)'>", again) == [c for c, _ in CHAPTERS]
    assert "79.2 billion cubic metres" in again  # the texts kept in the run folder
    assert {p: p.stat().st_mtime_ns for p in tkm_folder.rglob("*") if p.is_file()} == before


def test_without_chromium_the_nid_is_written_and_the_way_to_the_pdf_said(
    mini_run, tmp_path, monkeypatch
):
    run = tmp_path / "run"
    shutil.copytree(mini_run, run)
    for name in (rf.NID_PDF, rf.REPORT_PDF):
        (run / name).unlink(missing_ok=True)
    monkeypatch.setattr(btr, "find_chromium", lambda: None)
    files, warnings = write_nid(run)
    assert files == [run / rf.NID_HTML] and not (run / rf.NID_PDF).exists()
    assert warnings == ["nid.pdf not written: no chromium found (install chromium)"]
    status = pdf_status(run, True, warnings)
    assert status.startswith(warnings[0]) and status.endswith(PDF_HOWTO)
    assert "nid.pdf" in PDF_HOWTO and "openmrv report" in PDF_HOWTO
    (run / rf.REPORT_PDF).write_bytes(b"%PDF")  # the report printed, the NID not
    assert pdf_status(run, True, warnings) != "written"


@pytest.mark.skipif(btr.find_chromium() is None, reason="chromium is not installed")
def test_pdf_is_a4_with_several_pages(tkm_folder):
    pdf = (tkm_folder / rf.NID_PDF).read_bytes()
    pages = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(pages) > 1
    for w, h in pages:
        assert float(w) == pytest.approx(A4_PT[0], abs=1.0)
        assert float(h) == pytest.approx(A4_PT[1], abs=1.0)
    # page numbers: the page-margin box of the print CSS (printed as text: fonts embedded;
    # tests/report/test_layout.py shows the same box on a blank page gives text)
    assert b"/FontFile" in pdf
    assert 'counter(page) " of " counter(pages)' in _nid(tkm_folder)
