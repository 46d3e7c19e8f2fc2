"""The library's own errors: one root, four kinds a caller can act on.

Messages name the object, the value and the rule that was broken, e.g.
``NotFoundError("file 'fl_123' not found in org 'org_a'")``.
"""


class SessionsError(Exception):
    """Root of every error this library raises on purpose."""


class NotFoundError(SessionsError):
    """A session, file, device, dataset or topic does not exist in the caller's org."""


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
