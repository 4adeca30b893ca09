"""The three ports the domain talks through: `Chat` (Slack), `Pager` (PagerDuty), `Tracker` (Jira).

Arguments are keyword-only; results are small frozen dataclasses, never vendor dictionaries.
Every method may raise the errors of `multivac.integrations.errors` and nothing else from the
vendor: `RateLimited`/`Transient` (retry later), `NotFound`, `Rejected` (with a code and a message
for people). Methods documented as idempotent treat "already done" as success.

Block Kit blocks and views are plain JSON mappings, built by the domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

Block = Mapping[str, Any]
View = Mapping[str, Any]
IncidentStatus = Literal["triggered", "acknowledged", "resolved"]
Urgency = Literal["high", "low"]

INVITE_BATCH_SIZE = 100  # Slack's conversations.invite limit per call


# --- Chat (Slack) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatIdentity:
    user_id: str
    team_id: str
    bot_id: str | None = None


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    topic: str = ""
    purpose: str = ""
    creator: str | None = None  # the user id that created it (Multivac's bot for war rooms)


@dataclass(frozen=True)
class ChatUser:
    id: str
    name: str
    email: str | None = None
    tz: str | None = None


@dataclass(frozen=True)
class RefusedInvite:
    """A user Slack would not add to the channel, with Slack's reason (`user_not_found`...)."""

    user_id: str
    reason: str


@dataclass(frozen=True)
class MessageMetadata:
    """Data for machines carried by a message (Slack's message metadata): how a retried step
    recognises the message an earlier attempt already posted (see `Chat.find_message`)."""

    event_type: str  # e.g. "multivac_incident_summary"
    payload: dict[str, str]


@dataclass(frozen=True)
class Bookmark:
    id: str
    title: str
    link: str


class Chat(Protocol):
    def whoami(self) -> ChatIdentity: ...

    def create_channel(self, *, name: str, private: bool = False) -> Channel:
        """Create a channel. Raises `NameTaken` if the name is in use, `Rejected` if invalid."""
        ...

    def find_channel_by_name(self, *, name: str) -> Channel | None:
        """Look through public and private channels, archived ones included (pages through)."""
        ...

    def channel_info(self, *, channel_id: str) -> Channel: ...

    def invite(self, *, channel_id: str, user_ids: Sequence[str]) -> tuple[RefusedInvite, ...]:
        """Add users, one call per 100. Idempotent: members already in the channel are fine.

        Users Slack refuses (unknown, deactivated...) do not stop the others; they come back with
        Slack's reason. Channel-level failures (archived, not found) raise.
        """
        ...

    def set_topic(self, *, channel_id: str, topic: str) -> None: ...

    def set_purpose(self, *, channel_id: str, purpose: str) -> None: ...

    def add_bookmark(self, *, channel_id: str, title: str, link: str) -> None:
        """Not idempotent: look through `bookmarks` first (e.g. by link) when retrying."""
        ...

    def bookmarks(self, *, channel_id: str) -> list[Bookmark]:
        """The channel's bookmarks, oldest first."""
        ...

    def post_message(
        self,
        *,
        channel_id: str,
        text: str,
        blocks: Sequence[Block] | None = None,
        metadata: MessageMetadata | None = None,
    ) -> str:
        """Post a message; returns its `ts`, the id later calls use to update or react to it.

        Not idempotent. Give it `metadata` naming what it is for so that a retry can find it
        with `find_message` instead of posting it twice.
        """
        ...

    def find_message(
        self, *, channel_id: str, event_type: str, key: str, value: str, limit: int = 100
    ) -> str | None:
        """The `ts` of the newest message posted with metadata of `event_type` whose payload
        has `key` equal to `value`, or None.

        Looks only at the newest `limit` top-level messages (one history call; Slack allows
        up to 999), so call it for messages a step posts early in a channel's life. Needs the
        bot in the channel (`Rejected` "not_in_channel" otherwise); archived channels work.
        """
        ...

    def update_message(
        self, *, channel_id: str, ts: str, text: str, blocks: Sequence[Block] | None = None
    ) -> None: ...

    def post_ephemeral(
        self, *, channel_id: str, user_id: str, text: str, blocks: Sequence[Block] | None = None
    ) -> None: ...

    def add_reaction(self, *, channel_id: str, ts: str, name: str) -> None:
        """Idempotent: a reaction already there is success."""
        ...

    def remove_reaction(self, *, channel_id: str, ts: str, name: str) -> None:
        """Idempotent: a reaction already gone is success."""
        ...

    def pin(self, *, channel_id: str, ts: str) -> None:
        """Idempotent: an already pinned message is success."""
        ...

    def archive(self, *, channel_id: str) -> None:
        """Idempotent: an already archived channel is success."""
        ...

    def unarchive(self, *, channel_id: str) -> None:
        """Idempotent: a channel that is not archived is success."""
        ...

    def lookup_user_by_email(self, *, email: str) -> str | None:
        """The Slack user id for `email`, or None when nobody in the workspace has it."""
        ...

    def user_info(self, *, user_id: str) -> ChatUser: ...

    def channel_members(self, *, channel_id: str) -> list[str]: ...

    def usergroup_members(self, *, usergroup_id: str) -> list[str]: ...

    def open_view(self, *, trigger_id: str, view: View) -> str:
        """Open a modal; returns the view id. `TriggerExpired` for a stale or used trigger."""
        ...

    def update_view(self, *, view_id: str, view: View) -> None: ...


# --- Pager (PagerDuty) --------------------------------------------------------------------------


@dataclass(frozen=True)
class PagerIncident:
    id: str
    number: int
    title: str
    status: str
    urgency: str
    priority: str | None  # the priority's name ("P1"), None when the incident has none
    service_id: str
    service_name: str
    escalation_policy_id: str | None
    assignee_ids: tuple[str, ...]
    html_url: str
    created_at: datetime | None


@dataclass(frozen=True)
class OnCall:
    user_id: str
    name: str
    email: str | None
    escalation_policy_id: str
    escalation_level: int
    schedule_name: str | None  # None for a user targeted directly by the policy
    start: datetime | None  # None for a permanent on-call
    end: datetime | None


@dataclass(frozen=True)
class PagerUser:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class PagerService:
    id: str
    name: str
    escalation_policy_id: str | None


@dataclass(frozen=True)
class PagerPriority:
    id: str
    name: str


class Pager(Protocol):
    def get_incident(self, *, incident_id: str) -> PagerIncident: ...

    def oncalls(
        self, *, escalation_policy_ids: Sequence[str], at: datetime | None = None
    ) -> list[OnCall]:
        """Who is on call for these policies at `at` (default now): the earliest entry per
        policy, level and user."""
        ...

    def user(self, *, user_id: str) -> PagerUser: ...

    def find_user_by_email(self, *, email: str) -> PagerUser | None:
        """The user whose email is exactly `email` (case-insensitive), or None."""
        ...

    def add_note(self, *, incident_id: str, content: str) -> None: ...

    def set_status(self, *, incident_id: str, status: IncidentStatus) -> None: ...

    def set_priority(self, *, incident_id: str, priority: str) -> None:
        """Set the priority by name ("P1"). Raises `Rejected` for a name the account lacks."""
        ...

    def create_incident(
        self,
        *,
        title: str,
        service_id: str,
        urgency: Urgency,
        details: str,
        incident_key: str,
        assignee_id: str | None = None,
        priority: str | None = None,
    ) -> PagerIncident:
        """Open an incident. The same `incident_key` again on the service is `Rejected`."""
        ...

    def add_responders(
        self,
        *,
        incident_id: str,
        requester_id: str,
        user_ids: Sequence[str] = (),
        escalation_policy_ids: Sequence[str] = (),
        message: str,
    ) -> None: ...

    def services(self) -> list[PagerService]: ...

    def priorities(self) -> list[PagerPriority]: ...


# --- Tracker (Jira) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    key: str
    url: str  # the issue's page for people (…/browse/KEY)
    summary: str | None = None
    status: str | None = None
    assignee_account_id: str | None = None
    priority: str | None = None
    labels: tuple[str, ...] = ()


class Tracker(Protocol):
    def find_account_id(self, *, email: str) -> str | None:
        """The account id of the user whose email is exactly `email` (case-insensitive)."""
        ...

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
        """Create an issue in one call, assignee and labels included.

        Not idempotent: callers store the key, and give the issue a label unique to the incident
        so that a retry can first look for it with `find_issue_by_label`.
        """
        ...

    def find_issue_by_label(self, *, project: str, label: str) -> Issue | None:
        """The oldest issue in `project` labelled `label`, or None. `Rejected` for an unknown
        project.

        Jira Cloud's search is eventually consistent: an issue created seconds ago may not be
        found yet. A retry that comes a while after a timed-out create is safe; two attempts
        racing each other are not, so one step must own the creation (a claim in the store).
        """
        ...

    def assign(self, *, key: str, account_id: str | None) -> None:
        """Assign by account id (None unassigns)."""
        ...

    def comment(self, *, key: str, body: str) -> None: ...

    def transition(self, *, key: str, to_status: str = "Done", comment: str | None = None) -> None:
        """Move the issue to `to_status` (matching a transition's target status or its name).

        Idempotent: an issue already in that status is left alone (no comment added). Raises
        `Rejected` when no transition leads there from the current status.
        """
        ...

    def set_priority(self, *, key: str, priority: str) -> None: ...

    def add_link(self, *, key: str, url: str, title: str) -> None:
        """Link a web page to the issue. Idempotent per URL: a second call updates the title."""
        ...

    def get_issue(self, *, key: str) -> Issue: ...
