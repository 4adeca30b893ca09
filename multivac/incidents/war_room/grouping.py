"""Group commit: what finishes while a recording is under way is recorded together, next.

Steps of one war room often finish within a few milliseconds of each other. Recorded one by one
they queue for the incident's lock, each in its own transaction, and the step that needs them
all waits for the last. Here the first to finish records at once; those that finish meanwhile
leave their result and return, and the recording thread records them all in one transaction as
soon as its own is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)  # what is recorded together (an incident)
T = TypeVar("T")  # one thing to record (a finished step)
R = TypeVar("R")  # what a recording gives back (the steps it made ready)


class GroupRecorder(Generic[K, T, R]):
    """Records things under their key, together when they come while one is being recorded.

    `record(key, items)` stores a batch and returns what it made; `hand_off` receives that when
    more came meanwhile (the recording thread goes on with them, so it cannot use it itself);
    `nothing` is what a thread whose item another thread records gets back.
    """

    def __init__(
        self,
        record: Callable[[K, list[T]], R],
        hand_off: Callable[[R], None],
        nothing: R,
    ) -> None:
        self._record, self._hand_off, self._nothing = record, hand_off, nothing
        self._lock = threading.Lock()
        self._waiting: dict[K, list[T]] = {}
        self._recording: set[K] = set()

    def add(self, key: K, item: T) -> R:
        """Record `item`, with what comes for `key` meanwhile, and return what the last batch
        made; or, when another thread is recording for `key`, leave it to that thread and return
        `nothing`. If a recording fails, the error is raised here and what was left waiting is
        recorded with the next item for `key`."""
        with self._lock:
            self._waiting.setdefault(key, []).append(item)
            if key in self._recording:
                return self._nothing
            self._recording.add(key)
        made = self._nothing
        try:
            while True:
                with self._lock:
                    batch = self._waiting.pop(key, [])
                    if not batch:
                        self._recording.discard(key)
                        return made
                if made is not self._nothing:
                    self._hand_off(made)
                made = self._record(key, batch)
        except BaseException:
            with self._lock:
                self._recording.discard(key)
            raise
