"""HTTP downloads into the cache: resumed with ``Range`` where the server allows it,
retried with backoff (``Retry-After`` honoured on 429/503), checked (length, SHA-256)
and only then renamed into place; credentials from ``~/.netrc`` only, never printed.

Every error names the product, the URL (query-string secrets and user info removed)
and what to do: log in, accept a licence, retry later.
"""

from __future__ import annotations

import base64
import http.client
import netrc
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd

from openmrv.errors import OpenMRVError
from openmrv.fetch.cache import Cache, Entry, sha256_of

#: query parameters whose values are secrets and never shown
SECRET_PARAMS = re.compile(r"(token|key|password|passwd|secret|signature|credential|auth)", re.I)
#: the longest Retry-After openmrv waits before it gives up and says "retry later" [s]
MAX_RETRY_AFTER_S = 300.0


class FetchError(OpenMRVError):
    """A download that failed: which product, which URL, what to do."""

    def __init__(self, product: str, url: str, message: str) -> None:
        self.product, self.url = product, redact(url)
        super().__init__(f"{product}: {self.url}: {message}")


class NotAvailable(FetchError):
    """The archive has no such file (HTTP 404): absent upstream, not a failure."""


def redact(url: str) -> str:
    """``url`` without user info and with secret-looking query values replaced."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = urlencode(
        [(k, "***" if SECRET_PARAMS.search(k) else v) for k, v in parse_qsl(parts.query)],
        safe="/:,*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def netrc_credentials(url: str) -> tuple[str, str] | None:
    """The login and password ``~/.netrc`` (or the file named by ``NETRC``) holds for
    the URL's host, used only over HTTPS or to this machine; None if none."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" and host not in ("127.0.0.1", "localhost", "::1"):
        return None
    path = os.environ.get("NETRC") or str(Path.home() / ".netrc")
    try:
        found = netrc.netrc(path).authenticators(host)
    except (FileNotFoundError, netrc.NetrcParseError, PermissionError):
        return None
    if not found or found[0] is None:
        return None
    return found[0], found[2] or ""


def netrc_auth(url: str) -> str | None:
    """A Basic ``Authorization`` value from :func:`netrc_credentials`; None if none."""
    cred = netrc_credentials(url)
    if cred is None:
        return None
    return "Basic " + base64.b64encode(f"{cred[0]}:{cred[1]}".encode()).decode()


@dataclass
class Settings:
    """Retry and timeout settings of a download."""

    retries: int = 4
    backoff_s: float = 2.0
    timeout_s: float = 60.0
    sleep: Callable[[float], None] = time.sleep


def _retry_after(exc: urllib.error.HTTPError, default: float) -> float:
    value = exc.headers.get("Retry-After") if exc.headers else None
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = pd.Timestamp(value)
            return max(0.0, (when - pd.Timestamp.now(tz="UTC")).total_seconds())
        except ValueError:
            return default


def _advice(status: int) -> str:
    if status == 401:
        return (
            "HTTP 401 (not logged in or the credential expired): renew it in the client's "
            "standard place (docs/fetch.md, 'Accounts') and run again"
        )
    if status == 403:
        return (
            "HTTP 403 (forbidden): log in, or accept the dataset's licence on the archive's "
            "web page, then run again"
        )
    return f"HTTP {status}"


def _open(url: str, have: int, headers: dict[str, str], timeout: float):
    req = urllib.request.Request(url)
    for k, v in headers.items():
        # unredirected: a credential is never forwarded to the host a redirect names
        req.add_unredirected_header(k, v)
    auth = netrc_auth(url)
    if auth and "Authorization" not in headers:
        req.add_unredirected_header("Authorization", auth)
    if have:
        req.add_header("Range", f"bytes={have}-")
    return urllib.request.urlopen(req, timeout=timeout)


def _content_range_start(value: str | None) -> int | None:
    m = re.match(r"bytes (\d+)-\d+/(\d+|\*)", value or "")
    return int(m.group(1)) if m else None


def download(
    url: str,
    rel: str,
    cache: Cache,
    *,
    product: str,
    licence: str,
    client: str = "http",
    headers: dict[str, str] | None = None,
    expected_sha256: str = "",
    settings: Settings | None = None,
    progress: Callable[[int], None] | None = None,
) -> Entry:
    """Download ``url`` into the cache as ``rel`` (``<product>/<name>``).

    A partial file left by an earlier try is resumed with ``Range`` when the server
    answers 206 from the right offset; a server that answers 200 (no ranges) or a wrong
    offset makes openmrv discard it and start again. The file is renamed into place
    only when its length matches ``Content-Length`` and, where given, its SHA-256
    matches ``expected_sha256``.

    Raises
    ------
    NotAvailable
        HTTP 404.
    FetchError
        Any other failure after the retries, with what to do.
    """
    s = settings or Settings()
    headers = headers or {}
    part = cache.part_path(rel)
    part.parent.mkdir(parents=True, exist_ok=True)
    last = "no attempt"
    for attempt in range(s.retries + 1):
        wait = s.backoff_s * 2**attempt
        have = part.stat().st_size if part.exists() else 0
        try:
            with _open(url, have, headers, s.timeout_s) as resp:
                status = resp.status
                start = _content_range_start(resp.headers.get("Content-Range"))
                if status == 206 and start != have:
                    part.unlink(missing_ok=True)
                    last = "the server resumed from a different offset: partial file discarded"
                    continue
                mode = "ab" if status == 206 else "wb"
                length = resp.headers.get("Content-Length")
                expected = None if length is None else int(length) + (have if mode == "ab" else 0)
                with part.open(mode) as fh:
                    while block := resp.read(1 << 20):
                        fh.write(block)
                        if progress:
                            progress(len(block))
        except urllib.error.HTTPError as exc:
            exc.close()  # the error carries the open response: close its socket
            if exc.code == 404:
                raise NotAvailable(product, url, "HTTP 404: the archive has no such file") from None
            if exc.code in (401, 403):
                raise FetchError(product, url, _advice(exc.code)) from None
            if exc.code == 416:
                part.unlink(missing_ok=True)
                last = "HTTP 416 (range not satisfiable): partial file discarded"
                continue
            if exc.code in (429, 503):
                delay = _retry_after(exc, wait)
                if delay > MAX_RETRY_AFTER_S:
                    raise FetchError(
                        product,
                        url,
                        f"HTTP {exc.code}: the archive asks to wait {delay:.0f} s; retry later",
                    ) from None
                last = f"HTTP {exc.code} (rate limit), waited {delay:.0f} s"
                s.sleep(delay)
                continue
            last = _advice(exc.code)
            s.sleep(wait)
            continue
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or type(exc).__name__
            last = f"connection failed ({reason}); the partial file is kept for a resume"
            s.sleep(wait)
            continue
        size = part.stat().st_size
        if expected is not None and size != expected:
            last = f"got {size} of {expected} bytes; the partial file is kept for a resume"
            s.sleep(wait)
            continue
        digest = sha256_of(part)
        if expected_sha256 and digest != expected_sha256.lower():
            part.unlink(missing_ok=True)
            last = (
                f"SHA-256 {digest[:12]}... differs from the catalogue's "
                f"{expected_sha256[:12]}...: file discarded"
            )
            continue
        entry = Entry(
            path=rel,
            product=product,
            url=redact(url),
            fetched_utc=pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
            size=size,
            sha256=digest,
            licence=licence,
            client=client,
        )
        cache.commit(part, entry)
        return entry
    raise FetchError(product, url, f"failed after {s.retries + 1} tries: {last}; retry later")


def get_bytes(
    url: str,
    *,
    product: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    settings: Settings | None = None,
) -> bytes:
    """A small catalogue answer (listing, search, token) in memory, with the same retry,
    rate-limit and error rules as :func:`download`."""
    s = settings or Settings()
    last = "no attempt"
    for attempt in range(s.retries + 1):
        wait = s.backoff_s * 2**attempt
        req = urllib.request.Request(url, data=data)
        for k, v in (headers or {}).items():
            req.add_unredirected_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=s.timeout_s) as resp:
                return resp.read()
        except urllib.error.HTTPError as exc:
            exc.close()  # the error carries the open response: close its socket
            if exc.code == 404:
                raise NotAvailable(product, url, "HTTP 404: no such catalogue entry") from None
            if exc.code in (400, 401, 403, 422):
                raise FetchError(product, url, _advice(exc.code)) from None
            delay = _retry_after(exc, wait) if exc.code in (429, 503) else wait
            if delay > MAX_RETRY_AFTER_S:
                raise FetchError(
                    product, url, f"HTTP {exc.code}: asked to wait {delay:.0f} s; retry later"
                ) from None
            last = f"HTTP {exc.code}"
            s.sleep(delay)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            last = f"connection failed ({getattr(exc, 'reason', None) or type(exc).__name__})"
            s.sleep(wait)
    raise FetchError(product, url, f"catalogue not reached after {s.retries + 1} tries: {last}")
