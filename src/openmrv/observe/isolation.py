"""Reading untrusted netCDF4/HDF5 files in a child process with a time limit (private).

Some damaged netCDF4/HDF5 files make the C libraries loop forever: with one changed byte
in its header, a blended TROPOMI super-observation file makes ``netCDF4.Dataset()``
(netCDF-C 4.10.1, HDF5 2.2.0) never return, and Python cannot interrupt C code in its own
process. So openmrv opens such files in a separate reading process and waits a stated
time (:func:`timeout_for`, from ``data/read_limits.csv``); a read that does not finish
is stopped (the process killed) and the file refused with a
:class:`~openmrv.errors.CorruptFileError` that names it and says it looks damaged. A
reading process that dies (a crash inside the libraries) is reported the same way.

The reading process is started once per thread and reused for every file that thread
reads, so a batch pays its start (a Python interpreter importing the readers, about a
second) once; only the result of each read travels back. It is started with
:mod:`subprocess`, not :mod:`multiprocessing`, so it also works inside daemonic
processes (dask's worker processes). On Linux it is killed when the thread that started
it ends (``PR_SET_PDEATHSIG``), so a stuck reader never outlives openmrv.

``.npz`` scenes are not read this way: openmrv reads them in its own Python code, with
size limits (``_files.NpzFile``), and no C library loops on them. On systems other than
POSIX the files are read in-process (no time limit).

The time limit can be changed with the environment variable ``OPENMRV_READ_TIMEOUT_S``
(seconds, for every file) -- for very large files on a slow disk.
"""

from __future__ import annotations

import csv
import ctypes
import os
import pickle
import signal
import subprocess
import sys
import threading
import traceback
import weakref
from collections.abc import Callable
from importlib.resources import files
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any

from openmrv.errors import CorruptFileError, InputError

ENV_TIMEOUT = "OPENMRV_READ_TIMEOUT_S"
_LIMITS_TABLE = "read_limits.csv"
#: the reading process's start: reads sys.path, then serves (stdlib only until then)
_BOOT = (
    "import sys\n"
    "from multiprocessing.connection import Connection\n"
    "conn = Connection(int(sys.argv[1]))\n"
    "sys.path[:] = conn.recv()\n"
    "import openmrv.observe.batch\n"  # the readers, imported before the first time limit
    "from openmrv.observe.isolation import _serve\n"
    "_serve(conn, int(sys.argv[2]))\n"
)
_IN_CHILD = False  # True inside the reading process: reads there run directly
_local = threading.local()


def _load_limits() -> dict[str, float]:
    """The time limits of ``data/read_limits.csv`` (each with why)."""
    with (files("openmrv.observe") / "data" / _LIMITS_TABLE).open(encoding="utf-8") as fh:
        return {row["limit"]: float(row["value"]) for row in csv.DictReader(fh)}


#: read_timeout_base_s, read_timeout_s_per_mib, worker_start_timeout_s: see the table
READ_LIMITS: dict[str, float] = _load_limits()


def wanted(path: str | Path) -> bool:
    """Whether ``path`` is read in the reading process: netCDF4/HDF5 (anything but an
    ``.npz``), on POSIX, and not already inside the reading process."""
    return not _IN_CHILD and os.name == "posix" and Path(path).suffix.lower() != ".npz"


def timeout_for(path: str | Path) -> float:
    """Seconds a read of ``path`` may take: ``read_timeout_base_s`` plus
    ``read_timeout_s_per_mib`` per MiB of the file, or ``OPENMRV_READ_TIMEOUT_S``."""
    env = os.environ.get(ENV_TIMEOUT, "").strip()
    if env:
        try:
            value = float(env)
        except ValueError:
            value = float("nan")
        if not value > 0 or value == float("inf"):
            raise InputError(
                f"{ENV_TIMEOUT}={env!r}: give the seconds a file read may take, a positive "
                "number (or unset it for the defaults of observe/data/read_limits.csv)"
            )
        return value
    try:
        mib = Path(path).stat().st_size / 2**20
    except OSError:
        mib = 0.0
    return READ_LIMITS["read_timeout_base_s"] + READ_LIMITS["read_timeout_s_per_mib"] * mib


def call(path: str | Path, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` run in this thread's reading process, within the time limit
    of ``path``; its result, or the exception it raised (re-raised here).

    ``fn`` and its arguments must be picklable (``fn`` a module-level function); if they
    are not, ``fn`` runs here, without a time limit.

    Raises
    ------
    openmrv.errors.CorruptFileError
        The read did not finish in time, or the reading process died: the file looks
        damaged.
    """
    worker = getattr(_local, "worker", None)
    if worker is None or not worker.alive():
        worker = _local.worker = _Worker()
    try:
        request = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):
        return fn(*args, **kwargs)  # e.g. a reader registered from a local function
    return worker.run(Path(path), request, timeout_for(path))


class _Worker:
    """One reading process and the connection to it."""

    def __init__(self) -> None:
        self._conn, child = Pipe()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(child.fileno()), str(os.getpid())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            close_fds=True,
        )
        child.close()
        self._finalizer = weakref.finalize(self, _stop, self._proc, self._conn)
        start = READ_LIMITS["worker_start_timeout_s"]
        try:
            self._conn.send(list(sys.path))
            ready = self._conn.poll(start) and self._conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.close()
            raise RuntimeError(
                f"the process that reads satellite files did not start within {start:g} s "
                f"(exit code {self._proc.returncode}); see the messages above"
            )

    def alive(self) -> bool:
        return self._finalizer.alive and self._proc.poll() is None

    def close(self) -> None:
        self._finalizer()

    def run(self, path: Path, request: bytes, timeout: float) -> Any:
        try:
            self._conn.send_bytes(request)
            if not self._conn.poll(timeout):
                self.close()
                raise CorruptFileError(
                    f"reading did not finish within {timeout:g} s and was stopped: the file "
                    "looks damaged (some damaged netCDF4/HDF5 files make the netCDF-C/HDF5 "
                    "libraries loop forever); download it again or leave it out. A very "
                    f"large file on a slow disk may need longer: set {ENV_TIMEOUT} (seconds; "
                    f"default from observe/data/{_LIMITS_TABLE})",
                    file=path,
                )
            data = self._conn.recv_bytes()
        except (EOFError, OSError):  # the process died while reading
            self.close()
            raise CorruptFileError(
                f"the process reading it died ({_how_it_ended(self._proc)}): the file looks "
                "damaged (or memory ran out); download it again or leave it out",
                file=path,
            ) from None
        try:
            status, value, remote = pickle.loads(data)
        except Exception as exc:  # an exception class that cannot be rebuilt here
            raise RuntimeError(f"cannot read the answer of the reading process: {exc}") from exc
        if status == "ok":
            return value
        if not isinstance(value, InputError):  # a bug: keep where it happened
            value.__cause__ = _RemoteTraceback(remote)
        raise value


def _stop(proc: subprocess.Popen, conn: Connection) -> None:
    conn.close()
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _how_it_ended(proc: subprocess.Popen) -> str:
    try:
        code = proc.wait(5)
    except subprocess.TimeoutExpired:
        return "no exit code"
    return f"signal {-code}" if code < 0 else f"exit code {code}"


class _RemoteTraceback(Exception):
    """The traceback of an exception raised in the reading process."""

    def __init__(self, text: str) -> None:
        super().__init__(text)

    def __str__(self) -> str:
        return f"\n(in the reading process)\n{self.args[0]}"


def _die_with_parent(parent: int) -> None:
    """Linux: be killed when the thread that started this process ends."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the call above
        os._exit(0)


def _serve(conn: Connection, parent: int) -> None:
    """The reading process: runs each request sent, answers (status, value, traceback)."""
    global _IN_CHILD
    _IN_CHILD = True
    _die_with_parent(parent)
    conn.send("ready")
    while True:
        try:
            fn, args, kwargs = pickle.loads(conn.recv_bytes())
        except EOFError:  # openmrv closed the connection
            return
        try:
            answer: tuple = ("ok", fn(*args, **kwargs), "")
        except Exception as exc:
            answer = ("error", exc, traceback.format_exc())
        try:
            conn.send(answer)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            text = traceback.format_exc()
            conn.send(("error", RuntimeError(f"cannot send the result back: {exc}"), text))
