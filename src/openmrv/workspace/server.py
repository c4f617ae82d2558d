"""``openmrv serve``: the workspace's API under uvicorn, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import uvicorn

from openmrv.workspace.api import create_app
from openmrv.workspace.db import open_workspace

LOCAL_NAMES = ("localhost",)


def exposure_warning(host: str) -> str | None:
    """A warning when ``host`` is reachable from other machines (anything but loopback)."""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = host.lower() in LOCAL_NAMES
    if local:
        return None
    return (
        f"binding {host}: the workspace is reachable from other machines and speaks plain "
        "HTTP; put a TLS-terminating proxy in front of it and bind 127.0.0.1 behind it "
        "(docs/workspace.md, 'TLS in front')"
    )


def serve_workspace(folder: str | Path, db: str | None, host: str, port: int) -> None:
    """Open (and migrate) the workspace and serve its API until interrupted."""
    ws = open_workspace(folder, db)
    try:
        uvicorn.run(
            create_app(ws),
            host=host,
            port=port,
            log_level="info",
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
        )
    finally:
        ws.close()
