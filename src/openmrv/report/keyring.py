"""Whom a user trusts to sign run folders: the keyring behind ``openmrv verify-manifest``.

A signature proves that a manifest was not changed since it was signed, and by which key;
only a key the user trusts says *who* signed it. The keyring is a JSON file the user
manages (``openmrv keys list|trust|untrust|export``; ``~/.openmrv/trusted_keys.json``, or
``$OPENMRV_KEYRING``): key id -> base64 Ed25519 public key, a name, when it was added. The
user's own signing key (:func:`openmrv.report.manifest.default_key_path`) is trusted from
the start. A key id is the first 16 hex digits of the SHA-256 of the raw 32-byte public
key, in groups of four (docs/provenance.md, "Trusted keys").
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from openmrv.report.manifest import (
    MANIFEST,
    ManifestError,
    default_key_path,
    load_or_create_key,
    public_key_text,
)

KEYRING_ENV = "OPENMRV_KEYRING"
OWN = "own key"


def check_public_key(text: str) -> str:
    """``text`` if it is a base64 raw Ed25519 public key (32 bytes), else ManifestError."""
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except (ValueError, TypeError) as exc:
        raise ManifestError(
            f"not a base64 Ed25519 public key ({exc}); give the key as manifest.json's "
            "signature.public_key or 'openmrv keys export' shows it",
            field="public_key",
        ) from None
    return text.strip()


def key_id(public_key: str) -> str:
    """The key's id: SHA-256 of the raw public key, first 16 hex digits in groups of 4."""
    digest = hashlib.sha256(base64.b64decode(check_public_key(public_key))).hexdigest()[:16]
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def keyring_path() -> Path:
    """The keyring file: ``$OPENMRV_KEYRING``, else ``~/.openmrv/trusted_keys.json``."""
    env = os.environ.get(KEYRING_ENV)
    return Path(env) if env else Path.home() / ".openmrv" / "trusted_keys.json"


def _read() -> dict[str, dict[str, Any]]:
    path = keyring_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): dict(v) for k, v in data["keys"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ManifestError(
            f"the keyring is not readable ({type(exc).__name__}); repair or remove it and "
            "trust the keys again",
            file=path,
        ) from None


def _write(keys: dict[str, dict[str, Any]]) -> Path:
    path = keyring_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps({"keys": keys}, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return path


def own_key() -> str | None:
    """The public key of the user's signing key, if it exists (none is created here)."""
    if not default_key_path().is_file():
        return None
    return public_key_text(load_or_create_key())


def trusted_keys() -> dict[str, dict[str, Any]]:
    """Key id -> {public_key, name, added}: the keyring and the user's own key."""
    keys = _read()
    own = own_key()
    if own is not None:
        keys.setdefault(key_id(own), {"public_key": own, "name": OWN, "added": ""})
    return keys


def trust(public_key: str, name: str) -> str:
    """Add a key to the keyring under ``name``; returns its id."""
    kid = key_id(public_key)
    keys = _read()
    added = datetime.now(UTC).isoformat(timespec="seconds")
    keys[kid] = {"public_key": check_public_key(public_key), "name": name, "added": added}
    _write(keys)
    return kid


def untrust(kid: str) -> None:
    """Remove a key from the keyring (the own key cannot be removed: rotate it instead)."""
    keys = _read()
    if kid not in keys:
        raise ManifestError(f"no key {kid} in the keyring; 'openmrv keys list' shows them")
    del keys[kid]
    _write(keys)


def signer(run_dir: str | Path) -> str:
    """The public key a run folder's manifest names as its signer."""
    path = Path(run_dir) / MANIFEST
    try:
        return check_public_key(json.loads(path.read_text())["signature"]["public_key"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ManifestError(
            f"no signer in the manifest ({type(exc).__name__})", file=path
        ) from None


def signer_trust(run_dir: str | Path) -> tuple[str, str | None]:
    """(key id of the signer, its name in the keyring or None when not trusted)."""
    kid = key_id(signer(run_dir))
    entry = trusted_keys().get(kid)
    return kid, None if entry is None else str(entry["name"])
