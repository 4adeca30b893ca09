"""Incidents and what people do to them; every operation returns the webhook events it causes.

Operations validate first and mutate second, so a refused operation leaves the incident untouched.
Callers hold the sandbox lock.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from multivac.sandbox.pagerduty.directory import Directory, EscalationPolicy
from multivac.sandbox.seed import stable_id

MAX_NOTES = 2000
OPEN = ("triggered", "acknowledged")


class Refused(Exception):
    """The request is understood but not allowed (PagerDuty answers 400 with this message)."""


@dataclass
class Note:
    id: str
    content: str
    user_id: str | None
    created_at: datetime


@dataclass
class Responder:
    user_id: str
    requester_id: str | None
    message: str
    requested_at: datetime
    escalation_policy_id: str | None = None
    state: str = "pending"


@dataclass
class LogEntry:
    id: str
    type: str  # trigger_log_entry, acknowledge_log_entry, ...
    at: datetime
    agent_id: str | None
    summary: str


@dataclass
class Change:
    """A webhook-worthy change; `note`/`responder` carry annotated/responder event data."""

    event_type: str
    incident_id: str
    agent_id: str | None
    note: Note | None = None
    responder: Responder | None = None


@dataclass
class Incident:
    id: str
    number: int
    title: str
    service_id: str
    escalation_policy_id: str
    team_id: str
    urgency: str
    incident_key: str
    created_at: datetime
    details: str | None = None
    status: str = "triggered"
    escalation_level: int = 1
    assigned_via: str = "escalation_policy"
    assignments: list[tuple[str, datetime]] = field(default_factory=list)
    acknowledgements: list[tuple[str, datetime]] = field(default_factory=list)
    priority_id: str | None = None
    last_status_change_at: datetime | None = None
    last_status_change_by: str | None = None
    reopened_at: datetime | None = None
    resolution: str | None = None
    notes: list[Note] = field(default_factory=list)
    responders: list[Responder] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)

    @property
    def assignee_ids(self) -> list[str]:
        return [user_id for user_id, _ in self.assignments]


@dataclass(frozen=True)
class NewIncident:
    service_id: str
    title: str
    urgency: str = "high"
    incident_key: str | None = None
    details: str | None = None
    escalation_policy_id: str | None = None
    assignee_id: str | None = None
    priority_id: str | None = None


def _entry(incident: Incident, kind: str, at: datetime, agent_id: str | None, summary: str) -> None:
    incident.log.append(LogEntry("R" + secrets.token_hex(6).upper(), kind, at, agent_id, summary))


def _status(incident: Incident, status: str, by: str | None, now: datetime) -> None:
    incident.status = status
    incident.last_status_change_at = now
    incident.last_status_change_by = by


class IncidentBook:
    """All incidents of the account, by id, with per-account unique ids and increasing numbers."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.incidents: dict[str, Incident] = {}
        # Incident ids differ between sandbox resets so a Multivac database that outlives a reset
        # never mistakes a new incident for an old one.
        self._salt = uuid.uuid4().hex

    def find(self, id_or_number: str) -> Incident | None:
        if id_or_number.isdigit():
            return next((i for i in self.incidents.values() if i.number == int(id_or_number)), None)
        return self.incidents.get(id_or_number)

    def ordered(self) -> list[Incident]:
        return sorted(self.incidents.values(), key=lambda i: i.number)

    def trigger(
        self, new: NewIncident, by: str | None, now: datetime
    ) -> tuple[Incident, list[Change]]:
        """Open an incident assigned to level 1 of its policy (or `assignee_id`).

        A self-assigned incident starts acknowledged, as in PagerDuty. A duplicate open
        `incident_key` on the same service is refused."""
        service = self.directory.services[new.service_id]
        key = new.incident_key or uuid.uuid4().hex
        if any(
            i.incident_key == key and i.service_id == service.id and i.status in OPEN
            for i in self.incidents.values()
        ):
            raise Refused("Open incident with matching dedup key already exists on this service")
        number = len(self.incidents) + 1
        incident = Incident(
            id=stable_id("Q", f"{self._salt}:{number}", 13),
            number=number,
            title=new.title,
            service_id=service.id,
            escalation_policy_id=new.escalation_policy_id or service.escalation_policy_id,
            team_id=service.team_id,
            urgency=new.urgency,
            incident_key=key,
            created_at=now,
            details=new.details,
            priority_id=new.priority_id,
        )
        if new.assignee_id is not None:
            incident.assigned_via = "direct_assignment"
            incident.assignments = [(new.assignee_id, now)]
        else:
            incident.assignments = self._level_assignments(incident, 1, now)
        _status(incident, "triggered", by, now)
        _entry(incident, "trigger_log_entry", now, by, f"Triggered: {new.title}")
        self.incidents[incident.id] = incident
        changes = [Change("incident.triggered", incident.id, by)]
        if new.assignee_id is not None and new.assignee_id == by:
            changes += self.acknowledge(incident, by, now)
        return incident, changes

    def acknowledge(self, incident: Incident, by: str | None, now: datetime) -> list[Change]:
        """Acknowledging a resolved incident reopens it first (PagerDuty's PUT semantics)."""
        changes = self.reopen(incident, by, now) if incident.status == "resolved" else []
        if incident.status == "acknowledged":
            return changes
        _status(incident, "acknowledged", by, now)
        if by is not None:
            incident.acknowledgements.append((by, now))
        _entry(incident, "acknowledge_log_entry", now, by, "Acknowledged")
        return [*changes, Change("incident.acknowledged", incident.id, by)]

    def unacknowledge(self, incident: Incident, by: str | None, now: datetime) -> list[Change]:
        if incident.status != "acknowledged":
            raise Refused("Incident is not acknowledged")
        _status(incident, "triggered", by, now)
        incident.acknowledgements = []
        _entry(incident, "unacknowledge_log_entry", now, by, "Unacknowledged")
        return [Change("incident.unacknowledged", incident.id, by)]

    def resolve(
        self, incident: Incident, by: str | None, now: datetime, resolution: str | None = None
    ) -> list[Change]:
        if incident.status == "resolved":
            return []
        _status(incident, "resolved", by, now)
        incident.assignments = []
        incident.acknowledgements = []
        incident.resolution = resolution
        _entry(incident, "resolve_log_entry", now, by, resolution or "Resolved")
        return [Change("incident.resolved", incident.id, by)]

    def reopen(self, incident: Incident, by: str | None, now: datetime) -> list[Change]:
        if incident.status != "resolved":
            raise Refused("Incident is not resolved")
        _status(incident, "triggered", by, now)
        incident.reopened_at = now
        incident.resolution = None
        incident.escalation_level = 1
        incident.assignments = self._level_assignments(incident, 1, now)
        _entry(incident, "reopen_log_entry", now, by, "Reopened")
        return [Change("incident.reopened", incident.id, by)]

    def set_status(
        self,
        incident: Incident,
        status: str,
        by: str | None,
        now: datetime,
        resolution: str | None = None,
    ) -> list[Change]:
        """PUT semantics: `triggered` reopens a resolved incident or un-acknowledges an acked one;
        `acknowledged` on a resolved incident reopens it first."""
        if status == "acknowledged":
            return self.acknowledge(incident, by, now)
        if status == "resolved":
            return self.resolve(incident, by, now, resolution)
        if status == "triggered":
            if incident.status == "resolved":
                return self.reopen(incident, by, now)
            return (
                self.unacknowledge(incident, by, now) if incident.status == "acknowledged" else []
            )
        raise Refused("Status must be one of triggered, acknowledged, or resolved.")

    def escalate(
        self, incident: Incident, by: str | None, now: datetime, level: int | None = None
    ) -> list[Change]:
        """Move to `level` (default: the next one); the new level's on-calls get it, triggered."""
        self._require_open(incident)
        policy = self.directory.policies[incident.escalation_policy_id]
        target = incident.escalation_level + 1 if level is None else level
        if not 1 <= target <= len(policy.rules):
            raise Refused(f"Escalation level must be between 1 and {len(policy.rules)}")
        incident.escalation_level = target
        incident.assigned_via = "escalation_policy"
        incident.assignments = self._level_assignments(incident, target, now)
        self._retrigger(incident, by, now)
        _entry(incident, "escalate_log_entry", now, by, f"Escalated to level {target}")
        return [Change("incident.escalated", incident.id, by)]

    def reassign(
        self, incident: Incident, user_ids: list[str], by: str | None, now: datetime
    ) -> list[Change]:
        self._require_open(incident)
        if not user_ids:
            raise Refused("Assignments cannot be empty")
        incident.assigned_via = "direct_assignment"
        incident.assignments = [(uid, now) for uid in dict.fromkeys(user_ids)]
        self._retrigger(incident, by, now)
        _entry(incident, "assign_log_entry", now, by, "Reassigned")
        return [Change("incident.reassigned", incident.id, by)]

    def delegate(
        self, incident: Incident, policy: EscalationPolicy, by: str | None, now: datetime
    ) -> list[Change]:
        self._require_open(incident)
        incident.escalation_policy_id = policy.id
        incident.escalation_level = 1
        incident.assigned_via = "escalation_policy"
        incident.assignments = self._level_assignments(incident, 1, now)
        self._retrigger(incident, by, now)
        _entry(incident, "assign_log_entry", now, by, f"Delegated to {policy.name}")
        return [Change("incident.delegated", incident.id, by)]

    def set_priority(
        self, incident: Incident, priority_id: str | None, by: str | None, now: datetime
    ) -> list[Change]:
        if incident.priority_id == priority_id:
            return []
        incident.priority_id = priority_id
        _entry(incident, "priority_change_log_entry", now, by, f"Priority changed to {priority_id}")
        return [Change("incident.priority_updated", incident.id, by)]

    def add_note(
        self, incident: Incident, content: str, by: str | None, now: datetime
    ) -> tuple[Note, list[Change]]:
        if not content.strip():
            raise Refused("Note content cannot be empty")
        if len(incident.notes) >= MAX_NOTES:
            raise Refused(f"An incident may have at most {MAX_NOTES} notes")
        note = Note("P" + secrets.token_hex(6).upper(), content, by, now)
        incident.notes.append(note)
        _entry(incident, "annotate_log_entry", now, by, "Note added")
        return note, [Change("incident.annotated", incident.id, by, note=note)]

    def request_responders(
        self,
        incident: Incident,
        targets: list[tuple[str, str | None]],
        message: str,
        by: str | None,
        now: datetime,
    ) -> list[Change]:
        """Add a pending responder per (user id, via escalation policy id or None)."""
        self._require_open(incident)
        changes = []
        for user_id, policy_id in targets:
            responder = Responder(user_id, by, message, now, policy_id)
            incident.responders.append(responder)
            changes.append(Change("incident.responder.added", incident.id, by, responder=responder))
        _entry(
            incident, "responder_request_log_entry", now, by, f"Requested {len(targets)} responders"
        )
        return changes

    def _level_assignments(
        self, incident: Incident, level: int, now: datetime
    ) -> list[tuple[str, datetime]]:
        policy = self.directory.policies[incident.escalation_policy_id]
        return [(uid, now) for uid in self.directory.level_user_ids(policy, level, now)]

    def _retrigger(self, incident: Incident, by: str | None, now: datetime) -> None:
        """New assignees must acknowledge again, as when PagerDuty reassigns an acked incident."""
        if incident.status == "acknowledged":
            _status(incident, "triggered", by, now)
            incident.acknowledgements = []

    @staticmethod
    def _require_open(incident: Incident) -> None:
        if incident.status == "resolved":
            raise Refused("Incident Already Resolved")
