"""What a war-room step works with: the ports, the settings, the database and the incident."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from multivac.incidents.war_room.threads import Threads
from multivac.integrations.ports import Chat, Pager, Tracker
from multivac.settings import ServiceRoute, Settings
from multivac.store.cache import Remembered
from multivac.store.incidents import incident_snapshot
from multivac.store.models import Incident, Role
from multivac.store.steps import completed_steps
from multivac.store.timeline import add_timeline

ROLE_ORDER: tuple[str, ...] = (Role.CX, Role.COMMS, Role.SCRIBE)


@dataclass(frozen=True)
class Deps:
    chat: Chat
    pager: Pager
    tracker: Tracker
    settings: Settings
    sessions: sessionmaker[Session]
    threads: Threads  # the process's, shared by every war room it runs
    remembered: Remembered  # the process's memory of the shared look-up cache


@dataclass(frozen=True)
class StepContext:
    deps: Deps
    incident: Incident  # a snapshot taken when the step started (not tracked by any session)
    results: dict[str, dict[str, Any]]  # the results of the steps done so far
    attempt: int = 1  # > 1 when an earlier attempt may have done part of the work
    roles: tuple[tuple[str, str], ...] = ()  # (role, Slack user id) of cx, comms, scribe

    @property
    def route(self) -> ServiceRoute:
        incident = self.incident
        return self.deps.settings.incidents.route_for(
            incident.service_id or "", incident.service_name or ""
        )

    def result(self, step: str) -> dict[str, Any] | None:
        return self.results.get(step)


@dataclass(frozen=True)
class StepOutput:
    """What a step returns: its JSON-able `result`, handed to the steps that depend on it, and the
    database writes that go with it (`record`), made in the transaction that marks the step done,
    so a step's result and its effects on the incident are stored together or not at all."""

    result: dict[str, Any]
    record: Callable[[Session], None] | None = None


def record_once(session: Session, incident_id: int, kind: str, text: str, at: datetime) -> None:
    """A timeline entry for what a step did, once per incident whatever its retries."""
    add_timeline(session, incident_id, kind, text, at, source="multivac", dedup_key=kind)


def load_context(
    session: Session,
    deps: Deps,
    incident_id: int,
    results: dict[str, dict[str, Any]] | None = None,
) -> StepContext | None:
    """The incident and its done steps' results (read here unless the caller has just read
    them), read in the caller's transaction; None when there is no such incident."""
    snapshot = incident_snapshot(session, incident_id, ROLE_ORDER)
    if snapshot is None:
        return None
    if results is None:
        results = completed_steps(session, incident_id)
    roles = _ordered(tuple(snapshot.role_holders))
    return StepContext(deps, snapshot.incident, results, roles=roles)


def _ordered(roles: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(roles, key=lambda pair: ROLE_ORDER.index(pair[0])))
