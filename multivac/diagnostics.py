"""Can this process reach Slack, PagerDuty and Jira with its credentials?"""

from __future__ import annotations

from collections.abc import Callable

from multivac.integrations.errors import IntegrationError
from multivac.integrations.ports import Chat, Pager, Tracker


def probe_integrations(
    chat: Chat, pager: Pager, tracker: Tracker, jira_email: str
) -> dict[str, str]:
    """One cheap authenticated read per vendor: `"ok"` or the failure in plain words."""
    checks: dict[str, Callable[[], object]] = {
        "slack": chat.whoami,
        "pagerduty": pager.priorities,
        "jira": lambda: tracker.find_account_id(email=jira_email),
    }
    results: dict[str, str] = {}
    for service, check in checks.items():
        try:
            check()
        except IntegrationError as error:
            results[service] = f"{type(error).__name__}: {error}"
        else:
            results[service] = "ok"
    return results
