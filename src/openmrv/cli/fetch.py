"""``openmrv fetch``: plan and fetch the public data a case needs into its cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from openmrv.cli._common import CaseArg, console, err_console, fail, sub_app
from openmrv.errors import InputError, OpenMRVError

app = sub_app()

#: plan lines shown per product before "... and N more"
SHOWN = 1


def case_request(case_dir: Path, year: int | None):
    """The box (the inversion domain: the country padded as in case.yaml) and the period
    (the inversion's, or the whole ``year``) of a case."""
    import numpy as np
    import pandas as pd

    from openmrv.case import load_case
    from openmrv.fetch.plan import Request
    from openmrv.observe.region import country_polygons
    from openmrv.stages.inversion import domain

    case = load_case(case_dir)
    s = case.inversion_settings
    if s is not None:
        grid, _ = domain(s, case.config_file)
        west, south, east, north = (float(v) for v in grid.bounds)
        start, end = s.start, s.end
    else:
        pts = np.concatenate([p[0] for p in country_polygons(case.country)])
        west, south = float(pts[:, 0].min() - 1), float(pts[:, 1].min() - 1)
        east, north = float(pts[:, 0].max() + 1), float(pts[:, 1].max() + 1)
        start = pd.Timestamp(f"{case.last_year}-01-01")
        end = pd.Timestamp(f"{case.last_year}-12-31")
    if year is not None:
        start, end = pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{year}-12-31")
    return case, Request(west, south, east, north, start, end)


def _size(n: int | None) -> str:
    if not n:
        return ""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""


def _query_text(item) -> str:
    if item.kind == "file" and item.product.client == "cdsapi":
        q = item.query
        keys = ("year", "month", "area")
        return f"{item.product.collection} " + ", ".join(f"{k}={q[k]}" for k in keys if k in q)
    if item.kind == "search":
        q = dict(item.query)
        return f"{item.url} " + ", ".join(f"{k}={v}" for k, v in q.items())
    return item.url or item.note


def plan_table(items, cache, resolved: dict) -> Table:
    """The plan as a rich table: product, archive, client, account, query, files, cache."""
    t = Table(title="openmrv fetch plan", show_lines=False)
    for c in ("product", "archive / client", "account", "query or file", "files", "cache"):
        t.add_column(c, overflow="fold", no_wrap=c == "product")
    by_product: dict[str, list] = {}
    for it in items:
        by_product.setdefault(it.product.id, []).append(it)
    for pid, its in by_product.items():
        p = its[0].product
        for k, it in enumerate(its):
            if k == SHOWN:
                rest = its[SHOWN:]
                cached = sum(cache.verify(i.target) == "ok" for i in rest if i.kind == "file")
                t.add_row("", "", "", f"... and {len(rest)} more", str(len(rest)), f"{cached} ok")
                break
            files, state = "", ""
            if it.kind == "file":
                files, state = "1", cache.verify(it.target)
            elif it.kind in ("listing", "search"):
                got = resolved.get(id(it))
                if isinstance(got, list):
                    size = sum(f.size or 0 for f in got)
                    files = f"{len(got)} ({_size(size)})" if size else str(len(got))
                else:
                    files = got or "catalogue not asked"
                state = f"{len(cache.files(pid))} cached"
            elif it.kind == "manual":
                state = f"{len(cache.files(pid))} cached"
            t.add_row(
                pid if k == 0 else "",
                f"{p.archive} / {p.client}" if k == 0 else "",
                p.account if k == 0 else "",
                _query_text(it),
                files,
                state,
            )
    return t


def _case_yaml_hint(case: Path, cache, chosen, req) -> None:
    """Say that the run takes the cached soundings and joined winds by itself, and how to
    name them in case.yaml instead (case.yaml is never edited by openmrv)."""
    from openmrv.fetch.join import JOIN_KEY, joined_name
    from openmrv.fetch.plan import Item

    def rel(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(case.resolve()))
        except ValueError:
            return str(path.resolve())

    lines = []
    globs = [
        f"{rel(cache.root / p.id)}/{p.file_pattern}"
        for p in chosen
        if "soundings" in p.used_by and cache.files(p.id)
    ]
    if globs:
        lines.append("      soundings: [" + ", ".join(globs) + "]   # instead of osse:")
    for p in chosen:
        name = joined_name(Item(p, "file"), req) if p.request.get(JOIN_KEY) else None
        if name and name in cache.entries:
            key = "winds_levels" if "pressure_level" in p.request else "winds"
            lines.append(f"      {key}: {rel(cache.path(name))}")
    if lines:
        console.print(
            "openmrv run takes the cached soundings (and winds) of the inversion period by "
            "itself when the cache is CASE/cache (docs/fetch.md); to name them in case.yaml "
            "instead, set\n"
            "  top_down:\n    inversion:\n" + "\n".join(lines) + "\n"
            "The run re-verifies each cached file against the manifest before reading it.",
            soft_wrap=True,
            markup=False,
        )


@app.command()
def fetch(
    case: CaseArg,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Fetch this calendar year (default: the inversion period)."),
    ] = None,
    products: Annotated[
        list[str] | None,
        typer.Option(
            "--products",
            help="Product ids of the product table (repeat the option); default: the "
            "products marked default there.",
        ),
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache", help="Cache folder (default: CASE/cache).")
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Use only the cache; say what is missing.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; download nothing.")
    ] = False,
    workers: Annotated[int, typer.Option(help="Downloads at the same time.")] = 4,
    table: Annotated[
        Path | None,
        typer.Option(
            "--table",
            help="Another product table (same columns), e.g. pointing at a national mirror; "
            "default: openmrv's own.",
        ),
    ] = None,
) -> None:
    """Plan and fetch the public satellite, wind and prior data a case needs (its box and
    period) into a verified cache; exit 2 when something the run asked for is missing."""
    from openmrv.fetch.cache import Cache
    from openmrv.fetch.fetcher import LACKING, execute, resolve
    from openmrv.fetch.http import FetchError, Settings
    from openmrv.fetch.plan import plan
    from openmrv.fetch.products import load_products, select

    try:
        the_case, req = case_request(case, year)
        chosen = select(load_products(table), products)
        cache = Cache(cache_dir or case / "cache")
    except OpenMRVError as exc:
        fail(exc)
    items = plan(chosen, req)
    console.print(
        f"{the_case.name}: box W {req.west:g} S {req.south:g} E {req.east:g} N {req.north:g}, "
        f"{req.start:%Y-%m-%d} to {req.end:%Y-%m-%d}; cache {cache.root}"
    )
    if dry_run:
        resolved: dict = {}
        if not offline:
            settings = Settings(retries=0, timeout_s=10.0)
            unreachable: set[str] = set()
            for it in items:
                if it.kind != "listing" and not (
                    it.kind == "search" and it.product.client == "stac"
                ):
                    continue
                if it.product.archive in unreachable:
                    resolved[id(it)] = "catalogue not reached"
                    continue
                try:
                    resolved[id(it)] = resolve(it, req, settings)
                except FetchError as exc:
                    unreachable.add(it.product.archive)
                    resolved[id(it)] = "catalogue not reached"
                    err_console.print(f"not reached: {exc}", soft_wrap=True)
        console.print(plan_table(items, cache, resolved))
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("fetching", total=None)
        try:
            outcomes = execute(
                items,
                req,
                cache,
                offline=offline,
                workers=workers,
                progress=lambda n: bar.advance(task, n),
            )
        except InputError as exc:
            bar.stop()
            fail(exc)
    t = Table(title="openmrv fetch")
    for c in ("product", "status", "files", "size", "message"):
        t.add_column(c, overflow="fold", no_wrap=c == "product")
    summary: dict[tuple[str, str], list] = {}
    for o in outcomes:
        summary.setdefault((o.item.product.id, o.status), []).append(o)
    for (pid, status), os_ in summary.items():
        msgs = sorted({o.message for o in os_ if o.message})
        more = f" (+{len(msgs) - 1} other messages)" if len(msgs) > 1 else ""
        t.add_row(
            pid,
            status,
            str(sum(o.files for o in os_) or len(os_)),
            _size(sum(o.size for o in os_)),
            (msgs[0] + more) if msgs else "",
        )
    console.print(t)
    _case_yaml_hint(case, cache, chosen, req)
    lacking = [o for o in outcomes if o.status in LACKING]
    if lacking:
        err_console.print(
            f"{len(lacking)} item(s) missing or failed; "
            + ("run without --offline to fetch them" if offline else "see the messages above"),
            soft_wrap=True,
        )
        raise typer.Exit(code=2)
