"""A Jira site's configuration: its users, the INC project, priorities, resolutions and workflow.

None of this changes while the sandbox runs; lookups accept what Jira's REST API accepts
(ids or names, keys in any case).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from multivac.sandbox.jira.models import (
    DONE,
    IN_PROGRESS,
    TO_DO,
    IssueType,
    JiraUser,
    Priority,
    Project,
    Resolution,
    Status,
    Transition,
)
from multivac.sandbox.seed import (
    INCIDENT_MANAGER,
    JIRA_PROJECT_KEY,
    MULTIVAC_BOT,
    PEOPLE,
    PRIORITIES,
    Person,
)

OPEN = Status("1", "Open", TO_DO)
STARTED = Status("3", "In Progress", IN_PROGRESS)
CLOSED = Status("10001", "Done", DONE)

WORKFLOW: tuple[Transition, ...] = (
    Transition("11", "Start progress", STARTED, (OPEN.name,)),
    Transition("31", "Done", CLOSED, (OPEN.name, STARTED.name)),
    Transition("41", "Reopen", OPEN, (CLOSED.name,)),
)

RESOLUTIONS: tuple[Resolution, ...] = (
    Resolution("10000", "Done", "Work has been completed on this issue."),
    Resolution("10001", "Won't Do", "This issue won't be actioned."),
    Resolution("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
    Resolution("10003", "Cannot Reproduce", "The problem could not be reproduced."),
)

_PRIORITY_COLORS = ("#d04437", "#f15C75", "#f79232", "#707070", "#999999")
DEFAULT_PRIORITY_NAME = "Medium"


def _user(person: Person) -> JiraUser:
    return JiraUser(person.jira_account_id, person.name, person.email, person.time_zone)


def _named(items: tuple[Any, ...], ref: Any) -> Any | None:
    """The item whose id equals `ref["id"]` or whose name matches `ref["name"]` (any case)."""
    if not isinstance(ref, dict):
        return None
    if "id" in ref:
        return next((i for i in items if i.id == str(ref["id"])), None)
    name = ref.get("name")
    if isinstance(name, str):
        return next((i for i in items if i.name.lower() == name.lower()), None)
    return None


@dataclass(frozen=True)
class Catalog:
    users: tuple[JiraUser, ...]
    projects: tuple[Project, ...]
    priorities: tuple[Priority, ...]
    resolutions: tuple[Resolution, ...] = RESOLUTIONS
    workflow: tuple[Transition, ...] = WORKFLOW
    initial_status: Status = OPEN

    @classmethod
    def seeded(cls) -> Catalog:
        """Everyone in PEOPLE with a Jira account, the Multivac API user, and project INC."""
        users = tuple(_user(p) for p in (*PEOPLE, MULTIVAC_BOT) if p.in_jira)
        lead = next(u for u in users if u.email == INCIDENT_MANAGER)
        project = Project(
            id="10000",
            key=JIRA_PROJECT_KEY,
            name="Incidents",
            description="One issue per incident, opened by Multivac.",
            lead=lead,
            issue_types=(
                IssueType("10001", "Incident", "A problem which impairs or prevents a service."),
                IssueType("10002", "Task", "A small, distinct piece of work."),
            ),
        )
        priorities = tuple(
            Priority(str(n), jira_name, color)
            for n, ((_, jira_name), color) in enumerate(
                zip(PRIORITIES, _PRIORITY_COLORS, strict=True), 1
            )
        )
        return cls(users=users, projects=(project,), priorities=priorities)

    def user(self, account_id: str) -> JiraUser | None:
        return next((u for u in self.users if u.account_id == account_id), None)

    def user_by_email(self, email: str) -> JiraUser | None:
        return next((u for u in self.users if u.email.lower() == email.lower()), None)

    def search_users(self, query: str, include_inactive: bool = False) -> list[JiraUser]:
        """Users whose email, or any word of whose display name, starts with `query` (any case)."""
        needle = query.strip().lower()
        found = []
        for user in self.users:
            if not (user.active or include_inactive):
                continue
            words = [
                user.email.lower(),
                user.display_name.lower(),
                *user.display_name.lower().split(),
            ]
            if any(word.startswith(needle) for word in words):
                found.append(user)
        return found

    def project(self, ref: str) -> Project | None:
        """By id (`10000`) or key (`INC`, any case)."""
        return next(
            (p for p in self.projects if ref in (p.id, p.key) or p.key == ref.upper()), None
        )

    def project_from_field(self, value: Any) -> Project | None:
        """From a create payload's `{"key": ...}` or `{"id": ...}`."""
        if not isinstance(value, dict):
            return None
        ref = value.get("id", value.get("key"))
        return self.project(str(ref)) if ref is not None else None

    def issue_type(self, project: Project, ref: Any) -> IssueType | None:
        found: IssueType | None = _named(project.issue_types, ref)
        return found

    def priority(self, ref: Any) -> Priority | None:
        found: Priority | None = _named(self.priorities, ref)
        return found

    def default_priority(self) -> Priority:
        return next(p for p in self.priorities if p.name == DEFAULT_PRIORITY_NAME)

    def resolution(self, ref: Any) -> Resolution | None:
        found: Resolution | None = _named(self.resolutions, ref)
        return found

    def transitions_from(self, status: Status) -> list[Transition]:
        return [t for t in self.workflow if status.name in t.sources]

    def statuses(self) -> list[Status]:
        seen: dict[str, Status] = {self.initial_status.id: self.initial_status}
        for transition in self.workflow:
            seen.setdefault(transition.to.id, transition.to)
        return list(seen.values())
