"""The openmrv exception hierarchy.

Every problem caused by user input derives from :class:`InputError` (a
``ValueError``), so callers and the command line can tell bad input apart from
bugs. Messages name the file, the row and the field, say what was found and what
was expected, and what to do.
"""

from __future__ import annotations

from pathlib import Path


class OpenMRVError(Exception):
    """Base class of all openmrv errors."""


class InputError(OpenMRVError, ValueError):
    """Bad user input: a file, row or field that is not what openmrv expects.

    Parameters
    ----------
    message
        What is wrong and what to do about it.
    file
        The file the problem is in, if any.
    row
        The 1-based line number in ``file`` (header is line 1), if any.
    field
        The column or key concerned, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = None if file is None else str(file)
        self.row = row
        self.field = field
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"line {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class CaseError(InputError):
    """A case folder (case.yaml, its CSV files) is invalid."""


class FactorError(InputError):
    """A factor table is invalid, or no (or more than one) factor matches a request."""


class DataFormatError(InputError):
    """An emissions dataset does not follow the openmrv data format."""


class UnitError(InputError):
    """A unit is missing, unknown, or has the wrong dimension."""


class ObservationError(InputError):
    """A satellite file or a soundings dataset is not what openmrv expects."""


class UnknownProductError(ObservationError):
    """No reader recognises a file (by its name and attributes)."""


class CorruptFileError(ObservationError):
    """A file cannot be opened or read: truncated, corrupt or not netCDF/HDF5."""


class MissingVariableError(ObservationError):
    """A variable or group that the product's spec requires is absent."""


class NotYetPublishedError(ObservationError):
    """A product is known by name but its layout is not published yet."""


class NoSoundingsError(ObservationError):
    """Every sounding of a file or batch was filtered out (or none was read)."""


class UnsafeFileError(CorruptFileError):
    """A file holds something openmrv refuses to load: code (a pickled object other than
    a date, time or number) or more data than the size limits admit."""
