"""PagerDuty's JSON shapes for the account's objects: REST v2 bodies and webhook v3 `data` objects.

`self` links point at the sandbox's REST emulator (so a client can follow them); `html_url` links
use the realistic web app address `https://tuatara.pagerduty.com/...`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from multivac.sandbox.pagerduty.directory import (
    Directory,
    EscalationPolicy,
    OnCall,
    Priority,
    Schedule,
    Service,
    Team,
    User,
)
from multivac.sandbox.pagerduty.incidents import Incident, LogEntry, Note, Responder
from multivac.sandbox.seed import PAGERDUTY_SUBDOMAIN

Json = dict[str, Any]
WEB_URL = f"https://{PAGERDUTY_SUBDOMAIN}.pagerduty.com"
PLURALS = {
    "user": "users",
    "team": "teams",
    "service": "services",
    "schedule": "schedules",
    "escalation_policy": "escalation_policies",
    "incident": "incidents",
    "priority": "priorities",
}


def iso(moment: datetime | None) -> str | None:
    """PagerDuty's timestamp format: `2020-04-09T15:16:27Z` (UTC, whole seconds)."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Renderer:
    directory: Directory
    api_url: str  # the sandbox's `/pagerduty` base

    def ref(self, kind: str, id: str, summary: str) -> Json:
        plural = PLURALS[kind]
        html = (
            f"{WEB_URL}/account/incident_priorities"
            if kind == "priority"
            else f"{WEB_URL}/{plural}/{id}"
        )
        return {
            "id": id,
            "type": f"{kind}_reference",
            "summary": summary,
            "self": f"{self.api_url}/{plural}/{id}",
            "html_url": html,
        }

    def user_ref(self, user_id: str) -> Json:
        return self.ref("user", user_id, self.directory.users[user_id].name)

    def team_ref(self, team_id: str) -> Json:
        return self.ref("team", team_id, self.directory.teams[team_id].name)

    def policy_ref(self, policy_id: str) -> Json:
        return self.ref("escalation_policy", policy_id, self.directory.policies[policy_id].name)

    def service_ref(self, service_id: str) -> Json:
        return self.ref("service", service_id, self.directory.services[service_id].name)

    def schedule_ref(self, schedule_id: str) -> Json:
        return self.ref("schedule", schedule_id, self.directory.schedules[schedule_id].name)

    def priority_ref(self, priority_id: str | None) -> Json | None:
        if priority_id is None:
            return None
        return self.ref("priority", priority_id, self.directory.priorities[priority_id].name)

    def _object(self, kind: str, id: str, summary: str) -> Json:
        body = self.ref(kind, id, summary)
        body["type"] = kind
        return body

    def user(self, user: User) -> Json:
        return {
            **self._object("user", user.id, user.name),
            "name": user.name,
            "email": user.email,
            "time_zone": user.time_zone,
            "color": "green",
            "role": "user",
            "job_title": user.job_title,
            "description": "",
            "avatar_url": f"https://secure.gravatar.com/avatar/{user.id}.png",
            "invitation_sent": False,
            "contact_methods": [],
            "notification_rules": [],
            "teams": [self.team_ref(t) for t in user.team_ids],
        }

    def team(self, team: Team) -> Json:
        return {**self._object("team", team.id, team.name), "name": team.name, "description": ""}

    def service(self, service: Service) -> Json:
        return {
            **self._object("service", service.id, service.name),
            "name": service.name,
            "description": service.description,
            "status": "active",
            "escalation_policy": self.policy_ref(service.escalation_policy_id),
            "teams": [self.team_ref(service.team_id)],
            "acknowledgement_timeout": None,
            "auto_resolve_timeout": None,
            "alert_creation": "create_alerts_and_incidents",
            "incident_urgency_rule": {"type": "constant", "urgency": "high"},
        }

    def policy(self, policy: EscalationPolicy) -> Json:
        rules = []
        for rule in policy.rules:
            targets = [self.schedule_ref(rule.schedule_id)] if rule.schedule_id else []
            targets += [self.user_ref(uid) for uid in rule.user_ids]
            rules.append(
                {
                    "id": f"{policy.id}R{rule.level}",
                    "escalation_delay_in_minutes": rule.delay_minutes,
                    "targets": targets,
                }
            )
        services = [
            s for s in self.directory.services.values() if s.escalation_policy_id == policy.id
        ]
        return {
            **self._object("escalation_policy", policy.id, policy.name),
            "name": policy.name,
            "description": "",
            "num_loops": 0,
            "on_call_handoff_notifications": "if_has_services",
            "escalation_rules": rules,
            "services": [self.service_ref(s.id) for s in services],
            "teams": [self.team_ref(policy.team_id)],
        }

    def schedule(self, schedule: Schedule) -> Json:
        team_id = next(t.id for t in self.directory.teams.values() if t.slug == schedule.team_slug)
        return {
            **self._object("schedule", schedule.id, schedule.name),
            "name": schedule.name,
            "description": "Follow-the-sun rotation",
            "time_zone": "UTC",
            "users": [self.user_ref(u.id) for u in self.directory.schedule_users(schedule)],
            "escalation_policies": [
                self.policy_ref(p.id) for p in self.directory.policies_using(schedule.id)
            ],
            "teams": [self.team_ref(team_id)],
        }

    def priority(self, priority: Priority) -> Json:
        return {
            **self._object("priority", priority.id, priority.name),
            "name": priority.name,
            "description": priority.description,
            "order": priority.order,
            "color": "a8171c",
        }

    def oncall(self, oncall: OnCall, full_users: bool) -> Json:
        user = self.directory.users[oncall.user_id]
        return {
            "user": self.user(user) if full_users else self.user_ref(user.id),
            "schedule": self.schedule_ref(oncall.schedule_id) if oncall.schedule_id else None,
            "escalation_policy": self.policy_ref(oncall.escalation_policy_id),
            "escalation_level": oncall.level,
            "start": iso(oncall.start),
            "end": iso(oncall.end),
        }

    def incident(self, incident: Incident) -> Json:
        """The REST v2 `incident` object."""
        by = incident.last_status_change_by
        return {
            **self._object("incident", incident.id, f"[#{incident.number}] {incident.title}"),
            "incident_number": incident.number,
            "title": incident.title,
            "description": incident.title,
            "created_at": iso(incident.created_at),
            "updated_at": iso(incident.last_status_change_at),
            "status": incident.status,
            "incident_key": incident.incident_key,
            "urgency": incident.urgency,
            "service": self.service_ref(incident.service_id),
            "assignments": [
                {"at": iso(at), "assignee": self.user_ref(u)} for u, at in incident.assignments
            ],
            "assigned_via": incident.assigned_via,
            "acknowledgements": [
                {"at": iso(at), "acknowledger": self.user_ref(u)}
                for u, at in incident.acknowledgements
            ],
            "last_status_change_at": iso(incident.last_status_change_at),
            "last_status_change_by": self.user_ref(by) if by else None,
            "escalation_policy": self.policy_ref(incident.escalation_policy_id),
            "teams": [self.team_ref(incident.team_id)],
            "priority": self._priority_object(incident.priority_id),
            "resolve_reason": None,
            "incident_type": {"name": "incident_default"},
            "alert_counts": {"all": 0, "triggered": 0, "resolved": 0},
            "pending_actions": [],
            "is_mergeable": True,
            "conference_bridge": None,
            "body": {"type": "incident_body", "details": incident.details},
        }

    def _priority_object(self, priority_id: str | None) -> Json | None:
        return (
            None if priority_id is None else self.priority(self.directory.priorities[priority_id])
        )

    def incident_data(self, incident: Incident) -> Json:
        """The webhook v3 `incident` data object (note `number` and `assignees`, unlike REST)."""
        return {
            "id": incident.id,
            "type": "incident",
            "self": f"{self.api_url}/incidents/{incident.id}",
            "html_url": f"{WEB_URL}/incidents/{incident.id}",
            "number": incident.number,
            "status": incident.status,
            "incident_key": incident.incident_key,
            "created_at": iso(incident.created_at),
            "reopened_at": iso(incident.reopened_at),
            "title": incident.title,
            "incident_type": {"name": "incident_default"},
            "service": self.service_ref(incident.service_id),
            "assignees": [self.user_ref(u) for u in incident.assignee_ids],
            "escalation_policy": self.policy_ref(incident.escalation_policy_id),
            "teams": [self.team_ref(incident.team_id)],
            "priority": self.priority_ref(incident.priority_id),
            "urgency": incident.urgency,
            "conference_bridge": None,
            "resolve_reason": None,
        }

    def incident_ref(self, incident: Incident) -> Json:
        return self.ref("incident", incident.id, f"[#{incident.number}] {incident.title}")

    def note(self, note: Note) -> Json:
        """The REST v2 note."""
        return {
            "id": note.id,
            "content": note.content,
            "created_at": iso(note.created_at),
            "user": self.user_ref(note.user_id) if note.user_id else None,
            "channel": {"summary": "The PagerDuty website or APIs"},
        }

    def note_data(self, incident: Incident, note: Note) -> Json:
        """The webhook v3 `incident_note` data object."""
        return {
            "incident": self.incident_ref(incident),
            "id": note.id,
            "content": note.content,
            "trimmed": False,
            "type": "incident_note",
        }

    def responder_data(self, incident: Incident, responder: Responder) -> Json:
        policy = responder.escalation_policy_id
        return {
            "incident": self.incident_ref(incident),
            "user": self.user_ref(responder.user_id),
            "escalation_policy": self.policy_ref(policy) if policy else None,
            "message": responder.message,
            "state": responder.state,
            "type": "incident_responder",
        }

    def responder_request(
        self,
        incident: Incident,
        responders: list[Responder],
        requester_id: str,
        message: str,
        at: datetime,
    ) -> Json:
        return {
            "incident": self.incident_ref(incident),
            "requester": self.user_ref(requester_id),
            "requested_at": iso(at),
            "message": message,
            "responder_request_targets": [
                {
                    "responder_request_target": {
                        **self.user_ref(r.user_id),
                        "type": "user",
                        "incident_responders": [self.responder_data(incident, r)],
                    }
                }
                for r in responders
            ],
        }

    def log_entry(self, incident: Incident, entry: LogEntry) -> Json:
        return {
            "id": entry.id,
            "type": entry.type,
            "summary": entry.summary,
            "created_at": iso(entry.at),
            "incident": self.incident_ref(incident),
            "agent": self.user_ref(entry.agent_id) if entry.agent_id else None,
            "self": f"{self.api_url}/log_entries/{entry.id}",
            "html_url": None,
        }
