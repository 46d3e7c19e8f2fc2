"""The ``sessions`` command line: commands that only call the library."""

from sessions_lib.cli.commands import app

__all__ = ["app"]
