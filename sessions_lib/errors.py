"""The library's own errors: one root, four kinds a caller can act on.

Messages name the object, the value and the rule that was broken. An error that is raised from
several places builds its message itself from the values, so it reads the same everywhere:

>>> str(NotFoundError("file", "fl_123", "org_a"))
"file 'fl_123' not found in org 'org_a'"
>>> str(NotFoundError("device", ["dv_x", "dv_y"], "org_a"))
"device(s) ['dv_x', 'dv_y'] not found in org 'org_a'; nothing was changed"
"""

from __future__ import annotations

from collections.abc import Sequence


class SessionsError(Exception):
    """Root of every error this library raises on purpose."""


class NotFoundError(SessionsError):
    """A session, file, device, dataset or topic does not exist in the caller's org.

    ``missing`` is one id (or name), or the ids of a request that was refused whole.
    """

    def __init__(self, kind: str, missing: str | Sequence[str], org_id: str) -> None:
        self.kind, self.missing, self.org_id = kind, missing, org_id
        if isinstance(missing, str):
            message = f"{kind} {missing!r} not found in org {org_id!r}"
        else:
            message = f"{kind}(s) {list(missing)} not found in org {org_id!r}; nothing was changed"
        super().__init__(message)

    def __reduce__(self) -> tuple[type[NotFoundError], tuple[str, str | Sequence[str], str]]:
        return (type(self), (self.kind, self.missing, self.org_id))  # pickles across processes


class InvalidRequestError(SessionsError, ValueError):
    """The request breaks a rule (a name too long, a one-sided range, ...); nothing was written."""


class ConflictError(SessionsError):
    """The request conflicts with the catalog's state; nothing was written."""


class AlreadyExistsError(ConflictError):
    """A device, dataset or file with the given id (or path) already exists in the org."""


class CatalogBusyError(ConflictError):
    """The catalog stayed locked or conflicting past the retry budget; retrying later may work."""


class PermissionDeniedError(SessionsError):
    """The caller is not a member of the org it asked to act in."""


class CatalogError(SessionsError):
    """The catalog could not be opened or answered with an error that retrying will not fix."""


class ReaderError(SessionsError):
    """A recording could not be read (corrupt, truncated, empty or of an unknown format).

    The message names the file and what was wrong with it; ingestion records it on the file's
    row and moves on.
    """
