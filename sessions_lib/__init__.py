"""sessions: robotics recordings as per-topic timeline extents, grouped into sessions.

The public face:

- :class:`Session` and its records (:class:`SessionRecord`, :class:`SessionFile`,
  :class:`TopicIdentityRecord`), implementing the documented session API;
- :class:`Device`, :class:`Dataset` and :class:`File`, with the ``create_session`` shortcuts;
- :class:`Client`, the ``roboto_client`` argument: which catalog, which user, which orgs;
- registration (:func:`register_device`, :func:`register_dataset`, :func:`register_file` with
  :class:`RecordedTopic`), the one write path for recordings and their extents;
- the errors, all under :class:`SessionsError`.
"""

from sessions_lib.catalog import Catalog, CatalogLocation
from sessions_lib.client import Client, default_client, set_default_client
from sessions_lib.dataset import Dataset
from sessions_lib.device import Device
from sessions_lib.errors import (
    AlreadyExistsError,
    CatalogBusyError,
    CatalogError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    SessionsError,
)
from sessions_lib.file import File
from sessions_lib.records import (
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
from sessions_lib.registry import register_dataset, register_device, register_file
from sessions_lib.sentinels import NotSet, NotSetType
from sessions_lib.session import Session

__all__ = [
    "AlreadyExistsError",
    "Catalog",
    "CatalogBusyError",
    "CatalogError",
    "CatalogLocation",
    "Client",
    "ConflictError",
    "Dataset",
    "DatasetRecord",
    "Device",
    "DeviceRecord",
    "File",
    "FileRecord",
    "FileTopicRecord",
    "InvalidRequestError",
    "NotFoundError",
    "NotSet",
    "NotSetType",
    "PermissionDeniedError",
    "RecordedTopic",
    "Session",
    "SessionFile",
    "SessionRecord",
    "SessionsError",
    "TimelineExtentRecord",
    "TopicIdentityRecord",
    "TopicPartitionRecord",
    "default_client",
    "register_dataset",
    "register_device",
    "register_file",
    "set_default_client",
]
