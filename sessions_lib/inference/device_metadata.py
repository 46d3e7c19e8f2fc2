r"""Device metadata: which devices exist, and how a recording maps to one.

A YAML file (``data/devices.yaml`` for the embedded fleet), documented in the README's "Device
metadata (devices.yaml)" section:

.. code-block:: yaml

    org_id: org_local                    # optional; the caller's org when omitted
    datasets: [fleet]                    # optional; dataset folders, relative to this file
    device_types:
      quadcopter: {session_gap_s: 600}   # activity further apart starts a new session
    devices:
      - device_id: dv_falcon
        name: falcon
        device_type: quadcopter          # one of device_types, or absent
        attributes: {serial: QX-0001}    # any JSON object, stored as the device's metadata
        mission_tags: [formation-alpha]  # overlapping sessions of devices sharing a tag merge
        match:
          paths: ["falcon/"]             # gitignore-style, relative to the dataset folder
          identifiers: {ulog.sys_uuid: "0001-falcon"}   # found inside the file by its reader
        clock:                           # optional: anchors its files without Unix time
          start_from_file_name: '(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)'

The file is parsed by the pydantic models below (one per block, unknown keys refused) and handed
to the rest of the code as the frozen :class:`DeviceMetadata`. A refusal names the file, the line
and the key. A file maps to a device by an identifier found inside it first, by its path second;
a file that matches no device, or two, maps to none and is reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType, NoneType
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from sessions_lib.errors import InvalidRequestError
from sessions_lib.inference.rules import DEFAULT_GAP_NS
from sessions_lib.model.patterns import gitignore_spec
from sessions_lib.model.timestamps import NS_PER_S, UNIX_EPOCH
from sessions_lib.model.validation import json_object_text, validate_name

DEVICE_METADATA_FILE = "devices.yaml"

# -- the file's schema: one model per block ---------------------------------------------------


class _Block(BaseModel):
    """A block of the file: unknown keys refused, no type coercion (``42`` is not a name), and a
    key written with no value (``match:``) taken as absent, so it gets its default."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data: Any) -> Any:
        if data is None:
            return {}
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data


class DeviceTypeBlock(_Block):
    """``device_types.<type>``: the settings shared by the devices of one type."""

    session_gap_s: int = Field(default=DEFAULT_GAP_NS // NS_PER_S, gt=0)


class MatchBlock(_Block):
    """``devices[i].match``: how a recording is recognised as the device's."""

    paths: list[str] = []
    identifiers: dict[str, str] = {}

    @field_validator("paths")
    @classmethod
    def _gitignore_patterns(cls, paths: list[str]) -> list[str]:
        gitignore_spec("paths", paths)
        return paths


# The named groups a file-name time may have; the first three are required. Times are UTC.
FILE_NAME_TIME_GROUPS = ("year", "month", "day", "hour", "minute", "second")


class ClockBlock(_Block):
    """``devices[i].clock``: how the device's files whose own clock is not Unix time are anchored."""

    start_from_file_name: str  # a regular expression with named groups FILE_NAME_TIME_GROUPS

    @field_validator("start_from_file_name")
    @classmethod
    def _time_pattern(cls, pattern: str) -> str:
        try:
            groups = set(re.compile(pattern).groupindex)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        missing = [g for g in FILE_NAME_TIME_GROUPS[:3] if g not in groups]
        unknown = sorted(groups - set(FILE_NAME_TIME_GROUPS))
        if missing or unknown:
            raise ValueError(
                f"needs the named groups (?P<year>...), (?P<month>...) and (?P<day>...), and may have "
                f"hour, minute and second; missing {missing}, unknown {unknown}"
            )
        return pattern


class DeviceBlock(_Block):
    """``devices[i]``: one device."""

    device_id: str = Field(min_length=1)
    name: str
    device_type: str | None = None
    attributes: dict[str, Any] = {}
    mission_tags: list[str] = []
    match: MatchBlock = MatchBlock()
    clock: ClockBlock | None = None

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        validate_name("device", name, required=True)
        return name

    @field_validator("attributes")
    @classmethod
    def _json_object(cls, attributes: dict[str, Any]) -> dict[str, Any]:
        json_object_text("attributes", attributes)
        return attributes


class DeviceMetadataFile(_Block):
    """The whole file."""

    org_id: str | None = None
    datasets: list[str] = []
    device_types: dict[str, DeviceTypeBlock] = {}
    devices: list[DeviceBlock]

    @field_validator("datasets")
    @classmethod
    def _folders(cls, datasets: list[str]) -> list[str]:
        if not all(folder.strip() for folder in datasets):
            raise ValueError("a dataset folder must not be empty")
        return datasets


# -- what the rest of the code sees -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """One device as the metadata describes it."""

    device_id: str
    name: str
    device_type: str | None
    attributes: Mapping[str, Any]
    mission_tags: tuple[str, ...]
    path_patterns: tuple[str, ...]
    identifiers: Mapping[str, str]
    # Where an unanchored file's start is written in its path (``clock.start_from_file_name``).
    start_from_file_name: re.Pattern[str] | None = None

    def file_name_start_ns(self, relative_path: str) -> int | None:
        """The start time (UTC, Unix-epoch ns) the file's path gives by the device's clock rule,
        or None: no rule, no match, or a match that is no date (``2019-13-45``)."""
        found = self.start_from_file_name.search(relative_path) if self.start_from_file_name else None
        if found is None:
            return None
        parts = {name: int(value) for name, value in found.groupdict(default="0").items()}
        try:
            moment = datetime(**parts, tzinfo=UTC)
        except ValueError:
            return None
        return int((moment - UNIX_EPOCH).total_seconds()) * NS_PER_S

    def matches_path(self, relative_path: str) -> bool:
        spec = gitignore_spec("path_patterns", self.path_patterns) if self.path_patterns else None
        return spec is not None and spec.match_file(relative_path)

    def matches_identifiers(self, found: Mapping[str, str]) -> bool:
        return any(found.get(key) == value for key, value in self.identifiers.items())


@dataclass(frozen=True, slots=True)
class DeviceMetadata:
    """The devices of one org, the session gap of each device type, and the dataset folders the
    file lists (absolute; none listed: the caller decides)."""

    org_id: str | None
    devices: tuple[DeviceSpec, ...]
    session_gap_s: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    datasets: tuple[Path, ...] = ()

    def device_for(self, relative_path: str, identifiers: Mapping[str, str] | None) -> str | None:
        """The one device a file belongs to: by identifiers inside it, else by path; else None."""
        for candidates in (
            [d for d in self.devices if identifiers and d.matches_identifiers(identifiers)],
            [d for d in self.devices if d.matches_path(relative_path)],
        ):
            if len(candidates) == 1:
                return candidates[0].device_id
            if len(candidates) > 1:
                return None  # ambiguous: reported as unmatched rather than guessed
        return None

    def device(self, device_id: str) -> DeviceSpec | None:
        """The device of this id, if the metadata lists it."""
        return next((d for d in self.devices if d.device_id == device_id), None)

    def gap_ns(self, device_type: str | None) -> int:
        """The device type's session gap in ns, or the inference default for a type not listed."""
        gap_s = self.session_gap_s.get(device_type or "")
        return DEFAULT_GAP_NS if gap_s is None else gap_s * NS_PER_S


NO_DEVICE_METADATA = DeviceMetadata(org_id=None, devices=())


def load_device_metadata(path: Path) -> DeviceMetadata:
    """Read and validate a device metadata file; ``InvalidRequestError`` names the file, the line
    and the key of what is wrong."""
    try:
        document = YAML(typ="rt").load(path.read_text())
    except MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        raise InvalidRequestError(f"{path}:{line}: cannot read device metadata: {error}") from None
    except (OSError, YAMLError) as error:
        raise InvalidRequestError(f"{path}: cannot read device metadata: {error}") from None
    try:
        parsed = DeviceMetadataFile.model_validate(_plain(document))
    except ValidationError as error:
        raise InvalidRequestError(
            "\n".join(_validation_message(path, document, e) for e in error.errors())
        ) from None
    _check_references(path, document, parsed)
    return DeviceMetadata(
        org_id=parsed.org_id or None,
        devices=tuple(_device_spec(device) for device in parsed.devices),
        session_gap_s=MappingProxyType({t: b.session_gap_s for t, b in parsed.device_types.items()}),
        datasets=tuple((path.parent / folder).resolve() for folder in parsed.datasets),
    )


def _check_references(path: Path, document: Any, parsed: DeviceMetadataFile) -> None:
    """What one block cannot check alone: device types defined, device ids unique."""
    seen: set[str] = set()
    for index, device in enumerate(parsed.devices):
        if device.device_type is not None and device.device_type not in parsed.device_types:
            defined = ", ".join(parsed.device_types) or "none"
            raise _refusal(
                path,
                document,
                ("devices", index, "device_type"),
                f"device type {device.device_type!r} is not defined under device_types (defined: {defined})",
            )
        if device.device_id in seen:
            raise _refusal(
                path,
                document,
                ("devices", index, "device_id"),
                f"device id {device.device_id!r} is listed more than once",
            )
        seen.add(device.device_id)


def _device_spec(device: DeviceBlock) -> DeviceSpec:
    return DeviceSpec(
        device_id=device.device_id,
        name=device.name,
        device_type=device.device_type,
        attributes=MappingProxyType(dict(device.attributes)),
        mission_tags=tuple(device.mission_tags),
        path_patterns=tuple(device.match.paths),
        identifiers=MappingProxyType(dict(device.match.identifiers)),
        start_from_file_name=re.compile(device.clock.start_from_file_name) if device.clock else None,
    )


# -- refusals that name the file, the line and the key -------------------------------------------


def _plain(node: Any) -> Any:
    """The round-trip document as plain Python values (ruamel's own str/int subclasses dropped),
    so the strict models judge the values, not their YAML styling."""
    if isinstance(node, dict):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    for kind in (bool, str, int, float):
        if isinstance(node, kind):
            return kind(node)
    return node


def _validation_message(path: Path, document: Any, error: Any) -> str:
    loc: tuple[Any, ...] = tuple(part for part in error["loc"] if part != "[key]")
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(_block_at(loc[:-1]).model_fields)
        return _message(path, document, loc, loc[:-1], f"unknown key {loc[-1]!r} (allowed: {allowed})")
    cause = (error.get("ctx") or {}).get("error")
    if error["type"] == "value_error" and cause:
        reason = str(cause)
    elif error["type"] == "missing":
        reason = "required key missing"
    else:
        reason = f"{error['msg'].replace('Input should', 'should')}, got {_short(error['input'])}"
    return _message(path, document, loc, loc, reason)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _refusal(path: Path, document: Any, loc: tuple[Any, ...], reason: str) -> InvalidRequestError:
    return InvalidRequestError(_message(path, document, loc, loc, reason))


def _message(path: Path, document: Any, line_of: Sequence[Any], key: Sequence[Any], reason: str) -> str:
    return f"{path}:{_line(document, line_of)}: {_key_path(key)}: {reason}"


def _line(document: Any, loc: Sequence[Any]) -> int:
    """The 1-based line of the deepest part of ``loc`` the document holds (a missing key: the
    line of the block that lacks it)."""
    node, line = document, 0
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0]
        else:
            break
        node = node[part]
    return line + 1


def _key_path(loc: Sequence[Any]) -> str:
    """``devices[1].match.identifiers['ulog.sys_uuid']``; ``(top level)`` for the file itself."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"\w+", str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{str(part)!r}]"
    return text or "(top level)"


def _block_at(loc: Sequence[Any]) -> type[BaseModel]:
    """The model of the block at ``loc`` (for the keys it allows)."""
    node: Any = DeviceMetadataFile
    for part in loc:
        if isinstance(node, type) and issubclass(node, BaseModel):
            node = node.model_fields[str(part)].annotation
        else:  # an item of a list, a value of a mapping
            node = _inner(node)
    return node if isinstance(node, type) else _inner(node)  # an optional block: the block


def _inner(annotation: Any) -> Any:
    """What a list, mapping or optional annotation holds (its last argument but None)."""
    return [arg for arg in get_args(annotation) if arg is not NoneType][-1]
