"""PagerDuty REST v2 incident routes: list, get, create, update (one or bulk), notes, responders.

Writes need a `From` user; they emit webhooks with that user as `agent` and a null `client`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from multivac.sandbox.pagerduty.incidents import Change, Incident, NewIncident, Refused
from multivac.sandbox.pagerduty.rest import (
    ApiError,
    account_of,
    body_object,
    from_user,
    invalid,
    list_arg,
    not_found,
    paginate,
)
from multivac.sandbox.pagerduty.state import PagerDutyAccount

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox

MAX_BULK = 250
URGENCIES = ("high", "low")


def _ref_id(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value["id"]) if value.get("id") else None
    return value if isinstance(value, str) and value else None


def _priority_id(account: PagerDutyAccount, value: Any) -> str | None:
    """A priority reference, object, id or name (`"P1"`); None clears it; unknown is 400."""
    if value is None:
        return None
    key = _ref_id(value) or (value.get("summary") if isinstance(value, dict) else None)
    priority = account.directory.priority(str(key)) if key else None
    if priority is None:
        raise invalid("Priority not found")
    return priority.id


def _user_id(account: PagerDutyAccount, value: Any) -> str:
    user_id = _ref_id(value)
    if user_id is None or user_id not in account.directory.users:
        raise invalid("User not found")
    return user_id


def _incident(account: PagerDutyAccount, incident_id: str) -> Incident:
    incident = account.incidents.find(incident_id)
    if incident is None:
        raise not_found()
    return incident


def _new_incident(account: PagerDutyAccount, fields: dict[str, Any]) -> NewIncident:
    title, service_id = fields.get("title"), _ref_id(fields.get("service"))
    if not isinstance(title, str) or not title.strip():
        raise invalid("Title cannot be empty")
    service = account.directory.services.get(service_id or "")
    if service is None:
        raise invalid("Service not found")
    urgency = fields.get("urgency") or "high"
    if urgency not in URGENCIES:
        raise invalid("Urgency must be high or low")
    assignments = fields.get("assignments") or []
    policy_id = _ref_id(fields.get("escalation_policy"))
    if assignments and policy_id:
        raise invalid("Assignments and escalation_policy are mutually exclusive")
    if len(assignments) > 1:
        raise invalid("Only one assignee is supported")
    if policy_id is not None and policy_id not in account.directory.policies:
        raise invalid("Escalation policy not found")
    body = fields.get("body")
    return NewIncident(
        service_id=service.id,
        title=title,
        urgency=urgency,
        incident_key=fields.get("incident_key") or None,
        details=body.get("details") if isinstance(body, dict) else None,
        escalation_policy_id=policy_id,
        assignee_id=_user_id(account, assignments[0].get("assignee")) if assignments else None,
        priority_id=_priority_id(account, fields.get("priority")),
    )


def _apply_update(
    account: PagerDutyAccount, incident: Incident, fields: dict[str, Any], by: str, now: datetime
) -> list[Change]:
    """PUT /incidents/{id} fields, validated before anything changes; returns webhook changes."""
    book, changes = account.incidents, []
    priority = (
        _priority_id(account, fields["priority"]) if "priority" in fields else incident.priority_id
    )
    policy_id = _ref_id(fields.get("escalation_policy"))
    policy = account.directory.policies.get(policy_id) if policy_id else None
    if policy_id and policy is None:
        raise invalid("Escalation policy not found")
    assignees = [_user_id(account, a.get("assignee")) for a in fields.get("assignments") or []]
    status = fields.get("status")
    if status not in (None, "triggered", "acknowledged", "resolved"):
        raise invalid("Status must be one of triggered, acknowledged, or resolved.")
    if isinstance(fields.get("title"), str) and fields["title"].strip():
        incident.title = fields["title"]
    changes += book.set_priority(incident, priority, by, now)
    if policy is not None:
        changes += book.delegate(incident, policy, by, now)
    if assignees:
        changes += book.reassign(incident, assignees, by, now)
    level = fields.get("escalation_level")
    if level is not None:
        if not isinstance(level, int):
            raise invalid("escalation_level must be an integer")
        changes += book.escalate(incident, by, now, level)
    if status is not None:
        changes += book.set_status(incident, status, by, now, fields.get("resolution"))
    return changes


def register_incident_routes(bp: Blueprint, sandbox: Sandbox) -> None:
    _register_reads(bp, sandbox)
    _register_writes(bp, sandbox)
    _register_subresources(bp, sandbox)


def _register_reads(bp: Blueprint, sandbox: Sandbox) -> None:
    @bp.get("/incidents")
    def list_incidents() -> ResponseReturnValue:
        with sandbox.lock:
            account = account_of(sandbox)
            statuses, services = set(list_arg("statuses")), set(list_arg("service_ids"))
            teams, users = set(list_arg("team_ids")), set(list_arg("user_ids"))
            urgencies, key = set(list_arg("urgencies")), request.args.get("incident_key")
            found = [
                account.render.incident(i)
                for i in account.incidents.ordered()
                if (not statuses or i.status in statuses)
                and (not services or i.service_id in services)
                and (not teams or i.team_id in teams)
                and (not users or users & set(i.assignee_ids))
                and (not urgencies or i.urgency in urgencies)
                and (not key or i.incident_key == key)
            ]
        return paginate(found, "incidents")

    @bp.get("/incidents/<incident_id>")
    def get_incident(incident_id: str) -> ResponseReturnValue:
        with sandbox.lock:
            account = account_of(sandbox)
            return jsonify(incident=account.render.incident(_incident(account, incident_id)))


def _register_writes(bp: Blueprint, sandbox: Sandbox) -> None:
    @bp.post("/incidents")
    def create_incident() -> ResponseReturnValue:
        with sandbox.lock:
            account = account_of(sandbox)
            user = from_user(account)
            new = _new_incident(account, body_object("incident"))
            now = sandbox.now()
            try:
                incident, changes = account.incidents.trigger(new, user.id, now)
            except Refused as refused:
                raise invalid(str(refused)) from None
            account.publish(changes, now, client=None)
            return jsonify(incident=account.render.incident(incident)), 201

    @bp.put("/incidents/<incident_id>")
    def update_incident(incident_id: str) -> ResponseReturnValue:
        with sandbox.lock:
            account = account_of(sandbox)
            user = from_user(account)
            incident = _incident(account, incident_id)
            _update_and_publish(account, [(incident, body_object("incident"))], user.id, sandbox)
            return jsonify(incident=account.render.incident(incident))

    _register_bulk_update(bp, sandbox)


def _register_bulk_update(bp: Blueprint, sandbox: Sandbox) -> None:
    @bp.put("/incidents")
    def update_incidents() -> ResponseReturnValue:
        """Up to 250 incident references with changes; more is 413, as in PagerDuty."""
        with sandbox.lock:
            account = account_of(sandbox)
            user = from_user(account)
            body = request.get_json(silent=True)
            items = body.get("incidents") if isinstance(body, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise invalid("incidents must be a list of incident references")
            if len(items) > MAX_BULK:
                raise ApiError(
                    413,
                    "Request Entity Too Large",
                    2001,
                    [f"At most {MAX_BULK} incidents may be updated at once"],
                )
            pairs = [(_incident(account, str(item.get("id", ""))), item) for item in items]
            _update_and_publish(account, pairs, user.id, sandbox)
            return jsonify(incidents=[account.render.incident(i) for i, _ in pairs])


def _update_and_publish(
    account: PagerDutyAccount,
    pairs: list[tuple[Incident, dict[str, Any]]],
    by: str,
    sandbox: Sandbox,
) -> None:
    now, changes = sandbox.now(), []
    try:
        for incident, fields in pairs:
            changes += _apply_update(account, incident, fields, by, now)
    except Refused as refused:
        raise invalid(str(refused)) from None
    finally:
        account.publish(changes, now, client=None)  # whatever did change is announced


def _register_subresources(bp: Blueprint, sandbox: Sandbox) -> None:
    @bp.route("/incidents/<incident_id>/notes", methods=["GET", "POST"])
    def notes(incident_id: str) -> ResponseReturnValue:
        with sandbox.lock:
            account = account_of(sandbox)
            if request.method == "GET":
                incident = _incident(account, incident_id)
                return jsonify(notes=[account.render.note(n) for n in incident.notes])
            user = from_user(account)
            incident = _incident(account, incident_id)
            content = body_object("note").get("content")
            try:
                note, changes = account.incidents.add_note(
                    incident, str(content or ""), user.id, sandbox.now()
                )
            except Refused as refused:
                raise invalid(str(refused)) from None
            account.publish(changes, sandbox.now(), client=None)
            return jsonify(note=account.render.note(note)), 201

    @bp.post("/incidents/<incident_id>/responder_requests")
    def responder_requests(incident_id: str) -> ResponseReturnValue:
        with sandbox.lock:
            account = account_of(sandbox)
            incident = _incident(account, incident_id)
            return _request_responders(account, incident, sandbox)

    @bp.get("/incidents/<incident_id>/log_entries")
    def log_entries(incident_id: str) -> ResponseReturnValue:
        with sandbox.lock:
            account = account_of(sandbox)
            incident = _incident(account, incident_id)
            entries = [account.render.log_entry(incident, e) for e in reversed(incident.log)]
        return paginate(entries, "log_entries")


def _request_responders(
    account: PagerDutyAccount, incident: Incident, sandbox: Sandbox
) -> ResponseReturnValue:
    """Targets are users, or escalation policies (whose level-1 on-calls are asked)."""
    body = request.get_json(silent=True) or {}
    requester = _user_id(account, body.get("requester_id"))
    message = str(body.get("message") or "")
    now = sandbox.now()
    targets: list[tuple[str, str | None]] = []
    for wrapped in body.get("responder_request_targets") or []:
        target = wrapped.get("responder_request_target", wrapped)
        if str(target.get("type", "")).startswith("escalation_policy"):
            policy = account.directory.policies.get(_ref_id(target) or "")
            if policy is None:
                raise invalid("Escalation policy not found")
            targets += [
                (uid, policy.id) for uid in account.directory.level_user_ids(policy, 1, now)
            ]
        else:
            targets.append((_user_id(account, target), None))
    if not targets:
        raise invalid("responder_request_targets cannot be empty")
    try:
        changes = account.incidents.request_responders(incident, targets, message, requester, now)
    except Refused as refused:
        raise invalid(str(refused)) from None
    account.publish(changes, now, client=None)
    added = [c.responder for c in changes if c.responder is not None]
    return jsonify(
        responder_request=account.render.responder_request(incident, added, requester, message, now)
    )
