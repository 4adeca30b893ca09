"""`/incident ...` as typed commands. Parsing is pure (no I/O), so the web edge can answer help and
argument errors inside Slack's 3 s, and the worker parses the same text the same way.

Usage errors are `CommandError`s whose message says exactly what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
    Help | Declare | SetLead | SetRole | SetSeverity | PostUpdate | Page | Resolve | Status
    | OnCall | ListIncidents
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
