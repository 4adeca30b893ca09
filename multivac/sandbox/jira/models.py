"""The things a Jira Cloud site holds: users, a project's configuration, issues and their parts.

Configuration objects are frozen; issues and what hangs off them change under the sandbox lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class JiraUser:
    account_id: str
    display_name: str
    email: str
    time_zone: str
    active: bool = True
    account_type: str = "atlassian"


@dataclass(frozen=True)
class IssueType:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class Priority:
    id: str
    name: str
    color: str


@dataclass(frozen=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color: str


TO_DO = StatusCategory(2, "new", "To Do", "blue-gray")
IN_PROGRESS = StatusCategory(4, "indeterminate", "In Progress", "yellow")
DONE = StatusCategory(3, "done", "Done", "green")


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: StatusCategory


@dataclass(frozen=True)
class Transition:
    """A workflow move to `to` from any status named in `sources`."""

    id: str
    name: str
    to: Status
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class Project:
    id: str
    key: str
    name: str
    description: str
    lead: JiraUser
    issue_types: tuple[IssueType, ...]


@dataclass
class Comment:
    id: str
    author: JiraUser
    body: str
    created: datetime


@dataclass
class RemoteLink:
    id: int
    object: dict[str, Any]
    global_id: str | None = None
    application: dict[str, Any] | None = None
    relationship: str | None = None


@dataclass(frozen=True)
class TransitionRecord:
    transition: Transition
    from_status: Status
    by: JiraUser
    at: datetime


@dataclass
class Issue:
    id: str
    key: str
    project: Project
    issue_type: IssueType
    summary: str
    description: str | None
    status: Status
    priority: Priority
    assignee: JiraUser | None
    reporter: JiraUser
    creator: JiraUser
    labels: list[str]
    created: datetime
    updated: datetime
    resolution: Resolution | None = None
    resolved: datetime | None = None
    comments: list[Comment] = field(default_factory=list)
    remote_links: list[RemoteLink] = field(default_factory=list)
    history: list[TransitionRecord] = field(default_factory=list)
