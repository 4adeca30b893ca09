"""Fixtures shared by every test: a live sandbox and the real SDK clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jira import JIRA
from pdpyras import APISession
from slack_sdk import WebClient

from multivac.sandbox import credentials
from multivac.sandbox.server import RunningSandbox, SandboxOptions, start_sandbox


@pytest.fixture(scope="session")
def _sandbox_server() -> Iterator[RunningSandbox]:
    running = start_sandbox(SandboxOptions())
    yield running
    running.stop()


@pytest.fixture
def sandbox(_sandbox_server: RunningSandbox) -> RunningSandbox:
    """The sandbox, reset to the seeded organisation before each test."""
    _sandbox_server.sandbox.reset()
    return _sandbox_server


@pytest.fixture
def slack_client(sandbox: RunningSandbox) -> WebClient:
    return WebClient(token=credentials.SLACK_BOT_TOKEN, base_url=sandbox.slack_api_url)


@pytest.fixture
def pagerduty_session(sandbox: RunningSandbox) -> APISession:
    session = APISession(
        credentials.PAGERDUTY_API_TOKEN, default_from=credentials.PAGERDUTY_FROM_EMAIL
    )
    session.url = sandbox.pagerduty_api_url
    return session


@pytest.fixture
def jira_client(sandbox: RunningSandbox) -> JIRA:
    return JIRA(
        server=sandbox.jira_url,
        basic_auth=(credentials.JIRA_EMAIL, credentials.JIRA_API_TOKEN),
        max_retries=0,
    )
