"""The texts a Party writes for its national inventory document (``case.yaml``'s ``nid:``
section): national circumstances, institutional arrangements and the other parts no
calculation can supply. They are copied into the run folder as ``nid_texts.json`` (so that
``openmrv report RUN`` renders the same document without the case folder) and rendered
from a small, safe subset of Markdown: every character of the text is HTML-escaped
first, then headings (``#``), bullet lists (``-``/``*``), paragraphs, ``**bold**`` and
``*italic*`` are marked up. Nothing the text holds can become a tag, a script or a link.

Where the case gives no text for a part, the document says that the Party must provide it:
openmrv never writes a Party's circumstances for it.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from openmrv import runfolder as rf

#: the parts of the NID a case may give, in the order the document uses them, with what
#: each must hold (decision 18/CMA.1 annex, paras 40-47 and 50 ff.; decision 5/CMA.3
#: annex V, chapter 1)
PARTS: dict[str, tuple[str, str]] = {
    "executive_summary": (
        "Background",
        "background information on the greenhouse gas inventory and climate change",
    ),
    "national_circumstances": (
        "National circumstances",
        "the national circumstances relevant to emissions and removals (population, "
        "economy, energy and land use)",
    ),
    "institutional_arrangements": (
        "Institutional arrangements",
        "the national entity responsible for the inventory, the roles of the institutions "
        "that provide data, and the legal and procedural arrangements (18/CMA.1 annex, "
        "paras 18-20)",
    ),
    "inventory_preparation": (
        "Inventory preparation, data collection and archiving",
        "how the inventory was prepared, the data were collected and the files are "
        "archived (18/CMA.1 annex, para 19)",
    ),
    "flexibility": (
        "Flexibility applied",
        "any flexibility provision of the modalities, procedures and guidelines the Party "
        "applies, the capacity constraint it addresses and the time frame for improvement "
        "(18/CMA.1 annex, para 6)",
    ),
}


def case_texts(root: Path, files: dict[str, Path]) -> dict[str, dict[str, str]]:
    """The case's NID texts read from their files: ``{part: {"file": path relative to
    the case folder, "text": the text}}`` (the files were checked when the case loaded)."""
    out = {}
    for part, path in files.items():
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        out[part] = {"file": rel, "text": path.read_text(encoding="utf-8")}
    return out


def write_texts(run_dir: Path, texts: dict[str, dict[str, str]]) -> Path:
    """Write ``nid_texts.json`` into a run folder (``{}`` when the case gives none)."""
    path = Path(run_dir) / rf.NID_TEXTS_JSON
    path.write_text(json.dumps(texts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_texts(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The texts of a run folder (``{}`` for a run written before the NID had them)."""
    path = Path(run_dir) / rf.NID_TEXTS_JSON
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _inline(escaped: str) -> str:
    """Bold and italic on text already HTML-escaped (the marks add tags, nothing else)."""
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", escaped)


def markdown_html(text: str) -> str:
    """A safe subset of Markdown as HTML: the text is escaped, then ``#`` headings become
    ``h4``, ``-``/``*`` lines list items, blank lines separate paragraphs."""
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append("<p>" + _inline(html.escape(" ".join(para))) + "</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(html.escape(i))}</li>" for i in items))
            out[-1] += "</ul>"
            items.clear()

    for raw in text.splitlines():
        line = raw.strip()
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        item = re.match(r"^[-*]\s+(.*)$", line)
        if not line:
            flush()
        elif heading:
            flush()
            out.append(f"<h4>{_inline(html.escape(heading.group(1)))}</h4>")
        elif item:
            if para:
                flush()
            items.append(item.group(1))
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return "".join(out)


def part_html(texts: dict[str, dict[str, Any]], part: str) -> str:
    """A part of the NID from the case's text, or the plain statement that the Party must
    provide it (naming the ``case.yaml`` setting that would give it)."""
    _, must_hold = PARTS[part]
    given = texts.get(part)
    if given and str(given.get("text", "")).strip():
        src = html.escape(str(given.get("file", "")))
        return (
            f"<div class='casetext'>{markdown_html(str(given['text']))}</div>"
            f"<p class='note'>Text provided by the case ({src}).</p>"
        )
    return (
        f"<p class='missing'><b>To be provided by the Party.</b> The Party must provide "
        f"{html.escape(must_hold)}; the case gives no text (case.yaml: "
        f"<code>nid: {{{part}: FILE.md}}</code>), and openmrv does not write it.</p>"
    )
