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

from openmrv.observe.isolation import ENV_TIMEOUT

BENCH = Path(__file__).parents[1] / "bench"
_spec = importlib.util.spec_from_file_location("fuzz_readers", BENCH / "fuzz_readers.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_readers"] = fuzz  # the worker process imports it by this name
_spec.loader.exec_module(fuzz)

N = 40  # mutations per kind: the whole test takes about 15 s
SEED = 20  # issue 20
# with seed 20, blended_superobs mutation 4 (byte 3961 set to 252) makes netCDF4.Dataset()
# (netCDF-C 4.10.1, HDF5 2.2.0) never return; openmrv reads netCDF4/HDF5 files in a
# reading process with a time limit (openmrv.observe.isolation), so it is a typed error
READ_TIMEOUT_S = 4.0  # openmrv's own limit per file here (OPENMRV_READ_TIMEOUT_S)
TIMEOUT_S = 60.0  # the harness's, per file: the reading process's start and the limit


@pytest.fixture(scope="module")
def worker():
    saved = os.environ.get(ENV_TIMEOUT)
    os.environ[ENV_TIMEOUT] = str(READ_TIMEOUT_S)  # inherited by the harness's worker
    try:
        w = fuzz.Worker(timeout=TIMEOUT_S)
    finally:
        if saved is None:
            del os.environ[ENV_TIMEOUT]
        else:
            os.environ[ENV_TIMEOUT] = saved
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
    assert not result.failures, f"{kind}: {result.failures}; first: {result.examples}"


def test_the_file_that_hung_the_library_is_refused(worker, tmp_path: Path):
    raw = fuzz.KINDS["blended_superobs"].read_bytes()
    data, how = fuzz.mutate(raw, np.random.default_rng((SEED, 2, 4)))
    assert "3961=252" in how  # the mutation the fuzzer found
    f = tmp_path / fuzz.KINDS["blended_superobs"].name
    f.write_bytes(data)
    outcome, detail = worker.read(f)
    assert outcome == "typed" and "looks damaged" in detail, (outcome, detail)


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
