"""``openmrv keys``: the keys trusted to sign run folders (list, trust, untrust, export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openmrv.cli._common import console, fail
from openmrv.errors import OpenMRVError

app = typer.Typer(
    name="keys",
    help="The keys you trust to sign run folders (verify-manifest checks the signer).",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    no_args_is_help=True,
)


@app.command("list")
def list_keys() -> None:
    """List the trusted keys: id, name, when added (your own key first)."""
    from openmrv.report import keyring

    try:
        keys = keyring.trusted_keys()
    except OpenMRVError as exc:
        fail(exc)
    console.print(f"trusted keys (keyring: {keyring.keyring_path()})", markup=False)
    for kid, k in sorted(keys.items(), key=lambda kv: kv[1]["name"] != keyring.OWN):
        added = k["added"] or "-"
        console.print(f"{kid}  {k['name']}  added {added}  {k['public_key']}", markup=False)


@app.command("trust")
def trust(
    key: Annotated[
        str,
        typer.Argument(
            help="Base64 Ed25519 public key, or a run folder whose signer to trust.",
            show_default=False,
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="Who holds the key (shown when verifying).")],
) -> None:
    """Trust a key to sign run folders; check its id with its holder first."""
    from openmrv.report import keyring

    try:
        public = keyring.signer(key) if Path(key).is_dir() else keyring.check_public_key(key)
        kid = keyring.trust(public, name)
    except OpenMRVError as exc:
        fail(exc)
    console.print(f"trusted: {kid} ({name})", markup=False)


@app.command("untrust")
def untrust(kid: Annotated[str, typer.Argument(help="Key id ('openmrv keys list').")]) -> None:
    """Stop trusting a key, for instance after its holder rotated it."""
    from openmrv.report import keyring

    try:
        keyring.untrust(kid)
    except OpenMRVError as exc:
        fail(exc)
    console.print(f"no longer trusted: {kid}", markup=False)


@app.command("export")
def export() -> None:
    """Print your own public key and its id, to give to those who verify your runs."""
    from openmrv.report import keyring
    from openmrv.report.manifest import default_key_path, load_or_create_key, public_key_text

    try:
        public = public_key_text(load_or_create_key())
    except OpenMRVError as exc:
        fail(exc)
    console.print(f"{keyring.key_id(public)}  {public}  ({default_key_path()})", markup=False)
