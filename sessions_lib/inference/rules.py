"""Session inference: activity windows of devices -> sessions, contributions, attachments.

Pure, vectorized polars: no SQL, no catalog, no files, and no Python loop over activity rows (the only
per-row Python is hashing one id per *session*). The caller sends one row per piece of evidence:

- ``file``: a file's whole window (its contribution is the whole file);
- ``armed``: one armed interval of a ULog (the log's contribution is narrowed to the interval);
- ``episode``: one LeRobot episode's slice of a shared file (the file narrowed to the episode).

A file is sent either as one ``file`` row or as its ``armed``/``episode`` rows, never both. Two
optional columns say more of the file: ``anchored`` (whether its clock is Unix time; default
true) and ``file_name`` (its relative path, which names the sessions of an unanchored file).

The rules, in order:

1. **Gap islands.** Per (org, device), the ``file`` rows sorted by start form one session until a
   row starts more than the device type's gap after the latest end seen so far in that session
   (closed intervals: touching or overlapping rows always share a session; ``gap = 0`` merges exactly
   the overlapping or touching ones).
2. **Armed flights.** Each ``armed`` row is a session of its own; two armed intervals never merge
   with each other on their device. A ``file`` row of the same device that *overlaps* an armed
   interval (closed) joins that flight with its whole file (a row overlapping two flights joins
   both), and takes no part in the gap islands. Nearness within the gap is not enough: arming is
   precise evidence, and a recording that only comes close to a flight is its own session.
3. **Episodes and unanchored files.** Each ``episode`` row is a session of its own and never
   merges with anything (not even by rule 4). So is each row of an *unanchored* file (a clock that
   is not Unix time: boot-relative, episode or simulator time): its times are comparable only
   within that one recording, so it never joins another file by gap, flight or formation.
4. **Formations.** Non-episode sessions whose devices share a mission tag and whose windows
   ``[min, max]`` overlap (closed) are connected; each connected component that spans at least two
   devices becomes one session attached to all its devices. A component of one device's sessions
   is left as it was (one device's sessions only meet when a flight's joined files widened it).
5. **Contributions.** One row per (session, file): a whole-file row wins (both range bounds null);
   otherwise the range is the min start .. max end of the file's rows in that session.
6. **Bounds.** A session's ``min/max_timestamp_ns`` are the min start and max end of its rows,
   which equals the min/max over its contribution windows.

Identity, so that re-runs converge:

- ``session_id = stable_id("se", org_id, "inferred", *sorted_device_ids, str(min_timestamp_ns))``:
  it depends only on who took part and when the session began, so activity appended later in the
  session, or activity elsewhere in the fleet, leaves it alone. (Should two sessions of the same
  devices begin at the same nanosecond, the later ones by ``(max_timestamp_ns, contributions)``
  get ``str(n)`` appended as a further part.)
  A session of an unanchored file also takes the file id as a part, since its start is only a
  time since that recording's own clock zero.
- ``name = "{lead device name}-{UTC start YYYYMMDD-HHMMSS}"`` with ``-formation`` appended for
  multi-device sessions; the lead is the first device id in sort order. A session of an
  unanchored file has no date to show: ``"{lead device name}-unanchored-{file name stem}"``.
- Names are unique in the org, so a name identifies a session within each of its devices: where
  several sessions would get one name, all but the earliest (by start, then id) get ``-2``,
  ``-3``, ... appended, in that order.

>>> rules = InferenceRules(default_gap_ns=600 * 10**9, gap_ns_by_device_type={"arm": 60 * 10**9})
>>> inferred = infer_sessions(activity, devices, rules)  # doctest: +SKIP
>>> inferred.sessions.columns  # doctest: +SKIP
['org_id', 'session_id', 'name', 'min_timestamp_ns', 'max_timestamp_ns']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import polars as pl

from sessions_lib.errors import InvalidRequestError
from sessions_lib.model.ids import SESSION, stable_id
from sessions_lib.model.timestamps import NS_PER_S
from sessions_lib.model.validation import MAX_NAME_LENGTH, TIME_LIMIT_NS, is_int64

# A device's activity further apart than this is two sessions, unless its type says otherwise.
DEFAULT_GAP_NS = 600 * NS_PER_S
KINDS: tuple[str, ...] = ("file", "armed", "episode")

ACTIVITY_COLUMNS: dict[str, pl.DataType] = {
    "org_id": pl.String(),
    "device_id": pl.String(),
    "file_id": pl.String(),
    "kind": pl.String(),
    "start_ns": pl.Int64(),
    "end_ns": pl.Int64(),
}
# Optional activity columns, and the value a frame without them is read with.
OPTIONAL_ACTIVITY_COLUMNS: dict[str, tuple[pl.DataType, bool | None]] = {
    "anchored": (pl.Boolean(), True),
    "file_name": (pl.String(), None),
}
DEVICE_COLUMNS: dict[str, pl.DataType] = {
    "org_id": pl.String(),
    "device_id": pl.String(),
    "name": pl.String(),
    "device_type": pl.String(),
    "mission_tags": pl.List(pl.String()),
}
SESSION_SCHEMA = pl.Schema(
    {
        "org_id": pl.String(),
        "session_id": pl.String(),
        "name": pl.String(),
        "min_timestamp_ns": pl.Int64(),
        "max_timestamp_ns": pl.Int64(),
    }
)
CONTRIBUTION_SCHEMA = pl.Schema(
    {
        "org_id": pl.String(),
        "session_id": pl.String(),
        "file_id": pl.String(),
        "range_min_timestamp_ns": pl.Int64(),
        "range_max_timestamp_ns": pl.Int64(),
    }
)
ATTACHMENT_SCHEMA = pl.Schema({"org_id": pl.String(), "session_id": pl.String(), "device_id": pl.String()})

ID_SEPARATOR = "\x1f"  # what ``stable_id`` joins its parts with
FORMATION_SUFFIX = "-formation"
UNANCHORED_INFIX = "-unanchored-"
_STAMP_LENGTH = len("-YYYYMMDD-HHMMSS")


@dataclass(frozen=True, slots=True)
class InferenceRules:
    """How far apart a device's activity may be and still be one session, per device type.

    >>> InferenceRules(gap_ns_by_device_type={"arm": 60 * 10**9}).gap_ns("arm")
    60000000000
    """

    default_gap_ns: int = DEFAULT_GAP_NS
    gap_ns_by_device_type: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        _check_gap("default_gap_ns", self.default_gap_ns)
        if not isinstance(self.gap_ns_by_device_type, Mapping):
            raise InvalidRequestError(
                f"gap_ns_by_device_type must be a mapping of device type to nanoseconds, "
                f"got {self.gap_ns_by_device_type!r}"
            )
        for device_type, gap_ns in self.gap_ns_by_device_type.items():
            if not isinstance(device_type, str) or not device_type:
                raise InvalidRequestError(f"device types must be non-empty strings, got {device_type!r}")
            _check_gap(f"gap for device type {device_type!r}", gap_ns)
        object.__setattr__(self, "gap_ns_by_device_type", MappingProxyType(dict(self.gap_ns_by_device_type)))

    def gap_ns(self, device_type: str | None) -> int:
        """The gap for a device type; the default for an unlisted or unknown (``None``) type."""
        if device_type is None:
            return self.default_gap_ns
        return self.gap_ns_by_device_type.get(device_type, self.default_gap_ns)


def _check_gap(what: str, gap_ns: object) -> None:
    if not is_int64(gap_ns) or not 0 <= gap_ns < TIME_LIMIT_NS:  # type: ignore[operator]
        raise InvalidRequestError(f"{what} must be a non-negative integer of nanoseconds, got {gap_ns!r}")


@dataclass(frozen=True, slots=True)
class InferredSessions:
    """The inferred sessions and what they hold, as three frames sorted deterministically.

    ``sessions`` by (org_id, min_timestamp_ns, session_id); ``contributions`` (range bounds both
    null for a whole file) and ``attachments`` by (org_id, session_id, file_id / device_id).
    """

    sessions: pl.DataFrame
    contributions: pl.DataFrame
    attachments: pl.DataFrame


def infer_sessions(
    activity: pl.DataFrame | pl.LazyFrame,
    devices: pl.DataFrame,
    rules: InferenceRules = InferenceRules(),
) -> InferredSessions:
    """Sessions from the activity of known devices, by the rules of this module's docstring.

    Raises ``InvalidRequestError`` for missing columns or wrong dtypes, nulls, an unknown ``kind``,
    ``start_ns > end_ns``, times beyond ±2**62 ns, a file sent both whole and in slices, a device
    listed twice, and activity of a device not in ``devices``.
    """
    if not isinstance(rules, InferenceRules):
        raise InvalidRequestError(f"rules must be InferenceRules, got {type(rules).__name__}")
    known = _device_table(devices, rules)
    rows = _with_device_ordinals(_activity_table(activity), known)
    members = _device_sessions(rows)
    per_device = members.group_by("skey").agg(
        pl.col("device_ord").first(),
        pl.col("start_ns").min(),
        pl.col("end_ns").max(),
        ((pl.col("kind").first() == "episode") | ~pl.col("anchored").first()).alias("alone"),
        pl.col("anchored").all(),
        pl.col("file_id").first(),
        pl.col("file_name").first(),
    )
    session_of = _formations(per_device, known)
    return _assemble(members.join(session_of, on="skey"), per_device.join(session_of, on="skey"), known)


# --- validation -------------------------------------------------------------------------------


def _check_columns(what: str, schema: pl.Schema, expected: dict[str, pl.DataType]) -> None:
    missing = [name for name in expected if name not in schema]
    if missing:
        raise InvalidRequestError(
            f"{what} is missing column(s) {', '.join(map(repr, missing))}; expected {', '.join(expected)}"
        )
    for name, dtype in expected.items():
        actual = schema[name]
        fits = (
            actual.is_integer()
            if dtype == pl.Int64
            else actual in (pl.List(pl.String), pl.List(pl.Null), pl.Null)
            if isinstance(dtype, pl.List)
            else actual in (pl.String, pl.Null)
        )
        if not fits:
            raise InvalidRequestError(f"{what} column {name!r} must be {dtype}, got {actual}")


def _activity_table(activity: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """The activity's six columns, checked, as a DataFrame with a ``row`` index."""
    if not isinstance(activity, pl.DataFrame | pl.LazyFrame):
        raise InvalidRequestError(f"activity must be a polars DataFrame or LazyFrame, got {type(activity)}")
    lazy = activity.lazy()
    schema = lazy.collect_schema()
    _check_columns("activity", schema, ACTIVITY_COLUMNS)
    optional = [
        pl.col(name).cast(dtype) if name in schema else pl.lit(default, dtype).alias(name)
        for name, (dtype, default) in OPTIONAL_ACTIVITY_COLUMNS.items()
    ]
    try:
        table = lazy.select(
            *(pl.col(name).cast(dtype) for name, dtype in ACTIVITY_COLUMNS.items()), *optional
        ).collect()
    except pl.exceptions.InvalidOperationError as error:
        raise InvalidRequestError(f"activity times must fit int64 nanoseconds: {error}") from None
    start, end = pl.col("start_ns"), pl.col("end_ns")
    problems = {
        "null values (every column is required)": pl.any_horizontal(
            pl.col(*ACTIVITY_COLUMNS, "anchored").is_null()
        ),
        f"a kind other than {', '.join(KINDS)}": ~pl.col("kind").is_in(KINDS),
        "start_ns after end_ns (windows are closed, start <= end)": start > end,
        f"times beyond ±2**62 ns ({TIME_LIMIT_NS})": (start.abs() >= TIME_LIMIT_NS)
        | (end.abs() >= TIME_LIMIT_NS),
    }
    counts = table.select(problem.sum().alias(rule) for rule, problem in problems.items()).row(0, named=True)
    for rule, count in counts.items():
        if count:
            example = table.filter(problems[rule]).row(0, named=True)
            raise InvalidRequestError(f"activity has {count} row(s) with {rule}, e.g. {example}")
    return table.with_row_index("row")


def _device_table(devices: pl.DataFrame, rules: InferenceRules) -> pl.DataFrame:
    """Devices sorted by (org, id), numbered ``device_ord`` in that order, with their gap."""
    if not isinstance(devices, pl.DataFrame):
        raise InvalidRequestError(f"devices must be a polars DataFrame, got {type(devices).__name__}")
    _check_columns("devices", devices.schema, DEVICE_COLUMNS)
    table = devices.select(pl.col(name).cast(dtype) for name, dtype in DEVICE_COLUMNS.items())
    for name in ("org_id", "device_id"):
        if table[name].null_count():
            raise InvalidRequestError(f"devices column {name!r} has null values; every device needs one")
    repeated = table.filter(pl.struct("org_id", "device_id").is_duplicated())
    if repeated.height:
        raise InvalidRequestError(
            f"devices lists {repeated.height} row(s) for the same (org_id, device_id), "
            f"e.g. {repeated.row(0, named=True)}; list each device once"
        )
    gap_ns = pl.col("device_type").replace_strict(
        dict(rules.gap_ns_by_device_type), default=rules.default_gap_ns, return_dtype=pl.Int64
    )
    return (
        table.sort("org_id", "device_id")
        .with_row_index("device_ord")
        .with_columns(
            gap_ns.alias("gap_ns"),
            pl.col("name").fill_null(pl.col("device_id")),
            pl.col("mission_tags").fill_null([]).list.drop_nulls().list.unique(),
        )
    )


def _with_device_ordinals(activity: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """Activity with its device's ordinal and gap; refuses activity of unknown devices and files
    sent both whole and in slices."""
    rows = activity.join(
        known.select("org_id", "device_id", "device_ord", "gap_ns"), on=["org_id", "device_id"], how="left"
    )
    unknown = rows.filter(pl.col("device_ord").is_null()).select("org_id", "device_id").unique()
    if unknown.height:
        names = ", ".join(f"{org}/{device}" for org, device in unknown.sort(pl.all()).head(5).iter_rows())
        raise InvalidRequestError(
            f"activity names {unknown.height} device(s) not in devices ({names}); "
            "list every device whose activity is inferred"
        )
    sliced = rows.filter(pl.col("kind") != "file").select("org_id", "file_id").unique()
    if sliced.height:
        both = rows.filter(pl.col("kind") == "file").join(sliced, on=["org_id", "file_id"], how="semi")
        if both.height:
            raise InvalidRequestError(
                f"file {both['file_id'].sort()[0]!r} is sent both as a whole-file row and as armed or "
                "episode slices; send one or the other"
            )
    kind = pl.col("kind").cast(pl.Enum(KINDS))  # one byte a row from here on
    return rows.select(
        "row", "device_ord", "gap_ns", "file_id", kind, "start_ns", "end_ns", "anchored", "file_name"
    )


# --- rules 1-3: sessions per device -------------------------------------------------------------


def _islands(frame: pl.DataFrame, group: list[str], gap: pl.Expr | int) -> pl.Series:
    """Per ``group`` (``frame`` sorted by group, then start): True where a row starts a new island,
    i.e. starts more than ``gap`` after the latest end of the group's earlier rows."""
    latest_end = pl.col("end_ns").cum_max().shift(1).over(group)
    return frame.select(
        (latest_end.is_null() | (pl.col("start_ns") > latest_end + gap)).alias("new_island")
    ).to_series()


def _device_sessions(rows: pl.DataFrame) -> pl.DataFrame:
    """Every row (a file row joining two flights: twice) with ``skey``, its per-device session."""
    kind, anchored = pl.col("kind"), pl.col("anchored")
    files = rows.filter((kind == "file") & anchored)
    armed = rows.filter((kind == "armed") & anchored).sort("device_ord", "start_ns", "end_ns", "file_id")
    alone = rows.filter((kind == "episode") | ~anchored).sort("device_ord", "start_ns", "end_ns", "file_id")

    joined = pl.DataFrame(schema={"row": pl.UInt32, "skey": pl.Int64})
    if armed.height:
        # Pairs a device's whole-file rows with its flights, then keeps the overlapping pairs: the
        # work is files x flights per device, small for logs of single vehicles.
        flights = armed.select(
            "device_ord", pl.col("row").alias("armed_row"), "start_ns", "end_ns"
        ).with_row_index("flight")
        joined = (
            files.filter(pl.col("device_ord").is_in(flights["device_ord"].unique().implode()))
            .select("row", "device_ord", "start_ns", "end_ns")
            .join(flights, on="device_ord", suffix="_flight")
            .filter(
                (pl.col("start_ns") <= pl.col("end_ns_flight"))
                & (pl.col("end_ns") >= pl.col("start_ns_flight"))
            )
            .select("row", pl.col("flight").cast(pl.Int64).alias("skey"))
        )
        files = files.join(joined, on="row", how="anti")

    files = files.sort("device_ord", "start_ns")
    islands = files.with_columns(
        (_islands(files, ["device_ord"], pl.col("gap_ns")).cum_sum().cast(pl.Int64) - 1).alias("skey")
    )
    offset = islands.height  # island keys are below the number of file rows; flights come after
    columns = ["skey", "device_ord", "file_id", "kind", "start_ns", "end_ns", "anchored", "file_name"]
    flight_keys = pl.int_range(pl.len(), dtype=pl.Int64) + offset
    alone_keys = pl.int_range(pl.len(), dtype=pl.Int64) + offset + armed.height
    return pl.concat(
        [
            islands.select(columns),
            armed.with_columns(flight_keys.alias("skey")).select(columns),
            alone.with_columns(alone_keys.alias("skey")).select(columns),
            rows.join(joined.with_columns(pl.col("skey") + offset), on="row").select(columns),
        ]
    )


# --- rule 4: formations ------------------------------------------------------------------------


def _formations(per_device: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """``skey -> session``: the connected component's key for sessions in a multi-device
    formation, the session's own key otherwise."""
    own = per_device.select("skey", pl.col("skey").alias("session"))
    tags = known.select("device_ord", "org_id", "mission_tags").explode("mission_tags").drop_nulls()
    tagged = (
        per_device.filter(~pl.col("alone"))
        .join(tags, on="device_ord")
        .sort("org_id", "mission_tags", "start_ns")
    )
    if not tagged.height:
        return own
    # Per (org, tag), overlapping windows chain into islands (interval-graph components); a session
    # with several tags sits in several islands, which the label propagation below connects.
    edges = (
        tagged.with_columns(_islands(tagged, ["org_id", "mission_tags"], 0).cum_sum().alias("island"))
        .select("skey", "island")
        .filter(pl.len().over("island") > 1)
    )
    labels = edges.select("skey").unique().with_columns(pl.col("skey").alias("label"))
    total = labels["label"].sum()
    # Labels only decrease, so an unchanged sum means a fixed point; each round also jumps every
    # label to its label's label, which keeps the rounds few on long chains.
    while True:
        by_island = edges.join(labels, on="skey").group_by("island").agg(pl.col("label").min())
        labels = edges.join(by_island, on="island").group_by("skey").agg(pl.col("label").min())
        labels = labels.join(
            labels.select(pl.col("skey").alias("label"), pl.col("label").alias("jumped")), on="label"
        ).select("skey", pl.min_horizontal("label", "jumped").alias("label"))
        new_total = labels["label"].sum()
        if new_total == total:
            break
        total = new_total
    formations = (
        labels.join(per_device.select("skey", "device_ord"), on="skey")
        .filter(pl.col("device_ord").n_unique().over("label") > 1)
        .select("skey", pl.col("label").alias("formation"))
    )
    return own.join(formations, on="skey", how="left").select(
        "skey", pl.coalesce("formation", "session").alias("session")
    )


# --- rules 5-6 and identity ----------------------------------------------------------------------


def _assemble(members: pl.DataFrame, per_device: pl.DataFrame, known: pl.DataFrame) -> InferredSessions:
    if not members.height:
        return InferredSessions(
            SESSION_SCHEMA.to_frame(), CONTRIBUTION_SCHEMA.to_frame(), ATTACHMENT_SCHEMA.to_frame()
        )
    device_names = known.select("device_ord", "org_id", "device_id", "name")
    attached = per_device.select("session", "device_ord").unique().join(device_names, on="device_ord")
    sessions = per_device.group_by("session").agg(
        pl.col("start_ns").min().alias("min_timestamp_ns"),
        pl.col("end_ns").max().alias("max_timestamp_ns"),
        pl.col("device_ord").min().alias("lead_ord"),
        pl.col("device_ord").n_unique().alias("device_count"),
        pl.col("anchored").all(),
        pl.col("file_id").first(),  # the one file of a session that is not anchored
        pl.col("file_name").first(),
    )
    formations = (
        attached.filter(pl.col("device_ord").n_unique().over("session") > 1)
        .group_by("session")
        .agg(pl.col("device_id").sort().str.join(ID_SEPARATOR).alias("formation_devices"))
    )
    sessions = (
        sessions.join(device_names, left_on="lead_ord", right_on="device_ord")
        .join(formations, on="session", how="left")
        .with_columns(pl.coalesce("formation_devices", "device_id").alias("devices"))
    )
    contributions = members.group_by("session", "file_id").agg(
        (pl.col("kind") == "file").any().alias("whole"),
        pl.col("start_ns").min(),
        pl.col("end_ns").max(),
    )
    whole = pl.col("whole")
    contributions = contributions.select(
        "session",
        "file_id",
        pl.when(~whole).then("start_ns").alias("range_min_timestamp_ns"),
        pl.when(~whole).then("end_ns").alias("range_max_timestamp_ns"),
    )
    sessions = _with_identity(sessions, contributions)
    # Sorting 1M contributions by their strings is slow; the sessions' own order, as a number,
    # gives the same (org_id, session_id, file_id) order at a fraction of the cost.
    session_ids = (
        sessions.select("session", "org_id", "session_id")
        .sort("org_id", "session_id")
        .with_row_index("order")
    )
    return InferredSessions(
        sessions=sessions.select(SESSION_SCHEMA.names()).sort("org_id", "min_timestamp_ns", "session_id"),
        contributions=contributions.join(session_ids, on="session")
        .sort("order", "file_id")
        .select(CONTRIBUTION_SCHEMA.names()),
        attachments=attached.join(session_ids.drop("org_id"), on="session")
        .sort("order", "device_id")
        .select(ATTACHMENT_SCHEMA.names()),
    )


def _with_identity(sessions: pl.DataFrame, contributions: pl.DataFrame) -> pl.DataFrame:
    """``session_id`` and ``name`` from the org, the devices and the start (module docstring)."""
    start = pl.col("min_timestamp_ns").cast(pl.String)
    parts = [pl.col("org_id"), pl.lit("inferred"), pl.col("devices"), start]
    key = (
        pl.when("anchored")
        .then(pl.concat_str(*parts, separator=ID_SEPARATOR))
        .otherwise(pl.concat_str(*parts, pl.col("file_id"), separator=ID_SEPARATOR))
    )
    sessions = sessions.with_columns(key.alias("key"))
    clashing = sessions.filter(pl.col("key").is_duplicated())
    if clashing.height:
        # Same devices, same first nanosecond: tell them apart by how they end and what they hold.
        signature = (
            contributions.join(clashing.select("session"), on="session")
            .sort("file_id", "range_min_timestamp_ns", "range_max_timestamp_ns", nulls_last=False)
            .group_by("session")
            .agg(
                pl.concat_str(
                    "file_id",
                    pl.col("range_min_timestamp_ns").cast(pl.String).fill_null(""),
                    pl.col("range_max_timestamp_ns").cast(pl.String).fill_null(""),
                    separator=":",
                )
                .str.join(",")
                .alias("signature")
            )
        )
        ordinal = (
            clashing.join(signature, on="session")
            .sort("key", "max_timestamp_ns", "signature", "session")
            .select("session", pl.int_range(pl.len()).over("key").alias("ordinal"))
        )
        sessions = sessions.join(ordinal, on="session", how="left").with_columns(
            pl.when(pl.col("ordinal") > 0)
            .then(pl.concat_str("key", pl.col("ordinal").cast(pl.String), separator=ID_SEPARATOR))
            .otherwise("key")
            .alias("key")
        )
    # ``stable_id`` joins its parts with ID_SEPARATOR, so hashing the joined key is the same as
    # passing the parts one by one (a test pins this).
    session_ids = pl.Series("session_id", [stable_id(SESSION, key) for key in sessions["key"]], pl.String)
    suffix = pl.when(pl.col("device_count") > 1).then(pl.lit(FORMATION_SUFFIX)).otherwise(pl.lit(""))
    room = MAX_NAME_LENGTH - _STAMP_LENGTH - len(FORMATION_SUFFIX)
    stamp = pl.from_epoch("min_timestamp_ns", time_unit="ns").dt.strftime("%Y%m%d-%H%M%S")
    dated = pl.concat_str(pl.col("name").str.slice(0, room), pl.lit("-"), stamp, suffix)
    stem = pl.coalesce(pl.col("file_name").str.split("/").list.last(), pl.col("file_id"))
    stem = stem.str.replace(r"(.)\.[^.]*$", "$1")
    undated = pl.concat_str(pl.col("name").str.slice(0, room), pl.lit(UNANCHORED_INFIX), stem)
    name = pl.when("anchored").then(dated).otherwise(undated.str.slice(0, MAX_NAME_LENGTH))
    return _unique_names(sessions.with_columns(session_ids, name.alias("name")))


def _unique_names(sessions: pl.DataFrame) -> pl.DataFrame:
    """Every session of an org named apart: where names repeat, all but the earliest (by start,
    then id) get ``-2``, ``-3``, ... (the name cut to fit), until no two are alike."""
    sessions = sessions.sort("org_id", "name", "min_timestamp_ns", "session_id")
    while sessions.select(pl.struct("org_id", "name").is_duplicated().any()).item():
        ordinal = pl.int_range(pl.len()).over("org_id", "name")
        suffix = pl.concat_str(pl.lit("-"), (ordinal + 1).cast(pl.String))
        renamed = pl.concat_str(pl.col("name").str.slice(0, MAX_NAME_LENGTH - suffix.str.len_chars()), suffix)
        sessions = sessions.with_columns(pl.when(ordinal > 0).then(renamed).otherwise("name").alias("name"))
    return sessions
