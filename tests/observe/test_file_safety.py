"""Scene and satellite files come from other people: reading one never runs code, never
exhausts memory, and a damaged one gives a typed error naming the file (issue 20)."""

from __future__ import annotations

import datetime
import io
import pathlib
import pickle
import shutil
import time
import zipfile
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from observe.synthetic import PATCH, PATCH_NO_BOUNDS, SHARED, UOL
from openmrv.errors import (
    CorruptFileError,
    NoSoundingsError,
    OpenMRVError,
    UnsafeFileError,
)
from openmrv.observe import batch
from openmrv.observe._files import NPZ_LIMITS, NpzFile
from openmrv.observe.registry import _EXTRA, Reader, read_soundings, readers, register
from openmrv.observe.scenes import scene_arrays


class _Payload:
    """Unpickled, it would create ``marker``: the stand-in for any code in a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def _patch_with(path: Path, source: Path = PATCH_NO_BOUNDS, **members: bytes) -> Path:
    """A copy of a real patch with some members replaced by raw ``.npy`` bytes."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            key = info.filename.removesuffix(".npy")
            dst.writestr(info.filename, members.pop(key, None) or src.read(info))
        for key, raw in members.items():
            dst.writestr(key + ".npy", raw)
    return path


def test_object_array_with_code_is_refused_and_never_runs(tmp_path: Path):
    marker = tmp_path / "code_ran"
    evil = np.array([_Payload(marker)] * 32, dtype=object)
    f = _patch_with(tmp_path / PATCH_NO_BOUNDS.name, time=_npy(evil))
    with pytest.raises(UnsafeFileError, match=PATCH_NO_BOUNDS.name) as info:
        read_soundings(f)
    assert not marker.exists()
    assert "pathlib" in str(info.value) and "'time'" in str(info.value)
    assert isinstance(info.value, CorruptFileError)  # bad-file handling covers it


def test_raw_pickle_named_npz_is_refused_before_unpickling(tmp_path: Path):
    marker = tmp_path / "code_ran"
    f = tmp_path / PATCH.name
    f.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(CorruptFileError, match=f"{PATCH.name}.*not a zip archive"):
        read_soundings(f)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (OrderedDict(), UnsafeFileError, "collections.OrderedDict"),  # a class: refused unrun
        ({}, CorruptFileError, "holds a dict"),  # plain data, but not a number or time
    ],
)
def test_object_array_of_other_values_is_refused(tmp_path: Path, value, error, message):
    """Only numbers, strings and date/time values pass."""
    array = np.empty(1, dtype=object)
    array[0] = value
    f = _patch_with(tmp_path / PATCH.name, source=PATCH, extra=_npy(array))
    src = NpzFile(f)
    try:
        with pytest.raises(error, match=f"{PATCH.name}.*'extra'.*{message}"):
            src.read("extra")
    finally:
        src.close()


def test_object_array_of_numbers_and_times_is_read(tmp_path: Path):
    values = [
        datetime.datetime(2021, 1, 3, 8, 42, tzinfo=datetime.UTC),
        datetime.date(2021, 1, 3),
        datetime.timedelta(seconds=5),
        np.float64(1.5),
        np.datetime64("2021-01-03T08:42", "ns"),
        np.array([1.0, 2.0], dtype=">f4"),
        "2021-01-03T08:42:00Z",
        7,
        None,
    ]
    array = np.empty(len(values), dtype=object)
    array[:] = values
    f = _patch_with(tmp_path / PATCH.name, source=PATCH, extra=_npy(array.reshape(3, 3)))
    src = NpzFile(f)
    try:
        got = src.read("extra")
    finally:
        src.close()
    assert got.shape == (3, 3)
    for g, v in zip(got.ravel(), values, strict=True):
        if isinstance(v, np.ndarray):
            assert g.dtype == v.dtype and (g == v).all()
        else:
            assert g == v and type(g) is type(v)


def _zip_bomb(path: Path, nbytes: int) -> Path:
    """A patch whose ``methane`` decompresses to ``nbytes`` of zeros (about 1000:1)."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (nbytes // 8,)}
    )
    with zipfile.ZipFile(PATCH_NO_BOUNDS) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            if info.filename != "methane.npy":
                dst.writestr(info.filename, src.read(info))
        member = zipfile.ZipInfo("methane.npy")
        member.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(member, "w", force_zip64=True) as out:
            out.write(header.getvalue())
            chunk = bytes(1 << 20)
            for _ in range(nbytes >> 20):
                out.write(chunk)
    return path


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    limit = NPZ_LIMITS["max_member_bytes"]
    path = tmp_path_factory.mktemp("bomb") / PATCH_NO_BOUNDS.name
    # member 2x the limit, deflated: the file is ~1000x smaller than what it unpacks to
    _zip_bomb(path, 2 * limit)
    assert path.stat().st_size < limit // 100
    return path


def test_zip_bomb_is_refused_quickly(zip_bomb: Path):
    t0 = time.perf_counter()
    with pytest.raises(CorruptFileError, match=f"{zip_bomb.name}.*'methane'.*uncompressed"):
        read_soundings(zip_bomb)
    assert time.perf_counter() - t0 < 2.0


def test_size_declared_smaller_than_the_data_is_refused(tmp_path: Path):
    """A zip directory that understates a member's size: the reader stops at the cap
    (or at the declared size, where zipfile then finds the checksum wrong)."""
    f = tmp_path / PATCH_NO_BOUNDS.name
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as dst:
        dst.writestr("methane.npy", _npy(np.zeros((32, 32))))
    raw = bytearray(f.read_bytes())
    size = (32 * 32 * 8 + 128).to_bytes(4, "little")
    assert raw.count(size) == 2  # the local header and the central directory
    raw = raw.replace(size, (1000).to_bytes(4, "little"))
    f.write_bytes(bytes(raw))
    src = NpzFile(f)
    try:
        with pytest.raises(CorruptFileError, match=f"{f.name}.*'methane'"):
            src.read("methane")
    finally:
        src.close()


def test_too_many_members_is_refused(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(NPZ_LIMITS, "max_members", 3)
    with pytest.raises(CorruptFileError, match=f"{PATCH.name}.*members"):
        NpzFile(shutil.copy(PATCH, tmp_path / PATCH.name))


def _real_patches() -> list[Path]:
    shared = SHARED / "plumes" / "tropomi_patches"
    return [PATCH, PATCH_NO_BOUNDS, *sorted(shared.glob("*.npz"))]


@pytest.mark.parametrize("path", _real_patches(), ids=lambda p: p.name[:20])
def test_real_patches_read_as_before(path: Path):
    """Every member of the real patches equals numpy's own (trusting) reading of it."""
    src = NpzFile(path)
    try:
        with np.load(path, allow_pickle=True) as ref:
            assert sorted(ref.files) == sorted(k for k in ref.files if src.has(k))
            for key in ref.files:
                want = ref[key]
                got = src.read(key)
                if want.dtype.kind == "O":
                    assert got.dtype.kind == "O" and list(got) == list(want)
                else:
                    np.testing.assert_array_equal(got, want.astype(np.float64))
    finally:
        src.close()


def test_patch_times_still_read():
    ds = read_soundings(PATCH)
    with np.load(PATCH, allow_pickle=True) as ref:
        want = np.array(ref["time"], dtype="datetime64[ns]")
    np.testing.assert_array_equal(ds["time"].values, want[ds["scene_row"].values])


# a byte of the UoL GOSAT file found by fuzzing: the global attribute table of the
# netCDF4/HDF5 file breaks, and netCDF4 raises AttributeError while listing the attributes
GOSAT_BAD_BYTE = (1410357, 33)


def _flipped_gosat(tmp_path: Path) -> Path:
    raw = bytearray(UOL.read_bytes())
    pos, value = GOSAT_BAD_BYTE
    assert raw[pos] != value
    raw[pos] = value
    f = tmp_path / UOL.name
    f.write_bytes(bytes(raw))
    return f


def test_gosat_with_a_flipped_byte_gives_a_typed_error(tmp_path: Path):
    f = _flipped_gosat(tmp_path)
    with pytest.raises(CorruptFileError, match=f"{UOL.name}.*attribute"):
        read_soundings(f)


def test_batch_lists_the_flipped_gosat_file_as_bad(tmp_path: Path):
    kept, _, n_read, error = batch.read_file(_flipped_gosat(tmp_path))
    assert kept is None and n_read == 0 and UOL.name in error


class _TypedNotInput(OpenMRVError):
    """An openmrv error of a bad file that is not (yet) an InputError."""


def test_batch_treats_every_typed_error_as_a_bad_file(tmp_path: Path):
    spec = replace(readers()["tropomi_plume_patch"].spec, name="typed_but_not_input")
    spec = replace(spec, filename=r"^typed_.*\.npz$")

    def fails(src, spec):
        raise _TypedNotInput(f"{src.path}: cannot be used")

    register(Reader(spec, fails))
    try:
        f = shutil.copy(PATCH, tmp_path / "typed_patch.npz")
        kept, _, _, error = batch.read_file(f)
    finally:
        _EXTRA.pop(spec.name)
    assert kept is None and "typed_patch.npz: cannot be used" in error


def _all_nan_patch(tmp_path: Path) -> Path:
    with np.load(PATCH_NO_BOUNDS, allow_pickle=True) as z:
        methane = np.full_like(z["methane"], np.nan)
    return _patch_with(tmp_path / PATCH_NO_BOUNDS.name, methane=_npy(methane))


def test_all_nan_patch_gives_a_typed_error(tmp_path: Path):
    f = _all_nan_patch(tmp_path)
    with pytest.raises(NoSoundingsError, match=f"{f.name}.*no pixel"):
        read_soundings(f)
    with pytest.raises(NoSoundingsError, match=f.name):
        scene_arrays(f)  # was an IndexError
