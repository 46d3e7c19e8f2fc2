"""Short prefixed ids: ``se_`` session, ``fl_`` file, ``dv_`` device, ``ds_`` dataset,
``tp_`` topic, ``tpp_`` topic partition, ``te_`` timeline extent."""

import hashlib
import secrets

SESSION = "se"
FILE = "fl"
DEVICE = "dv"
DATASET = "ds"
TOPIC = "tp"
TOPIC_PARTITION = "tpp"
TIMELINE_EXTENT = "te"


def new_id(prefix: str) -> str:
    """A fresh random id, e.g. ``se_3f9a0c1d2b4e5f60``."""
    return f"{prefix}_{secrets.token_hex(8)}"


def stable_id(prefix: str, *parts: str) -> str:
    """The same id for the same parts, e.g. one topic id per (org, topic name)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{prefix}_{digest[:16]}"
