"""The emulated Jira Cloud site: configuration (catalog) plus the issues created while running.

All methods assume the caller holds the sandbox lock. Mutating methods validate the whole
request first and raise `JiraError` before changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from multivac.sandbox.jira.catalog import Catalog
from multivac.sandbox.jira.errors import JiraError, field_errors, issue_not_found
from multivac.sandbox.jira.fields import Changes, parse_changes, parse_new_issue
from multivac.sandbox.jira.models import (
    Comment,
    Issue,
    JiraUser,
    RemoteLink,
    TransitionRecord,
)
from multivac.sandbox.jira.snapshot import site_snapshot

FIRST_ISSUE_ID = 10000
FIRST_COMMENT_ID = 10000
FIRST_LINK_ID = 10000


@dataclass
class JiraSite:
    catalog: Catalog
    issues: list[Issue] = field(default_factory=list)
    _next_comment_id: int = FIRST_COMMENT_ID
    _next_link_id: int = FIRST_LINK_ID

    @classmethod
    def seeded(cls) -> JiraSite:
        """The seeded users and project INC, with no issues yet (the first one is INC-1)."""
        return cls(Catalog.seeded())

    def snapshot(self) -> dict[str, Any]:
        """JSON-able state for tests and the sandbox page."""
        return site_snapshot(self.catalog, self.issues)

    # Issues

    def issue(self, ref: str) -> Issue:
        """By id (`10000`) or key (`INC-1`, any case); `JiraError` 404 as Jira says it."""
        found = next((i for i in self.issues if ref in (i.id, i.key) or i.key == ref.upper()), None)
        if found is None:
            raise issue_not_found()
        return found

    def create_issue(self, payload: dict[str, Any], reporter: JiraUser, now: datetime) -> Issue:
        new = parse_new_issue(self.catalog, payload)
        number = 1 + sum(1 for i in self.issues if i.project.id == new.project.id)
        issue = Issue(
            id=str(FIRST_ISSUE_ID + len(self.issues)),
            key=f"{new.project.key}-{number}",
            project=new.project,
            issue_type=new.issue_type,
            summary="",
            description=None,
            status=self.catalog.initial_status,
            priority=self.catalog.default_priority(),
            assignee=None,
            reporter=reporter,
            creator=reporter,
            labels=[],
            created=now,
            updated=now,
        )
        self._apply(issue, new.changes, reporter, now)
        self.issues.append(issue)
        return issue

    def edit_issue(
        self, issue: Issue, payload: dict[str, Any], by: JiraUser, now: datetime
    ) -> None:
        self._apply(issue, parse_changes(self.catalog, payload), by, now)

    def assign(self, issue: Issue, body: dict[str, Any], now: datetime) -> None:
        """`{"accountId": id}`; `null` unassigns and `"-1"` means the project default (nobody)."""
        if "accountId" not in body:
            # Cloud has no usernames; `{"name": ...}` is what a Server-minded client would send.
            raise field_errors({"accountId": "accountId is required; null unassigns"})
        account_id = body.get("accountId")
        if account_id in (None, "-1"):
            issue.assignee = None
        else:
            user = self.catalog.user(str(account_id))
            if user is None or not user.active:
                raise JiraError(400, errors={"accountId": f"User '{account_id}' does not exist."})
            issue.assignee = user
        issue.updated = now

    def _apply(self, issue: Issue, changes: Changes, by: JiraUser, now: datetime) -> None:
        changes.apply(issue)
        for body in changes.comments:
            self.add_comment(issue, by, body, now)
        issue.updated = now

    # Comments

    def add_comment(self, issue: Issue, author: JiraUser, body: Any, now: datetime) -> Comment:
        if not isinstance(body, str) or not body.strip():
            raise field_errors({"comment": "Comment body can not be empty!"})
        comment = Comment(str(self._next_comment_id), author, body, now)
        self._next_comment_id += 1
        issue.comments.append(comment)
        issue.updated = now
        return comment

    @staticmethod
    def comment(issue: Issue, comment_id: str) -> Comment:
        found = next((c for c in issue.comments if c.id == comment_id), None)
        if found is None:
            raise JiraError(404, [f"Can not find a comment for the id: {comment_id}."])
        return found

    # Workflow

    def transition(
        self, issue: Issue, payload: dict[str, Any], by: JiraUser, now: datetime
    ) -> None:
        """Move `issue` along the workflow; Done sets a resolution (default Done), Reopen clears
        it."""
        requested = payload.get("transition")
        ref = requested.get("id") if isinstance(requested, dict) else None
        if ref is None:
            raise JiraError(400, ["Missing 'transition' identifier"])
        move = next(
            (t for t in self.catalog.transitions_from(issue.status) if t.id == str(ref)), None
        )
        if move is None:
            raise JiraError(400, [f"Transition id '{ref}' is not valid for this issue."])
        fields = payload.get("fields") or {}
        resolution = self.catalog.resolution(fields.get("resolution", {"name": "Done"}))
        if resolution is None:
            raise field_errors({"resolution": "Specify a valid resolution by id or name"})
        changes = parse_changes(self.catalog, payload, ignore=("resolution",))
        issue.history.append(TransitionRecord(move, issue.status, by, now))
        issue.status = move.to
        done = move.to.category.key == "done"
        issue.resolution = resolution if done else None
        issue.resolved = now if done else None
        self._apply(issue, changes, by, now)

    # Remote links

    def upsert_remote_link(self, issue: Issue, payload: dict[str, Any]) -> tuple[RemoteLink, bool]:
        """Replace the link with the same `globalId`, else add one; True when added."""
        target = payload.get("object")
        if not isinstance(target, dict) or not target.get("url") or not target.get("title"):
            raise field_errors(
                {"object": "The remote link needs an object with a url and a title."}
            )
        global_id = payload.get("globalId")
        existing = next(
            (r for r in issue.remote_links if global_id and r.global_id == global_id), None
        )
        link = existing or RemoteLink(self._next_link_id, target)
        link.object, link.global_id = dict(target), global_id
        link.application, link.relationship = (
            payload.get("application"),
            payload.get("relationship"),
        )
        if existing is None:
            self._next_link_id += 1
            issue.remote_links.append(link)
        return link, existing is None

    @staticmethod
    def remote_link(issue: Issue, link_id: str) -> RemoteLink:
        found = next((r for r in issue.remote_links if str(r.id) == link_id), None)
        if found is None:
            raise JiraError(404, [f"No remote link with id {link_id} on issue {issue.key}."])
        return found
