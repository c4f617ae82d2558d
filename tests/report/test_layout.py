"""Print layout of the report (openmrv.report.layout): A4 pages with page numbers, a
contents list, headings kept with what follows; and when no PDF is made the run says so
in run.json and on the console, and --no-pdf is honoured."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from openmrv.cli import app
from openmrv.report import btr, layout
from openmrv.report.write import PDF_HOWTO, pdf_status

from .conftest import DATA
from .test_btr import mini_run  # noqa: F401  (the module's run-folder fixture)

#: A4 in PostScript points (ISO 216: 210 x 297 mm; 1 pt = 25.4/72 mm)
A4_PT = (210 / 25.4 * 72, 297 / 25.4 * 72)


def _pages(pdf: bytes) -> list[tuple[float, float]]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return [(float(w), float(h)) for w, h in boxes]


def test_contents_lists_every_section_in_order(mini_run):  # noqa: F811
    text = (mini_run / "report.html").read_text()
    nav = re.search(r"<nav class='contents'>(.*?)</nav>", text, re.S)
    assert nav is not None
    sections = re.findall(r"<h2 id='([^']+)'>", text)
    assert re.findall(r"href='#([^']+)'", nav.group(1)) == sections
    assert len(sections) >= 5
    assert "size:A4" in text and "counter(page)" in text


def test_keep_with_next_wraps_heading_and_figure():
    body = "<h3>A</h3><figure><img></figure><h3>B</h3><table><tr><td>1</td></tr></table>"
    out = layout.keep_with_next(body)
    assert "<div class='keep' style='break-inside:avoid'><h3>A</h3><figure>" in out
    assert "<h3>B</h3><table>" in out  # long tables may still break
    assert layout.contents("<p>no sections</p>") == ""


@pytest.mark.skipif(btr.find_chromium() is None, reason="chromium is not installed")
def test_pdf_is_a4_with_page_numbers(mini_run, tmp_path):  # noqa: F811
    pages = _pages((mini_run / "report.pdf").read_bytes())
    assert len(pages) >= 2
    for w, h in pages:
        assert w == pytest.approx(A4_PT[0], abs=1.0) and h == pytest.approx(A4_PT[1], abs=1.0)
    # the page-number box is printed: a blank A4 page with it carries a font and text,
    # the same page without it none (Chromium draws no header or footer of its own)
    for name, css, has_text in (
        ("with", layout.PRINT_CSS, True),
        ("without", "@page{size:A4}", False),
    ):
        page = tmp_path / f"{name}.html"
        page.write_text(f"<html><head><style>{css}</style></head><body></body></html>")
        btr.print_pdf(page, tmp_path / f"{name}.pdf")
        pdf = (tmp_path / f"{name}.pdf").read_bytes()
        assert (b"/FontFile" in pdf) is has_text, name


def test_pdf_status_says_why_and_how(tmp_path):
    assert pdf_status(tmp_path, False, []) == "not written: not requested (--no-pdf)"
    why = "report.pdf not written: no chromium found (install chromium)"
    assert pdf_status(tmp_path, True, [why]) == f"{why}. {PDF_HOWTO}"
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    assert pdf_status(tmp_path, True, []) == "written"


def test_no_chromium_is_said_on_the_console_and_in_run_json(tmp_path, monkeypatch):
    case = tmp_path / "case"
    shutil.copytree(DATA / "mini_case", case)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OPENMRV_SIGNING_KEY", raising=False)
    monkeypatch.setattr(btr, "find_chromium", lambda: None)
    res = CliRunner().invoke(app, ["inventory", str(case), "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "a" / "run.json").read_text())
    assert meta["report_pdf"].startswith("report.pdf not written: no chromium found")
    assert "install Chromium" in meta["report_pdf"]
    assert "no PDF: report.pdf not written" in res.output
    assert not (tmp_path / "a" / "report.pdf").exists()
    res = CliRunner().invoke(
        app, ["inventory", str(case), "--out", str(tmp_path / "b"), "--no-pdf"]
    )
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "b" / "run.json").read_text())
    assert meta["report_pdf"] == "not written: not requested (--no-pdf)"
    assert "warnings" not in meta
    assert not (tmp_path / "b" / "report.pdf").exists()
