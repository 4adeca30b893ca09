"""What a command answers the person who ran it, and how a failed vendor step becomes part of it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from multivac.incidents.text import escape_mrkdwn, one_line
from multivac.integrations.errors import IntegrationError, RateLimited, Retryable

T = TypeVar("T")
VENDORS = {"slack": "Slack", "pagerduty": "PagerDuty", "jira": "Jira"}
# A rate-limited step is waited out when the vendor asks for at most this long (Slack allows about
# one message per second per channel): people run commands in quick succession.
MAX_RATE_LIMIT_WAIT = 10.0
RATE_LIMIT_ATTEMPTS = 3


@dataclass(frozen=True)
class Reply:
    """mrkdwn for the person who ran the command; `done` False when nothing was changed."""

    text: str
    done: bool = True


@dataclass
class Partial:
    """Collects the vendor steps of one command that failed, in words for the user."""

    problems: list[str] = field(default_factory=list)
    sleep: Callable[[float], None] = time.sleep

    def attempt(self, what: str, call: Callable[[], T]) -> T | None:
        """Run one vendor step, waiting out a short rate limit; a failure is noted (`could not
        <what>`) and None returned."""
        for attempt in range(1, RATE_LIMIT_ATTEMPTS + 1):
            try:
                return call()
            except RateLimited as error:
                wait = error.retry_after or 1.0
                if attempt == RATE_LIMIT_ATTEMPTS or wait > MAX_RATE_LIMIT_WAIT:
                    self.problems.append(f"could not {what}: {error_words(error)}")
                    return None
                self.sleep(wait)
            except IntegrationError as error:
                self.problems.append(f"could not {what}: {error_words(error)}")
                return None
        return None

    def reply(self, text: str) -> Reply:
        if not self.problems:
            return Reply(text)
        return Reply(text + "\n:warning: But Multivac " + "; ".join(self.problems) + ".")


def error_words(error: IntegrationError) -> str:
    """An integration failure in plain words (their messages are written for people)."""
    vendor = VENDORS.get(error.service, error.service)
    message = escape_mrkdwn(one_line(error.message)).rstrip(".")
    if isinstance(error, Retryable):
        return f"{vendor} is not answering right now ({message}); try again in a minute"
    return f"{vendor} said: {message}"


def mention(user_id: str | None, fallback: str = "nobody") -> str:
    return f"<@{user_id}>" if user_id else escape_mrkdwn(fallback)
