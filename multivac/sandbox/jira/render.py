"""Jira Cloud REST v2 representations. `base` is the site URL (`http://127.0.0.1:PORT/jira`).

`self` links matter: pycontribs' `Issue.update()` PUTs to the issue's `self`, and its `User`
needs `accountId` in the user's `self` to know it is talking to Cloud.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from multivac.sandbox.jira.models import (
    Comment,
    Issue,
    IssueType,
    JiraUser,
    Priority,
    Project,
    RemoteLink,
    Resolution,
    Status,
    Transition,
)

EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def rest(base: str) -> str:
    return f"{base}/rest/api/2"


def timestamp(moment: datetime) -> str:
    """Jira's format: `2024-05-01T10:20:30.123+0000`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def _avatars(base: str, key: str) -> dict[str, str]:
    return {f"{n}x{n}": f"{base}/secure/useravatar?size={n}&owner={key}" for n in (48, 24, 16, 32)}


def user(base: str, account: JiraUser) -> dict[str, Any]:
    return {
        "self": f"{rest(base)}/user?accountId={account.account_id}",
        "accountId": account.account_id,
        "accountType": account.account_type,
        "emailAddress": account.email,
        "avatarUrls": _avatars(base, account.account_id),
        "displayName": account.display_name,
        "active": account.active,
        "timeZone": account.time_zone,
        "locale": "en_US",
    }


def issue_type(base: str, kind: IssueType) -> dict[str, Any]:
    return {
        "self": f"{rest(base)}/issuetype/{kind.id}",
        "id": kind.id,
        "description": kind.description,
        "iconUrl": f"{base}/images/icons/issuetypes/{kind.name.lower()}.svg",
        "name": kind.name,
        "subtask": False,
        "hierarchyLevel": 0,
    }


def priority(base: str, level: Priority) -> dict[str, Any]:
    return {
        "self": f"{rest(base)}/priority/{level.id}",
        "statusColor": level.color,
        "description": f"{level.name} priority",
        "iconUrl": f"{base}/images/icons/priorities/{level.name.lower()}.svg",
        "name": level.name,
        "id": level.id,
    }


def resolution(base: str, outcome: Resolution) -> dict[str, Any]:
    return {
        "self": f"{rest(base)}/resolution/{outcome.id}",
        "id": outcome.id,
        "description": outcome.description,
        "name": outcome.name,
    }


def status(base: str, state: Status) -> dict[str, Any]:
    category = state.category
    return {
        "self": f"{rest(base)}/status/{state.id}",
        "description": "",
        "iconUrl": f"{base}/images/icons/statuses/generic.png",
        "name": state.name,
        "id": state.id,
        "statusCategory": {
            "self": f"{rest(base)}/statuscategory/{category.id}",
            "id": category.id,
            "key": category.key,
            "colorName": category.color,
            "name": category.name,
        },
    }


def project(base: str, proj: Project, *, full: bool = True) -> dict[str, Any]:
    brief: dict[str, Any] = {
        "self": f"{rest(base)}/project/{proj.id}",
        "id": proj.id,
        "key": proj.key,
        "name": proj.name,
        "projectTypeKey": "software",
        "simplified": False,
        "avatarUrls": _avatars(base, proj.key),
    }
    if not full:
        return brief
    return {
        **brief,
        "description": proj.description,
        "lead": user(base, proj.lead),
        "assigneeType": "UNASSIGNED",
        "style": "classic",
        "isPrivate": False,
        "issueTypes": [issue_type(base, t) for t in proj.issue_types],
        "components": [],
        "versions": [],
    }


def comment(base: str, issue: Issue, note: Comment) -> dict[str, Any]:
    return {
        "self": f"{rest(base)}/issue/{issue.id}/comment/{note.id}",
        "id": note.id,
        "author": user(base, note.author),
        "body": note.body,
        "updateAuthor": user(base, note.author),
        "created": timestamp(note.created),
        "updated": timestamp(note.created),
        "jsdPublic": True,
    }


def comments_page(
    base: str, issue: Issue, start_at: int = 0, max_results: int = 5000
) -> dict[str, Any]:
    page = issue.comments[start_at : start_at + max_results]
    return {
        "startAt": start_at,
        "maxResults": max_results,
        "total": len(issue.comments),
        "comments": [comment(base, issue, c) for c in page],
    }


def transition(base: str, move: Transition) -> dict[str, Any]:
    return {
        "id": move.id,
        "name": move.name,
        "to": status(base, move.to),
        "hasScreen": False,
        "isGlobal": False,
        "isInitial": False,
        "isAvailable": True,
        "isConditional": False,
        "isLooped": False,
    }


def remote_link(base: str, issue: Issue, link: RemoteLink) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": link.id,
        "self": f"{rest(base)}/issue/{issue.key}/remotelink/{link.id}",
        "object": link.object,
    }
    if link.global_id is not None:
        shown["globalId"] = link.global_id
    if link.application is not None:
        shown["application"] = link.application
    if link.relationship is not None:
        shown["relationship"] = link.relationship
    return shown


def issue_fields(base: str, issue: Issue) -> dict[str, Any]:
    return {
        "summary": issue.summary,
        "description": issue.description,
        "issuetype": issue_type(base, issue.issue_type),
        "project": project(base, issue.project, full=False),
        "status": status(base, issue.status),
        "statuscategorychangedate": timestamp(issue.updated),
        "priority": priority(base, issue.priority),
        "assignee": user(base, issue.assignee) if issue.assignee else None,
        "reporter": user(base, issue.reporter),
        "creator": user(base, issue.creator),
        "labels": list(issue.labels),
        "created": timestamp(issue.created),
        "updated": timestamp(issue.updated),
        "resolution": resolution(base, issue.resolution) if issue.resolution else None,
        "resolutiondate": timestamp(issue.resolved) if issue.resolved else None,
        "comment": comments_page(base, issue),
        "issuelinks": [],
        "attachment": [],
        "subtasks": [],
        "components": [],
        "fixVersions": [],
        "versions": [],
        "watches": {"watchCount": 0, "isWatching": False},
        "votes": {"votes": 0, "hasVoted": False},
    }


def issue_body(base: str, issue: Issue, wanted: str | None = None) -> dict[str, Any]:
    """The issue; `wanted` is the `fields` query parameter (`summary,status`, `*all`, `-x`)."""
    fields = issue_fields(base, issue)
    names = [n.strip() for n in (wanted or "*all").split(",") if n.strip()]
    if not any(n in ("*all", "*navigable") or n.startswith("-") for n in names):
        fields = {k: v for k, v in fields.items() if k in names}
    fields = {k: v for k, v in fields.items() if f"-{k}" not in names}
    return {
        "expand": EXPAND,
        "id": issue.id,
        "self": f"{rest(base)}/issue/{issue.id}",
        "key": issue.key,
        "fields": fields,
    }


def created(base: str, issue: Issue) -> dict[str, Any]:
    return {"id": issue.id, "key": issue.key, "self": f"{rest(base)}/issue/{issue.id}"}
