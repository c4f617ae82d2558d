"""``openmrv run`` and ``openmrv inventory``: the whole job, or the inventory alone, with a
summary of national totals, uncertainty and verification."""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from openmrv.cli._common import (
    CaseArg,
    OutOpt,
    console,
    err_console,
    fail,
    run_with_progress,
    sub_app,
)
from openmrv.cli._common import client as make_client

app = sub_app()
PreviousOpt = Annotated[
    Path | None,
    typer.Option(
        "--previous",
        help="Run folder of the previous submission: recalculations.csv lists every "
        "estimate that differs from it, with what changed (IPCC Vol 1 Ch 5.4, CRT Table 8).",
    ),
]
NoPdfOpt = Annotated[
    bool,
    typer.Option(
        "--no-pdf",
        help="Write report.html only, no report.pdf (which needs Chromium); run.json "
        "records it under report_pdf.",
    ),
]


def _signing_key_notice() -> None:
    """Say where the signing key will be created, before the first run creates it."""
    from openmrv.report.manifest import KEY_ENV, default_key_path

    if not os.environ.get(KEY_ENV) and not default_key_path().exists():
        err_console.print(
            f"note: no signing key yet; one is created at {default_key_path()} to sign "
            f"this run's manifest (your identity as the signer: keep it private and backed "
            f"up; or set {KEY_ENV} to a key of your own; docs/provenance.md)",
            soft_wrap=True,
            markup=False,
        )


def _headline(head) -> None:
    """The run's headline (:mod:`openmrv.verify.headline`), first in the summary."""
    if head is None or not head.lines:
        return
    console.rule("headline")
    console.print(head.lines[0], style="bold", soft_wrap=True, markup=False)
    for line in head.lines[1:]:
        console.print(f"- {line}", soft_wrap=False, markup=False)
    console.rule()


def _summary(run_) -> None:
    import numpy as np

    from openmrv.categories import title
    from openmrv.runfolder import RUN_JSON, VERIFICATION_CSV

    _headline(getattr(run_, "headline", None))
    ds = run_.result.dataset
    cat_dim = ds.attrs["cat"]
    case = run_.case
    last, first = case.last_year, case.first_year
    table = Table(
        title=f"{case.name} ({case.country}): emissions by sector and gas "
        f"[Gg/yr; CO2e {case.gwp}, Mt]"
    )
    table.add_column("category")
    table.add_column("title", no_wrap=True, max_width=34)
    for g in ("CO2", "CH4", "N2O"):
        table.add_column(f"{g} {last}", justify="right")
    table.add_column(f"CO2e {first}", justify="right")
    table.add_column(f"CO2e {last}", justify="right")
    kyoto = f"KYOTOGHG ({case.gwp})"
    for code in ("1", "1.A", "1.B", "1.B.2", "2", "3", "4", "0"):
        if code not in ds[cat_dim].values:
            continue
        sel = ds.sel({cat_dim: code}).isel({"area (ISO3)": 0, "source": 0})
        cells = []
        for g in ("CO2", "CH4", "N2O"):
            v = float(sel[g].sel(time=str(last)).values[0])
            cells.append("-" if np.isnan(v) else f"{v:,.1f}")
        e0 = float(sel[kyoto].sel(time=str(first)).values[0]) / 1000
        e1 = float(sel[kyoto].sel(time=str(last)).values[0]) / 1000
        fmt = [("-" if np.isnan(e) else f"{e:,.2f}") for e in (e0, e1)]
        table.add_row(code, title(code), *cells, *fmt)
    console.print(table)
    unc = getattr(run_, "uncertainty", None)
    if unc is not None:
        s = unc.approach2.summary.set_index(["category", "year"])
        if ("0", last) in s.index:
            r = s.loc[("0", last)]
            console.print(
                f"national total {last}: {r['mean'] / 1000:,.1f} Mt CO2e, 95 % interval "
                f"{r['p2.5'] / 1000:,.1f}-{r['p97.5'] / 1000:,.1f} (Approach 2, "
                f"{unc.approach2.n_draws:,} draws); Approach 1: "
                f"{unc.approach1_totals['level_pct']:.1f} %; key categories: "
                f"{int(unc.key_categories['key_category'].sum())}"
            )
    _verification_summary(run_.out / VERIFICATION_CSV)
    meta = run_.out / RUN_JSON
    for w in json.loads(meta.read_text()).get("warnings", []) if meta.is_file() else []:
        err_console.print(f"warning: {w}", soft_wrap=True, markup=False)
    names = ", ".join(f.relative_to(run_.out).as_posix() for f in run_.files)
    console.print(f"outputs in [bold]{run_.out}[/]: {names}")
    _pdf_notice(run_.out)


def _pdf_notice(out: Path) -> None:
    """Say plainly, last, when no report.pdf was made and how to get it (run.json has the
    same text under ``report_pdf``)."""
    from openmrv.runfolder import RUN_JSON

    try:
        status = json.loads((out / RUN_JSON).read_text()).get("report_pdf", "written")
    except (OSError, ValueError):
        return
    if status != "written":
        err_console.print(Text.assemble(("no PDF: ", "bold yellow"), status), soft_wrap=True)


def _verification_summary(path: Path) -> None:
    """Bottom-up against top-down, one line per evidence (verification.csv of a run)."""
    if not path.is_file():
        return
    import pandas as pd

    v = pd.read_csv(path)
    if v.empty:
        return
    table = Table(title="verification: bottom-up against top-down \\[kt/yr] (2019R Vol 1 Ch 6)")
    for col, just in (
        ("category", "left"),
        ("gas", "left"),
        ("evidence", "left"),
        ("bottom-up (95 %)", "right"),
        ("top-down ± 1σ", "right"),
        ("z", "right"),
        ("flag", "left"),
    ):
        table.add_column(col, justify=just)
    for r in v.itertuples(index=False):
        table.add_row(
            str(r.category),
            str(r.gas),
            f"{r.evidence} {r.evidence_year}",
            f"{r.bottom_up_kt:,.0f} ({r.bottom_up_low_kt:,.0f}-{r.bottom_up_high_kt:,.0f})",
            "no annual figure"
            if r.top_down_kt != r.top_down_kt  # NaN: insufficient coverage
            else f"{r.top_down_kt:,.0f} ± {r.top_down_sigma_kt:,.0f}",
            "-" if r.z != r.z else f"{r.z:+.2f}",
            str(r.flag),
        )
    console.print(table)


@app.command()
def run(
    case: CaseArg,
    out: OutOpt = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="dask.distributed scheduler address, or 'local' for a LocalCluster; "
            "default: this process."
        ),
    ] = None,
    no_pdf: NoPdfOpt = False,
    previous: PreviousOpt = None,
) -> None:
    """Run the whole job on a case: inventory, uncertainty, key categories, observations,
    plumes, inversion, verification, CRT tables, report and signed manifest."""
    from openmrv.pipeline import run as run_pipeline

    try:
        client = make_client(scheduler)
    except OSError as exc:
        fail(f"cannot reach the dask scheduler {scheduler}: {exc}")
    try:
        _signing_key_notice()
        _summary(
            run_with_progress(
                partial(run_pipeline, client=client, pdf=not no_pdf, previous=previous), case, out
            )
        )
    finally:
        if client is not None:
            client.close()


@app.command()
def inventory(
    case: CaseArg, out: OutOpt = None, no_pdf: NoPdfOpt = False, previous: PreviousOpt = None
) -> None:
    """Compile the bottom-up inventory of a case and print national totals."""
    from openmrv.pipeline import run_inventory

    _signing_key_notice()
    _summary(
        run_with_progress(partial(run_inventory, pdf=not no_pdf, previous=previous), case, out)
    )
