"""The workspace's refusals, each mapped to one HTTP status by the JSON API."""

from __future__ import annotations

from typing import Any

from openmrv.errors import OpenMRVError


class WorkspaceError(OpenMRVError):
    """A request the workspace refuses; ``status`` is its HTTP status code."""

    status = 400


class NotFoundError(WorkspaceError):
    """No such case, row, version or run."""

    status = 404


class ForbiddenError(WorkspaceError):
    """The user's role or sectors do not allow this."""

    status = 403


class ConflictError(WorkspaceError):
    """The record changed since the version the request was made from (``current`` is the
    record as it is now, for the person to resolve the conflict)."""

    status = 409

    def __init__(self, message: str, current: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.current = current


class PreconditionRequiredError(WorkspaceError):
    """A change came without the ``If-Match`` version it was made from."""

    status = 428


class LockedError(WorkspaceError):
    """The record belongs to an approved, locked inventory version."""

    status = 423
