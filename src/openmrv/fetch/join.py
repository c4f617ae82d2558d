"""Join a product's monthly files into one file for the period (e.g. ERA5 months into
the one winds file ``top_down: inversion: winds:`` takes): science-free, the values are
concatenated along time unchanged. The joined file is a cache file like any other:
written to a partial file, renamed into place, recorded in the manifest with its
SHA-256 and the checksums of the months it was joined from, and re-verified on use.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from openmrv.fetch.cache import Cache, Entry, sha256_of
from openmrv.fetch.plan import Item, Request
from openmrv.fetch.products import Product

#: the product-table ``request`` key that asks for the monthly files to be joined; keys
#: that start with "openmrv_" are openmrv's own and never sent to an archive
JOIN_KEY = "openmrv_join_months"


def joined_name(item: Item, req: Request) -> str:
    """The joined file's cache path: the template's stem with the period."""
    return joined_path(item.product, req.start, req.end)


def joined_path(product: Product, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """The cache path of ``product``'s months joined for ``start``-``end``."""
    stem = product.url_template.split("{", 1)[0].rstrip("_")
    return f"{product.id}/{stem}_{start:%Y%m%d}_{end:%Y%m%d}.nc"


def join_months(items: list[Item], req: Request, cache: Cache) -> tuple[str, str]:
    """Join the monthly files of ``items`` (one product) into one file for ``req``.

    Returns
    -------
    tuple
        (status, message): ``joined`` (written now), ``cached`` (an earlier join of the
        same verified months), or ``missing`` (a month not in the cache or changed).
    """
    if not items:
        return "missing", "no monthly files planned"
    bad = [i.target for i in items if cache.verify(i.target) != "ok"]
    if bad:
        return "missing", f"not joined: {len(bad)} month(s) missing or changed ({bad[0]})"
    sources = "joined from " + ", ".join(
        f"{i.target.rsplit('/', 1)[-1]} sha256:{cache.entries[i.target].sha256[:16]}" for i in items
    )
    rel = joined_name(items[0], req)
    old = cache.entries.get(rel)
    if old is not None and old.url == sources and cache.verify(rel) == "ok":
        return "cached", rel
    parts = []
    for i in items:
        with xr.open_dataset(cache.path(i.target)) as ds:
            parts.append(ds.load())
    dim = "valid_time" if "valid_time" in parts[0].dims else "time"
    joined = xr.concat(parts, dim=dim).sortby(dim)
    joined = joined.sel({dim: slice(req.start, req.end + pd.Timedelta(days=1))})
    joined.attrs["openmrv_fetch"] = sources
    part = cache.part_path(rel)
    part.parent.mkdir(parents=True, exist_ok=True)
    joined.to_netcdf(part, engine="netcdf4")
    entry = Entry(
        path=rel,
        product=items[0].product.id,
        url=sources,
        fetched_utc=pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        size=part.stat().st_size,
        sha256=sha256_of(part),
        licence=items[0].product.licence,
        client="openmrv join",
        origin=f"joined from {len(items)} verified files",
    )
    cache.commit(part, entry)
    return "joined", rel
