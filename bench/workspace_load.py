"""A bounded load test of the team workspace (issue 16): N users on 127.0.0.1 reading and
editing activity data through ``openmrv serve`` for a fixed time, then a check that no edit
was lost.

Run: python bench/workspace_load.py [--users 50] [--seconds 60] [--case examples/turkmenistan]

A fresh workspace is made in a temporary folder (the case imported, N compiler accounts), the
server is started as a subprocess, and each user logs in and loops: 4 of 5 requests read (a
row, or the rows of a sector), 1 of 5 changes a row's value with ``If-Match``. Each user
edits rows of its own, and every tenth row is shared by all users, so conflicts (409) occur
and are resolved by reading the row again. At the end the server is stopped and the database
opened directly: every row must hold the last value the server acknowledged for it, and the
audit trail must hold one row per acknowledged edit. Prints requests per second, latency
percentiles by kind, the count of each status and the number of lost edits (goal 0).
``tests/workspace/test_load.py`` runs the same code with 6 users for 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx2
import numpy as np
import sqlalchemy as sa

import openmrv
from openmrv.workspace.casefiles import import_case
from openmrv.workspace.db import open_workspace
from openmrv.workspace.security import add_user

ROOT = Path(__file__).parents[1]
PASSWORD = "load test passphrase"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(folder: Path, case: Path, users: int) -> None:
    ws = open_workspace(folder)
    with ws.sessions() as db:
        import_case(db, case, "bench", "load")
        for i in range(users):
            add_user(db, f"user{i}", "compiler", PASSWORD, [])
        db.commit()
    ws.close()


def _start(folder: Path, port: int) -> tuple[subprocess.Popen, httpx2.Client]:
    env = {**os.environ, "PYTHONPATH": str(Path(openmrv.__file__).parents[1])}
    args = ["serve", "--port", str(port), "--workspace", str(folder)]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from openmrv.cli import app; app()", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    probe = httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    for _ in range(600):
        try:
            if probe.get("/api/health").status_code == 200:
                return proc, probe
        except httpx2.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("openmrv serve did not answer within 60 s")


def load(users: int = 50, seconds: float = 60.0, case: Path | None = None, seed: int = 0):
    """Run the load test; returns its figures (see the module's docstring)."""
    case = case or ROOT / "examples" / "turkmenistan"
    with tempfile.TemporaryDirectory(prefix="openmrv-load-") as tmp:
        folder = Path(tmp)
        _prepare(folder, case, users)
        proc, probe = _start(folder, _free_port())
        try:
            result = _drive(probe, users, seconds, seed)
        finally:
            probe.close()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        result["lost_edits"] = _lost(folder, result.pop("acked"))
    return result


def _drive(probe: httpx2.Client, users: int, seconds: float, seed: int) -> dict:
    base = str(probe.base_url)
    with httpx2.Client(base_url=base, timeout=30) as first:
        first.post("/api/login", json={"username": "user0", "password": PASSWORD})
        rows = first.get("/api/cases/1/activity").json()
    shared = rows[::10]
    own = [r for i, r in enumerate(rows) if i % 10]
    acked: dict[int, tuple[int, str]] = {}  # row id -> highest acknowledged (version, value)
    lock = threading.Lock()
    times: dict[str, list[float]] = defaultdict(list)
    statuses: Counter = Counter()
    clock = [0.0, 0.0]  # when the users start, when they stop (after all have logged in)

    def go() -> None:
        clock[0] = time.monotonic()
        clock[1] = clock[0] + seconds

    ready = threading.Barrier(users, action=go)

    def user(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        with httpx2.Client(base_url=base, timeout=60) as client:
            _session(client, k, rng)

    def _session(client: httpx2.Client, k: int, rng: random.Random) -> None:
        r = client.post("/api/login", json={"username": f"user{k}", "password": PASSWORD})
        csrf = r.json()["csrf_token"]
        mine = own[k::users] or own[:1]
        ready.wait()
        while time.monotonic() < clock[1]:
            if rng.random() < 0.8:
                kind = "read row" if rng.random() < 0.9 else "read sector"
                url = (
                    f"/api/cases/1/activity/{rng.choice(rows)['id']}"
                    if kind == "read row"
                    else "/api/cases/1/activity?category=1.A"
                )
                t0 = time.perf_counter()
                got = client.get(url)
            else:
                kind = "edit"
                row = rng.choice(shared) if rng.random() < 0.3 else rng.choice(mine)
                cur = client.get(f"/api/cases/1/activity/{row['id']}").json()
                value = f"{rng.uniform(1, 1000):.6g}"
                t0 = time.perf_counter()
                got = client.put(
                    f"/api/cases/1/activity/{row['id']}",
                    json={"value": value, "reason": f"load user{k}"},
                    headers={"X-CSRF-Token": csrf, "If-Match": str(cur["version"])},
                )
                if got.status_code == 200:
                    version = got.json()["version"]
                    with lock:
                        if version > acked.get(row["id"], (0, ""))[0]:
                            acked[row["id"]] = (version, value)
            dt = time.perf_counter() - t0
            with lock:
                times[kind].append(dt)
                statuses[f"{kind} {got.status_code}"] += 1

    threads = [threading.Thread(target=user, args=(k,)) for k in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - clock[0]
    n = sum(len(v) for v in times.values())
    return {
        "users": users,
        "seconds": round(wall, 1),
        "requests": n,
        "requests_per_s": round(n / wall, 1),
        "latency_ms": {
            k: {f"p{q}": round(float(np.percentile(v, q)) * 1000, 1) for q in (50, 95, 99)}
            for k, v in sorted(times.items())
        },
        "statuses": dict(sorted(statuses.items())),
        "edits_acknowledged": statuses.get("edit 200", 0),
        "acked": acked,
    }


def _lost(folder: Path, acked: dict[int, tuple[int, str]]) -> int:
    """Rows whose stored version or value is not the last acknowledged one."""
    ws = open_workspace(folder)
    with ws.engine.connect() as conn:
        stored = {
            r.id: (r.version, r.value)
            for r in conn.execute(sa.text("SELECT id, version, value FROM activity_rows"))
        }
        audit = conn.execute(
            sa.text("SELECT count(*) FROM audit WHERE table_name = 'activity_rows'")
        ).scalar()
    ws.close()
    lost = sum(stored[i] != v for i, v in acked.items())
    edits = sum(v - 1 for v, _ in stored.values())
    return lost + abs(audit - edits)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--case", type=Path, default=None)
    args = ap.parse_args()
    print(json.dumps(load(args.users, args.seconds, args.case), indent=2))


if __name__ == "__main__":
    main()
