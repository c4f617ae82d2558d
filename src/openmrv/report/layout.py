"""Print layout of the report: A4 pages with page numbers, a contents list, and headings
kept with what follows them (CSS Paged Media, as headless Chromium prints it)."""

from __future__ import annotations

import html
import re

#: A4 pages, "page N of M" at the foot (CSS page-margin boxes, Chromium >= 131), headings
#: never last on a page, figures and table rows never split.
PRINT_CSS = """
@page{size:A4;margin:16mm 14mm 18mm 14mm;
@bottom-center{content:"page " counter(page) " of " counter(pages);font-size:9px;color:#555}}
nav.contents ol{columns:2;font-size:13px;list-style:none;padding-left:1em}
nav.contents a{color:#28446b;text-decoration:none}
@media print{body{max-width:none;margin:0;padding:0;font-size:11.5px}
h1,h2,h3,h4{break-after:avoid;page-break-after:avoid;break-inside:avoid}
h2{break-before:auto}figure,img,tr,.osse{break-inside:avoid;page-break-inside:avoid}
table{break-inside:auto}thead{display:table-header-group}
p,li{orphans:3;widows:3}nav.contents{break-after:page}}
"""
_H2 = re.compile(r"<h2 id=['\"]([^'\"]+)['\"]>(.*?)</h2>", re.S)


def contents(body: str) -> str:
    """A contents list linking each section heading (``<h2 id=...>``) of ``body``."""
    items = [
        f"<li><a href='#{html.escape(i, quote=True)}'>{re.sub(r'<[^>]+>', '', t)}</a></li>"
        for i, t in _H2.findall(body)
    ]
    if not items:
        return ""
    return "<nav class='contents'><h2>Contents</h2><ol>" + "".join(items) + "</ol></nav>"


def keep_with_next(body: str) -> str:
    """Wrap each ``h3`` or ``h4`` heading and the figure or paragraph right after it in one block
    that does not break inside, so no heading ends a page (before a table, the headings'
    ``break-after: avoid`` does it: a long table must still break across pages)."""
    return re.sub(
        r"(<(h[34])\b[^>]*>(?:(?!</h[34]>).)*</\2>)(<(figure|p)\b.*?</\4>)",
        r"<div class='keep' style='break-inside:avoid'>\1\3</div>",
        body,
        flags=re.S,
    )
