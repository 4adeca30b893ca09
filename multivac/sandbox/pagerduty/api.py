"""The PagerDuty REST API v2 emulator (point pdpyras' `APISession.url` at `<sandbox>/pagerduty`).

Every call is authenticated (`Authorization: Token token=...`), passes the sandbox gate (latency,
injected faults) and PagerDuty's rate limit of 960 requests a minute per API key (all operations
together, as PagerDuty counts them). Incident routes live in `api_incidents`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.http import HTTP_STATUS_CODES

from multivac.sandbox.gate import admit
from multivac.sandbox.pagerduty.api_incidents import register_incident_routes
from multivac.sandbox.pagerduty.directory import OnCall
from multivac.sandbox.pagerduty.rest import (
    ApiError,
    account_of,
    body_object,
    canonical_operation,
    flag_arg,
    invalid,
    list_arg,
    not_found,
    paginate,
    time_arg,
    token,
)
from multivac.sandbox.pagerduty.state import PagerDutyAccount
from multivac.sandbox.traffic import Limit

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox

RATE_LIMIT = Limit(960, 60)


def create_pagerduty_blueprint(sandbox: Sandbox) -> Blueprint:
    bp = Blueprint("pagerduty", __name__)

    @bp.before_request
    def guard() -> ResponseReturnValue | None:
        operation = canonical_operation()
        api_key = token()
        refusal = admit(sandbox, "pagerduty", operation)
        if refusal is None:
            wait = sandbox.traffic.retry_after("pagerduty", ("api-key", api_key), RATE_LIMIT)
            if wait is not None:
                raise ApiError(429, "Rate Limit Exceeded", 2020, headers={"Retry-After": str(wait)})
            return None
        message = HTTP_STATUS_CODES.get(refusal.status, "Error")
        raise ApiError(refusal.status, message, 2000 if refusal.status >= 500 else None)

    @bp.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return error.response()

    _register_directory_routes(bp, sandbox)
    _register_oncall_route(bp, sandbox)
    _register_webhook_routes(bp, sandbox)
    register_incident_routes(bp, sandbox)
    return bp


KINDS = "users,services,escalation_policies,schedules,teams,priorities"


Row = tuple[str, tuple[str, ...], dict[str, Any]]  # id, searchable names (lower case), body


def _register_directory_routes(bp: Blueprint, sandbox: Sandbox) -> None:
    @bp.get(f"/<any({KINDS}):kind>")
    def listing(kind: str) -> ResponseReturnValue:
        """`query` filters users by name or email, services and teams by name, as in PagerDuty."""
        query = (request.args.get("query") or "").lower()
        with sandbox.lock:
            rows = _directory_rows(account_of(sandbox), kind)
        found = [body for _, names, body in rows if not query or any(query in n for n in names)]
        return paginate(found, kind)

    @bp.get(f"/<any({KINDS}):kind>/<item_id>")
    def one(kind: str, item_id: str) -> ResponseReturnValue:
        with sandbox.lock:
            rows = _directory_rows(account_of(sandbox), kind)
        body = next((body for id_, _, body in rows if id_ == item_id), None)
        if body is None:
            raise not_found()
        return jsonify({SINGULAR[kind]: body})


SINGULAR = {
    "users": "user",
    "services": "service",
    "escalation_policies": "escalation_policy",
    "schedules": "schedule",
    "teams": "team",
    "priorities": "priority",
}


def _directory_rows(account: PagerDutyAccount, kind: str) -> list[Row]:
    d, r = account.directory, account.render
    if kind == "users":
        return [(u.id, (u.name.lower(), u.email.lower()), r.user(u)) for u in d.users.values()]
    if kind == "services":
        return [(s.id, (s.name.lower(),), r.service(s)) for s in d.services.values()]
    if kind == "escalation_policies":
        return [(p.id, (), r.policy(p)) for p in d.policies.values()]
    if kind == "schedules":
        return [(s.id, (), r.schedule(s)) for s in d.schedules.values()]
    if kind == "teams":
        return [(t.id, (t.name.lower(),), r.team(t)) for t in d.teams.values()]
    return [(p.id, (), r.priority(p)) for p in d.priorities.values()]


def _register_oncall_route(bp: Blueprint, sandbox: Sandbox) -> None:
    @bp.get("/oncalls")
    def oncalls() -> ResponseReturnValue:
        """Filters as PagerDuty: policies, schedules, users, a since/until window, `earliest`."""
        with sandbox.lock:
            account = account_of(sandbox)
            now = sandbox.now()
            since, until = time_arg("since", now), time_arg("until", now)
            policy_ids = set(list_arg("escalation_policy_ids"))
            schedule_ids, user_ids = set(list_arg("schedule_ids")), set(list_arg("user_ids"))
            entries = [
                entry
                for policy in account.directory.policies.values()
                if not policy_ids or policy.id in policy_ids
                for entry in account.directory.oncalls(policy, since, until)
                if (not schedule_ids or entry.schedule_id in schedule_ids)
                and (not user_ids or entry.user_id in user_ids)
            ]
            if flag_arg("earliest"):
                entries = _earliest(entries)
            full = "users" in list_arg("include")
            rendered = [account.render.oncall(e, full_users=full) for e in entries]
        return paginate(rendered, "oncalls")


def _earliest(entries: list[OnCall]) -> list[OnCall]:
    """Only the first entry per policy, level and user (entries are in time order per level)."""
    first: dict[tuple[str, int, str], OnCall] = {}
    for entry in entries:
        first.setdefault((entry.escalation_policy_id, entry.level, entry.user_id), entry)
    return list(first.values())


def _register_webhook_routes(bp: Blueprint, sandbox: Sandbox) -> None:
    @bp.get("/webhook_subscriptions")
    def subscriptions() -> ResponseReturnValue:
        with sandbox.lock:
            found = [s.as_json() for s in account_of(sandbox).subscriptions.values()]
        return paginate(found, "webhook_subscriptions")

    @bp.post("/webhook_subscriptions")
    def subscribe() -> ResponseReturnValue:
        """The only response that ever shows the generated secret."""
        fields = body_object("webhook_subscription")
        method = fields.get("delivery_method") or {}
        url = method.get("url") if isinstance(method, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise invalid("delivery_method.url must be an http(s) URL")
        filter_ = fields.get("filter") or {"type": "account_reference"}
        headers = {h["name"]: h["value"] for h in method.get("custom_headers") or []}
        with sandbox.lock:
            subscription = account_of(sandbox).subscribe(
                url,
                description=str(fields.get("description", "")),
                events=tuple(fields.get("events") or ()),
                filter_type=filter_.get("type", ""),
                filter_id=filter_.get("id"),
                custom_headers=headers,
            )
            return jsonify(webhook_subscription=subscription.as_json(reveal_secret=True)), 201

    @bp.route("/webhook_subscriptions/<sub_id>", methods=["GET", "DELETE"])
    def subscription(sub_id: str) -> ResponseReturnValue:
        with sandbox.lock:
            subscriptions = account_of(sandbox).subscriptions
            if sub_id not in subscriptions:
                raise not_found()
            if request.method == "DELETE":
                del subscriptions[sub_id]
                return "", 204
            return jsonify(webhook_subscription=subscriptions[sub_id].as_json())

    _register_subscription_actions(bp, sandbox)


def _register_subscription_actions(bp: Blueprint, sandbox: Sandbox) -> None:
    @bp.post("/webhook_subscriptions/<sub_id>/<any(ping,enable):action>")
    def subscription_action(sub_id: str, action: str) -> ResponseReturnValue:
        with sandbox.lock:
            account = account_of(sandbox)
            subscription = account.subscriptions.get(sub_id)
            if subscription is None:
                raise not_found()
            if action == "ping":
                account.ping(subscription, sandbox.now())
                return "", 202
            subscription.active, subscription.consecutive_drops = True, 0
            return jsonify(webhook_subscription=subscription.as_json())
