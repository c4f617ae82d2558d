"""Fuzzing the satellite and scene readers with damaged copies of real files.

Run: python bench/fuzz_readers.py [N] [--seed S] [--timeout T]
     (default N = 800 mutations per reader kind, seed 0, T = 30 s per file)

For each reader kind -- netCDF4 GOSAT (UoL proxy), HDF5/netCDF4 TROPOMI L2, netCDF4
blended TROPOMI+GOSAT super-observations, ``.npz`` plume patch, ERA5 single-level
winds (``read_era5_winds``) -- N copies of a real test
file (``tests/data/observe``) are damaged, each by a truncation or by 1-8 changed bytes
(half of them in the first or last 4 KiB, where the headers, the HDF5 superblock and the
zip directory are), drawn from ``numpy.random.default_rng((seed, kind, i))``: mutation i
of a kind is the same on every machine and in every process. Each copy is read with
``read_soundings(qa=True)`` in a separate worker process and counted as

- read: read, and the soundings pass ``ensure_valid_soundings``;
- typed: refused with an ``openmrv.errors.OpenMRVError`` naming the file (the goal);
- invalid: read, but the soundings are not valid (goal 0);
- crash: any other exception, or the worker died (a segfault) (goal 0);
- hang: no answer within the timeout; the worker is killed (goal 0). openmrv's own
  limit (``OPENMRV_READ_TIMEOUT_S``, set to a third of T) stops a read first: a file
  that makes netCDF-C/HDF5 loop is a typed error (``openmrv.observe.isolation``).

The first file of each failing outcome is printed with its mutation, to reproduce it.
``tests/test_fuzz_readers.py`` runs the same code with 40 mutations per kind in CI.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

DATA = Path(__file__).parents[1] / "tests" / "data" / "observe"
KINDS: dict[str, Path] = {
    "gosat_netcdf": DATA / "ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc",
    "tropomi_l2": DATA
    / (
        "S5P_OFFL_L2__CH4____20190311T101655_20190311T115825_07293_01_010202_20190317T121015"
        ".SUB.nc4"
    ),
    "blended_superobs": DATA
    / (
        "S5P_BLND_L2__CH4____20180505T190303_20180505T204433_02900_03_020400_20230614T000922"
        "_superobservations.nc"
    ),
    "npz_patch": DATA / "20210107_07-26-12_24.83_90.31_9051.npz",
    "era5_winds": DATA / "Matimba_ERA5-sl-20210725.nc",
}
OUTCOMES = ("read", "typed", "invalid", "crash", "hang")
STARTUP_S = 300  # seconds a new reading process may take to start (a busy machine)
EDGE = 4096  # bytes at each end of a file where its structure is


def mutate(raw: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """A damaged copy of ``raw`` and what was done to it."""
    if rng.random() < 0.25:
        cut = int(rng.integers(0, len(raw)))
        return raw[:cut], f"truncated to {cut} bytes"
    out = bytearray(raw)
    edits = []
    for _ in range(int(rng.integers(1, 9))):
        if rng.random() < 0.5:
            pos = int(rng.integers(0, len(out)))
        else:
            pos = int(rng.integers(0, min(EDGE, len(out))))
            pos = pos if rng.random() < 0.5 else len(out) - 1 - pos
        out[pos] = int(rng.integers(0, 256))
        edits.append(f"{pos}={out[pos]}")
    return bytes(out), "bytes " + ", ".join(edits)


def _classify(path: Path) -> tuple[str, str]:
    if "ERA5" in path.name:
        return _classify_winds(path)
    from openmrv.errors import OpenMRVError
    from openmrv.observe import ensure_valid_soundings, read_soundings

    try:
        ds = read_soundings(path, qa=True)
    except OpenMRVError as exc:
        return ("typed", str(exc)) if path.name in str(exc) else ("crash", f"unnamed: {exc}")
    except Exception as exc:  # what the fuzzer is here to find
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return "crash", f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})"
    try:
        ensure_valid_soundings(ds)
    except OpenMRVError as exc:
        return "invalid", str(exc)
    return "read", ""


def _classify_winds(path: Path) -> tuple[str, str]:
    """An ERA5 wind file: read with ``read_era5_winds``; valid when u and v are finite and
    below the plausible wind speed."""
    import numpy as np

    from openmrv.errors import OpenMRVError
    from openmrv.limits import plausible_range
    from openmrv.observe.winds import read_era5_winds

    try:
        ds = read_era5_winds(path)
    except OpenMRVError as exc:
        return ("typed", str(exc)) if path.name in str(exc) else ("crash", f"unnamed: {exc}")
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return "crash", f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})"
    top = plausible_range("wind_speed_10m")[1]
    speed = np.hypot(ds["u"].values, ds["v"].values)
    if not np.isfinite(speed).all() or speed.max() > top:
        return "invalid", f"winds not finite or faster than {top:g} m/s"
    return "read", ""


def _serve(conn: Connection) -> None:
    """The worker: says it is ready, then reads each path it is sent, answers (outcome,
    detail)."""
    import openmrv.observe  # noqa: F401 -- imported before the first file is timed

    conn.send("ready")
    while True:
        path = conn.recv()
        if path is None:
            return
        conn.send(_classify(Path(path)))


class Worker:
    """One reading process; restarted after a crash or a hang."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._ctx = mp.get_context("spawn")  # no fork of a process holding HDF5 state
        self._start()

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    def _start(self) -> None:
        self._conn, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child,), daemon=True)
        here = str(Path(__file__).parent)  # the new process imports this module by name
        added = here not in sys.path
        if added:
            sys.path.append(here)  # last: it shadows nothing
        try:
            self._proc.start()
        finally:
            if added:
                sys.path.remove(here)
        child.close()
        # the start (a new interpreter importing openmrv) is not counted in a file's time
        if not self._conn.poll(STARTUP_S) or self._conn.recv() != "ready":
            raise RuntimeError(f"the reading process did not start in {STARTUP_S} s")

    def read(self, path: Path) -> tuple[str, str]:
        died = False  # the pipe closed (the process died), rather than no answer in time
        try:
            self._conn.send(str(path))
            if self._conn.poll(self.timeout):
                return self._conn.recv()
        except (EOFError, OSError):  # BrokenPipeError: the process died
            died = True
        self._proc.kill()
        self._proc.join()
        code = self._proc.exitcode
        self._proc.close()
        self._conn.close()
        self._start()
        if died:
            return "crash", f"the reading process died (exit code {code})"
        return "hang", f"no answer in {self.timeout:g} s"

    def close(self) -> None:
        if self._proc.is_alive():
            self._conn.send(None)
            self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()
        self._conn.close()
        self._proc.close()


@dataclass
class KindResult:
    """Counts per outcome for one reader kind, and the first example of each failure."""

    kind: str
    counts: Counter
    examples: dict[str, str]
    seconds: float
    failures: list[tuple[int, str]]  # (mutation, outcome) of every invalid, crash, hang

    @property
    def tried(self) -> int:
        return sum(self.counts.values())


def fuzz_kind(
    kind: str, n: int, seed: int, worker: Worker, folder: Path, kind_index: int | None = None
) -> KindResult:
    """``n`` damaged copies of the kind's real file, each read by ``worker``."""
    source = KINDS[kind]
    raw = source.read_bytes()
    index = list(KINDS).index(kind) if kind_index is None else kind_index
    counts: Counter = Counter()
    examples: dict[str, str] = {}
    failures: list[tuple[int, str]] = []
    target = folder / kind / source.name  # the real name: readers are chosen by it
    target.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for i in range(n):
        data, how = mutate(raw, np.random.default_rng((seed, index, i)))
        target.write_bytes(data)
        outcome, detail = worker.read(target)
        counts[outcome] += 1
        if outcome not in ("read", "typed"):
            failures.append((i, outcome))
            examples.setdefault(outcome, f"mutation {i} ({how}): {detail}")
    return KindResult(kind, counts, examples, time.perf_counter() - t0, failures)


def run(n: int, seed: int = 0, timeout: float = 30.0) -> list[KindResult]:
    """Every kind, ``n`` mutations each, in one worker process (restarted as needed).

    openmrv's own time limit per file (``OPENMRV_READ_TIMEOUT_S``, unless set) is a third
    of ``timeout``, so a file that makes the libraries loop shows as openmrv reports it
    (a typed error), and only a hang openmrv does not catch as a hang."""
    import os

    os.environ.setdefault("OPENMRV_READ_TIMEOUT_S", f"{timeout / 3:g}")
    worker = Worker(timeout)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return [fuzz_kind(k, n, seed, worker, Path(tmp)) for k in KINDS]
    finally:
        worker.close()


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = sys.argv[1:]
    n = int(args[0]) if args else 800
    seed = int(flags[flags.index("--seed") + 1]) if "--seed" in flags else 0
    timeout = float(flags[flags.index("--timeout") + 1]) if "--timeout" in flags else 30.0
    if "--seed" in flags:
        args = [a for a in args if a != flags[flags.index("--seed") + 1]]
    results = run(n, seed, timeout)
    print(f"fuzz: {n} damaged copies per reader kind, seed {seed}, {timeout:g} s per file")
    print(f"{'kind':<18}{'tried':>7}" + "".join(f"{o:>9}" for o in OUTCOMES) + f"{'s':>8}")
    for r in results:
        cells = "".join(f"{r.counts[o]:>9}" for o in OUTCOMES)
        print(f"{r.kind:<18}{r.tried:>7}{cells}{r.seconds:>8.1f}")
    total = sum((r.counts for r in results), Counter())
    tried = sum(r.tried for r in results)
    print(f"{'all':<18}{tried:>7}" + "".join(f"{total[o]:>9}" for o in OUTCOMES))
    for r in results:
        for outcome, text in r.examples.items():
            print(f"{r.kind} {outcome}: {text}")
    bad = sum(total[o] for o in ("invalid", "crash", "hang"))
    print("goal (0 invalid, 0 crashes, 0 hangs):", "met" if bad == 0 else "NOT met")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
