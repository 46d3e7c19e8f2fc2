"""Gitignore-style path patterns: which files of a dataset a request (or a device) means."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

import pathspec

from sessions_lib.errors import InvalidRequestError
from sessions_lib.model.validation import as_sequence, shown


class _HasPath(Protocol):
    @property
    def relative_path(self) -> str: ...


P = TypeVar("P", bound=_HasPath)


class FileFilter:
    """Gitignore-style include and exclude patterns over a file's relative path.

    ``include_patterns=None`` includes every file (an empty list, none); ``!pattern`` negates within
    a list, and the last matching pattern decides, as in ``.gitignore``. Exclusion wins.

    >>> FileFilter(["*.mcap", "!scratch/"], ["**/tmp-*"]).matches("flights/a.mcap")
    True
    """

    def __init__(
        self, include_patterns: Sequence[str] | None, exclude_patterns: Sequence[str] | None
    ) -> None:
        self.include = gitignore_spec("include_patterns", include_patterns)
        self.exclude = gitignore_spec("exclude_patterns", exclude_patterns)

    def matches(self, relative_path: str) -> bool:
        included = self.include is None or self.include.match_file(relative_path)
        return included and not (self.exclude is not None and self.exclude.match_file(relative_path))

    def select(self, files: Iterable[P]) -> list[P]:
        return [f for f in files if self.matches(f.relative_path)]


def gitignore_spec(argument: str, patterns: Sequence[str] | None) -> pathspec.GitIgnoreSpec | None:
    """Patterns as one gitignore matcher (``None`` for none); a lone string is refused, not split."""
    if patterns is None:
        return None
    given = as_sequence(argument, patterns, "gitignore-style patterns")
    if not all(isinstance(p, str) for p in given):
        raise InvalidRequestError(
            f"{argument} must be a list of gitignore-style patterns, got {shown(given)}"
        )
    return pathspec.GitIgnoreSpec.from_lines(given)
