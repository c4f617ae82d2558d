"""Seeded fuzzing of each reader kind in CI: damaged copies of real files are read, or
refused with a typed openmrv error naming the file; never a crash, a hang or invalid
soundings (issue 20). ``bench/fuzz_readers.py`` runs the same code at length."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).parents[1] / "bench"
_spec = importlib.util.spec_from_file_location("fuzz_readers", BENCH / "fuzz_readers.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_readers"] = fuzz  # the worker process imports it by this name
_spec.loader.exec_module(fuzz)

N = 40  # mutations per kind: the whole test takes about 15 s
SEED = 20  # issue 20
# found by this test, not fixed here: netCDF4.Dataset() (netCDF-C 4.10.1, HDF5 2.2.0)
# never returns on the super-observation file with byte 3961 set to 252 -- a loop inside
# the C libraries, which Python cannot interrupt (see docs/security.md); listed so that
# any other hang fails the test, and so that a library fix shows here
KNOWN_HANGS = {("blended_superobs", 4)}
TIMEOUT_S = 10.0  # per file; a read takes well under 1 s


@pytest.fixture(scope="module")
def worker():
    w = fuzz.Worker(timeout=TIMEOUT_S)
    yield w
    w.close()


def test_mutations_are_deterministic():
    raw = fuzz.KINDS["npz_patch"].read_bytes()
    a = fuzz.mutate(raw, np.random.default_rng((SEED, 3, 7)))
    b = fuzz.mutate(raw, np.random.default_rng((SEED, 3, 7)))
    c = fuzz.mutate(raw, np.random.default_rng((SEED, 3, 8)))
    assert a == b and a != c and a[0] != raw


@pytest.mark.parametrize("kind", list(fuzz.KINDS))
def test_damaged_files_give_typed_errors(kind: str, worker, tmp_path: Path):
    result = fuzz.fuzz_kind(kind, N, SEED, worker, tmp_path)
    assert result.tried == N
    assert result.counts["typed"] > 0  # the damage reaches the readers
    bad = [(i, o) for i, o in result.failures if (kind, i) not in KNOWN_HANGS or o != "hang"]
    assert not bad, f"{kind}: {bad}; first: {result.examples}"


@pytest.mark.parametrize(("signal_name", "outcome"), [("SIGKILL", "crash"), ("SIGSTOP", "hang")])
def test_the_worker_counts_crashes_and_hangs(worker, signal_name: str, outcome: str):
    """The harness can fail: a reading process that dies or stops answering is counted,
    and the next file is read by a fresh one."""
    worker.read(fuzz.KINDS["npz_patch"])  # started and answering
    timeout, worker.timeout = worker.timeout, 2.0
    try:
        os.kill(worker.pid, getattr(signal, signal_name))
        assert worker.read(fuzz.KINDS["npz_patch"])[0] == outcome
    finally:
        worker.timeout = timeout
    assert worker.read(fuzz.KINDS["npz_patch"]) == ("read", "")
