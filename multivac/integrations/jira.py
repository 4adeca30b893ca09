"""`Tracker` over pycontribs' `jira.JIRA`, and the one place Jira errors become typed errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import requests
from jira import JIRA, JIRAError

from multivac.integrations.environment import pin_environment
from multivac.integrations.errors import (
    IntegrationError,
    NotFound,
    RateLimited,
    Rejected,
    Transient,
)
from multivac.integrations.ports import Issue, Tracker
from multivac.settings import JiraSettings

SERVICE = "jira"
USER_SEARCH_PAGE = 50
ISSUE_FIELDS = "summary,status,assignee,priority,labels"


def _retry_after(response: requests.Response | None) -> float:
    try:
        return max(1.0, float(response.headers["Retry-After"])) if response is not None else 1.0
    except (KeyError, TypeError, ValueError):
        return 1.0


def map_jira_error(error: JIRAError) -> IntegrationError:
    """The typed error for a `JIRAError` (the library raises it for every non-2xx answer)."""
    status = error.status_code
    text = (error.text or "").strip() or "no details"
    if status == 429:
        return RateLimited(SERVICE, _retry_after(error.response))
    if status is not None and status >= 500:
        return Transient(SERVICE, f"Jira had a problem (HTTP {status}); try again shortly.")
    if status == 404:
        return NotFound(SERVICE, f"Jira could not find it: {text}", code="404")
    if status in (401, 403):
        return Rejected(SERVICE, str(status), f"Jira refused Multivac's credentials: {text}")
    return Rejected(SERVICE, str(status or "error"), f"Jira refused the request: {text}")


@contextmanager
def jira_errors() -> Iterator[None]:
    try:
        yield
    except JIRAError as error:
        raise map_jira_error(error) from error
    except requests.RequestException as error:  # ConnectionError, Timeout, ...
        raise Transient(SERVICE, f"could not reach Jira ({error})") from error


def _issue(client: JIRA, key: str, fields: Mapping[str, Any] | None = None) -> Issue:
    fields = fields or {}
    status: Mapping[str, Any] = fields.get("status") or {}
    assignee: Mapping[str, Any] = fields.get("assignee") or {}
    priority: Mapping[str, Any] = fields.get("priority") or {}
    return Issue(
        key=key,
        url=f"{client.server_url}/browse/{key}",
        summary=fields.get("summary"),
        status=status.get("name"),
        assignee_account_id=assignee.get("accountId"),
        priority=priority.get("name"),
        labels=tuple(str(label) for label in fields.get("labels") or ()),
    )


def jql_string(value: str) -> str:
    """`value` as a quoted JQL string: safe whatever characters it holds."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class JiraTracker:
    """The `Tracker` port over a `JIRA` client, built on first use.

    `JIRA()` calls `serverInfo` when constructed, so taking a factory keeps a Jira outage from
    breaking whatever builds this object (a worker starting up); the outage surfaces as
    `Transient` from the first call instead, and construction is tried again on the next one.
    """

    def __init__(self, client: JIRA | Callable[[], JIRA]) -> None:
        self._client = client if isinstance(client, JIRA) else None
        self._factory = client if not isinstance(client, JIRA) else None
        self._lock = threading.Lock()

    @property
    def client(self) -> JIRA:
        with self._lock:
            if self._client is None:
                assert self._factory is not None
                with jira_errors():
                    self._client = self._factory()
            return self._client

    def _send(self, method: str, path: str, payload: Mapping[str, Any]) -> None:
        """A raw REST v2 call, for the requests the library only makes with extra lookups."""
        client = self.client
        with jira_errors():
            client._session.request(method, client._get_url(path), data=json.dumps(payload))

    def find_account_id(self, *, email: str) -> str | None:
        wanted = email.strip().lower()
        with jira_errors():
            users = self.client.search_users(query=email, maxResults=USER_SEARCH_PAGE)
        for user in users:
            raw: Mapping[str, Any] = user.raw or {}
            if str(raw.get("emailAddress", "")).lower() == wanted and raw.get("accountId"):
                return str(raw["accountId"])
        return None

    def create_issue(
        self,
        *,
        project: str,
        issue_type: str,
        summary: str,
        description: str,
        assignee_account_id: str | None = None,
        priority: str | None = None,
        labels: Sequence[str] = (),
    ) -> Issue:
        """One POST: project and type go as objects (no lookups), assignee is set in the same
        call, and the created issue is not re-read."""
        fields: dict[str, Any] = {
            "project": {"key": project},
            "issuetype": {"name": issue_type},
            "summary": summary,
            "description": description,
        }
        if assignee_account_id is not None:
            fields["assignee"] = {"accountId": assignee_account_id}
        if priority is not None:
            fields["priority"] = {"name": priority}
        if labels:
            fields["labels"] = list(labels)
        client = self.client
        with jira_errors():
            created = client.create_issue(fields=fields, prefetch=False)
        return _issue(client, str(created.key), fields)

    def find_issue_by_label(self, *, project: str, label: str) -> Issue | None:
        """One search. On Jira Cloud `search_issues` calls `search/jql` (the older `search` is
        gone there); the first search on a client also reads `field` once, to map JQL names."""
        jql = (
            f"project = {jql_string(project)} AND labels = {jql_string(label)} ORDER BY created ASC"
        )
        client = self.client
        with jira_errors():
            found = client.search_issues(jql, maxResults=1, fields=ISSUE_FIELDS)
        return next((_issue(client, str(i.key), i.raw.get("fields")) for i in found), None)

    def assign(self, *, key: str, account_id: str | None) -> None:
        # Not `JIRA.assign_issue`: that treats its argument as a user *search* term.
        self._send("PUT", f"issue/{key}/assignee", {"accountId": account_id})

    def comment(self, *, key: str, body: str) -> None:
        client = self.client
        with jira_errors():
            client.add_comment(key, body)

    def transition(self, *, key: str, to_status: str = "Done", comment: str | None = None) -> None:
        client, wanted = self.client, to_status.lower()
        with jira_errors():
            transitions: list[Mapping[str, Any]] = client.transitions(key)
        match = next(
            (
                t
                for t in transitions
                if str((t.get("to") or {}).get("name", "")).lower() == wanted
                or str(t.get("name", "")).lower() == wanted
            ),
            None,
        )
        if match is not None:
            with jira_errors():
                client.transition_issue(key, str(match["id"]), comment=comment)
            return
        current = self.get_issue(key=key).status
        if (current or "").lower() != wanted:
            raise Rejected(
                SERVICE,
                "no_transition",
                f"Jira offers no way to move {key} from {current} to {to_status}.",
            )

    def set_priority(self, *, key: str, priority: str) -> None:
        self._send("PUT", f"issue/{key}", {"fields": {"priority": {"name": priority}}})

    def add_link(self, *, key: str, url: str, title: str) -> None:
        """Idempotent: the URL is the link's `globalId`, so Jira updates rather than duplicates.

        (`JIRA.add_simple_link` sends no `globalId`; `add_remote_link` first reads app links.)
        """
        link = {"globalId": url, "object": {"url": url, "title": title}}
        self._send("POST", f"issue/{key}/remotelink", link)

    def get_issue(self, *, key: str) -> Issue:
        client = self.client
        with jira_errors():
            found = client.issue(key, fields=ISSUE_FIELDS)
        return _issue(client, str(found.key), found.raw.get("fields"))


def build_tracker(settings: JiraSettings) -> JiraTracker:
    """A `JiraTracker` that connects on first use, never retries and never sleeps.

    `max_retries=0` turns off the library's retries (20-60 s sleeps on connection errors, and
    on 429/503); REST v2 takes plain-text descriptions and comments.
    """
    token = settings.api_token.get_secret_value()

    def connect() -> JIRA:
        client = JIRA(
            server=settings.url.rstrip("/"),
            basic_auth=(settings.email, token),
            options={"rest_api_version": "2"},
            max_retries=0,
            timeout=settings.timeout_seconds,
        )
        pin_environment(client._session, settings.url)
        return client

    return JiraTracker(connect)


if TYPE_CHECKING:

    def _conforms(client: JIRA) -> Tracker:  # mypy checks JiraTracker against the port
        return JiraTracker(client)
