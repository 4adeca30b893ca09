"""The war room as a dependency graph: each step runs as soon as its inputs exist (DESIGN §3).

A step `needs` the steps whose results it uses. It `waits_for` steps whose results it uses when
they exist but can do without: it runs once they are *settled* (done, failed for good, or, for an
`optional` step such as Jira, failed once and still retrying), so Jira being down never delays
the channel. `round_trips` counts the external calls a step makes one after another with warm
caches: the benchmark computes the critical-path bound from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class StepState(StrEnum):
    PENDING = "pending"  # not started
    QUEUED = "queued"  # handed to a worker, not claimed yet
    RUNNING = "running"  # claimed by a worker
    RETRYING = "retrying"  # failed, a retry is scheduled
    DONE = "done"
    FAILED = "failed"  # failed for good


@dataclass(frozen=True)
class Step:
    name: str
    needs: tuple[str, ...] = ()
    waits_for: tuple[str, ...] = ()
    optional: bool = False
    round_trips: int = 1


WAR_ROOM: tuple[Step, ...] = (
    Step("channel"),
    Step("responders"),  # on-calls; Slack ids by email come from the cache
    Step("jira", optional=True),  # the lead's email and Jira account come from the cache
    Step("invite", needs=("channel", "responders")),
    Step("topic", needs=("channel",), waits_for=("jira",)),
    Step("bookmarks", needs=("channel",), waits_for=("jira",)),
    Step("summary", needs=("channel",), waits_for=("responders", "jira")),
    Step("pagerduty_note", needs=("channel",)),
    Step("jira_late", needs=("jira", "topic", "bookmarks", "summary"), round_trips=0),
)
STEPS: dict[str, Step] = {step.name: step for step in WAR_ROOM}


def _settled(step: Step, state: StepState) -> bool:
    if state in (StepState.DONE, StepState.FAILED):
        return True
    return step.optional and state == StepState.RETRYING


def ready(states: Mapping[str, StepState]) -> list[str]:
    """The pending steps whose inputs now exist, in graph order."""
    found = []
    for step in WAR_ROOM:
        if states.get(step.name, StepState.PENDING) != StepState.PENDING:
            continue
        needs_done = all(states.get(n) == StepState.DONE for n in step.needs)
        waited = all(_settled(STEPS[w], states.get(w, StepState.PENDING)) for w in step.waits_for)
        if needs_done and waited:
            found.append(step.name)
    return found


def complete(states: Mapping[str, StepState]) -> bool:
    """True once no step can run any more (every step done or failed, or blocked by one)."""
    busy = (StepState.QUEUED, StepState.RUNNING, StepState.RETRYING)
    return not ready(states) and not any(s in busy for s in states.values())


def critical_path(steps: Iterable[Step] = WAR_ROOM) -> tuple[int, list[str]]:
    """Round trips along the longest chain of the graph, and that chain."""
    graph = {step.name: step for step in steps}
    memo: dict[str, tuple[int, list[str]]] = {}

    def longest(name: str) -> tuple[int, list[str]]:
        if name not in memo:
            step = graph[name]
            before = [longest(d) for d in (*step.needs, *step.waits_for)]
            cost, chain = max(before, default=(0, []))
            memo[name] = (cost + step.round_trips, [*chain, name])
        return memo[name]

    return max(longest(name) for name in graph)
