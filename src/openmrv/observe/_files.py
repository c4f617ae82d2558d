"""Uniform, read-only access to netCDF4, HDF5 and numpy ``.npz`` files (private).

Each opener returns a small object with ``has(path)``, ``read(path)``, ``units(path)``
and ``attrs``; fill values become NaN. Failures to open are turned into
:class:`~openmrv.errors.CorruptFileError` naming the file.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import pickle
import re
import tokenize
import zipfile
import zlib
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from openmrv.errors import CorruptFileError, UnitError, UnsafeFileError

# what a damaged file can raise while it is opened or read
READ_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    RuntimeError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    EOFError,
    OverflowError,
    zipfile.BadZipFile,
    zlib.error,
    pickle.UnpicklingError,
    SyntaxError,  # numpy parses a damaged .npy header with ast
    tokenize.TokenError,
)

# canonical unit -> {unit string found in files -> factor to the canonical unit}
CONVERSIONS: dict[str, dict[str, float]] = {
    "ppb": {"1e-9": 1.0, "ppb": 1.0, "ppbv": 1.0, "1e-6": 1e3, "ppm": 1e3, "mol mol-1": 1e9},
    "ppm": {"1e-6": 1.0, "ppm": 1.0, "ppmv": 1.0, "1e-9": 1e-3, "ppb": 1e-3, "mol mol-1": 1e6},
    "Pa": {"Pa": 1.0, "hPa": 100.0, "hpa": 100.0, "mbar": 100.0, "millibars": 100.0},
    "degrees_north": {"degrees_north": 1.0, "deg": 1.0, "degree": 1.0, "degrees": 1.0},
    "degrees_east": {"degrees_east": 1.0, "deg": 1.0, "degree": 1.0, "degrees": 1.0},
    "1": {"1": 1.0, "": 1.0, "none": 1.0},
    "mol m-2": {"mol m-2": 1.0, "mol/m2": 1.0, "mol m^-2": 1.0},
    "m s-1": {"m s-1": 1.0, "m/s": 1.0, "m s**-1": 1.0},
    "m": {"m": 1.0, "metres": 1.0, "meters": 1.0},
    "K": {"K": 1.0, "kelvin": 1.0},
}


def conversion_factor(unit: str | None, canonical: str, *, file: Path, field: str) -> float:
    """Factor from ``unit`` (as found in ``file``) to the canonical unit.

    Raises
    ------
    openmrv.errors.UnitError
        If the unit is missing or not one openmrv knows for this quantity.
    """
    table = CONVERSIONS[canonical]
    if unit is None:
        raise UnitError(
            f"has no units attribute; expected one of {sorted(table)}", file=file, field=field
        )
    key = unit.strip()
    if key not in table:
        raise UnitError(
            f"unknown unit '{unit}' for a quantity in {canonical}; known: {sorted(table)}",
            file=file,
            field=field,
        )
    return table[key]


def _text(value: Any) -> str:
    if isinstance(value, np.ndarray):
        value = value.ravel()[0] if value.size else ""
    if isinstance(value, bytes | np.bytes_):
        value = value.decode("utf-8", "replace")
    return str(value).strip()


class SourceFile(Protocol):
    """What a reader needs from an open file."""

    path: Path
    attrs: Mapping[str, str]
    #: set by ``read_soundings(qa=True)``: readers screen by the product's rules as they
    #: filter (``readers._finish``)
    screen: bool

    def has(self, name: str) -> bool: ...

    def read(self, name: str) -> np.ndarray: ...

    def units(self, name: str) -> str | None: ...

    def close(self) -> None: ...


class NetCDFFile:
    """A netCDF4 file; variable names may contain groups (``PRODUCT/qa_value``)."""

    screen = False

    def __init__(self, path: Path) -> None:
        import netCDF4

        self.path = path
        try:
            self._ds = netCDF4.Dataset(path, "r")
        except (OSError, RuntimeError, ValueError) as exc:
            raise CorruptFileError(f"cannot open as netCDF4: {exc}", file=path) from exc
        try:
            self.attrs = {k: _text(v) for k, v in self._attributes(self._ds, "the file").items()}
        except CorruptFileError:
            self._ds.close()
            raise
        except READ_ERRORS as exc:
            self._ds.close()
            raise CorruptFileError(f"cannot read the global attributes: {exc}", file=path) from exc

    def _attributes(self, obj: Any, what: str) -> dict[str, Any]:
        """The attributes of the dataset or a variable. netCDF4 reports a damaged attribute
        table (an HDF5 attribute that cannot be opened) as AttributeError: a corrupt file."""
        try:
            return {k: obj.getncattr(k) for k in obj.ncattrs()}
        except AttributeError as exc:
            raise CorruptFileError(
                f"cannot read the attributes of {what} ({exc}): the file is damaged; "
                "download it again or leave it out",
                file=self.path,
            ) from exc

    def _var(self, name: str):
        group, _, var = name.rpartition("/")
        g = self._ds
        for part in [p for p in group.split("/") if p]:
            g = g.groups[part]
        return g.variables[var]

    def has(self, name: str) -> bool:
        try:
            self._var(name)
        except KeyError:
            return False
        return True

    def read(self, name: str) -> np.ndarray:
        v = self._var(name)
        if v.dtype is str or getattr(v.dtype, "kind", "") in "SUO":
            return np.asarray(v[...], dtype=object)
        return _unpack(v, self._attributes(v, f"variable '{name}'"))

    def units(self, name: str) -> str | None:
        attrs = self._attributes(self._var(name), f"variable '{name}'")
        return _text(attrs["units"]) if "units" in attrs else None

    def close(self) -> None:
        self._ds.close()


def _unpack(v: Any, attrs: Mapping[str, Any]) -> np.ndarray:
    """Read a numeric netCDF variable as float64 with NaN for missing values.

    The CF rules netCDF4's masked arrays apply -- ``_FillValue`` (or the netCDF
    default fill), ``missing_value``, ``valid_min``/``valid_max``/``valid_range``
    on the packed values, then ``scale_factor`` and ``add_offset`` -- applied here
    on plain arrays, which is faster than building masked arrays.
    """
    import netCDF4

    v.set_auto_maskandscale(False)
    raw = np.asarray(v[...])
    tests: list[np.ndarray] = []  # packed values that mean "missing"
    if "_FillValue" in attrs:
        tests.append(raw == attrs["_FillValue"])
    elif raw.dtype.itemsize > 1 and raw.dtype.str[1:] in netCDF4.default_fillvals:
        tests.append(raw == netCDF4.default_fillvals[raw.dtype.str[1:]])
    if "missing_value" in attrs:
        tests.extend(raw == value for value in np.ravel(attrs["missing_value"]))
    if "valid_range" in attrs:
        lo, hi = np.ravel(attrs["valid_range"])[:2]
        tests.append((raw < lo) | (raw > hi))
    if "valid_min" in attrs:
        tests.append(raw < attrs["valid_min"])
    if "valid_max" in attrs:
        tests.append(raw > attrs["valid_max"])
    data = raw  # scaled in the type of scale_factor, as netCDF4 does (0.01 as float32
    if "scale_factor" in attrs:  # times 100 gives exactly 1.0, as the product intends)
        data = data * attrs["scale_factor"]
    if "add_offset" in attrs:
        data = data + attrs["add_offset"]
    # one float64 array; NaN stays NaN
    out = data.astype(np.float64, copy=False)  # raw is a fresh array read from the file
    if tests:
        np.putmask(out, tests[0] if len(tests) == 1 else np.logical_or.reduce(tests), np.nan)
    return out


class HDF5File:
    """An HDF5 file read with h5py; units from the ``unit`` (NIES) or ``units`` attribute."""

    screen = False

    def __init__(self, path: Path) -> None:
        import h5py

        self.path = path
        try:
            self._f = h5py.File(path, "r")
        except (OSError, RuntimeError, ValueError) as exc:
            raise CorruptFileError(f"cannot open as HDF5: {exc}", file=path) from exc
        try:  # a damaged root group opens but fails here
            self.attrs = {k: _text(v) for k, v in self._f.attrs.items()}
        except READ_ERRORS as exc:
            self._f.close()
            raise CorruptFileError(f"cannot read the HDF5 root group: {exc}", file=path) from exc

    def has(self, name: str) -> bool:
        return name in self._f

    def read(self, name: str) -> np.ndarray:
        d = self._f[name]
        data = d[()]
        if data.dtype.kind in "SO":
            return np.array([_text(x) for x in np.ravel(data)], dtype=object)
        out = np.asarray(data, dtype=np.float64)
        for key in ("_FillValue", "fillValue", "invalidValue"):
            if key in d.attrs:
                out[out == float(np.ravel(d.attrs[key])[0])] = np.nan
        return out

    def units(self, name: str) -> str | None:
        attrs = self._f[name].attrs
        for key in ("unit", "units"):
            if key in attrs:
                return _text(attrs[key])
        return None

    def close(self) -> None:
        self._f.close()


def _load_npz_limits() -> dict[str, int]:
    """The size limits of ``.npz`` members, from ``data/npz_limits.csv`` (each with why)."""
    with (files("openmrv.observe") / "data" / _NPZ_LIMITS_TABLE).open(encoding="utf-8") as fh:
        return {row["limit"]: int(row["value"]) for row in csv.DictReader(fh)}


_NPZ_LIMITS_TABLE = "npz_limits.csv"
#: max_members, max_member_bytes, max_total_bytes, max_object_member_bytes: see the table
NPZ_LIMITS: dict[str, int] = _load_npz_limits()
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive


class _ArrayStub:
    """An ndarray as a pickle describes it; built by :func:`_build_array` after checks.

    numpy's own ``ndarray.__setstate__`` is never given a state from a file: it trusts
    the state (an object array whose list is shorter than its shape crashes the process).
    """

    state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _DtypeStub:
    """A dtype as a pickle describes it; resolved by :func:`_resolve_dtype` after checks."""

    spec: Any = None
    state: Any = None

    def __init__(self, spec: Any, align: Any = False, copy: Any = True) -> None:
        self.spec = spec

    def __setstate__(self, state: Any) -> None:
        self.state = state


#: what an element of an object array may be (a pickle builds lists, dicts and tuples
#: without naming a class: they are data, but no scene needs them)
_OBJECT_VALUES = (
    datetime.date,  # and datetime.datetime
    datetime.time,
    datetime.timedelta,
    int,
    float,
    complex,
    str,
    bytes,
    np.generic,
    type(None),
)
_NDARRAY = object()  # stands for numpy.ndarray in a pickle: an argument, never called
_DTYPE_SPEC = re.compile(r"[biufcOmM]\d{1,2}")  # numbers, date/time, object (not structured)
_TIME_UNITS = {"Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "generic"}


def _new_array(subtype: Any, shape: Any, dtype: Any) -> _ArrayStub:
    """numpy's ``_reconstruct`` as numpy's pickles call it: an empty array to be filled."""
    if subtype is not _NDARRAY or shape != (0,):
        raise pickle.UnpicklingError("an array is not pickled the way numpy pickles one")
    return _ArrayStub()


def _resolve_dtype(stub: Any) -> np.dtype:
    """A real dtype from a pickled one: numbers, date/time and objects only."""
    spec, state = getattr(stub, "spec", None), getattr(stub, "state", None)
    if not isinstance(stub, _DtypeStub) or not isinstance(spec, str):
        raise pickle.UnpicklingError("a dtype is not pickled the way numpy pickles one")
    if not _DTYPE_SPEC.fullmatch(spec):
        raise pickle.UnpicklingError(f"dtype '{spec}' is not a number, date/time or object")
    if not isinstance(state, tuple) or len(state) not in (8, 9) or state[1] not in "<>|=":
        raise pickle.UnpicklingError(f"dtype '{spec}' has an unknown pickled state")
    if spec[0] in "mM":  # the unit: state[8] == (None, (b"ns", 1, 1, 1))
        try:
            unit, count = state[8][1][0].decode("ascii"), int(state[8][1][1])
        except (IndexError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise pickle.UnpicklingError(f"dtype '{spec}' has no readable unit") from exc
        if unit not in _TIME_UNITS or not 1 <= count < 2**31:
            raise pickle.UnpicklingError(f"dtype '{spec}' has an unknown unit")
        dtype = np.dtype(f"{spec[0]}8[{count}{unit}]")
    else:
        dtype = np.dtype(spec)
    return dtype.newbyteorder(state[1]) if state[1] in "<>" else dtype


def _build_array(stub: Any, nested: bool = False) -> np.ndarray:
    """A checked ndarray from a pickled one: its data must match its shape and type."""
    state = getattr(stub, "state", None)
    if not isinstance(stub, _ArrayStub) or not isinstance(state, tuple) or len(state) != 5:
        raise pickle.UnpicklingError("an array is not pickled the way numpy pickles one")
    _, shape, dtype_stub, fortran, data = state
    if not isinstance(shape, tuple) or not all(type(n) is int and n >= 0 for n in shape):
        raise pickle.UnpicklingError(f"an array has shape {shape!r}")
    n, dtype = math.prod(shape), _resolve_dtype(dtype_stub)
    order = "F" if fortran is True else "C"
    if dtype.kind != "O":
        if not isinstance(data, bytes) or len(data) != n * dtype.itemsize:
            raise pickle.UnpicklingError(f"an array of shape {shape} has the wrong data size")
        return np.frombuffer(data, dtype=dtype).reshape(shape, order=order).copy()
    if nested or not isinstance(data, list) or len(data) != n:
        raise pickle.UnpicklingError(f"an object array of shape {shape} has the wrong data")
    out = np.empty(n, dtype=object)
    for i, value in enumerate(data):
        if isinstance(value, _ArrayStub):
            value = _build_array(value, nested=True)
        elif not isinstance(value, _OBJECT_VALUES):
            raise pickle.UnpicklingError(
                f"an object array holds a {type(value).__name__}; only numbers, strings "
                "and date/time values are read"
            )
        out[i] = value
    return out.reshape(shape, order=order)


def _numeric_scalar(dtype_stub: Any, data: Any) -> Any:
    """numpy's ``scalar`` for numbers and date/time: a value of one element's bytes."""
    dtype = _resolve_dtype(dtype_stub)
    if dtype.kind == "O" or not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise pickle.UnpicklingError(f"a numpy scalar of type {dtype} has the wrong data")
    return np.frombuffer(data, dtype=dtype)[0]


#: what an object member of an ``.npz`` may contain: numpy arrays and numbers (built by
#: openmrv from checked data, never by numpy's unpickling code), date and time --
#: ``(module, name) -> the object used``. Anything else in a pickle (a function, a class
#: with side effects, ``builtins``) is refused unrun.
PICKLE_ALLOWED: dict[tuple[str, str], Any] = {
    **{
        (m, "_reconstruct"): _new_array for m in ("numpy.core.multiarray", "numpy._core.multiarray")
    },
    **{(m, "scalar"): _numeric_scalar for m in ("numpy.core.multiarray", "numpy._core.multiarray")},
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _DtypeStub,
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "date"): datetime.date,
    ("datetime", "time"): datetime.time,
    ("datetime", "timedelta"): datetime.timedelta,
    ("datetime", "timezone"): datetime.timezone,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only the globals of :data:`PICKLE_ALLOWED`; names the file on refusal."""

    def __init__(self, fh: io.BytesIO, path: Path, member: str) -> None:
        super().__init__(fh)
        self.path, self.member = path, member

    def find_class(self, module: str, name: str) -> Any:
        try:
            return PICKLE_ALLOWED[(module, name)]
        except KeyError:
            raise UnsafeFileError(
                f"member '{self.member}' holds a pickled {module}.{name}, which openmrv "
                "refuses to load (it could run code); an .npz member may hold numbers, "
                "strings or date/time objects only: re-save the file with plain arrays "
                "(times as numbers or ISO strings), or leave it out if you do not trust it",
                file=self.path,
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafeFileError(
            f"member '{self.member}' holds a pickle with persistent ids; refused",
            file=self.path,
        )


def _npy_header(fh: io.BytesIO) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    # 3.0 differs from 2.0 only in a UTF-8 (not Latin-1) header: shape and sizes read alike
    return np.lib.format.read_array_header_2_0(fh)


class NpzFile:
    """A numpy ``.npz`` archive, read without ever running code from it.

    The archive must be a zip file (a pickle renamed ``.npz`` is refused before any
    unpickling); its members are refused beyond the size limits of
    ``data/npz_limits.csv`` (:data:`NPZ_LIMITS`) -- the uncompressed sizes the zip
    directory declares when the file is opened, what a member actually decompresses to
    when it is read. Members of plain types are read with ``allow_pickle=False``;
    members of Python objects (the development patches store ``time`` as datetime
    objects) only through an unpickler that admits numpy arrays, date/time types and
    numbers (:data:`PICKLE_ALLOWED`), and are refused otherwise
    (:class:`~openmrv.errors.UnsafeFileError`).
    """

    screen = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = open(path, "rb")  # closed in close(), or below on failure
        try:
            if self._fh.read(4) not in _ZIP_MAGIC:
                raise CorruptFileError(
                    "not a zip archive, so not an .npz (it may be a pickle or a single .npy, "
                    "which openmrv does not load): give the scene as an .npz of plain arrays",
                    file=path,
                )
            self._fh.seek(0)
            self._z = zipfile.ZipFile(self._fh)
            self._members = {
                info.filename.removesuffix(".npy"): info for info in self._z.infolist()
            }
            self._check_directory()
        except CorruptFileError:  # before READ_ERRORS: it is a ValueError too
            self._fh.close()
            raise
        except READ_ERRORS as exc:
            self._fh.close()
            raise CorruptFileError(f"cannot open as .npz: {exc}", file=path) from exc
        self.attrs: dict[str, str] = {}

    def _refuse(self, what: str) -> UnsafeFileError:
        return UnsafeFileError(
            f"{what}; openmrv refuses larger .npz files (limits in openmrv/observe/data/"
            f"{_NPZ_LIMITS_TABLE}, with why): check the file, or split the scene",
            file=self.path,
        )

    def _check_directory(self) -> None:
        """The zip directory's declared sizes against the limits, before anything is read."""
        n = len(self._members)
        if n > NPZ_LIMITS["max_members"]:
            raise self._refuse(f"{n} members, more than {NPZ_LIMITS['max_members']}")
        total = 0
        for key, info in self._members.items():
            if info.file_size > NPZ_LIMITS["max_member_bytes"]:
                raise self._refuse(
                    f"member '{key}' declares {info.file_size} bytes uncompressed, more "
                    f"than {NPZ_LIMITS['max_member_bytes']}"
                )
            total += info.file_size
        if total > NPZ_LIMITS["max_total_bytes"]:
            raise self._refuse(
                f"the members declare {total} bytes uncompressed together, more than "
                f"{NPZ_LIMITS['max_total_bytes']}"
            )

    def has(self, name: str) -> bool:
        return name in self._members

    def _member_bytes(self, name: str) -> bytes:
        """A member decompressed, never more than the per-member limit (whatever the zip
        directory claims)."""
        limit = NPZ_LIMITS["max_member_bytes"]
        with self._z.open(self._members[name]) as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise self._refuse(f"member '{name}' decompresses to more than {limit} bytes")
        return data

    def read(self, name: str) -> np.ndarray:
        try:
            data = self._read_member(name)
        except CorruptFileError:  # before READ_ERRORS: it is a ValueError too
            raise
        except READ_ERRORS as exc:
            raise CorruptFileError(f"cannot read member '{name}': {exc}", file=self.path) from exc
        if data.dtype.kind == "O":
            return data
        return np.asarray(data, dtype=np.float64)

    def _read_member(self, name: str) -> np.ndarray:
        raw = self._member_bytes(name)
        fh = io.BytesIO(raw)
        shape, _, dtype = _npy_header(fh)
        if dtype.hasobject:
            limit = NPZ_LIMITS["max_object_member_bytes"]
            if len(raw) > limit:
                raise self._refuse(
                    f"member '{name}' holds {len(raw)} bytes of Python objects, more than {limit}"
                )
            try:
                array = _build_array(_RestrictedUnpickler(fh, self.path, name).load())
            except AttributeError as exc:  # a pickle's BUILD on an object without state
                raise pickle.UnpicklingError(str(exc)) from exc
            if array.shape != shape:
                raise CorruptFileError(
                    f"member '{name}' does not hold the array of shape {shape} its header declares",
                    file=self.path,
                )
            return array
        # a header may declare any shape: the data must be there before numpy allocates it
        expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if expected != len(raw) - fh.tell():
            raise CorruptFileError(
                f"member '{name}' declares shape {shape} of {dtype} ({expected} bytes) but "
                f"holds {len(raw) - fh.tell()} bytes",
                file=self.path,
            )
        fh.seek(0)
        return np.lib.format.read_array(fh, allow_pickle=False)

    def units(self, name: str) -> str | None:
        return None

    def close(self) -> None:
        self._z.close()
        self._fh.close()


OPENERS = {"netcdf": NetCDFFile, "hdf5": HDF5File, "npz": NpzFile}
