"""The sandbox: one loopback HTTP server that emulates Slack, PagerDuty and Jira.

URL layout under the server's base URL:
- `/slack/api/<method>`       Slack Web API (point `WebClient(base_url=...)` here)
- `/pagerduty`                PagerDuty REST v2 (point pdpyras `APISession.url` here)
- `/jira`                     Jira REST v2 (the `jira.JIRA(server=...)`)
- `/_sandbox/...`             control and inspection (JSON), `/` the sandbox page
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, g, request
from werkzeug.serving import BaseWSGIServer

from multivac.sandbox.control import create_control_blueprint
from multivac.sandbox.jira.api import create_jira_blueprint
from multivac.sandbox.jira.state import JiraSite
from multivac.sandbox.pagerduty.actor import create_pagerduty_actor_blueprint
from multivac.sandbox.pagerduty.api import create_pagerduty_blueprint
from multivac.sandbox.pagerduty.state import PagerDutyAccount
from multivac.sandbox.serving import ARRIVED, make_server
from multivac.sandbox.slack.actor import create_slack_actor_blueprint
from multivac.sandbox.slack.api import create_slack_blueprint
from multivac.sandbox.slack.state import SlackWorkspace
from multivac.sandbox.traffic import Latency, LoggedRequest, Traffic


@dataclass(frozen=True)
class SandboxOptions:
    host: str = "127.0.0.1"
    port: int = 0  # 0 picks a free port
    time_scale: float = 1.0  # 60 makes a rate-limit minute last one second
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    post_message_burst: int = 4  # chat.postMessage: 1/s per channel, bursts up to this many
    multivac_url: str | None = None  # where webhooks, slash commands and events are sent


class Sandbox:
    """The emulated world: state of the three services, traffic controls and outbound actors.

    Every state change happens under `lock`; handlers hold it only while touching state, never
    while sleeping for latency.
    """

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.lock = threading.RLock()
        self.traffic = Traffic(
            time_scale=options.time_scale,
            latency=Latency(options.latency_ms, options.jitter_ms),
        )
        self.multivac_url = options.multivac_url
        self.frozen_now: datetime | None = None
        self.base_url = ""  # set once the server is bound
        self.slack = SlackWorkspace.seeded()
        self.pagerduty = PagerDutyAccount.seeded()
        self.jira = JiraSite.seeded()

    def now(self) -> datetime:
        """The sandbox's idea of now (UTC); tests may freeze it to pick who is on call."""
        return self.frozen_now or datetime.now(UTC)

    def reset(self) -> None:
        """Back to the seeded organisation, start-up traffic settings and an empty log."""
        with self.lock:
            replaced = self.pagerduty
            self.slack = SlackWorkspace.seeded()
            self.pagerduty = PagerDutyAccount.seeded()
            self.jira = JiraSite.seeded()
            self.frozen_now = None
            self.traffic.reset()
        replaced.close()  # stops webhook retries of the old world, outside the lock

    def wsgi_app(self) -> Flask:
        app = Flask("multivac.sandbox")
        app.register_blueprint(create_slack_blueprint(self), url_prefix="/slack/api")
        app.register_blueprint(create_pagerduty_blueprint(self), url_prefix="/pagerduty")
        app.register_blueprint(create_jira_blueprint(self), url_prefix="/jira")
        app.register_blueprint(
            create_pagerduty_actor_blueprint(self), url_prefix="/_sandbox/pagerduty"
        )
        app.register_blueprint(create_slack_actor_blueprint(self), url_prefix="/_sandbox/slack")
        app.register_blueprint(create_control_blueprint(self))

        @app.before_request
        def arrived() -> None:
            g.arrived = request.environ.get(ARRIVED) or time.monotonic()

        @app.after_request
        def log_request(response):  # type: ignore[no-untyped-def]
            service = request.blueprint or ""
            if service in ("slack", "pagerduty", "jira"):
                self.traffic.log.add(
                    LoggedRequest(
                        at=datetime.now(UTC).timestamp(),
                        service=service,
                        method=request.method,
                        path=request.path,
                        operation=g.get("operation", request.path),
                        status=response.status_code,
                        detail=g.get("detail", ""),
                    )
                )
            return response

        return app


@dataclass
class RunningSandbox:
    sandbox: Sandbox
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.sandbox.base_url

    @property
    def slack_api_url(self) -> str:
        return f"{self.url}/slack/api/"

    @property
    def pagerduty_api_url(self) -> str:
        return f"{self.url}/pagerduty"

    @property
    def jira_url(self) -> str:
        return f"{self.url}/jira"

    def stop(self) -> None:
        self.sandbox.pagerduty.close()
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def start_sandbox(options: SandboxOptions) -> RunningSandbox:
    """Serve a new sandbox on a background thread; call `stop()` when done."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sandbox = Sandbox(options)
    server = make_server(options.host, options.port, sandbox.wsgi_app())
    sandbox.base_url = f"http://{options.host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="sandbox", daemon=True)
    thread.start()
    return RunningSandbox(sandbox, server, thread)


@contextmanager
def running_sandbox(options: SandboxOptions) -> Iterator[RunningSandbox]:
    running = start_sandbox(options)
    try:
        yield running
    finally:
        running.stop()
