"""The slice of JQL the sandbox understands: `field = value` clauses joined by AND, then an
optional `ORDER BY created|key [ASC|DESC]`.

Fields: `project` (key or id) and `labels`. Values are bare words (`INC`, `pagerduty-Q1ABC`) or
quoted (`"..."` or `'...'`, with `\\"` and `\\\\` escapes). Keywords are case-insensitive.
Anything else is refused with a 400 in Jira's `errorMessages` shape, so an adapter that starts
sending other JQL fails loudly here instead of silently matching nothing.
Without ORDER BY, issues come in creation order (real Jira promises no order then).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from multivac.sandbox.jira.catalog import Catalog
from multivac.sandbox.jira.errors import JiraError
from multivac.sandbox.jira.models import Issue

UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|!~|>=|<=|[=~<>(),])"""
    r"""|(?P<word>[^\s"'=!~<>(),]+))"""
)
_ESCAPE = re.compile(r"\\(.)")
_ORDER_KEYS: dict[str, Callable[[Issue], tuple[Any, ...]]] = {
    "created": lambda issue: (issue.created, int(issue.id)),
    "key": lambda issue: (issue.project.key, int(issue.key.rsplit("-", 1)[1])),
}
SUPPORTED = "`project = X` and `labels = x` clauses joined by AND, then ORDER BY created or key"


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "op" or "word"
    text: str  # the value, unquoted and unescaped for strings

    def keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


@dataclass(frozen=True)
class Query:
    clauses: tuple[tuple[str, str], ...]  # (field, value), all of which must hold
    order_by: str | None = None
    descending: bool = False

    def matches(self, issue: Issue, catalog: Catalog) -> bool:
        return all(_holds(issue, catalog, name, value) for name, value in self.clauses)

    def run(self, issues: list[Issue], catalog: Catalog) -> list[Issue]:
        found = [issue for issue in issues if self.matches(issue, catalog)]
        if self.order_by is not None:
            found.sort(key=_ORDER_KEYS[self.order_by], reverse=self.descending)
        return found


def _holds(issue: Issue, catalog: Catalog, name: str, value: str) -> bool:
    if name == "project":
        return issue.project == catalog.project(value)
    return value in issue.labels


def refused(detail: str) -> JiraError:
    return JiraError(400, [f"Error in the JQL Query: {detail} (the sandbox supports {SUPPORTED})."])


def tokenize(jql: str) -> list[Token]:
    tokens, position, text = [], 0, jql.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise refused(f"The character '{text[position]}' is a reserved JQL character")
        kind = match.lastgroup or "word"
        raw = match.group(kind)
        value = _ESCAPE.sub(r"\1", raw[1:-1]) if kind == "string" else raw
        tokens.append(Token(kind, value))
        position = match.end()
    return tokens


def parse(jql: str, catalog: Catalog) -> Query:
    """The query, or `JiraError` 400: unsupported syntax, unknown field, unknown project."""
    tokens = tokenize(jql)
    if not tokens or tokens[0].keyword("order"):
        raise JiraError(400, [UNBOUNDED])
    clauses: list[tuple[str, str]] = []
    rest = tokens
    while True:
        clause, rest = _clause(rest, catalog)
        clauses.append(clause)
        if not rest or rest[0].keyword("order"):
            break
        if not rest[0].keyword("and"):
            raise refused(f"Expecting AND or ORDER BY but got '{rest[0].text}'")
        rest = rest[1:]
    order_by, descending = _order(rest)
    return Query(tuple(clauses), order_by, descending)


def _clause(tokens: list[Token], catalog: Catalog) -> tuple[tuple[str, str], list[Token]]:
    if len(tokens) < 3:
        raise refused("Expecting a clause `field = value`")
    name, operator, value = tokens[0], tokens[1], tokens[2]
    if name.kind == "op" or name.text.lower() not in ("project", "labels"):
        raise refused(f"Unsupported field '{name.text}'")
    if (operator.kind, operator.text) != ("op", "="):
        raise refused(f"Unsupported operator '{operator.text}' for field '{name.text}'")
    if value.kind == "op" or value.keyword("and", "or", "not", "order", "empty", "null"):
        raise refused(f"Expecting a value for field '{name.text}' but got '{value.text}'")
    field = name.text.lower()
    if field == "project" and catalog.project(value.text) is None:
        raise JiraError(400, [f"The value '{value.text}' does not exist for the field 'project'."])
    return (field, value.text), tokens[3:]


def _order(tokens: list[Token]) -> tuple[str | None, bool]:
    if not tokens:
        return None, False
    if len(tokens) < 3 or not tokens[1].keyword("by"):
        raise refused("Expecting 'BY' after 'ORDER'")
    field = tokens[2].text.lower()
    if field not in _ORDER_KEYS:
        raise refused(f"Unsupported ORDER BY field '{tokens[2].text}'")
    direction = tokens[3:]
    if not direction:
        return field, False
    if len(direction) == 1 and direction[0].keyword("asc", "desc"):
        return field, direction[0].text.lower() == "desc"
    raise refused(f"Unexpected '{direction[0].text}' after ORDER BY {field}")
