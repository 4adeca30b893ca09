"""The Jira site as plain JSON for tests and the sandbox page (not the REST shapes)."""

from __future__ import annotations

from typing import Any

from multivac.sandbox.jira.catalog import Catalog
from multivac.sandbox.jira.models import Comment, Issue, JiraUser, RemoteLink, TransitionRecord


def _person(user: JiraUser | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"accountId": user.account_id, "displayName": user.display_name, "email": user.email}


def _comment(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "author": _person(comment.author),
        "body": comment.body,
        "created": comment.created.isoformat(),
    }


def _remote_link(link: RemoteLink) -> dict[str, Any]:
    return {
        "id": link.id,
        "globalId": link.global_id,
        "url": link.object.get("url"),
        "title": link.object.get("title"),
        "relationship": link.relationship,
    }


def _transition(record: TransitionRecord) -> dict[str, Any]:
    return {
        "id": record.transition.id,
        "name": record.transition.name,
        "from": record.from_status.name,
        "to": record.transition.to.name,
        "by": _person(record.by),
        "at": record.at.isoformat(),
    }


def issue_snapshot(issue: Issue) -> dict[str, Any]:
    return {
        "id": issue.id,
        "key": issue.key,
        "project": issue.project.key,
        "issue_type": issue.issue_type.name,
        "summary": issue.summary,
        "description": issue.description,
        "status": issue.status.name,
        "resolution": issue.resolution.name if issue.resolution else None,
        "priority": issue.priority.name,
        "assignee": _person(issue.assignee),
        "reporter": _person(issue.reporter),
        "labels": list(issue.labels),
        "created": issue.created.isoformat(),
        "updated": issue.updated.isoformat(),
        "comments": [_comment(c) for c in issue.comments],
        "remote_links": [_remote_link(link) for link in issue.remote_links],
        "transitions": [_transition(record) for record in issue.history],
    }


def site_snapshot(catalog: Catalog, issues: list[Issue]) -> dict[str, Any]:
    return {
        "projects": [
            {
                "id": p.id,
                "key": p.key,
                "name": p.name,
                "issue_types": [t.name for t in p.issue_types],
            }
            for p in catalog.projects
        ],
        "users": [_person(u) for u in catalog.users],
        "issues": [issue_snapshot(i) for i in issues],
    }
