"""Control and inspection of the sandbox: state as JSON, reset, traffic settings, the clock."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from multivac.sandbox.page import block_buttons, block_texts, mrkdwn_to_html
from multivac.sandbox.seed import SERVICES

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox


def create_control_blueprint(sandbox: Sandbox) -> Blueprint:
    bp = Blueprint("sandbox_control", __name__, template_folder="templates")
    bp.add_app_template_filter(mrkdwn_to_html, "mrkdwn")
    bp.add_app_template_filter(block_texts, "block_texts")
    bp.add_app_template_filter(block_buttons, "block_buttons")
    bp.add_app_template_filter(lambda user, names: names.get(user, user), "person")

    @bp.get("/")
    def page() -> ResponseReturnValue:
        with sandbox.lock:
            slack = sandbox.slack.snapshot()
            incidents = sandbox.pagerduty.snapshot()["incidents"]
            issues = sandbox.jira.snapshot()["issues"]
        names = {user["id"]: user["real_name"] or user["name"] for user in slack["users"]}
        people = [u for u in slack["users"] if not u["is_bot"]]
        return render_template(
            "sandbox_page.html",
            refresh=5,
            now=sandbox.now().isoformat(timespec="seconds"),
            multivac_url=sandbox.multivac_url,
            channels=sorted(slack["channels"], key=lambda c: (c["is_archived"], -c["created"])),
            names=names,
            slack_people=sorted(people, key=lambda u: u["real_name"]),
            services=[service.name for service in SERVICES],
            incidents=list(reversed(incidents)),
            issues=list(reversed(issues)),
            requests=list(reversed(sandbox.traffic.log.as_json()))[:40],
        )

    @bp.get("/_sandbox/state")
    def state() -> ResponseReturnValue:
        with sandbox.lock:
            return jsonify(
                slack=sandbox.slack.snapshot(),
                pagerduty=sandbox.pagerduty.snapshot(),
                jira=sandbox.jira.snapshot(),
                traffic=sandbox.traffic.describe(),
                now=sandbox.now().isoformat(),
            )

    @bp.get("/_sandbox/requests")
    def requests_log() -> ResponseReturnValue:
        return jsonify(requests=sandbox.traffic.log.as_json())

    @bp.post("/_sandbox/reset")
    def reset() -> ResponseReturnValue:
        sandbox.reset()
        return jsonify(ok=True)

    @bp.post("/_sandbox/traffic/<service>")
    def configure(service: str) -> ResponseReturnValue:
        if service not in sandbox.traffic.controls:
            return jsonify(error=f"unknown service {service!r}"), 404
        changes: dict[str, Any] = request.get_json(silent=True) or {}
        try:
            sandbox.traffic.configure(service, changes)
        except KeyError as unknown:
            return jsonify(error=f"unknown settings: {unknown.args[0]}"), 400
        except (TypeError, ValueError) as bad:
            return jsonify(error=str(bad)), 400
        return jsonify(sandbox.traffic.describe())

    @bp.post("/_sandbox/clock")
    def clock() -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        value = body.get("now")
        try:
            sandbox.frozen_now = datetime.fromisoformat(value) if value else None
        except (TypeError, ValueError):
            return jsonify(error="now must be an ISO-8601 datetime with offset, or null"), 400
        return jsonify(now=sandbox.now().isoformat())

    return bp
