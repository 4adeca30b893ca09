"""The threads a process keeps for war rooms, so that running a step or a call side by side
costs no new thread: starting one waits until it runs, which on a busy process takes
milliseconds, at the very moments a war room waits for it.

Two pools. `steps` runs war-room steps side by side; `calls` runs one step's external calls side
by side. A step may wait for its calls but never for another step, and a call waits for nothing
in either pool, so no pool can fill up with threads waiting for work queued behind them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

# Side-by-side steps of the war rooms one worker runs at once (several per war room), and
# side-by-side calls of those steps: threads are started only when needed, up to these.
MAX_STEP_THREADS = 64
MAX_CALL_THREADS = 64


@dataclass(frozen=True)
class Threads:
    steps: ThreadPoolExecutor
    calls: ThreadPoolExecutor

    @classmethod
    def start(cls) -> Threads:
        return cls(
            ThreadPoolExecutor(MAX_STEP_THREADS, thread_name_prefix="war-room-step"),
            ThreadPoolExecutor(MAX_CALL_THREADS, thread_name_prefix="war-room-call"),
        )

    def close(self) -> None:
        """Let running work finish, then stop the threads."""
        self.steps.shutdown(wait=True)
        self.calls.shutdown(wait=True)
