"""One place that builds Settings for tests, pointed at a running sandbox, and serves the app."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from pydantic import SecretStr
from werkzeug.serving import make_server

from multivac.sandbox import credentials
from multivac.sandbox.server import RunningSandbox
from multivac.settings import JiraSettings, PagerDutySettings, Settings, SlackSettings

REDIS_URL = "redis://127.0.0.1:6379/0"


def sandbox_settings(
    sandbox: RunningSandbox | None,
    database_url: str,
    redis_url: str = REDIS_URL,
) -> Settings:
    """Settings with the sandbox's embedded credentials; `None` points at an unused address."""
    base = sandbox.url if sandbox is not None else "http://127.0.0.1:9"
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        slack=SlackSettings(
            bot_token=SecretStr(credentials.SLACK_BOT_TOKEN),
            signing_secret=SecretStr(credentials.SLACK_SIGNING_SECRET),
            api_url=f"{base}/slack/api/",
            timeout_seconds=5,
        ),
        pagerduty=PagerDutySettings(
            api_token=SecretStr(credentials.PAGERDUTY_API_TOKEN),
            from_email=credentials.PAGERDUTY_FROM_EMAIL,
            api_url=f"{base}/pagerduty",
            webhook_secrets=[SecretStr(credentials.PAGERDUTY_WEBHOOK_SECRET)],
            timeout_seconds=5,
        ),
        jira=JiraSettings(
            url=f"{base}/jira",
            email=credentials.JIRA_EMAIL,
            api_token=SecretStr(credentials.JIRA_API_TOKEN),
            project="INC",
            timeout_seconds=5,
        ),
    )


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """`app` on a real loopback HTTP server (threaded, like production); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval makes shutdown quick; it costs nothing while requests flow.
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="multivac-web", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
