"""Device metadata: which devices exist, and how a recording maps to one.

A YAML file (``data/devices.yaml`` for the embedded fleet):

.. code-block:: yaml

    org_id: org_local                    # optional; the caller's org when omitted
    device_types:
      quadcopter: {session_gap_s: 600}   # activity further apart starts a new session
    devices:
      - device_id: dv_falcon
        name: falcon
        device_type: quadcopter
        attributes: {serial: QX-0001}    # any JSON object, stored as the device's metadata
        mission_tags: [formation-alpha]  # overlapping sessions of devices sharing a tag merge
        match:
          paths: ["falcon/"]             # gitignore-style, relative to the dataset folder
          identifiers: {ulog.sys_uuid: "0001-falcon"}   # found inside the file by its reader

A file maps to a device by an identifier found inside it first (MCAP metadata
``mcap.metadata.<name>.<key>``, ULog ``ulog.sys_uuid`` / ``ulog.sys_name``, ROS ``ros.namespace``),
by its path second. A file that matches no device, or two, maps to none and is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sessions_lib.errors import InvalidRequestError
from sessions_lib.inference.rules import DEFAULT_GAP_NS
from sessions_lib.model.patterns import gitignore_spec
from sessions_lib.model.timestamps import NS_PER_S
from sessions_lib.model.validation import json_object_text, validate_name


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

    def matches_path(self, relative_path: str) -> bool:
        spec = gitignore_spec("path_patterns", self.path_patterns) if self.path_patterns else None
        return spec is not None and spec.match_file(relative_path)

    def matches_identifiers(self, found: Mapping[str, str]) -> bool:
        return any(found.get(key) == value for key, value in self.identifiers.items())


@dataclass(frozen=True, slots=True)
class DeviceMetadata:
    """The devices of one org and the session gap of each device type."""

    org_id: str | None
    devices: tuple[DeviceSpec, ...]
    session_gap_s: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

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

    def gap_ns(self, device_type: str | None) -> int:
        """The device type's session gap in ns, or the inference default for a type not listed."""
        gap_s = self.session_gap_s.get(device_type or "")
        return DEFAULT_GAP_NS if gap_s is None else gap_s * NS_PER_S


def load_device_metadata(path: Path) -> DeviceMetadata:
    """Read and validate a device metadata file; ``InvalidRequestError`` names what is wrong."""
    try:
        document = YAML(typ="safe").load(path.read_text())
    except (OSError, YAMLError) as error:
        raise InvalidRequestError(f"{path}: cannot read device metadata: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("devices"), list):
        raise InvalidRequestError(f"{path}: device metadata must be a mapping with a 'devices' list")
    gaps = {}
    for device_type, settings in (document.get("device_types") or {}).items():
        gap = (settings or {}).get("session_gap_s", DEFAULT_GAP_NS // NS_PER_S)
        if not isinstance(gap, int | float) or gap <= 0:
            raise InvalidRequestError(f"{path}: device type {device_type!r}: session_gap_s must be > 0")
        gaps[str(device_type)] = int(gap)
    devices = tuple(_device(path, i, entry) for i, entry in enumerate(document["devices"]))
    ids = [d.device_id for d in devices]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InvalidRequestError(f"{path}: device id(s) {repeated} listed more than once")
    org_id = document.get("org_id")
    return DeviceMetadata(org_id=str(org_id) if org_id else None, devices=devices, session_gap_s=gaps)


def _device(path: Path, index: int, entry: Any) -> DeviceSpec:
    where = f"{path}: devices[{index}]"
    if not isinstance(entry, dict) or not entry.get("device_id") or not entry.get("name"):
        raise InvalidRequestError(f"{where}: each device needs a device_id and a name")
    validate_name(f"{where} device", entry["name"], required=True)
    attributes = entry.get("attributes") or {}
    json_object_text(f"{where} attributes", attributes)
    match = entry.get("match") or {}
    patterns = match.get("paths") or []
    identifiers = match.get("identifiers") or {}
    tags = entry.get("mission_tags") or []
    if not isinstance(patterns, list) or not isinstance(identifiers, dict) or not isinstance(tags, list):
        raise InvalidRequestError(
            f"{where}: match.paths and mission_tags are lists, match.identifiers a mapping"
        )
    return DeviceSpec(
        device_id=str(entry["device_id"]),
        name=entry["name"],
        device_type=entry.get("device_type"),
        attributes=MappingProxyType(dict(attributes)),
        mission_tags=tuple(str(t) for t in tags),
        path_patterns=tuple(str(p) for p in patterns),
        identifiers=MappingProxyType({str(k): str(v) for k, v in identifiers.items()}),
    )
