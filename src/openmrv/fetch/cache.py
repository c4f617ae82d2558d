"""A download cache that never lies.

Layout: ``<cache>/<product id>/<file name>`` for complete files, ``<cache>/manifest.json``
for what was fetched from where and when (size, SHA-256, licence, client), and
``<cache>/<product id>/.<file name>.part`` for a download under way (a dot file with a
suffix no file pattern matches, so it never looks complete). A file becomes complete
only by an atomic rename after its size and checksum were checked, and the manifest is
rewritten atomically after each file. On use every file is re-verified against its
manifest entry: one that changed since it was fetched is reported, never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from openmrv.errors import InputError

MANIFEST = "manifest.json"
PART = ".part"
#: bytes read at a time for checksums
CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
    return h.hexdigest()


@dataclass
class Entry:
    """One complete file of the cache (a row of the manifest)."""

    path: str  # relative to the cache: <product>/<name>
    product: str
    url: str
    fetched_utc: str
    size: int
    sha256: str
    licence: str
    client: str
    origin: str = "downloaded"  # or "placed by hand"


class Cache:
    """The cache folder ``root``; its manifest is read at start and written on change."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.manifest_path = self.root / MANIFEST
        self.entries: dict[str, Entry] = {}
        #: files the archive said it does not have (HTTP 404): path -> when it was asked
        self.absent: dict[str, str] = {}
        self._lock = threading.RLock()
        if self.manifest_path.exists():
            try:
                data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
                self.entries = {e["path"]: Entry(**e) for e in data["files"]}
                self.absent = dict(data.get("absent", {}))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(
                    f"the cache manifest cannot be read ({exc}); move the cache folder "
                    "aside and fetch again",
                    file=self.manifest_path,
                ) from None

    def path(self, rel: str) -> Path:
        """The absolute path of a cache-relative path."""
        return self.root / rel

    def part_path(self, rel: str) -> Path:
        """Where the partial download of ``rel`` lives."""
        p = self.path(rel)
        return p.with_name(f".{p.name}{PART}")

    def save(self) -> None:
        """Write the manifest atomically (temporary file in the cache, then rename)."""
        with self._lock:
            self._save()

    def _save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        data = {
            "about": "openmrv fetch cache: every complete file, where it came from, its "
            "size and SHA-256 (docs/fetch.md)",
            "files": [asdict(e) for e in sorted(self.entries.values(), key=lambda e: e.path)],
            "absent": dict(sorted(self.absent.items())),
        }
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".manifest.", suffix=PART)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.manifest_path)

    def commit(self, part: Path, entry: Entry) -> Path:
        """Make ``part`` the complete file of ``entry`` (atomic rename) and record it."""
        final = self.path(entry.path)
        with self._lock:
            os.replace(part, final)
            self.entries[entry.path] = entry
            self.save()
        return final

    def mark_absent(self, rel: str) -> None:
        """Record that the archive has no file ``rel`` (so that offline runs know)."""
        with self._lock:
            self.absent[rel] = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
            self.save()

    def verify(self, rel: str) -> str:
        """State of the cached file ``rel``: ``ok``, ``missing`` (no file or no manifest
        entry: never trusted), ``size`` or ``checksum`` (changed since it was fetched)."""
        entry = self.entries.get(rel)
        p = self.path(rel)
        if entry is None or not p.is_file():
            return "missing"
        if p.stat().st_size != entry.size:
            return "size"
        if sha256_of(p) != entry.sha256:
            return "checksum"
        return "ok"

    def forget(self, rel: str) -> None:
        """Drop a file that failed verification: the entry and the file (moved aside to
        ``<name>.corrupt`` so that nothing is deleted unseen)."""
        p = self.path(rel)
        with self._lock:
            if p.exists():
                os.replace(p, p.with_name(p.name + ".corrupt"))
            self.entries.pop(rel, None)
            self.save()

    def files(self, product: str) -> list[Entry]:
        """The manifest entries of ``product``."""
        return [e for e in self.entries.values() if e.product == product]

    def adopt(self, product: str, pattern: str, licence: str, client: str) -> list[Entry]:
        """Record files placed by hand in ``<cache>/<product>/`` that match ``pattern``
        and are not in the manifest yet (e.g. from an archive that needs its own tools):
        their checksum is taken now, their origin says "placed by hand"."""
        folder = self.root / product
        new = []
        if not folder.is_dir():
            return new
        for p in sorted(folder.glob(pattern)):
            rel = f"{product}/{p.name}"
            if rel in self.entries or not p.is_file() or p.name.startswith("."):
                continue
            e = Entry(
                path=rel,
                product=product,
                url="",
                fetched_utc=pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                size=p.stat().st_size,
                sha256=sha256_of(p),
                licence=licence,
                client=client,
                origin="placed by hand",
            )
            self.entries[rel] = e
            new.append(e)
        if new:
            self.save()
        return new


def check_cached(paths: list[Path], field: str | None = None) -> None:
    """Re-verify, before a run reads them, the files among ``paths`` that lie in an
    ``openmrv fetch`` cache (``<cache>/<product>/<file>`` beside a ``manifest.json``);
    files elsewhere are left alone.

    Raises
    ------
    InputError
        For a cached file that changed since it was fetched, or that the manifest does
        not know (never verified), naming the file and what to do.
    """
    caches: dict[Path, Cache] = {}
    for p in paths:
        p = Path(p)
        root = p.parent.parent
        if not (root / MANIFEST).is_file():
            continue
        cache = caches.setdefault(root, Cache(root))
        state = cache.verify(f"{p.parent.name}/{p.name}")
        if state == "missing":
            raise InputError(
                "the file lies in an openmrv fetch cache but its manifest does not know it, "
                "so it was never verified; run 'openmrv fetch CASE' (it records files placed "
                "by hand) or move the file out of the cache",
                file=p,
                field=field,
            )
        if state != "ok":
            raise InputError(
                f"the file's {state} changed since it was fetched (cache manifest "
                f"{root / MANIFEST}); run 'openmrv fetch CASE' again to fetch it anew",
                file=p,
                field=field,
            )
