"""Validate the `fields` and `update` of create, edit and transition payloads (REST v2).

Parsing never touches an issue: it returns edits to apply once the whole payload is valid, so a
rejected request changes nothing. Every problem is collected and reported at once, per field, as
Jira does (`{"errors": {"summary": "..."}}`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from multivac.sandbox.jira.catalog import Catalog
from multivac.sandbox.jira.errors import field_errors
from multivac.sandbox.jira.models import Issue, IssueType, JiraUser, Project

Edit = Callable[[Issue], None]

SUMMARY_LIMIT = 255
MISSING_SUMMARY = "You must specify a summary of the issue."


def _not_settable(name: str) -> str:
    return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."


class Invalid(Exception):
    """One field's value is unacceptable; the message is Jira's wording."""


def _summary(_: Catalog, value: Any) -> Edit:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(MISSING_SUMMARY)
    if "\n" in value or "\r" in value:
        raise Invalid("The summary is invalid because it contains newline characters.")
    if len(value) > SUMMARY_LIMIT:
        raise Invalid("Summary must be less than 255 characters.")
    return lambda issue: setattr(issue, "summary", value)


def _description(_: Catalog, value: Any) -> Edit:
    if value is not None and not isinstance(value, str):
        # REST v2 takes wiki text; a v3 document (ADF dict) sent to v2 is refused like this.
        raise Invalid("Operation value must be a string")
    return lambda issue: setattr(issue, "description", value or None)


def _priority(catalog: Catalog, value: Any) -> Edit:
    priority = catalog.priority(value)
    if priority is None:
        names = ", ".join(p.name for p in catalog.priorities)
        raise Invalid(f"Specify a valid priority ({names}) by id or name; got {value!r}")
    return lambda issue: setattr(issue, "priority", priority)


def _user_ref(catalog: Catalog, value: Any, role: str) -> JiraUser | None:
    """`None` or `{"accountId"|"id": "-1"}` mean nobody (INC's default assignee is unassigned)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(f"Specify the {role} as an object with an accountId")
    if "name" in value and "accountId" not in value and "id" not in value:
        raise Invalid("'name' is not supported on Jira Cloud; use accountId")
    account_id = value.get("accountId", value.get("id"))
    if account_id in (None, "-1", -1):
        return None
    user = catalog.user(str(account_id))
    if user is None or not user.active:
        raise Invalid(f"User '{account_id}' does not exist.")
    return user


def _assignee(catalog: Catalog, value: Any) -> Edit:
    user = _user_ref(catalog, value, "assignee")
    return lambda issue: setattr(issue, "assignee", user)


def _reporter(catalog: Catalog, value: Any) -> Edit:
    user = _user_ref(catalog, value, "reporter")
    if user is None:
        raise Invalid("Reporter is required.")
    return lambda issue: setattr(issue, "reporter", user)


def _label_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid("Labels must be a list of strings")
    for label in value:
        if not label or any(c.isspace() for c in label):
            raise Invalid(f"The label '{label}' contains spaces which is invalid.")
    return list(dict.fromkeys(value))


def _labels(_: Catalog, value: Any) -> Edit:
    labels = _label_list(value)
    return lambda issue: setattr(issue, "labels", labels)


EDITABLE: dict[str, Callable[[Catalog, Any], Edit]] = {
    "summary": _summary,
    "description": _description,
    "priority": _priority,
    "assignee": _assignee,
    "reporter": _reporter,
    "labels": _labels,
}


def _label_operations(operations: list[Any]) -> Edit:
    """`[{"add": "x"}, {"remove": "y"}, {"set": [...]}]`, applied in order."""
    steps: list[tuple[str, list[str]]] = []
    for op in operations:
        if not isinstance(op, dict) or len(op) != 1:
            raise Invalid("Each labels operation is one of add, remove or set")
        verb, value = next(iter(op.items()))
        if verb not in ("add", "remove", "set"):
            raise Invalid(f"Labels do not support the '{verb}' operation")
        steps.append((verb, _label_list(value if verb == "set" else [value])))

    def apply(issue: Issue) -> None:
        for verb, labels in steps:
            if verb == "set":
                issue.labels = labels
            elif verb == "add":
                issue.labels = list(dict.fromkeys([*issue.labels, *labels]))
            else:
                issue.labels = [label for label in issue.labels if label not in labels]

    return apply


def _comment_bodies(operations: list[Any]) -> list[str]:
    bodies = []
    for op in operations:
        added = op.get("add") if isinstance(op, dict) else None
        body = added.get("body") if isinstance(added, dict) else None
        if not isinstance(body, str) or not body.strip():
            raise Invalid("Comment body can not be empty!")
        bodies.append(body)
    return bodies


@dataclass
class Changes:
    """A valid payload's effect: field edits, and comments to add as the caller."""

    edits: list[Edit] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def apply(self, issue: Issue) -> None:
        for edit in self.edits:
            edit(issue)


def _parse_update(catalog: Catalog, name: str, operations: Any, changes: Changes) -> None:
    if not isinstance(operations, list):
        raise Invalid(f"Operations for '{name}' must be a list")
    if name == "labels":
        changes.edits.append(_label_operations(operations))
    elif name == "comment":
        changes.comments.extend(_comment_bodies(operations))
    elif name in EDITABLE and all(isinstance(op, dict) and set(op) == {"set"} for op in operations):
        changes.edits.extend(EDITABLE[name](catalog, op["set"]) for op in operations)
    elif name in EDITABLE:
        raise Invalid(f"Field '{name}' only supports the set operation")
    else:
        raise Invalid(_not_settable(name))


def _parse_fields(
    catalog: Catalog, fields: dict[str, Any], changes: Changes, errors: dict[str, str]
) -> None:
    for name, value in fields.items():
        parser = EDITABLE.get(name)
        try:
            if parser is None:
                raise Invalid(_not_settable(name))
            changes.edits.append(parser(catalog, value))
        except Invalid as problem:
            errors[name] = str(problem)


def parse_changes(
    catalog: Catalog,
    payload: dict[str, Any],
    ignore: tuple[str, ...] = (),
    errors: dict[str, str] | None = None,
) -> Changes:
    """The edits in `payload["fields"]` and `payload["update"]`, or `JiraError` 400 naming fields.

    Fields named in `ignore` are left for the caller (create's project and issue type, a
    transition's resolution). Problems already found by the caller may be passed in `errors`.
    """
    errors = {} if errors is None else errors
    changes = Changes()
    fields, update = payload.get("fields") or {}, payload.get("update") or {}
    if not isinstance(fields, dict) or not isinstance(update, dict):
        raise field_errors({"fields": "fields and update must be JSON objects"})
    _parse_fields(catalog, {k: v for k, v in fields.items() if k not in ignore}, changes, errors)
    for name, operations in update.items():
        try:
            _parse_update(catalog, name, operations, changes)
        except Invalid as problem:
            errors[name] = str(problem)
    if errors:
        raise field_errors(errors)
    return changes


@dataclass(frozen=True)
class NewIssue:
    project: Project
    issue_type: IssueType
    changes: Changes


def parse_new_issue(catalog: Catalog, payload: dict[str, Any]) -> NewIssue:
    """A create payload: project, issue type and summary are required, the rest as for edits."""
    fields = payload.get("fields")
    if not isinstance(fields, dict):
        raise field_errors({"fields": "Issue fields are required"})
    errors: dict[str, str] = {}
    project = catalog.project_from_field(fields.get("project"))
    if project is None:
        errors["project"] = "Specify a valid project ID or key"
    issue_type = catalog.issue_type(project, fields.get("issuetype")) if project else None
    if project is not None and issue_type is None:
        given = "issuetype" in fields
        errors["issuetype"] = "Specify a valid issue type" if given else "Specify an issue type"
    if "summary" not in fields:
        errors["summary"] = MISSING_SUMMARY
    changes = parse_changes(catalog, payload, ignore=("project", "issuetype"), errors=errors)
    assert project is not None and issue_type is not None  # parse_changes raised otherwise
    return NewIssue(project, issue_type, changes)
