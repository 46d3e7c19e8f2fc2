"""Inference: sessions from device activity (pure polars rules), device metadata, reconciliation.

- :mod:`~sessions_lib.inference.rules`: :func:`infer_sessions`, pure polars, no catalog;
- :mod:`~sessions_lib.inference.device_metadata`: the device metadata file and its validation;
- :mod:`~sessions_lib.inference.reconcile`: a catalog brought in line with a fleet (its devices,
  its inferred sessions), what the pipeline's assets run.

Names are loaded on first use: the rules stay importable without the catalog and the api, and
``store`` may import a rule's types without importing ``reconcile`` (which imports ``store``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        ["DEVICE_COLUMNS", "InferenceRules", "InferredSessions", "infer_sessions"],
        "sessions_lib.inference.rules",
    ),
    **dict.fromkeys(
        ["DeviceMetadata", "DeviceSpec", "load_device_metadata"],
        "sessions_lib.inference.device_metadata",
    ),
    **dict.fromkeys(
        [
            "DeviceChanges",
            "acting_org",
            "fleet_devices_frame",
            "fleet_rules",
            "infer_fleet_sessions",
            "reconcile_devices",
            "write_inferred_sessions",
        ],
        "sessions_lib.inference.reconcile",
    ),
}

__all__ = [  # spelled out, so linters and type checkers see the names _EXPORTS serves
    "DEVICE_COLUMNS",
    "DeviceChanges",
    "DeviceMetadata",
    "DeviceSpec",
    "InferenceRules",
    "InferredSessions",
    "acting_org",
    "fleet_devices_frame",
    "fleet_rules",
    "infer_fleet_sessions",
    "infer_sessions",
    "load_device_metadata",
    "reconcile_devices",
    "write_inferred_sessions",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562) and keep the name here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sessions_lib.inference' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ serves these
    from sessions_lib.inference.device_metadata import DeviceMetadata, DeviceSpec, load_device_metadata
    from sessions_lib.inference.reconcile import (
        DeviceChanges,
        acting_org,
        fleet_devices_frame,
        fleet_rules,
        infer_fleet_sessions,
        reconcile_devices,
        write_inferred_sessions,
    )
    from sessions_lib.inference.rules import DEVICE_COLUMNS, InferenceRules, InferredSessions, infer_sessions
