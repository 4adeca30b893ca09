"""`FakePager`: PagerDuty as the `Pager` port sees it."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from multivac.integrations.errors import NotFound, Rejected
from multivac.integrations.fakes.recorder import Recorder
from multivac.integrations.ports import (
    IncidentStatus,
    OnCall,
    PagerIncident,
    PagerPriority,
    PagerService,
    PagerUser,
    Urgency,
)

DEFAULT_PRIORITIES = tuple(PagerPriority(id=f"PPRI{n}", name=f"P{n}") for n in range(1, 6))


class FakePager(Recorder):
    """PagerDuty as the ports see it. `oncall_entries` are returned filtered by policy and time."""

    def __init__(
        self,
        *,
        users: Iterable[PagerUser] = (),
        services: Iterable[PagerService] = (),
        priorities: Iterable[PagerPriority] = DEFAULT_PRIORITIES,
        oncall_entries: Iterable[OnCall] = (),
        incidents: Iterable[PagerIncident] = (),
    ) -> None:
        super().__init__("pagerduty")
        self.users = {user.id: user for user in users}
        self.service_list = list(services)
        self.priority_list = list(priorities)
        self.oncall_entries = list(oncall_entries)
        self.incidents = {incident.id: incident for incident in incidents}
        self.notes: dict[str, list[str]] = defaultdict(list)
        self.responder_requests: list[Mapping[str, Any]] = []
        self._numbers = itertools.count(len(self.incidents) + 1)
        self._keys: set[tuple[str, str]] = set()  # (service id, incident key)

    def _incident(self, incident_id: str) -> PagerIncident:
        if incident_id not in self.incidents:
            raise NotFound(self.service, f"no incident {incident_id}", code="404")
        return self.incidents[incident_id]

    def _priority(self, name: str) -> str:
        if not any(p.name == name for p in self.priority_list):
            raise Rejected(self.service, "unknown_priority", f"No priority named {name}.")
        return name

    def get_incident(self, *, incident_id: str) -> PagerIncident:
        self._record("get_incident", incident_id=incident_id)
        return self._incident(incident_id)

    def oncalls(
        self, *, escalation_policy_ids: Sequence[str], at: datetime | None = None
    ) -> list[OnCall]:
        self._record("oncalls", escalation_policy_ids=tuple(escalation_policy_ids), at=at)
        moment = at or datetime.now(UTC)
        return [
            entry
            for entry in self.oncall_entries
            if entry.escalation_policy_id in escalation_policy_ids
            and (entry.start is None or entry.start <= moment)
            and (entry.end is None or moment < entry.end)
        ]

    def user(self, *, user_id: str) -> PagerUser:
        self._record("user", user_id=user_id)
        if user_id not in self.users:
            raise NotFound(self.service, f"no user {user_id}", code="404")
        return self.users[user_id]

    def find_user_by_email(self, *, email: str) -> PagerUser | None:
        self._record("find_user_by_email", email=email)
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email.lower() == wanted), None)

    def add_note(self, *, incident_id: str, content: str) -> None:
        self._record("add_note", incident_id=incident_id, content=content)
        self._incident(incident_id)
        self.notes[incident_id].append(content)

    def set_status(self, *, incident_id: str, status: IncidentStatus) -> None:
        self._record("set_status", incident_id=incident_id, status=status)
        self.incidents[incident_id] = replace(self._incident(incident_id), status=status)

    def set_priority(self, *, incident_id: str, priority: str) -> None:
        self._record("set_priority", incident_id=incident_id, priority=priority)
        incident = self._incident(incident_id)
        self.incidents[incident_id] = replace(incident, priority=self._priority(priority))

    def create_incident(
        self,
        *,
        title: str,
        service_id: str,
        urgency: Urgency,
        details: str,
        incident_key: str,
        assignee_id: str | None = None,
        priority: str | None = None,
    ) -> PagerIncident:
        self._record(
            "create_incident",
            title=title,
            service_id=service_id,
            urgency=urgency,
            details=details,
            incident_key=incident_key,
            assignee_id=assignee_id,
            priority=priority,
        )
        service = next((s for s in self.service_list if s.id == service_id), None)
        if service is None:
            raise Rejected(self.service, "2001", f"No service {service_id}.")
        if (service_id, incident_key) in self._keys:
            raise Rejected(self.service, "2001", "Open incident with key already exists.")
        self._keys.add((service_id, incident_key))
        number = next(self._numbers)
        incident = PagerIncident(
            id=f"PFAKE{number:03d}",
            number=number,
            title=title,
            status="acknowledged" if assignee_id else "triggered",
            urgency=urgency,
            priority=self._priority(priority) if priority else None,
            service_id=service.id,
            service_name=service.name,
            escalation_policy_id=service.escalation_policy_id,
            assignee_ids=(assignee_id,) if assignee_id else (),
            html_url=f"https://fake.pagerduty.com/incidents/PFAKE{number:03d}",
            created_at=datetime.now(UTC),
        )
        self.incidents[incident.id] = incident
        return incident

    def add_responders(
        self,
        *,
        incident_id: str,
        requester_id: str,
        user_ids: Sequence[str] = (),
        escalation_policy_ids: Sequence[str] = (),
        message: str,
    ) -> None:
        request = {
            "incident_id": incident_id,
            "requester_id": requester_id,
            "user_ids": tuple(user_ids),
            "escalation_policy_ids": tuple(escalation_policy_ids),
            "message": message,
        }
        self._record("add_responders", **request)
        self._incident(incident_id)
        self.responder_requests.append(request)

    def services(self) -> list[PagerService]:
        self._record("services")
        return list(self.service_list)

    def priorities(self) -> list[PagerPriority]:
        self._record("priorities")
        return list(self.priority_list)
