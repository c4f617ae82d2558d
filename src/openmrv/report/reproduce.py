"""Reproduce a run from its manifest and compare every output byte for byte.

:func:`reproduce` reads ``DIR/manifest.json``, checks that every recorded input
(case files and openmrv's packaged data tables) still has its recorded SHA-256, runs
the case again into a new folder (:func:`openmrv.pipeline.run`) and compares the
SHA-256 of every new output with the one the manifest recorded.

Volatile content
----------------
Outputs are deterministic (fixed xlsx and PDF dates, PNGs without software metadata,
JSON with sorted or fixed key order, CRT sums in a fixed order) except the fields of
:data:`VOLATILE`, which record *when* or *how long*, not *what*:

- ``manifest.json`` ``created_utc`` (and therefore ``manifest.sig``).

A file that differs only in these fields is reported as ``volatile``, not as
differing. See ``docs/provenance.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openmrv.errors import InputError
from openmrv.report.manifest import (
    MANIFEST,
    SIGNATURE,
    ManifestError,
    resolve_input,
    sha256_file,
)
from openmrv.runfolder import MARKER

#: JSON outputs and their top-level keys that may differ between identical runs.
VOLATILE: dict[str, tuple[str, ...]] = {
    MANIFEST: ("created_utc",),
}


class InputChangedError(InputError):
    """An input recorded in a manifest is missing or no longer has its SHA-256."""


@dataclass
class Reproduction:
    """What :func:`reproduce` found."""

    out: Path
    identical: list[str] = field(default_factory=list)
    volatile: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    manifest_problems: list[str] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        """Every output is the same (up to :data:`VOLATILE` fields)."""
        return not (self.differing or self.missing or self.added)


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    """The manifest of a run folder (``manifest.json``)."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise ManifestError(
            f"{MANIFEST} not found; give a folder written by 'openmrv run'", file=path
        )
    try:
        doc = json.loads(path.read_text())
        if not isinstance(doc["inputs"], list) or not isinstance(doc["outputs"], list):
            raise TypeError("'inputs' and 'outputs' must be lists")
    except (ValueError, KeyError, TypeError) as exc:
        raise ManifestError(f"not a readable manifest ({exc})", file=path) from None
    return doc


def check_inputs(doc: dict[str, Any], inputs_root: str | Path | None = None) -> Path:
    """Check the recorded inputs' SHA-256; return the case folder.

    Raises
    ------
    InputChangedError
        Listing every input that is missing or changed.
    """
    root = Path(inputs_root or doc.get("inputs_root") or "")
    if not (root / "case.yaml").is_file():
        raise InputChangedError(
            "the case folder recorded in the manifest has no case.yaml; pass the case "
            "folder explicitly",
            file=root,
        )
    bad = []
    for entry in doc["inputs"]:
        path = resolve_input(entry["path"], root)
        if not path.is_file():
            bad.append(f"missing input: {entry['path']}")
        elif sha256_file(path) != entry["sha256"]:
            bad.append(f"changed input: {entry['path']}")
    if bad:
        raise InputChangedError(
            "the inputs are not those of the recorded run, so it cannot be reproduced: "
            + "; ".join(bad),
            file=root,
        )
    return root


def _strip(path: Path, keys: tuple[str, ...], volatile_outputs: set[str]) -> Any:
    doc = json.loads(path.read_text())
    for k in keys:
        doc.pop(k, None)
    if path.name == MANIFEST:
        doc["outputs"] = [
            {"path": e["path"]} if e["path"] in volatile_outputs else e for e in doc["outputs"]
        ]
        doc.pop("signature", None)
    return doc


def compare_runs(old_dir: str | Path, new_dir: str | Path, doc: dict[str, Any]) -> Reproduction:
    """Compare a new run folder with the outputs recorded in a manifest ``doc``."""
    old_dir, new_dir = Path(old_dir), Path(new_dir)
    res = Reproduction(new_dir)
    recorded = {e["path"]: e["sha256"] for e in doc["outputs"]}
    new_files = {
        p.relative_to(new_dir).as_posix()
        for p in new_dir.rglob("*")
        if p.is_file() and p.relative_to(new_dir).as_posix() not in (MANIFEST, SIGNATURE, MARKER)
    }
    volatile_outputs: set[str] = set()
    for rel, digest in sorted(recorded.items()):
        new = new_dir / rel
        if not new.is_file():
            res.missing.append(rel)
        elif sha256_file(new) == digest:
            res.identical.append(rel)
        elif (
            rel in VOLATILE
            and (old_dir / rel).is_file()
            and sha256_file(old_dir / rel) == digest
            and _strip(old_dir / rel, VOLATILE[rel], set()) == _strip(new, VOLATILE[rel], set())
        ):
            res.volatile.append(rel)
            volatile_outputs.add(rel)
        else:
            res.differing.append(rel)
    res.added = sorted(new_files - set(recorded))
    old_m, new_m = old_dir / MANIFEST, new_dir / MANIFEST
    if new_m.is_file():
        if old_m.read_bytes() == new_m.read_bytes():
            res.identical += [MANIFEST, SIGNATURE]
        elif _strip(old_m, VOLATILE[MANIFEST], volatile_outputs) == _strip(
            new_m, VOLATILE[MANIFEST], volatile_outputs
        ):
            res.volatile += [MANIFEST, SIGNATURE]
        else:
            res.differing.append(MANIFEST)
    return res
