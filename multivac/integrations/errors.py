"""The handful of failures a vendor call can end in, whatever the vendor.

Adapters translate every SDK exception into one of these, so callers decide what to do from the
type alone:

- `Retryable` (`RateLimited`, `Transient`): try again later; `retry_after` says when, if known.
- `NotFound`: the thing named does not exist (or is not visible to us); retrying will not help.
- `Rejected`: the vendor refused the request for a reason retrying will not fix; `code` is the
  vendor's own code and `message` is plain words fit to show a user.

The exceptions pickle (Celery stores and re-raises them across processes).
"""

from __future__ import annotations

import copyreg
from typing import Any


class IntegrationError(Exception):
    """A call to Slack, PagerDuty or Jira failed. `service` is "slack", "pagerduty" or "jira"."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(service, message)
        self.service = service
        self.message = message

    def __str__(self) -> str:
        return f"{self.service}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from the attributes, not from `args`: subclasses take different arguments.
        return (copyreg.__newobj__, (type(self),), self.__dict__)  # type: ignore[attr-defined]


class Retryable(IntegrationError):
    """Worth trying again later. `retry_after` is the vendor's requested wait in seconds, if any."""

    retry_after: float | None = None


class RateLimited(Retryable):
    """The vendor throttled us (HTTP 429): wait at least `retry_after` seconds before retrying."""

    def __init__(self, service: str, retry_after: float, message: str | None = None) -> None:
        super().__init__(service, message or f"rate limited; retry after {retry_after:g}s")
        self.retry_after = retry_after


class Transient(Retryable):
    """A server error (5xx), a timeout or a connection failure: likely to pass on its own."""


class NotFound(IntegrationError):
    """The channel, user, message, incident or issue named does not exist or is not visible."""

    def __init__(self, service: str, message: str, code: str = "not_found") -> None:
        super().__init__(service, message)
        self.code = code


class Rejected(IntegrationError):
    """Refused for a reason that retrying will not fix (invalid name, too long, bad request...).

    `code` is the vendor's code (`invalid_name_specials`, `too_long`, `400`); `message` explains
    it in words a user can act on.
    """

    def __init__(self, service: str, code: str, message: str) -> None:
        super().__init__(service, message)
        self.code = code


class NameTaken(Rejected):
    """A Slack channel with that name already exists (perhaps archived, perhaps private)."""


class TriggerExpired(Rejected):
    """A Slack `trigger_id` was too old (3 s), already used, or malformed: the modal cannot open.

    The user can simply run the command or click the button again.
    """
