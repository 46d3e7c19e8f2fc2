"""ROS 2 bag storage files in SQLite (``.db3``): per-topic spans by SQL over the file's own tables.

A rosbag2 sqlite3 storage file holds a ``topics`` table and a ``messages`` table of
``(topic_id, timestamp, data)`` with ``timestamp`` indexed. The file is opened read-only and
immutable (nothing created beside it, no lock taken: a WAL-mode bag gets no ``-wal``/``-shm``), and two
short queries answer everything: the topics, and per topic the stretches of messages no more than
``SPAN_GAP_NS`` apart (a window query over ``timestamp``), with their counts and bounds. No
payload is read. Times are ``log_time`` (when the recorder received the message).

A ``metadata.yaml`` beside the file (a rosbag2 bag directory) is read only to cross-check: the
data wins, and each disagreement (topics, counts, start, duration) becomes a note, since some
metadata files are stale or were written for another copy of the storage. Its ``ros_distro`` and
``storage_identifier`` become identifiers, as does the ``ros_distro`` the file's own ``schema``
table records.

ROS 2 bags stored as MCAP (``.mcap``) are read by ``readers/mcap/``, not here.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from rosbags.typesys import Stores, TypesysError, get_types_from_idl, get_types_from_msg, get_typestore
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import RecordedTopic, Recording
from sessions_lib.readers.messages import TopicSlice
from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions
from sessions_lib.readers.protocol import Reader
from sessions_lib.readers.ros import namespace_identifiers, wall_clock_check
from sessions_lib.readers.ros_messages import arrow_schema, batches
from sessions_lib.readers.spans import SPAN_GAP_NS, merge_spans

if TYPE_CHECKING:
    import pyarrow as pa
    from rosbags.typesys.base import Typesdict
    from rosbags.typesys.store import Typestore

SQLITE_MAGIC = b"SQLite format 3\x00"
METADATA_FILE = "metadata.yaml"
# rosbag2 writes ROS 2 ``.msg`` definitions unless a ``message_definitions`` row says otherwise.
DEFAULT_SCHEMA_ENCODING = "ros2msg"

# Per topic, one row per stretch of messages whose consecutive timestamps are at most ? ns apart.
_SPANS_SQL = """
WITH stepped AS (
    SELECT topic_id, timestamp,
           timestamp - LAG(timestamp) OVER (PARTITION BY topic_id ORDER BY timestamp) AS step
    FROM messages
),
numbered AS (
    SELECT topic_id, timestamp,
           SUM(CASE WHEN step IS NULL OR step > ? THEN 1 ELSE 0 END)
               OVER (PARTITION BY topic_id ORDER BY timestamp ROWS UNBOUNDED PRECEDING) AS span_no
    FROM stepped
)
SELECT topic_id, span_no, MIN(timestamp), MAX(timestamp), COUNT(*)
FROM numbered
GROUP BY topic_id, span_no
ORDER BY topic_id, span_no
"""

# The one serialization rosbag2 writes and this module decodes.
SERIALIZATION_FORMAT = "cdr"
# rosbags' standard ROS 2 types, by the name ``ros2_<distro>``; the default for an unnamed distro.
_STANDARD_STORES = {store.value: store for store in Stores if store.value.startswith("ros2_")}
DEFAULT_STORE = Stores.LATEST
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# The ROS distro the file's ``schema`` table records.
_DISTRO_SQL = "SELECT ros_distro FROM schema ORDER BY schema_version DESC LIMIT 1"

# Metadata disagreements listed in one note before the rest are summarized.
_MAX_LISTED = 5


@dataclass(frozen=True, slots=True)
class _TopicRow:
    """One row of the ``topics`` table."""

    topic_id: int
    name: str
    msgtype: str


@dataclass
class _Storage:
    """What the storage file's tables say."""

    topics: list[_TopicRow]
    spans: dict[int, list[tuple[int, int, int]]]  # topic_id -> [(min, max, count)]
    schema_encodings: dict[str, str]
    ros_distro: str | None

    def count(self, topic_ids: Sequence[int]) -> int:
        return sum(n for topic_id in topic_ids for _, _, n in self.spans.get(topic_id, ()))


def read(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Recording:
    """The topics of the rosbag2 sqlite3 storage file at ``path``, by SQL over its own tables.

    Raises ``ReaderError`` (naming the file and the cause) for a missing, empty, foreign, corrupt or
    truncated file, or a SQLite database that is not a rosbag2 storage file.
    """
    path = Path(path)
    _check_magic(path)
    storage = _query_storage(path)
    notes: list[str] = []

    ids_by_name: dict[str, list[int]] = defaultdict(list)
    for row in storage.topics:
        ids_by_name[row.name].append(row.topic_id)
    rows_by_id = {row.topic_id: row for row in storage.topics}
    orphans = sum(
        n for topic_id, spans in storage.spans.items() if topic_id not in rows_by_id for *_, n in spans
    )
    if orphans:
        notes.append(f"{orphans} messages refer to topic ids missing from the topics table and were left out")

    topics: list[RecordedTopic] = []
    silent: list[str] = []
    for name in sorted(ids_by_name):
        topic_ids = ids_by_name[name]
        spans = [(lo, hi) for topic_id in topic_ids for lo, hi, _ in storage.spans.get(topic_id, ())]
        if not spans:
            silent.append(name)
            continue
        types = sorted({rows_by_id[i].msgtype for i in topic_ids if storage.spans.get(i)})
        if len(types) > 1:
            notes.append(f"topic {name!r} is declared with several types {types}; named {types[0]!r}")
        topics.append(
            RecordedTopic(
                name,
                spans=merge_spans(spans, SPAN_GAP_NS),
                message_count=storage.count(topic_ids),
                schema_name=types[0],
                schema_encoding=storage.schema_encodings.get(types[0], DEFAULT_SCHEMA_ENCODING),
                timeline_source="log_time",
            )
        )
    if silent:
        notes.append(f"{len(silent)} topics are declared but hold no messages and are left out: {silent}")
    if not topics:
        notes.append("the storage file holds no messages")

    identifiers = namespace_identifiers(t.name for t in topics)
    if storage.ros_distro:
        identifiers["ros.distro"] = storage.ros_distro
    metadata_notes, metadata_identifiers = _cross_check_metadata(path, storage, ids_by_name)
    notes.extend(metadata_notes)
    for key, value in metadata_identifiers.items():
        identifiers.setdefault(key, value)
    anchored, anchor_note = wall_clock_check(topics)
    if anchor_note:
        notes.append(anchor_note)
    wal = path.with_name(path.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        notes.append(
            f"{wal.name} beside it holds writes not yet checkpointed into the file; they were not read "
            "(recordings are read as they are, never written)"
        )
    return Recording(
        format="rosbag2",
        topics=tuple(topics),
        index_used="index",
        anchored=anchored,
        identifiers=identifiers,
        notes=tuple(notes),
    )


def messages(slice_: TopicSlice) -> Iterator[pa.RecordBatch]:
    """The messages of ``slice_.topic`` in its window, CDR-decoded with rosbags' typestore.

    One indexed range query over ``messages.timestamp`` reads only the window's rows of the topic.
    Types come from the file's ``message_definitions`` table when it defines the topic's type
    (custom messages decode too), else from rosbags' standard types of the distro the file's
    ``schema`` table names (``DEFAULT_STORE`` when it names none rosbags knows).
    """
    path, topic = Path(slice_.path), slice_.topic
    _check_magic(path)
    connection = _connect(path)
    try:
        rows = connection.execute(
            "SELECT id, type, serialization_format FROM topics WHERE name = ? ORDER BY id", (topic,)
        ).fetchall()
        if not rows:
            raise ReaderError(f"{path}: no topic {topic!r} in the rosbag2 storage file")
        types = {row[1] for row in rows}
        formats = {row[2] for row in rows}
        if len(types) > 1:
            raise ReaderError(f"{path}: topic {topic!r} is declared with several types {sorted(types)}")
        if formats != {SERIALIZATION_FORMAT}:
            raise ReaderError(
                f"{path}: topic {topic!r} is serialized as {sorted(formats)}; only "
                f"{SERIALIZATION_FORMAT!r} can be decoded"
            )
        (msgtype,) = types
        store = _typestore(path, connection, topic, msgtype)
        ids = [row[0] for row in rows]
        query = (
            f"SELECT timestamp, data FROM messages WHERE topic_id IN ({','.join('?' * len(ids))}) "
            "AND timestamp >= ? AND timestamp <= ? ORDER BY timestamp, id"
        )
        start = _INT64_MIN if slice_.start_ns is None else slice_.start_ns
        end = _INT64_MAX if slice_.end_ns is None else slice_.end_ns
        decoded = (
            (timestamp, _deserialize(path, store, topic, msgtype, data))
            for timestamp, data in connection.execute(query, (*ids, start, end))
        )
        yield from batches(decoded, store, arrow_schema(store, msgtype, slice_), slice_)
    except sqlite3.Error as error:
        raise ReaderError(f"{path}: topic {topic!r}: SQLite error reading its messages: {error}") from None
    finally:
        connection.close()


READER = Reader("rosbag2", read, magic=SQLITE_MAGIC, extensions=(".db3",), messages=messages)


def _typestore(path: Path, connection: sqlite3.Connection, topic: str, msgtype: str) -> Typestore:
    """A typestore holding ``msgtype``: from the file's own definition of it, else a standard one."""
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    definition = None
    if "message_definitions" in tables:
        definition = connection.execute(
            "SELECT encoding, encoded_message_definition FROM message_definitions WHERE topic_type = ?",
            (msgtype,),
        ).fetchone()
    if definition is not None and definition[0] in ("ros2msg", "ros2idl") and definition[1]:
        encoding, text = definition
        store = get_typestore(Stores.EMPTY)
        try:
            store.register(_types_of(msgtype, encoding, text))
        except (TypesysError, ValueError, KeyError, AssertionError) as error:
            raise ReaderError(
                f"{path}: topic {topic!r}: its {encoding} definition of {msgtype!r} cannot be parsed "
                f"({type(error).__name__}: {error})"
            ) from None
        return store
    distro = None
    if "schema" in tables:
        row = connection.execute(_DISTRO_SQL).fetchone()
        distro = row[0] if row and isinstance(row[0], str) else None
    standard = _STANDARD_STORES.get(f"ros2_{distro}", DEFAULT_STORE)
    store = get_typestore(standard)
    if msgtype not in store.fielddefs:
        raise ReaderError(
            f"{path}: topic {topic!r}: type {msgtype!r} (cdr) has no definition in the file and is not "
            f"a standard type of {standard.value}; it cannot be decoded"
        )
    return store


def _types_of(msgtype: str, encoding: str, text: str) -> Typesdict:
    """The types a ``message_definitions`` row defines (a ``.msg`` with its dependencies, or IDL)."""
    if encoding == "ros2msg":
        return get_types_from_msg(text, msgtype)
    separator = "=" * 80 + "\n"
    if not text.startswith(f"{separator}IDL: "):
        return get_types_from_idl(text)
    types: Typesdict = {}
    for part in text.split(separator)[1:]:
        types.update(get_types_from_idl(part.split("\n", 1)[1]))
    return types


def _deserialize(path: Path, store: Typestore, topic: str, msgtype: str, data: bytes) -> object:
    try:
        return store.deserialize_cdr(data, msgtype)
    except Exception as error:  # rosbags raises struct, index and value errors on bytes that do not fit
        raise ReaderError(
            f"{path}: topic {topic!r}: a message does not decode as cdr {msgtype!r} "
            f"({type(error).__name__}: {error})"
        ) from None


def _check_magic(path: Path) -> None:
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise ReaderError(
            f"{path}: cannot be opened as a rosbag2 sqlite3 file: {error.strerror or error}"
        ) from None
    if not head:
        raise ReaderError(f"{path}: empty file (0 bytes), not a rosbag2 sqlite3 file")
    if head != SQLITE_MAGIC:
        raise ReaderError(
            f"{path}: not a SQLite database (starts with {head[:16]!r}), so not a rosbag2 .db3 file"
        )


def _connect(path: Path) -> sqlite3.Connection:
    """The file opened read-only and immutable: SQLite takes no lock and creates no -wal/-shm beside
    the recording (it would for a database in WAL mode, even read-only); the file must not change
    while it is read, as none does."""
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        return sqlite3.connect(uri, uri=True)
    except sqlite3.Error as error:
        raise ReaderError(f"{path}: cannot be opened read-only as SQLite: {error}") from None


def _query_storage(path: Path) -> _Storage:
    """Topics, spans, definitions and distro from the file's tables; SQLite errors become ``ReaderError``."""
    connection = _connect(path)
    try:
        tables = {
            name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        missing = {"topics", "messages"} - tables
        if missing:
            raise ReaderError(
                f"{path}: a SQLite database but not a rosbag2 storage file: no {sorted(missing)} table "
                f"(tables: {sorted(tables)})"
            )
        topics = [
            _TopicRow(*row) for row in connection.execute("SELECT id, name, type FROM topics ORDER BY id")
        ]
        spans: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for topic_id, _, lo, hi, count in connection.execute(_SPANS_SQL, (SPAN_GAP_NS,)):
            spans[topic_id].append((lo, hi, count))
        schema_encodings: dict[str, str] = {}
        if "message_definitions" in tables:
            schema_encodings = dict(
                connection.execute("SELECT topic_type, encoding FROM message_definitions")
            )
        ros_distro = None
        if "schema" in tables:
            row = connection.execute(_DISTRO_SQL).fetchone()
            ros_distro = row[0] if row and isinstance(row[0], str) and row[0] else None
    except sqlite3.Error as error:
        raise ReaderError(f"{path}: SQLite error reading the rosbag2 tables: {error}") from None
    except UnicodeDecodeError as error:
        raise ReaderError(f"{path}: damaged rosbag2 tables: text that is not UTF-8 ({error})") from None
    finally:
        connection.close()
    _check_types(path, topics, spans)
    return _Storage(
        topics,
        dict(spans),
        {k: v for k, v in schema_encodings.items() if isinstance(v, str) and v},
        ros_distro,
    )


def _check_types(
    path: Path, topics: list[_TopicRow], spans: Mapping[int, list[tuple[int, int, int]]]
) -> None:
    """A damaged file can hold text where integers belong; refuse it rather than guess."""
    for row in topics:
        if not isinstance(row.topic_id, int) or not isinstance(row.name, str) or not row.name:
            raise ReaderError(f"{path}: topics table row {row!r} has no integer id or no name")
        if not isinstance(row.msgtype, str):
            raise ReaderError(f"{path}: topic {row.name!r} has a non-text type {row.msgtype!r}")
    for topic_id, rows in spans.items():
        for lo, hi, _ in rows:
            if not (isinstance(lo, int) and isinstance(hi, int) and isinstance(topic_id, int)):
                raise ReaderError(
                    f"{path}: messages of topic id {topic_id!r} have non-integer timestamps ({lo!r}..{hi!r})"
                )


# --- metadata.yaml cross-check -------------------------------------------------------------------


def _cross_check_metadata(
    path: Path, storage: _Storage, ids_by_name: Mapping[str, list[int]]
) -> tuple[list[str], dict[str, str]]:
    """Notes on where ``metadata.yaml`` beside ``path`` disagrees with the data, and its identifiers."""
    metadata_path = path.parent / METADATA_FILE
    if not metadata_path.is_file():
        return [], {}
    try:
        document = YAML(typ="safe").load(metadata_path.read_text(encoding="utf-8"))
        info = document["rosbag2_bagfile_information"]
        listed = [PurePath(str(p)).name for p in info.get("relative_file_paths") or ()]
    except (OSError, UnicodeDecodeError, YAMLError, KeyError, TypeError, AttributeError) as error:
        return [
            f"{METADATA_FILE} beside it could not be read ({type(error).__name__}: {error}); not used"
        ], {}
    if path.name not in listed:
        return [f"{METADATA_FILE} beside it lists {listed}, not this file; not used"], {}

    identifiers: dict[str, str] = {}
    for key, identifier in (("ros_distro", "ros.distro"), ("storage_identifier", "ros.storage_id")):
        value = info.get(key)
        if isinstance(value, str) and value:
            identifiers[identifier] = value
    disagreements: list[str] = []
    if identifiers.get("ros.storage_id", "sqlite3") != "sqlite3":
        disagreements.append(
            f"storage_identifier {identifiers['ros.storage_id']!r} but this is a sqlite3 file"
        )
    if storage.ros_distro and identifiers.get("ros.distro", storage.ros_distro) != storage.ros_distro:
        disagreements.append(
            f"ros_distro {identifiers['ros.distro']!r}, the file says {storage.ros_distro!r}"
        )
    try:
        disagreements.extend(_disagreements(info, path.name, len(listed), storage, ids_by_name))
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        disagreements.append(f"its structure is unexpected ({type(error).__name__}: {error})")
    if not disagreements:
        return [], identifiers
    listed_text = "; ".join(disagreements[:_MAX_LISTED])
    more = len(disagreements) - _MAX_LISTED
    if more > 0:
        listed_text += f"; and {more} more"
    return [f"{METADATA_FILE} disagrees with the data, which was used: {listed_text}"], identifiers


def _disagreements(
    info: Mapping[str, Any],
    file_name: str,
    file_count: int,
    storage: _Storage,
    ids_by_name: Mapping[str, list[int]],
) -> list[str]:
    """What ``metadata.yaml`` claims that the storage file does not hold."""
    found: list[str] = []
    all_ids = [row.topic_id for row in storage.topics]
    bounds = [(lo, hi) for rows in storage.spans.values() for lo, hi, _ in rows]
    data_count = storage.count(all_ids)
    data_start = min((lo for lo, _ in bounds), default=None)
    data_duration = max((hi for _, hi in bounds), default=0) - data_start if data_start is not None else 0

    declared = {
        entry["topic_metadata"]["name"]: int(entry.get("message_count", 0))
        for entry in info.get("topics_with_message_count") or ()
    }
    for name in sorted(set(ids_by_name) - set(declared)):
        found.append(f"topic {name!r} is in the file but not in {METADATA_FILE}")
    if file_count == 1:
        for name in sorted(set(declared) - set(ids_by_name)):
            found.append(f"topic {name!r} is listed but not in the file")
        for name in sorted(set(declared) & set(ids_by_name)):
            stored = storage.count(ids_by_name[name])
            if declared[name] != stored:
                found.append(f"topic {name!r}: {declared[name]} messages listed, {stored} stored")
        claims = (
            info.get("message_count"),
            (info.get("starting_time") or {}).get("nanoseconds_since_epoch"),
            (info.get("duration") or {}).get("nanoseconds"),
        )
    else:
        # A split bag: topic counts are bag-wide, so compare this file's own entry (version >= 5).
        entry = next(
            (f for f in info.get("files") or () if PurePath(str(f.get("path"))).name == file_name), None
        )
        if entry is None:
            return found
        claims = (
            entry.get("message_count"),
            (entry.get("starting_time") or {}).get("nanoseconds_since_epoch"),
            (entry.get("duration") or {}).get("nanoseconds"),
        )
    count, start, duration = claims
    if count is not None and int(count) != data_count:
        found.append(f"message_count {count}, {data_count} stored")
    if data_start is not None and start is not None and int(start) != data_start:
        found.append(f"starting_time {start} ns, first stored message at {data_start} ns")
    if data_start is not None and duration is not None and int(duration) != data_duration:
        found.append(f"duration {duration} ns, stored messages span {data_duration} ns")
    return found
