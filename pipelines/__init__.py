"""Dagster code location of the sessions pipeline: ``defs``, assembled in ``pipelines.definitions``.

``defs`` is loaded on first use (PEP 562), so ``import pipelines.cli`` (the ``sessions`` command)
does not import Dagster; ``from pipelines import defs`` and Dagster's loader (``dagster dev -m
pipelines``, which lists the module's members with ``dir``) load it then.

The name ``pipelines.defs`` is that ``Definitions``, although a folder ``pipelines/defs/`` holds the
definitions by concern: importing one of its modules would make the import system set the
attribute to the folder's package, so the module refuses that one assignment (the package stays
importable as ``from pipelines.defs import sessions``).
"""

from __future__ import annotations

import os
import sys
import types
from typing import TYPE_CHECKING, Any

__all__ = ["defs"]

# The folder this package was found in (a checkout, or site-packages).
_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def __getattr__(name: str) -> Any:
    """``defs``, imported from ``pipelines.definitions`` on first use and kept here.

    Imported from where this package was found, as an import at the top would have been: Dagster's
    loader imports ``pipelines`` with its working directory (``-d``) on ``sys.path`` and takes it
    off again before it reads ``defs``, so ``sessions_lib`` would otherwise come from wherever
    else ``sys.path`` leads (another checkout, an older install).
    """
    if name != "defs":
        raise AttributeError(f"module 'pipelines' has no attribute {name!r}")
    missing = all(os.path.realpath(entry or os.curdir) != _ROOT for entry in sys.path)
    if missing:
        sys.path.insert(0, _ROOT)
    try:
        from pipelines.definitions import defs
    finally:
        if missing and _ROOT in sys.path:
            sys.path.remove(_ROOT)
    globals()["defs"] = defs
    return defs


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """This module, with ``defs`` kept the ``Definitions`` when ``pipelines.defs.*`` is imported."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "defs" and isinstance(value, types.ModuleType):
            return  # the pipelines/defs/ package, set by the import system: reachable in sys.modules
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ serves it
    from pipelines.definitions import defs
