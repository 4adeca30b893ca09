"""Vendor failures become the few typed errors callers act on, and survive a trip through Celery."""

from __future__ import annotations

import pickle

import pytest
import requests
from jira import JIRAError
from pdpyras import PDClientError, PDHTTPError
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from multivac.integrations.errors import (
    IntegrationError,
    NameTaken,
    NotFound,
    RateLimited,
    Rejected,
    Retryable,
    Transient,
    TriggerExpired,
)
from multivac.integrations.jira import map_jira_error
from multivac.integrations.pagerduty import map_pagerduty_error
from multivac.integrations.slack import map_slack_error


@pytest.mark.parametrize(
    "error",
    [
        RateLimited("slack", 7.0),
        Transient("jira", "Jira had a problem"),
        NotFound("pagerduty", "no incident", code="404"),
        Rejected("slack", "too_long", "Too long."),
        NameTaken("slack", "name_taken", "Taken."),
        TriggerExpired("slack", "expired_trigger_id", "Try again."),
    ],
)
def test_errors_pickle_with_their_details(error: IntegrationError) -> None:
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301  # our own bytes
    assert type(copy) is type(error)
    assert copy.__dict__ == error.__dict__
    assert str(copy) == str(error)


def test_rate_limits_and_transient_failures_are_both_retryable() -> None:
    assert isinstance(RateLimited("slack", 3), Retryable)
    assert isinstance(Transient("slack", "down"), Retryable)
    assert Transient("slack", "down").retry_after is None


def _slack(
    body: dict[str, object], status: int = 200, headers: dict[str, str] | None = None
) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.test/api/x",
        req_args={},
        data=body,
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("failed", response)


@pytest.mark.parametrize(
    ("body", "status", "expected", "code"),
    [
        ({"ok": False, "error": "channel_not_found"}, 200, NotFound, "channel_not_found"),
        ({"ok": False, "error": "users_not_found"}, 200, NotFound, "users_not_found"),
        ({"ok": False, "error": "name_taken"}, 200, NameTaken, "name_taken"),
        ({"ok": False, "error": "invalid_name_specials"}, 200, Rejected, "invalid_name_specials"),
        ({"ok": False, "error": "trigger_expired"}, 200, TriggerExpired, "trigger_expired"),
        ({"ok": False, "error": "expired_trigger_id"}, 200, TriggerExpired, "expired_trigger_id"),
        ({"ok": False, "error": "exchanged_trigger_id"}, 200, TriggerExpired, None),
    ],
)
def test_slack_codes_map_to_types(
    body: dict[str, object], status: int, expected: type[IntegrationError], code: str | None
) -> None:
    mapped = map_slack_error(_slack(body, status))
    assert type(mapped) is expected
    assert code is None or getattr(mapped, "code", None) == code
    assert mapped.message


@pytest.mark.parametrize("code", ["fatal_error", "internal_error", "service_unavailable"])
def test_slack_server_trouble_is_transient(code: str) -> None:
    assert isinstance(map_slack_error(_slack({"ok": False, "error": code})), Transient)
    assert isinstance(map_slack_error(_slack({"ok": False, "error": "x"}, 503)), Transient)


def test_slack_429_carries_retry_after() -> None:
    error = _slack({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "7"})
    mapped = map_slack_error(error)
    assert isinstance(mapped, RateLimited) and mapped.retry_after == 7


def test_slack_missing_scope_names_the_scope() -> None:
    error = _slack({"ok": False, "error": "missing_scope", "needed": "bookmarks:write"})
    mapped = map_slack_error(error)
    assert isinstance(mapped, Rejected) and "bookmarks:write" in mapped.message


def _http(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body
    response.headers.update(headers or {})
    response.request = requests.Request("GET", "https://api.test/x").prepare()
    return response


def test_pagerduty_429_uses_retry_after_then_ratelimit_reset_then_one_second() -> None:
    for headers, wait in [({"Retry-After": "9"}, 9), ({"ratelimit-reset": "4"}, 4), ({}, 1)]:
        mapped = map_pagerduty_error(PDHTTPError("limited", _http(429, b"{}", headers)))
        assert isinstance(mapped, RateLimited) and mapped.retry_after == wait


def test_pagerduty_errors_by_status() -> None:
    body = b'{"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["bad key"]}}'
    rejected = map_pagerduty_error(PDHTTPError("bad", _http(400, body)))
    assert isinstance(rejected, Rejected) and rejected.code == "2001"
    assert "bad key" in rejected.message
    assert isinstance(map_pagerduty_error(PDHTTPError("x", _http(404, b"{}"))), NotFound)
    assert isinstance(map_pagerduty_error(PDHTTPError("x", _http(502, b"oops"))), Transient)
    assert isinstance(map_pagerduty_error(PDClientError("no network")), Transient)


def test_jira_errors_by_status() -> None:
    response = _http(429, b"", {"Retry-After": "3"})
    limited = map_jira_error(JIRAError("slow down", 429, response=response))
    assert isinstance(limited, RateLimited) and limited.retry_after == 3
    assert isinstance(map_jira_error(JIRAError("gone", 404)), NotFound)
    assert isinstance(map_jira_error(JIRAError("down", 503)), Transient)
    rejected = map_jira_error(JIRAError("Field 'summary' is required", 400))
    assert isinstance(rejected, Rejected) and "summary" in rejected.message
