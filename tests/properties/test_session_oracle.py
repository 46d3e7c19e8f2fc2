"""Property-based: random files, extents, contributions and removals against a brute-force oracle.

After every step, each session's bounds (on the returned instance and as stored) and its
``list_topics`` equal what plain Python computes from the same rows (DESIGN §4). Each example
works in an org of its own on one shared catalog, which org scoping makes a clean slate.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from sessions_lib import Client, RecordedTopic, Session, SessionFile, register_dataset, register_file

TOPIC_NAMES = ["/a", "/b", "/c", "/d", "/e"]
Span = tuple[int, int]

spans = st.tuples(st.integers(0, 100), st.integers(0, 30)).map(lambda s: (s[0], s[0] + s[1]))
file_topics = st.dictionaries(
    st.sampled_from(TOPIC_NAMES), st.lists(spans, min_size=1, max_size=3), max_size=4
)
offsets = st.sampled_from([0, 0, 7, 50])
ranges = st.none() | st.tuples(st.integers(-10, 160), st.integers(0, 60)).map(lambda r: (r[0], r[0] + r[1]))


# -- the oracle: plain Python over the same rows ---------------------------------------------


def wall_extents(topics: dict[str, list[Span]], offset: int) -> list[tuple[str, int, int]]:
    return [(name, lo + offset, hi + offset) for name, ss in topics.items() for lo, hi in ss]


def contribution_window(extents: list[tuple[str, int, int]], rng: Span | None) -> Span | None:
    if rng is not None:
        return rng
    if not extents:
        return None
    return min(lo for _, lo, _ in extents), max(hi for _, _, hi in extents)


def oracle_bounds(files: dict[str, list], held: dict[str, Span | None]) -> tuple[int | None, int | None]:
    windows = [w for fid, rng in held.items() if (w := contribution_window(files[fid], rng))]
    if not windows:
        return None, None
    return min(w[0] for w in windows), max(w[1] for w in windows)


def oracle_topics(files: dict[str, list], held: dict[str, Span | None]) -> list[str]:
    found = set()
    for fid, rng in held.items():
        window = contribution_window(files[fid], rng)
        for name, lo, hi in files[fid]:
            if window and lo <= window[1] and hi >= window[0]:
                found.add(name)
    return sorted(found)


def aggregate_topics(files: dict[str, list], held: dict[str, Span | None]) -> list[str]:
    """The looser rule the library must NOT use: overlap with the session's aggregate window."""
    low, high = oracle_bounds(files, held)
    if low is None:
        return []
    return sorted({n for fid in held for n, lo, hi in files[fid] if lo <= high and hi >= low})


# -- the shared catalog ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("oracle") / "catalog"


def new_org_client(catalog_dir: Path) -> Client:
    return Client(catalog_dir, user="hypothesis", org_ids=[f"org_{uuid.uuid4().hex[:12]}"], page_size=2)


_clients: dict[Path, Client] = {}
DISAGREEMENTS_SEEN: list[str] = []


def client_for(catalog_dir: Path) -> Client:
    """One Client (one attach) per catalog, re-scoped to a fresh org per example."""
    if catalog_dir not in _clients:
        _clients[catalog_dir] = new_org_client(catalog_dir)
    base = _clients[catalog_dir]
    return base.as_caller(org_ids=[f"org_{uuid.uuid4().hex[:12]}"])


class SessionsMachine(RuleBasedStateMachine):
    catalog_dir: Path

    files = Bundle("files")
    sessions = Bundle("sessions")

    def __init__(self) -> None:
        super().__init__()
        self.client = client_for(self.catalog_dir)
        self.dataset_id = register_dataset("oracle", roboto_client=self.client).dataset_id
        self.file_extents: dict[str, list[tuple[str, int, int]]] = {}
        self.held: dict[str, dict[str, Span | None]] = {}
        self.handles: dict[str, Session] = {}
        self.paths = 0

    @rule(target=files, topics=file_topics, offset=offsets)
    def register(self, topics: dict[str, list[Span]], offset: int) -> str:
        self.paths += 1
        record = register_file(
            self.dataset_id,
            f"f{self.paths}.mcap",
            [RecordedTopic(n, spans=tuple(s), unix_epoch_offset_ns=offset) for n, s in topics.items()],
            content_hash=str(self.paths),
            roboto_client=self.client,
        )
        self.file_extents[record.file_id] = wall_extents(topics, offset)
        return record.file_id

    @rule(file_id=files, topics=file_topics, offset=offsets)
    def re_register_with_new_content(self, file_id: str, topics: dict[str, list[Span]], offset: int) -> None:
        path = f"f{list(self.file_extents).index(file_id) + 1}.mcap"
        record = register_file(
            self.dataset_id,
            path,
            [RecordedTopic(n, spans=tuple(s), unix_epoch_offset_ns=offset) for n, s in topics.items()],
            content_hash=uuid.uuid4().hex,
            roboto_client=self.client,
        )
        assert record.file_id == file_id
        self.file_extents[file_id] = wall_extents(topics, offset)
        for session_id in self.held:  # the registry refreshed stored bounds; reload our handles
            self.handles[session_id] = Session.from_id(session_id, roboto_client=self.client)

    @rule(target=sessions)
    def create(self) -> str:
        session = Session.create(name="s", roboto_client=self.client)
        self.held[session.session_id] = {}
        self.handles[session.session_id] = session
        return session.session_id

    @rule(session_id=sessions, picks=st.lists(st.tuples(files, ranges), min_size=1, max_size=3))
    def add(self, session_id: str, picks: list[tuple[str, Span | None]]) -> None:
        chosen = dict(picks)  # one entry per file id: a call may not name a file twice
        self.handles[session_id].add_files(
            [SessionFile(fid, *(rng or (None, None))) for fid, rng in chosen.items()]
        )
        self.held[session_id].update(chosen)

    @rule(session_id=sessions, file_ids=st.lists(files, min_size=1, max_size=3, unique=True))
    def remove(self, session_id: str, file_ids: list[str]) -> None:
        self.handles[session_id].remove_files(file_ids)
        for fid in file_ids:
            self.held[session_id].pop(fid, None)

    @invariant()
    def matches_the_oracle(self) -> None:
        for session_id, held in self.held.items():
            expected_bounds = oracle_bounds(self.file_extents, held)
            handle = self.handles[session_id]
            stored = Session.from_id(session_id, roboto_client=self.client)
            note(f"{session_id}: held={held} files={self.file_extents}")
            assert (handle.min_timestamp_ns, handle.max_timestamp_ns) == expected_bounds
            assert (stored.min_timestamp_ns, stored.max_timestamp_ns) == expected_bounds
            topics = list(stored.list_topics())
            assert [t.name for t in topics] == oracle_topics(self.file_extents, held)
            assert len({t.topic_id for t in topics}) == len(topics)
            assert {f.file_id: f for f in stored.list_files()} == {
                fid: SessionFile(fid, *(rng or (None, None))) for fid, rng in held.items()
            }
            if oracle_topics(self.file_extents, held) != aggregate_topics(self.file_extents, held):
                event("per-contribution and aggregate-window overlap disagree")
                DISAGREEMENTS_SEEN.append(session_id)


@pytest.mark.slow
def test_sessions_match_the_oracle(shared_catalog: Path):
    SessionsMachine.catalog_dir = shared_catalog
    run_state_machine_as_test(
        SessionsMachine,
        # A fixed seed: the check below needs a run that tells the two overlap rules apart, every time.
        settings=settings(max_examples=25, stateful_step_count=12, deadline=None, derandomize=True),
    )
    assert DISAGREEMENTS_SEEN, "no generated case told per-contribution and aggregate overlap apart"


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(
    inside=spans,
    outside_gap=st.integers(1, 40),
    other=spans,
)
def test_a_topic_inside_the_aggregate_window_but_outside_its_files_window(
    shared_catalog: Path, inside: Span, outside_gap: int, other: Span
):
    """File A contributes only [inside]; its /late topic starts after that window but before the
    end of file B, so the aggregate window covers it. Per-contribution overlap must exclude it."""
    client = client_for(shared_catalog)
    dataset = register_dataset("d", roboto_client=client).dataset_id
    late_start = inside[1] + outside_gap
    b_end = max(other[1], late_start + 5) + 200
    a = register_file(
        dataset,
        "a",
        [RecordedTopic("/in", (inside,)), RecordedTopic("/late", ((late_start, late_start + 1),))],
        roboto_client=client,
    )
    b = register_file(dataset, "b", [RecordedTopic("/other", ((other[0], b_end),))], roboto_client=client)
    session = Session.create(roboto_client=client).add_files(
        [SessionFile(a.file_id, *inside), SessionFile(b.file_id)]
    )
    assert session.min_timestamp_ns <= late_start <= session.max_timestamp_ns
    assert [t.name for t in session.list_topics()] == ["/in", "/other"]
