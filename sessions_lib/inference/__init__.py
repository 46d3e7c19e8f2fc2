"""Inference: sessions from device activity (pure polars rules), device metadata, reconciliation."""

from sessions_lib.inference.rules import (
    DEVICE_COLUMNS,
    InferenceRules,
    InferredSessions,
    infer_sessions,
)

__all__ = ["DEVICE_COLUMNS", "InferenceRules", "InferredSessions", "infer_sessions"]
