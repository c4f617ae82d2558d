"""The report's "Quality control" section: the general QC activities of the IPCC 2006
Guidelines (Vol 1 Ch 6, Table 6.1), what openmrv does for each, and what the run folder
shows of it (``report/data/qc_procedures.csv``). Every result is read from a file of the
run folder; nothing is estimated here. A check whose file is missing says so; it is not
reported as passed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf
from openmrv.report.html_parts import read, read_json, table

PROCEDURES_FILE = Path(__file__).parent / "data" / "qc_procedures.csv"


def qc_procedures() -> pd.DataFrame:
    """The QC activities with openmrv's check, evidence file and result rule."""
    return pd.read_csv(PROCEDURES_FILE, comment="#", dtype=str, keep_default_na=False)


def _documented(run: Path) -> str:
    em = read(run, rf.EMISSIONS_CSV)
    if em is None:
        return ""
    cited = em["factors"].fillna("").astype(str).str.len().gt(0)
    sources = em["activity_source"].fillna("").astype(str).str.len().gt(0)
    return (
        f"{int(cited.sum()):,} of {len(em):,} estimate rows name their factor rows; "
        f"{int(sources.sum()):,} name their activity source"
    )


def _inputs(run: Path) -> str:
    meta = read_json(run, rf.RUN_JSON)
    n = len(meta.get("input_sha256", {}))
    return f"{n} input files recorded with their SHA-256" if n else ""


def _reference(run: Path) -> str:
    ref = read(run, rf.REFERENCE_APPROACH_CSV)
    if ref is None or not len(ref):
        return ""
    last = ref[ref["year"] == ref["year"].max()]
    parts = [
        f"{r.fuel_family} {r.difference_pct:+.2f} %"
        for r in last.itertuples()
        if pd.notna(r.difference_pct)
    ]
    return f"reference against sectoral approach, {int(last['year'].iloc[0])}: " + ", ".join(parts)


def _units(run: Path) -> str:
    return "checked as the run folder is completed, after this page is written"


#: the manifest comes after the report (it lists the report too), so the page states what
#: will be in it, the same whether the page is rendered in the run or again later
AFTER = (
    "manifest.json, written and signed after this page, lists every output (this page "
    "too) and input with its SHA-256; openmrv verify-manifest checks it"
)


def _manifest(run: Path) -> str:
    return AFTER


def _uncertainty(run: Path) -> str:
    u = read_json(run, rf.UNCERTAINTY_JSON)
    if not u:
        return ""
    bound = u.get("approach2_percentile_bound_of_interval")
    text = f"Approach 2 with {int(u.get('approach2_draws', 0)):,} draws"
    if bound is not None:
        text += f"; percentiles within {100 * float(bound):.3g} % of the 95 % interval"
    return text


def _timeseries(run: Path) -> str:
    gaps = read(run, rf.GAP_FILLING_CSV)
    if gaps is None:
        return ""
    if not len(gaps):
        return "no value gap-filled"
    counts = gaps.groupby("flag").size()
    series = gaps.drop_duplicates(["category", "activity", "key", "flag"]).groupby("flag").size()
    parts = [
        f"{int(counts[f]):,} values of {int(series[f])} series flagged {f}" for f in counts.index
    ]
    warned = len(read_json(run, rf.RUN_JSON).get("warnings", []))
    return "; ".join(parts) + (f"; {warned} warning(s) in run.json" if warned else "")


def _completeness(run: Path) -> str:
    crt = read_json(run, rf.CRT_JSON)
    if "Table9" not in crt.get("tables", {}):
        return ""
    rows = crt["tables"]["Table9"]["rows"]
    keys = pd.Series([r.get("notation key", "") for r in rows]).value_counts()
    explained = sum(1 for r in rows if str(r.get("explanation", "")).strip())
    listing = ", ".join(f"{k} {v:,}" for k, v in keys.items())
    return f"{len(rows):,} keyed entries in Table 9 ({listing}); {explained:,} explained"


def _keycategories(run: Path) -> str:
    kc = read(run, rf.KEY_CATEGORIES_CSV)
    if kc is None or "key_category" not in kc:
        return ""
    return f"{int(kc['key_category'].astype(bool).sum())} key category-gas pairs of {len(kc)}"


def _archive(run: Path) -> str:
    meta = read_json(run, rf.RUN_JSON)
    if not meta:
        return ""
    return (
        f"settings of the run in run.json (openmrv {meta.get('openmrv_version', '?')}); the "
        "manifest adds the software versions, and openmrv reproduce re-runs the folder"
    )


RULES: dict[str, Callable[[Path], str]] = {
    "documented": _documented,
    "inputs": _inputs,
    "reference": _reference,
    "units": _units,
    "manifest": _manifest,
    "uncertainty": _uncertainty,
    "timeseries": _timeseries,
    "completeness": _completeness,
    "keycategories": _keycategories,
    "archive": _archive,
}


def qc_rows(run: Path) -> pd.DataFrame:
    """One row per QC activity: activity, what openmrv does, what this run shows (or that
    its evidence is missing)."""
    rows = []
    for p in qc_procedures().itertuples():
        shown = RULES[p.result](run)
        if not shown:
            shown = (
                f"not shown: {p.evidence} is not in this run folder" if p.evidence != "-" else ""
            )
        rows.append(
            {"QC activity (Vol 1 Table 6.1)": p.activity, "openmrv": p.openmrv, "this run": shown}
        )
    return pd.DataFrame(rows)


def qaqc_section(run: Path) -> str:
    """The section (always present: the general QC activities apply to every inventory)."""
    rows = qc_rows(run)
    return (
        "<h2 id='qaqc'>Quality control</h2><p>The general inventory QC activities of the "
        "IPCC 2006 Guidelines (Vol 1 Ch 6, Table 6.1, paraphrased), what openmrv does for "
        "each, and what this run folder shows. These are the automatic checks; the "
        "category-specific QC and the QA by people not involved in the compilation (Vol 1 "
        "Ch 6.7-6.8) are the inventory team's.</p><div class='text'>" + table(rows) + "</div>"
    )
