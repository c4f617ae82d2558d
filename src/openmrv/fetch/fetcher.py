"""Carry out a plan: each file from the cache when it verifies, else from its archive
(bounded parallel downloads), catalogue queries resolved first; offline, only the cache.

Each plan line ends in one :class:`Outcome`. Statuses: ``cached`` (verified against the
manifest), ``downloaded``, ``absent`` (the archive has no such file: HTTP 404),
``missing`` (needed, not in the cache, offline), ``failed`` (with the error and what to
do), ``manual`` (an archive that needs its own tools: files placed by hand are adopted),
``none`` (the product's coverage misses the period), ``joined`` (monthly files joined
into one file for the period, where the product table asks for it).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from openmrv.fetch import clients
from openmrv.fetch.cache import Cache
from openmrv.fetch.http import FetchError, NotAvailable, Settings, download
from openmrv.fetch.join import JOIN_KEY, join_months
from openmrv.fetch.plan import Item, Request

#: the statuses that mean the run lacks something it asked for
LACKING = ("missing", "failed")


@dataclass
class Outcome:
    """What became of one plan line."""

    item: Item
    status: str
    message: str = ""
    files: int = 0
    size: int = 0


def _verified(cache: Cache, item: Item) -> tuple[bool, str]:
    """Whether the cached file of ``item`` verifies; a changed one is moved aside."""
    state = cache.verify(item.target)
    if state == "ok":
        return True, ""
    if state in ("size", "checksum"):
        cache.forget(item.target)
        return False, (
            f"the cached file's {state} changed since it was fetched: moved aside as "
            f"{item.target}.corrupt"
        )
    return False, ""


def _one_file(
    item: Item,
    cache: Cache,
    offline: bool,
    settings: Settings,
    headers: dict[str, str],
    progress: Callable[[int], None] | None,
) -> Outcome:
    ok, note = _verified(cache, item)
    if ok:
        e = cache.entries[item.target]
        return Outcome(item, "cached", note, 1, e.size)
    if offline:
        if item.target in cache.absent:
            when = cache.absent[item.target]
            return Outcome(item, "absent", f"the archive had no such file when asked ({when})")
        return Outcome(item, "missing", note or "not in the cache (offline)")
    p = item.product
    try:
        if p.client == "cdsapi":
            e = clients.cds_retrieve(item, cache)
        else:
            e = download(
                item.url,
                item.target,
                cache,
                product=p.id,
                licence=p.licence,
                client=p.client,
                headers=headers,
                expected_sha256=item.expected_sha256,
                settings=settings,
                progress=progress,
            )
    except NotAvailable as exc:
        cache.mark_absent(item.target)
        return Outcome(item, "absent", str(exc))
    except FetchError as exc:
        return Outcome(item, "failed", str(exc))
    return Outcome(item, "downloaded", note, 1, e.size)


def _offline_query(item: Item, cache: Cache) -> Outcome:
    files = cache.files(item.product.id)
    if not files:
        return Outcome(item, "missing", "catalogue not asked (offline) and nothing cached")
    bad = [e.path for e in files if cache.verify(e.path) != "ok"]
    if bad:
        return Outcome(
            item,
            "missing",
            f"{len(bad)} cached file(s) changed since fetched (e.g. {bad[0]}); fetch online",
        )
    return Outcome(
        item,
        "cached",
        "catalogue not asked (offline): the cached files of this product; completeness "
        "for the period unknown",
        len(files),
        sum(e.size for e in files),
    )


def resolve(item: Item, req: Request, settings: Settings) -> list[Item]:
    """The files of a catalogue query (a listing or a STAC search)."""
    if item.kind == "listing":
        return clients.resolve_listing(item, req, settings)
    return clients.resolve_search(item, settings)


def execute(
    items: list[Item],
    req: Request,
    cache: Cache,
    *,
    offline: bool = False,
    settings: Settings | None = None,
    workers: int = 4,
    progress: Callable[[int], None] | None = None,
    on_file: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Fetch what ``items`` plan into ``cache``.

    Parameters
    ----------
    offline
        Use only the cache: a file not there is ``missing``; a catalogue query is
        answered with the product's cached files.
    workers
        Downloads at the same time (bounded, to be polite to the archives).
    progress, on_file
        Called with each block's bytes, and with each file's outcome.
    """
    s = settings or Settings()
    out: list[Outcome] = []
    files: list[tuple[Item, dict[str, str]]] = []
    adopted: dict[str, int] = {}
    for it in items:  # files copied into the cache by hand are recorded, checksum and all
        p = it.product
        if p.id not in adopted:
            adopted[p.id] = len(cache.adopt(p.id, p.file_pattern, p.licence, p.client))
    for it in items:
        p = it.product
        if it.kind == "none":
            out.append(Outcome(it, "none", it.note))
        elif it.kind == "manual":
            have = cache.files(p.id)
            out.append(
                Outcome(
                    it,
                    "manual",
                    f"{it.note} In the cache: {len(have)} file(s) ({adopted[p.id]} new).",
                    len(have),
                    sum(e.size for e in have),
                )
            )
        elif it.kind == "file":
            files.append((it, {}))
        elif offline:
            out.append(_offline_query(it, cache))
        elif p.client == "earthaccess":
            try:
                got = clients.earthaccess_fetch(it, cache)
                out.append(Outcome(it, "downloaded", "", len(got), sum(e.size for e in got)))
            except FetchError as exc:
                out.append(Outcome(it, "failed", str(exc)))
        else:
            try:
                found = resolve(it, req, s)
                headers = clients.bearer_token(it, s) if p.needs_account and found else {}
            except FetchError as exc:
                out.append(Outcome(it, "failed", str(exc)))
                continue
            if not found:
                out.append(Outcome(it, "absent", "the catalogue lists no file for the period"))
            files += [(f, headers) for f in found]

    def run(pair: tuple[Item, dict[str, str]]) -> Outcome:
        o = _one_file(pair[0], cache, offline, s, pair[1], progress)
        if on_file:
            on_file(o)
        return o

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        out += list(pool.map(run, files))
    for pid in dict.fromkeys(it.product.id for it in items):
        months = [it for it in items if it.product.id == pid and it.kind == "file"]
        if months and months[0].product.request.get(JOIN_KEY):
            status, message = join_months(months, req, cache)
            joined = cache.entries.get(message)
            out.append(
                Outcome(
                    Item(months[0].product, "file", target=message),
                    status,
                    f"one file for the period: {message}" if joined else message,
                    1 if joined else 0,
                    joined.size if joined else 0,
                )
            )
    return out
