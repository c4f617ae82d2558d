"""Fuzzing the readers with mutated real files: typed errors (InputError) only, never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observe.synthetic import PATCH_NO_BOUNDS, SUPEROBS, write_gosat_nies
from openmrv.errors import InputError
from openmrv.observe import ensure_valid_soundings, read_soundings

_GOSAT = write_gosat_nies(Path(tempfile.mkdtemp()) / "GOSATTFTS20120101_02C02SV0295R1.h5")
FILES = [SUPEROBS, PATCH_NO_BOUNDS, _GOSAT]


def _check(path: Path) -> None:
    try:
        ds = read_soundings(path)
    except InputError:
        return
    ensure_valid_soundings(ds)


@pytest.mark.parametrize("source", FILES, ids=lambda p: p.suffix)
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_bytes(tmp_path_factory, source: Path, data):
    raw = bytearray(source.read_bytes())
    edits = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)), min_size=1, max_size=20
        )
    )
    for pos, byte in edits:
        raw[pos] = byte
    cut = data.draw(st.one_of(st.none(), st.integers(0, len(raw))))
    f = tmp_path_factory.mktemp("fuzz") / source.name
    f.write_bytes(bytes(raw[:cut]))
    _check(f)


def test_damaged_hdf5_root_group(tmp_path: Path):
    """A byte found by the fuzzer: the file opens, its root group does not (KeyError in h5py)."""
    raw = bytearray(_GOSAT.read_bytes())
    raw[112] = 0
    f = tmp_path / _GOSAT.name
    f.write_bytes(bytes(raw))
    with pytest.raises(InputError, match=_GOSAT.name):
        read_soundings(f)
