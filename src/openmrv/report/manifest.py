"""Provenance manifest of a run folder, signed with Ed25519.

``manifest.json`` lists every input (path, SHA-256, size), the software versions, the
settings and every output file of the run folder (path relative to the folder, SHA-256,
size). ``manifest.sig`` holds the Ed25519 signature of the exact bytes of
``manifest.json`` (base64, one line). The public key is in the manifest; pin it with
``verify_manifest(..., trusted_key=...)`` to also prove *who* signed. See
``docs/provenance.md``.

Signing key, first found wins: the ``key`` argument (a path or an
``Ed25519PrivateKey``); the file named by the environment variable
``OPENMRV_SIGNING_KEY`` (must exist); ``~/.openmrv/signing_key``, generated on first use
(PKCS#8 PEM, unencrypted, mode 0600). The key is never written into the run folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openmrv.errors import InputError
from openmrv.runfolder import MANIFEST_JSON, MANIFEST_SIG, MARKER

MANIFEST = MANIFEST_JSON
SIGNATURE = MANIFEST_SIG
KEY_ENV = "OPENMRV_SIGNING_KEY"
MANIFEST_VERSION = 1
PACKAGE = Path(__file__).parents[1]
PACKAGED = "openmrv:"
#: Distributions whose versions are recorded.
SOFTWARE = (
    "openmrv",
    "numpy",
    "pandas",
    "xarray",
    "scipy",
    "pint",
    "openscm-units",
    "globalwarmingpotentials",
    "climate-categories",
    "netCDF4",
    "pyyaml",
    "dask",
    "matplotlib",
    "openpyxl",
    "cryptography",
)


class ManifestError(InputError):
    """A signing key, manifest or run folder is missing or unreadable."""


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes [hex], read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def software_versions() -> dict[str, str]:
    """Python, the platform and the installed versions of :data:`SOFTWARE`."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for dist in SOFTWARE:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def default_key_path() -> Path:
    """Where the signing key is looked for when no key is given (see module notes)."""
    env = os.environ.get(KEY_ENV)
    return Path(env) if env else Path.home() / ".openmrv" / "signing_key"


def load_or_create_key(key: str | Path | Ed25519PrivateKey | None = None) -> Ed25519PrivateKey:
    """The signing key: ``key``, else ``$OPENMRV_SIGNING_KEY``, else
    ``~/.openmrv/signing_key`` (created on first use).

    Raises
    ------
    ManifestError
        If a named key file is missing or is not an unencrypted Ed25519 PEM key.
    """
    if isinstance(key, Ed25519PrivateKey):
        return key
    if key is None and not os.environ.get(KEY_ENV):
        path = default_key_path()
        if not path.exists():
            new = Ed25519PrivateKey.generate()
            pem = new.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(pem)
            except OSError as exc:
                raise ManifestError(
                    f"cannot create the signing key ({exc.strerror or exc}); set "
                    f"{KEY_ENV} to the path of an Ed25519 PEM key, or make {path.parent} "
                    "writable",
                    file=path,
                ) from None
            return new
    path = Path(key) if key is not None else default_key_path()
    field = None if key is not None else KEY_ENV
    if not path.is_file():
        raise ManifestError("signing key file not found", file=path, field=field)
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ManifestError(
            f"not an unencrypted PEM private key ({exc})", file=path, field=field
        ) from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ManifestError("the key is not an Ed25519 key", file=path, field=field)
    return loaded


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _files(run_dir: Path) -> list[Path]:
    skip = {MANIFEST, SIGNATURE, MARKER}  # the marker is not an output (docs/run-folder.md)
    return sorted(
        p
        for p in run_dir.rglob("*")
        if p.is_file() and p.relative_to(run_dir).as_posix() not in skip
    )


def _entry(path: Path, root: Path | None) -> dict[str, Any]:
    rel = path.relative_to(root).as_posix() if root and path.is_relative_to(root) else str(path)
    return {"path": rel, "sha256": sha256_file(path), "bytes": path.stat().st_size}


def _input_entries(
    inputs: Mapping[str, str] | Iterable[str | Path], inputs_root: Path | None
) -> list[dict[str, Any]]:
    if isinstance(inputs, Mapping):
        return [{"path": str(k), "sha256": str(v)} for k, v in inputs.items()]
    out = []
    for p in inputs:
        path = Path(p) if inputs_root is None or Path(p).is_absolute() else inputs_root / p
        if not path.is_file():
            raise ManifestError("input file not found", file=path)
        out.append(_entry(path, inputs_root))
    return out


def write_manifest(
    run_dir: str | Path,
    inputs: Mapping[str, str] | Iterable[str | Path],
    settings: Mapping[str, Any],
    key: str | Path | Ed25519PrivateKey | None = None,
    *,
    inputs_root: str | Path | None = None,
) -> tuple[Path, Path]:
    """Write ``manifest.json`` and ``manifest.sig`` into a run folder.

    Parameters
    ----------
    run_dir
        The run folder; every file in it (recursively, except the manifest and its
        signature) is listed as an output. Write the manifest last.
    inputs
        Input files (paths, hashed now; recorded relative to ``inputs_root``) or a
        mapping of recorded path to SHA-256 (e.g. ``run.json``'s ``input_sha256``).
    settings
        JSON-serialisable settings of the run (case settings, seeds, draws ...).
    key
        Signing key (see the module notes for the default).
    inputs_root
        Folder the input paths are relative to (the case folder).

    Returns
    -------
    tuple of Path
        ``manifest.json`` and ``manifest.sig``.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ManifestError("run folder not found", file=run_dir)
    private = load_or_create_key(key)
    root = None if inputs_root is None else Path(inputs_root)
    pub = public_key_text(private)
    doc = {
        "manifest_version": MANIFEST_VERSION,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs_root": None if root is None else str(root),
        "inputs": _input_entries(inputs, root),
        "software": software_versions(),
        "settings": dict(settings),
        "outputs": [_entry(p, run_dir) for p in _files(run_dir)],
        "signature": {
            "algorithm": "Ed25519",
            "public_key": pub,
            "key_id": hashlib.sha256(base64.b64decode(pub)).hexdigest()[:16],
            "signed_file": MANIFEST,
            "signature_file": SIGNATURE,
        },
    }
    data = (json.dumps(doc, indent=1, sort_keys=True, allow_nan=False) + "\n").encode()
    sig = base64.b64encode(private.sign(data)).decode() + "\n"
    manifest, signature = run_dir / MANIFEST, run_dir / SIGNATURE
    for path, content in ((manifest, data), (signature, sig.encode())):
        tmp = path.with_name(f".{path.name}.part")
        tmp.write_bytes(content)
        os.replace(tmp, path)
    return manifest, signature


def verify_manifest(
    run_dir: str | Path,
    *,
    trusted_key: str | None = None,
    inputs_root: str | Path | None = None,
) -> list[str]:
    """Check a run folder against its signed manifest.

    Parameters
    ----------
    run_dir
        The run folder holding ``manifest.json`` and ``manifest.sig``.
    trusted_key
        Base64 Ed25519 public key the manifest must be signed with (default: the key
        named in the manifest, which proves integrity but not who signed).
    inputs_root
        When given, the inputs are hashed again there and compared too.

    Returns
    -------
    list of str
        Problems, one per line: bad or missing signature, a manifest that is not
        readable, ``changed``/``missing``/``added`` outputs and inputs. Empty when the
        folder is exactly what was signed.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ManifestError("run folder not found", file=run_dir)
    manifest, signature = run_dir / MANIFEST, run_dir / SIGNATURE
    if not manifest.is_file():
        return [f"{MANIFEST} is missing"]
    data = manifest.read_bytes()
    problems = _signature_problems(data, signature, trusted_key)
    try:
        doc = json.loads(data)
        outputs = {e["path"]: e["sha256"] for e in doc["outputs"]}
        inputs = {e["path"]: e["sha256"] for e in doc["inputs"]}
    except (ValueError, KeyError, TypeError) as exc:
        return [*problems, f"{MANIFEST} is not a readable manifest ({exc})"]
    present = {p.relative_to(run_dir).as_posix(): p for p in _files(run_dir)}
    problems += _compare("output", outputs, present)
    if inputs_root is not None:
        files = {k: resolve_input(k, inputs_root) for k in inputs}
        files = {k: v for k, v in files.items() if v.is_file()}
        problems += _compare("input", inputs, files, report_added=False)
    return problems


def recorded_inputs_root(run_dir: str | Path) -> Path | None:
    """The case folder a run folder's manifest records (``inputs_root``), if it still
    exists here; None otherwise (or without a readable manifest)."""
    try:
        root = json.loads((Path(run_dir) / MANIFEST).read_text())["inputs_root"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Path(root) if root and Path(root).is_dir() else None


#: the file kinds of packaged data tables the manifest records
PACKAGED_TABLES = ("csv", "json", "geojson")


def packaged_inputs() -> dict[str, str]:
    """SHA-256 of every data table shipped with openmrv (each package folder's ``data/``:
    factor tables, physical constants, method parameters, annualisation assumptions,
    sampling designs, country polygons, the CRT mapping...), keyed
    ``openmrv:<path inside the package>``: a run reads them, so they shape its numbers."""
    files = sorted(
        f
        for ext in PACKAGED_TABLES
        for f in PACKAGE.rglob(f"data/*.{ext}")
        if "__pycache__" not in f.parts
    )
    return {f"{PACKAGED}{f.relative_to(PACKAGE).as_posix()}": sha256_file(f) for f in files}


def resolve_input(recorded: str, inputs_root: str | Path) -> Path:
    """The file behind a recorded input path (``openmrv:`` paths live in the package)."""
    if recorded.startswith(PACKAGED):
        return PACKAGE / recorded[len(PACKAGED) :]
    return Path(inputs_root) / recorded


def _signature_problems(data: bytes, signature: Path, trusted_key: str | None) -> list[str]:
    if not signature.is_file():
        return [f"{SIGNATURE} is missing"]
    try:
        doc = json.loads(data)
        pub_text = trusted_key or doc["signature"]["public_key"]
        pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(pub_text, validate=True))
        pub.verify(base64.b64decode(signature.read_text().strip(), validate=True), data)
    except InvalidSignature:
        return [f"bad signature: {MANIFEST} was changed or signed with another key"]
    except (ValueError, KeyError, TypeError) as exc:
        return [f"signature cannot be checked ({type(exc).__name__}: {exc})"]
    return []


def _compare(
    kind: str, recorded: Mapping[str, str], present: Mapping[str, Path], report_added: bool = True
) -> list[str]:
    out = []
    for path, digest in recorded.items():
        if path not in present:
            out.append(f"missing {kind}: {path}")
        elif sha256_file(present[path]) != digest:
            out.append(f"changed {kind}: {path}")
    if report_added:
        out += [f"added {kind}: {p}" for p in present if p not in recorded]
    return out
