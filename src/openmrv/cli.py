"""The ``openmrv`` command line (typer). It calls the public API only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from openmrv import __version__
from openmrv.errors import InputError, OpenMRVError

app = typer.Typer(
    name="openmrv",
    help="openmrv: national greenhouse-gas inventories (IPCC 2006/2019R), satellite evidence "
    "and ETF reporting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Tables need about 110 columns; outside a terminal (CI, pipes) rich would assume 80.
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True)

CaseArg = Annotated[Path, typer.Argument(help="Case folder holding case.yaml.", show_default=False)]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Run folder to write (default: runs/<case>).")
]


def _fail(exc: OpenMRVError | str) -> None:
    """Print an input error on stderr, unwrapped and without markup, and exit with 2."""
    err_console.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
    raise typer.Exit(code=2)


def _summary(run_) -> None:
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
    from openmrv.categories import title

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
    _verification_summary(run_.out / "verification.csv")
    names = ", ".join(f.relative_to(run_.out).as_posix() for f in run_.files)
    console.print(f"outputs in [bold]{run_.out}[/]: {names}")


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
            f"{r.top_down_kt:,.0f} ± {r.top_down_sigma_kt:,.0f}",
            f"{r.z:+.2f}",
            str(r.flag),
        )
    console.print(table)


def _run_with_progress(fn, case: Path, out: Path | None):
    out = out or Path("runs") / case.resolve().name
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading case", total=None)

        def step(text: str) -> None:
            bar.update(task, description=f"estimating {text}")

        try:
            return fn(case, out, step)
        except OpenMRVError as exc:
            bar.stop()
            _fail(exc)


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
) -> None:
    """Run the whole job on a case: inventory, uncertainty, key categories, observations,
    plumes, inversion, verification, CRT tables, report and signed manifest."""
    from functools import partial

    from openmrv.pipeline import run as run_pipeline

    try:
        client = _client(scheduler)
    except OSError as exc:
        _fail(f"cannot reach the dask scheduler {scheduler}: {exc}")
    try:
        _summary(_run_with_progress(partial(run_pipeline, client=client), case, out))
    finally:
        if client is not None:
            client.close()


@app.command()
def inventory(case: CaseArg, out: OutOpt = None) -> None:
    """Compile the bottom-up inventory of a case and print national totals."""
    from openmrv.pipeline import run_inventory

    _summary(_run_with_progress(run_inventory, case, out))


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
        client = _client(scheduler)
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
        _fail(exc)
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
    from openmrv.case import load_case, read_activity_uncertainty
    from openmrv.estimate.inventory.montecarlo import ActivityUncertainty
    from openmrv.estimate.inventory.uncertainty import combine_product, estimate_rows
    from openmrv.pipeline import estimate_inventory, key_category_table

    try:
        c = load_case(case)
        result = estimate_inventory(c)
        unc = ActivityUncertainty(read_activity_uncertainty(c), file=str(c.uncertainty_file))
        rows = estimate_rows(result, unc, c.gwp, (c.first_year, c.last_year))
    except OpenMRVError as exc:
        _fail(exc)
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


@app.command()
def recalc(
    previous: Annotated[Path, typer.Argument(help="Run folder of the previous submission.")],
    current: Annotated[Path, typer.Argument(help="Run folder of the current submission.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="CSV to write.")] = None,
) -> None:
    """Recalculation report: differences between two runs by category, gas and year, and
    the inputs that changed (IPCC Vol 1 Ch 5.4)."""
    from openmrv.pipeline import recalculation_report

    try:
        changes, inputs = recalculation_report(previous, current)
    except OpenMRVError as exc:
        _fail(exc)
    out = out or current / "recalculation.csv"
    changes.to_csv(out, index=False)
    t = Table(title=f"inputs changed between {previous} and {current}")
    t.add_column("input")
    t.add_column("status")
    for r in inputs.itertuples():
        t.add_row(r.input, r.status)
    console.print(t)
    console.print(f"{len(changes)} category/gas/year values differ; written: {out}")


@app.command()
def invert(
    case: Annotated[
        Path | None,
        typer.Argument(
            help="Case folder: national inversion with the settings of case.yaml "
            "(top_down: inversion:). Leave out with --jacobians.",
            show_default=False,
        ),
    ] = None,
    jacobians: Annotated[
        Path | None,
        typer.Option("--jacobians", help="Directory of per-orbit IMI *_GCtoSatellite.npz files."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="With --jacobians: netCDF file to write (default inversion_result.nc); "
            "with CASE: run folder (default runs/<case>-inversion).",
        ),
    ] = None,
    prior_error: Annotated[
        float, typer.Option(help="Relative prior error of the emission elements (scale factors).")
    ] = 0.5,
    obs_error: Annotated[float, typer.Option(help="Observation error [ppb].")] = 15.0,
    gamma: Annotated[
        float,
        typer.Option(
            help="Regularisation parameter gamma; 0 chooses it so that J_A/n is closest to 1."
        ),
    ] = 1.0,
    bc_error: Annotated[
        float, typer.Option(help="Prior error of the boundary elements [ppb].")
    ] = 10.0,
    bc_elements: Annotated[
        int,
        typer.Option(help="Number of boundary-condition elements at the end of the state vector."),
    ] = 4,
) -> None:
    """Analytical Bayesian inversion: of a case (national, regional transport model), or
    from external (IMI-format) Jacobians with --jacobians.

    Writes xhat, S_post, A, dofs and the settings to a netCDF file (with CASE: the run
    folder's inversion/ with result.nc, totals.csv and maps).
    """
    if (case is None) == (jacobians is None):
        _fail("give a CASE folder or --jacobians DIR (one of the two)")
    if case is not None:
        _invert_case(case, out)
        return
    _invert_jacobians(
        jacobians,
        out or Path("inversion_result.nc"),
        prior_error,
        obs_error,
        gamma,
        bc_error,
        bc_elements,
    )


def _invert_case(case: Path, out: Path | None) -> None:
    from openmrv.case import load_case
    from openmrv.inversion_case import run_case_inversion
    from openmrv.pipeline import estimate_inventory

    out = out or Path("runs") / f"{case.resolve().name}-inversion"

    def work(case_dir: Path, out_dir: Path, step):
        c = load_case(case_dir)
        return run_case_inversion(c, estimate_inventory(c), out_dir, progress=step)

    res = _run_with_progress(work, case, out)
    s = res.settings
    kind = "OSSE (synthetic soundings)" if res.osse else "real soundings"
    t = Table(title=f"{s.region} CH4 {s.year}: inversion, {kind}, {res.winds_label} [kt/yr]")
    cols = ["group", "prior", "prior 1σ", "posterior", "posterior 1σ", "DOFS"]
    if "truth_kt" in res.totals:
        cols.append("truth")
    for c in cols:
        t.add_column(c, justify="right")
    for r in res.totals.itertuples():
        cells = [
            r.group,
            f"{r.prior_kt:,.1f}",
            f"{r.prior_sigma_kt:,.1f}",
            f"{r.posterior_kt:,.1f}",
            f"{r.posterior_sigma_kt:,.1f}",
            f"{r.dofs:.2f}",
        ]
        if "truth_kt" in res.totals:
            cells.append(f"{r.truth_kt:,.1f}")
        t.add_row(*cells)
    console.print(t)
    console.print(
        f"{res.state.n} elements, {res.n_soundings:,} super-observations, DOFS "
        f"{res.posterior.dofs:.2f}, gamma {res.posterior.gamma:g}; written: "
        + ", ".join(str(f) for f in res.files[:2])
        + " and maps"
    )


def _invert_jacobians(
    jacobians: Path,
    out: Path,
    prior_error: float,
    obs_error: float,
    gamma: float,
    bc_error: float,
    bc_elements: int,
) -> None:

    from openmrv.estimate.inversion import accumulate, choose_gamma, solve
    from openmrv.jacobians import read_imi_jacobians

    try:
        chunks = read_imi_jacobians(jacobians)
        n = chunks[0].k.shape[1]
        if not 0 <= bc_elements < n:
            raise InputError(
                f"--bc-elements {bc_elements} must lie in [0, {n - 1}]", field="bc_elements"
            )
        n_emis = n - bc_elements
        x_a = np.r_[np.ones(n_emis), np.zeros(bc_elements)]
        s_a = np.r_[np.full(n_emis, prior_error**2), np.full(bc_elements, bc_error**2)]
        ne = accumulate((c.k, c.dy, obs_error) for c in chunks)
        g = gamma if gamma > 0 else choose_gamma(ne, x_a, s_a)[0]
        post = solve(ne, x_a, s_a, g)
    except OpenMRVError as exc:
        _fail(exc)
    i = np.arange(n)
    ds = post.to_dataset(
        i + 1, kind=("element", ["emission"] * n_emis + ["boundary"] * bc_elements)
    )
    ds.attrs.update(
        {
            "prior_error": prior_error,
            "obs_error_ppb": obs_error,
            "gamma": g,
            "bc_error_ppb": bc_error,
            "bc_elements": bc_elements,
            "n_obs": post.m,
            "J_A": post.j_a,
            "J_O": post.j_o,
            "files": ";".join(c.file.name for c in chunks),
            "method": "analytical Gaussian posterior (openmrv.estimate.inversion)",
        }
    )
    ds.to_netcdf(out)
    console.print(
        f"{post.m} observations, {n} elements ({n_emis} emission, {bc_elements} "
        f"boundary); gamma {g:g}; DOFS {post.dofs:.3f}; J_A/n {post.j_a / n:.3f}; "
        f"written: {out}"
    )


def _client(scheduler: str | None):
    """A dask.distributed client for ``scheduler`` ('local' starts a LocalCluster)."""
    if scheduler is None:
        return None
    from distributed import Client, LocalCluster

    if scheduler == "local":
        return Client(LocalCluster(dashboard_address=":0"))
    return Client(scheduler)


@app.command()
def factors(
    table: Annotated[
        str | None, typer.Argument(help="Table id to list (default: all tables).")
    ] = None,
) -> None:
    """List the factor library's tables, or the rows of one table with their sources."""
    from openmrv.factors import FactorLibrary

    try:
        lib = FactorLibrary.default()
    except OpenMRVError as exc:
        _fail(exc)
    if table is None:
        t = Table(title="factor tables")
        t.add_column("table id")
        t.add_column("rows", justify="right")
        t.add_column("source")
        for tid in lib.tables:
            rows = [f for f in lib.factors if f.table_id == tid]
            t.add_row(tid, str(len(rows)), rows[0].citation())
        console.print(t)
        return
    rows = [f for f in lib.factors if f.table_id == table]
    if not rows:
        err_console.print(f"[bold red]error:[/] no table '{table}'; known: {', '.join(lib.tables)}")
        raise typer.Exit(code=2)
    t = Table(title=f"{table}: {rows[0].citation()}")
    for col in ("parameter", "category", "key", "qualifier", "gas", "value", "unit", "95% CI"):
        t.add_column(col)
    for f in rows:
        lo, hi = f.relative_uncertainty
        t.add_row(
            f.parameter,
            f.category,
            f.key,
            ";".join(f"{a}={b}" for a, b in f.qualifier),
            f.gas,
            f"{f.value:g}",
            f.unit,
            f"-{100 * lo:.0f}%/+{100 * hi:.0f}%",
        )
    console.print(t)


@app.command()
def version() -> None:
    """Print the openmrv version."""
    console.print(__version__)


def _register_report_commands() -> None:
    from openmrv.observe.cli import observe_command
    from openmrv.report.cli import reproduce_command, verify_manifest_command

    app.command("verify-manifest")(verify_manifest_command)
    app.command("observe")(observe_command)
    app.command("reproduce")(reproduce_command)
    app.command("plumes")(__import__("openmrv.plumes_cli", fromlist=["x"]).plumes_command)


_register_report_commands()


def main() -> None:  # pragma: no cover - entry point
    app()
