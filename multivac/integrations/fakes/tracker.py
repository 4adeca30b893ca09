"""`FakeTracker`: Jira as the `Tracker` port sees it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from multivac.integrations.errors import NotFound, Rejected
from multivac.integrations.fakes.recorder import Recorder
from multivac.integrations.ports import Issue

DEFAULT_STATUSES = ("To Do", "In Progress", "Done")
DEFAULT_PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")


@dataclass
class FakeIssue:
    key: str
    project: str
    issue_type: str
    summary: str
    description: str
    status: str
    assignee_account_id: str | None
    priority: str | None
    labels: tuple[str, ...]
    comments: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (url, title)


class FakeTracker(Recorder):
    """One workflow where every status can move to every other; accounts known by email."""

    def __init__(
        self,
        *,
        accounts: Mapping[str, str] | None = None,  # email -> account id
        projects: Sequence[str] = ("INC",),
        statuses: Sequence[str] = DEFAULT_STATUSES,
        priorities: Sequence[str] = DEFAULT_PRIORITIES,
        base_url: str = "https://fake.atlassian.net",
    ) -> None:
        super().__init__("jira")
        self.accounts = {email.lower(): account for email, account in (accounts or {}).items()}
        self.projects = tuple(projects)
        self.statuses = tuple(statuses)
        self.priorities = tuple(priorities)
        self.base_url = base_url
        self.issues: dict[str, FakeIssue] = {}
        self._numbers = itertools.count(1)

    def _issue(self, key: str) -> FakeIssue:
        if key not in self.issues:
            raise NotFound(self.service, f"Issue does not exist: {key}", code="404")
        return self.issues[key]

    def _check(self, *, account_id: str | None = None, priority: str | None = None) -> None:
        if account_id is not None and account_id not in self.accounts.values():
            raise Rejected(self.service, "400", f"User {account_id} does not exist.")
        if priority is not None and priority not in self.priorities:
            raise Rejected(self.service, "400", f"Priority {priority} does not exist.")

    def _view(self, issue: FakeIssue) -> Issue:
        return Issue(
            key=issue.key,
            url=f"{self.base_url}/browse/{issue.key}",
            summary=issue.summary,
            status=issue.status,
            assignee_account_id=issue.assignee_account_id,
            priority=issue.priority,
            labels=issue.labels,
        )

    def find_account_id(self, *, email: str) -> str | None:
        self._record("find_account_id", email=email)
        return self.accounts.get(email.strip().lower())

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
        self._record(
            "create_issue",
            project=project,
            issue_type=issue_type,
            summary=summary,
            description=description,
            assignee_account_id=assignee_account_id,
            priority=priority,
            labels=tuple(labels),
        )
        if project not in self.projects:
            raise Rejected(self.service, "400", f"Project {project} does not exist.")
        if not summary.strip():
            raise Rejected(self.service, "400", "You must specify a summary of the issue.")
        self._check(account_id=assignee_account_id, priority=priority)
        for label in labels:
            if not label or any(c.isspace() for c in label):
                raise Rejected(self.service, "400", f"The label '{label}' contains spaces.")
        key = f"{project}-{next(self._numbers)}"
        self.issues[key] = FakeIssue(
            key,
            project,
            issue_type,
            summary,
            description,
            self.statuses[0],
            assignee_account_id,
            priority,
            tuple(labels),
        )
        return self._view(self.issues[key])

    def find_issue_by_label(self, *, project: str, label: str) -> Issue | None:
        """Always up to date, unlike Jira Cloud's search (see the port)."""
        self._record("find_issue_by_label", project=project, label=label)
        if project not in self.projects:
            message = f"The value '{project}' does not exist for the field 'project'."
            raise Rejected(self.service, "400", message)
        found = (i for i in self.issues.values() if i.project == project and label in i.labels)
        return next((self._view(issue) for issue in found), None)

    def assign(self, *, key: str, account_id: str | None) -> None:
        self._record("assign", key=key, account_id=account_id)
        issue = self._issue(key)
        self._check(account_id=account_id)
        issue.assignee_account_id = account_id

    def comment(self, *, key: str, body: str) -> None:
        self._record("comment", key=key, body=body)
        self._issue(key).comments.append(body)

    def transition(self, *, key: str, to_status: str = "Done", comment: str | None = None) -> None:
        self._record("transition", key=key, to_status=to_status, comment=comment)
        issue = self._issue(key)
        if issue.status.lower() == to_status.lower():
            return
        target = next((s for s in self.statuses if s.lower() == to_status.lower()), None)
        if target is None:
            raise Rejected(self.service, "no_transition", f"No way to move {key} to {to_status}.")
        issue.status = target
        if comment:
            issue.comments.append(comment)

    def set_priority(self, *, key: str, priority: str) -> None:
        self._record("set_priority", key=key, priority=priority)
        issue = self._issue(key)
        self._check(priority=priority)
        issue.priority = priority

    def add_link(self, *, key: str, url: str, title: str) -> None:
        self._record("add_link", key=key, url=url, title=title)
        issue = self._issue(key)
        issue.links = [(u, t) for u, t in issue.links if u != url] + [(url, title)]

    def get_issue(self, *, key: str) -> Issue:
        self._record("get_issue", key=key)
        return self._view(self._issue(key))
