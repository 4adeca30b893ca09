"""Group commit of finished steps: what finishes while a recording is under way waits for it and
is recorded together, next, by the same thread; nothing is recorded twice or left behind."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from multivac.incidents.war_room.grouping import GroupRecorder

NOTHING = "nothing"


class Recordings:
    """A stand-in for the database: each call records a batch; the first one can be held open."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, list[str]]] = []
        self.handed_off: list[str] = []
        self.holding = threading.Event()
        self.release = threading.Event()
        self.hold_first = False
        self.fail_next = False

    def record(self, key: int, items: list[str]) -> str:
        self.batches.append((key, list(items)))
        if self.hold_first and len(self.batches) == 1:
            self.holding.set()
            assert self.release.wait(5)
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database gone")
        return "made by " + "+".join(items)

    def recorder(self) -> GroupRecorder[int, str, str]:
        return GroupRecorder(self.record, self.handed_off.append, NOTHING)


@contextmanager
def first_recording_held(
    recordings: Recordings, recorder: GroupRecorder[int, str, str], key: int, item: str
) -> Iterator[Future[str]]:
    """`item` added on another thread, its recording held open until `recordings.release`."""
    recordings.hold_first = True
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(recorder.add, key, item)
        assert recordings.holding.wait(5)
        yield first


def test_alone_it_records_at_once_and_returns_what_it_made() -> None:
    recordings = Recordings()
    recorder = recordings.recorder()
    assert recorder.add(1, "channel") == "made by channel"
    assert recorder.add(1, "jira") == "made by jira"
    assert recordings.batches == [(1, ["channel"]), (1, ["jira"])]
    assert recordings.handed_off == []


def test_what_finishes_during_a_recording_is_recorded_together_by_the_recording_thread() -> None:
    recordings = Recordings()
    recorder = recordings.recorder()
    with first_recording_held(recordings, recorder, 1, "channel") as first:
        # Meanwhile two more finish: left to the recording thread, they return at once.
        assert recorder.add(1, "jira") == NOTHING
        assert recorder.add(1, "responders") == NOTHING
        recordings.release.set()
        assert first.result(5) == "made by jira+responders"
    assert recordings.batches == [(1, ["channel"]), (1, ["jira", "responders"])]
    # What the first batch made could not wait for the second: it went to be run elsewhere.
    assert recordings.handed_off == ["made by channel"]


def test_other_keys_are_recorded_apart_and_at_once() -> None:
    recordings = Recordings()
    recorder = recordings.recorder()
    with first_recording_held(recordings, recorder, 1, "channel") as first:
        assert recorder.add(2, "channel") == "made by channel"
        recordings.release.set()
        assert first.result(5) == "made by channel"
    assert recordings.batches == [(1, ["channel"]), (2, ["channel"])]


def test_after_a_failed_recording_what_was_left_is_recorded_with_the_next() -> None:
    recordings = Recordings()
    recordings.fail_next = True
    recorder = recordings.recorder()
    with first_recording_held(recordings, recorder, 1, "channel") as first:
        assert recorder.add(1, "jira") == NOTHING
        recordings.release.set()
        with pytest.raises(RuntimeError, match="database gone"):
            first.result(5)
    # The failed batch is the caller's to handle; jira waited, and goes with the next one.
    assert recorder.add(1, "responders") == "made by jira+responders"
    assert recordings.batches == [(1, ["channel"]), (1, ["jira", "responders"])]
