"""The main journeys in headless Chromium (Debian's package, driven by Playwright through its
``executable_path``; no browser is downloaded): log in, enter a value and see it refused with
the case reader's words, enter a good one, log in as the compiler, approve, run and open the
run's outputs; the expert deletes a row and restores it; a reviewer unfolds the run's
inventory tree to an estimate, comments on it and marks a QC check done. Screenshots are
checked for what they must show (the red refusal, the green confirmation). A second journey
opens the verification view of a whole Turkmenistan run and checks its map images load (their
natural size is the PNG's, the screenshot of the map is a drawn map, not an empty or broken
image). Skips where Playwright or Chromium is missing."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest
from tests.workspace.conftest import PASSWORD, free_port, serve

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
#: the background colours of the refusal and the confirmation (pages.STYLE)
RED, GREEN = (0xFF, 0xDD, 0xDD), (0xDD, 0xFF, 0xDD)


def _shows(png: bytes, colour: tuple[int, int, int]) -> int:
    """How many pixels of a screenshot have exactly ``colour``."""
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return int(np.all(pixels == colour, axis=-1).sum())


def _log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="log in").click()
    page.wait_for_url(f"{base}/")


def _colours(png: bytes) -> int:
    """How many distinct colours a screenshot has."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    return len(np.unique(pixels, axis=0))


def test_main_journeys_in_chromium(ws_dir, tmp_path):
    port = free_port()
    proc = serve(ws_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            page = browser.new_page()
            _log_in(page, base, "expert")
            page.get_by_role("link", name="mini").click()
            page.get_by_role("link", name="1 Energy").click()
            row = page.locator("tr", has=page.locator("td", has_text="fuel_consumption")).first
            row.locator("input[name=value]").fill("-3")
            row.locator("input[name=reason]").fill("typo")
            row.get_by_role("button", name="save").click()
            page.wait_for_selector(".error")
            assert "form activity.csv, row 2, field value" in page.inner_text(".error")
            shot = page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)
            assert _shows(shot, RED) > 1000 and _shows(shot, GREEN) == 0
            row = page.locator("tr", has=page.locator("td", has_text="fuel_consumption")).first
            row.locator("input[name=value]").fill("1250")
            row.locator("input[name=reason]").fill("energy balance 2000")
            row.get_by_role("button", name="save").click()
            page.wait_for_selector(".ok")
            shot = page.screenshot(path=str(tmp_path / "saved.png"), full_page=True)
            assert _shows(shot, GREEN) > 1000 and _shows(shot, RED) == 0
            _delete_and_restore(page)
            page.get_by_role("link", name="cases").click()
            page.get_by_role("button", name="log out").click()
            _log_in(page, base, "compiler")
            page.get_by_role("link", name="mini").click()
            page.fill("form[action$=approve] input[name=reason]", "for the review")
            page.get_by_role("button", name="approve and lock this version").click()
            page.wait_for_selector("text=version 1: approved by compiler")
            page.fill("form[action$=runs] input[name=version]", "1")
            page.get_by_role("button", name="start a run").click()
            page.wait_for_selector("b:text('done')", timeout=120_000)
            assert page.locator("a", has_text="emissions.csv").count() == 1
            page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
            run_url = page.url
            page.get_by_role("link", name="audit trail").click()
            assert "energy balance 2000" in page.inner_text("table")
            page.get_by_role("link", name="cases").click()
            page.get_by_role("button", name="log out").click()
            _review(page, base, run_url, tmp_path)
            browser.close()
    finally:
        proc.kill()
        proc.wait()


def _delete_and_restore(page) -> None:
    """The expert deletes the first row from the screen (it moves to the deleted rows) and
    restores it (it is back in the table, the note says so)."""
    live = page.locator("tr", has=page.locator("td", has_text="fuel_consumption"))
    n = live.count()
    live.first.locator("input[name=reason]").fill("entered twice")
    live.first.get_by_role("button", name="delete").click()
    page.wait_for_selector("p.ok:has-text('deleted')")
    gone = page.locator("tr.deleted")
    assert gone.count() == 1 and live.count() == n  # n - 1 live rows, 1 deleted
    gone.locator("input[name=reason]").fill("not twice after all")
    gone.get_by_role("button", name="restore").click()
    page.wait_for_selector("p.ok:has-text('restored')")
    assert page.locator("tr.deleted").count() == 0 and live.count() == n


def _review(page, base: str, run_url: str, tmp_path) -> None:
    """The reviewer unfolds the inventory tree down to an estimate, comments on it and marks
    a QC check done."""
    _log_in(page, base, "reviewer")
    page.goto(f"{run_url}/tree")
    leaf = page.locator("div.est[data-category='1.A.1.a']").first
    assert not leaf.is_visible()  # folded below the sector
    for code in ("1", "1.A", "1.A.1", "1.A.1.a"):
        fold = page.locator(f"details[data-code='{code}']")
        if not fold.evaluate("el => el.open"):
            fold.locator("> summary").click()
    assert leaf.is_visible()
    leaf.locator("a").click()
    page.wait_for_selector("text=Review comments")
    page.fill("textarea[name=body]", "cite the energy balance table")
    page.get_by_role("button", name="add comment").click()
    page.wait_for_selector("td:text('cite the energy balance table')")
    row = page.locator("tr.qc[data-check='units']")
    row.locator("input[name=reason]").fill("QC round 1")
    row.get_by_role("button", name="mark done").click()
    page.wait_for_selector("tr.qc[data-check='units'] td.state:text('done')")
    page.screenshot(path=str(tmp_path / "review.png"), full_page=True)


def test_the_verification_view_and_its_maps_in_chromium(tkm_run, tmp_path):
    from PIL import Image

    folder, run_id = tkm_run
    run_dir = folder / "runs" / f"run{run_id}" / "run"
    port = free_port()
    proc = serve(folder, port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            _log_in(page, base, "viewer")
            page.get_by_role("link", name="tkm").click()
            page.get_by_role("link", name=f"run {run_id}", exact=True).click()
            page.get_by_role("link", name="verification", exact=True).click()
            page.wait_for_selector("text=Bottom-up against top-down")
            for name in ("regions_map.png", "plumes_map.png"):
                img = page.locator(f"img[src$='/files/{name}']")
                img.scroll_into_view_if_needed()
                page.wait_for_function(
                    "el => el.complete && el.naturalWidth > 0", arg=img.element_handle()
                )
                with Image.open(run_dir / name) as png:
                    width, height = png.size
                natural = img.evaluate("el => [el.naturalWidth, el.naturalHeight]")
                assert natural == [width, height], name
                shot = img.screenshot(path=str(tmp_path / name))
                # a drawn map (borders, land, sites), not a blank or a broken-image icon
                assert _colours(shot) > 50, name
                box = img.bounding_box()
                assert box["width"] > 300 and box["height"] > 200, name
            page.screenshot(path=str(tmp_path / "verification.png"), full_page=True)
            browser.close()
    finally:
        proc.kill()
        proc.wait()
