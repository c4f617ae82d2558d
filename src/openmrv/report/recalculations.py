"""The report's "Recalculations" section: the estimates that differ from the previous
submission's run, from ``recalculations.csv`` (``openmrv run CASE --previous RUN``)."""

from __future__ import annotations

import html
from pathlib import Path

from openmrv import runfolder as rf
from openmrv.report.html_parts import read, table

#: rows shown in the report; the CSV holds them all
SHOWN = 40


def recalculations_section(run: Path) -> str:
    """The section, or "" when the run was not compared with a previous one."""
    if not (run / rf.RECALCULATIONS_CSV).is_file():
        return ""
    rec = read(run, rf.RECALCULATIONS_CSV)
    if rec is None or not len(rec):
        return (
            "<h2 id='recalculations'>Recalculations</h2><p>Compared with the previous run "
            "given with --previous, no estimate changed.</p>"
        )
    prev = html.escape(str(rec["previous_run"].iloc[0]))
    rec = rec.assign(abs_diff=rec["difference_Gg"].abs()).sort_values(
        "abs_diff", ascending=False, kind="stable"
    )
    cols = ["category", "gas", "year", "previous_Gg", "current_Gg", "difference_pct", "reason"]
    more = len(rec) - SHOWN
    return (
        "<h2 id='recalculations'>Recalculations</h2>"
        f"<p>{len(rec):,} category, gas and year values differ from the previous run "
        f"(<code>{prev}</code>), largest differences first"
        + (f"; the first {SHOWN} are shown, all are in recalculations.csv" if more > 0 else "")
        + ". The reason says what changed between the runs (factor rows, inputs, or "
        "openmrv itself); why it was changed is the compiler's to add (IPCC 2006 Vol 1 "
        "Ch 5.4, CRT Table 8).</p>" + table(rec[cols].head(SHOWN), 3)
    )
