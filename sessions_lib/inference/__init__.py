"""Inference: sessions from device activity, and a catalog brought in line with a fleet.

- :mod:`~sessions_lib.inference.rules`: :func:`infer_sessions`, pure polars, no catalog;
- :mod:`~sessions_lib.inference.device_metadata`: the device metadata file and its validation;
- :mod:`~sessions_lib.inference.reconcile`: the catalog's devices and inferred sessions made to
  match a fleet (what the pipeline's assets run, callable from a notebook or a test).
"""

from sessions_lib.inference.device_metadata import DeviceMetadata, DeviceSpec, load_device_metadata
from sessions_lib.inference.reconcile import (
    AnchorChange,
    DeviceChange,
    DeviceReconciliation,
    acting_org,
    anchor_files_by_name,
    fleet_devices_frame,
    fleet_rules,
    infer_fleet_sessions,
    reconcile_devices,
    remap_file_devices,
    write_inferred_sessions,
)
from sessions_lib.inference.rules import DEVICE_COLUMNS, InferenceRules, InferredSessions, infer_sessions

__all__ = [
    "DEVICE_COLUMNS",
    "AnchorChange",
    "DeviceChange",
    "DeviceMetadata",
    "DeviceReconciliation",
    "DeviceSpec",
    "InferenceRules",
    "InferredSessions",
    "acting_org",
    "anchor_files_by_name",
    "fleet_devices_frame",
    "fleet_rules",
    "infer_fleet_sessions",
    "infer_sessions",
    "load_device_metadata",
    "reconcile_devices",
    "remap_file_devices",
    "write_inferred_sessions",
]
