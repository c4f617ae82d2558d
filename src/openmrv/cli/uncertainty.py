"""``openmrv uncertainty`` and ``openmrv keycategories``: Approach 1 and 2 (IPCC 2006 Vol 1
Ch 3) and the key category analysis (Vol 1 Ch 4) of a case's inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from openmrv.cli._common import CaseArg, OutOpt, console, err_console, fail, sub_app
from openmrv.cli._common import client as make_client
from openmrv.errors import OpenMRVError

app = sub_app()


def _draws_cap(value: int | None) -> int | None:
    """Refuse ``--draws`` over ``mc_draws_max`` before anything is computed (exit 2)."""
    from openmrv.case_limits import limit

    cap = int(limit("mc_draws_max"))
    if value is not None and value > cap:
        raise typer.BadParameter(
            f"{value} draws exceed the limit of {cap} (mc_draws_max in "
            "data/case_limits.csv: more draws do not sharpen the 95 % interval)"
        )
    return value


@app.command()
def uncertainty(
    case: CaseArg,
    out: OutOpt = None,
    draws: Annotated[
        int | None,
        typer.Option(
            min=2,
            callback=_draws_cap,
            help="Monte Carlo draws, at least 2 and at most mc_draws_max of "
            "data/case_limits.csv (default: case.yaml, else 100000).",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Random seed (default: case.yaml).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="dask.distributed scheduler address; 'local' starts a LocalCluster."),
    ] = None,
) -> None:
    """Approach 1 and 2 uncertainty (IPCC Vol 1 Ch 3) of a case's inventory."""
    from openmrv.case import load_case
    from openmrv.stages import uncertainty as unc_stage
    from openmrv.stages.inventory import estimate_inventory

    out = out or Path("runs") / f"{case.resolve().name}-uncertainty"
    try:
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

            unc = unc_stage.compute(c, result, draws=draws, seed=seed, client=client, progress=step)
        if client is not None:
            client.close()
    except OpenMRVError as exc:
        fail(exc)
    out.mkdir(parents=True, exist_ok=True)
    files = unc_stage.write(unc, out)
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
        f"percentage points (trend {a1['trend_pct_of_base']:+.1f} %)"
    )
    console.print(convergence_line(mc.convergence, mc.n_draws))
    console.print(f"outputs in [bold]{out}[/]: " + ", ".join(f.name for f in files))


@app.command()
def keycategories(case: CaseArg, out: OutOpt = None) -> None:
    """Key category analysis (IPCC Vol 1 Ch 4): Approach 1 and 2, level and trend."""
    from openmrv.case import load_case
    from openmrv.runfolder import KEY_CATEGORIES_CSV
    from openmrv.stages import uncertainty as unc_stage
    from openmrv.stages.inventory import estimate_inventory

    try:
        c = load_case(case)
        result = estimate_inventory(c)
        rows = unc_stage.approach1_rows(c, result)
    except OpenMRVError as exc:
        fail(exc)
    table = unc_stage.key_category_table(rows)
    out = out or Path("runs") / f"{case.resolve().name}-keycategories"
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / KEY_CATEGORIES_CSV, index=False)
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
    console.print(f"written: {out / KEY_CATEGORIES_CSV}")


def convergence_line(conv: dict[str, float], draws: int) -> str:
    """The Monte Carlo's convergence in words: stable when the ends of the 95 % interval
    move by less than 1 % between the first half of the draws and all of them
    (:func:`openmrv.estimate.inventory.montecarlo.convergence`)."""
    ok = bool(conv.get("converged_1pct"))
    return (
        f"convergence: {'stable' if ok else 'NOT stable: raise --draws'} over {draws:,} "
        f"draws (2.5 % point moved {conv['p2.5_change_pct']:.2f} %, 97.5 % point "
        f"{conv['p97.5_change_pct']:.2f} % from half the draws to all; criterion 1 %)"
    )
