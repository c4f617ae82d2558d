"""``openmrv uncertainty`` and ``openmrv keycategories``: Approach 1 and 2 (IPCC 2006 Vol 1
Ch 3) and the key category analysis (Vol 1 Ch 4) of a case's inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from openmrv.case import load_case
from openmrv.cli._common import CaseArg, OutOpt, console, err_console, fail, sub_app
from openmrv.cli._common import client as make_client
from openmrv.errors import OpenMRVError

app = sub_app()


@app.command()
def uncertainty(
    case: CaseArg,
    out: OutOpt = None,
    draws: Annotated[
        int | None, typer.Option(help="Monte Carlo draws (default: case.yaml, else 100000).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: case.yaml).")] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="dask.distributed scheduler address; 'local' starts a LocalCluster."),
    ] = None,
) -> None:
    """Approach 1 and 2 uncertainty (IPCC Vol 1 Ch 3) of a case's inventory."""
    from openmrv.pipeline import estimate_inventory, estimate_uncertainty, write_uncertainty

    out = out or Path("runs") / f"{case.resolve().name}-uncertainty"
    try:
        from openmrv.case import load_case

        c = load_case(case)
        result = estimate_inventory(c)
        client = make_client(scheduler)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("Monte Carlo", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            unc = estimate_uncertainty(
                c, result, draws=draws, seed=seed, client=client, progress=step
            )
        if client is not None:
            client.close()
    except OpenMRVError as exc:
        fail(exc)
    out.mkdir(parents=True, exist_ok=True)
    files = write_uncertainty(out, unc)
    a1, mc = unc.approach1_totals, unc.approach2
    t = Table(
        title=f"{c.name}: uncertainty of the national total (95 % interval, "
        f"{mc.n_draws:,} draws in {mc.seconds:.1f} s)"
    )
    for col in ("year", "mean [Mt CO2e]", "2.5 %", "97.5 %", "-%", "+%"):
        t.add_column(col, justify="right")
    s = mc.summary[mc.summary["category"] == "0"]
    for r in s.itertuples():
        t.add_row(
            str(r.year),
            f"{r.mean / 1000:,.2f}",
            f"{r._5 / 1000:,.2f}",
            f"{r._6 / 1000:,.2f}",
            f"{r.minus_pct:.1f}",
            f"{r.plus_pct:.1f}",
        )
    console.print(t)
    console.print(
        f"Approach 1: level {a1['level_pct']:.1f} %, trend {a1['trend_pct']:.1f} "
        f"percentage points (trend {a1['trend_pct_of_base']:+.1f} %); "
        f"convergence: {mc.convergence}"
    )
    console.print(f"outputs in [bold]{out}[/]: " + ", ".join(f.name for f in files))


@app.command()
def keycategories(case: CaseArg, out: OutOpt = None) -> None:
    """Key category analysis (IPCC Vol 1 Ch 4): Approach 1 and 2, level and trend."""
    from openmrv.case import read_activity_uncertainty
    from openmrv.estimate.inventory.montecarlo import ActivityUncertainty
    from openmrv.estimate.inventory.uncertainty import combine_product, estimate_rows
    from openmrv.pipeline import estimate_inventory, key_category_table

    try:
        c = load_case(case)
        result = estimate_inventory(c)
        unc = ActivityUncertainty(read_activity_uncertainty(c), file=str(c.uncertainty_file))
        rows = estimate_rows(result, unc, c.gwp, (c.first_year, c.last_year))
    except OpenMRVError as exc:
        fail(exc)
    rows["G"] = combine_product(rows["E"], rows["F"])
    table = key_category_table(rows)
    out = out or Path("runs") / f"{case.resolve().name}-keycategories"
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "key_categories.csv", index=False)
    t = Table(title=f"{c.name}: key categories ({c.last_year}; base year {c.first_year})")
    for col in (
        "category",
        "gas",
        f"{c.last_year} [Mt CO2e]",
        "level %",
        "L1",
        "T1",
        "L2",
        "T2",
        "flags",
    ):
        t.add_column(col)
    for r in table[table["key_category"]].itertuples():
        t.add_row(
            r.category,
            r.gas,
            f"{r.latest_year_Gg_CO2e / 1000:,.2f}",
            f"{100 * r.level_a1_share:.1f}",
            *(
                "x" if k else ""
                for k in (r.level_a1_key, r.trend_a1_key, r.level_a2_key, r.trend_a2_key)
            ),
            str(r.qualitative_flags) if isinstance(r.qualitative_flags, str) else "",
        )
    console.print(t)
    console.print(f"written: {out / 'key_categories.csv'}")
