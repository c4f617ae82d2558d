"""Running a peer's script in the peer's own venv (a subprocess; openmrv never imports the
peer) and reading back the one JSON line it prints last."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DDEQ_PY = os.environ.get("DDEQ_PYTHON", "/tmp/ddeq_venv/bin/python")


def peer_rows(script: str, *args: str, python: str = DDEQ_PY, timeout: float = 3600) -> list | None:
    """The JSON rows printed last by ``bench/<script>`` run with ``python``; None (and the
    reason on stderr) when the peer is missing, fails or prints no JSON."""
    if not Path(python).exists():
        print(f"peer not run: no python at {python} (see PEERS.md)", file=sys.stderr)
        return None
    try:
        out = subprocess.run(
            [python, str(Path(__file__).with_name(script)), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"peer run of {script} failed: {exc}", file=sys.stderr)
        return None
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        print(f"peer run of {script} printed no JSON: {out.stderr[-300:]}", file=sys.stderr)
        return None
