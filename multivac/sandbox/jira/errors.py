"""Jira's error shape, `{"errorMessages": [...], "errors": {field: message}}`, with a status."""

from __future__ import annotations

from typing import Any


class JiraError(Exception):
    """A refusal the REST layer answers with `status` and Jira's error body."""

    def __init__(
        self,
        status: int,
        messages: list[str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.messages = messages or []
        self.errors = errors or {}
        super().__init__(f"{status}: {'; '.join(self.messages + list(self.errors.values()))}")

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."


def issue_not_found() -> JiraError:
    return JiraError(404, [ISSUE_NOT_FOUND])


def field_errors(errors: dict[str, str]) -> JiraError:
    return JiraError(400, errors=errors)
