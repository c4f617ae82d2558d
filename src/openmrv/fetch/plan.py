"""Plan the downloads of a case: for a box and a period, each product's files or queries.

A plan is data (no network): a deterministic file where the archive names its files by
date (``http``: a URL per day, month or year; ``cdsapi``: one request per month or one
for the record), or a catalogue query where only the archive knows its files
(``s3-anonymous``: a bucket listing per month; ``stac``: an item search; ``earthaccess``:
a CMR granule search), or a human step (``manual``: an archive that needs an account and
its own tools). Queries are resolved into files by :mod:`openmrv.fetch.clients`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd

from openmrv.errors import InputError
from openmrv.fetch.products import Product


@dataclass(frozen=True)
class Request:
    """What a case needs: a box (west, south, east, north) [degree] and a period."""

    west: float
    south: float
    east: float
    north: float
    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self) -> None:
        if not (self.west < self.east and self.south < self.north):
            raise InputError(
                f"box west {self.west}, south {self.south}, east {self.east}, north "
                f"{self.north} is empty; give west < east and south < north"
            )
        if self.end < self.start:
            raise InputError(f"period {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d} is empty")

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.west, self.south, self.east, self.north)


@dataclass
class Item:
    """One line of a plan.

    ``kind`` is ``file`` (a known file: ``url`` or a CDS ``query``; ``target`` its place
    in the cache), ``listing`` (an S3 bucket listing at ``url``), ``search`` (a catalogue
    search at ``url`` with ``query``), or ``manual`` (instructions in ``note``).
    """

    product: Product
    kind: str
    url: str = ""
    query: dict = field(default_factory=dict)
    target: str = ""
    note: str = ""
    expected_sha256: str = ""
    size: int | None = None


def _period(product: Product, req: Request) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    start, end = req.start, req.end
    if product.coverage_start is not None:
        start = max(start, product.coverage_start)
    if product.coverage_end is not None:
        end = min(end, product.coverage_end)
    return (start, end) if start <= end else None


def _fields(t: pd.Timestamp) -> dict[str, str]:
    return {
        "yyyy": f"{t.year:04d}",
        "mm": f"{t.month:02d}",
        "dd": f"{t.day:02d}",
        "yyyymmdd": f"{t:%Y%m%d}",
    }


def _months(start: pd.Timestamp, end: pd.Timestamp) -> list[pd.Timestamp]:
    return list(pd.date_range(start.replace(day=1), end, freq="MS"))


def _area(req: Request) -> list[float]:
    """The CDS area order: north, west, south, east."""
    return [req.north, req.west, req.south, req.east]


def _coverage_text(product: Product) -> str:
    a = "" if product.coverage_start is None else f"{product.coverage_start:%Y-%m-%d}"
    b = "present" if product.coverage_end is None else f"{product.coverage_end:%Y-%m-%d}"
    return f"{a} to {b}"


def _http(product: Product, start: pd.Timestamp, end: pd.Timestamp) -> list[Item]:
    if product.granularity == "day":
        stamps = list(pd.date_range(start, end, freq="D"))
    elif product.granularity == "month":
        stamps = _months(start, end)
    else:
        stamps = [pd.Timestamp(year=y, month=1, day=1) for y in range(start.year, end.year + 1)]
    sectors = product.request.get("sector") or [""]
    items = []
    for t in stamps:
        for sector in sectors:
            url = product.url_template.format(sector=sector, **_fields(t))
            name = url.rsplit("/", 1)[-1]
            items.append(Item(product, "file", url=url, target=f"{product.id}/{name}"))
    return items


def _cds(product: Product, req: Request, start: pd.Timestamp, end: pd.Timestamp) -> list[Item]:
    # keys that start with "openmrv_" are openmrv's own, never sent to the archive
    base = {k: v for k, v in product.request.items() if not k.startswith("openmrv_")}
    if product.granularity == "once":
        name = product.url_template
        return [
            Item(product, "file", url=product.endpoint, query=base, target=f"{product.id}/{name}")
        ]
    items = []
    for m in _months(start, end):
        last = calendar.monthrange(m.year, m.month)[1]
        first_day = start.day if (m.year, m.month) == (start.year, start.month) else 1
        last_day = end.day if (m.year, m.month) == (end.year, end.month) else last
        query = {
            **base,
            "year": [f"{m.year:04d}"],
            "month": [f"{m.month:02d}"],
            "day": [f"{d:02d}" for d in range(first_day, last_day + 1)],
            "area": _area(req),
        }
        name = product.url_template.format(**_fields(m))
        items.append(
            Item(product, "file", url=product.endpoint, query=query, target=f"{product.id}/{name}")
        )
    return items


def _listing(product: Product, start: pd.Timestamp, end: pd.Timestamp) -> list[Item]:
    items = []
    for m in _months(start, end):
        prefix = product.collection.format(**_fields(m))
        url = f"{product.endpoint}/?list-type=2&prefix={quote(prefix)}"
        items.append(
            Item(product, "listing", url=url, query={"prefix": prefix, "month": f"{m:%Y-%m}"})
        )
    return items


def _search(product: Product, req: Request, start: pd.Timestamp, end: pd.Timestamp) -> Item:
    period = f"{start:%Y-%m-%d}T00:00:00Z/{end:%Y-%m-%d}T23:59:59Z"
    if product.client == "stac":
        query = {
            "collections": [product.collection],
            "bbox": list(req.bbox),
            "datetime": period,
            "limit": int(product.request.get("limit", 100)),
        }
        return Item(product, "search", url=f"{product.endpoint}/search", query=query)
    query = {
        "short_name": product.collection,
        "version": product.version,
        "temporal": [f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"],
        "bounding_box": list(req.bbox),
    }
    return Item(product, "search", url=product.endpoint, query=query)


def plan(products: list[Product], req: Request) -> list[Item]:
    """The plan of ``products`` for ``req``.

    A product whose coverage misses the period gets one ``manual``-kind line that says
    so (nothing to fetch); a ``manual`` product gets one line with what to do.
    """
    items: list[Item] = []
    for p in products:
        period = _period(p, req)
        if period is None:
            items.append(
                Item(
                    p,
                    "none",
                    note=f"the product covers {_coverage_text(p)}: nothing in "
                    f"{req.start:%Y-%m-%d} to {req.end:%Y-%m-%d}",
                )
            )
            continue
        start, end = period
        if p.client == "http":
            items += _http(p, start, end)
        elif p.client == "cdsapi":
            items += _cds(p, req, start, end)
        elif p.client == "s3-anonymous":
            items += _listing(p, start, end)
        elif p.client in ("stac", "earthaccess"):
            items.append(_search(p, req, start, end))
        else:
            items.append(
                Item(
                    p,
                    "manual",
                    url=p.endpoint,
                    note=f"account: {p.account}. {p.credentials}. Files for "
                    f"{start:%Y-%m-%d} to {end:%Y-%m-%d} matching '{p.file_pattern}'.",
                )
            )
    return items
