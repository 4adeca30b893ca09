"""`/incident ...` as typed commands. Parsing is pure (no I/O), so the web edge can answer help and
argument errors inside Slack's 3 s, and the worker parses the same text the same way.

Usage errors are `CommandError`s whose message says exactly what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from multivac.incidents.text import escape_mrkdwn, truncate

Role = Literal["cx", "comms", "scribe"]
ROLES: tuple[Role, ...] = ("cx", "comms", "scribe")


class CommandError(ValueError):
    """The text does not parse; `str()` is a plain-words message for an ephemeral reply."""


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Declare:
    title: str  # may be empty: the modal asks


@dataclass(frozen=True)
class SetLead:
    user_id: str


@dataclass(frozen=True)
class SetRole:
    role: Role
    user_id: str


@dataclass(frozen=True)
class SetSeverity:
    severity: str  # "SEV1".."SEV4"


@dataclass(frozen=True)
class PostUpdate:
    text: str


@dataclass(frozen=True)
class Page:
    target: str  # a service name, or a Slack user id
    target_is_user: bool
    message: str


@dataclass(frozen=True)
class Resolve:
    summary: str


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class OnCall:
    scope: str  # team or service name; empty: the caller's teams


@dataclass(frozen=True)
class ListIncidents:
    pass


Command = (
    Help
    | Declare
    | SetLead
    | SetRole
    | SetSeverity
    | PostUpdate
    | Page
    | Resolve
    | Status
    | OnCall
    | ListIncidents
)

# Commands that only make sense inside an incident's channel.
IN_CHANNEL: tuple[type, ...] = (SetLead, SetRole, SetSeverity, PostUpdate, Page, Resolve, Status)


@dataclass(frozen=True)
class Invocation:
    """Who ran the command, where, and how to answer (the slash command's form fields)."""

    user_id: str
    channel_id: str
    text: str
    response_url: str
    trigger_id: str
    team_id: str = ""


# --- parsing -----------------------------------------------------------------------------------

# mrkdwn: `<` and `>` are escaped, or Slack would read `<cx|comms|scribe>` as a link.
HELP_TEXT = escape_mrkdwn(
    "\n".join(
        [
            "*`/incident` commands*",
            "`/incident declare [title]` (or just `/incident`): declare an incident in a form",
            "`/incident lead @person`: make someone the incident lead",
            "`/incident role <cx|comms|scribe> @person`: give someone a role",
            "`/incident sev <1-4>`: change the severity (1 is the most severe)",
            "`/incident update <text>`: post a status update",
            '`/incident page <@person | service | "service name"> [message]`: page more responders',
            "`/incident resolve [summary]`: resolve the incident",
            "`/incident status`: show severity, lead, roles and links",
            "`/incident oncall [team or service]`: who is on call right now",
            "`/incident list`: open incidents",
            "`/incident help`: this list",
            "_lead, role, sev, update, page, resolve and status work in an incident's channel._",
        ]
    )
)

SEVERITIES: tuple[str, ...] = ("SEV1", "SEV2", "SEV3", "SEV4")

LEAD_USAGE = "Usage: `/incident lead @person`"
ROLE_USAGE = escape_mrkdwn("Usage: `/incident role <cx|comms|scribe> @person`")
SEV_USAGE = escape_mrkdwn(
    "Usage: `/incident sev <1-4>` (1 is the most severe), e.g. `/incident sev 2`"
)
UPDATE_USAGE = escape_mrkdwn("Usage: `/incident update <what changed>`")
PAGE_USAGE = escape_mrkdwn(
    "Usage: `/incident page @person [message]`, `/incident page <service> [message]`, "
    'or `/incident page "<service name>" [message]` for a name with spaces'
)

# `<@U123|name>` or `<@U123>` as Slack escapes a mention; user ids start with U (or W on Grid).
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_BARE_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
# Straight quotes and the curly ones a Mac or phone keyboard substitutes.
_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201d": "\u201d"}


def parse(text: str) -> Command:
    """The command `/incident <text>` asks for. Subcommands are case-insensitive and surrounding
    whitespace is ignored; free text (titles, updates, summaries) is kept as typed, trimmed.

    Raises `CommandError` with a message for the user: an unknown subcommand's message includes
    `HELP_TEXT`, a bad argument's names exactly what was expected (a `Usage: ...` line).
    """
    words = text.strip().split(maxsplit=1)
    if not words:
        return Declare(title="")
    name, rest = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    parser = _PARSERS.get(name)
    if parser is None:
        shown = escape_mrkdwn(truncate(words[0], 40))
        raise CommandError(
            f"Unknown command '{shown}'. Here is what `/incident` can do:\n{HELP_TEXT}"
        )
    return parser(rest)


def _no_arguments(name: str, command: Command) -> Callable[[str], Command]:
    def parse_bare(rest: str) -> Command:
        if rest:
            raise CommandError(f"Usage: `/incident {name}` (it takes no arguments)")
        return command

    return parse_bare


def _user_id(token: str) -> str | None:
    """The Slack user id in a mention (`<@U123|name>`, `<@U123>`) or a bare `U123`."""
    if match := _MENTION.fullmatch(token):
        return match.group(1)
    return token if _BARE_USER_ID.fullmatch(token) else None


def _lead(rest: str) -> Command:
    user_id = _user_id(rest)
    if user_id is None:
        raise CommandError(LEAD_USAGE)
    return SetLead(user_id=user_id)


def _role(rest: str) -> Command:
    words = rest.split(maxsplit=1)
    if len(words) != 2:
        raise CommandError(ROLE_USAGE)
    role, user_id = words[0].lower(), _user_id(words[1].strip())
    if role not in ROLES:
        shown = escape_mrkdwn(truncate(words[0], 40))
        raise CommandError(f"Unknown role '{shown}'. {ROLE_USAGE}")
    if user_id is None:
        raise CommandError(ROLE_USAGE)
    return SetRole(role=role, user_id=user_id)


def _severity(rest: str) -> Command:
    level = rest.lower().removeprefix("sev").strip()
    severity = f"SEV{level}"
    if severity not in SEVERITIES:
        raise CommandError(SEV_USAGE)
    return SetSeverity(severity=severity)


def _update(rest: str) -> Command:
    if not rest:
        raise CommandError(UPDATE_USAGE)
    return PostUpdate(text=rest)


def _page(rest: str) -> Command:
    if not rest:
        raise CommandError(PAGE_USAGE)
    if rest[0] in _QUOTES:
        target, message = _quoted(rest)
        return Page(target=target, target_is_user=False, message=message)
    if mention := _MENTION.match(rest):
        message = rest[mention.end() :].strip()
        return Page(target=mention.group(1), target_is_user=True, message=message)
    first, *after = rest.split(maxsplit=1)
    if first.startswith(("@", "<")):  # a mention Slack did not escape, or a channel or link
        raise CommandError(PAGE_USAGE)
    return Page(target=first, target_is_user=False, message=after[0].strip() if after else "")


def _quoted(rest: str) -> tuple[str, str]:
    """`"Bank Feeds" the message` → ("Bank Feeds", "the message")."""
    closing = _QUOTES[rest[0]]
    end = rest.find(closing, 1)
    if end == -1 and closing != '"':
        end = rest.find('"', 1)
    name = rest[1:end].strip() if end != -1 else ""
    if not name:
        raise CommandError(PAGE_USAGE)
    return name, rest[end + 1 :].strip()


def _oncall(rest: str) -> Command:
    scope = rest[1:-1].strip() if len(rest) >= 2 and rest[0] in _QUOTES else rest
    return OnCall(scope=scope)


_PARSERS: dict[str, Callable[[str], Command]] = {
    "help": lambda _rest: Help(),
    "declare": lambda rest: Declare(title=rest),
    "lead": _lead,
    "role": _role,
    "sev": _severity,
    "update": _update,
    "page": _page,
    "resolve": lambda rest: Resolve(summary=rest),
    "status": _no_arguments("status", Status()),
    "oncall": _oncall,
    "list": _no_arguments("list", ListIncidents()),
}
