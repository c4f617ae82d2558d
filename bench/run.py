"""Wall time of ``openmrv run examples/turkmenistan`` and ``openmrv --help`` against
reference trees, interleaved (issue 19).

Each round runs every command once in every tree, the order rotated from round to
round, so that load drifting during the bench moves all trees alike; the verdict is the
median of the per-round ratios (reference / this tree), with their spread. A reference
tree is a checkout of another commit, e.g. ``git worktree add /tmp/base 6346ace``::

    python bench/run.py --ref 6346ace=/tmp/base --rounds 3
    python bench/run.py --ref 6346ace=/tmp/base --ref main=/tmp/main --rounds 5 --only help

Every tree runs with this interpreter and its own ``src`` first on ``PYTHONPATH``, on its
own ``examples/turkmenistan`` (each tree byte-compiled first); run folders go to a
temporary folder and are removed.
The load average (1 min) is printed before each timed command: the machine may be
shared. Goals: ``run`` at least 2.5x, ``--help`` at least 5x faster than 6346ace.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
LAUNCH = "import sys; from openmrv.cli import app; sys.argv[0] = 'openmrv'; app()"
GOALS = {"help": 5.0, "version": 5.0, "keys": 5.0, "run": 2.5}


def timed(tree: Path, args: list[str]) -> float:
    """Seconds of one whole process (start-up included) in ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: openmrv {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return dt


def commands(only: list[str], scratch: Path) -> dict[str, object]:
    out: dict[str, object] = {
        "help": lambda _label: ["--help"],
        "version": lambda _label: ["version"],
        "keys": lambda _label: ["keys", "list"],
        "run": lambda label: [
            "run",
            "examples/turkmenistan",
            "--out",
            str(scratch / f"run-{label}"),
        ],
    }
    return {k: v for k, v in out.items() if k in only}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", action="append", required=True, help="LABEL=TREE (repeatable)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", action="append", choices=sorted(GOALS), help="commands to time")
    a = ap.parse_args()
    trees = {"this": HERE}
    for item in a.ref:
        label, _, path = item.partition("=")
        trees[label] = Path(path).resolve()
    only = a.only or ["help", "version", "keys", "run"]
    labels = list(trees)
    for tree in trees.values():  # byte-compile first: a cold tree would time its compiler
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "src")], check=True)
    with tempfile.TemporaryDirectory(prefix="openmrv-bench-run-") as tmp:
        cmds = commands(only, Path(tmp))
        times: dict[str, dict[str, list[float]]] = {c: {k: [] for k in labels} for c in cmds}
        for r in range(a.rounds):
            order = labels[r % len(labels) :] + labels[: r % len(labels)]
            for c, make in cmds.items():
                for label in order:
                    load = os.getloadavg()[0]
                    dt = timed(trees[label], make(label))
                    times[c][label].append(dt)
                    print(f"round {r + 1} {c:7s} {label:10s} {dt:8.2f} s  (load {load:.2f})")
                    sys.stdout.flush()
    print(f"\n{os.cpu_count()} cores; load average now {os.getloadavg()[0]:.2f}")
    print(f"{'command':8s} {'tree':10s} {'median s':>9s} {'min':>8s} {'max':>8s}")
    for c in times:
        for label in labels:
            t = times[c][label]
            print(f"{c:8s} {label:10s} {statistics.median(t):9.2f} {min(t):8.2f} {max(t):8.2f}")
    print(f"\n{'command':8s} {'ratio':16s} {'median':>7s} {'min':>6s} {'max':>6s} {'goal':>5s}")
    for c in times:
        for label in labels[1:]:
            ratios = [b / t for b, t in zip(times[c][label], times[c]["this"], strict=True)]
            goal = GOALS[c] if label != "main" else float("nan")
            print(
                f"{c:8s} {label + '/this':16s} {statistics.median(ratios):7.2f} "
                f"{min(ratios):6.2f} {max(ratios):6.2f} {goal:5.1f}"
            )


if __name__ == "__main__":
    main()
