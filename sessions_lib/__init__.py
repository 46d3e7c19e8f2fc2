"""sessions: robotics recordings as per-topic timeline extents, grouped into sessions.

The public face, importable from here:

- :class:`Session` and its records (:class:`SessionRecord`, :class:`SessionFile`,
  :class:`TopicIdentityRecord`), implementing the documented session API;
- :class:`SessionTopic` (``Session.get_topic``): a topic's messages in a session, as DataFrames;
- :class:`Device`, :class:`Dataset` and :class:`File`, with the ``create_session`` shortcuts;
- :class:`Client`, the ``roboto_client`` argument: which catalog, which user, which orgs;
- registration (:func:`register_device`, :func:`register_dataset`, :func:`register_file` with
  :class:`RecordedTopic`, :func:`register_files` of many :class:`FileRegistration` s), the one
  write path for recordings and their extents, and :func:`ingest_folder`, which reads a folder
  of recordings through it;
- the surfaces: :func:`connect` (SQL), the polars frames (:func:`sessions_frame`, ...) and
  :func:`draw_timeline`;
- the errors, all under :class:`SessionsError`.

Names are loaded on first use, so ``import sessions_lib`` costs only what a caller touches.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        [
            "AlreadyExistsError",
            "CatalogBusyError",
            "CatalogError",
            "ConflictError",
            "InvalidRequestError",
            "NotFoundError",
            "PermissionDeniedError",
            "ReaderError",
            "SessionsError",
        ],
        "sessions_lib.errors",
    ),
    **dict.fromkeys(
        [
            "DatasetRecord",
            "DeviceRecord",
            "FileRecord",
            "FileTopicRecord",
            "RecordedTopic",
            "SessionFile",
            "SessionRecord",
            "TimelineExtentRecord",
            "TopicIdentityRecord",
            "TopicPartitionRecord",
        ],
        "sessions_lib.model.records",
    ),
    "NotSet": "sessions_lib.model.sentinels",
    "NotSetType": "sessions_lib.model.sentinels",
    "Catalog": "sessions_lib.catalog",
    "CatalogLocation": "sessions_lib.catalog",
    "Client": "sessions_lib.client",
    "default_client": "sessions_lib.client",
    "set_default_client": "sessions_lib.client",
    "register_dataset": "sessions_lib.api.registration",
    "register_device": "sessions_lib.api.registration",
    "register_file": "sessions_lib.api.registration",
    "register_files": "sessions_lib.api.registration",
    "FileRegistration": "sessions_lib.model.requests",
    "ingest_folder": "sessions_lib.ingest",
    "Session": "sessions_lib.api.session",
    "SessionTopic": "sessions_lib.api.topic",
    "Device": "sessions_lib.api.device",
    "Dataset": "sessions_lib.api.dataset",
    "File": "sessions_lib.api.file",
    "connect": "sessions_lib.surfaces.sql",
    **dict.fromkeys(
        [
            "contributions_frame",
            "device_coverage_frame",
            "devices_frame",
            "session_extents_frame",
            "session_files_frame",
            "session_topics_frame",
            "sessions_frame",
            "topic_extents_frame",
        ],
        "sessions_lib.surfaces.frames",
    ),
    "summarize": "sessions_lib.surfaces.summary",
    "draw_timeline": "sessions_lib.surfaces.timeline",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562) and keep the name here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sessions_lib' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ serves these
    from sessions_lib.api.dataset import Dataset
    from sessions_lib.api.device import Device
    from sessions_lib.api.file import File
    from sessions_lib.api.registration import (
        register_dataset,
        register_device,
        register_file,
        register_files,
    )
    from sessions_lib.api.session import Session
    from sessions_lib.api.topic import SessionTopic
    from sessions_lib.catalog import Catalog, CatalogLocation
    from sessions_lib.client import Client, default_client, set_default_client
    from sessions_lib.errors import (
        AlreadyExistsError,
        CatalogBusyError,
        CatalogError,
        ConflictError,
        InvalidRequestError,
        NotFoundError,
        PermissionDeniedError,
        ReaderError,
        SessionsError,
    )
    from sessions_lib.ingest import ingest_folder
    from sessions_lib.model.records import (
        DatasetRecord,
        DeviceRecord,
        FileRecord,
        FileTopicRecord,
        RecordedTopic,
        SessionFile,
        SessionRecord,
        TimelineExtentRecord,
        TopicIdentityRecord,
        TopicPartitionRecord,
    )
    from sessions_lib.model.requests import FileRegistration
    from sessions_lib.model.sentinels import NotSet, NotSetType
    from sessions_lib.surfaces.frames import (
        contributions_frame,
        device_coverage_frame,
        devices_frame,
        session_extents_frame,
        session_files_frame,
        session_topics_frame,
        sessions_frame,
        topic_extents_frame,
    )
    from sessions_lib.surfaces.sql import connect
    from sessions_lib.surfaces.summary import summarize
    from sessions_lib.surfaces.timeline import draw_timeline
