"""The sandbox acting as PagerDuty's monitoring and its people: trigger, acknowledge, escalate, ...

`PagerDutyActor` is plain Python (usable directly from tests); the blueprint mounted at
`/_sandbox/pagerduty` is a thin JSON layer over it. Actions emit the same webhooks as REST writes,
with `client: {"name": "PagerDuty"}` (the PagerDuty UI) and the acting person as `agent`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from multivac.sandbox.pagerduty.directory import as_utc
from multivac.sandbox.pagerduty.incidents import Change, Incident, NewIncident, Refused
from multivac.sandbox.pagerduty.render import Json, iso
from multivac.sandbox.pagerduty.rest import account_of
from multivac.sandbox.pagerduty.state import UI_CLIENT, PagerDutyAccount
from multivac.sandbox.pagerduty.webhooks import Subscription

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox

ACTIONS = (
    "acknowledge",
    "unacknowledge",
    "escalate",
    "reassign",
    "delegate",
    "resolve",
    "reopen",
    "priority",
    "note",
    "responder",
)


class ActorError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class PagerDutyActor:
    """What happens in PagerDuty without Multivac asking. Every method takes the sandbox lock."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @property
    def account(self) -> PagerDutyAccount:
        return account_of(self.sandbox)

    def trigger(
        self,
        service: str,
        title: str,
        *,
        urgency: str = "high",
        priority: str | None = None,
        assignee: str | None = None,
        incident_key: str | None = None,
        details: str | None = None,
        as_: str | None = None,
    ) -> Json:
        """Open an incident as monitoring would (agent null unless `as_` names a person)."""
        with self.sandbox.lock:
            account = self.account
            found = account.directory.service(service)
            if found is None:
                raise ActorError(404, f"unknown service {service!r}")
            if urgency not in ("high", "low"):
                raise ActorError(400, "urgency must be high or low")
            new = NewIncident(
                service_id=found.id,
                title=title,
                urgency=urgency,
                incident_key=incident_key,
                details=details,
                priority_id=self._priority(priority),
                assignee_id=self._user(assignee) if assignee else None,
            )
            agent = self._user(as_) if as_ else None
            incident, _ = self._run(lambda now: account.incidents.trigger(new, agent, now))
            return account.render.incident(incident)

    def act(self, incident_id: str, action: str, params: dict[str, Any]) -> Json:
        """One of `ACTIONS` on an incident; `params["as"]` is the acting person's email, by default
        the first assignee. Returns the incident as REST shows it."""
        with self.sandbox.lock:
            account = self.account
            incident = account.incidents.find(incident_id)
            if incident is None:
                raise ActorError(404, f"unknown incident {incident_id!r}")
            if action not in ACTIONS:
                raise ActorError(404, f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
            by = (
                self._user(params["as"])
                if params.get("as")
                else next(iter(incident.assignee_ids), None)
            )
            operation = self._operation(incident, action, params, by)
            self._run(lambda now: (incident, operation(now)))
            return account.render.incident(incident)

    def oncalls(self, at: str | None = None) -> dict[str, dict[int, list[str]]]:
        """Per escalation policy id, each level's on-call emails at `at` (ISO) or sandbox now."""
        with self.sandbox.lock:
            account = self.account
            moment = as_utc(_parse_time(at)) if at else self.sandbox.now()
            return {
                policy_id: {
                    level: [account.directory.users[o.user_id].email for o in entries]
                    for level, entries in account.oncalls_at(moment, policy_id).items()
                }
                for policy_id in account.directory.policies
            }

    def deliveries(self) -> list[Json]:
        return self.account.dispatcher.snapshot()

    def change_secrets(
        self, add: str | None = None, remove: str | None = None, subscription_id: str | None = None
    ) -> Json:
        """Emulate secret rotation: while two secrets exist, each webhook carries two `v1=`."""
        with self.sandbox.lock:
            subscription = self._subscription(subscription_id)
            if add and add not in subscription.secrets:
                subscription.secrets.append(add)
            if remove and remove in subscription.secrets:
                if len(subscription.secrets) == 1:
                    raise ActorError(400, "a subscription keeps at least one secret")
                subscription.secrets.remove(remove)
            return {"subscription": subscription.id, "secret_count": len(subscription.secrets)}

    def send_raw(
        self, body: str, headers: dict[str, str], subscription_id: str | None = None
    ) -> Json:
        """Deliver `body` as is, signed with the subscription secrets unless `headers` override."""
        with self.sandbox.lock:
            subscription = self._subscription(subscription_id)
            delivery = self.account.send_raw(subscription, body.encode(), headers)
            return {"delivery": delivery.id}

    def _operation(
        self, incident: Incident, action: str, params: dict[str, Any], by: str | None
    ) -> Callable[[datetime], list[Change]]:
        book = self.account.incidents
        simple: dict[str, Callable[[datetime], list[Change]]] = {
            "acknowledge": lambda now: book.acknowledge(incident, by, now),
            "unacknowledge": lambda now: book.unacknowledge(incident, by, now),
            "escalate": lambda now: book.escalate(incident, by, now, _level(params)),
            "resolve": lambda now: book.resolve(incident, by, now, params.get("resolution")),
            "reopen": lambda now: book.reopen(incident, by, now),
        }
        if action in simple:
            return simple[action]
        if action == "reassign":
            user_id = self._user(_required(params, "to"))
            return lambda now: book.reassign(incident, [user_id], by, now)
        if action == "delegate":
            policy = self.account.directory.policy(_required(params, "escalation_policy"))
            if policy is None:
                raise ActorError(404, "unknown escalation policy")
            return lambda now: book.delegate(incident, policy, by, now)
        if action == "priority":
            priority_id = self._priority(params.get("priority"))
            return lambda now: book.set_priority(incident, priority_id, by, now)
        if action == "note":
            content = _required(params, "content")
            return lambda now: book.add_note(incident, content, by, now)[1]
        user_id = self._user(_required(params, "to"))
        message = str(params.get("message") or "Please help with this incident")
        return lambda now: book.request_responders(incident, [(user_id, None)], message, by, now)

    def _run(
        self, operation: Callable[[datetime], tuple[Incident, list[Change]]]
    ) -> tuple[Incident, list[Change]]:
        now = self.sandbox.now()
        try:
            incident, changes = operation(now)
        except Refused as refused:
            raise ActorError(409, str(refused)) from None
        self.account.publish(changes, now, client=UI_CLIENT)
        return incident, changes

    def _user(self, email: str) -> str:
        user = self.account.directory.user_by_email(email)
        if user is None:
            raise ActorError(404, f"no PagerDuty user with email {email!r}")
        return user.id

    def _priority(self, name: str | None) -> str | None:
        if name is None:
            return None
        priority = self.account.directory.priority(name)
        if priority is None:
            raise ActorError(404, f"unknown priority {name!r}")
        return priority.id

    def _subscription(self, subscription_id: str | None) -> Subscription:
        account = self.account
        found = (
            account.subscriptions.get(subscription_id)
            if subscription_id
            else account.default_subscription()
        )
        if found is None:
            raise ActorError(409, "no such webhook subscription")
        return found


def _required(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise ActorError(400, f"{name!r} is required")
    return value


def _level(params: dict[str, Any]) -> int | None:
    level = params.get("level")
    try:
        return None if level is None else int(level)
    except (TypeError, ValueError):
        raise ActorError(400, "level must be an integer") from None


def _parse_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ActorError(400, "at must be an ISO-8601 datetime") from None


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def create_pagerduty_actor_blueprint(sandbox: Sandbox) -> Blueprint:
    bp = Blueprint("pagerduty_actor", __name__)
    actor = PagerDutyActor(sandbox)

    @bp.errorhandler(ActorError)
    def actor_error(error: ActorError) -> ResponseReturnValue:
        return jsonify(error=str(error)), error.status

    _register_people(bp, actor)
    _register_webhook_controls(bp, actor)
    return bp


def _register_people(bp: Blueprint, actor: PagerDutyActor) -> None:
    @bp.post("/trigger")
    def trigger() -> ResponseReturnValue:
        data = _body()
        incident = actor.trigger(
            _required(data, "service"),
            _required(data, "title"),
            urgency=data.get("urgency") or "high",
            priority=data.get("priority"),
            assignee=data.get("assignee"),
            incident_key=data.get("incident_key"),
            details=data.get("details"),
            as_=data.get("as"),
        )
        return jsonify(incident=incident), 201

    @bp.post("/incidents/<incident_id>/<action>")
    def act(incident_id: str, action: str) -> ResponseReturnValue:
        return jsonify(incident=actor.act(incident_id, action, _body()))

    @bp.get("/oncalls")
    def oncalls() -> ResponseReturnValue:
        return jsonify(oncalls=actor.oncalls(request.args.get("at")), now=iso(actor.sandbox.now()))


def _register_webhook_controls(bp: Blueprint, actor: PagerDutyActor) -> None:
    @bp.get("/deliveries")
    def deliveries() -> ResponseReturnValue:
        return jsonify(deliveries=actor.deliveries())

    @bp.post("/subscription/secrets")
    def secrets() -> ResponseReturnValue:
        data = _body()
        return jsonify(
            actor.change_secrets(data.get("add"), data.get("remove"), data.get("subscription"))
        )

    @bp.post("/send-raw")
    def send_raw() -> ResponseReturnValue:
        data = _body()
        headers = data.get("headers") or {}
        return jsonify(
            actor.send_raw(_required(data, "body"), headers, data.get("subscription"))
        ), 202
