"""The archives' protocols: an S3 bucket listing (anonymous, ListObjectsV2 over HTTPS),
a STAC item search (JSON over HTTPS), an OIDC token for the Copernicus Data Space
Ecosystem, and the archives' own Python clients (``earthaccess`` for NASA, ``cdsapi``
for the Copernicus Climate Data Store), imported only when used, with what to install
when they are missing. Credentials are read from each client's standard place and
never written, logged or printed.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd

from openmrv.fetch.cache import Cache, Entry, sha256_of
from openmrv.fetch.http import FetchError, Settings, get_bytes, netrc_credentials, redact
from openmrv.fetch.plan import Item, Request

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
#: start and end of an orbit in Sentinel-5P file names
ORBIT_TIMES = re.compile(r"_(\d{8}T\d{6})_(\d{8}T\d{6})_")
#: STAC ``file:checksum`` is a multihash; this prefix marks SHA2-256 (32 bytes)
MULTIHASH_SHA256 = "1220"


def _client_module(name: str, product: str, install: str):
    """Import an archive's client package, or say what to install."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise FetchError(
            product,
            "",
            f"needs the Python package '{name}', which is not installed: {install} "
            "(or choose other --products)",
        ) from None


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every known secret replaced (for messages of third-party clients)."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return text


def _cds_secrets() -> list[str]:
    """The CDS key from the environment or ``~/.cdsapirc`` (only to scrub it from
    messages; never shown)."""
    out = [os.environ.get("CDSAPI_KEY", "")]
    rc = Path(os.environ.get("CDSAPI_RC", Path.home() / ".cdsapirc"))
    try:
        for line in rc.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("key:"):
                out.append(line.split(":", 1)[1].strip())
    except OSError:
        pass
    return out


def _overpass_keep(name: str, item: Item, req: Request) -> bool:
    """Whether an orbit file's time span comes near the local overpass over the box."""
    m = ORBIT_TIMES.search(name)
    if m is None:
        return True
    start, end = (pd.Timestamp(x) for x in m.groups())
    if end < req.start or start > req.end + pd.Timedelta(days=1):
        return False
    local_h = item.product.request.get("local_overpass_h")
    if local_h is None:
        return True
    window = pd.Timedelta(hours=float(item.product.request.get("overpass_window_h", 1.5)))
    centre_lon = (req.west + req.east) / 2
    utc_h = float(local_h) - centre_lon / 15.0
    day = start.normalize()
    for d in (day - pd.Timedelta(days=1), day, day + pd.Timedelta(days=1)):
        t = d + pd.Timedelta(hours=utc_h)
        if start - window <= t <= end + window:
            return True
    return False


def resolve_listing(item: Item, req: Request, settings: Settings | None = None) -> list[Item]:
    """The files of an S3 bucket listing (ListObjectsV2, all pages) that match the
    product's file pattern and the period (and its overpass window, where set)."""
    p = item.product
    out, token = [], None
    while True:
        url = item.url + ("" if token is None else f"&continuation-token={quote(token)}")
        root = ET.fromstring(get_bytes(url, product=p.id, settings=settings))
        for c in root.iter(f"{S3_NS}Contents"):
            key = c.findtext(f"{S3_NS}Key") or ""
            name = key.rsplit("/", 1)[-1]
            if not fnmatch.fnmatch(name, p.file_pattern) or not _overpass_keep(name, item, req):
                continue
            size = c.findtext(f"{S3_NS}Size")
            out.append(
                Item(
                    p,
                    "file",
                    url=f"{p.endpoint}/{quote(key)}",
                    target=f"{p.id}/{name}",
                    size=None if size is None else int(size),
                )
            )
        if (root.findtext(f"{S3_NS}IsTruncated") or "false").lower() != "true":
            return out
        token = root.findtext(f"{S3_NS}NextContinuationToken")
        if not token:
            return out


def _asset(feature: dict) -> dict | None:
    assets = feature.get("assets") or {}
    for key in ("product", "data", "download"):
        if key in assets:
            return assets[key]
    for a in assets.values():
        if "data" in (a.get("roles") or []):
            return a
    return None


def resolve_search(
    item: Item, settings: Settings | None = None, max_pages: int = 100
) -> list[Item]:
    """The files of a STAC item search (POST ``/search``, following ``next`` links),
    with the catalogue's size and SHA-256 where it gives them."""
    p = item.product
    out = []
    url, body = item.url, item.query
    for _ in range(max_pages):
        data = json.dumps(body).encode()
        page = json.loads(
            get_bytes(
                url,
                product=p.id,
                data=data,
                headers={"Content-Type": "application/json"},
                settings=settings,
            )
        )
        for f in page.get("features", []):
            a = _asset(f)
            if a is None:
                continue
            name = str(f.get("id", "")).rsplit("/", 1)[-1]
            if not name.endswith((".nc", ".nc4", ".zip", ".h5")):
                name += ".nc"
            checksum = str(a.get("file:checksum", ""))
            out.append(
                Item(
                    p,
                    "file",
                    url=a["href"],
                    target=f"{p.id}/{name}",
                    size=a.get("file:size"),
                    expected_sha256=checksum[4:] if checksum.startswith(MULTIHASH_SHA256) else "",
                )
            )
        nxt = next((ln for ln in page.get("links", []) if ln.get("rel") == "next"), None)
        if nxt is None:
            return out
        url = nxt["href"]
        body = nxt.get("body", body) if nxt.get("method", "POST").upper() == "POST" else body
    return out


def bearer_token(item: Item, settings: Settings | None = None) -> dict[str, str]:
    """An ``Authorization: Bearer`` header for a product whose downloads need one (the
    Copernicus Data Space Ecosystem), from the login and password that ``~/.netrc``
    holds for the token host; the token lives in memory for this run only."""
    p = item.product
    token_url = p.request.get("token_url")
    if not token_url:
        return {}
    host = urlsplit(token_url).hostname or ""
    cred = netrc_credentials(token_url)
    if cred is None:
        raise FetchError(
            p.id,
            token_url,
            f"needs an account ({p.account}): add 'machine {host} login <user> password "
            "<password>' to ~/.netrc (chmod 600) and run again",
        )
    login, password = cred
    form = urlencode(
        {
            "grant_type": "password",
            "client_id": p.request.get("client_id", ""),
            "username": login,
            "password": password,
        }
    ).encode()
    try:
        answer = json.loads(get_bytes(token_url, product=p.id, data=form, settings=settings))
    except FetchError as exc:
        raise FetchError(p.id, token_url, scrub(str(exc), [password])) from None
    token = answer.get("access_token")
    if not token:
        raise FetchError(p.id, token_url, "the identity service returned no token; log in again")
    return {"Authorization": f"Bearer {token}"}


def _commit_file(cache: Cache, src: Path, item: Item, url: str, client: str) -> Entry:
    part = cache.part_path(item.target)
    part.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(src), part)
    entry = Entry(
        path=item.target,
        product=item.product.id,
        url=redact(url),
        fetched_utc=pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        size=part.stat().st_size,
        sha256=sha256_of(part),
        licence=item.product.licence,
        client=client,
    )
    cache.commit(part, entry)
    return entry


def cds_retrieve(item: Item, cache: Cache) -> Entry:
    """One Climate Data Store request through ``cdsapi`` (credentials from
    ``~/.cdsapirc`` or ``CDSAPI_URL``/``CDSAPI_KEY``) into the cache."""
    p = item.product
    cdsapi = _client_module("cdsapi", p.id, p.install)
    secrets = _cds_secrets()
    part = cache.part_path(item.target)
    part.parent.mkdir(parents=True, exist_ok=True)
    try:
        client = cdsapi.Client(quiet=True, progress=False)
        client.retrieve(p.collection, item.query, str(part))
    except Exception as exc:  # the client's own errors: network, licence, queue
        raise FetchError(
            p.id,
            p.endpoint,
            f"the CDS request for '{p.collection}' failed: {scrub(str(exc), secrets)}. "
            "Check ~/.cdsapirc and that the dataset's licence is accepted on its CDS page",
        ) from None
    tmp = part.with_name(part.name + ".done")
    os.replace(part, tmp)
    return _commit_file(cache, tmp, item, f"{p.endpoint}/{p.collection}", "cdsapi")


def earthaccess_fetch(item: Item, cache: Cache) -> list[Entry]:
    """A CMR granule search and download through ``earthaccess`` (Earthdata Login from
    ``~/.netrc`` or ``EARTHDATA_USERNAME``/``EARTHDATA_PASSWORD``/``EARTHDATA_TOKEN``)."""
    p = item.product
    ea = _client_module("earthaccess", p.id, p.install)
    strategy = (
        "environment"
        if os.environ.get("EARTHDATA_TOKEN") or os.environ.get("EARTHDATA_USERNAME")
        else "netrc"
    )
    secrets = [os.environ.get(k, "") for k in ("EARTHDATA_PASSWORD", "EARTHDATA_TOKEN")]
    try:
        ea.login(strategy=strategy)
        q = item.query
        granules = ea.search_data(
            short_name=q["short_name"],
            version=q["version"] or None,
            temporal=tuple(q["temporal"]),
            bounding_box=tuple(q["bounding_box"]),
        )
    except Exception as exc:  # the client's own errors: login, network
        raise FetchError(
            p.id,
            p.endpoint,
            f"earthaccess failed: {scrub(str(exc), secrets)}. Check your Earthdata Login "
            "(~/.netrc machine urs.earthdata.nasa.gov)",
        ) from None
    out = []
    for g in granules:
        links = g.data_links()
        if not links:
            continue
        name = links[0].rsplit("/", 1)[-1]
        target = f"{p.id}/{name}"
        if cache.verify(target) == "ok":
            out.append(cache.entries[target])
            continue
        with tempfile.TemporaryDirectory(dir=cache.root) as tmp:
            try:
                files = ea.download([g], local_path=tmp, show_progress=False)
            except Exception as exc:
                raise FetchError(p.id, links[0], scrub(str(exc), secrets)) from None
            for f in files:
                one = Item(p, "file", url=links[0], target=f"{p.id}/{Path(f).name}")
                out.append(_commit_file(cache, Path(f), one, links[0], "earthaccess"))
    return out
